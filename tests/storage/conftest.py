"""Fixtures and builders for storage tests: a real SQLite file per test, drafts, polls."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.news.models import (
    Feed,
    FeedPollResult,
    FeedStatus,
    ItemDraft,
    NewFeed,
    NewSubscription,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    TaggedDraft,
)
from storage import Database, migrations

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "shopwire.db")
    try:
        yield database
    finally:
        await database.close()


def draft(
    key: str,
    title: str = "",
    summary: str = "",
    *,
    published: datetime | None = T0,
    publisher: str | None = None,
    link: str | None = None,
    author: str | None = None,
    image_url: str | None = None,
    categories: tuple[str, ...] = (),
) -> ItemDraft:
    """An ItemDraft whose content hash follows its title and summary."""
    title = title or f"Item {key}"
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()[:16]
    return ItemDraft(
        key=key,
        title=title,
        link=link if link is not None else f"https://news.example/{key}",
        author=author,
        published=published,
        summary=summary,
        image_url=image_url,
        categories=categories,
        publisher=publisher,
        content_hash=digest,
    )


def tagged(item: ItemDraft, *companies: str) -> TaggedDraft:
    return TaggedDraft(item, tuple(companies))


def poll(
    feed: Feed | int,
    new: Sequence[TaggedDraft | ItemDraft] = (),
    changed: Sequence[TaggedDraft | ItemDraft] = (),
    *,
    at: datetime = T0,
    status: FeedStatus = FeedStatus.OK,
    backlog: bool = False,
    **state: object,
) -> FeedPollResult:
    """A FeedPollResult for ``feed``, drafts tagged with no companies unless given tagged."""

    def as_tagged(items: Sequence[TaggedDraft | ItemDraft]) -> tuple[TaggedDraft, ...]:
        return tuple(i if isinstance(i, TaggedDraft) else TaggedDraft(i, ()) for i in items)

    return FeedPollResult(
        feed_id=feed if isinstance(feed, int) else feed.id,
        polled_at=at,
        status=status,
        next_due=at + timedelta(minutes=30),
        new_items=as_tagged(new),
        changed_items=as_tagged(changed),
        mark_backlog=backlog,
        **state,  # type: ignore[arg-type]
    )


async def add_feed(
    db: Database,
    name: str = "Feed",
    *,
    guild_id: int | None = None,
    url: str | None = None,
    at: datetime = T0,
) -> Feed:
    slug = name.lower().replace(" ", "-")
    return await db.feeds.add(
        NewFeed(url=url or f"https://{slug}.example/rss", name=name, guild_id=guild_id), at
    )


async def add_subscription(
    db: Database,
    guild_id: int = 111,
    channel_id: int = 1001,
    *,
    companies: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    mode: SubscriptionMode = SubscriptionMode.REALTIME,
    created_by: int | None = None,
    at: datetime = T0,
) -> Subscription:
    return await db.subscriptions.add(
        NewSubscription(
            guild_id=guild_id,
            channel_id=channel_id,
            filter=SubscriptionFilter(companies, keywords, exclude),
            mode=mode,
            created_by=created_by,
        ),
        at,
    )


@asynccontextmanager
async def database_at(
    path: Path, version: int, scripts: Sequence[str] | None = None
) -> AsyncIterator[Database]:
    """The database at ``path`` as an older release left it: migrated to ``version`` only
    (with ``scripts`` as that release's migrations, when they differed from today's)."""
    with pytest.MonkeyPatch.context() as old:
        old.setattr(migrations, "MIGRATIONS", tuple(scripts or migrations.MIGRATIONS[:version]))
        old.setattr(migrations, "SCHEMA_VERSION", version)
        async with await Database.open(path) as db:
            yield db

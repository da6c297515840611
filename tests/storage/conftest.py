"""Fixtures and builders for storage tests: a real SQLite file per test, drafts, polls.

The ``storage`` fixture runs a test on both backends (the contract suite): a SQLite file, and
a schema of its own in the PostgreSQL server ``SHOPWIRE_TEST_POSTGRES_URL`` names (dropped
afterwards). Without that variable the PostgreSQL case is skipped, except under ``CI=true``,
where it fails: CI must never pass without having run it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import (
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
from bot.news.ports import Storage
from storage import Database, migrations, open_storage
from tests.fakes.postgres_schema import scratch_schema

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

POSTGRES_URL_VARIABLE = "SHOPWIRE_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_server_url() -> str:
    """The test server's URL; skips the test without one (fails it under ``CI=true``)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"CI=true but {POSTGRES_URL_VARIABLE} is not set: the PostgreSQL tests must run in"
            " CI (.ci/run starts a server and sets it)."
        )
    pytest.skip(
        f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}=postgresql://user@host:port/db"
        " (a server where the tests may create schemas; .ci/run starts one)"
    )


@asynccontextmanager
async def fresh_postgres_url() -> AsyncIterator[str]:
    """The URL of an empty schema of its own in the test server, dropped on exit."""
    async with scratch_schema(postgres_server_url(), "test_") as url:
        yield url


@asynccontextmanager
async def fresh_storage_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The ``db`` setting of a database no one has opened yet, on ``backend``."""
    if backend == "sqlite":
        yield str(tmp_path / "shopwire.db")
        return
    async with fresh_postgres_url() as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A new database's ``db`` setting, once per backend (open it with ``open_storage``)."""
    async with fresh_storage_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def storage(storage_url: str) -> AsyncIterator[Storage]:
    """A fresh, open Storage, once per backend: the contract suite's database."""
    opened = await open_storage(storage_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "shopwire.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """The SQLite database, for a module whose ``db`` is the two-backend ``storage``: its
    tests of SQLite's own behaviour (files, locks, FTS5) ask for this one."""
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
    db: Storage,
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
    db: Storage,
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

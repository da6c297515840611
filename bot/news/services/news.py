"""NewsService: the one place where the newsroom's use cases live.

The operator CLI and the Discord commands both call this; neither talks to storage directly.
User mistakes raise ``UserError`` subclasses with a message fit to show as is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.news.adapters.url_safety import ensure_public_url, normalize_feed_url
from bot.news.model.errors import DuplicateFeed, LimitReached, UserError
from bot.news.model.vocabulary import (
    Company,
    Feed,
    ItemPage,
    NewFeed,
    UpdateReport,
)
from bot.news.ports import (
    Clock,
    CompanyDirectory,
    FeedRepository,
    ItemRepository,
    MetaStore,
    TopicDirectory,
)
from bot.news.rules.feed_names import clean_feed_name, default_feed_name, name_from_title
from bot.news.rules.opml import parse_opml, render_opml
from bot.news.services.catalogue_seeding import seed_catalogue
from bot.news.services.feed_check import FeedChecker, FeedPreview
from bot.news.services.feed_updater import FeedUpdater, ProgressCallback
from bot.news.services.item_queries import ItemQueries
from bot.news.tagging.topics import Topic

UrlChecker = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AddedFeed:
    """A feed just added, and what fetching it once showed (None when it was not checked)."""

    feed: Feed
    preview: FeedPreview | None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an OPML import did: feeds added, and each skipped URL with the reason."""

    added: tuple[Feed, ...]
    skipped: tuple[tuple[str, str], ...]


class NewsService:
    """Feeds, items, search and polling, for every front end."""

    def __init__(
        self,
        *,
        feeds: FeedRepository,
        items: ItemRepository,
        meta: MetaStore,
        updater: FeedUpdater,
        companies: CompanyDirectory,
        clock: Clock,
        allow_private_urls: bool = False,
        url_checker: UrlChecker = ensure_public_url,
        max_guild_feeds: int = 10,
        after_poll: Callable[[], Awaitable[object]] | None = None,
        topics: TopicDirectory | None = None,
        checker: FeedChecker | None = None,
    ) -> None:
        self._feeds = feeds
        self._items = items
        self._meta = meta
        self._updater = updater
        self._companies = companies
        self._clock = clock
        self._allow_private = allow_private_urls
        self._check_url = url_checker
        self._max_guild_feeds = max_guild_feeds
        self._after_poll = after_poll
        # Optional so that front ends and tests that never filter by topic need not build one;
        # asking for a topic without it is a programming error, not a user's.
        self._topics = topics
        # Optional like topics: only front ends that add feeds with a check need one.
        self._checker = checker
        # Reading items has a service of its own, which the read-only CLI uses without this one.
        self._queries = ItemQueries(
            feeds=feeds, items=items, companies=companies, clock=clock, topics=topics
        )

    # Companies -------------------------------------------------------------------------

    def companies(self) -> tuple[Company, ...]:
        """Every company items can be tagged with, in display order."""
        return self._companies.companies()

    def resolve_company(self, text: str) -> Company:
        """The company a user means by ``text``; UnknownCompany lists close names."""
        return self._queries.resolve_company(text)

    def suggest_companies(self, text: str, limit: int = 25) -> tuple[Company, ...]:
        """Companies matching what a user is typing (for autocomplete)."""
        if not text.strip():
            return self._companies.companies()[:limit]
        return self._companies.suggest(text, limit=limit)

    # Topics ----------------------------------------------------------------------------

    def resolve_topic(self, text: str) -> Topic:
        """The topic a user means by ``text`` (id or name); a UserError names close ones."""
        self._require_topics()
        return self._queries.resolve_topic(text)

    def suggest_topics(self, text: str, limit: int = 25) -> tuple[Topic, ...]:
        """Topics matching what a user is typing (for autocomplete)."""
        return self._require_topics().suggest(text, limit=limit)

    def _require_topics(self) -> TopicDirectory:
        if self._topics is None:
            raise RuntimeError("NewsService was built without a topic directory")
        return self._topics

    # Feeds -----------------------------------------------------------------------------

    async def seed_catalogue(self) -> int:
        """Add the default catalogue once per database; returns how many feeds were added
        (``services.catalogue_seeding``)."""
        return await seed_catalogue(self._feeds, self._meta, self._clock)

    async def add_feed(
        self,
        url: str,
        *,
        name: str | None = None,
        guild_id: int | None = None,
        trusted: bool = True,
        companies: Sequence[str] = (),
        max_items_per_poll: int | None = None,
    ) -> Feed:
        """Add a feed to the shared catalogue (``guild_id`` None) or to one server's own feeds.

        Untrusted URLs (added through Discord) must resolve to public addresses unless the
        operator allows private ones; the fetcher checks again on every request.
        """
        new = await self._new_feed(
            url,
            name=name,
            guild_id=guild_id,
            trusted=trusted,
            companies=companies,
            max_items_per_poll=max_items_per_poll,
        )
        return await self._feeds.add(new, self._clock.now())

    async def add_and_check_feed(
        self,
        url: str,
        *,
        name: str | None = None,
        guild_id: int | None = None,
        trusted: bool = True,
        companies: Sequence[str] = (),
        check: bool = True,
    ) -> AddedFeed:
        """``add_feed``, after fetching the feed once (unless ``check`` is False).

        A URL that gives no readable feed raises FeedCheckFailed with the reason (not found,
        not a feed, timed out...) and nothing is stored. Without a name, the feed is named by
        its own title. Untrusted feeds are fetched with the same address guard as polls.
        """
        new = await self._new_feed(
            url, name=name, guild_id=guild_id, trusted=trusted, companies=companies
        )
        preview = None
        if check:
            if self._checker is None:
                raise RuntimeError("NewsService was built without a feed checker")
            preview = await self._checker.check(
                new.url, allow_private=trusted or self._allow_private
            )
        title_name = name_from_title(preview.title) if preview and not name else None
        if title_name:
            new = dataclasses.replace(new, name=title_name)
        # A feed added by someone else during the fetch: storage raises DuplicateFeed.
        return AddedFeed(await self._feeds.add(new, self._clock.now()), preview)

    async def _new_feed(
        self,
        url: str,
        *,
        name: str | None,
        guild_id: int | None,
        trusted: bool,
        companies: Sequence[str] = (),
        max_items_per_poll: int | None = None,
    ) -> NewFeed:
        """The feed to store, once the URL, limits, address, companies and name are valid."""
        normalized = normalize_feed_url(url)
        if guild_id is not None:
            own = [f for f in await self._feeds.list_feeds(guild_id) if f.guild_id == guild_id]
            if len(own) >= self._max_guild_feeds:
                raise LimitReached(
                    f"This server has {len(own)} feeds of its own, the most allowed. "
                    "Remove one with /feeds remove first."
                )
        if not trusted and not self._allow_private:
            await self._check_url(normalized)
        company_ids = tuple(dict.fromkeys(self.resolve_company(c).id for c in companies))
        clean_name = clean_feed_name(name) or default_feed_name(normalized)
        if await self._feeds.by_url(normalized, guild_id) is not None:
            raise DuplicateFeed(f"{normalized} is already in the feed list.")
        return NewFeed(
            url=normalized,
            name=clean_name,
            guild_id=guild_id,
            trusted=trusted,
            companies=company_ids,
            max_items_per_poll=max_items_per_poll,
        )

    async def find_feed(
        self, ref: str, *, guild_id: int | None = None, all_guilds: bool = False
    ) -> Feed:
        """A feed by id, URL or name (case-insensitive), among the feeds visible in scope."""
        return await self._queries.find_feed(ref, guild_id=guild_id, all_guilds=all_guilds)

    async def list_feeds(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[Feed]:
        """The feeds visible in scope, with their health."""
        return await self._feeds.list_feeds(guild_id, all_guilds=all_guilds)

    async def remove_feed(
        self, ref: str, *, guild_id: int | None = None, all_guilds: bool = False
    ) -> Feed:
        """Remove a feed and the items it brought."""
        feed = await self.find_feed(ref, guild_id=guild_id, all_guilds=all_guilds)
        await self._feeds.remove(feed.id)
        return feed

    async def set_feed_enabled(
        self, ref: str, enabled: bool, *, guild_id: int | None = None, all_guilds: bool = False
    ) -> Feed:
        """Enable or disable a feed; enabling clears its error state and makes it due now."""
        feed = await self.find_feed(ref, guild_id=guild_id, all_guilds=all_guilds)
        reason = None if enabled else "disabled by an admin"
        return await self._feeds.set_enabled(feed.id, enabled, reason)

    async def import_opml(self, document: bytes) -> ImportReport:
        """Add every feed of an OPML file to the shared catalogue; skip (saying why) the rest."""
        added: list[Feed] = []
        skipped: list[tuple[str, str]] = []
        for entry in parse_opml(document):
            try:
                added.append(await self.add_feed(entry.url, name=entry.title))
            except UserError as exc:
                skipped.append((entry.url, str(exc)))
        return ImportReport(tuple(added), tuple(skipped))

    async def export_opml(self) -> str:
        """The shared catalogue as an OPML document."""
        feeds = [f for f in await self._feeds.list_feeds() if f.guild_id is None]
        return render_opml(feeds, title="Shopwire feeds", now=self._clock.now())

    # Items -----------------------------------------------------------------------------

    async def latest(
        self,
        *,
        company: str | None = None,
        feed: str | None = None,
        limit: int = 10,
        guild_id: int | None = None,
        all_guilds: bool = False,
        topic: str | None = None,
        collapse: bool = True,
    ) -> ItemPage:
        """``ItemQueries.latest``: the CLI's read path calls it without this service."""
        return await self._queries.latest(
            company=company,
            feed=feed,
            limit=limit,
            guild_id=guild_id,
            all_guilds=all_guilds,
            topic=topic,
            collapse=collapse,
        )

    async def search(
        self,
        text: str,
        *,
        company: str | None = None,
        feed: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        limit: int = 10,
        offset: int = 0,
        guild_id: int | None = None,
        all_guilds: bool = False,
        topic: str | None = None,
        collapse: bool = True,
    ) -> ItemPage:
        """``ItemQueries.search``: the CLI's read path calls it without this service."""
        return await self._queries.search(
            text,
            company=company,
            feed=feed,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            guild_id=guild_id,
            all_guilds=all_guilds,
            topic=topic,
            collapse=collapse,
        )

    # Polling ---------------------------------------------------------------------------

    async def poll(
        self, *, include_not_due: bool = False, progress: ProgressCallback | None = None
    ) -> list[UpdateReport]:
        """Poll due feeds (or all enabled feeds) once, then group what came in into stories."""
        reports = await self._updater.update_due(include_not_due=include_not_due, progress=progress)
        if self._after_poll is not None:
            await self._after_poll()
        return reports

    async def due_feeds(self) -> list[Feed]:
        """Feeds whose next poll time has come."""
        return await self._feeds.due(self._clock.now())

    async def feed_counts(self) -> tuple[int, int]:
        """(feeds, items) stored, for start-up logs and status."""
        return await self._queries.feed_counts()

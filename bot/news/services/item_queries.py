"""ItemQueries: reading stored items (latest, search) and the names users filter them by.

What ``shopwire latest`` and ``search`` need, and nothing else: NewsService answers the same
questions through one of these, so the read-only CLI can run them without loading the polling,
OPML or feed-checking code NewsService also holds. User mistakes raise ``UserError``
subclasses with a message fit to show as is.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.news.model.errors import FeedNotFound, UnknownCompany, UserError
from bot.news.model.vocabulary import Company, Feed, ItemPage, LatestRequest, SearchRequest
from bot.news.rules.name_lookup import resolve_or_explain
from bot.news.rules.search_query import parse_query

if TYPE_CHECKING:  # the topic table is imported with the tagger, only when a topic is asked for
    from bot.news.ports import (
        Clock,
        CompanyDirectory,
        FeedRepository,
        ItemRepository,
        TopicDirectory,
    )
    from bot.news.tagging.topics import Topic

MAX_PAGE = 100


class ItemQueries:
    """The newest items and full-text search, filtered by company, feed or topic."""

    def __init__(
        self,
        *,
        feeds: FeedRepository,
        items: ItemRepository,
        companies: CompanyDirectory,
        clock: Clock,
        topics: TopicDirectory | None = None,
    ) -> None:
        self._feeds = feeds
        self._items = items
        self._companies = companies
        self._clock = clock
        # Optional so that front ends and tests that never filter by topic need not build one;
        # asking for a topic without it is a programming error, not a user's.
        self._topics = topics

    def resolve_company(self, text: str) -> Company:
        """The company a user means by ``text``; UnknownCompany lists close names."""
        return resolve_or_explain(self._companies, text, "company", UnknownCompany)

    def resolve_topic(self, text: str) -> Topic:
        """The topic a user means by ``text`` (id or name); a UserError names close ones."""
        if self._topics is None:
            raise RuntimeError("ItemQueries was built without a topic directory")
        return resolve_or_explain(self._topics, text, "topic")

    async def find_feed(
        self, ref: str, *, guild_id: int | None = None, all_guilds: bool = False
    ) -> Feed:
        """A feed by id, URL or name (case-insensitive), among the feeds visible in scope."""
        feeds = await self._feeds.list_feeds(guild_id, all_guilds=all_guilds)
        text = ref.strip()
        if text.isdigit():
            for feed in feeds:
                if feed.id == int(text):
                    return feed
        for feed in feeds:
            if feed.url == text:
                return feed
        named = [f for f in feeds if f.name.casefold() == text.casefold()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            ids = ", ".join(str(f.id) for f in named)
            raise FeedNotFound(f"Several feeds are named {text!r} (ids {ids}); use the id.")
        raise FeedNotFound(f"No feed {text!r}: give its id, URL or exact name (see `feeds list`).")

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
        """The newest items, optionally of one company, one feed or one topic.

        ``collapse`` (the default) shows each story once, by its newest item, with how many
        other sources reported it (``ItemPage.hits``); False lists every item.
        """
        return await self._items.latest(
            LatestRequest(
                company=self.resolve_company(company).id if company else None,
                feed_id=await self._feed_id(feed, guild_id, all_guilds),
                limit=_page_size(limit),
                guild_id=guild_id,
                all_guilds=all_guilds,
                topic=self.resolve_topic(topic).id if topic else None,
                collapse=collapse,
            )
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
        """Full-text search of stored items, most relevant and recent first.

        ``collapse`` (the default) shows each story once, by its best-ranked item, with how
        many other sources reported it (``ItemPage.hits``); ``offset`` then counts stories.
        False lists every item.
        """
        query = parse_query(text)
        now = self._clock.now()
        return await self._items.search(
            SearchRequest(
                text=text,
                company=self.resolve_company(company).id if company else None,
                feed_id=await self._feed_id(feed, guild_id, all_guilds),
                since=_moment(since, now),
                until=_moment(until, now),
                limit=_page_size(limit),
                offset=max(0, offset),
                guild_id=guild_id,
                all_guilds=all_guilds,
                topic=self.resolve_topic(topic).id if topic else None,
                collapse=collapse,
            ),
            query,
        )

    async def feed_counts(self) -> tuple[int, int]:
        """(feeds, items) stored, for start-up logs and status."""
        return await self._feeds.count(), await self._items.count()

    async def _feed_id(self, ref: str | None, guild_id: int | None, all_guilds: bool) -> int | None:
        if not ref:
            return None
        return (await self.find_feed(ref, guild_id=guild_id, all_guilds=all_guilds)).id


def _page_size(limit: int) -> int:
    if limit < 1 or limit > MAX_PAGE:
        raise UserError(f"The number of items must be between 1 and {MAX_PAGE}.")
    return limit


def _moment(value: str | datetime | None, now: datetime) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    # Imported here: its patterns compile only for --since/--until.
    from bot.news.rules.timeparse import parse_since

    return parse_since(value, now) if value.strip() else None

"""The ports the core talks through: storage, fetching, parsing and time.

Storage implements these Protocols (``storage/``); tests may stand fakes beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from bot.news.models import (
    Backlog,
    Company,
    DigestEntry,
    DigestState,
    Feed,
    FeedPollResult,
    FetchResult,
    Item,
    ItemPage,
    LatestRequest,
    NewFeed,
    NewSubscription,
    OutboxEntry,
    ParsedFeed,
    PostResult,
    SearchQuery,
    SearchRequest,
    StoryRecord,
    Subscription,
)
from bot.news.stories import PreparedItem, StoryItem, StoryMerge, StorySummary
from bot.news.topics import Topic


class Clock(Protocol):
    """Where "now" comes from (an aware UTC datetime)."""

    def now(self) -> datetime: ...


class FeedRepository(Protocol):
    """Stored feeds and their polling state."""

    async def add(self, feed: NewFeed, now: datetime) -> Feed:
        """Store a new feed; raises DuplicateFeed if its URL is already stored in that scope."""
        ...

    async def get(self, feed_id: int) -> Feed | None: ...

    async def by_url(self, url: str, guild_id: int | None) -> Feed | None: ...

    async def list_feeds(
        self, guild_id: int | None = None, *, all_guilds: bool = False
    ) -> list[Feed]:
        """Shared feeds plus ``guild_id``'s own (or every feed when ``all_guilds``)."""
        ...

    async def due(self, now: datetime) -> list[Feed]:
        """Enabled feeds whose next poll time has come, most overdue first."""
        ...

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> Feed: ...

    async def remove(self, feed_id: int) -> None:
        """Delete a feed and every item it brought."""
        ...

    async def count(self) -> int: ...

    async def body_hash(self, feed_id: int) -> str | None:
        """The fingerprint of the feed's last document parsed successfully
        (``FeedPollResult.body_hash``), or None."""
        ...


class ItemRepository(Protocol):
    """Stored items, their company tags and full-text search."""

    async def register_companies(self, companies: Iterable[Company]) -> None:
        """Store (or rename) the companies items are tagged with, so items show their names."""
        ...

    async def known_hashes(self, feed_id: int, keys: Sequence[str]) -> Mapping[str, str]:
        """Content hash per key for those of ``keys`` already stored for the feed."""
        ...

    async def apply(self, result: FeedPollResult) -> None:
        """Store one feed's poll (items and feed state) in one transaction."""
        ...

    async def latest(self, request: LatestRequest) -> ItemPage: ...

    async def search(self, request: SearchRequest, query: SearchQuery) -> ItemPage:
        """Items matching ``query`` within the request's filters, scope and page.

        The query is the core's parsed value, in no backend's syntax: each backend renders it
        (and the filters) to its own query language, with user text escaped or bound.
        """
        ...

    async def count(self) -> int: ...


class Fetcher(Protocol):
    """Fetches feed documents over HTTP."""

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult: ...


class Parser(Protocol):
    """Turns a fetched document into items, off the event loop.

    ``story_source``: for a feed whose items go into stories, the source name of an item
    without a publisher of its own (the feed's name); a parser that tags items may then also
    read their text for the story clusterer (``ItemTags.story_text``).
    """

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int | None = None,
        story_source: str | None = None,
    ) -> ParsedFeed: ...


class TopicClassifier(Protocol):
    """Finds the topics an item is about (topic ids)."""

    def tag(self, title: str, summary: str = "") -> tuple[str, ...]: ...


class ItemTagger(Protocol):
    """Finds the companies an item is about (company ids)."""

    def tag(
        self, title: str, summary: str = "", publisher: str | None = None
    ) -> tuple[str, ...]: ...


class CompanyDirectory(Protocol):
    """The companies items are tagged with, and what users may call them."""

    def companies(self) -> tuple[Company, ...]: ...

    def resolve(self, text: str) -> Company | None: ...

    def suggest(self, text: str, limit: int = 25) -> tuple[Company, ...]: ...


class TopicDirectory(Protocol):
    """The topics items are tagged with, and what users may call them."""

    def resolve(self, text: str) -> Topic | None: ...

    def suggest(self, text: str, limit: int = 25) -> tuple[Topic, ...]: ...

    def topic(self, topic_id: str) -> Topic | None: ...


class MetaStore(Protocol):
    """A small key/value store for the process's own bookkeeping."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class SubscriptionRepository(Protocol):
    """Channels' standing orders for news."""

    async def add(self, subscription: NewSubscription, now: datetime) -> Subscription: ...

    async def get(self, subscription_id: int) -> Subscription | None: ...

    async def list_for_guild(self, guild_id: int) -> list[Subscription]: ...

    async def list_all(self) -> list[Subscription]:
        """Every subscription, paused ones included (their posts wait in the outbox)."""
        ...

    async def remove(self, subscription_id: int) -> None:
        """Delete a subscription; its undelivered posts are dropped with it."""
        ...

    async def pause(self, subscription_id: int, reason: str, now: datetime) -> None: ...

    async def resume(self, subscription_id: int) -> None: ...

    async def count_for_guild(self, guild_id: int) -> int: ...


class OutboxRepository(Protocol):
    """Posts waiting for delivery, and the record of those delivered (the delivery log).

    A (subscription, item) pair has one row ever, so nothing is posted twice.
    """

    async def due(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Pending posts of unpaused subscriptions none of whose posts waits for a retry
        (a channel in backoff waits as a whole, so its posts stay in order), oldest item
        first within each channel; ``limit`` is shared round-robin between subscriptions, so
        a flood in one never leaves another's posts out."""
        ...

    async def mark_sent(self, entry_id: int, message_id: int, now: datetime) -> None: ...

    async def mark_retry(self, entry_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def mark_overflow(self, entry_ids: Sequence[int]) -> None: ...

    async def mark_dropped(self, entry_ids: Sequence[int], reason: str) -> None: ...

    async def pending_count(self, subscription_id: int) -> int: ...

    async def compose_roundups(self, roundups: Sequence[tuple[str, Sequence[int]]]) -> None:
        """Record which pending posts go in which roundup (by its nonce), before posting it."""
        ...

    async def roundup_entries(
        self, subscription_id: int, nonce: str, now: datetime
    ) -> list[OutboxEntry]:
        """Every pending post of one roundup, in order."""
        ...


class DigestRepository(Protocol):
    """Digests planned, posted and skipped: one row per (subscription, period start), ever."""

    async def plan(
        self, subscription_id: int, period_start: datetime, period_end: datetime, now: datetime
    ) -> bool:
        """Queue the digest of a period unless it exists; True when it was queued now."""
        ...

    async def due(self, now: datetime, limit: int) -> list[DigestEntry]:
        """Pending digests of unpaused subscriptions whose retry time (if any) has come,
        oldest period first."""
        ...

    async def mark_sent(self, digest_id: int, message_id: int, now: datetime) -> None: ...

    async def mark_retry(self, digest_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def finish(self, digest_id: int, state: DigestState, reason: str | None) -> None:
        """End a pending digest without posting it (empty, dropped)."""
        ...

    async def latest(self, subscription_id: int) -> DigestEntry | None:
        """The digest of the subscription's most recent period, whatever its state."""
        ...


class GuildSettingsRepository(Protocol):
    """Per-server settings (the time zone digests are scheduled in)."""

    async def timezone(self, guild_id: int) -> str | None: ...

    async def set_timezone(self, guild_id: int, timezone: str, now: datetime) -> None: ...

    async def timezones(self) -> list[tuple[int, str]]:
        """Every server's time zone that was set (servers left out use UTC)."""
        ...


class DeliveryHistory(Protocol):
    """What was delivered of an item, read for explanations and previews (one server's view:
    items of the shared feeds and of that server's own, its subscriptions only)."""

    async def items_by_link(self, guild_id: int, links: Sequence[str]) -> list[Item]:
        """Items the server can see whose link is one of ``links``, first stored first."""
        ...

    async def item(self, guild_id: int, item_id: int) -> Item | None:
        """One item with its companies and topics, if the server can see it."""
        ...

    async def posts_of_item(self, guild_id: int, item_id: int) -> list[OutboxEntry]:
        """The outbox rows of the item for the server's subscriptions, whatever their state."""
        ...

    async def digests_covering(self, guild_id: int, moment: datetime) -> list[DigestEntry]:
        """The server's digests whose period holds ``moment``."""
        ...

    async def recent_items(self, guild_id: int, since: datetime, limit: int) -> list[Item]:
        """Items the server can see first stored at or after ``since``, newest first, at most
        ``limit``, with their companies and topics."""
        ...


class Publisher(Protocol):
    """Posts to chat channels (Discord, in production)."""

    async def post_item(self, channel_id: int, item: Item, nonce: str) -> PostResult:
        """Post one item; the same nonce never makes a second message."""
        ...

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult: ...

    async def post_roundup(
        self, channel_id: int, items: Sequence[Item], waiting: int, nonce: str
    ) -> PostResult:
        """Post several items as one message of linked headlines (the overflow of a flood);
        ``waiting`` more are still queued for the channel."""
        ...

    def missing_permissions(self, channel_id: int) -> str | None:
        """Why the bot cannot post in a channel now (None: it can)."""
        ...


class StoryRepository(Protocol):
    """Stories (clusters of items about one event) of the shared catalogue."""

    async def unassigned(self, limit: int, *, since: datetime | None = None) -> list[StoryItem]: ...

    async def held(self, since: datetime) -> list[PreparedItem]: ...

    async def unprepared(
        self, since: datetime, *, also: Sequence[int] = ()
    ) -> list[tuple[StoryItem, int]]: ...

    async def max_story_id(self) -> int: ...

    async def reserve_story_ids(self, count: int) -> int:
        """The first of ``count`` consecutive story ids that were never given out, recorded
        before it returns: two processes placing stories never get the same id, and an id is
        never reused, even when its story was merged or never saved."""
        ...

    async def story_items(
        self, story_ids: Sequence[int], *, limit: int | None = None
    ) -> dict[int, list[StoryItem]]: ...

    async def resolve(self, story_id: int) -> int: ...

    async def save(
        self,
        assignments: Sequence[tuple[int, int]],
        summaries: Sequence[StorySummary],
        now: datetime,
        *,
        merges: Sequence[StoryMerge] = (),
        prepared: Mapping[int, str] | None = None,
    ) -> None: ...

    async def top_stories(
        self,
        since: datetime,
        until: datetime,
        company: str | None,
        topic: str | None,
        limit: int,
        *,
        companies: Sequence[str] = (),
        topics: Sequence[str] = (),
        offset: int = 0,
    ) -> list[StoryRecord]: ...

    async def company_counts(
        self, since: datetime, until: datetime
    ) -> list[tuple[Company, int]]: ...

    async def daily_story_counts(
        self, since: datetime, until: datetime, companies: Sequence[str] | None
    ) -> list[tuple[str, date, int]]: ...

    async def period_titles(
        self, since: datetime, until: datetime, company: str | None
    ) -> list[str]: ...


class BacklogReader(Protocol):
    """Figures on work waiting (metrics); also the cheap query that says the database answers."""

    async def backlog(self, now: datetime, stories_since: datetime) -> Backlog:
        """Feeds due and failing at ``now``, the outbox's backlog, and the oldest item first
        seen at or after ``stories_since`` that is in no story yet."""
        ...


class Storage(Protocol):
    """One open database: every repository the app uses, and closing it.

    Opened from the ``db`` setting by ``storage.open_storage``; only the composition root
    (``bot/app.py``) opens it and hands its repositories to the services.
    """

    @property
    def created(self) -> bool:
        """True when opening created the database (a new database gets the catalogue)."""
        ...

    @property
    def feeds(self) -> FeedRepository: ...

    @property
    def items(self) -> ItemRepository: ...

    @property
    def meta(self) -> MetaStore: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def stories(self) -> StoryRepository: ...

    @property
    def digests(self) -> DigestRepository: ...

    @property
    def guild_settings(self) -> GuildSettingsRepository: ...

    @property
    def backlog(self) -> BacklogReader: ...

    @property
    def history(self) -> DeliveryHistory: ...

    async def close(self) -> None:
        """Close the database after the write in flight, if any."""
        ...

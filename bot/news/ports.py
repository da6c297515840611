"""The ports the core talks through: storage, fetching, parsing and time.

Storage implements these Protocols (``storage/``); tests may stand fakes beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    DEFAULT_POST_FORMAT,
    Backlog,
    Company,
    DigestEntry,
    DigestState,
    EditState,
    Feed,
    FeedPollResult,
    FetchResult,
    FollowKind,
    FollowRole,
    Item,
    ItemPage,
    LatestRequest,
    NewFeed,
    NewSubscription,
    NotFoundStrikes,
    OutboxEntry,
    ParsedFeed,
    PostFormat,
    PostLayout,
    PostResult,
    PublishState,
    SearchQuery,
    SearchRequest,
    Shards,
    StoryRecord,
    StoryThread,
    Subscription,
)

if TYPE_CHECKING:  # annotations only: `shopwire latest` loads neither the topic table nor stories
    from bot.news.stories import PreparedItem, StoryItem, StoryMerge, StorySummary
    from bot.news.tagging.topics import Topic


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

    async def due(
        self, now: datetime, limit: int | None = None, skip: Iterable[int] = ()
    ) -> list[Feed]:
        """Enabled feeds whose next poll time has come, most overdue first, leaving out the
        ids in ``skip``; the first ``limit`` of them when given."""
        ...

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Feed]:
        """Due feeds that nobody holds a live lease on, at most ``limit``, most overdue first,
        each leased to ``owner`` until ``now + lease`` in the same statement: two pollers never
        get the same feed, and a dead poller's feeds are taken over once its leases expire."""
        ...

    async def release_leases(self, owner: str) -> None:
        """Give up every lease ``owner`` holds (a poller stopping): its feeds are free at once."""
        ...

    async def set_enabled(self, feed_id: int, enabled: bool, reason: str | None = None) -> Feed: ...

    async def notices_owed(self, shards: Shards = ALL_SHARDS) -> list[Feed]:
        """Servers' own feeds that polling disabled (in the poll's transaction) and whose server
        was not told yet, of guilds on ``shards``; enabling a feed again clears its notice."""
        ...

    async def notice_given(self, feed_id: int) -> None:
        """The notice about the feed was posted (or has nobody to read it): owed no more."""
        ...

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

    async def recent_hashes(self, feed_id: int, limit: int) -> Mapping[str, str]:
        """Content hash per key of the feed's ``limit`` newest stored items (by published)."""
        ...

    async def apply(self, result: FeedPollResult) -> None:
        """Store one feed's poll (items and feed state) in one transaction.

        With ``result.lease_owner``, only while that owner holds the feed's lease at
        ``result.polled_at`` (checked in the same transaction, which then frees the lease);
        otherwise nothing is stored and ``LeaseLost`` is raised."""
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

    ``stored_hashes``: the content hash of items the feed already has stored, by key (a hint,
    ``ItemRepository.recent_hashes``); a parser that tags items may leave those whose hash is
    the same untagged (``ParsedFeed.tags`` None for them): nothing of theirs is stored again.
    """

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int | None = None,
        story_source: str | None = None,
        stored_hashes: Mapping[str, str] | None = None,
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

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> int:
        """Pause a subscription for good with ``reason`` (which begins with
        ``DISABLED_MARK``), forget its 404 strikes and drop its pending posts and digests with
        that reason, in one transaction; how many posts and digests were dropped."""
        ...

    async def strike_not_found(self, subscription_id: int, now: datetime) -> NotFoundStrikes | None:
        """Count one more 404 of the subscription's channel at ``now`` (the first sets when
        they began) and return the strikes; None when the subscription does not exist."""
        ...

    async def clear_not_found(self, subscription_id: int) -> None:
        """Forget the subscription's 404 strikes (its channel took a post)."""
        ...

    async def set_post_format(self, subscription_id: int, post_format: PostFormat) -> None:
        """Change how a subscription's posts look and whom they ping, from the next post on."""
        ...

    async def set_layout(self, subscription_id: int, layout: PostLayout, publish: bool) -> None:
        """Change where a subscription's posts go (messages, threads by story, forum posts)
        and whether they are published, from the next post on."""
        ...

    async def count_for_guild(self, guild_id: int) -> int: ...


class OutboxRepository(Protocol):
    """Posts waiting for delivery, and the record of those delivered (the delivery log).

    A (subscription, item) pair has one row ever, so nothing is posted twice.
    """

    async def due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Pending posts of unpaused subscriptions none of whose posts waits for a retry
        (a channel in backoff waits as a whole, so its posts stay in order), oldest item
        first within each channel; ``limit`` is shared round-robin between subscriptions, so
        a flood in one never leaves another's posts out. Only subscriptions of guilds on
        ``shards`` (a process serving some of Discord's shards)."""
        ...

    async def mark_sent(
        self, entry_id: int, message_id: int, now: datetime, *, thread_id: int | None = None
    ) -> None:
        """Record the post as delivered as ``message_id`` (in thread ``thread_id``, if any);
        a post of a publishing subscription in its channel starts waiting to be published."""
        ...

    async def mark_retry(self, entry_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def mark_overflow(self, entry_ids: Sequence[int], message_id: int | None = None) -> None:
        """Record posts shown in a roundup (its message, when known) instead of posted one by
        one; a publishing subscription's roundup then waits to be published once."""
        ...

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


class StoryThreadRepository(Protocol):
    """The threads (forum posts, threads on a story's first message) subscriptions opened."""

    async def for_story(self, subscription_id: int, story_id: int) -> StoryThread | None:
        """The subscription's posted thread of a story, or of a story merged into it."""
        ...

    async def for_entry(self, outbox_id: int) -> StoryThread | None:
        """The thread row written for this post as a story's first, if any."""
        ...

    async def start(
        self, entry: OutboxEntry, story_id: int | None, title: str, now: datetime
    ) -> StoryThread:
        """Write a story's thread row for ``entry`` before its first message is posted."""
        ...

    async def record_first(
        self,
        story_thread_id: int,
        entry_id: int,
        message_id: int,
        thread_id: int | None,
        now: datetime,
    ) -> None:
        """In one transaction: the story's first message (and forum post) on its thread row,
        and its post sent."""
        ...

    async def record_thread(self, story_thread_id: int, thread_id: int) -> None:
        """The thread opened on a story's first message."""
        ...

    async def retitle(self, story_thread_id: int, title: str) -> None:
        """The title a thread not opened yet will take (its first item was corrected)."""
        ...

    async def forget(self, story_thread_id: int) -> None:
        """Drop a thread row whose message is gone in Discord (the story starts again)."""
        ...

    async def thread_ids(self, subscription_id: int) -> set[int]:
        """The threads already recorded for a subscription."""
        ...


class FollowUpRepository(Protocol):
    """What is owed to posts already sent: edits of corrected items, and publishing."""

    async def edits_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts whose item changed and whose edit's time has come; only those of
        guilds on ``shards``."""
        ...

    async def finish_edit(self, entry_id: int, state: EditState) -> None: ...

    async def edit_later(self, entry_id: int, at: datetime) -> None: ...

    async def publishing_due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Sent posts waiting to be published whose time has come, oldest first; only those
        of guilds on ``shards``."""
        ...

    async def finish_publishing(self, entry_id: int, state: PublishState) -> None: ...

    async def publish_later(self, entry_id: int, at: datetime) -> None: ...

    async def waiting_to_publish(self, subscription_id: int) -> int:
        """How many of a subscription's messages (posts, roundups, digests) wait to be
        published."""
        ...


class DigestRepository(Protocol):
    """Digests planned, posted and skipped: one row per (subscription, period start), ever."""

    async def plan(
        self, subscription_id: int, period_start: datetime, period_end: datetime, now: datetime
    ) -> bool:
        """Queue the digest of a period unless it exists; True when it was queued now."""
        ...

    async def due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[DigestEntry]:
        """Pending digests of unpaused subscriptions whose retry time (if any) has come,
        oldest period first; only subscriptions of guilds on ``shards``."""
        ...

    async def mark_sent(
        self,
        digest_id: int,
        message_id: int,
        now: datetime,
        covered_until: datetime | None = None,
        shown: Sequence[int] = (),
    ) -> None:
        """Record the digest as posted; ``covered_until``: from when a story is new to the
        next digest (its late reports); ``shown``: the stories it showed."""
        ...

    async def record_reading(
        self, digest_id: int, covered_until: datetime, shown: Sequence[int]
    ) -> None:
        """Keep, on a pending digest about to be posted, what its summary covered (as
        ``mark_sent`` does): a retry answered with this try's message must know it."""
        ...

    async def mark_retry(self, digest_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def finish(
        self,
        digest_id: int,
        state: DigestState,
        reason: str | None,
        covered_until: datetime | None = None,
    ) -> None:
        """End a pending digest without posting it (empty, dropped)."""
        ...

    async def publishing_due(self, now: datetime, limit: int) -> list[DigestEntry]:
        """Posted digests of publishing subscriptions waiting to be published whose time has
        come, oldest first (the same queue as the posts, ``FollowUpRepository``)."""
        ...

    async def finish_publishing(self, digest_id: int, state: PublishState) -> None: ...

    async def publish_later(self, digest_id: int, at: datetime) -> None: ...

    async def before(self, subscription_id: int, period_start: datetime) -> DigestEntry | None:
        """The subscription's digest whose period ends at ``period_start`` (the one before
        a period's), whatever its state; None when there is none."""
        ...

    async def last_read(self, subscription_id: int, period_start: datetime) -> DigestEntry | None:
        """The subscription's latest digest whose summary was read (sent, or found empty)
        among those whose period ends by ``period_start``; None when there is none."""
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


class FollowRoleRepository(Protocol):
    """The roles members may give themselves with /follow, per server."""

    async def set(self, role: FollowRole, now: datetime) -> None:
        """Store the role for its company or topic, replacing the one set before."""
        ...

    async def remove(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None:
        """Remove the role of a company or topic; the removed one, or None if none was set."""
        ...

    async def get(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None: ...

    async def list_for_guild(self, guild_id: int) -> list[FollowRole]:
        """A server's follow roles, companies first, then topics, each by id."""
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

    async def post_item(
        self, channel_id: int, item: Item, nonce: str, post_format: PostFormat = DEFAULT_POST_FORMAT
    ) -> PostResult:
        """Post one item in the subscription's style, pinging only its role; the same nonce
        never makes a second message."""
        ...

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult: ...

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        """Post several items as one message of linked headlines (the overflow of a flood);
        ``waiting`` more are still queued for the channel."""
        ...

    def missing_permissions(self, channel_id: int) -> str | None:
        """Why the bot cannot post in a channel now (None: it can)."""
        ...


class StoryPublisher(Publisher, Protocol):
    """What posting by story (forums, threads), editing and publishing need of the chat."""

    async def post_forum(
        self, channel_id: int, title: str, item: Item, post_format: PostFormat
    ) -> PostResult:
        """Open a forum post titled ``title`` with the item as its first message, tagged with
        the forum's tags for its companies and topics; the result carries the thread's id.
        Discord has no nonce for this: a repeat makes a second post."""
        ...

    async def find_forum_post(
        self, channel_id: int, title: str, since: datetime, known: set[int]
    ) -> PostResult:
        """Look for a forum post of the bot's titled ``title``, opened at or after ``since`` and
        not one of ``known``: SENT with its id, NOT_FOUND if there is none, or a failure."""
        ...

    async def open_thread(self, channel_id: int, message_id: int, title: str) -> PostResult:
        """Start a thread on a message (the same thread again if one exists)."""
        ...

    async def post_in_thread(
        self, thread_id: int, item: Item, note: str, nonce: str, post_format: PostFormat
    ) -> PostResult:
        """Post an item in a thread with a short ``note`` above it."""
        ...

    async def edit_item(
        self, channel_id: int, message_id: int, item: Item, note: str, post_format: PostFormat
    ) -> PostResult:
        """Rewrite a posted item's message with the item as it is now; pings nobody anew."""
        ...

    async def rename_thread(self, thread_id: int, title: str) -> PostResult:
        """Give a thread (a forum post) another title, within Discord's 100 characters."""
        ...

    async def crosspost(self, channel_id: int, message_id: int) -> PostResult:
        """Publish a message of an announcement channel to the channels following it
        (RETRY with ``retry_after`` past Discord's publish limit)."""
        ...


class StoryRepository(Protocol):
    """Stories (clusters of items about one event) of the shared catalogue."""

    async def unassigned(
        self, limit: int, *, since: datetime | None = None, besides: Sequence[int] = ()
    ) -> list[StoryItem]:
        """Up to ``limit`` shared items not placed in a story yet, oldest first seen first;
        ``besides`` names items to leave out (those being placed, not stored yet)."""
        ...

    async def unplaced_published(self, since: datetime, until: datetime) -> bool:
        """Whether a shared item published in ``[since, until)`` is not placed in a story yet
        (whenever it was first seen: a feed's late item keeps its earlier date)."""
        ...

    async def oldest_unplaced(self, since: datetime, until: datetime) -> datetime | None:
        """The earliest ``first_seen`` of the shared items published in ``[since, until)``
        (and first seen since ``since``) not placed in a story yet; None when there is none."""
        ...

    async def held(self, since: datetime) -> list[PreparedItem]: ...

    async def placed(self, since: datetime) -> list[tuple[int, int]]:
        """(item id, story id) of every shared item placed and published at or after
        ``since``: what a restored clusterer state must agree with."""
        ...

    async def clusterer_state(self) -> bytes | None:
        """The clusterer state saved last (``save_clusterer_state``), if any."""
        ...

    async def save_clusterer_state(self, data: bytes, now: datetime) -> None:
        """Keep ``data`` (``stories.snapshot``) as the clusterer's state."""
        ...

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
        company: str | None = None,
        topic: str | None = None,
        limit: int = 10,
        *,
        companies: Sequence[str] = (),
        topics: Sequence[str] = (),
        offset: int = 0,
        new_since: datetime | None = None,
    ) -> list[StoryRecord]:
        """The period's biggest stories; with ``new_since``, only those none of whose items
        was first seen before it (stories that did not exist then)."""
        ...

    async def company_counts(
        self, since: datetime, until: datetime
    ) -> list[tuple[Company, int]]: ...

    async def daily_story_counts(
        self, since: datetime, until: datetime, companies: Sequence[str] | None
    ) -> list[tuple[str, date, int]]: ...

    async def period_titles(
        self, since: datetime, until: datetime, company: str | None = None
    ) -> list[str]: ...


class BacklogReader(Protocol):
    """Figures on work waiting (metrics); also the cheap query that says the database answers."""

    async def backlog(
        self, now: datetime, stories_since: datetime, shards: Shards = ALL_SHARDS
    ) -> Backlog:
        """Feeds due and failing at ``now``, the outbox's backlog (of the guilds on ``shards``:
        a sharded gateway's own), and the oldest item first seen at or after
        ``stories_since`` that is in no story yet."""
        ...


class DeliveryClaims(Protocol):
    """Which process posts for a subscription's channel now (several gateways): a claim is a
    lease on the subscription, so two deliverers never post for one channel at once (the
    fixed nonce of each post stays the backstop should a lease run out mid-post)."""

    async def claim(
        self, subscription_id: int, entry_ids: Sequence[int], now: datetime
    ) -> set[int] | None:
        """Claim the subscription's delivery unless another process holds a live claim on it:
        None when not claimed; else which of ``entry_ids`` are still pending (another
        deliverer may have sent some since they were read)."""
        ...

    async def release(self, subscription_id: int) -> None:
        """End this process's claim on the subscription's delivery."""
        ...


class IdentifyLocks(Protocol):
    """Turns to IDENTIFY on Discord's gateway, shared by every process of one bot.

    Discord lets a bot start ``max_concurrency`` sessions per 5 s, one per bucket
    (``shard_id % max_concurrency``); an IDENTIFY over that is refused. A process holds the
    bucket's turn while it identifies and for the window after it.
    """

    async def hold(self, bucket: int, seconds: float) -> None:
        """Return once this process has the bucket's turn; the turn passes on ``seconds``
        later by itself (the caller identifies at once)."""
        ...

    async def close(self) -> None:
        """Give back every turn still held and close what holds them."""
        ...


class Coordination(Protocol):
    """What processes sharing one database tell each other (several processes: PostgreSQL).

    One of them leads: it runs what must run in one process at a time (story assignment,
    digests); another takes over when the leader's connection ends. Pollers announce queued
    posts, and every gateway's deliverer is woken by the announcement (the tick stays as the
    fallback for one lost on the way).
    """

    async def lead(self) -> bool:
        """Whether this process leads now: it becomes the leader when nobody is, and stays it
        while its hold lasts (False once it is lost; a later call may win it back)."""
        ...

    async def announce_posts(self) -> None:
        """Tell the other processes that posts were queued for delivery."""
        ...

    def delivery_claims(self, owner: str, lease: timedelta) -> DeliveryClaims:
        """Claims on subscriptions' delivery in ``owner``'s name, each held for ``lease``."""
        ...

    def on_posts(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever another process announces queued posts (from now on)."""
        ...

    async def hold_shards(self, shards: Shards) -> tuple[int, ...]:
        """Serve ``shards`` in this process alone, for as long as it lives: the ids another
        live process serves (then none is taken, and this process must not connect), or ()
        when every one is now this process's. Delivery claims a dead holder left on their
        guilds' subscriptions are given up, so the new holder posts at once. Raises
        ShardCountMismatch (none taken) when live processes serve another shard count, and
        UnshardedGatewayConflict (none taken) when a live process serves every guild unsharded."""
        ...

    async def hold_unsharded(self) -> None:
        """Serve every guild in this process alone (one unsharded Discord client), for as long
        as it lives, like ``hold_shards``: UnshardedGatewayConflict (nothing taken) when another
        live process serves any shard or every guild already."""
        ...

    async def shards_lost(self) -> str | None:
        """Return, with the reason, once the hold ``hold_shards`` (or ``hold_unsharded``) took
        has ended (checked at least every few seconds): another process may serve those shards
        from then on. None when ``close`` ended it, or when no shards were held."""
        ...

    async def close(self) -> None:
        """Give up the lead, stop listening and close the connections."""
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

    @property
    def follow_roles(self) -> FollowRoleRepository: ...

    @property
    def story_threads(self) -> StoryThreadRepository: ...

    @property
    def followups(self) -> FollowUpRepository: ...

    async def close(self) -> None:
        """Close the database after the write in flight, if any."""
        ...

"""The core's vocabulary: plain, frozen data that crosses module boundaries.

Only the standard library is imported here. Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


class FeedStatus(enum.StrEnum):
    """The outcome of the most recent poll of a feed, as shown to operators."""

    NEW = "new"  # never polled yet
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class Feed:
    """A stored feed with its polling state.

    ``guild_id`` is None for the shared catalogue (operator feeds, visible everywhere) and a
    Discord server id for a feed private to that server. ``trusted`` feeds were added by the
    operator and may point at private addresses; untrusted ones (added through Discord) may not.
    """

    id: int
    url: str
    name: str
    guild_id: int | None
    trusted: bool
    enabled: bool
    created_at: datetime
    status: FeedStatus = FeedStatus.NEW
    etag: str | None = None
    last_modified: str | None = None
    last_polled: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    next_due: datetime | None = None
    disabled_reason: str | None = None
    max_items_per_poll: int | None = None
    companies: tuple[str, ...] = ()
    item_count: int = 0


@dataclass(frozen=True, slots=True)
class NewFeed:
    """What is needed to add a feed (before it has an id)."""

    url: str
    name: str
    guild_id: int | None = None
    trusted: bool = True
    enabled: bool = True
    max_items_per_poll: int | None = None
    companies: tuple[str, ...] = ()


class FetchOutcome(enum.StrEnum):
    """How one HTTP fetch of a feed ended."""

    OK = "ok"  # a body to parse
    NOT_MODIFIED = "not_modified"  # 304: nothing to do
    GONE = "gone"  # 410: the feed is gone for good, disable it
    RATE_LIMITED = "rate_limited"  # 429/503: wait at least retry_after
    FAILED = "failed"  # anything else: back off


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the fetcher learned from one request chain for a feed URL.

    ``permanent_url`` is set when every redirect in the chain was permanent (301/308) and the
    chain ended at another URL: the stored feed URL should move there.
    """

    outcome: FetchOutcome
    url: str
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    retry_after: timedelta | None = None
    permanent_url: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """An item as parsed from a feed, not stored yet.

    ``key`` is the item's stable identity within its feed (guid, else canonical link, else a
    hash of title and date). ``content_hash`` changes when what a reader sees changes.
    ``published`` is None when the feed gave no usable date.
    """

    key: str
    title: str
    link: str | None
    author: str | None
    published: datetime | None
    summary: str
    image_url: str | None
    categories: tuple[str, ...]
    publisher: str | None  # e.g. Google News' <source>: who really wrote it
    content_hash: str

    def __reduce__(self) -> tuple[type[ItemDraft], tuple[object, ...]]:
        # Parser workers send every item they read back pickled. A slots dataclass pickles its
        # state through Python-level __getstate__/__setstate__ (a dict per object); the
        # constructor's arguments as a tuple cost half as much, pickled and loaded (ingest.py's
        # corpus, 200 replies of 50 items: 0.17 -> 0.09 s of CPU per 10,000 items).
        return (
            ItemDraft,
            (
                self.key,
                self.title,
                self.link,
                self.author,
                self.published,
                self.summary,
                self.image_url,
                self.categories,
                self.publisher,
                self.content_hash,
            ),
        )


@dataclass(frozen=True, slots=True)
class ItemTags:
    """The companies and topics the shipped tables find in one parsed item."""

    companies: tuple[str, ...]
    topics: tuple[str, ...]
    # What the story clusterer reads of its text, read in the worker too (an encoded
    # ``stories.features.TextFeatures``); None when not asked for (a server's own feed).
    story_text: str | None = None

    def __reduce__(self) -> tuple[type[ItemTags], tuple[object, ...]]:
        # Sent back by the parser workers with each item: see ``ItemDraft.__reduce__``.
        return (ItemTags, (self.companies, self.topics, self.story_text))


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The result of parsing one feed document."""

    title: str | None
    link: str | None
    items: tuple[ItemDraft, ...]
    # Set when the document was malformed; items may still have been recovered.
    warning: str | None = None
    # Each item's tags, in ``items`` order, when the parser tagged them (its workers do, off
    # the event loop); None when the updater has to. An item the parser was told is stored
    # unchanged (``Parser.parse(stored_hashes=...)``) has None: storing it is a no-op.
    tags: tuple[ItemTags | None, ...] | None = None

    def __reduce__(self) -> tuple[type[ParsedFeed], tuple[object, ...]]:
        # A parser worker's reply: see ``ItemDraft.__reduce__``.
        return (ParsedFeed, (self.title, self.link, self.items, self.warning, self.tags))


@dataclass(frozen=True, slots=True)
class Company:
    """A company (family) that items are tagged with."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Item:
    """A stored item."""

    id: int
    feed_id: int
    key: str
    title: str
    link: str | None
    source: str  # the publisher if known, else the feed's name
    author: str | None
    published: datetime  # the feed's date, or first_seen when it had none usable
    first_seen: datetime
    updated_at: datetime
    summary: str
    image_url: str | None
    categories: tuple[str, ...]
    companies: tuple[Company, ...]
    content_hash: str
    # True for items stored by a feed's first poll: already seen, never announced.
    backlog: bool = False
    # The topic ids the topic tagger found (sorted), and the story the item belongs to (None
    # until the story clusterer has placed it; private feeds' items are never placed).
    topics: tuple[str, ...] = ()
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """A story (items of the shared catalogue about one event) as one period saw it.

    ``headline`` and ``summary_line`` are the story's, from one of its items; everything else
    is restricted to its items published in the period asked for: ``first_seen``/``last_seen``
    are the earliest and latest of their publication dates, ``item_count`` how many they are,
    ``sources`` their distinct sources (sorted), ``companies`` and ``topics`` what they are
    tagged with, and ``links`` up to three links: the headline's item's first (whenever it was
    published), then the period's newest.
    """

    id: int
    headline: str
    summary_line: str
    first_seen: datetime
    last_seen: datetime
    item_count: int
    sources: tuple[str, ...]
    companies: tuple[Company, ...]
    links: tuple[str, ...]
    topics: tuple[str, ...]


class ItemChange(enum.Enum):
    """What a parsed item means against what is stored."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class TaggedDraft:
    """A parsed item with the company ids the tagger found in it."""

    draft: ItemDraft
    companies: tuple[str, ...]
    topics: tuple[str, ...] = ()
    # Stored with the item for the story clusterer (see ``ItemTags.story_text``).
    story_text: str | None = None


@dataclass(frozen=True, slots=True)
class FeedPollResult:
    """Everything one poll of one feed wants to change, applied in one transaction."""

    feed_id: int
    polled_at: datetime
    status: FeedStatus
    next_due: datetime
    new_items: tuple[TaggedDraft, ...] = ()
    changed_items: tuple[TaggedDraft, ...] = ()
    # First poll of a feed: store items as already seen so nobody gets a backlog flood.
    mark_backlog: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    error_count: int = 0
    disable_reason: str | None = None
    new_url: str | None = None
    # A feed added without a name takes its own title on its first successful poll.
    new_name: str | None = None
    # Posts to queue in the outbox, in the same transaction as the items they refer to.
    planned_posts: tuple[PlannedPost, ...] = ()
    # Set by a successful parse: the document's fingerprint (``feed_updater.document_hash``), kept
    # so that the same document is not parsed again (the one stored before stays when None).
    body_hash: str | None = None
    # Set by a poller that claimed the feed with a lease (several pollers): the result is
    # stored only while this owner still holds the lease, else dropped (``LeaseLost``).
    lease_owner: str | None = None


class UpdateStatus(enum.StrEnum):
    """Per-feed outcome of a poll run, as reported to the operator."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    DISABLED = "disabled"
    # The poll's lease ran out or passed to another poller: its result was not stored.
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What happened to one feed in one poll run."""

    feed_id: int
    feed_name: str
    url: str
    status: UpdateStatus
    new_items: int = 0
    updated_items: int = 0
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search of stored items. ``text`` is whatever the user typed."""

    text: str
    company: str | None = None
    feed_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 10
    offset: int = 0
    # Which private feeds are visible: None = only the shared catalogue; a guild id adds that
    # server's own feeds. ``all_guilds`` is for the operator's CLI only.
    guild_id: int | None = None
    all_guilds: bool = False
    # A topic id (bot/news/tagging/topics.py): only items tagged with it.
    topic: str | None = None
    # Show each story once (its best-ranked item, with ``ItemPage.extra_sources``); offsets
    # then count stories, not items. Items of no story are never collapsed.
    collapse: bool = False


@dataclass(frozen=True, slots=True)
class LatestRequest:
    """A request for the newest items."""

    company: str | None = None
    feed_id: int | None = None
    limit: int = 10
    guild_id: int | None = None
    all_guilds: bool = False
    # A topic id (bot/news/tagging/topics.py): only items tagged with it.
    topic: str | None = None
    # Show each story once (its newest item, with ``ItemPage.extra_sources``).
    collapse: bool = False


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One word or phrase to look for, as the user typed it (``rules.search_query`` cleaned it).

    ``phrase``: typed in double quotes; its words must appear in this order, side by side. A
    word may hold punctuation that splits it for the index ("e-commerce"), and a backend then
    reads it as a phrase of its parts too. ``prefix``: typed with a trailing ``*``; the last
    word matches every word that starts so. The text is data, never syntax: a backend escapes
    or binds it.
    """

    text: str
    phrase: bool = False
    prefix: bool = False

    def shown(self) -> str:
        """The term as a user would type it again (a prefix with its star, no quotes)."""
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Terms typed with ``OR`` between them: an item matches the group if it matches any."""

    terms: tuple[SearchTerm, ...]

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError("an OR group needs at least one term")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A user's search text, parsed (``rules.search_query.parse_query``), in no backend's syntax.

    An item matches when it matches every group of ``all_of`` and none of ``excluded``. The
    filters (company, feed, topic, dates) are not text: they are ``SearchRequest``'s fields.
    Storage renders both to its own query language (``storage/fts.py`` for SQLite's FTS5).
    """

    all_of: tuple[AnyOf, ...]
    excluded: tuple[SearchTerm, ...] = ()

    def __post_init__(self) -> None:
        # "Everything except ..." is no search a full-text index can run from its postings.
        if not self.all_of:
            raise ValueError("a search needs at least one term to look for")

    @property
    def terms(self) -> tuple[str, ...]:
        """The words and phrases looked for, as typed (for display or logs; no exclusions)."""
        return tuple(term.shown() for group in self.all_of for term in group.terms)


@dataclass(frozen=True, slots=True)
class ItemHit:
    """An item of a results page and how many other sources reported its story."""

    item: Item
    extra_sources: int = 0


@dataclass(frozen=True, slots=True)
class ItemPage:
    """A page of items (search or latest) and whether more follow.

    A collapsed page (``collapse`` in the request) shows each story once and has
    ``extra_sources``, one count per item: the distinct sources of the story's other items
    (shared ones; never the item's own source), 0 for an item of no story. An uncollapsed
    page leaves it empty. ``hits`` pairs the two.
    """

    items: tuple[Item, ...]
    has_more: bool = False
    extra_sources: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.extra_sources and len(self.extra_sources) != len(self.items):
            raise ValueError("extra_sources must have one count per item, or none")

    @property
    def hits(self) -> tuple[ItemHit, ...]:
        """The items with their story's other sources (0 each on an uncollapsed page)."""
        counts = self.extra_sources or (0,) * len(self.items)
        return tuple(ItemHit(i, n) for i, n in zip(self.items, counts, strict=True))


def feed_is_due(feed: Feed, now: datetime) -> bool:
    """Whether an enabled feed should be polled at ``now``."""
    return feed.enabled and (feed.next_due is None or feed.next_due <= now)


# Subscriptions and delivery ------------------------------------------------------------------


class SubscriptionMode(enum.StrEnum):
    """How a subscription posts: each item as it arrives, or a digest."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class SubscriptionFilter:
    """Which items a subscription wants. Empty filters match everything.

    ``companies`` are company ids (any of them); ``keywords`` match whole words or phrases in
    the title or summary (any of them); ``exclude`` vetoes an item containing any of its words;
    ``topics`` are topic ids (any of them).
    """

    companies: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


class MessageStyle(enum.StrEnum):
    """How a subscription's posts look: today's embed, one compact line (title linked, the
    source) for busy channels, or the headline and its link (Discord shows the preview)."""

    EMBED = "embed"
    COMPACT = "compact"
    HEADLINE = "headline"


@dataclass(frozen=True, slots=True)
class PostFormat:
    """How a subscription's posts (items, roundups, digests) are written: their style and the
    one role they ping, if any. Feed text never pings; only this role can."""

    style: MessageStyle = MessageStyle.EMBED
    ping_role_id: int | None = None


DEFAULT_POST_FORMAT = PostFormat()
"""Embeds that ping nobody: every subscription's format until an admin chooses another."""


class PostLayout(enum.StrEnum):
    """Where a subscription's posts go: each item a message of its own; a story's later reports
    in a thread on its first message; or one forum post per story, later reports as replies."""

    MESSAGE = "message"
    THREAD = "thread"
    FORUM = "forum"


class EditState(enum.StrEnum):
    """Where an edit owed to a sent post stands (its item was corrected)."""

    PENDING = "pending"
    DONE = "done"
    GONE = "gone"  # the message was deleted in Discord: never posted again
    FAILED = "failed"  # not allowed (403): given up, logged


class PublishState(enum.StrEnum):
    """Where publishing a sent post of an announcement channel stands."""

    WAITING = "waiting"
    PUBLISHED = "published"
    GONE = "gone"  # deleted, or the channel is no announcement channel (any more)


@dataclass(frozen=True, slots=True)
class StoryThread:
    """The thread a subscription opened for one story (or one item in no story).

    A forum post's row exists before the post does (``thread_id`` None until Discord's answer
    is recorded); a thread layout's row is written with its first message and gets its
    ``thread_id`` when a second report opens the thread on that message."""

    id: int
    subscription_id: int
    story_id: int | None
    outbox_id: int
    title: str
    created_at: datetime
    thread_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's standing order for news."""

    id: int
    guild_id: int
    channel_id: int
    filter: SubscriptionFilter
    mode: SubscriptionMode
    created_at: datetime
    created_by: int | None = None
    paused_reason: str | None = None
    paused_at: datetime | None = None
    post_hour: int = 9
    post_format: PostFormat = DEFAULT_POST_FORMAT
    layout: PostLayout = PostLayout.MESSAGE
    # Crosspost each post of an announcement channel to the servers following it.
    publish: bool = False
    # Its channel's 404 answers in a row (None: none since its last success), kept across
    # restarts: a bot restarted often must still disable a deleted channel.
    not_found: NotFoundStrikes | None = None

    @property
    def disabled(self) -> bool:
        """Paused for good (its channel is gone): nothing is queued for it any more, and only
        subscribing again resumes it. Kept in ``paused_reason`` (``DISABLED_MARK`` first) so
        that every place that already skips paused subscriptions skips disabled ones too."""
        return self.paused_reason is not None and self.paused_reason.startswith(DISABLED_MARK)


DISABLED_MARK = "disabled: "
"""How a disabled subscription's ``paused_reason`` begins."""


@dataclass(frozen=True, slots=True)
class NotFoundStrikes:
    """A subscription's channel answering 404 (Unknown Channel), in a row: how many times, the
    first and the last (a success forgets them)."""

    count: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """What is needed to create a subscription."""

    guild_id: int
    channel_id: int
    filter: SubscriptionFilter
    mode: SubscriptionMode = SubscriptionMode.REALTIME
    created_by: int | None = None
    post_hour: int = 9
    post_format: PostFormat = DEFAULT_POST_FORMAT
    layout: PostLayout = PostLayout.MESSAGE
    publish: bool = False


class OutboxState(enum.StrEnum):
    """Where one (subscription, item) post stands."""

    PENDING = "pending"
    SENT = "sent"
    # Over the per-poll cap: announced in an "and N more" line instead of its own post.
    OVERFLOW = "overflow"
    # Too old by the time it could be sent, or its subscription was removed.
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A post waiting for (or done with) delivery to one channel."""

    id: int
    subscription_id: int
    guild_id: int
    channel_id: int
    item: Item
    state: OutboxState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    message_id: int | None = None
    last_error: str | None = None
    # The nonce of the roundup message this post was put in (a flood past the cap), if any.
    roundup: str | None = None
    # The subscription's style and ping, read with the row.
    post_format: PostFormat = DEFAULT_POST_FORMAT
    # The subscription's layout, read with the row; a sent post's thread (None: the channel).
    layout: PostLayout = PostLayout.MESSAGE
    thread_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """At ingest time: this stored-to-be item goes to this subscription."""

    subscription_id: int
    item_key: str


class PostOutcome(enum.StrEnum):
    """How an attempt to post to a channel ended."""

    SENT = "sent"
    RETRY = "retry"  # 5xx, network trouble: try again later
    FORBIDDEN = "forbidden"  # 403: the bot lacks access or permissions there
    NOT_FOUND = "not_found"  # 404: the channel is gone
    # 400: Discord will never take this message as it is (a server's AutoMod blocked its words,
    # a limit): trying it again would hold its channel's later posts back for nothing.
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class PostResult:
    """The result of one post to a channel."""

    outcome: PostOutcome
    message_id: int | None = None
    error: str | None = None
    # The thread a forum post or a thread on a message opened (its id).
    thread_id: int | None = None
    # How long Discord asked to wait (a rate limit longer than is worth waiting in line).
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one drain of the outbox did."""

    sent: int = 0
    overflowed: int = 0
    retried: int = 0
    dropped: int = 0
    paused: tuple[int, ...] = ()
    resumed: tuple[int, ...] = ()


class FollowKind(enum.StrEnum):
    """What a follow role is for: news of one company, or of one topic."""

    COMPANY = "company"
    TOPIC = "topic"


@dataclass(frozen=True, slots=True)
class FollowRole:
    """A role members of a server may give themselves with /follow: the server's admins chose
    it for one company or topic (``subject``: its id)."""

    guild_id: int
    kind: FollowKind
    subject: str
    role_id: int


class DigestState(enum.StrEnum):
    """Where one (subscription, period) digest stands."""

    PENDING = "pending"
    SENT = "sent"
    # Nothing matched the subscription in the period: a digest is never posted empty.
    EMPTY = "empty"
    # Not delivered before the next period's digest was due (a long pause or outage).
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One digest of a subscription: the news of ``[period_start, period_end)``."""

    id: int
    subscription: Subscription
    period_start: datetime
    period_end: datetime
    state: DigestState
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    message_id: int | None = None
    last_error: str | None = None
    # When the summary it posted (or found empty) was read: a story that appeared after it
    # was in no digest, and the next digest takes it although published before its period.
    covered_until: datetime | None = None
    # The stories a sent digest showed (ids), which the next digest never shows as late.
    shown: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Backlog:
    """Where work waits, read from the database when an operator's monitor asks (metrics)."""

    feeds_due: int  # enabled feeds whose poll time has come
    feeds_failing: int  # enabled feeds whose last poll failed
    outbox_pending: int  # posts queued and not delivered yet (paused channels' included)
    oldest_pending: datetime | None  # when the oldest of them was queued
    # First seen of the oldest shared item the story stage has still to place (within its range).
    oldest_unassigned: datetime | None


def shard_of(guild_id: int, shard_count: int) -> int:
    """The Discord shard that carries a guild's events (Discord's own formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Shards:
    """The Discord shards one process serves: ``ids`` out of ``count``.

    Delivery and digests are claimed only for guilds on these shards, so processes that split
    the shards between them never post for the same guild, and together leave none out.
    """

    ids: tuple[int, ...] = (0,)
    count: int = 1

    @property
    def everything(self) -> bool:
        """True when this process serves every shard (then nothing is filtered)."""
        return set(self.ids) >= set(range(self.count))

    def owns(self, guild_id: int) -> bool:
        """Whether this process serves the guild's shard."""
        return self.everything or shard_of(guild_id, self.count) in self.ids


ALL_SHARDS = Shards()
"""One unsharded process: every guild is its own."""

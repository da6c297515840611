"""Polling feeds: fetch -> parse (off the loop) -> decide -> tag -> store, one feed at a time.

::

    feeds.due(now)
    | fetcher.fetch(url, validators)       bounded concurrency, conditional GET, size caps
    | same bytes as the last parse?        then not modified: no parse (document_hash)
    | parser.parse(body, stored hashes)    a worker process, bounded in time and memory; it tags
    |                                      the items not stored unchanged already
    | decide(drafts, known hashes)         new / changed / unchanged
    | tagger.tag(new + changed)            what the worker did not tag
    | items.apply(FeedPollResult)          one transaction: items + feed state
    => UpdateReport

Errors are values here: a broken feed becomes an ``UpdateReport`` with status ``error`` and its
state (last error, error count, next due with backoff) is stored; it never stops the others.

``update_due`` is one round that returns when its slowest feed is done (the CLI's ``poll``);
the bot polls each feed as it falls due with ``services.poller.FeedPoller``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.news.model.errors import LeaseLost, ShopwireError, StorageError
from bot.news.model.vocabulary import (
    Feed,
    FeedPollResult,
    FeedStatus,
    FetchOutcome,
    FetchResult,
    ItemDraft,
    ItemTags,
    ParsedFeed,
    PlannedPost,
    Subscription,
    TaggedDraft,
    UpdateReport,
    UpdateStatus,
)
from bot.news.ports import (
    Clock,
    FeedRepository,
    Fetcher,
    ItemRepository,
    ItemTagger,
    Parser,
    SubscriptionRepository,
    TopicClassifier,
)
from bot.news.rules.feed_names import default_feed_name, name_from_title
from bot.news.rules.item_changes import decide
from bot.news.rules.poll_policy import PollPolicy
from bot.news.rules.subscription_matching import recipients
from bot.news.services.metrics import NO_METRICS, Metrics
from bot.news.services.stage import CrashLog

log = logging.getLogger("shopwire.poll")

ProgressCallback = Callable[[UpdateReport], None]


@dataclass(frozen=True, slots=True)
class UpdaterOptions:
    """Knobs of the updater that come from settings."""

    max_items_per_poll: int = 200
    allow_private_urls: bool = False
    # Items older than this are never queued for posting.
    max_post_age: timedelta = timedelta(days=3)
    # Feeds processed at once; the fetcher bounds the network separately.
    max_parallel: int = 32
    # Ask the parser to read shared items' text for the story clusterer too. Off by default:
    # on one machine it moves about 0.26 ms of CPU per item from the stories stage into the
    # poll, which then takes longer to make items searchable (benchmarks/ingest.py: cold poll
    # 6.3 -> 8.9 s, stories after it 9.5 -> 8.0 s). Worth it where pollers have CPU to spare
    # and one process clusters for all.
    story_text_at_ingest: bool = False


class FeedUpdater:
    """Polls feeds and stores what they bring."""

    def __init__(
        self,
        *,
        feeds: FeedRepository,
        items: ItemRepository,
        fetcher: Fetcher,
        parser: Parser,
        tagger: ItemTagger,
        clock: Clock,
        policy: PollPolicy,
        options: UpdaterOptions,
        subscriptions: SubscriptionRepository | None = None,
        topics: TopicClassifier | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._feeds = feeds
        self._items = items
        self._fetcher = fetcher
        self._parser = parser
        self._tagger = tagger
        self._clock = clock
        self._policy = policy
        self._options = options
        self._subscriptions = subscriptions
        self._topics = topics
        self._metrics = metrics
        # A storage outage crashes every poll, every few seconds: each kind of crash logs its
        # traceback once; after that each poll logs only its one "status=error" line.
        self._crashes = CrashLog(log, repeat_level=logging.DEBUG)

    async def update_due(
        self, *, include_not_due: bool = False, progress: ProgressCallback | None = None
    ) -> list[UpdateReport]:
        """Poll every feed that is due (or every enabled feed); reports in feed order."""
        if include_not_due:
            feeds = [f for f in await self._feeds.list_feeds(all_guilds=True) if f.enabled]
        else:
            feeds = await self.due()
        return await self.update_many(feeds, progress=progress)

    async def due(self, limit: int | None = None, skip: Iterable[int] = ()) -> list[Feed]:
        """Enabled feeds whose next poll time has come, most overdue first, without the ids in
        ``skip`` (the first ``limit``, when given)."""
        return await self._feeds.due(self._clock.now(), limit, skip)

    async def claim_due(self, owner: str, lease: timedelta, limit: int) -> list[Feed]:
        """Up to ``limit`` due feeds no other poller holds, leased to ``owner`` (several
        pollers); poll them with ``update_feed(..., lease_owner=owner)``."""
        return await self._feeds.claim_due(self._clock.now(), owner, lease, limit)

    async def release_leases(self, owner: str) -> None:
        """Free the feeds ``owner`` still holds (a poller stopping with polls cancelled)."""
        await self._feeds.release_leases(owner)

    async def update_many(
        self, feeds: Sequence[Feed], *, progress: ProgressCallback | None = None
    ) -> list[UpdateReport]:
        """Poll the given feeds concurrently; one failure never stops the others."""
        gate = asyncio.Semaphore(self._options.max_parallel)
        subscriptions = await self.subscriptions()

        refused: list[StorageError] = []

        async def one(feed: Feed) -> UpdateReport:
            async with gate:
                report, failure = await self._update_feed(feed, subscriptions)
            if failure is not None:
                refused.append(failure)
            if progress is not None:
                progress(report)
            return report

        reports = list(await asyncio.gather(*(one(feed) for feed in feeds)))
        if refused:
            # A database that refuses writes (a full disk, a read-only file) fails the round as
            # a whole, with its one reason; what the other feeds stored stays stored.
            raise refused[0]
        return reports

    async def subscriptions(self) -> list[Subscription]:
        """The subscriptions new items are planned for (none when built without them)."""
        if self._subscriptions is None:
            return []
        return await self._subscriptions.list_all()

    async def update_feed(
        self,
        feed: Feed,
        subscriptions: Sequence[Subscription] | None = None,
        *,
        lease_owner: str | None = None,
    ) -> UpdateReport:
        """Poll one feed and store the outcome. Never raises for a feed's own failure.

        New items matching ``subscriptions`` (loaded when not given) are queued for posting in
        the same transaction that stores them. With ``lease_owner`` (a feed claimed with
        ``claim_due``) the outcome is stored only while that lease holds; otherwise it is
        dropped (status ``dropped``): the poller that took the feed over stores its own.
        """
        report, _ = await self._update_feed(feed, subscriptions, lease_owner)
        return report

    async def _update_feed(
        self,
        feed: Feed,
        subscriptions: Sequence[Subscription] | None,
        lease_owner: str | None = None,
    ) -> tuple[UpdateReport, StorageError | None]:
        """``update_feed``, and the StorageError that kept its result from being stored."""
        started = time.perf_counter()
        failure: StorageError | None = None
        if subscriptions is None:
            subscriptions = await self.subscriptions()
        try:
            report = await self._update(feed, subscriptions, lease_owner)
        except asyncio.CancelledError:
            raise
        except LeaseLost:  # another poller has the feed now; its result counts, not an error
            report = UpdateReport(
                feed.id,
                feed.name,
                feed.url,
                UpdateStatus.DROPPED,
                error="the lease ran out or another poller took the feed over",
            )
        except StorageError as exc:  # the database's surroundings, not a bug: no traceback
            failure = exc
            report = UpdateReport(
                feed.id, feed.name, feed.url, UpdateStatus.ERROR, error=f"not stored: {exc}"
            )
        except Exception as exc:  # a bug or a storage failure: report it, keep the others going
            self._crashes.crashed(exc, "poll feed_id=%s crashed", feed.id)
            report = UpdateReport(
                feed.id, feed.name, feed.url, UpdateStatus.ERROR, error=f"internal error: {exc}"
            )
        seconds = time.perf_counter() - started
        self._metrics.poll_finished(seconds, report)
        log.info(
            "poll feed_id=%s status=%s new=%d updated=%d ms=%d%s",
            feed.id,
            report.status.value,
            report.new_items,
            report.updated_items,
            seconds * 1000,
            f" error={report.error!r}" if report.error else "",
        )
        return report, failure

    async def _update(
        self, feed: Feed, subscriptions: Sequence[Subscription], lease_owner: str | None
    ) -> UpdateReport:
        allow_private = feed.trusted or self._options.allow_private_urls
        fetched = await self._fetcher.fetch(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            allow_private=allow_private,
        )
        now = self._clock.now()
        new_url = await self._moved_url(feed, fetched)

        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            return await self._not_modified(feed, fetched, now, new_url, lease_owner)

        if fetched.outcome is FetchOutcome.GONE:
            reason = "the server says the feed is gone for good (HTTP 410)"
            await self._store(
                lease_owner,
                FeedPollResult(
                    feed_id=feed.id,
                    polled_at=now,
                    status=FeedStatus.DISABLED,
                    next_due=self._policy.after_failure(now, feed.error_count + 1),
                    error=reason,
                    error_count=feed.error_count + 1,
                    disable_reason=reason,
                ),
            )
            return UpdateReport(feed.id, feed.name, feed.url, UpdateStatus.DISABLED, error=reason)

        if fetched.outcome is not FetchOutcome.OK:
            return await self._failed(
                feed, fetched.error or "fetch failed", fetched, now, lease_owner
            )

        max_items = self._max_items(feed)
        body_hash = await _hash_off_loop(fetched, max_items)
        if body_hash == await self._feeds.body_hash(feed.id):
            # The document the last successful parse read, byte for byte (a server without
            # validators): its items are stored already, so no parse, and nothing changes.
            return await self._not_modified(feed, fetched, now, new_url, lease_owner)
        stored_hashes = await self._stored_hashes(feed, max_items)
        parse_started = time.perf_counter()
        try:
            parsed = await self._parser.parse(
                fetched.body,
                url=fetched.url,
                content_type=fetched.content_type,
                max_items=max_items,
                # Only shared feeds' items go into stories.
                story_source=(
                    feed.name
                    if self._options.story_text_at_ingest and feed.guild_id is None
                    else None
                ),
                stored_hashes=stored_hashes,
            )
        except ShopwireError as exc:
            return await self._failed(feed, str(exc), fetched, now, lease_owner)
        finally:
            self._metrics.parse_finished(time.perf_counter() - parse_started)

        drafts = parsed.items
        new_name = None
        if feed.name == default_feed_name(feed.url):
            new_name = name_from_title(parsed.title)
        stored = await self._known_hashes(feed, drafts, stored_hashes)
        decision = decide(drafts, stored)
        known = _known_tags(parsed)
        new_items = self._tag(feed, decision.new, known)
        # The first successful poll stores the backlog without announcing it.
        backlog = feed.last_success is None
        await self._store(
            lease_owner,
            FeedPollResult(
                feed_id=feed.id,
                polled_at=now,
                status=FeedStatus.OK,
                next_due=self._policy.after_success(now),
                new_items=new_items,
                changed_items=self._tag(feed, decision.changed, known),
                mark_backlog=backlog,
                # The planner's own rule keeps the backlog unannounced (``/subscriptions why``
                # explains with it).
                planned_posts=self._plan(feed, new_items, subscriptions, now, first_poll=backlog),
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                new_url=new_url,
                new_name=new_name,
                body_hash=body_hash,
            ),
        )
        return UpdateReport(
            feed.id,
            new_name or feed.name,
            feed.url,
            UpdateStatus.OK,
            new_items=len(decision.new),
            updated_items=len(decision.changed),
            warning=parsed.warning,
        )

    async def _not_modified(
        self,
        feed: Feed,
        fetched: FetchResult,
        now: datetime,
        new_url: str | None,
        lease_owner: str | None,
    ) -> UpdateReport:
        await self._store(
            lease_owner,
            FeedPollResult(
                feed_id=feed.id,
                polled_at=now,
                status=FeedStatus.NOT_MODIFIED,
                next_due=self._policy.after_success(now),
                etag=fetched.etag or feed.etag,
                last_modified=fetched.last_modified or feed.last_modified,
                new_url=new_url,
            ),
        )
        return UpdateReport(feed.id, feed.name, feed.url, UpdateStatus.NOT_MODIFIED)

    async def _failed(
        self,
        feed: Feed,
        error: str,
        fetched: FetchResult,
        when: datetime,
        lease_owner: str | None,
    ) -> UpdateReport:
        error_count = feed.error_count + 1
        disable = self._policy.should_disable(feed, when, error_count)
        reason = None
        if disable:
            since = (feed.last_success or feed.created_at).strftime("%Y-%m-%d %H:%M UTC")
            reason = f"failing since {since}: {error}"
        await self._store(
            lease_owner,
            FeedPollResult(
                feed_id=feed.id,
                polled_at=when,
                status=FeedStatus.DISABLED if disable else FeedStatus.ERROR,
                next_due=self._policy.after_failure(when, error_count, fetched.retry_after),
                error=error,
                error_count=error_count,
                disable_reason=reason,
            ),
        )
        status = UpdateStatus.DISABLED if disable else UpdateStatus.ERROR
        return UpdateReport(feed.id, feed.name, feed.url, status, error=error)

    async def _store(self, lease_owner: str | None, result: FeedPollResult) -> None:
        """Store a poll's outcome (only while ``lease_owner``'s lease holds, when given)."""
        if lease_owner is not None:
            result = replace(result, lease_owner=lease_owner)
        await self._items.apply(result)

    def _max_items(self, feed: Feed) -> int:
        return feed.max_items_per_poll or self._options.max_items_per_poll

    async def _known_hashes(
        self, feed: Feed, drafts: Sequence[ItemDraft], read: Mapping[str, str] | None
    ) -> Mapping[str, str]:
        """The stored content hash of each of ``drafts`` that is stored: from ``read`` (the
        feed's newest items, read before the parse) where it has the key, the rest asked of
        storage; while this poll runs, no other writes this feed's items (one poll of a feed
        at a time; a lease with several pollers)."""
        keys = [d.key for d in drafts]
        if read is None:
            return await self._items.known_hashes(feed.id, keys)
        known = {key: read[key] for key in keys if key in read}
        missing = [key for key in keys if key not in read]
        if missing:
            known.update(await self._items.known_hashes(feed.id, missing))
        return known

    async def _stored_hashes(self, feed: Feed, max_items: int) -> Mapping[str, str] | None:
        """What the parser need not tag again: the feed's newest stored items, which
        ``_known_hashes`` reuses (storage is asked only for keys not among them). None
        before the feed's first success."""
        if feed.last_success is None:
            return None  # a first poll: nothing (or a failed backlog) stored, no query
        return await self._items.recent_hashes(feed.id, max_items)

    def _tag(
        self, feed: Feed, drafts: Sequence[ItemDraft], known: Mapping[str, ItemTags]
    ) -> tuple[TaggedDraft, ...]:
        out = []
        for d in drafts:
            tags = known.get(d.key)
            if tags is None:  # a parser that does not tag (tests, thread mode without tables)
                tags = ItemTags(
                    self._tagger.tag(d.title, d.summary, d.publisher),
                    # Topics feed search/latest filters and subscriptions' topic filters.
                    self._topics.tag(d.title, d.summary) if self._topics is not None else (),
                )
            # A feed about one company (a vendor changelog) tags every item with it.
            companies = tuple(sorted({*tags.companies, *feed.companies}))
            out.append(TaggedDraft(d, companies, tags.topics, story_text=tags.story_text))
        return tuple(out)

    def _plan(
        self,
        feed: Feed,
        items: Sequence[TaggedDraft],
        subscriptions: Sequence[Subscription],
        now: datetime,
        *,
        first_poll: bool,
    ) -> tuple[PlannedPost, ...]:
        if first_poll or not subscriptions:
            # Nothing to queue (a feed's first poll is never announced): ``recipients`` would
            # say so for each item, about 5 us each, 0.05 s of the loop in a 10,000-item poll.
            return ()
        return tuple(
            PlannedPost(subscription.id, tagged.draft.key)
            for tagged in items
            for subscription in recipients(
                subscriptions,
                feed_guild_id=feed.guild_id,
                title=tagged.draft.title,
                summary=tagged.draft.summary,
                companies=tagged.companies,
                published=tagged.draft.published,
                now=now,
                max_age=self._options.max_post_age,
                topics=tagged.topics,
                first_poll=first_poll,
            )
        )

    async def _moved_url(self, feed: Feed, fetched: FetchResult) -> str | None:
        """The feed's new URL after a permanent redirect, unless another feed already has it."""
        target = fetched.permanent_url
        if not target or target == feed.url:
            return None
        if await self._feeds.by_url(target, feed.guild_id) is not None:
            return None
        log.info("feed moved feed_id=%s to=%s", feed.id, target)
        return target


def document_hash(fetched: FetchResult, max_items: int) -> str:
    """The fingerprint of a fetched document and of what its parse depends on.

    Besides the bytes: the URL they came from (relative links resolve against it), the declared
    Content-Type (its charset) and how many items are read; each is length-prefixed, so no two
    different inputs run together into the same bytes.
    """
    digest = hashlib.sha256()
    for part in (fetched.url, fetched.content_type or "", str(max_items)):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(encoded) + encoded)
    digest.update(fetched.body)
    return digest.hexdigest()


# Hashing 10 MB takes tens of milliseconds; hashlib lets go of the GIL for large inputs, so a
# helper thread keeps that off the event loop. Small documents are quicker hashed in place.
_HASH_IN_THREAD_FROM = 256 * 1024


async def _hash_off_loop(fetched: FetchResult, max_items: int) -> str:
    if len(fetched.body) < _HASH_IN_THREAD_FROM:
        return document_hash(fetched, max_items)
    return await asyncio.to_thread(document_hash, fetched, max_items)


def _known_tags(parsed: ParsedFeed) -> dict[str, ItemTags]:
    """Each item's tags by its key, when the parser computed them (``_tag`` tags the rest)."""
    if parsed.tags is None:
        return {}
    return {
        d.key: tags for d, tags in zip(parsed.items, parsed.tags, strict=True) if tags is not None
    }

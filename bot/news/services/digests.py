"""Scheduled digests: once per period, the summary of what a subscription wants, exactly once.

::

    every work-loop tick
    | digest subscriptions            daily or weekly, unpaused
    | latest closed period            in the server's time zone, ending at the posting hour
    | digests.plan(sub, period)       one row per (subscription, period start), ever
    | digests.due(now)                pending rows whose retry time has come
    |   next one already due?         dropped: the next digest covers the news
    |   summary of the period         stories matching the subscription's filters
    |   nothing matched               marked empty, never posted
    |   publisher.post_digest(nonce)  the nonce is fixed by (subscription, period start)
    |     sent                        mark_sent, only after Discord returned the message id
    |     retry (5xx, network)        mark_retry with backoff
    |     forbidden / not found       subscription paused with the reason; the row waits
    |     not found, again and again  the channel is gone: subscription disabled, the digest
    |                                 dropped with the reason (delivery's rule: refusals.py)
    |     refused (400: AutoMod...)   dropped with Discord's reason: every try would be refused

A restart re-plans the same period (the row exists: nothing happens) and a crash between
"Discord accepted" and "recorded" is answered by Discord with the message it already created,
because the retry carries the same nonce with ``enforce_nonce``.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import (
    ALL_SHARDS,
    DEFAULT_POST_FORMAT,
    DigestEntry,
    DigestState,
    PostFormat,
    PostOutcome,
    PostResult,
    Shards,
    Subscription,
    SubscriptionMode,
)
from bot.news.ports import (
    Clock,
    DigestRepository,
    GuildSettingsRepository,
    StoryRepository,
    SubscriptionRepository,
)
from bot.news.rules.summary_ranking import LateWindow, NewsSummary
from bot.news.services.delivery import retry_delay
from bot.news.services.refusals import ChannelRefusals, pause_refused

log = logging.getLogger("shopwire.digests")

DEFAULT_TIMEZONE = "UTC"
WEEKLY_WEEKDAY = 0
"""Weekly digests are posted on Mondays (``date.weekday()``), covering the week before."""

DROPPED_LATE = "not delivered before the next digest was due"
"""Why a digest is dropped when the next one is due (``/subscriptions why`` words it)."""

MISSED_LOOKBACK: dict[SubscriptionMode, timedelta] = {
    SubscriptionMode.DAILY: timedelta(days=7),
    SubscriptionMode.WEEKLY: timedelta(days=14),
}
"""How far back a digest takes the stories of periods whose digests were never posted (a
channel refused, the subscription paused, the bot down): a week of daily digests, or one
weekly digest; older news is left out rather than flooding the digest with it."""

POLL_MARGIN = timedelta(minutes=10)
"""How long after its ``first_seen`` (its poll's start) an item may still be stored: a poll's
fetch and parse time out within a minute, a poller's lease runs out after two by default;
ten covers a machine slowed down. A digest's late reports are read from this before it."""

PERIOD_LENGTH: dict[SubscriptionMode, timedelta] = {
    SubscriptionMode.DAILY: timedelta(days=1),
    SubscriptionMode.WEEKLY: timedelta(days=7),
}


# Zone names that are not places: the host's own zone and a placeholder.
_NOT_PLACES = frozenset({"localtime", "factory"})


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Every IANA zone name, keyed by its case-folded form."""
    return {
        name.casefold(): name
        for name in zoneinfo.available_timezones()
        if name.casefold() not in _NOT_PLACES
    }


def timezone_names() -> list[str]:
    """Every time zone name users may choose, sorted."""
    return sorted(_zone_names().values())


# "UTC+5", "GMT-03", "+05:00": an offset as people write it (east of Greenwich is +).
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?$", re.IGNORECASE)


def resolve_timezone(text: str) -> str:
    """The IANA time zone name ``text`` stands for (case-insensitive), or a clear UserError
    with the closest names.

    A fixed offset ("UTC+5", "GMT-3", "+05:00") becomes the matching ``Etc/GMT`` zone, whose
    name has the opposite sign (POSIX): ``Etc/GMT-5`` is five hours east of UTC. Typed as an
    ``Etc/GMT`` name, it is taken as written.
    """
    wanted = "_".join(text.strip().split())
    if wanted.casefold() in ("utc", "gmt", "z", "etc/utc"):
        return DEFAULT_TIMEZONE
    offset = _OFFSET.match(text.strip())
    if offset is not None:
        sign, hours = offset.group(1), int(offset.group(2))
        if hours == 0:
            return DEFAULT_TIMEZONE
        if (sign == "+" and hours <= 14) or (sign == "-" and hours <= 12):
            return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
        raise UserError(f"UTC{sign}{hours} is not an offset any place uses (-12 to +14).")
    names = _zone_names()
    found = names.get(wanted.casefold())
    if found is not None:
        return found
    # "paris" -> "Europe/Paris": the city part alone is what people type most.
    by_city = [name for key, name in names.items() if key.rsplit("/", 1)[-1] == wanted.casefold()]
    if len(by_city) == 1:
        return by_city[0]
    close = difflib.get_close_matches(wanted.casefold(), list(names), n=3, cutoff=0.6)
    suggestions = by_city or [names[key] for key in close]
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UserError(
        f"Unknown time zone {text.strip()[:60]!r}: use an IANA name such as Europe/Paris, "
        f"America/New_York or Asia/Singapore.{hint}"
    )


def utc_offset_text(name: str, moment: datetime) -> str:
    """The zone's offset from UTC at ``moment``, as "UTC+05:30" (or "UTC")."""
    offset = moment.astimezone(zone(name)).utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The ZoneInfo of a stored name; UTC when the name is no longer known (tzdata changes)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)


def _at(day: date, hour: int, tz: zoneinfo.ZoneInfo) -> datetime:
    # A local time skipped by a DST change is read with the offset before the change, so the
    # digest still goes out that day (an hour "late" in wall-clock terms).
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _is_posting_day(mode: SubscriptionMode, day: date) -> bool:
    return mode is SubscriptionMode.DAILY or day.weekday() == WEEKLY_WEEKDAY


def latest_period(
    mode: SubscriptionMode, post_hour: int, tz: zoneinfo.ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    """The most recent digest period that has closed by ``now``: ``[start, end)`` in UTC.

    A period ends at ``post_hour`` local time (every day, or on Mondays for weekly digests)
    and starts at the posting time one period before, so across a DST change a daily period
    lasts 23 or 25 hours and the digest still goes out at the same wall-clock hour.
    """
    if mode not in PERIOD_LENGTH:
        raise ValueError(f"{mode.value} subscriptions have no digest period")
    day = now.astimezone(tz).date()
    for back in range(9):
        candidate = day - timedelta(days=back)
        if _is_posting_day(mode, candidate) and _at(candidate, post_hour, tz) <= now:
            start_day = candidate - timedelta(days=PERIOD_LENGTH[mode].days)
            return _at(start_day, post_hour, tz), _at(candidate, post_hour, tz)
    raise AssertionError("a posting day always lies within the last eight days")


def next_digest_at(
    mode: SubscriptionMode, post_hour: int, tz: zoneinfo.ZoneInfo, now: datetime
) -> datetime:
    """When the next digest after ``now`` is due (UTC)."""
    day = now.astimezone(tz).date()
    for ahead in range(9):
        candidate = day + timedelta(days=ahead)
        if _is_posting_day(mode, candidate) and _at(candidate, post_hour, tz) > now:
            return _at(candidate, post_hour, tz)
    raise AssertionError("a posting day always lies within the next eight days")


def digest_nonce(subscription_id: int, period_start: datetime) -> str:
    """A fixed nonce for one (subscription, period) digest: 25 characters, Discord's maximum."""
    stamp = int(period_start.timestamp())
    return hashlib.sha256(f"shopwire:digest:{subscription_id}:{stamp}".encode()).hexdigest()[:25]


def digest_title(mode: SubscriptionMode, period_end: datetime, tz: zoneinfo.ZoneInfo) -> str:
    """The digest's title, "Daily digest · Fri 27 Nov" (the local date it is posted on)."""
    local = period_end.astimezone(tz)
    kind = "Daily" if mode is SubscriptionMode.DAILY else "Weekly"
    return f"{kind} digest · {local:%a} {local.day} {local:%b}"


@dataclass(frozen=True, slots=True)
class DigestPost:
    """A digest as it is posted: its title and the summary of its period."""

    title: str
    summary: NewsSummary
    timezone: str = DEFAULT_TIMEZONE
    # The subscription's ping and style.
    post_format: PostFormat = DEFAULT_POST_FORMAT


class DigestPublisher(Protocol):
    """Posts digests (Discord, in production)."""

    async def post_digest(self, channel_id: int, digest: DigestPost, nonce: str) -> PostResult:
        """Post one digest; the same nonce never makes a second message."""
        ...


class DigestSummaries(Protocol):
    """Computes what a digest shows (``SummaryService.for_subscription``)."""

    async def for_subscription(
        self,
        subscription: Subscription,
        since: datetime,
        until: datetime,
        late: LateWindow | None = None,
    ) -> NewsSummary: ...


@dataclass(frozen=True, slots=True)
class DigestReport:
    """What one run of the digest scheduler did."""

    planned: int = 0
    sent: int = 0
    empty: int = 0
    retried: int = 0
    dropped: int = 0
    paused: tuple[int, ...] = ()


@dataclass
class _Tally:
    planned: int = 0
    sent: int = 0
    empty: int = 0
    retried: int = 0
    dropped: int = 0
    paused: list[int] = field(default_factory=list)

    def report(self) -> DigestReport:
        return DigestReport(
            self.planned, self.sent, self.empty, self.retried, self.dropped, tuple(self.paused)
        )


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """Limits of digest delivery."""

    batch: int = 50
    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    # How long a due digest waits for the stories stage to place its period's items (a digest
    # is made of stories); past it, it goes out with what is placed.
    story_wait: timedelta = timedelta(minutes=10)


class DigestScheduler:
    """Plans each digest subscription's latest closed period and posts what is due."""

    def __init__(
        self,
        *,
        subscriptions: SubscriptionRepository,
        digests: DigestRepository,
        guild_settings: GuildSettingsRepository,
        summaries: DigestSummaries,
        publisher: DigestPublisher,
        clock: Clock,
        options: DigestOptions | None = None,
        shards: Shards = ALL_SHARDS,
        stories: StoryRepository | None = None,
        refusals: ChannelRefusals | None = None,
    ) -> None:
        # A deleted channel's 404s count as an item post's do (the same strikes and rule).
        self._refusals = refusals or ChannelRefusals(subscriptions)
        # A process serving some of Discord's shards plans and posts only their guilds' digests.
        self._shards = shards
        self._subscriptions = subscriptions
        self._digests = digests
        self._guild_settings = guild_settings
        self._summaries = summaries
        self._publisher = publisher
        self._clock = clock
        self._options = options or DigestOptions()
        self._stories = stories
        # When this process first found each due digest waiting for stories (by digest id).
        self._waiting_since: dict[int, datetime] = {}
        # Each subscription's latest period end already planned (or skipped), so that a tick
        # every few seconds reads and writes nothing until a period closes.
        self._planned: dict[int, datetime] = {}

    async def run(self) -> DigestReport:
        """Plan the periods that have closed, then post the digests that are due."""
        tally = _Tally()
        now = self._clock.now()
        zones = dict(await self._guild_settings.timezones())
        for subscription in await self._subscriptions.list_all():
            if (
                subscription.mode not in PERIOD_LENGTH
                or subscription.disabled  # its channel is gone: nothing more is planned
                or not self._shards.owns(subscription.guild_id)
            ):
                continue
            try:
                await self._plan(subscription, zones, now, tally)
            except Exception:  # one subscription's failure must not stop the others
                log.exception("digest planning subscription_id=%s crashed", subscription.id)
        for entry in await self._digests.due(now, self._options.batch, self._shards):
            try:
                await self._deliver(entry, zones, tally)
            except Exception:  # one digest's bug must not stop the others
                log.exception("digest digest_id=%s crashed", entry.id)
        if tally.planned or tally.sent or tally.empty or tally.retried or tally.dropped:
            log.info(
                "digests planned=%d sent=%d empty=%d retry=%d dropped=%d paused=%s",
                tally.planned,
                tally.sent,
                tally.empty,
                tally.retried,
                tally.dropped,
                tally.paused,
            )
        return tally.report()

    async def _plan(
        self, subscription: Subscription, zones: dict[int, str], now: datetime, tally: _Tally
    ) -> None:
        tz = zone(zones.get(subscription.guild_id, DEFAULT_TIMEZONE))
        start, end = latest_period(subscription.mode, subscription.post_hour, tz, now)
        # The first digest is the first period that ends after subscribing: a new
        # subscription never gets yesterday's digest the minute it is created.
        if end <= subscription.created_at or self._planned.get(subscription.id) == end:
            return
        # After a time zone change the latest period may end before (or overlap) the last
        # digest: never post one again, and start where the last one ended.
        last = await self._digests.latest(subscription.id)
        if last is None or end > last.period_end:
            if last is not None:
                start = max(start, last.period_end)
            if await self._digests.plan(subscription.id, start, end, now):
                tally.planned += 1
        # Remembered only once planned: a period whose planning failed (a locked database) is
        # tried again on the next tick instead of being skipped until a restart.
        self._planned[subscription.id] = end

    async def _late_window(self, entry: DigestEntry, tz: zoneinfo.ZoneInfo) -> LateWindow | None:
        """The stories of earlier periods that this digest takes: those of the last digest
        actually read that appeared after it was read (late reports), and all those of the
        periods since, whose digests were never posted (dropped, or never planned: the bot was
        down), back to ``MISSED_LOOKBACK`` at most. None for the first digest, and after a
        digest of the period just before that was read before ``covered_until`` existed."""
        subscription = entry.subscription
        floor = entry.period_start - MISSED_LOOKBACK[subscription.mode]
        read = await self._digests.last_read(subscription.id, entry.period_start)
        if read is None:
            # Nothing read yet: missed since the subscription's first period (the one that
            # was open when it was made); the first digest itself has nothing before it.
            first = latest_period(
                subscription.mode, subscription.post_hour, tz, subscription.created_at
            )
            missed_since = max(first[1], floor)
            since, new_since = missed_since, None
        else:
            missed_since = max(read.period_end, floor)
            # A digest read before covered_until was recorded: its late reports are unknown.
            since = missed_since if read.covered_until is None else max(read.period_start, floor)
            new_since = read.covered_until
        if since >= entry.period_start:
            return None
        missed = missed_since if missed_since < entry.period_start else None
        shown = () if read is None else read.shown
        return LateWindow(since, entry.period_start, new_since, missed, shown)

    async def _covered_until(self, entry: DigestEntry, late: LateWindow | None) -> datetime:
        """From when a story is new to the next digest (a late report of this one's period).

        Not simply now, before the summary is read: an item's ``first_seen`` is its poll's
        start, and the poll stores it (and the stories stage places it) later, so a story
        first seen just before now may not be in what is read, nor new to the next digest:
        in none. So ``POLL_MARGIN`` before now, and no later than the oldest item of the
        period still waiting for a story (the story wait may have run out). A story this
        digest shows is kept from the next one by its id (``LateWindow.shown``)."""
        covered = self._clock.now() - POLL_MARGIN
        if self._stories is None:
            return covered
        start = entry.period_start if late is None else late.since
        waiting = await self._stories.oldest_unplaced(start, entry.period_end)
        return covered if waiting is None else min(covered, waiting)

    async def _stories_pending(
        self, entry: DigestEntry, late: LateWindow | None, now: datetime
    ) -> bool:
        """Whether items published in the digest's period still wait for a story (a bot just
        started, a stories stage behind a cold poll): made then, the digest would leave them
        out, or be marked empty for good. A digest's stories are those with an item
        *published* in its period (``top_stories``), so that is what is asked, whenever the
        item was first seen: a late item with an earlier date, first seen after the period's
        end, is waited for too (the oldest first seen waiting item alone said nothing of it).
        Bounded by ``story_wait`` from the first tick that found it waiting, so a stories
        stage that is down holds no digest back."""
        if self._stories is None:
            return False
        since = self._waiting_since.setdefault(entry.id, now)
        # A late item of the period before, waiting for its story, is waited for too.
        start = entry.period_start if late is None else late.since
        if now - since < self._options.story_wait and await self._stories.unplaced_published(
            start, entry.period_end
        ):
            return True
        del self._waiting_since[entry.id]
        return False

    async def _deliver(self, entry: DigestEntry, zones: dict[int, str], tally: _Tally) -> None:
        subscription = entry.subscription
        now = self._clock.now()
        name = zones.get(subscription.guild_id, DEFAULT_TIMEZONE)
        # The next digest's time, in the server's zone: across a DST change it comes 23 or 25
        # hours after this one's end, not 24, and two digests never go out back to back.
        next_due = next_digest_at(
            subscription.mode, subscription.post_hour, zone(name), entry.period_end
        )
        if now >= next_due:
            await self._digests.finish(entry.id, DigestState.DROPPED, DROPPED_LATE)
            tally.dropped += 1
            return
        late = await self._late_window(entry, zone(name))
        if await self._stories_pending(entry, late, now):
            return  # not an attempt: the next tick looks again
        covered_until = await self._covered_until(entry, late)
        summary = await self._summaries.for_subscription(
            subscription, entry.period_start, entry.period_end, late
        )
        shown = _ids(summary)
        if entry.covered_until is not None:
            # An earlier try read it, and may have been posted: Discord answers this try's
            # nonce with that message. Only what every try showed surely is in it, and new
            # stories count from the earliest reading.
            covered_until = min(covered_until, entry.covered_until)
            shown = tuple(i for i in shown if i in set(entry.shown))
        if summary.empty:
            await self._digests.finish(
                entry.id, DigestState.EMPTY, "no matching stories", covered_until
            )
            tally.empty += 1
            return
        post = DigestPost(
            title=digest_title(subscription.mode, entry.period_end, zone(name)),
            summary=summary,
            timezone=name,
            post_format=subscription.post_format,
        )
        await self._digests.record_reading(entry.id, covered_until, shown)
        result = await self._publisher.post_digest(
            subscription.channel_id, post, digest_nonce(subscription.id, entry.period_start)
        )
        if result.outcome is PostOutcome.SENT:
            await self._digests.mark_sent(
                entry.id, result.message_id or 0, self._clock.now(), covered_until, shown
            )
            if subscription.not_found is not None:
                await self._refusals.found(subscription.id)
            tally.sent += 1
            return
        error = result.error or result.outcome.value
        if result.outcome is PostOutcome.REFUSED:
            # Discord refuses this digest for what it says (AutoMod, a limit): every try would
            # be refused the same way until the next one is due.
            reason = f"Discord refused it: {error}"
            await self._digests.finish(entry.id, DigestState.DROPPED, reason)
            tally.dropped += 1
            log.warning("digest refused subscription_id=%s reason=%s", subscription.id, error)
            return
        if result.outcome is PostOutcome.NOT_FOUND:
            dropped = await self._refusals.not_found(
                subscription.id, subscription.channel_id, error, self._clock.now()
            )
            tally.paused.append(subscription.id)
            if dropped is not None:
                tally.dropped += dropped  # this digest among them: disabled, nothing waits
                return
        elif result.outcome is PostOutcome.FORBIDDEN:
            await pause_refused(
                self._subscriptions,
                subscription.id,
                subscription.channel_id,
                error,
                self._clock.now(),
            )
            tally.paused.append(subscription.id)
        else:
            tally.retried += 1
        # A refused digest waits too: if the subscription is resumed at once (the permission
        # cache looked fine), it must not be refused again on every tick.
        wait = retry_delay(entry.attempts, self._options.retry_base, self._options.retry_max)
        await self._digests.mark_retry(entry.id, error, self._clock.now() + wait)


def _ids(summary: NewsSummary) -> tuple[int, ...]:
    """The stories a summary shows, with those folded into its entries."""
    return tuple(story.id for ranked in summary.stories for story in (ranked.story, *ranked.also))

"""Stories after each poll, and the summaries and trends read from them.

::

    stories.unassigned()          shared-catalogue items not in a story yet, oldest first
    | clusterer.assign(batch)     joins each item to a recent story or starts one, then merges
    |                             the stories it touched with any that tell the same event
    | summarize_story(touched)    headline, line and link from one report, among a story's
    |                             first reports (bounded: a big story costs what a small does)
    | stories.save(...)           one transaction: placements, merges, features, figures

The clusterer is built only when there is something to place, from the features stored for
the placed items of the last two windows: a restart reads no item text, and a poll that
found nothing new costs one query.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.news.lookup import resolve_or_explain
from bot.news.matching import wants
from bot.news.models import Company, StoryRecord, Subscription, SubscriptionFilter
from bot.news.ports import Clock, CompanyDirectory, StoryRepository
from bot.news.stories import (
    StoryClusterer,
    StoryConfig,
    StoryItem,
    StoryMerge,
    StorySummary,
    summarize_story,
)
from bot.news.stories.headline import SAMPLE
from bot.news.subscriptions import split_terms
from bot.news.summary import (
    NewsSummary,
    TrendData,
    fill_days,
    period_window,
    rank_stories,
    rising_terms,
)

log = logging.getLogger("shopwire.stories")

BATCH = 500
MAX_PER_RUN = 20 * BATCH
"""The most items one run places (10,000): a restored archive spreads over several runs."""
DIGEST_PAGE = 100
"""How many of a period's biggest stories a digest reads at a time (the most a read returns)."""
MAX_DIGEST_PAGES = 20
"""How deep a digest with keywords reads the period's ranking at most (2,000 stories)."""


class StoryAssigner:
    """Puts newly stored items into stories; one query when there is nothing new."""

    def __init__(
        self, *, stories: StoryRepository, clock: Clock, config: StoryConfig | None = None
    ) -> None:
        self._stories = stories
        self._clock = clock
        self._config = config or StoryConfig()
        self._clusterer: StoryClusterer | None = None

    async def run(self) -> int:
        """Assign unassigned items (at most ``MAX_PER_RUN``, oldest first); returns how many
        were assigned."""
        assigned = 0
        # Items older than two windows could join no live story; skipping them also keeps an
        # upgraded database from clustering its whole archive at once.
        since = self._clock.now() - 2 * self._config.window
        while assigned < MAX_PER_RUN:
            batch = await self._stories.unassigned(BATCH, since=since)
            if not batch:
                break
            clusterer = await self._ready()
            try:
                assigned += await self._place(clusterer, batch)
            except BaseException:
                # The clusterer moved on and the database did not: rebuild it from what was
                # stored next time rather than answer from a state nobody saved.
                self._clusterer = None
                raise
            if len(batch) < BATCH:
                break
        if assigned:
            log.info("stories assigned=%d", assigned)
        return assigned

    async def _place(self, clusterer: StoryClusterer, batch: list[StoryItem]) -> int:
        now = self._clock.now()
        # Hundreds of items cost a fraction of a second of CPU: keep it off the event loop.
        pairs = await asyncio.to_thread(clusterer.assign, batch, now)
        merges = clusterer.take_merges()
        prepared = clusterer.take_prepared()
        summaries = await self._summaries(batch, pairs, merges)
        await self._stories.save(pairs, summaries, now, merges=merges, prepared=prepared)
        return len(pairs)

    async def _summaries(
        self,
        batch: Sequence[StoryItem],
        pairs: Sequence[tuple[int, int]],
        merges: Sequence[StoryMerge],
    ) -> list[StorySummary]:
        """The summary of every story the step touched, from each one's first reports."""
        into = {m.story_id: m.into_id for m in merges}

        def final(story_id: int) -> int:
            while story_id in into:
                story_id = into[story_id]
            return story_id

        touched = sorted({story_id for _, story_id in pairs} | {final(m.into_id) for m in merges})
        stored = await self._stories.story_items([*touched, *into], limit=SAMPLE)
        groups: dict[int, dict[int, StoryItem]] = {story_id: {} for story_id in touched}
        for story_id, items in stored.items():
            groups.setdefault(final(story_id), {}).update((i.item_id, i) for i in items)
        by_id = {item.item_id: item for item in batch}
        fresh: dict[int, list[StoryItem]] = {}
        for item_id, story_id in pairs:
            fresh.setdefault(story_id, []).append(by_id[item_id])
            groups[story_id][item_id] = by_id[item_id]
        merged_into = {final(m.into_id) for m in merges}
        changed = [
            story_id
            for story_id in sorted(groups)
            if story_id in merged_into
            or _changes_sample(stored.get(story_id, []), fresh.get(story_id, []))
        ]

        def summarise() -> list[StorySummary]:
            return [
                summarize_story(story_id, list(groups[story_id].values()))
                for story_id in changed
                if groups[story_id]
            ]

        return await asyncio.to_thread(summarise)

    async def warm_up(self) -> None:
        """Build the clusterer now (a restart's rebuild from stored features) rather than at
        the first item to place."""
        await self._ready()

    async def _ready(self) -> StoryClusterer:
        if self._clusterer is None:
            now = self._clock.now()
            since = now - 2 * self._config.window
            held = await self._stories.held(since)
            clusterer = await asyncio.to_thread(
                StoryClusterer.rebuild,
                held,
                self._config,
                next_story_id=await self._stories.max_story_id() + 1,
            )
            # Placed before their features were stored (an upgrade): prepared once, now.
            older = await self._stories.unprepared(since)
            if older:
                await asyncio.to_thread(clusterer.hold, older, now)
                await self._stories.save([], [], now, prepared=clusterer.take_prepared())
            self._clusterer = clusterer
        return self._clusterer


def _changes_sample(stored: Sequence[StoryItem], fresh: Sequence[StoryItem]) -> bool:
    """Whether new reports change a story's first ``SAMPLE`` reports (what its headline is
    chosen from): always for a story with fewer; for a full one, only a report published
    before the last of them. Otherwise the headline stands and only figures change."""
    if len(stored) < SAMPLE:
        return bool(fresh) or not stored
    last = max((item.published, item.item_id) for item in stored)
    return any((item.published, item.item_id) < last for item in fresh)


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    """How much a summary shows."""

    stories: int = 5
    candidates: int = 50
    rising: int = 5
    trend_companies: int = 8


class SummaryWriter(Protocol):
    """Rewrites the one-line summaries of a summary's top stories (an LLM, when configured).

    Implementations must return the summary unchanged rather than raise when they cannot do
    better: the extractive lines are always a valid answer.
    """

    async def rewrite(self, summary: NewsSummary) -> NewsSummary:
        """The same summary with (some) story lines rewritten."""
        ...


class SummaryService:
    """`/news summary` and `shopwire summary`, `/news trend` and `shopwire trend`."""

    def __init__(
        self,
        *,
        stories: StoryRepository,
        companies: CompanyDirectory,
        clock: Clock,
        options: SummaryOptions | None = None,
        writer: SummaryWriter | None = None,
    ) -> None:
        self._stories = stories
        self._companies = companies
        self._clock = clock
        self._options = options or SummaryOptions()
        self._writer = writer

    async def _written(self, summary: NewsSummary) -> NewsSummary:
        if self._writer is None or summary.empty:
            return summary
        try:
            return await self._writer.rewrite(summary)
        except Exception:  # the extractive lines stay; a broken writer must not cost the summary
            log.exception("summary writer failed; using the extractive lines")
            return summary

    def _company(self, text: str | None) -> Company | None:
        return resolve_or_explain(self._companies, text, "company") if text else None

    async def summary(
        self, *, period: str = "7d", company: str | None = None, topic: str | None = None
    ) -> NewsSummary:
        """Top stories of the period, stories per company, and the terms that rose most."""
        now = self._clock.now()
        since, until = period_window(period, now)
        chosen = self._company(company)
        records = await self._stories.top_stories(
            since, until, chosen.id if chosen else None, topic, self._options.candidates
        )
        return await self._summarise(
            records, period=period, since=since, until=until, now=now, company=chosen, topic=topic
        )

    async def for_subscription(
        self, subscription: Subscription, since: datetime, until: datetime
    ) -> NewsSummary:
        """What a digest of ``[since, until)`` shows for a subscription: its top stories among
        those matching its filters (companies and topics: any of each; keywords and excluded
        words against the story's headline and summary line)."""
        f = subscription.filter
        words = SubscriptionFilter(keywords=f.keywords, exclude=f.exclude)
        records: list[StoryRecord] = []
        # Keywords are matched here, so the ranking is read page by page until enough stories
        # match: a keyword's story may be a small one in a busy week.
        for page in range(MAX_DIGEST_PAGES):
            batch = await self._stories.top_stories(
                since,
                until,
                None,
                None,
                DIGEST_PAGE,
                companies=f.companies,
                topics=f.topics,
                offset=page * DIGEST_PAGE,
            )
            records.extend(
                r
                for r in batch
                if wants(words, title=r.headline, summary=r.summary_line, companies=())
            )
            enough = len(records) >= DIGEST_PAGE or not (f.keywords or f.exclude)
            if enough or len(batch) < DIGEST_PAGE:
                break
        return await self._summarise(
            records,
            period="24h" if until - since <= timedelta(hours=25) else "7d",
            since=since,
            until=until,
            now=until,
            company=self._companies.resolve(f.companies[0]) if len(f.companies) == 1 else None,
            topic=f.topics[0] if len(f.topics) == 1 else None,
            only_companies=f.companies,
        )

    async def _summarise(
        self,
        records: list[StoryRecord],
        *,
        period: str,
        since: datetime,
        until: datetime,
        now: datetime,
        company: Company | None,
        topic: str | None,
        only_companies: Sequence[str] = (),
    ) -> NewsSummary:
        """Rank the candidate stories, count stories per company (only those named, if any)
        and find the rising terms against the period before; then the optional writer."""
        ranked = rank_stories(records, now=now, company=company)[: self._options.stories]
        counts = await self._stories.company_counts(since, until)
        if only_companies:
            counts = [(c, n) for c, n in counts if c.id in only_companies]
        company_id = company.id if company else None
        current = await self._stories.period_titles(since, until, company_id)
        previous = await self._stories.period_titles(since - (until - since), since, company_id)
        summary = NewsSummary(
            period=period,
            since=since,
            until=until,
            company=company,
            topic=topic,
            stories=tuple(ranked),
            company_counts=tuple(counts),
            rising_terms=rising_terms(current, previous, limit=self._options.rising),
        )
        return await self._written(summary)

    async def trend(self, *, period: str = "30d", companies: str | None = None) -> TrendData:
        """Daily story counts per company (the most active ones unless companies are named)."""
        now = self._clock.now()
        since, until = period_window(period, now)
        if companies:
            chosen = [
                resolve_or_explain(self._companies, name, "company")
                for name in split_terms(companies, "company")
            ]
        else:
            counts = await self._stories.company_counts(since, until)
            chosen = [company for company, _ in counts[: self._options.trend_companies]]
        rows = await self._stories.daily_story_counts(since, until, [c.id for c in chosen])
        names = {c.id: c.name for c in chosen}
        days, series = fill_days(
            since.date(),
            (until - timedelta(microseconds=1)).date(),
            ((names.get(cid, cid), day, n) for cid, day, n in rows),
            [c.name for c in chosen],
        )
        return TrendData(title=f"Stories per day, last {period}", days=days, series=series)

"""``/news summary`` and ``/news trend`` (and the CLI's ``summary`` and ``trend``), and what a
digest shows: the period's top stories, stories per company, rising terms, daily counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.news.model.vocabulary import Company, StoryRecord, Subscription, SubscriptionFilter
from bot.news.ports import Clock, CompanyDirectory, StoryRepository
from bot.news.rules.name_lookup import resolve_or_explain
from bot.news.rules.subscription_matching import wants
from bot.news.rules.summary_ranking import (
    LateWindow,
    NewsSummary,
    TrendData,
    fill_days,
    period_window,
    rank_stories,
    rising_terms,
)
from bot.news.services.story_folding import fold_same_events
from bot.news.services.subscriptions import split_terms

log = logging.getLogger("shopwire.summaries")

DIGEST_PAGE = 100
"""How many of a period's biggest stories a digest reads at a time (the most a read returns)."""
MAX_DIGEST_PAGES = 20
"""How deep a digest with keywords reads the period's ranking at most (2,000 stories)."""


@dataclass(frozen=True, slots=True)
class SummaryOptions:
    """How much a summary shows."""

    stories: int = 5
    candidates: int = 50
    rising: int = 5
    trend_companies: int = 8


def _take(records: list[StoryRecord], extra: list[StoryRecord], seen: set[int]) -> set[int]:
    """Append the ``extra`` stories not ``seen`` yet to ``records``; their ids."""
    taken = {r.id for r in extra} - seen
    records.extend(r for r in extra if r.id in taken)
    seen |= taken
    return taken


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
        self,
        subscription: Subscription,
        since: datetime,
        until: datetime,
        late: LateWindow | None = None,
    ) -> NewsSummary:
        """What a digest of ``[since, until)`` shows for a subscription: its top stories among
        those matching its filters (companies and topics: any of each; keywords and excluded
        words against the story's headline and summary line), and among them those of ``late``
        (published before the period, in no digest yet), marked late or missed."""
        f = subscription.filter
        records = await self._matching(f, since, until)
        late_ids: set[int] = set()
        missed_ids: set[int] = set()
        if late is not None:
            # What the last digest read showed is never shown again from an earlier period.
            seen = {r.id for r in records} | set(late.shown)
            if late.new_since is not None:
                late_part = await self._matching(f, late.since, late.late_until, late.new_since)
                late_ids = _take(records, late_part, seen)
            if late.missed_since is not None:
                missed_part = await self._matching(f, late.missed_since, late.until)
                missed_ids = _take(records, missed_part, seen)
        summary = await self._summarise(
            records,
            period="24h" if until - since <= timedelta(hours=25) else "7d",
            since=since,
            until=until,
            now=until,
            company=self._companies.resolve(f.companies[0]) if len(f.companies) == 1 else None,
            topic=f.topics[0] if len(f.topics) == 1 else None,
            only_companies=f.companies,
        )
        if not (late_ids or missed_ids):
            return summary
        stories = tuple(
            replace(
                ranked,
                late=ranked.story.id in late_ids,
                missed=ranked.story.id in missed_ids,
            )
            for ranked in summary.stories
        )
        return replace(summary, stories=stories)

    async def _matching(
        self,
        f: SubscriptionFilter,
        since: datetime,
        until: datetime,
        new_since: datetime | None = None,
    ) -> list[StoryRecord]:
        """The ranked stories of ``[since, until)`` that a subscription's filters want."""
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
                new_since=new_since,
            )
            records.extend(
                r
                for r in batch
                if wants(words, title=r.headline, summary=r.summary_line, companies=())
            )
            enough = len(records) >= DIGEST_PAGE or not (f.keywords or f.exclude)
            if enough or len(batch) < DIGEST_PAGE:
                break
        return records

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
        """Rank the candidate stories (one entry per event), count stories per company (only
        those named, if any) and find the rising terms against the period before; then the
        optional writer."""
        ranked = fold_same_events(
            rank_stories(records, now=now, company=company), self._options.stories
        )
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

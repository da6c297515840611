"""What happened in a period, in one message: ranking stories, counting companies, rising terms.

The ranking favours breadth and freshness: ``log(1 + distinct sources)`` times a recency decay
with a 48-hour half-life, with a boost when a company filter is named in the headline (an item
that merely mentions the company in passing should not lead its summary). Pure.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Company, StoryRecord

PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
HALF_LIFE = timedelta(hours=48)
HEADLINE_BOOST = 1.5

_WORD = re.compile(r"[^\W\d_][\w'&.-]*[^\W_]|[^\W\d_]", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "against",
        "all",
        "also",
        "amid",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "down",
        "during",
        "each",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "more",
        "most",
        "new",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "says",
        "said",
        "say",
        "report",
        "reports",
        "week",
        "year",
        "years",
        "day",
        "days",
        "update",
        "news",
        "first",
        "last",
        "next",
        "back",
    ]
)


@dataclass(frozen=True, slots=True)
class RankedStory:
    """A story and its score in a summary.

    ``also``: other stories that tell the same event, shown as this one entry (``story`` is
    then the entry as a whole: the larger story's headline, both stories' reports and sources).
    """

    story: StoryRecord
    score: float
    also: tuple[StoryRecord, ...] = ()
    # A digest's late story: published before the digest's period, reported only after the
    # digest before it was made, so in no digest yet (``LateWindow``).
    late: bool = False
    # A digest's story of a period whose digest was never posted (dropped, or the bot down at
    # its time): published before the digest's period, in no digest yet.
    missed: bool = False


@dataclass(frozen=True, slots=True)
class LateWindow:
    """The stories a digest takes although they were published before its period, in
    ``[since, until)`` (``until``: the digest's own period start), so that no digest has
    shown them.

    Those published before ``missed_since`` (the period of the last digest actually read)
    are taken only when new since ``new_since`` (when it was read): late reports, shown
    marked as late. Those published from ``missed_since`` on were in no digest that was read
    (one dropped unposted, or never planned: the bot was down): all are taken, shown marked
    as missed. ``missed_since`` None: there is no such gap. The stories ``shown`` (by the
    digest read) are never taken again, as late or missed."""

    since: datetime
    until: datetime
    new_since: datetime | None
    missed_since: datetime | None = None
    shown: tuple[int, ...] = ()

    @property
    def late_until(self) -> datetime:
        """Where the late reports' part ends (the missed part, if any, starts)."""
        return self.until if self.missed_since is None else self.missed_since


@dataclass(frozen=True, slots=True)
class NewsSummary:
    """A period's news: top stories, stories per company, and the terms that rose most."""

    period: str
    since: datetime
    until: datetime
    company: Company | None
    topic: str | None
    stories: tuple[RankedStory, ...]
    company_counts: tuple[tuple[Company, int], ...]
    rising_terms: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """True when nothing happened in the period (a digest is never posted empty)."""
        return not self.stories


@dataclass(frozen=True, slots=True)
class TrendData:
    """Daily story counts per company over a period (for charts and their text fallback)."""

    title: str
    days: tuple[date, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]


def period_window(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The [since, until) window a period name stands for, ending now.

    Stories and headlines count in it by publication time (the item's ``published``), not by
    when Shopwire stored them: a feed polled today with a week of news is a week of news.
    """
    try:
        length = PERIODS[period]
    except KeyError:
        raise UserError(f"Unknown period {period!r}: use {', '.join(PERIODS)}.") from None
    return now - length, now


def rank_stories(
    stories: Iterable[StoryRecord], *, now: datetime, company: Company | None = None
) -> list[RankedStory]:
    """Stories ordered by breadth times freshness (best first)."""
    ranked = []
    for story in stories:
        age = max(timedelta(0), now - story.last_seen)
        freshness = 0.5 ** (age / HALF_LIFE)
        breadth = math.log1p(max(1, len(story.sources)))
        boost = HEADLINE_BOOST if company and _names(story.headline, company) else 1.0
        ranked.append(RankedStory(story, breadth * freshness * boost))
    ranked.sort(key=lambda r: (-r.score, -r.story.last_seen.timestamp(), r.story.id))
    return ranked


def _names(headline: str, company: Company) -> bool:
    text = headline.casefold()
    return company.name.casefold() in text or company.id.replace("_", " ") in text


def _terms(titles: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for title in titles:
        words = [
            w.casefold()
            for w in _WORD.findall(unicodedata.normalize("NFKC", title))
            if w.casefold() not in _STOPWORDS and len(w) > 1
        ]
        # Each title counts a term once: one headline repeating a word is not a trend.
        seen = set(words)
        seen.update(f"{a} {b}" for a, b in itertools.pairwise(words))
        counts.update(seen)
    return counts


def rising_terms(
    current: Sequence[str], previous: Sequence[str], *, limit: int = 5, minimum: int = 3
) -> tuple[str, ...]:
    """Terms whose share of headlines rose most against the previous period.

    A term needs ``minimum`` headlines now; its score is its smoothed growth in share times
    the log of its count, so a word going from 0 to 3 does not beat one going from 20 to 90.
    A bigram replaces its words when it scores as well (``de minimis`` over ``minimis``).
    """
    now_counts, before_counts = _terms(current), _terms(previous)
    total_now, total_before = max(1, len(current)), max(1, len(previous))
    scored = []
    for term, count in now_counts.items():
        if count < minimum:
            continue
        share_now = count / total_now
        share_before = (before_counts.get(term, 0) + 1) / (total_before + 1)
        growth = share_now / share_before
        if growth <= 1.2:
            continue
        scored.append((growth * math.log1p(count), term))
    # At equal scores a phrase beats its own words: "de minimis" says more than "minimis".
    scored.sort(key=lambda s: (-s[0], -s[1].count(" "), s[1]))
    chosen: list[str] = []
    used_words: set[str] = set()
    for _, term in scored:
        words = set(term.split())
        # One term per idea: "de minimis" and then "minimis rule" would say the same thing.
        if words & used_words:
            continue
        chosen.append(term)
        used_words |= words
        if len(chosen) == limit:
            break
    return tuple(chosen)


def fill_days(
    since: date, until: date, counts: Iterable[tuple[str, date, int]], labels: Sequence[str]
) -> tuple[tuple[date, ...], tuple[tuple[str, tuple[int, ...]], ...]]:
    """Every day of [since, until] with zero where a company had no story that day."""
    days = tuple(since + timedelta(days=n) for n in range((until - since).days + 1))
    index = {day: n for n, day in enumerate(days)}
    table = {label: [0] * len(days) for label in labels}
    for label, day, count in counts:
        if label in table and day in index:
            table[label][index[day]] += count
    return days, tuple((label, tuple(values)) for label, values in table.items())

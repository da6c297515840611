"""How a story reads: its headline, summary line and link, all from one of its reports.

Pure: the standard library only. The cost is bounded: the headline is chosen among the story's
first ``SAMPLE`` reports (the wording the first sources agree on), so summarising a story of
300 reports costs what one of 10 does, and a story's headline stops changing once it has that
many reports (the assigner then leaves it alone).
"""

from __future__ import annotations

import functools
import math
import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from bot.news.model.vocabulary import utc
from bot.news.rules.plain_text import truncate
from bot.news.stories.keyterms import key_terms
from bot.news.stories.model import HEADLINE_SAMPLE, StoryItem, StorySummary
from bot.news.stories.wording import (
    CUT_OFF_RE,
    HEADLINE_PREFIX_RE,
    STOPWORDS,
    clean_summary,
    clean_title_text,
    tokens,
)

SAMPLE = HEADLINE_SAMPLE
CANDIDATES = 4
"""How many of the most central reports with a description a line is looked for in."""
LEAD = 3
"""How many of a description's first sentences can be a story's line (the lead says what
happened; what follows is background)."""

_SUMMARY_CHARS = 200


_GRAMS: dict[str, tuple[str, ...]] = {}
"""Each content word's 4-grams: words repeat far more than they vary (bounded, see below)."""


def _grams(word: str) -> tuple[str, ...]:
    grams = _GRAMS.get(word)
    if grams is None:
        if len(_GRAMS) >= 100_000:
            _GRAMS.clear()
        padded = f" {word} "
        grams = tuple(padded[i : i + 4] for i in range(max(1, len(padded) - 3)))
        _GRAMS[word] = grams
    return grams


def _gram_vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    """Unit 4-gram vectors over content words, to compare a story's own texts."""
    out = []
    log = math.log
    known = _GRAMS.get
    for text in texts:
        # Counted at C speed, in the order grams first occur (the order of the sums below).
        counts = Counter(
            chain.from_iterable(
                known(word) or _grams(word) for word in tokens(text) if word not in STOPWORDS
            )
        )
        # Most grams occur once: their weight is 1.0 (1 + log 1), the same float.
        weights = {gram: 1.0 + log(count) if count > 1 else 1.0 for gram, count in counts.items()}
        values = list(weights.values())
        norm = math.sqrt(sum(map(operator.mul, values, values))) or 1.0
        out.append({gram: w / norm for gram, w in weights.items()})
    return out


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(weight * b[gram] for gram, weight in a.items() if gram in b)


def _length_factor(sentence: str) -> float:
    """Very short sentences say too little and very long ones do not fit a line."""
    n = len(sentence)
    if n < 40:
        return 0.3
    if n < 70:
        return 0.8
    if n <= 220:
        return 1.0
    return max(0.4, 220 / n)


def _informativeness(sentence: str) -> float:
    terms = key_terms("", sentence, ())
    return min(len(terms.places) + len(terms.numbers) + len(terms.names), 3) / 3


def _sum(vectors: Sequence[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vector in vectors:
        for gram, weight in vector.items():
            total[gram] = total.get(gram, 0.0) + weight
    return total


def _best_sentence(
    sentences: Sequence[_Sentence],
    documents: dict[str, float],
    count: int,
    titles: Sequence[dict[str, float]],
) -> tuple[float, str] | None:
    """The sentence (of one report) that covers best what the sample's reports say.

    ``documents`` is the sum of the reports' vectors: the mean similarity to them is one dot
    product with it, divided by ``count``.
    """
    best: tuple[float, str] | None = None
    for sentence in sentences:
        vector = sentence.vector
        cover = _dot(vector, documents) / count
        score = cover * sentence.length_factor + 0.05 * sentence.informativeness
        if sentence.cut_off:
            score *= 0.5
        if best is not None and score <= best[0]:
            continue  # halving a score (never negative) cannot make it win: no titles read
        if max(_dot(vector, title) for title in titles) > 0.8:
            score *= 0.5  # it only repeats a headline
        if best is None or score > best[0]:
            best = (score, sentence.text)
    return best


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One lead sentence, read for choosing a story's line."""

    text: str
    vector: dict[str, float]
    length_factor: float
    informativeness: float
    cut_off: bool


@dataclass(frozen=True, slots=True)
class _Report:
    """One report as summarising reads it: its headline, lead sentences and their vectors.

    The same report is read again each time its story's sample changes (a story of 10 reports
    is summarised up to 10 times as it grows): ``_read`` keeps the last readings, and the
    vectors are computed when first needed (a lone report needs none). They are shared, so
    nothing may change them."""

    title: str
    lead: tuple[str, ...]
    _vectors: list[tuple[dict[str, float], dict[str, float]]]  # one slot, filled on demand
    _sentences: list[tuple[_Sentence, ...]]  # one slot, filled on demand

    def vectors(self) -> tuple[dict[str, float], dict[str, float]]:
        """The headline's vector and the whole report's (headline and lead)."""
        if not self._vectors:
            title, document = _gram_vectors([self.title, f"{self.title} {' '.join(self.lead)}"])
            self._vectors.append((title, document))
        return self._vectors[0]

    def sentences(self) -> tuple[_Sentence, ...]:
        if not self._sentences:
            vectors = _gram_vectors(self.lead)
            self._sentences.append(
                tuple(
                    _Sentence(
                        text,
                        vector,
                        _length_factor(text),
                        _informativeness(text),
                        CUT_OFF_RE.search(text) is not None,
                    )
                    for text, vector in zip(self.lead, vectors, strict=True)
                )
            )
        return self._sentences[0]


def _read_once(title: str, summary: str, source: str) -> _Report:
    item_title = title
    title = HEADLINE_PREFIX_RE.sub("", clean_title_text(title, source)) or item_title
    return _Report(title, tuple(clean_summary(summary, title, source, limit=LEAD)), [], [])


_read = functools.lru_cache(maxsize=4096)(_read_once)
"""Reports of stories of several reports: a one-report story reads its report without keeping
it (``_read_once``), so a cold poll's thousands of those never push out the reports that
``read_ahead`` read for the stories that a run summarises when it ends."""


def read_ahead(items: Sequence[StoryItem]) -> None:
    """Read ``items`` now as summarising their story will (headline, lead sentences, their
    vectors), so that ``summarize_story`` finds that done: the assigner calls it while the
    clusterer places the next batch, for the reports of the stories whose headline waits
    for the end of the run. Changes no result."""
    for item in items:
        report = _read(item.title, item.summary, item.source)
        report.vectors()
        if report.lead:
            report.sentences()


def summarize_story(story_id: int, items: Sequence[StoryItem]) -> StorySummary:
    """How one story's ``items`` read together: headline, summary line, sources, dates.

    The headline and the summary line come from one report, ``headline_item_id``, chosen
    among the story's first ``SAMPLE`` reports: of those with a usable description, the one
    whose title is most like the others' (the wording the sources agree on) plus whose best
    sentence covers best what they all say; when none has a usable description, the most
    central title, and no line. Titles lose a " - Publisher" suffix and an "Exclusive:" tag.
    A line is a description sentence with penalties for being very short or very long, cut
    off ("…"), or no more than a headline; boilerplate ("Read more", "The post ... appeared
    first on ...") never qualifies. It is cut to about 200 characters on a word boundary.
    Sources, dates, companies and item ids are of all ``items``.
    """
    if not items:
        raise ValueError("a story has at least one item")
    ordered = sorted(items, key=lambda i: (utc(i.published), i.item_id))
    sample = ordered[:SAMPLE]
    n = len(sample)
    if n == 1:
        # One report: nothing to compare, so its lead's first sentence that says something.
        # (Most stories are one report: this path must not pay for the comparisons below.)
        item = sample[0]
        only = _read_once(item.title, item.summary, item.source)
        return _summary(
            story_id, ordered, only.title, _lead_line(only.lead, only.title), sample[0].item_id
        )
    reports = [_read(item.title, item.summary, item.source) for item in sample]
    titles = [report.title for report in reports]
    vectors = [report.vectors() for report in reports]
    title_vectors = [title for title, _ in vectors]

    # The mean similarity of a title to the others, through the sum of all of them.
    all_titles = _sum(title_vectors)

    def centrality(i: int) -> float:
        own = title_vectors[i]
        return (_dot(own, all_titles) - _dot(own, own)) / (n - 1)

    documents = _sum([document for _, document in vectors])
    # Only the most central reports that have a description are read sentence by sentence.
    central = {i: round(centrality(i), 9) for i in range(n)}
    readable = sorted((i for i in range(n) if reports[i].lead), key=lambda i: (-central[i], i))
    lines: dict[int, tuple[float, str]] = {}
    for i in readable[:CANDIDATES]:
        found = _best_sentence(reports[i].sentences(), documents, n, title_vectors)
        if found is not None:
            lines[i] = found
    # Rounded so that float noise never beats the earlier report.
    if lines:
        chosen = max(lines, key=lambda i: (round(central[i] + lines[i][0], 9), -i))
    else:
        chosen = max(range(n), key=lambda i: (central[i], -i))
    line = lines[chosen][1] if chosen in lines else ""
    return _summary(story_id, ordered, titles[chosen], line, sample[chosen].item_id)


def _lead_line(sentences: Sequence[str], title: str) -> str:
    """The first lead sentence of a fair length, whole, and more than the headline again;
    else the first one that is more than the headline; else none."""
    headline = set(tokens(title))
    first = ""
    # Read one sentence at a time: the first one mostly qualifies, and the rest need not be.
    for sentence in sentences:
        if set(tokens(sentence)) <= headline:
            continue
        if len(sentence) >= 40 and not CUT_OFF_RE.search(sentence):
            return sentence
        first = first or sentence
    return first


def _summary(
    story_id: int, ordered: Sequence[StoryItem], headline: str, line: str, item_id: int
) -> StorySummary:
    return StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(item.item_id for item in ordered)),
        sources=tuple(sorted({item.source for item in ordered})),
        first_seen=utc(ordered[0].published),
        last_seen=max(utc(item.published) for item in ordered),
        companies=tuple(sorted({c for item in ordered for c in item.companies})),
        headline=headline,
        summary_line=truncate(CUT_OFF_RE.sub("…", line), _SUMMARY_CHARS) if line else "",
        headline_item_id=item_id,
    )

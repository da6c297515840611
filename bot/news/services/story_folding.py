"""One event, one entry: a summary's (or a digest's) top stories with two stories that tell
the same event shown as one.

The clusterer keeps a story apart when its evidence falls short (an explainer whose words
differ from the wires', a report the merge pass never met); its pairwise figures are its own
business, but a reader of a top ten who sees the same event twice sees a broken product. Only
the display is at stake here, so the stored stories never change: a folded entry is the larger
story's headline, line and link, with both stories' reports and sources counted once.

What folds, read from each story's headline with the clusterer's own key terms
(``stories.keyterms``: companies, names, places, amounts in any language):

- a subject in common: a company both headlines name, or the name both lead with;
- a figure in common in both headlines ("$2.5 billion", "14m parcels"; not a percentage, a
  day or a small count): one subject and one figure at one time is one event, and two
  earnings reports or two fines give other figures;
- within the clusterer's window of each other, neither a round-up;
- and nothing against it: headline places that differ ("fined in Spain" / "fined in Italy") or
  headline companies that differ.

A company and a time alone are not enough (two Temu stories can break the same hour), nor are
common words: on the labelled sets, look-alikes that share a company also share most of their
words with the event they resemble (an appeal of a fine, a live blog), and the story models'
own scores (join log-odds of one story's reports against the other, the merge model) rank
such look-alikes above true pairs. A figure only in a summary line is not enough either: a
follow-up recalls the event's figure. An entry's own story is compared, never what was
folded into it: folds do not chain.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.news.model.vocabulary import StoryRecord
from bot.news.rules.summary_ranking import RankedStory
from bot.news.stories.model import StoryConfig

if TYPE_CHECKING:
    from bot.news.stories.keyterms import TermView

__all__ = ["fold_same_events"]

# A headline term weighs 2 (names, amounts) or 3 (companies) in ``keyterms``; a text term 1.
_HEADLINE_NAME = 2
_HEADLINE_COMPANY = 3
# A bare number below this is a day, a count or a rank ("Sept. 4", "3 states"), not a figure
# that identifies an event.
_SMALL = 100.0


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What a story's headline says that can tell one event from another."""

    subjects: frozenset[str]  # the companies the headline names, and the name it leads with
    companies: frozenset[str]  # the companies the headline names
    places: TermView  # the headline's places
    roundup: bool

    @classmethod
    def of(cls, story: StoryRecord) -> _Evidence:
        return _evidence(story.headline, story.summary_line, tuple(c.id for c in story.companies))

    @classmethod
    def read(cls, headline: str, line: str, company_ids: tuple[str, ...]) -> _Evidence:
        from bot.news.stories.keyterms import TermView, key_terms
        from bot.news.stories.roundups import is_roundup

        terms = key_terms(headline, line, company_ids)
        companies = frozenset(k for k, w in terms.companies.items() if w >= _HEADLINE_COMPANY)
        names = [k for k, w in terms.names.items() if w >= _HEADLINE_NAME]
        # Who the news is about is the first name the headline gives: "Evri says it delivered
        # record 14m parcels over Black Friday weekend" is about Evri, not Black Friday.
        lowered = headline.casefold()
        placed = [(lowered.find(name), name) for name in names if name in lowered]
        lead = frozenset([min(placed)[1]] if placed else names)
        return cls(
            subjects=companies | lead,
            companies=companies,
            places=TermView.of(terms.title_places),
            roundup=is_roundup(headline),
        )


# A period's top stories are read again for every summary and digest: reading a headline's key
# terms is most of folding's cost, and a story's headline changes rarely.
@functools.lru_cache(maxsize=4096)
def _evidence(headline: str, line: str, company_ids: tuple[str, ...]) -> _Evidence:
    return _Evidence.read(headline, line, company_ids)


# Figures are read first, and alone: two stories fold only when their headlines give one, and
# few pairs of a top ten do. Reading them takes ``stories.amounts`` only, where the rest of the
# evidence takes ``stories.keyterms`` and its tables (about 0.15 s of CPU the first time in a
# process: most of a cold ``shopwire summary``'s folding), so a summary with no pair sharing a
# figure never loads those.
@functools.lru_cache(maxsize=4096)
def _figures(headline: str, line: str) -> frozenset[str]:
    """The amounts and large counts a story's headline gives: ``keyterms.key_terms``'
    numbers of weight 2 or more (as ``keyterms.text_terms`` reads them: the headline weighs
    2, the line 1) that identify an event."""
    from bot.news.stories.amounts import apart_from_cjk, ascii_digits, numbers

    found: Counter[str] = Counter()
    for text, weight in ((headline, _HEADLINE_NAME), (line, 1)):
        if not text:
            continue
        if not text.isascii():
            text = apart_from_cjk(ascii_digits(unicodedata.normalize("NFC", text)))
        numbers(text, weight, found)
    return frozenset(k for k, w in found.items() if w >= _HEADLINE_NAME and _identifies(k))


def _identifies(figure: str) -> bool:
    """Whether a figure tells one event from another: an amount or a large count does; a
    percentage does not (a company's "15% of staff" and "15% commission" two days apart), nor a
    day or a small count."""
    if figure.endswith("%"):
        return False
    try:
        return float(figure) >= _SMALL
    except ValueError:  # another written form of an amount
        return True


def _same_event(a: _Evidence, b: _Evidence) -> bool:
    """Whether two stories whose headlines give a figure in common tell one event."""
    from bot.news.stories.keyterms import view_disjoint

    if a.roundup or b.roundup or a.subjects.isdisjoint(b.subjects):
        return False
    if a.companies and b.companies and a.companies.isdisjoint(b.companies):
        return False
    # As the clusterer's veto: a headline place the other's headline places do not include
    # (nor a region of one) is another event, however alike the rest.
    return not any(
        mine.main_total and theirs.full and view_disjoint(mine, theirs)
        for mine, theirs in ((a.places, b.places), (b.places, a.places))
    )


def _near(a: StoryRecord, b: StoryRecord, window: timedelta) -> bool:
    return a.first_seen - b.last_seen <= window and b.first_seen - a.last_seen <= window


@dataclass(slots=True)
class _Entry:
    lead: RankedStory  # the highest-ranked story of the entry: its place and score
    figures: frozenset[str]
    folded: list[StoryRecord]

    def takes(self, story: StoryRecord, figures: frozenset[str], window: timedelta) -> bool:
        """Whether ``story`` tells this entry's event. Both headlines must give the figure: a
        follow-up recalls the event's figure in its text ("Whatnot launches in France and
        Spain ... days after a round that valued it at $11.5 billion")."""
        mine = self.lead.story
        return (
            not figures.isdisjoint(self.figures)
            and _near(mine, story, window)
            and _same_event(_Evidence.of(mine), _Evidence.of(story))
        )

    def shown(self) -> RankedStory:
        """The entry as one story: the larger story's headline, line and links (ties: the
        higher ranked), every report and source of both counted once."""
        if not self.folded:
            return self.lead
        stories = [self.lead.story, *self.folded]
        face = max(stories, key=lambda s: (len(s.sources), -stories.index(s)))
        companies = {c.id: c for s in (face, *stories) for c in s.companies}
        topics = dict.fromkeys(t for s in (face, *stories) for t in s.topics)
        story = replace(
            face,
            first_seen=min(s.first_seen for s in stories),
            last_seen=max(s.last_seen for s in stories),
            item_count=sum(s.item_count for s in stories),
            sources=tuple(sorted({source for s in stories for source in s.sources})),
            companies=tuple(companies.values()),
            topics=tuple(topics),
        )
        also = tuple(s for s in stories if s is not face)
        return RankedStory(story, self.lead.score, also=also)


# Two stories of one event lie within the clusterer's join window of each other.
_WINDOW = StoryConfig().window


def fold_same_events(
    ranked: Sequence[RankedStory], limit: int, *, window: timedelta = _WINDOW
) -> list[RankedStory]:
    """The first ``limit`` entries of ``ranked`` (best first) with each story that tells the
    same event as a better-ranked one folded into that one's entry; the next story takes the
    place it would have had. ``window``: how far apart two stories of one event may lie (the
    clusterer's join window)."""
    entries: list[_Entry] = []
    for candidate in ranked:
        story = candidate.story
        figures = _figures(story.headline, story.summary_line)
        home = next((entry for entry in entries if entry.takes(story, figures, window)), None)
        if home is not None:
            home.folded.append(story)
        elif len(entries) < limit:
            entries.append(_Entry(candidate, figures, []))
        else:
            break
    return [entry.shown() for entry in entries]

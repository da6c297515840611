"""One event, one entry: a summary's (or a digest's) top stories with two stories that tell
the same event shown as one.

The clusterer keeps a story apart when its evidence falls short (an explainer whose words
differ from the wires', a report the merge pass never met); its pairwise figures are its own
business, but a reader of a top ten who sees the same event twice sees a broken product. Only
the display is at stake here, so the stored stories never change: a folded entry is the larger
story's headline, line and link, with both stories' reports and sources counted once.

What folds, read from each story's headline and summary line with the clusterer's own key
terms (``stories.keyterms``: companies, names, places, amounts in any language):

- a subject in common: a company or a name both headlines lead with;
- an amount in common ("$2.5 billion", "31%"; not a day or a small count), anywhere in the
  headlines and lines: one company and one figure at one time is one event;
- within the clusterer's window of each other, neither a round-up;
- and nothing against it: headline places that differ ("fined in Spain" / "fined in Italy"),
  headline companies that differ, or headline amounts that differ (two earnings reports).

A company and a time alone are not enough (two Temu stories can break the same hour), nor are
common words: on the labelled sets, every look-alike in a top twenty that shared a company
also shared most of its words with the event it resembles (an appeal of a fine, a live blog).
An entry's own story is compared, never what was folded into it: folds do not chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.news.model.vocabulary import StoryRecord
from bot.news.rules.summary_ranking import RankedStory

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
    """What a story's headline and line say that can tell one event from another."""

    subjects: frozenset[str]  # companies and names the headline leads with
    companies: frozenset[str]  # companies the headline names
    amounts: frozenset[str]  # figures in the headline or the line
    headline_amounts: frozenset[str]
    places: TermView  # the headline's places
    roundup: bool

    @classmethod
    def of(cls, story: StoryRecord) -> _Evidence:
        from bot.news.stories.keyterms import TermView, key_terms
        from bot.news.stories.roundups import is_roundup

        terms = key_terms(story.headline, story.summary_line, [c.id for c in story.companies])
        companies = frozenset(k for k, w in terms.companies.items() if w >= _HEADLINE_COMPANY)
        names = frozenset(k for k, w in terms.names.items() if w >= _HEADLINE_NAME)
        amounts = {k: w for k, w in terms.numbers.items() if _identifies(k)}
        return cls(
            subjects=companies | names,
            companies=companies,
            amounts=frozenset(amounts),
            headline_amounts=frozenset(k for k, w in amounts.items() if w >= _HEADLINE_NAME),
            places=TermView.of(terms.title_places),
            roundup=is_roundup(story.headline),
        )


def _identifies(amount: str) -> bool:
    try:
        return float(amount) >= _SMALL
    except ValueError:  # a percentage ("31%") or another written form
        return True


def _same_event(a: _Evidence, b: _Evidence) -> bool:
    from bot.news.stories.keyterms import view_disjoint

    if a.roundup or b.roundup or a.subjects.isdisjoint(b.subjects):
        return False
    if a.amounts.isdisjoint(b.amounts):
        return False
    if a.companies and b.companies and a.companies.isdisjoint(b.companies):
        return False
    if (
        a.headline_amounts
        and b.headline_amounts
        and a.headline_amounts.isdisjoint(b.headline_amounts)
    ):
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
    evidence: _Evidence
    folded: list[StoryRecord]

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


def fold_same_events(
    ranked: Sequence[RankedStory], limit: int, *, window: timedelta = timedelta(hours=72)
) -> list[RankedStory]:
    """The first ``limit`` entries of ``ranked`` (best first) with each story that tells the
    same event as a better-ranked one folded into that one's entry; the next story takes the
    place it would have had. ``window``: how far apart two stories of one event may lie (the
    clusterer's join window)."""
    entries: list[_Entry] = []
    for candidate in ranked:
        evidence = _Evidence.of(candidate.story)
        home = next(
            (
                entry
                for entry in entries
                if _near(entry.lead.story, candidate.story, window)
                and _same_event(entry.evidence, evidence)
            ),
            None,
        )
        if home is not None:
            home.folded.append(candidate.story)
        elif len(entries) < limit:
            entries.append(_Entry(candidate, evidence, []))
        else:
            break
    return [entry.shown() for entry in entries]

"""Whether a headline is of a preview of a company's results: what analysts expect before
the report ("Adyen Q1 preview: ...", "PDD Holdings Earnings Preview: What to Watch ...",
"What to expect from Asos's half-year results on Thursday", "Burberry expected to post
further sales decline in Tuesday's Q1 update").

A preview shares the company, the period and most words with the results it previews, so the
join model takes it (and, through it, the results reports) in; but it is written days before
and tells none of the figures: another event. The clusterer keeps previews and other reports
apart (``clusterer``); previews of one report still go together.

Read by the form only: a preview word or phrase and a results word in one headline. Pure: the
standard library and the needle reader only.
"""

from __future__ import annotations

import re

from bot.news.stories.needles import needles

__all__ = ["is_preview"]

# Lower-case patterns, matched against the lowered headline.
# The preview itself: the noun (not the verb, "Amazon previews its new app"), "what to watch
# / expect", "expected to post" (a forecast of the figures), in the languages the feeds write.
_PREVIEW_RE = re.compile(
    r"\bpreview\b|\bwhat to (?:watch|expect)\b|\b(?:are|is) coming\b"
    r"|\b(?:expected|seen|set|forecast) to (?:post|report|show)\b|\bseen posting\b"
    r"|\bqué esperar\b|\bà quoi s'attendre\b|\bcosa aspettarsi\b|\bvorschau\b"
    r"|前瞻|プレビュー"
    # A report still to come: "AXP to Report Q3 Earnings", "shares hit record ahead of
    # results next week" (the results themselves are "reports", "reported", "posts").
    r"|\b(?:to|will) report\b|\bahead of\s(?:its |their |the )?(?:q[1-4] |quarterly |half-year "
    r"|full-year |annual )?(?:earnings|results)\b"
)
# A date still to come after "reports" or the results: a preview by itself, results word or
# not ("Lululemon Reports Thursday. Here's Why the Bar Is So Low.", "Shopify Reports Earnings
# Tomorrow", "Best Buy Earnings Are Next Week"). A weekday only after "reports": "results on
# Thursday" may be a report of them written that day.
_DATED_RE = re.compile(
    r"\breports\s(?:(?:q[1-4] |quarterly |its )?(?:earnings|results) )?(?:tomorrow|tonight"
    r"|next week|(?:on )?(?:mon|tues|wednes|thurs|fri)day)\b"
    r"|\b(?:earnings|results)\s(?:are |is )?(?:due )?(?:tomorrow|tonight|next week)\b"
)
# What is previewed: a company's results for a period.
_RESULTS_RE = re.compile(
    r"\b(?:earnings|results|q[1-4]|quarter(?:ly)?|half-year|full-year|h[12]|fy\d*"
    r"|trading update|sales|profit|revenue|resultados|résultats|risultati|quartalszahlen|zahlen)\b"
    r"|财报|业绩|決算"
)

if any(
    pattern.pattern != pattern.pattern.lower() for pattern in (_PREVIEW_RE, _RESULTS_RE, _DATED_RE)
):
    raise RuntimeError("preview patterns must be lower case")


# Strings one of which every match of ``_PREVIEW_RE`` holds, read from the pattern itself so
# they follow it when it changes (every item's headline is read, and a substring test is far
# cheaper than trying the alternation at each position); None: read every headline.
_NEEDLES = needles(_PREVIEW_RE.pattern)
_DATED_NEEDLES = needles(_DATED_RE.pattern)


def is_preview(title: str) -> bool:
    """Whether a (cleaned) headline previews a company's results."""
    lower = title.lower()
    if _may_hold(lower, _DATED_NEEDLES) and _DATED_RE.search(lower) is not None:
        return True
    if not _may_hold(lower, _NEEDLES):
        return False
    return _PREVIEW_RE.search(lower) is not None and _RESULTS_RE.search(lower) is not None


def _may_hold(lower: str, found: frozenset[str] | None) -> bool:
    """Whether a lowered headline holds one of a pattern's needles (None: may match)."""
    return found is None or any(needle in lower for needle in found)

"""Whether a headline names a company family, by any of the names the tagger knows it by.

The tagger gives family ids ("jd", "walmart", "tiktok_shop"); a headline writes "JD.com",
"Myntra", "Douyin" or "ウォルマート". Which companies a headline names decides which ones a
report is about (``keyterms.company_weights``): a family tagged from its brand in the headline
("Myntra cuts seller fees ...") is the headline's company, not a rival the text mentions.
Only the names are read here; whether the family applies at all is the tagger's decision.
"""

from __future__ import annotations

import functools
import re

from bot.news.tagging.companies import FAMILIES, Family

_WORD_RE = re.compile(r"[^\W_]+")


@functools.cache
def _names() -> dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    """Family id -> (its Latin-script names as lower-case word tuples, its other-script names
    as lower-case strings), its brands' names included."""
    return {family.id: _family_names(family) for family in FAMILIES}


def _family_names(family: Family) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    texts = [alias.text for alias in family.aliases]
    texts += [alias.text for brand in family.brands for alias in brand.aliases]
    latin: set[tuple[str, ...]] = set()
    other: set[str] = set()
    for text in texts:
        lowered = text.lower()
        if lowered.isascii():
            words = tuple(_WORD_RE.findall(lowered))
            # Parts of two letters or fewer alone ("JD", "FBT" aside) say too little.
            if words and (len(words) > 1 or len(words[0]) > 2):
                latin.add(words)
        else:
            other.add(lowered)
    return tuple(sorted(latin)), tuple(sorted(other))


@functools.cache
def family_words(company: str) -> frozenset[str]:
    """Every lower-case word and name a family is written with (its id's parts, its and its
    brands' names), for telling a shared company name from a shared name of something else."""
    words = set(company.split("_"))
    latin, other = _names().get(company, ((), ()))
    for name in latin:
        words.update(name)
        words.add(" ".join(name))
    words.update(other)
    return frozenset(words)


def names_in_headline(company: str, lowered: str, words: set[str]) -> bool:
    """Whether a headline (``lowered``, and ``words``: its words) writes one of the names of
    ``company``'s family. A name of several words counts when all of them are there."""
    found = _names().get(company)
    if found is None:
        return False
    latin, other = found
    if any(all(word in words for word in name) for name in latin):
        return True
    return not lowered.isascii() and any(name in lowered for name in other)

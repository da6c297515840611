"""One item as the clusterer sees it: weighted words and key terms, and how that is stored.

Words are stemmed content words of the title (counted ``title_weight`` times) and of the
description's lead; key terms (places, amounts, companies, names) are features of their own,
in a normal form, so that "Canada" meets "Canadian" and "€40m" meets "40 million euros".
Each weight is sublinear in its count and multiplied by the term's IDF over the stories held
when the item arrived; the vector has unit length.

IDF is fixed when an item is prepared, not recomputed at every comparison: a story's centroid
is then a plain sum, its norm is kept up to date in O(item) per addition, and comparing an item
with a story costs the same whether the story has 3 reports or 300. The price is that the
state depends on the order items arrived in, which is why the prepared form is stored
(``encode``/``decode``): a restart reads it back instead of recomputing anything.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.news.models import utc
from bot.news.stories.keyterms import PLACE_WORDS, KeyTerms, TermView, disputable, key_terms
from bot.news.stories.model import StoryConfig, StoryItem
from bot.news.stories.wording import (
    HEADLINE_PREFIX_RE,
    STOPWORDS,
    SYNONYMS,
    clean_summary,
    clean_title,
    stem,
    tokens,
)

# Separators of the stored form: control characters no token, term or source name contains.
_FIELD, _ENTRY, _PAIR = "\x1f", "\x1e", "\x1d"
_FORMAT = "1"
"""The stored form's version: prepared data of another version is prepared again."""

TERM_KINDS = ("p", "n", "c", "e")
# places, numbers (amounts), companies, names (entities)


@dataclass(slots=True)
class Prepared:
    """An item ready to be compared: unit-length weighted features and its key terms."""

    item_id: int
    source: str
    published: float  # POSIX seconds, capped at "now" when prepared
    features: dict[str, float]
    terms: KeyTerms
    short: bool  # title only: no usable description
    _views: tuple[TermView, TermView, TermView, TermView] | None = None
    _event: dict[str, float] | None = None

    def event_features(self) -> dict[str, float]:
        """The features that say what happened: words that are not key terms, the item's
        companies' names or place names. Two reports sharing only "Shopee" and "Mexico" are
        not one event."""
        if self._event is None:
            names = {part for company in self.terms.companies for part in company.split("_")}
            self._event = {
                key: weight
                for key, weight in self.features.items()
                if key[0] != "\x00" and key not in names and key not in PLACE_WORDS
            }
        return self._event

    def views(self) -> tuple[TermView, TermView, TermView, TermView]:
        """Places that can be disputed, numbers, companies, names: for comparisons."""
        if self._views is None:
            terms = self.terms
            self._views = (
                TermView.of(disputable(terms.title_places)),
                TermView.of(terms.numbers),
                TermView.of(terms.companies),
                TermView.of(terms.names),
            )
        return self._views

    def encode(self) -> str:
        """The stored form (text, for a TEXT column)."""
        features = _ENTRY.join(f"{k}{_PAIR}{w:.6g}" for k, w in self.features.items())
        bags = [
            _ENTRY.join(f"{k}{_PAIR}{n}" for k, n in bag.items())
            for bag in (
                self.terms.places,
                self.terms.numbers,
                self.terms.companies,
                self.terms.title_places,
            )
        ]
        names = _ENTRY.join(f"{k}{_PAIR}{n}" for k, n in self.terms.names.items())
        source = "".join(" " if ch in _FIELD + _ENTRY + _PAIR else ch for ch in self.source)
        short = "1" if self.short else "0"
        return _FIELD.join([_FORMAT, repr(self.published), short, source, features, *bags, names])

    @classmethod
    def decode(cls, item_id: int, data: str) -> Prepared | None:
        """The prepared item stored as ``data``; None when it is of another format."""
        parts = data.split(_FIELD)
        if len(parts) != 10 or parts[0] != _FORMAT:
            return None
        features: dict[str, float] = {}
        if parts[4]:
            for entry in parts[4].split(_ENTRY):
                key, _, weight = entry.partition(_PAIR)
                features[key] = float(weight)
        bags = [_bag(part) for part in parts[5:10]]
        return cls(
            item_id=item_id,
            source=parts[3],
            published=float(parts[1]),
            features=features,
            terms=KeyTerms(bags[0], bags[1], bags[2], bags[4], bags[3]),
            short=parts[2] == "1",
        )


def _bag(text: str) -> Counter[str]:
    bag: Counter[str] = Counter()
    if text:
        for entry in text.split(_ENTRY):
            key, _, count = entry.partition(_PAIR)
            bag[key] = int(count)
    return bag


def term_key(kind: str, term: str) -> str:
    """A key term's feature name; the NUL keeps it apart from every word."""
    return f"\x00{kind}:{term}"


class Featurizer:
    """StoryItem -> Prepared. Caches each token's stem: words repeat far more than they vary."""

    _CACHE_LIMIT = 200_000

    def __init__(self, config: StoryConfig) -> None:
        self._config = config
        self._stems: dict[str, str | None] = {}

    def _stem(self, token: str) -> str | None:
        found = self._stems.get(token, "")
        if found == "":
            if len(self._stems) >= self._CACHE_LIMIT:
                self._stems.clear()
            keep = token not in STOPWORDS and (len(token) >= 3 or token[0].isdigit())
            found = SYNONYMS.get(word := stem(token), word) if keep else None
            self._stems[token] = found
        return found

    def prepare(
        self, item: StoryItem, now: datetime | None, idf: Callable[[str], float]
    ) -> Prepared:
        """``item``'s features, weighted by ``idf`` (the held stories' IDF of a feature)."""
        config = self._config
        published = utc(item.published)
        if now is not None and published > utc(now):
            published = utc(now)
        title = HEADLINE_PREFIX_RE.sub("", clean_title(item))
        sentences = clean_summary(item.summary, title, item.source)
        summary = " ".join(sentences)
        terms = key_terms(title, summary, item.companies)
        counts: dict[str, float] = {}
        for token in tokens(title):
            word = self._stem(token)
            if word is not None:
                counts[word] = counts.get(word, 0.0) + config.title_weight
        for token in tokens(summary)[: config.summary_words]:
            word = self._stem(token)
            if word is not None:
                counts[word] = counts.get(word, 0.0) + 1.0
        features = {word: (1.0 + math.log(n)) * idf(word) for word, n in counts.items()}
        if config.term_boost:
            for kind, bag in zip(TERM_KINDS, terms.bags(), strict=True):
                for term, n in bag.items():
                    key = term_key(kind, term)
                    weight = config.term_boost * (1.0 + math.log(n)) * idf(key)
                    features[key] = features.get(key, 0.0) + weight
        norm = math.sqrt(sum(w * w for w in features.values()))
        if norm > 0.0:
            features = {k: w / norm for k, w in features.items()}
        return Prepared(
            item_id=item.item_id,
            source=item.source,
            published=published.timestamp(),
            features=features,
            terms=terms,
            short=not sentences,
        )

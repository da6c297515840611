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

import hashlib
import json
import math
import sys
from array import array
from base64 import b64encode
from binascii import a2b_base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from operator import mul

from bot.news.model.vocabulary import utc
from bot.news.stories.denials import is_denial
from bot.news.stories.keyterms import (
    PLACE_WORDS,
    Bag,
    KeyTerms,
    Views,
    company_weights,
    text_terms,
    views_of,
)
from bot.news.stories.lexicon import EVENT_PHRASES
from bot.news.stories.model import StoryConfig, StoryItem
from bot.news.stories.previews import is_preview
from bot.news.stories.wording import (
    HEADLINE_PREFIX_RE,
    STOPWORDS,
    SYNONYMS,
    clean_summary,
    clean_title,
    event_tokens,
    is_cjk,
    is_roundup,
    stem,
)

_FORMAT = "s3:"
"""The stored form's version tag: prepared data of another version is prepared again."""
_JSON_FORMAT = "s2:"
"""The stored form before ``_FORMAT``, still read."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""What ``json.dumps`` with these arguments would build anew for every item."""

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
    # A digest of several events (a round-up, a newsletter issue, a live blog): its own story.
    roundup: bool = False
    # A preview of a company's results (``previews``): never one story with the results.
    preview: bool = False
    # A refusal to do what another did (``denials``): never one story with the doing.
    denial: bool = False
    _views: Views | None = None
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

    def views(self) -> Views:
        """Places that can be disputed, numbers, companies, names: for comparisons."""
        if self._views is None:
            terms = self.terms
            self._views = views_of(terms.title_places, terms.numbers, terms.companies, terms.names)
        return self._views

    def encode(self) -> str:
        """The stored form: a version tag, the weights as 8-byte floats in base64, and JSON.

        A restart decodes every held item (10,000 and more), and reading decimal floats was
        most of what JSON took: the weights are copied as they are in memory instead, and
        the rest (the feature names, key terms, source, date) stays JSON, so the form is the
        same text for the same values on any machine."""
        terms = self.terms
        weights = array("d", self.features.values())
        if sys.byteorder != "little":
            weights.byteswap()
        body = [
            self.published,
            # Flags: 1 title only, 2 a round-up, 4 a results preview, 8 a refusal.
            int(self.short)
            | (2 if self.roundup else 0)
            | (4 if self.preview else 0)
            | (8 if self.denial else 0),
            self.source,
            list(self.features),
            terms.places,
            terms.numbers,
            terms.companies,
            terms.names,
            terms.title_places,
        ]
        return _FORMAT + b64encode(weights.tobytes()).decode("ascii") + _ENCODER.encode(body)

    @classmethod
    def decode(cls, item_id: int, data: str) -> Prepared | None:
        """The prepared item stored as ``data`` (in this format or the JSON one before it);
        None when it is of another format or damaged."""
        if not data.startswith(_FORMAT):
            return cls._decode_json(item_id, data) if data.startswith(_JSON_FORMAT) else None
        try:
            # Base64 has no "[": the JSON starts at the first one.
            split = data.index("[", len(_FORMAT))
            weights = array("d")
            weights.frombytes(a2b_base64(data[len(_FORMAT) : split]))
            if sys.byteorder != "little":
                weights.byteswap()
            published, flags, source, keys, *bags = json.loads(data[split:])
            places, numbers, companies, names, title_places = bags
            return cls(
                item_id=item_id,
                source=str(source),
                published=float(published),
                features=dict(zip(keys, weights.tolist(), strict=True)),
                terms=KeyTerms(
                    _bag(places), _bag(numbers), _bag(companies), _bag(names), _bag(title_places)
                ),
                short=bool(int(flags) & 1),
                roundup=bool(int(flags) & 2),
                preview=bool(int(flags) & 4),
                denial=bool(int(flags) & 8),
            )
        except (ValueError, TypeError, AttributeError):
            return None

    @classmethod
    def _decode_json(cls, item_id: int, data: str) -> Prepared | None:
        """The JSON form stored before (``s2:``): still read, so an upgraded database keeps
        its stories; it ages out with the items."""
        try:
            body = json.loads(data[len(_JSON_FORMAT) :])
            published, flags, source, keys, weights, *bags = body
            places, numbers, companies, names, title_places = (
                {str(k): int(n) for k, n in bag.items()} for bag in bags
            )
            return cls(
                item_id=item_id,
                source=str(source),
                published=float(published),
                features=dict(zip(keys, weights, strict=True)),
                terms=KeyTerms(places, numbers, companies, names, title_places),
                short=bool(int(flags) & 1),
                roundup=bool(int(flags) & 2),
                preview=bool(int(flags) & 4),
                denial=bool(int(flags) & 8),
            )
        except (ValueError, TypeError):
            return None


def _bag(value: object) -> Bag:
    """A stored bag of key terms, checked: JSON gives str keys, and counts must be ints (a
    sum of ints is an int; any other number or a string makes it not, or raises TypeError,
    checked in C)."""
    if not isinstance(value, dict) or type(sum(value.values())) is not int:
        raise ValueError("not a bag of key terms")
    return value


# Which stop words, synonyms, phrases and rules read the text: stored features read
# otherwise are read again, and a saved clusterer holding them is not used.
# (Bump the rules' number when a rule of ``keyterms`` or ``wording`` changes.)
# 15: the results-preview flag; 16: dated previews, dashed lists, regulators, "en EU"; 17: the
# refusal flag, "+" and 要闻 round-ups, figures heads, "scale-up" and app-store origins
_RULES = 17
READING = hashlib.blake2b(
    repr((_RULES, sorted(STOPWORDS), sorted(SYNONYMS.items()), EVENT_PHRASES)).encode(),
    digest_size=6,
).hexdigest()

_TEXT_FORMAT = "x1:"
"""The stored text features' version tag (``TextFeatures.encode``)."""


@dataclass(frozen=True, slots=True)
class TitleFacts:
    """What weighing reads of an item's cleaned headline and tagged companies besides its
    words: each company's weight (``company_weights``), whether it is a round-up, whether a
    results preview, whether a refusal (``denials``). None of it needs the IDF, so the story
    worker's text reader works it out beside the text: the worker (the stories step's longest
    chain) then only weighs.
    ``tagged``: the companies it was worked out for (``weigh`` uses it for no other)."""

    tagged: tuple[str, ...]
    companies: Bag
    roundup: bool
    preview: bool
    denial: bool


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """What an item's text says before any weighting: stemmed word counts (title words
    counted ``title_weight`` times) and the text's key terms. Reading text is most of what
    preparing an item costs, and needs nothing but the item: parser workers do it at ingest
    (stored with the item), so the clusterer only weighs. ``check`` names the text and the
    settings it was read from (``Featurizer.check``)."""

    check: str
    title: str  # the cleaned headline: a company named in it weighs more
    counts: dict[str, float]
    places: Bag
    numbers: Bag
    names: Bag
    title_places: Bag
    short: bool
    # Worked out beside the text by the text reader (``Featurizer.title_facts``), else None
    # (``weigh`` works it out): never stored, and no part of what the text says (equality).
    facts: TitleFacts | None = field(default=None, compare=False)

    def encode(self) -> str:
        """The stored form: a version tag and JSON."""
        body = [
            self.check,
            self.title,
            int(self.short),
            list(self.counts),
            list(self.counts.values()),
            self.places,
            self.numbers,
            self.names,
            self.title_places,
        ]
        return _TEXT_FORMAT + _ENCODER.encode(body)

    @classmethod
    def decode(cls, data: str) -> TextFeatures | None:
        """The text features stored as ``data``; None when they are of another format."""
        if not data.startswith(_TEXT_FORMAT):
            return None
        try:
            check, title, short, keys, counts, *bags = json.loads(data[len(_TEXT_FORMAT) :])
            places, numbers, names, title_places = (
                {str(k): int(n) for k, n in bag.items()} for bag in bags
            )
            return cls(
                check=str(check),
                title=str(title),
                counts={str(k): float(n) for k, n in zip(keys, counts, strict=True)},
                places=places,
                numbers=numbers,
                names=names,
                title_places=title_places,
                short=bool(short),
            )
        except (ValueError, TypeError, AttributeError):
            return None


def term_key(kind: str, term: str) -> str:
    """A key term's feature name; the NUL keeps it apart from every word."""
    return f"\x00{kind}:{term}"


_TERM_PREFIXES = tuple(term_key(kind, "") for kind in TERM_KINDS)
"""``term_key``'s text before the term, for each kind in turn."""

_LOGS: dict[float, float] = {}
"""``1 + log(n)`` of each count seen: counts are a few small numbers (title words count
``title_weight`` each), read for every word of every item."""


def _log1(n: float) -> float:
    """``1.0 + math.log(n)``, remembered."""
    found = _LOGS.get(n)
    if found is None:
        if len(_LOGS) >= 10_000:
            _LOGS.clear()
        found = _LOGS[n] = 1.0 + math.log(n)
    return found


_STEMS: dict[str, str | None] = {}
"""Each token's stem (None: not a feature), shared by every featurizer of the process: it
depends on the module's word lists only, and a new clusterer (a rebuild, a test, a worker)
then starts warm."""


class Featurizer:
    """StoryItem -> Prepared. Caches each token's stem: words repeat far more than they vary."""

    _CACHE_LIMIT = 200_000

    def __init__(self, config: StoryConfig) -> None:
        self._config = config
        self._stems = _STEMS

    def _stem(self, token: str) -> str | None:
        found = self._stems.get(token, "")
        if found == "":
            if len(self._stems) >= self._CACHE_LIMIT:
                self._stems.clear()
            keep = token not in STOPWORDS and (
                len(token) >= 3 or token[0].isdigit() or is_cjk(token)
            )
            found = SYNONYMS.get(word := stem(token), word) if keep else None
            self._stems[token] = found
        return found

    def extract(self, item: StoryItem, check: str | None = None) -> TextFeatures:
        """What ``item``'s text says, before any weighting: pure, and the same wherever it
        runs (a parser worker at ingest, or here). ``check``: ``self.check(item)``, when the
        caller has it already."""
        config = self._config
        title = HEADLINE_PREFIX_RE.sub("", clean_title(item))
        # The lead says what happened; a long description's rest is background shared with
        # other stories, and reading it would only cost time.
        lead = item.summary if len(item.summary) <= 600 else item.summary[:600]
        sentences = clean_summary(lead, title, item.source)
        summary = " ".join(sentences)[: 8 * config.summary_words]
        counts: dict[str, float] = {}
        count = counts.get
        # The stem cache looked up inline: this loop runs for every word of every item.
        known, stem_of = self._stems.get, self._stem
        for weight, words in (
            (config.title_weight, event_tokens(title)),
            (1.0, event_tokens(summary)[: config.summary_words]),
        ):
            for token in words:
                word = known(token, "")
                if word == "":
                    word = stem_of(token)
                if word is not None:
                    counts[word] = count(word, 0.0) + weight
        places, numbers, names, title_places = text_terms(title, summary)
        return TextFeatures(
            check=check if check is not None else self.check(item),
            title=title,
            counts=counts,
            places=places,
            numbers=numbers,
            names=names,
            title_places=title_places,
            short=not sentences,
        )

    def check(self, item: StoryItem) -> str:
        """What ``TextFeatures`` were extracted from: the text, the source and the settings
        that shape them. Stored features of another check are extracted again."""
        config = self._config
        seen = f"{item.title}\x00{item.summary}\x00{item.source}\x00"
        seen += f"{config.title_weight!r}\x00{config.summary_words}\x00{READING}"
        return hashlib.blake2b(seen.encode(), digest_size=12).hexdigest()

    def text_of(self, item: StoryItem) -> TextFeatures:
        """``item``'s text features: those stored with it at ingest when they were read from
        the same text, else extracted now (with an empty ``check`` when nothing was stored:
        they are weighed, never stored)."""
        if item.text is None:
            # Read for this use only, never stored: no need to name what it was read from.
            return self.extract(item, "")
        check = self.check(item)
        stored = TextFeatures.decode(item.text)
        if stored is not None and stored.check == check:
            return stored
        return self.extract(item, check)

    def prepare(
        self, item: StoryItem, now: datetime | None, idf: Callable[[str], float]
    ) -> Prepared:
        """``item``'s features, weighted by ``idf`` (the held stories' IDF of a feature)."""
        return self.weigh(self.text_of(item), item, now, idf)

    def weigh(
        self,
        text: TextFeatures,
        item: StoryItem,
        now: datetime | None,
        idf: Callable[[str], float],
    ) -> Prepared:
        """``text`` (``item``'s) weighted by ``idf``, with ``item``'s companies and date."""
        config = self._config
        published = utc(item.published)
        if now is not None and published > utc(now):
            published = utc(now)
        facts = text.facts
        if facts is None or facts.tagged != item.companies:
            facts = self.title_facts(text, item.companies)
        terms = KeyTerms(text.places, text.numbers, facts.companies, text.names, text.title_places)
        counts = text.counts
        # ``1 + log(n)`` of each count, and the IDFs in one ``map`` (``idf`` may be a dict's
        # lookup, then at C speed): this runs for every word of every item.
        weights = map(mul, map(_log1, counts.values()), map(idf, counts))
        features = dict(zip(counts, weights, strict=True))
        boost = config.term_boost
        if boost:
            for prefix, bag in zip(_TERM_PREFIXES, terms.bags(), strict=True):
                for term, n in bag.items():
                    key = prefix + term  # term_key(kind, term)
                    weight = boost * _log1(n) * idf(key)
                    old = features.get(key)
                    # (0.0 + weight is weight: the sum as it was, without the addition)
                    features[key] = weight if old is None else old + weight
        values = features.values()
        norm = math.sqrt(sum(map(mul, values, values)))
        if norm > 0.0:
            # Five decimals are plenty for a cosine and keep the stored form short (its
            # size is what a restart reads); the live clusterer uses the same rounded weights,
            # so a rebuilt one is the same.
            features = {k: round(w / norm, 5) for k, w in features.items()}
        return Prepared(
            item_id=item.item_id,
            source=item.source,
            published=published.timestamp(),
            features=features,
            terms=terms,
            short=text.short,
            roundup=facts.roundup,
            preview=facts.preview,
            denial=facts.denial,
        )

    @staticmethod
    def title_facts(text: TextFeatures, companies: tuple[str, ...]) -> TitleFacts:
        """What ``weigh`` reads of ``text``'s headline and the item's ``companies`` besides
        the words (pure: the same wherever it runs)."""
        return TitleFacts(
            tagged=companies,
            companies=company_weights(text.title, companies, title_only=text.short),
            roundup=is_roundup(text.title),
            preview=is_preview(text.title),
            denial=is_denial(text.title),
        )

"""Stories: the items about one event, grouped as they arrive, and how a story reads.

Pure: the standard library and numpy, no I/O, nothing at import time but compiling a few
regular expressions. One item goes through these steps::

    StoryItem (title, summary, source, published, companies)
    | clean        " - Publisher" off the title; boilerplate sentences ("Read more", "The post
    |              ... appeared first on ...") and a copy of the title off the summary
    | key terms    places (countries, demonyms, big cities, regions), numbers (amounts, counts,
    |              percentages, normalised: "€40m" == "40 million euros" == "EUR 40 million"),
    |              capitalised names not at a sentence start, the tagger's companies
    | features     character 3-5-grams inside words (title counted twice), sublinear TF,
    |              plus the key terms as features of their own; hashed with CRC-32
    | candidates   held stories in the item's window sharing the item's rarest words
    | score        IDF-weighted cosine with each candidate's centroid, minus penalties for
    |              key terms the item and the story disagree on and for time apart
    => the best candidate if its score reaches the threshold, else a new story

Why it is built like this:

- An item is compared with story *centroids* (the sum of the members' vectors), never with
  single members: one odd wording cannot chain two events together, which is how "join
  anything above a threshold" collapses into one giant cluster on thousands of items.
- IDF comes from document frequencies over the stories held *now* (a term's DF is the number of
  stories using it, so a story told by eight sources does not make its own words look common),
  smoothed by a prior of a hundred stories for a young install, and is applied when scoring.
  An item's vector never depends on when it was added, so the whole state is a pure function
  of the held items and their story ids.
- That is how the state survives a restart: ``StoryClusterer.rebuild`` replays the recent items
  with the story ids they were given and gets back the state the old process had (same sums,
  same frequencies, same candidates), so the next batch is assigned exactly as it would have
  been. Nothing but the items' story ids needs storing; no state blob can drift from the data.
- Same-template stories ("SHEIN fined €40m in France" / "SHEIN fined €10m in Italy") share most
  of their characters. Key terms are features (so "Canada" meets "Canadian", "€40m" meets
  "40 million euros") and, above all, penalties: a report about Italy does not join a story
  about France, whatever else they share. Silence is not disagreement: a report that names no
  country is not pushed away from a story about France.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.news.models import utc
from bot.news.text import collapse_whitespace, strip_publisher_suffix, truncate

__all__ = [
    "StoryClusterer",
    "StoryConfig",
    "StoryItem",
    "StorySummary",
    "summarize_story",
]

if TYPE_CHECKING:
    # numpy is imported when a clusterer is first built, not with the vocabulary (StoryItem,
    # StorySummary) that ports and storage import.
    import numpy as np
    import numpy.typing as npt

    _Ints = npt.NDArray[np.int64]
    _Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class StoryConfig:
    """How items are grouped into stories. The defaults are tuned on ``tests/data``'s set.

    - ``threshold``: the score an item needs to join a story: IDF-weighted cosine with the
      story's centroid (0 to 1) minus the penalties below.
    - ``window``: an item only joins a story with a report within this time of it. Stories
      are kept for twice the window after their last report, then forgotten.
    - ``max_candidates``: how many stories are scored per item (those sharing the item's
      rarest words); the rest are never considered.
    - ``place_weight``, ``number_weight``, ``company_weight``, ``name_weight``: the penalty
      for full disagreement on that kind of key term.
    - ``time_weight``: the penalty for an item a whole window away from the middle (mean
      date) of the story's reports; proportionally less when closer, none within
      ``time_slack`` of it.
    - ``term_boost``: how much a key term weighs as a feature, against one character n-gram.
    - ``ngram_min``/``ngram_max``, ``title_weight``, ``hash_bits``: the features.
    """

    threshold: float = 0.40
    window: timedelta = timedelta(hours=72)
    max_candidates: int = 24
    place_weight: float = 0.50
    number_weight: float = 0.15
    company_weight: float = 0.30
    name_weight: float = 0.15
    time_weight: float = 0.60
    time_slack: timedelta = timedelta(hours=6)
    term_boost: float = 6.0
    ngram_min: int = 3
    ngram_max: int = 5
    title_weight: int = 2
    hash_bits: int = 20

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if self.window <= timedelta(0) or self.time_slack < timedelta(0):
            raise ValueError("window must be positive and time_slack not negative")
        if not 1 <= self.ngram_min <= self.ngram_max <= 8:
            raise ValueError("need 1 <= ngram_min <= ngram_max <= 8")
        if not 12 <= self.hash_bits <= 24:
            raise ValueError("hash_bits must be between 12 and 24")
        if self.max_candidates < 1 or self.title_weight < 1:
            raise ValueError("max_candidates and title_weight must be at least 1")
        weights = (
            self.place_weight,
            self.number_weight,
            self.company_weight,
            self.name_weight,
            self.time_weight,
            self.term_boost,
        )
        if any(w < 0 or not math.isfinite(w) for w in weights):
            raise ValueError("weights must be finite and not negative")


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What clustering needs of one stored item.

    ``summary`` is the stored plain-text summary; ``source`` the publisher (or feed name);
    ``companies`` the tagger's family ids. ``published`` should not lie in the future: use the
    earlier of the feed's date and when the item was first seen.
    """

    item_id: int
    title: str
    summary: str
    source: str
    published: datetime
    companies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StorySummary:
    """A story as readers see it."""

    story_id: int
    item_ids: tuple[int, ...]  # ascending
    sources: tuple[str, ...]  # distinct, sorted
    first_seen: datetime  # the earliest report's date
    last_seen: datetime  # the latest report's date
    companies: tuple[str, ...]  # union of the items', sorted
    headline: str  # the most central title
    summary_line: str  # the best sentence of the descriptions, "" when none is usable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- text -------------------------------------------------------------------------------------

# Sentences feeds append to every post: never news, and shared by unrelated stories.
_BOILERPLATE_RE = re.compile(
    r"appeared first on|^(?:read|continue reading|click here|sign up|subscribe|learn more"
    r"|find out more|see more|watch|listen|follow us|share this|related:|advertisement)\b"
    r"|all rights reserved|©|newsletter|originally published|this article|\bcookies? policy",
    re.IGNORECASE,
)
_ABBREVIATIONS = _words(
    """u.s. u.k. e.u. inc. corp. ltd. co. mr. mrs. ms. dr. st. vs. e.g. i.e. jan. feb. mar. apr.
    jun. jul. aug. sep. sept. oct. nov. dec. no. approx. est. dept. gov. sen."""
)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9€$£¥])")
_CUT_OFF_RE = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\.\.\.|…)\s*$")
# What newsrooms put before a headline; not part of what happened.
_HEADLINE_PREFIX_RE = re.compile(
    r"^(?:exclusive|breaking(?: news)?|update(?: \d+)?|analysis|opinion|watch|live)\s*[:\-–—|]\s*",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping "U.S. regulators" together."""
    text = collapse_whitespace(text)
    if not text:
        return []
    out: list[str] = []
    for piece in _SENTENCE_SPLIT_RE.split(text):
        if out and out[-1].rsplit(" ", 1)[-1].lower() in _ABBREVIATIONS:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]


def _is_boilerplate(sentence: str) -> bool:
    return _BOILERPLATE_RE.search(sentence) is not None


def _clean_title(item: StoryItem) -> str:
    return strip_publisher_suffix(collapse_whitespace(item.title), item.source)


_MARKDOWN_RE = re.compile(r"(?:^|(?<=\s))#{1,6}(?=\s)|\*\*|__|`")


def _clean_summary(summary: str, title: str, source: str) -> list[str]:
    """The summary's sentences, without boilerplate, a trailing publisher name, or a mere
    copy of the title (Google News' summaries are "Headline  Publisher")."""
    # Some feeds (vendor changelogs) put markdown in plain-text fields: "# Summary **Note**".
    text = collapse_whitespace(_MARKDOWN_RE.sub(" ", summary))
    name = source.strip()
    if name and len(text) > len(name) and text[-len(name) :].casefold() == name.casefold():
        head = text[: -len(name)].rstrip(" -–—|:")
        if head and (text[-len(name) - 1].isspace() or not text[-len(name) - 1].isalnum()):
            text = head
    if not text or _tokens(text) == _tokens(title):
        return []
    return [s for s in _sentences(text) if not _is_boilerplate(s)]


_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_TOKEN_RE = re.compile(r"[^\W_]+(?:[.'&-][^\W_]+)*|[€$£¥%]")
# Words that say nothing about which event an item reports.
_STOPWORDS = _words(
    """a about above after again against all also am amid an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it it's its
    itself just me more most my no nor not now of off on once only or other our out over own
    said says same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who whom
    why will with would you your new year years week today first last next one two three
    company companies firm plans plan set sets make makes made get gets according report
    reports reported told tells people ahead"""
)


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).translate(_TRANSLATE).lower())


def _stem(word: str) -> str:
    """A crude stem, for finding candidates only ("fines", "fined" and "fine" meet)."""
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


# --- key terms --------------------------------------------------------------------------------

# Countries, demonyms, regions and the cities e-commerce news names most, "|"-separated. Matched
# with their capital letter so that "turkey" and "china" (the things) or "us" (the word) do not
# count. "Brussels" is left out: it means the EU as often as Belgium.
_PLACES = {
    "US": "US|U.S.|USA|United States|America|American|Americans|New York|Seattle|Chicago|"
    "Dallas|California|Texas|Los Angeles|San Francisco",
    "UK": "UK|U.K.|Britain|British|United Kingdom|England|London|Manchester|Birmingham",
    "EU": "EU|E.U.|European Union|Europe|European|Europeans",
    "FR": "France|French|Paris|Lyon|Marseille",
    "DE": "Germany|German|Berlin|Munich|Hamburg|Frankfurt|Leipzig",
    "IT": "Italy|Italian|Milan|Rome",
    "ES": "Spain|Spanish|Madrid|Barcelona",
    "NL": "Netherlands|Dutch|Amsterdam|Rotterdam|Holland",
    "BE": "Belgium|Belgian|Antwerp",
    "PL": "Poland|Polish|Warsaw|Poznan|Poznań",
    "SE": "Sweden|Swedish|Stockholm|Gothenburg",
    "DK": "Denmark|Danish|Copenhagen",
    "NO": "Norway|Norwegian|Oslo",
    "FI": "Finland|Finnish|Helsinki",
    "AT": "Austria|Austrian|Vienna",
    "CH": "Switzerland|Swiss|Zurich|Geneva",
    "IE": "Ireland|Irish|Dublin",
    "PT": "Portugal|Portuguese|Lisbon",
    "CZ": "Czechia|Czech Republic|Czech|Prague",
    "RO": "Romania|Romanian|Bucharest",
    "HU": "Hungary|Hungarian|Budapest",
    "GR": "Greece|Greek|Athens",
    "TR": "Turkey|Türkiye|Turkish|Istanbul|Ankara|Izmir",
    "RU": "Russia|Russian|Moscow",
    "UA": "Ukraine|Ukrainian|Kyiv",
    "CN": "China|Chinese|Beijing|Shanghai|Shenzhen|Hangzhou|Guangzhou",
    "HK": "Hong Kong",
    "TW": "Taiwan|Taiwanese|Taipei",
    "JP": "Japan|Japanese|Tokyo|Osaka",
    "KR": "South Korea|Korea|Korean|South Korean|Seoul|Incheon",
    "IN": "India|Indian|Mumbai|Bengaluru|Bangalore|Delhi|New Delhi",
    "PK": "Pakistan|Pakistani",
    "BD": "Bangladesh|Bangladeshi",
    "ID": "Indonesia|Indonesian|Jakarta|Surabaya",
    "MY": "Malaysia|Malaysian|Kuala Lumpur",
    "TH": "Thailand|Thai|Bangkok",
    "VN": "Vietnam|Vietnamese|Hanoi|Ho Chi Minh City|Da Nang",
    "PH": "Philippines|Philippine|Filipino|Manila",
    "SG": "Singapore|Singaporean",
    "AU": "Australia|Australian|Sydney|Melbourne",
    "NZ": "New Zealand",
    "CA": "Canada|Canadian|Toronto|Vancouver|Montreal|Calgary",
    "MX": "Mexico|Mexican|Mexico City|Monterrey|Guadalajara",
    "BR": "Brazil|Brazilian|Sao Paulo|São Paulo|Rio de Janeiro|Curitiba",
    "AR": "Argentina|Argentine|Argentinian|Buenos Aires",
    "CL": "Chile|Chilean|Santiago",
    "CO": "Colombia|Colombian|Bogota|Bogotá",
    "PE": "Peru|Peruvian|Lima",
    "SA": "Saudi Arabia|Saudi",
    "AE": "UAE|United Arab Emirates|Emirati|Dubai|Abu Dhabi",
    "IL": "Israel|Israeli",
    "EG": "Egypt|Egyptian",
    "ZA": "South Africa|South African",
    "NG": "Nigeria|Nigerian|Lagos",
    "KE": "Kenya|Kenyan|Nairobi",
    "LATAM": "Latin America|Latin American",
    "SEA": "Southeast Asia|Southeast Asian",
    "MENA": "Middle East|Gulf",
    "AFRICA": "Africa|African",
}
# Where the goods or the company come from in half of all cross-border e-commerce news, not
# where the event happens: a feature like any other place, but never a disagreement.
_CONTEXT_PLACES = frozenset({"CN"})
_PLACE_OF = {name.lower(): code for code, names in _PLACES.items() for name in names.split("|")}
_PLACE_NAMES = sorted((n for names in _PLACES.values() for n in names.split("|")), key=len)
_PLACE_RE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in reversed(_PLACE_NAMES))
    + r")(?:'s)?(?!\w)"
)
_PLACE_WORDS = frozenset(word.lower() for name in _PLACE_NAMES for word in name.split())

_NUMBER_RE = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>%|percent\b|per\s?cent\b|bn\b|billion\b|mn\b|m\b|million\b|k\b"
    r"|thousand\b|tn\b|trillion\b|crore\b|lakh\b))?(?![\w%])",
    re.IGNORECASE,
)
# A currency right before a number makes it an amount ("US$40", "€ 40", "EUR 40").
_CURRENCY_BEFORE_RE = re.compile(
    r"(?:[$€£¥₹₩]|\b(?:EUR|USD|GBP|PLN|JPY|KRW|BRL|MXN|AUD|CAD|INR|CNY|RMB|Rs\.?))\s?$"
)
_SCALES = {
    "bn": 1e9, "billion": 1e9, "mn": 1e6, "m": 1e6, "million": 1e6, "k": 1e3, "thousand": 1e3,
    "tn": 1e12, "trillion": 1e12, "crore": 1e7, "lakh": 1e5,
}  # fmt: skip

_NAME_RE = re.compile(r"(?<![\w.'-])(?:[A-Z][\w&'.-]*\w|[A-Z](?!\w))")
_AT_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\"“|]\s*|\s[-–—]\s)$")
# Capitalised words that name nothing in particular.
_NOT_NAMES = _words(
    """the a an and or but in on at to for of by with as from into after before over under
    this that these those it its he she they we you i his her their our my new how why what
    when where who which while will would can could should may might must is are was were be
    has have had do does did not no yes all any some more most up down out off than then so
    if ceo cfo coo cto ai app apps q1 q2 q3 q4 h1 h2 inc ltd corp co plc llc group update
    exclusive breaking analysis opinion report watch live video podcast news monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mr mrs ms dr"""
)


@dataclass(frozen=True, slots=True)
class _KeyTerms:
    """What tells one event from another of the same kind, with weights (title 2, text 1)."""

    places: Counter[str]
    numbers: Counter[str]
    companies: Counter[str]
    names: Counter[str]


def _numbers(text: str, weight: int, into: Counter[str]) -> None:
    for match in _NUMBER_RE.finditer(text):
        raw = match.group("num").replace(",", "")
        value = float(raw)
        scale = (match.group("scale") or "").lower()
        if scale == "%" or scale.startswith("per"):
            into[f"{value:g}%"] += weight
            continue
        if not scale:
            start = match.start()
            money = _CURRENCY_BEFORE_RE.search(text, max(0, start - 4), start) is not None
            # Years and small bare numbers ("3 days", "in 2025") say little about the event.
            if not money and (value < 10 or (1900 <= value <= 2100 and raw.isdigit())):
                continue
        into[f"{value * _SCALES.get(scale.replace(' ', ''), 1.0):.6g}"] += weight


def _is_title_case(title: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]+", title) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _names(text: str, weight: int, into: Counter[str]) -> None:
    matches = list(_NAME_RE.finditer(text))
    for i, match in enumerate(matches):
        name = match.group().lower().rstrip(".").removesuffix("'s")
        if len(name) < 2 or name in _NOT_NAMES or name in _PLACE_WORDS:
            continue
        start = match.start()
        if _AT_SENTENCE_START_RE.search(text, max(0, start - 4), start):
            # Every word is capitalised there; only one followed by another capitalised word
            # ("Sofia Marques to lead...") is taken for a name.
            following = matches[i + 1] if i + 1 < len(matches) else None
            if following is None or text[match.end() : following.start()] != " ":
                continue
        into[name] += weight


def _key_terms(title: str, summary: str, companies: Iterable[str]) -> _KeyTerms:
    places: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    names: Counter[str] = Counter()
    # The headline says what the event is; the text adds context (and the odd "after a
    # similar case in Italy"), so it counts half as much.
    for text, weight in ((title, 2), (summary, 1)):
        if not text:
            continue
        for match in _PLACE_RE.finditer(text):
            name = re.sub(r"\s+", " ", match.group()).removesuffix("'s").lower()
            places[_PLACE_OF[name]] += weight
        _numbers(text, weight, numbers)
        # In a Title Case Headline every word looks like a name.
        if weight == 1 or not _is_title_case(text):
            _names(text, weight, names)
    return _KeyTerms(places, numbers, Counter(dict.fromkeys(companies, 2)), names)


def _disputable(places: Counter[str]) -> Counter[str]:
    """The places an item or story can disagree on."""
    return Counter({p: n for p, n in places.items() if p not in _CONTEXT_PLACES})


def _main(bag: Counter[str]) -> Counter[str]:
    """The terms of ``bag`` weighing at least half as much as its heaviest."""
    floor = 0.5 * max(bag.values())
    return Counter({term: weight for term, weight in bag.items() if weight >= floor})


def _supported(mine: Counter[str], theirs: Counter[str]) -> float:
    """The share of ``mine`` (by weight) that ``theirs`` mentions enough to count, 0 to 1.

    A term counts fully when ``theirs`` weighs it at least half as much as its heaviest term:
    a France story that once mentions "a similar case in Italy" does not support an item
    about Italy.
    """
    full = 0.5 * max(theirs.values())
    agreed = sum(weight * min(1.0, theirs[term] / full) for term, weight in mine.items())
    return agreed / sum(mine.values())


def _agreement(mine: Counter[str], theirs: Counter[str], both_ways: bool) -> float:
    """How far an item and a story agree on one kind of key term, 0 to 1.

    The item's main terms must be the story's; with ``both_ways``, the story's main terms must
    also be the item's (an item about Germany does not agree with a story about Indonesia
    because one report called a company "Berlin-based"). Numbers and names go one way only:
    reports of one event quote different figures and people, and an item may lack some.
    """
    agreement = _supported(_main(mine), theirs)
    if both_ways and agreement > 0.0:
        agreement = min(agreement, _supported(_main(theirs), mine))
    return agreement


# --- features ---------------------------------------------------------------------------------


class _Featurizer:
    """Text and key terms -> sorted bucket ids and unit-length weights.

    Buckets come from CRC-32, not ``hash()`` (which changes from one process to the next), so
    that a rebuilt state is the one that was lost. Each word's buckets are cached: words repeat
    far more than they vary, so most items cost a few dictionary look-ups per word.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, config: StoryConfig) -> None:
        self._lo = config.ngram_min
        self._hi = config.ngram_max
        self._mask = (1 << config.hash_bits) - 1
        self._title_weight = config.title_weight
        self._term_boost = config.term_boost
        self._cache: dict[str, tuple[int, ...]] = {}

    def _word(self, word: str) -> tuple[int, ...]:
        buckets = self._cache.get(word)
        if buckets is None:
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            padded = f" {word} "
            size = len(padded)
            grams = [
                padded[i : i + n]
                for n in range(self._lo, min(self._hi, size) + 1)
                for i in range(size - n + 1)
            ] or [padded]
            mask = self._mask
            buckets = tuple(zlib.crc32(gram.encode()) & mask for gram in grams)
            self._cache[word] = buckets
        return buckets

    def vector(self, title: str, summary: str, terms: _KeyTerms) -> tuple[_Ints, _Floats]:
        import numpy as np

        ids: list[int] = []
        for word in _tokens(title):
            ids.extend(self._word(word))
        ids *= self._title_weight
        for word in _tokens(summary):
            ids.extend(self._word(word))
        if not ids:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        idx, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
        weights: _Floats = 1.0 + np.log(counts)
        # Key terms in their normal form, as features of their own: "Canada", "Canadian" and
        # "Calgary" or "€40m" and "40 million euros" meet here where their letters do not.
        extra: dict[int, float] = {}
        if self._term_boost:
            for kind, bag in (
                ("p", terms.places),
                ("n", terms.numbers),
                ("c", terms.companies),
                ("e", terms.names),
            ):
                for term, count in bag.items():
                    bucket = zlib.crc32(f"\x00{kind}:{term}".encode()) & self._mask
                    weight = self._term_boost * (1.0 + math.log(count))
                    extra[bucket] = extra.get(bucket, 0.0) + weight
        if extra:
            all_idx = np.concatenate([idx, np.fromiter(extra, np.int64, len(extra))])
            all_weights = np.concatenate([weights, np.fromiter(extra.values(), np.float64)])
            idx, inverse = np.unique(all_idx, return_inverse=True)
            weights = np.bincount(inverse, weights=all_weights).astype(np.float64)
        weights /= math.sqrt(float(np.dot(weights, weights)))
        return idx, weights


# --- clustering -------------------------------------------------------------------------------

# How many of an item's rarest words are looked up to find candidate stories.
_CANDIDATE_WORDS = 16
# IDF is smoothed as if this many more stories, none using the term, were held: with only a
# few stories held (a new install), a term shared by two of them would otherwise weigh far
# less than one in neither, and paraphrases would fall apart. With hundreds held it hardly
# matters.
_IDF_PRIOR = 100


@dataclass(slots=True)
class _Prepared:
    item: StoryItem
    published: datetime  # aware UTC, capped at "now"
    idx: _Ints
    val: _Floats
    terms: _KeyTerms
    words: tuple[str, ...]  # distinct stems, for candidates


@dataclass(slots=True)
class _Story:
    story_id: int
    idx: _Ints
    val: _Floats  # the sum of the members' unit vectors
    first_seen: datetime
    last_seen: datetime
    seconds: float = 0.0  # the sum of the members' POSIX timestamps
    places: Counter[str] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    companies: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)
    words: Counter[str] = field(default_factory=Counter)
    items: list[StoryItem] = field(default_factory=list)


class StoryClusterer:
    """Assigns items to stories a batch at a time, comparing each with recent stories.

    It holds the stories whose last report is within twice the window of the newest item it
    has seen, and forgets older ones (nothing new could join them). What it holds is a pure
    function of the held items and their story ids: after a restart, ``rebuild`` from the
    items of the stories active in the last ``2 * window`` restores it exactly.

    Not thread-safe: use one instance from one task (or behind a lock), or off the event loop
    in one worker thread at a time.
    """

    def __init__(self, config: StoryConfig | None = None, *, next_story_id: int = 1) -> None:
        """An empty clusterer; its first new story gets ``next_story_id``."""
        import numpy as np

        self.config = config or StoryConfig()
        self._featurizer = _Featurizer(self.config)
        self._stories: dict[int, _Story] = {}
        self._story_of: dict[int, int] = {}  # held item id -> story id
        self._postings: dict[str, dict[int, None]] = {}  # stem -> story ids (an ordered set)
        size = 1 << self.config.hash_bits
        self._df = np.zeros(size, dtype=np.int32)  # stories using each bucket
        self._scratch = np.zeros(size, dtype=np.float64)  # all zeros between calls
        self._log1p: _Floats = np.log1p(np.arange(1024, dtype=np.float64))
        self._next_id = next_story_id
        self._newest: datetime | None = None

    @classmethod
    def rebuild(
        cls,
        recent: Iterable[tuple[StoryItem, int]],
        config: StoryConfig | None = None,
        *,
        next_story_id: int | None = None,
        now: datetime | None = None,
    ) -> StoryClusterer:
        """A clusterer holding ``recent`` (item, story id) pairs as if it had assigned them.

        Pass every item of every story with a report in the last ``2 * window`` (more is
        harmless: older stories are dropped again; fewer items of a story only make its
        centroid a little thinner). ``next_story_id`` must be above every story id ever given
        out, forgotten stories included; it is at least one above the highest in ``recent``.
        ``now`` caps future dates as in ``assign``.
        """
        pairs = sorted(recent, key=lambda pair: pair[0].item_id)
        highest = max((story_id for _, story_id in pairs), default=0)
        clusterer = cls(config, next_story_id=max(next_story_id or 1, highest + 1))
        for item, story_id in pairs:
            if item.item_id not in clusterer._story_of:
                clusterer._add(clusterer._prepare(item, now), story_id)
        clusterer._forget_old()
        return clusterer

    def assign(
        self, items: Sequence[StoryItem], now: datetime | None = None
    ) -> list[tuple[int, int]]:
        """(item id, story id) for each of ``items``, in item id order.

        Items are placed in item id order (the order they were stored), and each can join a
        story started earlier in the same batch. An item already held keeps its story: a
        batch handed over twice (say, saving failed after the first time) is answered the
        same way twice. ``now``, if given, caps publication dates that lie in the future.
        """
        out: list[tuple[int, int]] = []
        fresh: list[_Prepared] = []
        for item in sorted(items, key=lambda i: i.item_id):
            if item.item_id not in self._story_of:
                fresh.append(self._prepare(item, now))
        if fresh:
            newest = max(p.published for p in fresh)
            if self._newest is None or newest > self._newest:
                self._newest = newest
            self._forget_old()
        for prepared in fresh:
            if prepared.item.item_id in self._story_of:  # the same id twice in one batch
                continue
            story_id = self._best_story(prepared)
            if story_id is None:
                story_id = self._next_id
                self._next_id += 1
            self._add(prepared, story_id)
        for item in sorted(items, key=lambda i: i.item_id):
            story_id = self._story_of.get(item.item_id)
            if story_id is not None and (not out or out[-1][0] != item.item_id):
                out.append((item.item_id, story_id))
        return out

    def members(self) -> list[tuple[StoryItem, int]]:
        """Every held (item, story id) pair in item id order: what ``rebuild`` takes."""
        pairs = [(item, s.story_id) for s in self._stories.values() for item in s.items]
        pairs.sort(key=lambda pair: pair[0].item_id)
        return pairs

    def story_ids(self) -> list[int]:
        """The ids of the stories held, ascending."""
        return sorted(self._stories)

    @property
    def next_story_id(self) -> int:
        """The id the next new story will get."""
        return self._next_id

    def score(self, item: StoryItem, story_id: int) -> float:
        """The score ``item`` would get against a held story (for tuning and tests)."""
        prepared = self._prepare(item, None)
        story = self._stories[story_id]
        return self._cosines(prepared, [story])[0] - self._penalty(prepared, story)

    # --- internals ----------------------------------------------------------------------------

    def _prepare(self, item: StoryItem, now: datetime | None) -> _Prepared:
        published = utc(item.published)
        if now is not None and published > utc(now):
            published = utc(now)
        title = _HEADLINE_PREFIX_RE.sub("", _clean_title(item))
        summary = " ".join(_clean_summary(item.summary, title, item.source))
        terms = _key_terms(title, summary, item.companies)
        idx, val = self._featurizer.vector(title, summary, terms)
        words = dict.fromkeys(
            _stem(w)
            for w in _tokens(f"{title} {summary}")
            if w not in _STOPWORDS and (len(w) >= 3 or w[0].isdigit())
        )
        return _Prepared(item, published, idx, val, terms, tuple(words))

    def _add(self, item: _Prepared, story_id: int) -> None:
        import numpy as np

        story = self._stories.get(story_id)
        if story is None:
            story = _Story(story_id, item.idx, item.val.copy(), item.published, item.published)
            self._stories[story_id] = story
            self._df[item.idx] += 1
        else:
            merged = np.union1d(story.idx, item.idx)
            val = np.zeros(len(merged), dtype=np.float64)
            val[np.searchsorted(merged, story.idx)] = story.val
            val[np.searchsorted(merged, item.idx)] += item.val
            self._df[np.setdiff1d(item.idx, story.idx, assume_unique=True)] += 1
            story.idx, story.val = merged, val
            story.first_seen = min(story.first_seen, item.published)
            story.last_seen = max(story.last_seen, item.published)
        story.seconds += item.published.timestamp()
        story.places.update(item.terms.places)
        story.numbers.update(item.terms.numbers)
        story.companies.update(item.terms.companies)
        story.names.update(item.terms.names)
        story.items.append(item.item)
        for word in item.words:
            if word not in story.words:
                self._postings.setdefault(word, {})[story_id] = None
            story.words[word] += 1
        self._story_of[item.item.item_id] = story_id
        if self._newest is None or item.published > self._newest:
            self._newest = item.published

    def _forget_old(self) -> None:
        if self._newest is None:
            return
        cutoff = self._newest - 2 * self.config.window
        for story_id in [s for s, story in self._stories.items() if story.last_seen < cutoff]:
            story = self._stories.pop(story_id)
            self._df[story.idx] -= 1
            for item in story.items:
                del self._story_of[item.item_id]
            for word in story.words:
                posting = self._postings[word]
                del posting[story_id]
                if not posting:
                    del self._postings[word]

    def _candidates(self, item: _Prepared) -> list[_Story]:
        """The stories in the item's window that share the most (IDF-weighted) rare words."""
        held = len(self._stories)
        if not held:
            return []
        # A word in more than a fifth of the stories would make every story a candidate, and
        # the rarest few words are enough to find the right story among the rest.
        common = max(50, held // 5)
        postings = [
            posting
            for word in item.words
            if (posting := self._postings.get(word)) is not None and len(posting) <= common
        ]
        postings.sort(key=len)
        score: dict[int, float] = {}
        for posting in postings[:_CANDIDATE_WORDS]:
            weight = math.log((1 + held) / len(posting))
            for story_id in posting:
                score[story_id] = score.get(story_id, 0.0) + weight
        window = self.config.window
        earliest, latest = item.published - window, item.published + window
        limit = self.config.max_candidates
        out: list[_Story] = []
        # Best first, ties to the newer story; the few outside the item's window are skipped.
        for _, story_id in heapq.nlargest(2 * limit, ((v, s) for s, v in score.items())):
            story = self._stories[story_id]
            if story.last_seen >= earliest and story.first_seen <= latest:
                out.append(story)
                if len(out) == limit:
                    break
        return out

    def _best_story(self, item: _Prepared) -> int | None:
        candidates = self._candidates(item)
        if not candidates or not len(item.idx):
            return None
        threshold = self.config.threshold
        best: tuple[float, int] | None = None
        for cosine, story in zip(self._cosines(item, candidates), candidates, strict=True):
            # Penalties only lower a score: a story already below the threshold is out.
            if cosine < threshold:
                continue
            score = cosine - self._penalty(item, story)
            if score >= threshold and (best is None or (score, story.story_id) > best):
                best = (score, story.story_id)
        return None if best is None else best[1]

    def _idf(self, idx: _Ints) -> _Floats:
        import numpy as np

        # log((1 + stories + prior) / (1 + df)) + 1, with log(1 + n) from a table.
        held = len(self._stories)
        if len(self._log1p) <= held + _IDF_PRIOR:
            self._log1p = np.log1p(np.arange(2 * held + _IDF_PRIOR + 64, dtype=np.float64))
        idf: _Floats = (self._log1p[held + _IDF_PRIOR] + 1.0) - self._log1p[self._df[idx]]
        return idf

    def _cosines(self, item: _Prepared, stories: Sequence[_Story]) -> list[float]:
        """IDF-weighted cosine between the item and each story's centroid."""
        import numpy as np

        xw = item.val * self._idf(item.idx)
        norm_x = math.sqrt(float(np.dot(xw, xw)))
        if norm_x == 0.0:
            return [0.0] * len(stories)
        # The item goes into a dense scratch array so that every centroid gathers its overlap
        # in one indexing step, all candidates at once.
        scratch = self._scratch
        scratch[item.idx] = xw
        try:
            idx = np.concatenate([s.idx for s in stories])
            sw = np.concatenate([s.val for s in stories]) * self._idf(idx)
            offsets = np.cumsum([0, *(len(s.idx) for s in stories[:-1])])
            dots = np.add.reduceat(sw * scratch[idx], offsets)
            norms = np.sqrt(np.add.reduceat(sw * sw, offsets))
        finally:
            scratch[item.idx] = 0.0
        cosines: list[float] = (dots / (norms * norm_x)).tolist()
        return cosines

    def _penalty(self, item: _Prepared, story: _Story) -> float:
        """What pushes an item away from a story: key terms they disagree on, time apart."""
        config = self.config
        terms = item.terms
        penalty = 0.0
        for mine, theirs, weight, both_ways in (
            (_disputable(terms.places), _disputable(story.places), config.place_weight, True),
            (terms.numbers, story.numbers, config.number_weight, False),
            (terms.companies, story.companies, config.company_weight, True),
            (terms.names, story.names, config.name_weight, False),
        ):
            if mine and theirs and weight:
                penalty += weight * (1.0 - _agreement(mine, theirs, both_ways))
        # Reports of one event come in a burst: the further an item is from the middle of a
        # story's reports, the more it must resemble them. From the middle, not the latest
        # report: a story must not creep along, one day's events joining the day before's.
        middle = story.seconds / len(story.items)
        gap = abs(item.published.timestamp() - middle) - config.time_slack.total_seconds()
        if gap > 0:
            penalty += config.time_weight * gap / config.window.total_seconds()
        return penalty


# --- how a story reads ------------------------------------------------------------------------

_SUMMARY_CHARS = 200


def _gram_vectors(texts: Sequence[str]) -> list[dict[str, float]]:
    """Unit 4-gram vectors over content words, to compare a story's own texts."""
    out = []
    for text in texts:
        grams: Counter[str] = Counter()
        for word in _tokens(text):
            if word not in _STOPWORDS:
                padded = f" {word} "
                grams.update(padded[i : i + 4] for i in range(max(1, len(padded) - 3)))
        weights = {gram: 1.0 + math.log(count) for gram, count in grams.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
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
    terms = _key_terms("", sentence, ())
    return min(len(terms.places) + len(terms.numbers) + len(terms.names), 3) / 3


def summarize_story(story_id: int, items: Sequence[StoryItem]) -> StorySummary:
    """How one story's ``items`` read together: headline, summary line, sources, dates.

    The headline is the title most like the story's other titles (the highest average
    similarity: the wording the sources agree on; ties go to the earliest report), without a
    " - Publisher" suffix or an "Exclusive:" tag. The summary line is the description
    sentence that covers best what the story's items say (average similarity to them), with a
    bonus for places, numbers and names, and penalties for being very short or very long, cut
    off ("…"), or no more than a headline; boilerplate ("Read more", "The post ... appeared
    first on ...") never qualifies. It is cut to about 200 characters on a word boundary.
    """
    if not items:
        raise ValueError("a story has at least one item")
    ordered = sorted(items, key=lambda i: (utc(i.published), i.item_id))
    titles = [_HEADLINE_PREFIX_RE.sub("", _clean_title(item)) or item.title for item in ordered]
    title_vectors = _gram_vectors(titles)
    n = len(titles)

    def centrality(i: int) -> float:
        if n == 1:
            return 0.0
        return sum(_dot(title_vectors[i], title_vectors[j]) for j in range(n) if j != i) / (n - 1)

    # Rounded so that float noise never beats the earlier report.
    best_title = max(range(n), key=lambda i: (round(centrality(i), 9), -i))
    headline = titles[best_title]

    texts = [_clean_summary(i.summary, t, i.source) for t, i in zip(titles, ordered, strict=True)]
    sentences = list(dict.fromkeys(s for sentences in texts for s in sentences))
    summary_line = ""
    if sentences:
        documents = _gram_vectors(
            [f"{t} {' '.join(s)}" for t, s in zip(titles, texts, strict=True)]
        )
        best: tuple[float, int] | None = None
        for i, (sentence, vector) in enumerate(
            zip(sentences, _gram_vectors(sentences), strict=True)
        ):
            cover = sum(_dot(vector, document) for document in documents) / len(documents)
            score = cover * _length_factor(sentence) + 0.05 * _informativeness(sentence)
            if _CUT_OFF_RE.search(sentence):
                score *= 0.5
            if max(_dot(vector, title) for title in title_vectors) > 0.8:
                score *= 0.5  # it only repeats a headline
            if best is None or score > best[0]:
                best = (score, i)
        assert best is not None
        chosen = _CUT_OFF_RE.sub("…", sentences[best[1]])
        summary_line = truncate(chosen, _SUMMARY_CHARS)

    return StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(item.item_id for item in ordered)),
        sources=tuple(sorted({item.source for item in ordered})),
        first_seen=utc(ordered[0].published),
        last_seen=max(utc(item.published) for item in ordered),
        companies=tuple(sorted({c for item in ordered for c in item.companies})),
        headline=headline,
        summary_line=summary_line,
    )

"""Key terms: what tells one event from another of the same kind (places, amounts, names).

"SHEIN fined €40m in France" and "SHEIN fined €10m in Italy" share most of their words; their
places and amounts do not. Key terms are features of their own (so "Canada" meets "Canadian"
and "€40m" meets "40 million euros") and, above all, grounds for penalties when an item and a
story disagree on them. Silence is not disagreement.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.news.stories.amounts import apart_from_cjk, ascii_digits
from bot.news.stories.amounts import numbers as amounts_of
from bot.news.stories.companynames import names_in_headline
from bot.news.stories.places import CONTEXT_PLACES, DEMONYMS, NAME_WORDS, place_code, places_in
from bot.news.stories.places import PLACE_WORDS as PLACE_WORDS  # what features read
from bot.news.stories.scriptnames import SAME_NAME, UNSPACED, latin_names
from bot.news.stories.wording import STOPWORDS, fold, words_of

# --- key terms --------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")
# Capital letters a name may start with: A-Z and the accented Latin ones ("Żabka", "Ørsted").
_CAPITALS = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper())
_NAME_RE = re.compile(rf"[{_CAPITALS}](?<![\w.'-][{_CAPITALS}])(?:[\w&'.-]*\w|(?!\w))")
# The same for a text that is not ASCII: a name's letters are not those of scripts written
# without spaces, so that a Latin name written straight onto Chinese, Japanese or Korean
# ("SHEINは日本で", "SK스퀘어") ends where they start. (Slower: ASCII texts keep the above.)
_LETTER = f"[^\\W{UNSPACED}]"
_NAME_OTHER_RE = re.compile(
    rf"[{_CAPITALS}](?<![.'-][{_CAPITALS}])(?<!{_LETTER}[{_CAPITALS}])"
    rf"(?:(?:{_LETTER}|[&'.-])*{_LETTER}|(?!{_LETTER}))"
)
# Capitalised words that name nothing in particular.
_NOT_NAMES = words_of(
    """the a an and or but in on at to for of by with as from into after before over under
    this that these those it its he she they we you i his her their our my new how why what
    when where who which while will would can could should may might must is are was were be
    has have had do does did not no yes all any some more most up down out off than then so
    if ceo cfo coo cto ai app apps q1 q2 q3 q4 h1 h2 inc ltd corp co plc llc group update
    exclusive breaking analysis opinion report watch live video podcast news monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december mr mrs ms dr"""
)


Bag = dict[str, int]
"""Key terms of one kind and their weights (a Counter where it is built)."""


@dataclass(frozen=True, slots=True)
class KeyTerms:
    """What tells one event from another of the same kind, with weights (title 2, text 1)."""

    places: Bag
    numbers: Bag
    companies: Bag
    names: Bag
    title_places: Bag  # the places of the headline: where the event happens

    def bags(self) -> tuple[Bag, Bag, Bag, Bag]:
        """Places, numbers, companies, names: in the order of ``features.TERM_KINDS``."""
        return self.places, self.numbers, self.companies, self.names


_LETTERS_RE = re.compile(r"[^\W\d_]+")


def _is_title_case(title: str) -> bool:
    words = [w for w in _LETTERS_RE.findall(title) if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


_SENTENCE_ENDS = frozenset('.!?:;"“|')
_DASHES = frozenset("-–—")
_MAY_END = _SENTENCE_ENDS | _DASHES
"""What may stand before a sentence's start (with a space between)."""


def _at_sentence_start(text: str, start: int) -> bool:
    """Whether only spaces stand between ``start`` and the text's start, a sentence's end
    (or a colon, quote or bar), or a spaced dash."""
    j = start - 1
    while j >= 0 and start - j <= 4 and text[j].isspace():
        j -= 1
    if j < 0:
        return True
    if text[j] in _SENTENCE_ENDS:
        return True
    return text[j] in _DASHES and j < start - 1 and j > 0 and text[j - 1].isspace()


_WORDS: dict[str, tuple[str, bool] | None] = {}
"""Each capitalised word's name and whether it is capitalised inside (None: no name); words
repeat far more than they vary, across texts and within one."""


def _word(word: str) -> tuple[str, bool] | None:
    """``word``'s name (lower case, without a final dot or "'s") and whether it is
    capitalised inside ("FedEx", "PayPal"), remembered in ``_WORDS``; None when it names
    nothing."""
    if len(_WORDS) >= 100_000:
        _WORDS.clear()
    written = word.lower().rstrip(".").removesuffix("'s")
    # Accents dropped, as ``wording.tokens`` drops them: "Żabka" and "Zabka" are one name.
    name = fold(written)
    found: tuple[str, bool] | None = None
    if len(name) < 2 or name in _NOT_NAMES or written in NAME_WORDS or name in NAME_WORDS:
        pass
    elif name in SAME_NAME:  # "RedNote" is "Xiaohongshu", as 小红书 is read
        found = (SAME_NAME[name], False)
    elif word.isascii():  # the same test at C speed: only A-Z change case there
        found = (name, word[1:].lower() != word[1:] and word.upper() != word)
    else:
        found = (name, any(c.isupper() for c in word[1:]) and any(c.islower() for c in word))
    _WORDS[word] = found
    return found


def _names(text: str, weight: int, into: Counter[str]) -> None:
    matches = list((_NAME_RE if text.isascii() else _NAME_OTHER_RE).finditer(text))
    for i, match in enumerate(matches):
        word = match.group()
        # A miss raises rather than returning a sentinel: compiled (mypyc), a tuple sentinel
        # is unboxed and boxed again, so an ``is`` test on it never holds.
        try:
            found = _WORDS[word]
        except KeyError:
            found = _word(word)
        if found is None:
            continue
        name, camel = found
        start = match.start()
        # A word capitalised inside ("FedEx", "PayPal") is a name wherever it stands. Most
        # words stand after one space and a character that ends nothing (a letter, a comma,
        # not a space): no sentence starts there, told without a call (``_at_sentence_start``
        # would step back over the space and stop at that character).
        if (
            not camel
            and (
                start < 2
                or text[start - 1] != " "
                or (before := text[start - 2]) in _MAY_END
                or before.isspace()
            )
            and _at_sentence_start(text, start)
        ):
            # Every word is capitalised there; only one followed by another capitalised word
            # ("Sofia Marques to lead...") is taken for a name.
            following = matches[i + 1] if i + 1 < len(matches) else None
            if following is None or text[match.end() : following.start()] != " ":
                continue
        into[name] += weight


def key_terms(title: str, summary: str, companies: Iterable[str]) -> KeyTerms:
    """The key terms of a (cleaned) headline and description, and how much each company
    weighs in them."""
    places, numbers, names, title_places = text_terms(title, summary)
    return KeyTerms(places, numbers, company_weights(title, companies), names, title_places)


def text_terms(title: str, summary: str) -> tuple[Bag, Bag, Bag, Bag]:
    """Places, numbers, names and headline places of a text: what it says, whatever the
    companies it is tagged with (so that it can be read once, at ingest)."""
    places: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    names: Counter[str] = Counter()
    title_places: Counter[str] = Counter()
    # The headline says what the event is; the text adds context (and the odd "after a
    # similar case in Italy"), so it counts half as much.
    for text, weight in ((title, 2), (summary, 1)):
        if not text:
            continue
        if not text.isascii():
            # The place tables are NFC: "Việt Nam" may arrive with its accents apart.
            text = apart_from_cjk(ascii_digits(unicodedata.normalize("NFC", text)))
        # Where the headline's main clause and first sentence end, once a place needs them.
        clause_end = sentence_end = -1
        for match in places_in(text):
            found = match.group()
            code = _CODES.get(found)
            if code is None:
                code = _code(found)
            if found == "EU" and _SPANISH_BEFORE_RE.search(text, 0, match.start()) is not None:
                code = "US"  # Mexican Spanish: "EU" is Estados Unidos (the Union is "UE")
            places[code] += weight
            if weight != 2:
                continue  # the text's places are context: only the headline's say where
            # "Germany's Otto sells ...": a possessive place says whose the company is, not
            # where the event is; the wires write it of every company they name.
            # But a country's own public body is where the event is: "Chile's consumer
            # watchdog sues AliExpress" happens in Chile.
            end = match.end()
            if (found.endswith("'s") or text.startswith("’s", end)) and _PUBLIC_BODY_RE.match(
                text, end + (0 if found.endswith("'s") else 2)
            ) is None:
                continue
            # So does "Swedish giant Klarna", "the Chinese retailer": whose, not where.
            if _ORIGIN_RE.match(text, end) is not None or _is_origin(text, found, end):
                continue
            # Nor does where its shares trade or one market's figure: "shares rise 3% in New
            # York", "London shares surge", "Egypt orders rose": the event is the company's.
            if _AFTER_VENUE_RE.match(text, end) is not None or _before_venue(text, match.start()):
                continue
            if clause_end < 0:
                clause_end = _main_clause_end(text)
                sentence = _SENTENCE_END_RE.search(text)
                sentence_end = sentence.start() if sentence else len(text)
            if match.start() >= sentence_end and title_places:
                continue
            if match.start() < clause_end:
                title_places[code] += 1
        amounts_of(text, weight, numbers)
        # In a Title Case Headline every word looks like a name.
        if weight == 1 or not _is_title_case(text):
            _names(text, weight, names)
        if weight == 2:
            _lead_name(text, names)
        if not text.isascii():
            # Companies written in another script, as the English reports name them.
            for name in latin_names(text.lower()):
                names[name] += weight
    return places, numbers, names, title_places


# A Spanish preposition just before "EU": "su marketplace en EU", "vendedores de EU". The
# Mexican press writes "EU" for Estados Unidos and Spanish writes the European Union "UE";
# English writes "in the EU", never "en EU" or "de EU".
_SPANISH_BEFORE_RE = re.compile(r"\b(?:en|de|desde|hacia)\s+$")


# A kicker before the headline proper: "Exclusive: ", "Nach 15 Jahren: ", "DMart Q1: ".
_KICKER_RE = re.compile(r"[\w ]{1,20}:\s+")


def _lead_name(title: str, into: Counter[str]) -> None:
    """The headline's first word as a name when it can be one (else the first word after a
    kicker): a headline leads with whom the news is about ("Taboola to buy Nexxen", "Puma:
    Der Sprung ...", "Exclusive: Kmart ..."), and that is the word reports of one event share
    most often however else they differ; ``_names`` passes over it (every sentence's first
    word is capitalised). A common word there ("Regulating BNPL ...") is a name no other
    report shares, which the models weigh as they find it."""
    starts = [0]
    kicker = _KICKER_RE.match(title)
    if kicker is not None:
        starts.append(kicker.end())
    pattern = _NAME_RE if title.isascii() else _NAME_OTHER_RE
    for start in starts:
        match = pattern.match(title, start)
        if match is None:
            continue
        word = match.group()
        try:
            found = _WORDS[word]
        except KeyError:
            found = _word(word)
        if found is not None and found[0] not in STOPWORDS:
            if found[0] not in into:
                into[found[0]] += 2
            return


_CODES: dict[str, str] = {}
"""Each place match's code (``place_code``): the same few names recur in every text."""


def _code(found: str) -> str:
    if len(_CODES) >= 10_000:
        _CODES.clear()
    code = _CODES[found] = place_code(found)
    return code


# A place word followed by what a company is ("Swedish giant", "Chinese e-commerce group",
# "Dutch shipping scale-up Sendcloud"), with one word of what it does or sells between
# ("French DIY marketplace ManoMano", "French postal group La Poste", "Brazilian parcel
# carrier Jadlog"): whose, not where. That word is no verb in the third person ("Walmart
# Canada cuts marketplace fees", "Indonesia orders marketplaces to ..."), no preposition ("in
# UK as firm raises"), and not "consumer" ("EU consumer groups": associations, not
# companies). An app store is a market's, not a company: "tops Pakistani app store charts"
# happens in Pakistan.
_ORIGIN_RE = re.compile(
    r"\s+(?:(?:payments|electronics|goods|logistics|(?!(?:as|at|by|for|from|in|into|of|on|to"
    r"|with|and|or|its|the|a|an|consumer)\s)[\w&-]*[^\Ws])\s+)?"
    r"(?:giant|rival|retailer|e-?tailer|firm|company|group|start-?up|scale-?up|platform"
    r"|marketplace|app(?!\s+stores?\b)|owner|parent|maker|chain|lender|fintech|carrier|courier"
    r"|unicorn|operator"
    r"|conglomerate|player|behemoth|upstart|champion|peer|competitor)s?\b",
    re.IGNORECASE,
)
# What follows a possessive place that is that country's own public body, not a company:
# "Chile's consumer watchdog", "Saudi Arabia's customs authority", "India's commerce ministry".
_PUBLIC_BODY_RE = re.compile(
    r"\s+(?:(?:consumer|competition|antitrust|data|privacy|tax|customs|trade|finance"
    r"|financial|commerce|postal|telecoms?|communications|central|top|national|federal"
    r"|protection)\s+){0,2}"
    r"(?:watchdog|regulator|agency|authority|authorities|ministry|minister|government"
    r"|parliament|senate|congress|lawmakers|court|customs|tax office|central bank"
    r"|commission|competition office|consumer office)s?\b",
    re.IGNORECASE,
)


# What a demonym before it says is made somewhere: "exports Japanese fashion to Taiwan".
_MADE_RE = re.compile(r"\s+(?:fashion|brands?|goods|products|exports)\b", re.IGNORECASE)
_LATIN_LETTER_RE = re.compile(r"[A-Za-z]")


def _is_origin(text: str, found: str, end: int) -> bool:
    """Whether a headline place says where a company's goods come from, not where the event
    happens: a demonym before goods ("exports Japanese fashion"), or a place written straight
    onto a Latin-script name in Chinese or Japanese ("日本ZOZOTOWN七月登台": Japan's ZOZOTOWN
    lands in Taiwan). (A demonym before any capitalised word is not read as an origin: in
    headlines half in Title Case, "French Duty on Low-value Imports" would be one.)"""
    if found in DEMONYMS:
        return _MADE_RE.match(text, end) is not None
    return not found.isascii() and _LATIN_LETTER_RE.match(text, end) is not None


# How a price or a figure moves.
_MOVES = (
    r"(?:rose|rise|rises|jump|jumps|jumped|grew|grow|grows|fell|fall|falls|surge|surges"
    r"|surged|climb|climbs|climbed|drop|drops|dropped|slump|slumps|slumped|gain|gains|gained"
    r"|tumble|tumbles|tumbled|soar|soars|soared|sink|sinks|sank|slide|slides|slid|plunge"
    r"|plunges|plunged)"
)
# What follows a place that says where shares trade, or whose figure a results report gives.
_AFTER_VENUE_RE = re.compile(
    rf"-listed\b|\s+(?:shares|stocks?|orders|sales|revenues?|gmv)\s+{_MOVES}\b",
    re.IGNORECASE,
)
# ... or precedes it: "shares rise 3% in New York" (not "on": "shares rise on Czech expansion").
_BEFORE_VENUE_RE = re.compile(
    rf"\b(?:shares|stock|stocks)\s+{_MOVES}\b[^,;:]{{0,25}}\bin\s+$", re.IGNORECASE
)


def _before_venue(text: str, start: int) -> bool:
    return _BEFORE_VENUE_RE.search(text, max(0, start - 60), start) is not None


# Where a headline's main clause ends: "CVC to buy GLS in €4.3bn deal as IDS refocuses on
# UK" happens wherever GLS is; the place after "as" is context, as after "amid", "while" or a
# dash. Not after "after" ("eBay to pay €30m after Spanish probe": the cause is the event) or
# a semicolon ("Loophole closes; Shopee halts parcels to Belgium"). An investor after "led by"
# or "backed by" is named, not placed: "OnBuy secures £60m in round led by Highland Europe".
_CLAUSE_RE = re.compile(
    r"\s(?:as|amid|while|despite|ahead of|led by|backed by)\s|\s[-–—]\s",
    re.IGNORECASE,
)
# Where a headline's first sentence ends (a full stop after a lower-case word, not "U.S."):
# one that names a place says where the event is, and the places of a second sentence are
# context ("Allegro wystartowało na Węgrzech. To kolejny rynek po Czechach i Słowacji": the
# markets it entered before). A first sentence without a place ("Amazon.es fined 62 million.
# ... in Spain") leaves the second's places as they were.
_SENTENCE_END_RE = re.compile(r"(?<=[^\W\d_A-Z]{2})\.\s+(?=[A-Z])")


def _main_clause_end(title: str) -> int:
    found = _CLAUSE_RE.search(title)
    return found.start() if found else len(title)


def company_weights(title: str, companies: Iterable[str], *, title_only: bool = False) -> Bag:
    """Each company's weight as a key term.

    A company the headline names is what the report is about (3: a main term beside any
    company only the text names, 1); one only the text names is often a rival or a
    comparison ("Rival Walmart is watching"). The tagger gives ids, whose parts
    ("mercado_libre") are looked for in the headline's words. A title-only item's companies
    were all tagged in its headline, however it writes them ("ウォルマート", "PDD Holdings").
    """
    if title_only:
        return Counter(dict.fromkeys(companies, 3))
    if not companies:
        return Counter()  # (most items name none: the headline's words are not needed)
    lowered = title.lower()
    headline = set(_WORD_RE.findall(lowered))
    named = [company for company in companies if _in_headline(company, lowered, headline)]
    if named and _may_name_rival(lowered):
        named = _subjects(lowered, named)
    return Counter({company: 3 if company in named else 1 for company in companies})


# What a headline names as the yardstick, not the subject: "... to take on Meesho, Ajio and
# Shein", "in push to rival Google, Amazon", "can beat Mercado Libre" (the rest of the
# headline, from the verb on) ...
_RIVAL_VERB_RE = re.compile(
    r"\b(?:to|can|could|and|in|set to|bid to|push to)\s+(?:rival|take on|beat|challenge"
    r"|compete with|fend off|catch up with|catch)\b|\b(?:takes on|taking on|versus|vs\.?)\s"
    # ... or as the one whose customers are sought: "Currys goes after Amazon's sellers",
    # "Amazon Shipping undercuts UPS", "Attentive woos Postscript customers".
    r"|\b(?:goes after|going after|undercuts|undercutting|poaches|poaching|woos|wooing|lures"
    r"|luring)\s",
    re.IGNORECASE,
)
# ... "Temu's rival Shein", "after Amazon, Walmart ...": the company before "rival" (or in the
# opening "after ...," phrase) is the comparison, the one after it the subject.
_RIVAL_OF_RE = re.compile(
    r"[^\s,;:]+(?:'s|’s)?\s+(?:e-?commerce\s+|online\s+|retail\s+)?(?:rival|competitor"
    r"|challenger)s?\s|^(?:after|like|following|taking a page from)\s+[^,]+,",
    re.IGNORECASE,
)


# Words one of which any match of ``_RIVAL_VERB_RE`` or ``_RIVAL_OF_RE`` holds in a lowered
# ASCII headline ("taking" for "taking on", "challenge" for "challenger"; IGNORECASE only adds
# letters that are not ASCII, such as the Kelvin sign's "k"). Without one, ``_subjects`` keeps
# every company named: it would cut nothing and blank nothing, and read the same words again.
_RIVAL_NEEDLES = (
    "after",
    "undercut",
    "poach",
    "woo",
    "lur",
    "rival",
    "take",
    "taking",
    "beat",
    "challenge",
    "compete",
    "fend",
    "catch",
    "vs",
    "versus",
    "competitor",
)
_RIVAL_OPENINGS = ("after", "like", "following", "taking a page from")


def _may_name_rival(lowered: str) -> bool:
    """Whether ``_subjects`` may drop a company from a lowered headline: False only when
    neither rival pattern can match it (one substring test per needle, at C speed)."""
    if not lowered.isascii() or lowered.startswith(_RIVAL_OPENINGS):
        return True
    return any(needle in lowered for needle in _RIVAL_NEEDLES)


def _subjects(lowered: str, named: list[str]) -> list[str]:
    """Of the companies a headline names, those it is about: not those named only as a rival
    or a yardstick (``_RIVAL_VERB_RE``, ``_RIVAL_OF_RE``). A report about Myntra's fee cut is
    not a report about Shein. (A company after the main clause stays a subject: "MercadoLibre
    slips as Amazon opens Chilean marketplace" is Amazon's news.)"""
    cut = len(lowered)
    verb = _RIVAL_VERB_RE.search(lowered)
    if verb is not None:
        cut = verb.start()
    # Blanked out, not removed: what stands either side must not run together.
    subject = _RIVAL_OF_RE.sub(lambda found: " " * len(found.group()), lowered[:cut])
    words = set(_WORD_RE.findall(subject))
    return [company for company in named if _in_headline(company, subject, words)]


def _in_headline(company: str, lowered: str, headline: set[str]) -> bool:
    """Whether the headline's words name a company id ("mercado_libre": "mercado", "libre"
    or "mercadolibre"; parts of two letters or fewer say too little) or write one of its
    family's names ("JD.com", "Myntra", "Douyin", "ウォルマート")."""
    return (
        any(part in headline for part in _id_parts(company))
        or ("_" in company and company.replace("_", "") in headline)
        or names_in_headline(company, lowered, headline)
    )


@functools.lru_cache(maxsize=4096)
def _id_parts(company: str) -> tuple[str, ...]:
    return tuple(part for part in company.split("_") if len(part) > 2)


def disputable(places: Bag) -> Bag:
    """The places an item or story can disagree on."""
    return {p: n for p, n in places.items() if p not in CONTEXT_PLACES}


@dataclass(frozen=True, slots=True)
class TermView:
    """One bag of key terms with what comparisons need of it, computed once."""

    bag: Mapping[str, int]
    main: Mapping[str, int]
    main_total: float
    full: float  # half the heaviest term's weight: a term weighing that much counts fully

    @classmethod
    def of(cls, bag: Bag) -> TermView:
        if not bag:
            return _EMPTY_VIEW
        heaviest = max(bag.values())
        floor = 0.5 * heaviest
        main = {term: weight for term, weight in bag.items() if weight >= floor}
        return cls(bag, main, float(sum(main.values())), floor)


# Regions and the places in them: a report headlined with the region and one headlined with a
# place in it agree half way (the EU's fine and Italy's are different events; the EU-wide
# launch and its German leg are one).
_REGIONS = {
    "EU": "FR DE IT ES NL BE PL SE DK FI AT IE PT CZ RO HU GR BG SK HR SI LT LV EE LU CY MT",
    "SEA": "ID MY TH VN PH SG KH MM LA BN",
    "LATAM": "MX BR AR CL CO PE EC UY BO PY VE CR PA GT DO",
    "MENA": "SA AE IL EG QA KW MA OM BH IQ LB DZ TN",
    "AFRICA": "ZA NG KE EG MA GH DZ TN ET TZ UG RW",
}
_RELATED = frozenset(
    pair
    for region, places in _REGIONS.items()
    for place in places.split()
    for pair in ((region, place), (place, region))
)

_IN_REGIONS = frozenset(term for term, _ in _RELATED)


_EMPTY_VIEW = TermView({}, {}, 0.0, 0.0)

Views = tuple[TermView, TermView, TermView, TermView]
"""Headline places that can be disputed, numbers, companies, names: what comparisons read."""


def views_of(title_places: Bag, numbers: Bag, companies: Bag, names: Bag) -> Views:
    """The four views an item or a story is compared by."""
    return (
        TermView.of(disputable(title_places)),
        TermView.of(numbers),
        TermView.of(companies),
        TermView.of(names),
    )


def _support(mine: TermView, theirs: TermView) -> float:
    if not mine.main_total or not theirs.full:
        return 0.0
    bag, full = theirs.bag, theirs.full
    agreed = 0.0
    for term, weight in mine.main.items():
        found = bag.get(term)
        if found:
            agreed += weight * min(1.0, found / full)
        elif term in _IN_REGIONS:  # (only places have related terms)
            related = [bag[other] for other in bag if (term, other) in _RELATED]
            if related:
                agreed += 0.5 * weight * min(1.0, max(related) / full)
    return agreed / mine.main_total


def view_agreement(mine: TermView, theirs: TermView, both_ways: bool) -> float:
    """``agreement`` over precomputed views: the same result, without recounting."""
    result = _support(mine, theirs)
    if both_ways and result > 0.0:
        result = min(result, _support(theirs, mine))
    return result


def view_disjoint(mine: TermView, theirs: TermView) -> bool:
    """Whether ``view_agreement(mine, theirs, both_ways=False)`` is 0 (``theirs`` has none of
    ``mine``'s main terms, nor a place related to one), without weighing the agreement: a
    veto asks this of every candidate, and a sum of positive weights is 0 only when empty."""
    if not mine.main_total or not theirs.full:
        return True
    bag = theirs.bag
    for term in mine.main:
        if bag.get(term):
            return False
        if term in _IN_REGIONS and any(bag[other] for other in bag if (term, other) in _RELATED):
            return False
    return True

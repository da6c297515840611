"""Company tagging: which families (``bot.news.tagging.companies``) a news item is about.

Pure and standard-library only. A ``Tagger`` compiles its table once: all aliases into one
trie-shaped regular expression that is run over a lower-cased copy of the item (one pass for
every alias; case-sensitive aliases are then checked against the original text), plus the
context terms that guards look for and each family's negative phrases. Those two are consulted
only for the occurrences that need them, and cheaply: a substring test first, a regex after.

The regular expressions are compiled when the first item is tagged, not when the ``Tagger`` is
built: the table is checked at construction, but a process that only picks companies by name
(``shopwire latest --company temu``, a poll where no feed changed) never pays for compiling it.

One item goes through these steps::

    title, summary, publisher
    | clean            HTML-unescape, drop tags and URLs, NFKC, straight apostrophes
    | strip publisher  " - Retail Dive" off the title, a trailing "Retail Dive" off the summary
    | find aliases     whole words; case-sensitive aliases only with exact case; not after
    |                  "former"/"ex-" (a person's past employer is not what the item is about)
    | veto             the family's negative phrases that contain the occurrence
    | plain aliases    tag their family
    | guarded aliases  tag their family only when the guard holds (context, position, language)
    => sorted family ids
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from bot.news.model.vocabulary import Company, ItemDraft, TaggedDraft
from bot.news.rules.plain_text import fold_typography, plain_for_matching
from bot.news.tagging.companies import FAMILIES, Alias, Family, Guard, NeedsWhen
from bot.news.tagging.word_scan import word_spans

__all__ = ["Tagger"]

_PUBLISHER_SEPARATORS = "-–—|"  # hyphen, en dash, em dash, bar

# The compiled table's parts are NamedTuples, not dataclasses: every CLI command imports this
# module, and making a frozen dataclass costs ~1.5 ms at import against ~0.2 ms for a NamedTuple.

# Within an alias a space or hyphen matches any run of spaces and hyphens. Not nothing: "Ali
# Baba" (the folk tale) must stay apart from "Alibaba"; the table spells out the closed-up
# variants that are real ("ecommerce", "MercadoLibre").
_SEP = "\x00"
_SEP_RE = r"[\s\-]+"
_SEP_CHARS_RE = re.compile(r"[\s\-]+")

# Scripts written without spaces between words: their aliases match without word boundaries,
# and a Latin alias right next to them still counts as a whole word ("Amazonジャパン").
_NO_SPACE_SCRIPTS_START = 0x2E80  # and Thai, U+0E00-U+0E7F
_NO_SPACE_SCRIPTS = "\u0e00-\u0e7f\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD_START = rf"(?<![^\W{_NO_SPACE_SCRIPTS}])"
_WORD_END = rf"(?![^\W{_NO_SPACE_SCRIPTS}])"
# What may come before a word: the complement of _WORD_START's class (see ``word_scan``).
_BEFORE_WORD = rf"[\W{_NO_SPACE_SCRIPTS}]"

_SENTENCE_END_RE = re.compile(r"[.!?:;]['\")\]]*\s+")
_WORD_RE = re.compile(r"[^\W\d_][\w'-]*")
_STRIP_PUNCTUATION = ".,;:!?\"'()[]"
# Capitalised words that come before a company name in headlines and are not first names.
_NOT_FIRST_NAMES = frozenset(
    [
        "a",
        "about",
        "after",
        "against",
        "amid",
        "an",
        "and",
        "as",
        "at",
        "before",
        "both",
        "but",
        "by",
        "can",
        "china",
        "chinese",
        "did",
        "does",
        "even",
        "exclusive",
        "fashion",
        "for",
        "from",
        "giant",
        "how",
        "in",
        "inside",
        "into",
        "is",
        "like",
        "more",
        "new",
        "of",
        "on",
        "online",
        "or",
        "over",
        "platform",
        "retailer",
        "rival",
        "rivals",
        "says",
        "than",
        "the",
        "to",
        "under",
        "unlike",
        "update",
        "versus",
        "via",
        "vs",
        "what",
        "when",
        "where",
        "while",
        "who",
        "why",
        "will",
        "with",
    ]
)
_TITLE_CASE_MIN_WORDS = 2
_TITLE_CASE_RATIO = 0.6
_LANGUAGE_MIN_MARKERS = 3
_CLOSE = 0.6  # difflib's usual cut-off for "close enough" in suggestions


def _clean(text: str) -> str:
    """Plain, normalised text to match against."""
    return plain_for_matching(text)


def _lower_same_length(text: str) -> str:
    """``text`` lower-cased, character for character, so that offsets carry over."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters lower-case to two ("İ"): leave those as they are.
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def _strip_title_suffix(title: str, publisher: str) -> str:
    """``title`` without a Google News style " - Publisher" ending."""
    stripped = title.rstrip()
    size = len(publisher)
    if len(stripped) <= size or stripped[-size:].casefold() != publisher.casefold():
        return title
    head = stripped[:-size].rstrip()
    if head and head[-1] in _PUBLISHER_SEPARATORS and head[:-1].strip():
        return head[:-1].rstrip()
    return title


def _strip_summary_suffix(summary: str, publisher: str) -> str:
    """``summary`` without the publisher name Google News appends after the headline."""
    stripped = summary.rstrip()
    size = len(publisher)
    if len(stripped) < size or stripped[-size:].casefold() != publisher.casefold():
        return summary
    head = stripped[:-size]
    if not head or head[-1].isspace() or head[-1] in _PUBLISHER_SEPARATORS:
        return head.rstrip().rstrip(_PUBLISHER_SEPARATORS).rstrip()
    return summary


def _passing_mention(lowered: str, start: int) -> bool:
    """Whether the occurrence at ``start`` follows "former " or "ex-"."""
    if start < 3 or lowered[start - 1] not in " -":
        return False
    for prefix in ("former ", "ex-"):
        before = start - len(prefix)
        if (
            before >= 0
            and lowered.startswith(prefix, before)
            and (before == 0 or not lowered[before - 1].isalnum())
        ):
            return True
    return False


def _atoms(text: str) -> tuple[str, ...]:
    atoms: list[str] = []
    for char in text:
        if char in " -":
            if atoms and atoms[-1] != _SEP:
                atoms.append(_SEP)
        else:
            atoms.append(char)
    while atoms and atoms[-1] == _SEP:
        atoms.pop()
    return tuple(atoms)


def _key(text: str) -> str:
    """What an alias and a matched occurrence of it have in common (case aside)."""
    if text.isalnum():
        return text
    return _SEP_CHARS_RE.sub(" ", text).strip()


def _no_space_script(text: str) -> bool:
    return any(
        ord(char) >= _NO_SPACE_SCRIPTS_START or "\u0e00" <= char <= "\u0e7f" for char in text
    )


class _Trie:
    """Alternatives sharing prefixes, so the regex engine does not retry each alias in turn."""

    __slots__ = ("children", "end")

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.end = False

    def add(self, atoms: Iterable[str]) -> None:
        node = self
        for atom in atoms:
            node = node.children.setdefault(atom, _Trie())
        node.end = True

    def pattern(self) -> str:
        alternatives = [
            (_SEP_RE if atom == _SEP else re.escape(atom)) + child.pattern()
            for atom, child in sorted(self.children.items())
        ]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        # Greedy and optional: the longest alias wins, a shorter one is the fall-back.
        return f"(?:{body})?" if self.end else body


def _words_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word matches of lower-case ``phrases``, to run over lower-cased text."""
    trie = _Trie()
    empty = True
    for phrase in phrases:
        trie.add(_atoms(phrase.lower()))
        empty = False
    if empty:
        return None
    return re.compile(_WORD_START + "(?:" + trie.pattern() + ")" + _WORD_END)


class _Terms(NamedTuple):
    """Context terms, as keys plus one substring each term must contain (a cheap pre-test)."""

    keys: frozenset[str]
    chunks: tuple[str, ...]

    @classmethod
    def of(cls, terms: Iterable[str]) -> _Terms:
        lowered = [term.lower() for term in terms]
        chunks = {max(_SEP_CHARS_RE.split(term), key=len) for term in lowered}
        return cls(frozenset(_key(term) for term in lowered), tuple(sorted(chunks)))


class _CompiledGuard(NamedTuple):
    needs: _Terms
    needs_when: NeedsWhen
    needs_family: bool
    markers: frozenset[str]
    blocked_by: _Terms
    unblocked_by: _Terms
    mid_sentence: bool
    strong: _Terms

    @classmethod
    def of(cls, guard: Guard) -> _CompiledGuard:
        return cls(
            needs=_Terms.of(guard.needs),
            needs_when=guard.needs_when,
            needs_family=guard.needs_family,
            markers=frozenset(marker.lower() for marker in guard.language_markers),
            blocked_by=_Terms.of(guard.blocked_by),
            unblocked_by=_Terms.of(guard.unblocked_by),
            mid_sentence=guard.mid_sentence,
            strong=_Terms.of(guard.strong),
        )


class _Negatives:
    """A family's negative phrases, searched only near an occurrence.

    Compiled the first time an occurrence of the family needs vetting: most items never do.
    """

    __slots__ = ("_phrases", "_regex", "reach")

    def __init__(self, phrases: Sequence[str]) -> None:
        self._phrases = tuple(phrases)
        self._regex: re.Pattern[str] | None = None
        # How far before or after an occurrence a containing phrase can extend.
        self.reach = 2 * max(len(phrase) for phrase in self._phrases)

    @property
    def regex(self) -> re.Pattern[str]:
        regex = self._regex
        if regex is None:
            # Threads racing here compile the same pattern; either result will do.
            regex = _words_regex(self._phrases)
            assert regex is not None  # a family's negatives are never empty here
            self._regex = regex
        return regex


class _Regexes(NamedTuple):
    """The compiled form of a table: aliases (ASCII text, any text) and the guards' terms.

    ``ascii`` matches the character before an alias and then the alias (``word_scan``);
    ``unicode`` matches the aliases themselves.
    """

    ascii: re.Pattern[str]
    unicode: re.Pattern[str]
    terms: re.Pattern[str] | None


class _Entry(NamedTuple):
    """What an alias occurrence stands for."""

    family: str
    alias: Alias
    exact: str | None  # for a case-sensitive alias, the key the original text must have
    guard: _CompiledGuard | None
    negatives: _Negatives | None


class _ItemText:
    """One item's cleaned text and what guards ask of it, worked out when first asked."""

    __slots__ = ("_terms", "_words", "lowered", "terms_re", "text", "title_end")

    def __init__(
        self, terms_re: re.Pattern[str] | None, text: str, lowered: str, title_end: int
    ) -> None:
        self.terms_re = terms_re
        self.text = text
        self.lowered = lowered
        self.title_end = title_end
        self._terms: frozenset[str] | None = None
        self._words: frozenset[str] | None = None

    def has_any(self, terms: _Terms) -> bool:
        """Whether one of ``terms`` occurs as a whole word or phrase."""
        if not terms.keys or not any(chunk in self.lowered for chunk in terms.chunks):
            return False
        if self._terms is None:
            regex = self.terms_re
            found = regex.finditer(self.lowered) if regex is not None else ()
            self._terms = frozenset(_key(match.group()) for match in found)
        return not terms.keys.isdisjoint(self._terms)

    def count_words(self, words: frozenset[str]) -> int:
        """How many of ``words`` occur between spaces (enough to tell a language)."""
        if self._words is None:
            self._words = frozenset(w.strip(_STRIP_PUNCTUATION) for w in self.lowered.split())
        return len(words & self._words)

    def vetoed(self, negatives: _Negatives, start: int, end: int) -> bool:
        """Whether a negative phrase contains the occurrence at ``start:end``."""
        lowered = self.lowered
        low = max(0, start - negatives.reach)
        high = min(len(lowered), end + negatives.reach)
        # Do not cut a word in two at the window's end: the phrase's end boundary would lie.
        while high < len(lowered) and (lowered[high].isalnum() or lowered[high] == "_"):
            high += 1
        return any(
            match.start() <= start and end <= match.end()
            for match in negatives.regex.finditer(lowered, low, high)
        )

    def _segment(self, position: int) -> tuple[int, int]:
        if position < self.title_end:
            return 0, self.title_end
        return min(self.title_end + 1, len(self.text)), len(self.text)

    def ordinary_mid_sentence(self, start: int, end: int) -> bool:
        """Whether a capital letter here means something: mid-sentence, and not Title Case."""
        seg_start, seg_end = self._segment(start)
        sentence_start = seg_start
        for boundary in _SENTENCE_END_RE.finditer(self.text, seg_start, start):
            sentence_start = boundary.end()
        if not any(char.isalnum() for char in self.text[sentence_start:start]):
            return False
        following = _SENTENCE_END_RE.search(self.text, end, seg_end)
        sentence_end = following.start() if following else seg_end
        words = [
            word
            for word in _WORD_RE.findall(self.text, sentence_start, start)[1:]
            + _WORD_RE.findall(self.text, end, sentence_end)
            if len(word) >= 4
        ]
        if len(words) < _TITLE_CASE_MIN_WORDS:
            return True
        capitalised = sum(1 for word in words if word[0].isupper())
        return capitalised / len(words) < _TITLE_CASE_RATIO

    def after_name(self, start: int) -> bool:
        """Whether a capitalised, first-name-like word comes right before ``start``."""
        seg_start, _ = self._segment(start)
        before = self.text[max(seg_start, start - 40) : start]
        if not before or before[-1] not in " \t":
            return False
        words = before.split()
        if not words:
            return False
        word = words[-1]
        return (
            word.isalpha()
            and word[0].isupper()
            and word[1:].islower()
            and word.lower() not in _NOT_FIRST_NAMES
        )


def _guard_holds(guard: _CompiledGuard, item: _ItemText, start: int, end: int) -> bool:
    if item.has_any(guard.blocked_by) and not item.has_any(guard.unblocked_by):
        return False
    if item.has_any(guard.strong):
        return True
    if guard.mid_sentence and not item.ordinary_mid_sentence(start, end):
        return False
    if not guard.needs.keys:
        # A guard that only vetoes lets the occurrence count; one that wants the family itself
        # found elsewhere does not (that family was not found, or we would not be here).
        return not guard.needs_family
    if guard.needs_when is NeedsWhen.AFTER_NAME and not item.after_name(start):
        return True
    if (
        guard.needs_when is NeedsWhen.IN_LANGUAGE
        and item.count_words(guard.markers) < _LANGUAGE_MIN_MARKERS
    ):
        return True
    return item.has_any(guard.needs)


def _all_aliases(family: Family) -> tuple[Alias, ...]:
    return family.aliases + tuple(alias for brand in family.brands for alias in brand.aliases)


def _pick_key(text: str) -> str:
    """What a user's spelling of a company and ours have in common."""
    folded = fold_typography(text).casefold()
    return "".join(char for char in folded if char.isalnum())


class _Pickable(NamedTuple):
    """How a family can be picked: its own names, the words in them, and every other label."""

    company: Company
    own: tuple[str, ...]
    words: frozenset[str]
    labels: tuple[str, ...]


class Tagger:
    """Tags items with company families, and lets users pick a family by what they type.

    Build it once (``Tagger.default()`` for the shipped table); it is immutable and safe to
    share between tasks and threads.
    """

    def __init__(self, families: Sequence[Family] = FAMILIES) -> None:
        """Compile ``families``; raises ValueError if the table contradicts itself."""
        ids = [family.id for family in families]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate family ids in the company table")
        self._families = tuple(families)
        self._companies = tuple(Company(family.id, family.name) for family in families)
        self._by_id = {company.id: company for company in self._companies}

        entries: dict[str, list[_Entry]] = {}
        spaced: list[tuple[str, ...]] = []
        unspaced: list[tuple[str, ...]] = []
        guard_terms: set[str] = set()
        for family in families:
            negatives = _Negatives(family.negative_context) if family.negative_context else None
            compiled: dict[Guard, _CompiledGuard] = {}
            for alias in _all_aliases(family):
                text = fold_typography(alias.text).strip()
                if not text:
                    raise ValueError(f"empty alias in family {family.id!r}")
                guard = None
                if alias.guard is not None:
                    guard = compiled.setdefault(alias.guard, _CompiledGuard.of(alias.guard))
                    g = alias.guard
                    guard_terms.update((*g.needs, *g.blocked_by, *g.unblocked_by, *g.strong))
                entry = _Entry(
                    family=family.id,
                    alias=alias,
                    exact=_key(text) if alias.case_sensitive else None,
                    guard=guard,
                    negatives=negatives,
                )
                self._add_entry(entries, _key(text.lower()), entry)
                (unspaced if _no_space_script(text) else spaced).append(_atoms(text.lower()))

        self._entries = {key: tuple(group) for key, group in entries.items()}
        self._aliases = (tuple(spaced), tuple(unspaced))  # as atoms, for ``_compile``
        self._guard_terms = tuple(sorted(guard_terms))
        self._regexes: _Regexes | None = None  # compiled by the first ``tag``
        self._pickables = self._build_pickables()

    def _compiled(self) -> _Regexes:
        regexes = self._regexes
        if regexes is None:
            # Threads racing here compile the same table; either result will do.
            regexes = self._regexes = self._compile()
        return regexes

    def _compile(self) -> _Regexes:
        spaced, unspaced = _Trie(), _Trie()
        for trie, aliases in zip((spaced, unspaced), self._aliases, strict=True):
            for atoms in aliases:
                trie.add(atoms)
        spaced_words = "(?:" + spaced.pattern() + ")" + _WORD_END
        words = _WORD_START + spaced_words
        return _Regexes(
            ascii=re.compile(_BEFORE_WORD + spaced_words),
            unicode=re.compile(f"{words}|(?:{unspaced.pattern()})" if unspaced.children else words),
            terms=_words_regex(self._guard_terms),
        )

    def compile_all(self) -> None:
        """Compile the table now, with the families' negative phrases otherwise compiled when
        first needed.

        For a process that forks workers which will tag many items (the parser pool's
        forkserver): each worker would otherwise compile the same patterns again.
        """
        self._compiled()
        for group in self._entries.values():
            for entry in group:
                if entry.negatives is not None:
                    _ = entry.negatives.regex

    @staticmethod
    def _add_entry(entries: dict[str, list[_Entry]], key: str, entry: _Entry) -> None:
        group = entries.setdefault(key, [])
        for other in group:
            if other.exact != entry.exact:
                continue  # different spellings of case ("Otto", "OTTO")
            if (other.family, other.guard) != (entry.family, entry.guard):
                raise ValueError(
                    f"alias {entry.alias.text!r} means both {other.family!r} and"
                    f" {entry.family!r} (or the same family with different rules)"
                )
            return  # the same alias twice ("Walmart" and a brand listing it again)
        group.append(entry)

    @classmethod
    def default(cls) -> Tagger:
        """The tagger for the shipped company table, built on first use and then shared."""
        return _default_tagger()

    def companies(self) -> tuple[Company, ...]:
        """Every family as a Company, in display order (the product's focus companies first)."""
        return self._companies

    def company(self, family_id: str) -> Company | None:
        """The Company for a family id, or None if the id is unknown."""
        return self._by_id.get(family_id)

    def tag(self, title: str, summary: str = "", publisher: str | None = None) -> tuple[str, ...]:
        """The ids of the families an item is about, sorted and without duplicates.

        ``publisher`` (e.g. Google News' ``<source>``) is stripped from the end of the title
        (" - Publisher") and of the summary first, so that it never produces a tag itself.
        """
        title = _clean(title)
        summary = _clean(summary) if summary else ""
        if publisher:
            name = _clean(publisher).strip()
            if name:
                title = _strip_title_suffix(title, name)
                summary = _strip_summary_suffix(summary, name) if summary else ""
        text = f"{title}\n{summary}" if summary else title
        lowered = _lower_same_length(text)

        found: list[tuple[_Entry, int, int]] = []
        regexes = self._compiled()
        if text.isascii():
            spans = word_spans(regexes.ascii, lowered, "\n")
        else:
            spans = (match.span() for match in regexes.unicode.finditer(lowered))
        for start, end in spans:
            if _passing_mention(lowered, start):
                continue
            for entry in self._entries.get(_key(lowered[start:end]), ()):
                if entry.exact is None or _key(text[start:end]) == entry.exact:
                    found.append((entry, start, end))
        if not found:
            return ()

        item = _ItemText(regexes.terms, text, lowered, len(title))
        accepted: set[str] = set()
        guarded: list[tuple[_Entry, int, int]] = []
        for entry, start, end in found:
            if entry.guard is not None:
                guarded.append((entry, start, end))
            elif entry.family not in accepted and not (
                entry.negatives and item.vetoed(entry.negatives, start, end)
            ):
                accepted.add(entry.family)
        for entry, start, end in guarded:
            if entry.family in accepted:
                continue
            if entry.negatives and item.vetoed(entry.negatives, start, end):
                continue
            assert entry.guard is not None
            if _guard_holds(entry.guard, item, start, end):
                accepted.add(entry.family)
        return tuple(sorted(accepted))

    def tag_draft(self, draft: ItemDraft) -> TaggedDraft:
        """``draft`` with the families its title and summary are about."""
        return TaggedDraft(draft, self.tag(draft.title, draft.summary, draft.publisher))

    # --- picking a family by what a user types ---------------------------------------------

    def _build_pickables(self) -> tuple[_Pickable, ...]:
        pickables = []
        for family in self._families:
            names = (family.name, *family.picker_names, *(brand.name for brand in family.brands))
            # Only aliases that count on their own: "Sea" or "Saturn" should not pick a family.
            aliases = [
                alias.text
                for alias in _all_aliases(family)
                if alias.guard is None or alias.guard.vetoes_only
            ]
            labels = (family.id, *names, *aliases)
            pickables.append(
                _Pickable(
                    company=self._by_id[family.id],
                    own=(_pick_key(family.id), _pick_key(family.name)),
                    words=frozenset(
                        key
                        for name in names
                        for word in re.split(r"[\s/()&,]+", name)
                        if (key := _pick_key(word))
                    ),
                    labels=tuple(dict.fromkeys(key for t in labels if (key := _pick_key(t)))),
                )
            )
        owners: dict[str, set[str]] = {}
        for pickable in pickables:
            for label in pickable.labels:
                owners.setdefault(label, set()).add(pickable.company.id)
        own = {key: p.company.id for p in reversed(pickables) for key in p.own}
        # A family's own id or name always picks it; any other label only if no other family
        # has it too.
        self._pick = {
            **{label: next(iter(ids)) for label, ids in owners.items() if len(ids) == 1},
            **own,
        }
        return tuple(pickables)

    def resolve(self, text: str) -> Company | None:
        """The family a user means by ``text``, or None.

        Case-insensitive; accepts an id ("tiktok_shop"), a display name ("TikTok Shop"), a brand
        ("Pinduoduo"), or an alias that is not ambiguous ("aliexpress", "PDD Holdings").
        """
        family_id = self._pick.get(_pick_key(text))
        return self._by_id[family_id] if family_id else None

    def suggest(self, text: str, limit: int = 25) -> tuple[Company, ...]:
        """Families for an autocomplete list: prefix matches, then substrings, then near misses.

        An empty ``text`` lists the families in display order. At most ``limit`` are returned.
        """
        if limit <= 0:
            return ()
        query = _pick_key(text)
        if not query:
            return self._companies[:limit]
        ranked: list[tuple[int, int, Company]] = []
        for order, pickable in enumerate(self._pickables):
            if any(key.startswith(query) for key in pickable.own):
                tier = 0
            elif any(word.startswith(query) for word in pickable.words):
                tier = 1
            elif any(label.startswith(query) for label in pickable.labels):
                tier = 2
            elif any(query in label for label in pickable.labels):
                tier = 3
            else:
                continue
            ranked.append((tier, order, pickable.company))
        ranked.sort(key=lambda row: row[:2])
        chosen = [company for _, _, company in ranked]
        if len(chosen) < limit:
            # Near misses ("amazn", "shien") against every label, best first.
            matcher = difflib.SequenceMatcher()
            matcher.set_seq2(query)  # the side SequenceMatcher precomputes
            scored: list[tuple[float, int, Company]] = []
            for order, pickable in enumerate(self._pickables):
                if pickable.company in chosen:
                    continue
                best = 0.0
                for label in pickable.labels:
                    matcher.set_seq1(label)
                    if matcher.real_quick_ratio() >= _CLOSE and matcher.quick_ratio() >= _CLOSE:
                        best = max(best, matcher.ratio())
                if best >= _CLOSE:
                    scored.append((-best, order, pickable.company))
            scored.sort(key=lambda row: row[:2])
            chosen += [company for _, _, company in scored]
        return tuple(chosen[:limit])


@functools.cache
def _default_tagger() -> Tagger:
    return Tagger(FAMILIES)

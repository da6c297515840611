"""Parse whatever a user types into a search query (``SearchQuery``) in no backend's syntax.

The user-facing syntax is deliberately small, like a web search box::

    amazon tariff           both words (implicit AND)
    "de minimis"            a phrase
    -prime  -"prime day"    leave out items with this word or phrase
    temu OR shein           either word (``OR`` in capitals, between two terms)
    amaz*  "tiktok sh"*     words that start so (a ``*`` at the end of a word or phrase)

Everything else is text, never syntax: ``^``, ``:``, parentheses, ``NEAR``, ``AND``/``NOT``
typed as words, column filters and a ``*`` anywhere but at the end of a term are kept in a
term's text and become (at most) words to look for. Control characters (and private-use ones,
which storage uses to mark hidden tag tokens) never reach a term.

Storage renders the result to its own query language (``storage/fts.py`` for SQLite's FTS5)
and must give the same syntax the same meaning: words are matched by their English stem, so
"return" finds "returns" and "returned"; a prefix is matched against those stems too.

Pure and stdlib-only: services and commands call it to validate input before anything reaches
storage.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import AnyOf, SearchQuery, SearchTerm

MAX_TERMS = 16
"""Terms (words or phrases, kept and excluded together) beyond this are ignored."""

MAX_TERM_CHARS = 64
"""Longer terms are cut: no real word is this long and index tokens are short anyway."""

MAX_PHRASE_CHARS = 200
"""A quoted phrase may hold several words, so it gets a larger budget than a single word."""

MAX_INPUT_CHARS = 2000
"""Only this much of the input is read; it bounds the work for 10k-character pastes."""

EMPTY_MESSAGE = "Type at least one word to search for."
ONLY_EXCLUSIONS_MESSAGE = (
    "Add at least one word to look for: a search cannot be made only of excluded words (-word)."
)

MIN_PREFIX_CHARS = 2
"""A prefix shorter than this would walk most of the index's vocabulary for little meaning."""

BARE_STAR_MESSAGE = "A `*` goes right after the start of a word: `amaz*` finds amazon and amazing."
SHORT_PREFIX_MESSAGE = (
    f"Put at least {MIN_PREFIX_CHARS} letters or digits before a `*`:"
    " `amaz*` finds amazon and amazing."
)


@dataclass(frozen=True, slots=True)
class _Term:
    term: SearchTerm
    negative: bool


class _Or:
    """The ``OR`` keyword between two terms."""


_OR = _Or()


def parse_query(text: str) -> SearchQuery:
    """Parse a user's search ``text``: groups of terms to match (AND of ORs) and exclusions.

    ``SearchQuery.terms`` holds the positive words and phrases (for highlighting or logs).
    Raises InvalidQuery when nothing searchable is left (empty, punctuation or emoji only),
    when every term is an exclusion, since an index cannot search for "everything except",
    and for a ``*`` that follows no word or fewer than ``MIN_PREFIX_CHARS`` of its characters.
    """
    tokens = _tokenize(_clean(text[:MAX_INPUT_CHARS]))
    groups: list[list[SearchTerm]] = []  # AND of ORs
    excluded: list[SearchTerm] = []
    last: _Term | None = None
    joinable = False  # an OR directly follows a positive term: the next term joins its group
    kept = 0
    for token in tokens:
        if isinstance(token, _Or):
            joinable = last is not None and not last.negative
            continue
        if kept == MAX_TERMS:
            break
        kept += 1
        if token.negative:
            excluded.append(token.term)
        elif joinable and groups:
            groups[-1].append(token.term)
        else:
            groups.append([token.term])
        last, joinable = token, False

    if not groups:
        raise InvalidQuery(ONLY_EXCLUSIONS_MESSAGE if excluded else EMPTY_MESSAGE)
    return SearchQuery(
        all_of=tuple(AnyOf(tuple(group)) for group in groups), excluded=tuple(excluded)
    )


def _clean(text: str) -> str:
    """Replace control characters with spaces and drop an unbalanced quote.

    FTS5 ends a string at a NUL byte ("unterminated string"), lone surrogates cannot be encoded
    for a database at all and private-use characters mark storage's hidden tag tokens, so none
    of the "C" categories may reach a term.
    """
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    if cleaned.count('"') % 2:
        # An unbalanced quote is dropped, so the words after it are read as ordinary words.
        last = cleaned.rindex('"')
        cleaned = cleaned[:last] + " " + cleaned[last + 1 :]
    return cleaned


def _searchable(term: str) -> bool:
    """Whether the tokenizer will find at least one token (a letter or digit) in ``term``."""
    return any(ch.isalnum() for ch in term)


def _word_char(ch: str) -> bool:
    """Whether unicode61 keeps ``ch`` inside a token (letters, digits, combining marks)."""
    return unicodedata.category(ch)[0] in "LNM"


def _prefix_term(text: str, negative: bool, *, phrase: bool) -> _Term:
    """The term for ``text`` that was typed with a trailing ``*`` (already removed).

    The star applies to the word it touches, the last one an index reads in ``text``: a star
    after a space or punctuation, or after a single character, is refused rather than silently
    dropped or left to match half the vocabulary.
    """
    end = len(text)
    while end and _word_char(text[end - 1]):
        end -= 1
    # Combining marks stay in the word but count for nothing: remove_diacritics drops Latin
    # accents, and an Indic vowel sign (kept by the index) is no letter on its own.
    run = sum(ch.isalnum() for ch in text[end:])
    if run == 0:
        raise InvalidQuery(BARE_STAR_MESSAGE)
    if run < MIN_PREFIX_CHARS:
        raise InvalidQuery(SHORT_PREFIX_MESSAGE)
    return _Term(SearchTerm(text, phrase=phrase, prefix=True), negative)


def _tokenize(text: str) -> list[_Term | _Or]:
    """Split into words, "phrases", -exclusions and OR markers; drop unsearchable pieces.

    Raises InvalidQuery for a misplaced or too short prefix (see ``_prefix_term``).
    """
    out: list[_Term | _Or] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negative = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negative = True
            i += 1
            ch = text[i]
        if ch == '"':
            end = text.index('"', i + 1)  # balanced by _clean
            phrase = " ".join(text[i + 1 : end].split())
            i = end + 1
            # "tiktok sh"* and "tiktok sh*" both make the phrase's last word a prefix.
            starred = phrase.endswith("*") or (i < n and text[i] == "*")
            while i < n and text[i] == "*":
                i += 1
            if starred:
                out.append(
                    _prefix_term(phrase.rstrip("*")[:MAX_PHRASE_CHARS], negative, phrase=True)
                )
            elif _searchable(phrase):
                out.append(_Term(SearchTerm(phrase[:MAX_PHRASE_CHARS], phrase=True), negative))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        if word == "OR" and not negative:
            out.append(_OR)
        elif word.endswith("*"):
            out.append(_prefix_term(word.rstrip("*")[:MAX_TERM_CHARS], negative, phrase=False))
        elif _searchable(word):
            out.append(_Term(SearchTerm(word[:MAX_TERM_CHARS]), negative))
    return out

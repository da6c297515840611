"""Turn whatever a user types into a safe SQLite FTS5 MATCH expression.

The user-facing syntax is deliberately small, like a web search box::

    amazon tariff           both words (implicit AND)
    "de minimis"            a phrase
    -prime  -"prime day"    leave out items with this word or phrase
    temu OR shein           either word (``OR`` in capitals, between two terms)
    amaz*  "tiktok sh"*     words that start so (a ``*`` at the end of a word or phrase)

Everything else is text, never syntax. Every term is emitted as an FTS5 string (``"tok"``), so
``^``, ``:``, parentheses, ``NEAR``, ``AND``/``NOT`` typed as words, column filters and a ``*``
anywhere but at the end of a term lose their meaning and become (at most) words to look for.
The FTS5 grammar therefore only ever sees strings (a prefix one followed by ``*``) joined by
``AND``, ``OR`` groups in parentheses and one trailing ``NOT (...)``: no query a user types can
make SQLite raise a syntax error. The expression is also valid inside a column filter
(``{title summary} : (...)``), which storage relies on.

Words are matched by their English stem (the index uses FTS5's ``porter`` tokenizer), so
"return" finds "returns" and "returned"; a prefix is matched against those stems too.

Pure and stdlib-only: services call it to validate input before anything reaches storage.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.news.errors import InvalidQuery
from bot.news.models import FtsQuery

MAX_TERMS = 16
"""Terms (words or phrases, kept and excluded together) beyond this are ignored."""

MAX_TERM_CHARS = 64
"""Longer terms are cut: no real word is this long and FTS5 tokens are short anyway."""

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
    text: str
    negative: bool
    prefix: bool = False  # a trailing ``*``: the term's last word is a prefix

    def expression(self) -> str:
        return _quote(self.text) + ("*" if self.prefix else "")

    def shown(self) -> str:
        return self.text + ("*" if self.prefix else "")


class _Or:
    """The ``OR`` keyword between two terms."""


_OR = _Or()


def build_fts_query(text: str) -> FtsQuery:
    """Return the safe FTS5 expression for a user's search ``text``.

    ``FtsQuery.terms`` holds the positive words and phrases (for highlighting or logs).
    Raises InvalidQuery when nothing searchable is left (empty, punctuation or emoji only),
    when every term is an exclusion, since FTS5 cannot search for "everything except", and
    for a ``*`` that follows no word or fewer than ``MIN_PREFIX_CHARS`` of its characters.
    """
    tokens = _tokenize(_clean(text[:MAX_INPUT_CHARS]))
    groups: list[list[_Term]] = []  # AND of ORs
    excluded: list[_Term] = []
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
            excluded.append(token)
        elif joinable and groups:
            groups[-1].append(token)
        else:
            groups.append([token])
        last, joinable = token, False

    if not groups:
        raise InvalidQuery(ONLY_EXCLUSIONS_MESSAGE if excluded else EMPTY_MESSAGE)

    # Explicit AND: FTS5's implicit AND only joins plain phrases, and "(a OR b) c" is a
    # syntax error there.
    expression = " AND ".join(_group_expression(group) for group in groups)
    if excluded:
        # Parenthesised on both sides so FTS5's operator precedence never matters.
        negated = " OR ".join(term.expression() for term in excluded)
        expression = f"({expression}) NOT ({negated})"
    terms = tuple(term.shown() for group in groups for term in group)
    return FtsQuery(expression=expression, terms=terms)


def _group_expression(group: list[_Term]) -> str:
    if len(group) == 1:
        return group[0].expression()
    return "(" + " OR ".join(term.expression() for term in group) + ")"


def _quote(term: str) -> str:
    """An FTS5 string: inside double quotes, a double quote is written twice."""
    return '"' + term.replace('"', '""') + '"'


def _clean(text: str) -> str:
    """Replace control characters with spaces and drop an unbalanced quote.

    FTS5 ends a string at a NUL byte ("unterminated string"), and lone surrogates cannot be
    encoded for SQLite at all, so none of the "C" categories may reach the expression.
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


def _prefix_term(text: str, negative: bool) -> _Term:
    """The term for ``text`` that was typed with a trailing ``*`` (already removed).

    The star applies to the word it touches, the last one FTS5 reads in ``text``: a star after
    a space or punctuation, or after a single character, is refused rather than silently
    dropped or left to match half the vocabulary.
    """
    end = len(text)
    while end and _word_char(text[end - 1]):
        end -= 1
    # Combining marks stay in the word but count for nothing: remove_diacritics drops them.
    run = sum(ch.isalnum() for ch in text[end:])
    if run == 0:
        raise InvalidQuery(BARE_STAR_MESSAGE)
    if run < MIN_PREFIX_CHARS:
        raise InvalidQuery(SHORT_PREFIX_MESSAGE)
    return _Term(text, negative, prefix=True)


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
                out.append(_prefix_term(phrase.rstrip("*")[:MAX_PHRASE_CHARS], negative))
            elif _searchable(phrase):
                out.append(_Term(phrase[:MAX_PHRASE_CHARS], negative))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        if word == "OR" and not negative:
            out.append(_OR)
        elif word.endswith("*"):
            out.append(_prefix_term(word.rstrip("*")[:MAX_TERM_CHARS], negative))
        elif _searchable(word):
            out.append(_Term(word[:MAX_TERM_CHARS], negative))
    return out

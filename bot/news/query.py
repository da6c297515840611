"""Turn whatever a user types into a safe SQLite FTS5 MATCH expression.

The user-facing syntax is deliberately small, like a web search box::

    amazon tariff           both words (implicit AND)
    "de minimis"            a phrase
    -prime  -"prime day"    leave out items with this word or phrase
    temu OR shein           either word (``OR`` in capitals, between two terms)

Everything else is text, never syntax. Every term is emitted as an FTS5 string (``"tok"``), so
``*``, ``^``, ``:``, parentheses, ``NEAR``, ``AND``/``NOT`` typed as words and column filters
lose their meaning and become (at most) words to look for. The FTS5 grammar therefore only ever
sees strings joined by ``AND``, ``OR`` groups in parentheses and one trailing ``NOT (...)``: no
query a user types can make SQLite raise a syntax error. The expression is also valid inside a
column filter (``{title summary} : (...)``), which storage relies on.

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


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    negative: bool


class _Or:
    """The ``OR`` keyword between two terms."""


_OR = _Or()


def build_fts_query(text: str) -> FtsQuery:
    """Return the safe FTS5 expression for a user's search ``text``.

    ``FtsQuery.terms`` holds the positive words and phrases (for highlighting or logs).
    Raises InvalidQuery when nothing searchable is left (empty, punctuation or emoji only) or
    when every term is an exclusion, since FTS5 cannot search for "everything except".
    """
    tokens = _tokenize(_clean(text[:MAX_INPUT_CHARS]))
    groups: list[list[str]] = []  # AND of ORs
    excluded: list[str] = []
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
            excluded.append(token.text)
        elif joinable and groups:
            groups[-1].append(token.text)
        else:
            groups.append([token.text])
        last, joinable = token, False

    if not groups:
        raise InvalidQuery(ONLY_EXCLUSIONS_MESSAGE if excluded else EMPTY_MESSAGE)

    # Explicit AND: FTS5's implicit AND only joins plain phrases, and "(a OR b) c" is a
    # syntax error there.
    expression = " AND ".join(_group_expression(group) for group in groups)
    if excluded:
        # Parenthesised on both sides so FTS5's operator precedence never matters.
        negated = " OR ".join(_quote(term) for term in excluded)
        expression = f"({expression}) NOT ({negated})"
    terms = tuple(term for group in groups for term in group)
    return FtsQuery(expression=expression, terms=terms)


def _group_expression(group: list[str]) -> str:
    if len(group) == 1:
        return _quote(group[0])
    return "(" + " OR ".join(_quote(term) for term in group) + ")"


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


def _tokenize(text: str) -> list[_Term | _Or]:
    """Split into words, "phrases", -exclusions and OR markers; drop unsearchable pieces."""
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
            phrase = " ".join(text[i + 1 : end].split())[:MAX_PHRASE_CHARS]
            i = end + 1
            if _searchable(phrase):
                out.append(_Term(phrase, negative))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        if word == "OR" and not negative:
            out.append(_OR)
        elif _searchable(word):
            out.append(_Term(word[:MAX_TERM_CHARS], negative))
    return out

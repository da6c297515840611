"""The core's parsed search (``SearchQuery``) and tag filters as an SQLite FTS5 MATCH expression.

FTS5 has no placeholders inside a MATCH expression, so the whole expression is one bound
parameter (``items_fts MATCH ?``) and every term in it is an FTS5 string (``"tok"``, a double
quote written twice): user text is data, never syntax. The grammar therefore only ever sees
strings (a prefix one followed by ``*``) joined by ``AND``, ``OR`` groups in parentheses and
one trailing ``NOT (...)``, and no parsed query can make SQLite raise a syntax error. The
expression is also valid inside a column filter (``{title summary} : (...)``).

Only storage imports this module (``tests/test_import_contracts.py``): everything above it
talks in ``SearchQuery``, which another backend renders its own way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.news.model.vocabulary import AnyOf, SearchQuery, SearchTerm
from storage.search_tokenizer import fold


def match_expression(
    query: SearchQuery, *, all_tags: Sequence[str] = (), any_tags: Sequence[str] = ()
) -> str:
    """The MATCH expression for ``query``, narrowed to items with every one of ``all_tags``
    and, when given, at least one of ``any_tags`` (hidden tag tokens that storage made, see
    ``storage.items.TAG_MARK``; never user text)."""
    expression = render(query)
    filters = [quote(tag) for tag in all_tags]
    if any_tags:
        filters.append("(" + " OR ".join(quote(tag) for tag in any_tags) + ")")
    if filters:
        expression = f"({expression}) AND " + " AND ".join(filters)
    return expression


def render(query: SearchQuery) -> str:
    """The user's part of the expression: groups joined by AND, then the exclusions."""
    # Explicit AND: FTS5's implicit AND only joins plain phrases, and "(a OR b) c" is a
    # syntax error there.
    expression = " AND ".join(_group(group) for group in query.all_of)
    if query.excluded:
        # Parenthesised on both sides so FTS5's operator precedence never matters.
        negated = " OR ".join(_term(term) for term in query.excluded)
        expression = f"({expression}) NOT ({negated})"
    return expression


def quote(token: str) -> str:
    """An FTS5 string: inside double quotes, a double quote is written twice."""
    return '"' + token.replace('"', '""') + '"'


def _group(group: AnyOf) -> str:
    if len(group.terms) == 1:
        return _term(group.terms[0])
    return "(" + " OR ".join(_term(term) for term in group.terms) + ")"


def _term(term: SearchTerm) -> str:
    # A word and a phrase are both FTS5 strings: the tokenizer splits either into a phrase.
    # Folded as the index's text is (migration 17): "Đà Nẵng" and "Da Nang" are one search.
    return quote(fold(term_text(term.text))) + ("*" if term.prefix else "")


def term_text(text: str) -> str:
    """``text`` with control, surrogate and private-use characters as spaces.

    ``parse_query`` never leaves one in a term; a ``SearchQuery`` made some other way might,
    and a NUL ends an FTS5 string ("unterminated string") while a private-use character
    could match a hidden tag token.
    """
    if text.isprintable():  # the usual case, in C: no category "C" (nor "Z" but a space)
        return text
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)

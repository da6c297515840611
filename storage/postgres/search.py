"""PostgreSQL full-text search that reads text exactly as the SQLite index does.

PostgreSQL's own parser splits words its own way (the ``simple`` configuration keeps
``amazon.com`` as one lexeme, drops private-use characters) and stems with Snowball, not
porter. So neither its parser nor its dictionaries ever see item or query text here: both are
tokenized by SQLite's FTS5 tokenizer itself (``TOKENIZE``, the index's, in a private
in-memory database, through ``fts5vocab``), and the tokens go to PostgreSQL as literal
lexemes. The same user syntax therefore finds the same words on both backends by construction.

A document is a ``tsvector`` literal: title tokens weighted A, summary tokens B, with a gap of
one position between them (an FTS5 phrase never spans two columns, and ``<->`` needs adjacent
positions), and the hidden filter lexemes (``feed_tag`` ...), which start with ``#``: the
tokenizer never keeps a ``#`` inside a token, so neither item text nor typed text can make or
match one. A query is a ``tsquery`` literal built from the parsed ``SearchQuery``: each term a
phrase of quoted lexemes (``<->``), the last one a prefix (``:*``) for a starred term; ``|``
within a group, ``&`` between groups, ``& !(...)`` for the exclusions. Both literals are bound
as one parameter each and cast (``$1::tsquery``); the literal syntax quotes every lexeme, so
user text is data, never syntax.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.news.model.vocabulary import SearchQuery, SearchTerm
from storage.fts import term_text
from storage.search_tokenizer import TOKENIZE as TOKENIZE  # the index's; tests check they agree
from storage.search_tokenizer import fold, tokenize_option

MAX_LEXEME_CHARS = 500
"""A longer token is cut: PostgreSQL refuses a lexeme over 2,046 bytes, and no typed term is
anywhere near this long (``bot.news.rules.search_query`` cuts a phrase at 200 characters)."""

MAX_POSITION = 16_383
"""PostgreSQL's largest lexeme position; later words share it (only phrases notice)."""

TITLE_WEIGHT = "A"
SUMMARY_WEIGHT = "B"
RANK_WEIGHTS = (0.0, 0.0, 1.0 / 3.0, 1.0)
"""``ts_rank`` weights for D, C, B, A: a word in the headline counts three times one in the
text, as the SQLite backend's bm25 column weights have it; tags (no weight) count nothing."""


def feed_tag(feed_id: int) -> str:
    """The hidden lexeme every item of a feed carries."""
    return f"#f{feed_id}"


def company_tag(company_id: str) -> str:
    """The hidden lexeme of a company (hex: any id, one plain lexeme)."""
    return f"#c{company_id.encode().hex()}"


def topic_tag(topic: str) -> str:
    """The hidden lexeme of a topic id."""
    return f"#t{topic.encode().hex()}"


def month_tag(when: datetime) -> str:
    """The hidden lexeme of the month (UTC) an item was published in, as ``month_sql`` makes
    it."""
    when = when.astimezone(UTC)
    return f"#m{when.year:04d}{when.month:02d}"


BLOCK_BITS = 12
"""Items are grouped in blocks of ``2 ** BLOCK_BITS`` consecutive ids, each block a hidden
lexeme of the search index (``BLOCKED_SEARCH``, migration 11)."""


def blocked_search(bits: int) -> str:
    """SQL for an item's search vector (items aliased ``i``) with the lexeme of its block of
    ``2 ** bits`` ids."""
    return f"(i.search || array_to_tsvector(ARRAY['#b' || (i.id >> {bits})::text]))"


BLOCKED_SEARCH = blocked_search(BLOCK_BITS)
"""An item's search vector (items aliased ``i``) with its id block's lexeme: the expression
the GIN index holds. Its ids grow with insertion time, so ``word & (newest blocks)`` reads
only the word's newest matches from the index, where a bound on ids would read them all
first. Made from the id rather than stored, so that no write needs the id it gets."""


def block_tag(block: int) -> str:
    """The hidden lexeme of the block of ids ``block``: ids ``block << BLOCK_BITS`` on."""
    return f"#b{block}"


def month_sql(published: str) -> str:
    """SQL for the ``tsvector`` holding the month lexeme of ``published`` (a timestamptz
    expression); ``array_to_tsvector`` takes the lexeme as it is, with no parsing."""
    return f"array_to_tsvector(ARRAY['#m' || to_char(({published}) AT TIME ZONE 'UTC', 'YYYYMM')])"


@dataclass(frozen=True, slots=True)
class Document:
    """What an item's search vector is made of."""

    title: str
    summary: str
    tags: tuple[str, ...] = ()


# Positions from 1; the summary starts two after the title's last word. One statement builds
# every document's literal inside SQLite, so a poll of thousands of items makes one Python
# string per item rather than one object per word.
_VECTORS = f"""
WITH words AS (
    SELECT doc, col, offset, term,
           max(CASE WHEN col = 'title' THEN offset END) OVER (PARTITION BY doc) AS title_end
    FROM words_vocab
),
placed AS (
    SELECT doc, substr(term, 1, {MAX_LEXEME_CHARS}) AS lexeme,
           min({MAX_POSITION}, CASE WHEN col = 'title' THEN offset + 1
                                    ELSE offset + coalesce(title_end + 3, 1) END)
           || CASE WHEN col = 'title' THEN '{TITLE_WEIGHT}' ELSE '{SUMMARY_WEIGHT}' END AS place
    FROM words
),
entries AS (
    SELECT doc, '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':'
                || group_concat(place, ',') AS entry
    FROM placed GROUP BY doc, lexeme
)
SELECT doc, group_concat(entry, ' ') FROM entries GROUP BY doc
"""


_LOCAL = threading.local()


def _words_table() -> sqlite3.Connection:
    """This thread's tokenizing table, emptied.

    One per thread, kept: opening a database and creating both tables cost about 0.5 ms, and
    preparing ``_VECTORS`` about 0.3 ms more (the connection's statement cache keeps it), where
    tokenizing a two-item feed's first poll costs about 0.5 ms. Contentless, so that
    'delete-all' empties the index at once; only the index is ever read (``words_vocab``).
    Emptied before each use, so a call that failed midway leaves nothing for the next; made
    again if ``TOKENIZE`` is not the one it was made with (tests read with older ones).
    """
    kept: tuple[str, sqlite3.Connection] | None = getattr(_LOCAL, "words", None)
    if kept is not None and kept[0] == TOKENIZE:
        connection = kept[1]
        connection.execute("INSERT INTO words (words) VALUES ('delete-all')")
        return connection
    if kept is not None:
        kept[1].close()
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE words USING fts5 "
        f"(title, summary, content = '', {tokenize_option(TOKENIZE)})"
    )
    connection.execute("CREATE VIRTUAL TABLE words_vocab USING fts5vocab (words, 'instance')")
    _LOCAL.words = (TOKENIZE, connection)
    return connection


def vectors(documents: Sequence[Document]) -> list[str]:
    """The ``tsvector`` literal of each document, in order (blocking: CPU in SQLite)."""
    connection = _words_table()
    connection.executemany(
        "INSERT INTO words (rowid, title, summary) VALUES (?, ?, ?)",
        # Folded as SQLite's index folds them (storage/search_tokenizer.py, migration 14).
        ((n, fold(d.title), fold(d.summary)) for n, d in enumerate(documents, 1)),
    )
    found = dict(connection.execute(_VECTORS).fetchall())
    literals = []
    for n, document in enumerate(documents, 1):
        parts = [found.get(n, "")] + [lexeme_literal(tag) for tag in document.tags]
        literals.append(" ".join(part for part in parts if part))
    return literals


def tokens(texts: Sequence[str]) -> list[list[str]]:
    """The index's tokens of each text, in order (what FTS5 makes of a query string)."""
    connection = _words_table()
    connection.executemany(
        "INSERT INTO words (rowid, title) VALUES (?, ?)",
        ((n, fold(term_text(text))) for n, text in enumerate(texts, 1)),
    )
    rows = connection.execute(
        "SELECT doc, term FROM words_vocab WHERE col = 'title' ORDER BY doc, offset"
    ).fetchall()
    found: list[list[str]] = [[] for _ in texts]
    for doc, term in rows:
        found[doc - 1].append(term[:MAX_LEXEME_CHARS])
    return found


def lexeme_literal(lexeme: str) -> str:
    """A quoted lexeme of the ``tsvector``/``tsquery`` input syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery(query: SearchQuery) -> str | None:
    """The ``tsquery`` literal for ``query``; None when nothing can match it.

    FTS5 reads a term without tokens (punctuation only) as a phrase that matches nothing: such
    a term leaves its group (a group left empty matches nothing, and so does the query), and
    excludes nothing.
    """
    return _render(query, _words(query), ordered=True)


def tsqueries(query: SearchQuery) -> tuple[str, str] | None:
    """``tsquery(query)`` and a looser query that each of its matches passes (None when
    nothing can match): each phrase's words in any order and place (``&``), and only the
    one-word exclusions (a phrase's words excluded apart would drop items holding them
    apart). GIN answers the looser one from the index alone; a phrase (``<->``) makes it
    check again every row it finds, making each row's indexed vector anew. The two are the
    same literal for a query without phrases."""
    words = _words(query)
    exact = _render(query, words, ordered=True)
    loose = _render(query, words, ordered=False)
    return None if exact is None or loose is None else (exact, loose)


def _words(query: SearchQuery) -> list[list[str]]:
    """The index's tokens of each term: every group's, then the exclusions'."""
    terms = [*(term for group in query.all_of for term in group.terms), *query.excluded]
    return tokens([term.text for term in terms])


def _render(query: SearchQuery, words: list[list[str]], *, ordered: bool) -> str | None:
    terms = [*(term for group in query.all_of for term in group.terms), *query.excluded]
    joiner = " <-> " if ordered else " & "
    phrases = iter([_phrase(t, found, joiner) for t, found in zip(terms, words, strict=True)])
    groups = []
    for group in query.all_of:
        kept = [phrase for phrase in (next(phrases) for _ in group.terms) if phrase]
        if not kept:
            return None
        groups.append(kept[0] if len(kept) == 1 else "(" + " | ".join(kept) + ")")
    expression = " & ".join(groups)
    left = words[len(terms) - len(query.excluded) :]
    excluded = [p for p, w in zip(phrases, left, strict=True) if p and (ordered or len(w) == 1)]
    if excluded:
        expression = f"({expression}) & !(" + " | ".join(excluded) + ")"
    return expression


def filter_query(tags: Sequence[str], any_tags: Sequence[str] = ()) -> str | None:
    """The ``tsquery`` literal that every one of ``tags`` and one of ``any_tags`` passes."""
    parts = [lexeme_literal(tag) for tag in tags]
    if any_tags:
        parts.append("(" + " | ".join(lexeme_literal(tag) for tag in any_tags) + ")")
    return " & ".join(parts) or None


def _phrase(term: SearchTerm, words: list[str], joiner: str = " <-> ") -> str:
    if not words:
        return ""
    quoted = [lexeme_literal(word) for word in words]
    if term.prefix:
        quoted[-1] += ":*"
    return quoted[0] if len(quoted) == 1 else "(" + joiner.join(quoted) + ")"

"""Full-text search over items on PostgreSQL: a GIN index on ``items.search``, ranked like
SQLite's.

The query and the filters are ``tsquery`` literals (``storage/postgres/search.py``), each
bound as one parameter; so are the scope and the date bounds. What SQLite's search does, this
does the same way (``SqliteItemRepository.search`` documents it): the newest ``SEARCH_WINDOW``
matches that pass the filters are ranked (``ts_rank`` with the title weighted three times the
text, in place of bm25) and reranked by recency; deeper pages widen the window; a collapsed
page groups the ranking's best rows per story before cutting the page.

GIN cannot walk its matches newest first, and reading every match of a common word costs what
the window saves. Item ids grow with insertion time, so a search looks among the newest ids
first and widens the range (``ID_SPAN_FACTOR``) while it holds fewer than ``window`` matches: a
range that holds a full window holds exactly the newest ``window`` matches, the ones SQLite
ranks. A very common word walks the primary key backwards (a few thousand rows); any other
query reads the GIN index within the range's id blocks: the index holds each item's vector
with a lexeme of its block of ids (``BLOCKED_SEARCH``, migration 11), so ``words & filters &
(newest blocks)`` is one GIN scan that reads only those blocks' matches, where intersecting
with an id range read every match of the words and filters first.

A date filter walks months instead: the newest matches of a year-old range sit half the table
below the newest ids, and a walk of the primary key reads every row above them. An index on
(month of ``published``, id) walks each month of the range newest id first; the months'
walks merge into one newest-first stream (``MergeAppend``), so the window is exact, as
SQLite's, and costs what the window's rows cost. A range of more than ``MAX_MONTH_TAGS``
months takes the id ranges.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import asyncpg

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import ItemPage, SearchQuery, SearchRequest, utc
from storage.postgres.item_rows import ITEM_COLUMNS
from storage.postgres.items_page import page, scope
from storage.postgres.pool import Pool, read, read_one, transaction
from storage.postgres.search import (
    BLOCK_BITS,
    BLOCKED_SEARCH,
    RANK_WEIGHTS,
    block_tag,
    company_tag,
    feed_tag,
    filter_query,
    topic_tag,
    tsqueries,
)

SEARCH_WINDOW = 1000
"""How many of the newest matches are ranked by relevance."""

MAX_SEARCH_WINDOW = 10_000
"""Deep paging widens the window up to this; nothing beyond it is reachable."""

MAX_PAGE = 1000
"""The largest page a search returns, whatever the request says."""

RECENCY_HALF_LIFE = timedelta(days=3)
"""An item this much older than the newest match needs twice the relevance to rank level."""

MAX_MONTH_TAGS = 24
"""A date range spanning more months than this is searched by id ranges, not month by month."""

ID_SPAN = 4096
"""A search first looks among at least the newest this many item ids, then ``ID_SPAN_FACTOR``
times as many and so on, while that range holds fewer matches than the window. Each range is
read again whole: a small factor reads at most twice the matches the window needs."""

ID_SPAN_FACTOR = 2

PROBE_ROWS = 2_000
"""A search first counts its matches among this many newest items: how many items it must
walk to fill its window, were matches as dense further back."""

WALK_ROWS = 5_000
"""A window expected within this many newest items is found by walking ids newest first (a
very common word); a rarer query reads the GIN index within the id blocks of a range, each
match a row read (a walk reads every row, but from consecutive pages)."""

MONTH_WALK_ROWS = 60_000
"""A date-filtered query whose window is expected within this many items (were its months the
newest) walks its months checking each row's stored vector (the planner, given the indexed
vector, checks that, which costs a copy of each row's vector)."""

PREFIX_WALK_ROWS = 60_000
"""``WALK_ROWS`` for a query with a prefix: GIN reads every match of every word a prefix
starts, whatever the blocks, so a walk pays off for rarer queries."""

SPAN_MARGIN = 1.5
"""The first id range holds this many times the items the probe expects the window in."""

MAX_RANGE_BLOCKS = 256
"""A range of more id blocks than this is read from the index by its id bound alone: a query
naming every block would cost more to read than it saves."""

COLLAPSE_READ_FACTOR = 4
"""A collapsed page is grouped from this many times ``offset + limit + 1`` ranked rows at
first, and this many times more while stories repeat so much that the page is not full."""

_WEIGHTS = "'{" + ",".join(f"{w:.6f}" for w in RANK_WEIGHTS) + "}'::float4[]"


class _Plan(Enum):
    """How a search statement reads items: the planner's choice, or one forced by the
    probe's count (the settings turned off for the statement)."""

    PLANNER = ()
    WALK = ("enable_bitmapscan", "enable_seqscan")  # ids newest first, every row checked
    MONTHS = ("enable_seqscan", "enable_bitmapscan")  # the same, month by month
    INDEX = ("enable_indexscan", "enable_seqscan")  # GIN matches within the id range


class ItemSearch:
    """Search over stored items (the ``search`` of ``PostgresItemRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def search(
        self, request: SearchRequest, query: SearchQuery, *, topic: str | None = None
    ) -> ItemPage:
        """Items matching ``query``, with the request's filters, scope and page."""
        topic = topic if topic is not None else request.topic
        limit = _clamp(request.limit, 0, MAX_PAGE)
        offset = _clamp(request.offset, 0, MAX_SEARCH_WINDOW)
        window = _clamp(offset + limit + 1, SEARCH_WINDOW, MAX_SEARCH_WINDOW)
        rendered = tsqueries(query)
        if rendered is None:
            return ItemPage(items=())
        words, loose = rendered
        tags: list[str] = []
        if request.feed_id is not None:
            tags.append(feed_tag(request.feed_id))
        if request.company is not None:
            tags.append(company_tag(request.company))
        if topic is not None:
            tags.append(topic_tag(topic))
        parameters: list[Any] = [words]
        clauses: list[str] = []
        months: list[datetime] | None = None
        if request.since is not None or request.until is not None:
            months = await self._months(request.since, request.until)
            if months == []:
                return ItemPage(items=())
            # In a month's walk, a bound on ``published`` hides from the planner how much of
            # the month it keeps: it multiplies both fractions of the table as if unrelated,
            # finds a few hundred rows where a month keeps thousands and reads every match of a
            # common word from the GIN index. Wrapped, a bound counts as half the month.
            bound = "coalesce({}, FALSE)" if months else "{}"
            if request.since is not None:
                parameters.append(utc(request.since))
                clauses.append(bound.format(f"i.published >= ${len(parameters)}"))
            if request.until is not None:
                parameters.append(utc(request.until))
                clauses.append(bound.format(f"i.published < ${len(parameters)}"))
        # Words and filters are one condition on the vector (``_apart`` splits it for a read
        # of the index).
        matched = "$1::tsquery"
        filters = filter_query(tags)
        if filters is not None:
            parameters.append(filters)
            matched += f" && ${len(parameters)}::tsquery"
        whole = f"{BLOCKED_SEARCH} @@ ({matched})"
        clauses.insert(0, whole)
        visible, parameters = scope(request.guild_id, request.all_guilds, parameters)
        if not months:
            # Wrapped, the feeds' subquery is hashed once: joined, its estimate made a read of
            # the index repeat a lookup of the feeds for each match (a third of the time). A
            # month's walk is left to the planner's estimates, which the wrapper would change.
            visible = [f"({clause}) IS TRUE" for clause in visible]
        clauses += visible
        if months:
            parameters.append([month.replace(tzinfo=None) for month in months])
            walked = _month_walk(clauses, len(parameters), len(months), f"${len(parameters) + 1}")
        else:
            walked = f"""
                SELECT i.id AS id, i.published AS published, i.story_id AS story_id,
                       i.search AS search
                FROM items AS i
                WHERE {" AND ".join(clauses)} {{bound}}
                ORDER BY i.id DESC
                LIMIT ${len(parameters) + 1}
            """
        n = len(parameters)
        prefix = any(term.prefix for group in query.all_of for term in group.terms)
        walk_rows = PREFIX_WALK_ROWS if prefix else WALK_ROWS
        floors: Iterator[int | None]
        if months:
            # How common the words are, dates aside (the newest items may lie outside them): a
            # common query walks its months checking stored vectors; a rarer one leaves each
            # month to the planner, which may read the index within it.
            undated = [f"({c} OR TRUE)" if "i.published" in c else c for c in clauses]
            # (The months' parameter, last, is the walk's only.)
            top, _, plan = await self._ranges(undated, parameters[:-1], window, MONTH_WALK_ROWS)
            floors = iter([None])  # a month walk is exact as it is
            plan = _Plan.MONTHS if plan is _Plan.WALK else _Plan.PLANNER
        else:
            top, floors, plan = await self._ranges(clauses, parameters, window, walk_rows)
        if top is None:
            return ItemPage(items=())
        hits = f"""
            hits AS MATERIALIZED ({walked}),
            -- Materialized: inlined, the planner computes the max again for every hit.
            newest AS MATERIALIZED (SELECT max(published) AS published FROM hits),
            ranked AS (
                SELECT hits.id AS id, hits.published AS published, hits.story_id AS story_id,
                       ts_rank({_WEIGHTS}, hits.search, $1::tsquery)
                       / (1.0 + extract(epoch FROM newest.published - hits.published)::float8
                                / {RECENCY_HALF_LIFE.total_seconds():.1f}) AS score
                FROM hits, newest
            ),
            total AS (SELECT count(*) AS hit_count FROM hits)
        """
        if not request.collapse:
            # ``depth`` (unused here) keeps both statements' parameters alike.
            sql = f"""
                WITH {hits},
                page AS (
                    SELECT id, published, score FROM ranked
                    ORDER BY score DESC, published DESC, id DESC
                    LIMIT ${n + 3} OFFSET ${n + 4}
                )
                SELECT total.hit_count AS hit_count, ${n + 2}::int AS depth, {ITEM_COLUMNS}
                FROM total LEFT JOIN (page JOIN items AS i ON i.id = page.id) ON TRUE
                ORDER BY page.score DESC, page.published DESC, page.id DESC
            """
        else:
            # One row per story (an item of no story is a story of its own), grouped from the
            # ranking's ``depth`` best rows only, as SQLite does; DISTINCT ON keeps each
            # story's best row. ``total`` tells how many rows the window holds even when the
            # page is empty.
            sql = f"""
                WITH {hits},
                top AS (
                    SELECT id, published, story_id, score FROM ranked
                    ORDER BY score DESC, published DESC, id DESC
                    LIMIT ${n + 2}
                ),
                best AS (
                    SELECT DISTINCT ON (coalesce(story_id, -id)) id, published, score FROM top
                    ORDER BY coalesce(story_id, -id), score DESC, published DESC, id DESC
                ),
                page AS (
                    SELECT id, published, score FROM best
                    ORDER BY score DESC, published DESC, id DESC
                    LIMIT ${n + 3} OFFSET ${n + 4}
                )
                SELECT total.hit_count AS hit_count, {ITEM_COLUMNS}
                FROM total LEFT JOIN (page JOIN items AS i ON i.id = page.id) ON TRUE
                ORDER BY page.score DESC, page.published DESC, page.id DESC
            """
        floor = next(floors)
        depth = (offset + limit + 1) * COLLAPSE_READ_FACTOR
        while True:
            statement = _bounded(sql, floor, top, plan)
            extra: list[Any] = [window, depth, limit + 1, offset]
            if plan is _Plan.INDEX and loose != words:
                statement = _apart(statement, whole, f"${n + 5}::tsquery")
                extra.append(loose)
            found = await self._rows(statement, [*parameters, *extra], plan)
            hit_count = found[0]["hit_count"] if found else 0
            rows = [row for row in found if row["id"] is not None]
            if floor is not None and hit_count < window:
                # The range held fewer matches than the window: the newest ``window`` matches
                # reach further back. When it holds a full window, they are exactly those.
                # They are sparser than the probe said: the index finds them.
                floor, plan = next(floors), _Plan.INDEX
                continue
            if not request.collapse or len(rows) > limit:
                break
            if depth < hit_count:
                depth *= COLLAPSE_READ_FACTOR  # stories repeat so much that more rows are needed
            elif hit_count >= window and window < MAX_SEARCH_WINDOW:
                window = min(window * 2, MAX_SEARCH_WINDOW)  # the window itself was too small
            else:
                break
        return await page(self._pool, rows, limit, collapse=request.collapse)

    async def _ranges(
        self, clauses: list[str], parameters: list[Any], window: int, walk_rows: int
    ) -> tuple[int | None, Iterator[int | None], _Plan]:
        """The highest item id (None: no items), the id ranges to search and how to search
        the first, from a count of the matches among the newest ``PROBE_ROWS`` items.

        The planner guesses how many items match from statistics that take words and filters
        as unrelated and a phrase as its words: '"de minimis"' (words that always come
        together) looked rare and read 72,000 GIN matches where a walk of 14,000 rows finds
        the window; a topic with a word looked common and walked 97,000 rows. The probe
        counts instead: a window expected within ``walk_rows`` items is walked, a rarer one
        read from the index over a range that should hold it."""
        # One statement, no settings: the newest rows come from the primary key, and the
        # conditions, wrapped in IS TRUE, cannot make the planner read another index.
        where = " AND ".join(clauses)
        rows = await self._rows(
            f"""
            SELECT max(i.id) AS top, count(*) AS probed,
                   count(*) FILTER (WHERE ({where}) IS TRUE) AS matches
            FROM (SELECT * FROM items ORDER BY id DESC LIMIT {PROBE_ROWS}) AS i
            """,
            parameters,
            None,
        )
        row = rows[0] if rows else None
        if row is None or row["top"] is None:
            return None, iter([None]), _Plan.PLANNER
        top, probed, matches = int(row["top"]), int(row["probed"]), int(row["matches"])
        expected = window * probed / matches if matches else float(top)
        plan = _Plan.WALK if expected <= walk_rows else _Plan.INDEX
        return top, _floors(top, max(ID_SPAN, int(expected * SPAN_MARGIN))), plan

    async def _rows(
        self, sql: str, parameters: list[Any], plan: _Plan | None = _Plan.PLANNER
    ) -> list[asyncpg.Record]:
        """The rows of one statement; with a ``plan``, in a transaction of its own planned
        for its parameters, with the plan's settings off (None: the statement as it is).

        A statement that checks rows one by one (the probe, a walk) checks their stored
        vectors: the block lexeme matters only to the index, and each row's would be made."""
        if plan in (None, _Plan.WALK, _Plan.MONTHS):
            sql = sql.replace(BLOCKED_SEARCH, "i.search")
        try:
            if plan is None:
                return await read(self._pool, sql, *parameters)
            async with transaction(self._pool) as connection:
                # Planned for this query's own words and dates every time: after five runs of
                # a prepared statement the server may keep one generic plan, made for any
                # tsquery, which walked the whole table for a rare word (20 ms became 400 ms).
                # (JIT is off for every connection of the pool: see connect.py.)
                settings = ["plan_cache_mode = force_custom_plan"]
                settings += [f"{setting} = off" for setting in plan.value]
                await connection.execute("; ".join(f"SET LOCAL {s}" for s in settings))
                return await connection.fetch(sql, *parameters)
        except (asyncpg.PostgresSyntaxError, asyncpg.ProgramLimitExceededError) as exc:
            # A rendered SearchQuery never causes these (every lexeme is quoted and cut to
            # size); kept so that a renderer bug is a user's one-line error, not a traceback.
            raise InvalidQuery("That search could not be understood; try plain words.") from exc

    async def _months(
        self, since: datetime | None, until: datetime | None
    ) -> list[datetime] | None:
        """The first instants (UTC) of the months covering ``[since, until)`` within the
        stored dates, newest first.

        ``[]`` when no stored item can be in the range; None when the range spans more than
        ``MAX_MONTH_TAGS`` months (then id ranges are searched, with the SQL bounds).
        """
        row = await read_one(self._pool, "SELECT min(published), max(published) FROM items")
        if row is None or row[0] is None:
            return []
        low: datetime = row[0]
        high: datetime = row[1]
        if since is not None:
            low = max(low, utc(since))
        if until is not None:
            end = utc(until)
            if end <= low:
                return []
            high = min(high, end - timedelta(microseconds=1))  # end > low: no overflow
        if low > high:
            return []
        first, last = low.astimezone(UTC), high.astimezone(UTC)
        year, month = first.year, first.month
        months: list[datetime] = []
        while (year, month) <= (last.year, last.month):
            if len(months) == MAX_MONTH_TAGS:
                return None
            months.append(datetime(year, month, 1, tzinfo=UTC))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months[::-1]


MONTH_OF_ITEM = "date_trunc('month', i.published AT TIME ZONE 'UTC')"
"""The month an item was published in, as the ``items_month`` index has it (migration 7)."""


def _month_walk(clauses: list[str], months: int, count: int, window: str) -> str:
    """SQL for the newest ``window`` rows passing ``clauses``, merged from one newest-first
    walk per month of the ``timestamp[]`` parameter ``$months`` (``count`` months).

    Each walk has its own LIMIT so that the planner walks the ``items_month`` index
    backwards (or, for a rare word, intersects the GIN bitmap with the month) and the merge
    stops reading once the window is full."""
    where = " AND ".join(clauses)
    walks = " UNION ALL ".join(
        f"""(SELECT i.id AS id, i.published AS published, i.story_id AS story_id,
                    i.search AS search
             FROM items AS i
             WHERE {MONTH_OF_ITEM} = (${months}::timestamp[])[{n}] AND {where}
             ORDER BY i.id DESC LIMIT {window})"""
        for n in range(1, count + 1)
    )
    return f"SELECT * FROM ({walks}) AS walked ORDER BY id DESC LIMIT {window}"


def _floors(top: int, span: int) -> Iterator[int | None]:
    """The id ranges a search widens through: above ``top`` minus ``span``, minus
    ``ID_SPAN_FACTOR`` times that, ..., then every id (None); each floor lowered to just
    below its id block, so that a range is whole blocks."""
    while span < top:
        block = (top - span + 1) >> BLOCK_BITS
        if block == 0:
            break
        yield (block << BLOCK_BITS) - 1
        span *= ID_SPAN_FACTOR
    yield None


def _bounded(sql: str, floor: int | None, top: int, plan: _Plan) -> str:
    """``sql`` keeping the ids above ``floor`` (our own integers, written in: the planner sees
    the range). Read from the index, the range is its id blocks' lexemes instead, so that the
    index reads only their matches."""
    bound = "" if floor is None else f"AND i.id > {int(floor)}"
    blocks = range(0 if floor is None else (floor + 1) >> BLOCK_BITS, (top >> BLOCK_BITS) + 1)
    if floor is None or plan is _Plan.WALK or len(blocks) > MAX_RANGE_BLOCKS:
        return sql.replace("{bound}", bound)
    # The blocks alone (the floor is a block's start): with the bound too, the planner ANDs
    # the block range index's bitmap, lossy, and every row of the range is checked again. A
    # condition of their own: joined to the words, GIN checked the whole query for every item
    # of every block (`shein ipo`: 94 ms where two conditions take 2 ms).
    newest = " | ".join(f"''{block_tag(block)}''" for block in blocks)
    return sql.replace("{bound}", f"AND {BLOCKED_SEARCH} @@ '{newest}'::tsquery")


def _apart(sql: str, whole: str, loose: str) -> str:
    """``sql`` whose condition ``whole`` on the indexed vector is read from the index as the
    ``loose`` query (a phrase's words in any order; ``tsqueries``) and the phrase checked on
    each row's stored vector. In the index's condition, GIN would check the whole condition
    again on every row it found, making the row's indexed vector (its words and id block)
    each time: twice the server's time for a phrase. Only for a forced read of the index:
    elsewhere the extra condition lowers the planner's estimates, and a month's walk then
    joined the feeds row by row (12 ms became 84 ms)."""
    split = whole.replace("$1::tsquery", loose, 1) + " AND i.search @@ $1::tsquery"
    return sql.replace(whole, split)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))

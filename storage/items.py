"""SQLite implementation of the ItemRepository port: items, company tags and FTS5 search."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import aiosqlite

from bot.news.errors import InvalidQuery
from bot.news.models import (
    Company,
    FeedPollResult,
    FtsQuery,
    Item,
    ItemPage,
    LatestRequest,
    SearchRequest,
    TaggedDraft,
)
from storage._sql import (
    Connections,
    from_db_time,
    from_json_list,
    to_db_time,
    to_db_time_or_none,
    to_json_list,
)

log = logging.getLogger(__name__)

SEARCH_WINDOW = 1000
"""How many of the newest matches are ranked by relevance (see ``SqliteItemRepository.search``)."""

MAX_SEARCH_WINDOW = 10_000
"""Deep paging widens the window up to this; nothing beyond it is reachable."""

MAX_PAGE = 1000
"""The largest page either query returns, whatever the request says."""

TITLE_WEIGHT = 3.0
SUMMARY_WEIGHT = 1.0
"""bm25 column weights: a word in the headline says more about the item than one in the text."""

RECENCY_HALF_LIFE = timedelta(days=3)
"""An item this much older than the newest match needs twice the relevance to rank level."""

_ITEM_COLUMNS = """
    i.id, i.feed_id, i.key, i.title, i.link, i.source, i.author, i.published, i.first_seen,
    i.updated_at, i.summary, i.image_url, i.categories, i.content_hash, i.backlog
"""

_UPDATE_FEED = """
UPDATE feeds SET
    status = :status,
    last_polled = :polled_at,
    last_success = CASE WHEN :status IN ('ok', 'not_modified') THEN :polled_at
                        ELSE last_success END,
    last_error = :error,
    error_count = :error_count,
    next_due = :next_due,
    etag = coalesce(:etag, etag),
    last_modified = coalesce(:last_modified, last_modified),
    enabled = CASE WHEN :disable_reason IS NULL THEN enabled ELSE 0 END,
    disabled_reason = coalesce(:disable_reason, disabled_reason)
WHERE id = :feed_id
RETURNING name
"""

# A feed keeps its URL when another feed of the same scope already has the new one: the unique
# index would otherwise fail the whole poll over a redirect.
_MOVE_FEED = """
UPDATE feeds SET url = :url
WHERE id = :feed_id AND NOT EXISTS (
    SELECT 1 FROM feeds AS other
    WHERE coalesce(other.guild_id, 0) = coalesce(feeds.guild_id, 0) AND other.url = :url
)
"""

_CONTENT_COLUMNS = (
    "title, link, source, author, published, summary, image_url, categories, content_hash"
)

# An item decided "new" from a stale snapshot may already exist: it is then updated like a
# changed item (first_seen and backlog kept) rather than failing the transaction.
_INSERT_ITEM = f"""
INSERT INTO items (feed_id, key, {_CONTENT_COLUMNS}, first_seen, updated_at, backlog)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (feed_id, key) DO UPDATE SET
    {", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _CONTENT_COLUMNS.split(","))},
    updated_at = excluded.updated_at
WHERE items.content_hash IS NOT excluded.content_hash
"""

_UPDATE_ITEM = """
UPDATE items SET
    title = ?, link = ?, source = ?, author = ?, published = coalesce(?, published),
    summary = ?, image_url = ?, categories = ?, content_hash = ?, updated_at = ?
WHERE feed_id = ? AND key = ?
"""

_CLEAR_COMPANIES = """
DELETE FROM item_companies WHERE item_id IN (
    SELECT id FROM items WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))
)
"""

_INSERT_COMPANIES = """
INSERT OR IGNORE INTO item_companies (item_id, company_id, position)
SELECT i.id, company.value, company.key
FROM items AS i, json_each(?) AS company
WHERE i.feed_id = ? AND i.key = ?
"""


class SqliteItemRepository:
    """Stored items, their company tags and full-text search (implements ``ItemRepository``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def register_companies(self, companies: Iterable[Company]) -> None:
        """Store (or rename) companies so that items show their display names.

        Ids that items are tagged with before this is called are shown by their id.
        """
        rows = [(c.id, c.name) for c in companies]
        if not rows:
            return
        async with self._db.transaction() as db:
            await db.executemany(
                "INSERT INTO companies (id, name) VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                rows,
            )

    async def known_hashes(self, feed_id: int, keys: Sequence[str]) -> Mapping[str, str]:
        """Content hash per key for those of ``keys`` already stored for the feed (one query)."""
        if not keys:
            return {}
        rows = await self._db.read(
            "SELECT key, content_hash FROM items"
            " WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))",
            (feed_id, to_json_list(keys)),
        )
        return {row[0]: row[1] for row in rows}

    async def apply(self, result: FeedPollResult) -> None:
        """Store one feed's poll in one transaction: new and changed items, then feed state.

        New items get ``first_seen = updated_at = polled_at`` and the backlog flag; changed
        items keep ``first_seen`` and ``backlog`` and have their company tags replaced. A
        ``published`` date in the future is clamped to ``polled_at`` so a wrong feed clock
        cannot pin an item to the top of every list. A feed removed while it was being polled
        is ignored.
        """
        polled_at = to_db_time(result.polled_at)
        async with self._db.transaction() as db:
            cursor = await db.execute(
                _UPDATE_FEED,
                {
                    "status": result.status.value,
                    "polled_at": polled_at,
                    "error": result.error,
                    "error_count": result.error_count,
                    "next_due": to_db_time(result.next_due),
                    "etag": result.etag,
                    "last_modified": result.last_modified,
                    "disable_reason": result.disable_reason,
                    "feed_id": result.feed_id,
                },
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                log.info("apply skipped: feed_id=%s no longer exists", result.feed_id)
                return
            feed_name: str = row[0]
            if result.new_url:
                await db.execute(_MOVE_FEED, {"url": result.new_url, "feed_id": result.feed_id})
            await self._store_items(db, result, feed_name, polled_at)

    async def _store_items(
        self, db: aiosqlite.Connection, result: FeedPollResult, feed_name: str, polled_at: int
    ) -> None:
        touched = (*result.new_items, *result.changed_items)
        if not touched:
            return
        company_ids = sorted({c for tagged in touched for c in tagged.companies})
        if company_ids:
            await db.executemany(
                "INSERT OR IGNORE INTO companies (id, name) VALUES (?, ?)",
                [(c, c) for c in company_ids],
            )
        feed_id = result.feed_id
        if new := result.new_items:
            backlog = int(result.mark_backlog)
            # Oldest first, so that ids (which search uses as a recency order) follow the dates;
            # reversed first because feeds list their newest entry at the top.
            dated = sorted(
                ((_published_or(t, result.polled_at, polled_at), t) for t in reversed(new)),
                key=lambda pair: pair[0],
            )
            await db.executemany(
                _INSERT_ITEM,
                [
                    (
                        feed_id,
                        t.draft.key,
                        *_content(t, feed_name, p),
                        polled_at,
                        polled_at,
                        backlog,
                    )
                    for p, t in dated
                ],
            )
        if result.changed_items:
            await db.executemany(
                _UPDATE_ITEM,
                [
                    (
                        *_content(t, feed_name, _published(t, result.polled_at)),
                        polled_at,
                        feed_id,
                        t.draft.key,
                    )
                    for t in result.changed_items
                ],
            )
        # Replaced wholesale: cheaper than diffing and a no-op for brand-new items.
        await db.execute(_CLEAR_COMPANIES, (feed_id, to_json_list(t.draft.key for t in touched)))
        await db.executemany(
            _INSERT_COMPANIES,
            [(to_json_list(t.companies), feed_id, t.draft.key) for t in touched if t.companies],
        )

    async def latest(self, request: LatestRequest) -> ItemPage:
        """The newest items by ``published``, with the request's company/feed/scope filters.

        Items of disabled feeds stay visible: disabling stops polling, not reading.
        """
        limit = _clamp(request.limit, 0, MAX_PAGE)
        joins, where, parameters = _filters(
            company=request.company,
            feed_id=request.feed_id,
            since=None,
            until=None,
            guild_id=request.guild_id,
            all_guilds=request.all_guilds,
        )
        rows = await self._db.read(
            f"""
            SELECT {_ITEM_COLUMNS} FROM items AS i {joins}
            WHERE {where}
            ORDER BY i.published DESC, i.id DESC
            LIMIT ?
            """,
            (*parameters, limit + 1),
        )
        return await self._page(rows, limit)

    async def search(self, request: SearchRequest, query: FtsQuery) -> ItemPage:
        """Items matching ``query``, ranked by relevance and recency, with the request's filters.

        How the work is bounded: a common word matches a large share of a big archive (100k+
        rows of a million), and bm25 over all of them costs far more than the latency budget.
        FTS5 walks a term's doclist in rowid order and item ids grow with insertion time, so the
        query first takes the ``SEARCH_WINDOW`` newest matches that pass the filters
        (``ORDER BY rowid DESC LIMIT n``, no sort), computes bm25 only for those, and reranks
        them by ``relevance / (1 + age / RECENCY_HALF_LIFE)``, the age being measured from the
        newest match. The trade-off: for a query with more matches than the window, an old but
        very relevant item outside the newest ``SEARCH_WINDOW`` matches is not returned; for
        rarer queries (fewer matches than the window) the ranking is exact. ``since``/``until``
        (inclusive/exclusive, on ``published``) narrow the candidates before the window is
        taken, so an explicit date range still reaches old items.

        Pages (``offset``/``limit``) are slices of one ranking while ``offset + limit`` stays
        within the window; deeper pages widen it (up to ``MAX_SEARCH_WINDOW``), which may
        reorder items around the boundary.
        """
        limit = _clamp(request.limit, 0, MAX_PAGE)
        offset = _clamp(request.offset, 0, MAX_SEARCH_WINDOW)
        window = _clamp(offset + limit + 1, SEARCH_WINDOW, MAX_SEARCH_WINDOW)
        joins, where, parameters = _filters(
            company=request.company,
            feed_id=request.feed_id,
            since=request.since,
            until=request.until,
            guild_id=request.guild_id,
            all_guilds=request.all_guilds,
        )
        sql = f"""
            WITH hits AS MATERIALIZED (
                SELECT i.id AS id, i.published AS published,
                       -bm25(items_fts, {TITLE_WEIGHT}, {SUMMARY_WEIGHT}) AS relevance
                FROM items_fts JOIN items AS i ON i.id = items_fts.rowid {joins}
                WHERE items_fts MATCH ? AND {where}
                ORDER BY items_fts.rowid DESC
                LIMIT ?
            ),
            ranked AS (
                SELECT id, relevance
                    / (1.0 + (max(published) OVER () - published) / {_half_life_us():.1f})
                    AS score
                FROM hits
            )
            SELECT {_ITEM_COLUMNS}
            FROM ranked JOIN items AS i ON i.id = ranked.id
            ORDER BY ranked.score DESC, i.published DESC, i.id DESC
            LIMIT ? OFFSET ?
        """
        try:
            rows = await self._db.read(
                sql, (query.expression, *parameters, window, limit + 1, offset)
            )
        except sqlite3.OperationalError as exc:
            # build_fts_query never produces these; an FtsQuery made some other way might.
            if not _is_query_error(exc):
                raise
            raise InvalidQuery("That search could not be understood; try plain words.") from exc
        return await self._page(rows, limit)

    async def count(self) -> int:
        """How many items are stored (from the per-feed counters: no table scan)."""
        row = await self._db.read_one("SELECT coalesce(sum(item_count), 0) FROM feeds")
        assert row is not None
        return int(row[0])

    async def _page(self, rows: list[sqlite3.Row], limit: int) -> ItemPage:
        has_more = len(rows) > limit
        rows = rows[:limit]
        companies = await self._companies([row["id"] for row in rows])
        items = tuple(_item_from_row(row, companies.get(row["id"], ())) for row in rows)
        return ItemPage(items=items, has_more=has_more)

    async def _companies(self, item_ids: list[int]) -> dict[int, tuple[Company, ...]]:
        if not item_ids:
            return {}
        rows = await self._db.read(
            """
            SELECT ic.item_id, c.id, c.name
            FROM item_companies AS ic JOIN companies AS c ON c.id = ic.company_id
            WHERE ic.item_id IN (SELECT value FROM json_each(?))
            ORDER BY ic.item_id, ic.position
            """,
            (json.dumps(item_ids),),
        )
        found: dict[int, list[Company]] = {}
        for item_id, company_id, name in rows:
            found.setdefault(item_id, []).append(Company(id=company_id, name=name))
        return {item_id: tuple(companies) for item_id, companies in found.items()}


def _filters(
    *,
    company: str | None,
    feed_id: int | None,
    since: datetime | None,
    until: datetime | None,
    guild_id: int | None,
    all_guilds: bool,
) -> tuple[str, str, list[object]]:
    """JOIN clause, WHERE condition and parameters for the filters common to both queries."""
    joins = ""
    clauses: list[str] = []
    parameters: list[object] = []
    if not all_guilds:
        # Shared feeds are visible everywhere; a guild's own feeds only to that guild.
        joins = "JOIN feeds AS f ON f.id = i.feed_id"
        if guild_id is None:
            clauses.append("f.guild_id IS NULL")
        else:
            clauses.append("(f.guild_id IS NULL OR f.guild_id = ?)")
            parameters.append(guild_id)
    if feed_id is not None:
        clauses.append("i.feed_id = ?")
        parameters.append(feed_id)
    if company is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM item_companies AS ic"
            " WHERE ic.item_id = i.id AND ic.company_id = ?)"
        )
        parameters.append(company)
    if since is not None:
        clauses.append("i.published >= ?")
        parameters.append(to_db_time(since))
    if until is not None:
        clauses.append("i.published < ?")
        parameters.append(to_db_time(until))
    return joins, " AND ".join(clauses) or "1", parameters


def _published(tagged: TaggedDraft, polled_at: datetime) -> int | None:
    """The draft's date as stored: None when it has none, never later than the poll."""
    published = tagged.draft.published
    if published is None:
        return None
    return to_db_time_or_none(min(published, polled_at))


def _published_or(tagged: TaggedDraft, polled_at: datetime, default: int) -> int:
    published = _published(tagged, polled_at)
    return default if published is None else published


def _content(
    tagged: TaggedDraft, feed_name: str, published: int | None
) -> tuple[str, str | None, str, str | None, int | None, str, str | None, str, str]:
    """Values for ``_CONTENT_COLUMNS``, in that order."""
    draft = tagged.draft
    return (
        draft.title,
        draft.link,
        draft.publisher or feed_name,
        draft.author,
        published,
        draft.summary,
        draft.image_url,
        to_json_list(draft.categories),
        draft.content_hash,
    )


def _item_from_row(row: sqlite3.Row, companies: tuple[Company, ...]) -> Item:
    return Item(
        id=row["id"],
        feed_id=row["feed_id"],
        key=row["key"],
        title=row["title"],
        link=row["link"],
        source=row["source"],
        author=row["author"],
        published=from_db_time(row["published"]),
        first_seen=from_db_time(row["first_seen"]),
        updated_at=from_db_time(row["updated_at"]),
        summary=row["summary"],
        image_url=row["image_url"],
        categories=from_json_list(row["categories"]),
        companies=companies,
        content_hash=row["content_hash"],
        backlog=bool(row["backlog"]),
    )


def _half_life_us() -> float:
    return RECENCY_HALF_LIFE / timedelta(microseconds=1)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _is_query_error(exc: sqlite3.OperationalError) -> bool:
    message = str(exc)
    return message.startswith("fts5:") or any(
        marker in message
        for marker in ("syntax error", "unterminated string", "no such column", "unknown special")
    )

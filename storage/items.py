"""SQLite implementation of the ItemRepository port: items, company tags and FTS5 search."""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.news.model.errors import InvalidQuery
from bot.news.model.vocabulary import (
    Company,
    FeedPollResult,
    Item,
    ItemPage,
    LatestRequest,
    SearchQuery,
    SearchRequest,
    TaggedDraft,
)
from storage._sql import (
    SHARED_ITEMS,
    Connections,
    from_db_time,
    from_json_list,
    to_db_time,
    to_json_list,
)
from storage.fts import match_expression
from storage.grouped_writes import GroupedWrites
from storage.item_inserts import TAG_MARK_CODE, insert_statements
from storage.item_inserts import month_tag_sql as _month_tag_sql
from storage.leases import keep_leased_result

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

MAX_MONTH_TAGS = 24
"""A date range spanning more months than this is filtered in SQL only (it passes most rows)."""

COLLAPSE_READ_FACTOR = 4
"""A collapsed page is made from this many times its rows (of ``latest``, or of the search
ranking down to the page) at first, and again this many times more while stories repeat so
much that the page is not full."""


ITEM_COLUMNS = """
    i.id, i.feed_id, i.key, i.title, i.link, i.source, i.author, i.published, i.first_seen,
    i.updated_at, i.summary, i.image_url, i.categories, i.content_hash, i.backlog, i.story_id
"""
"""The columns of an ``items`` row aliased ``i``, as ``item_from_row`` reads them."""

_SET_FEED_STATE = """
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
    disabled_reason = coalesce(:disable_reason, disabled_reason),
    name = coalesce(:new_name, name)
WHERE id = :feed_id
"""

_UPDATE_FEED = _SET_FEED_STATE + "RETURNING name\n"
# The poll disabled the feed: a server's own feed owes the server a notice (posted by the
# process serving its shard, which may not be the one that polled).
_OWE_NOTICE = "UPDATE feeds SET notice_owed = 1 WHERE id = ? AND guild_id IS NOT NULL"

# A feed keeps its URL when another feed of the same scope already has the new one: the unique
# index would otherwise fail the whole poll over a redirect.
_MOVE_FEED = """
UPDATE feeds SET url = :url
WHERE id = :feed_id AND NOT EXISTS (
    SELECT 1 FROM feeds AS other
    WHERE coalesce(other.guild_id, 0) = coalesce(feeds.guild_id, 0) AND other.url = :url
)
"""

# The fingerprint of the document this poll parsed, so that the same bytes are not parsed again.
_REMEMBER_DOCUMENT = """
INSERT INTO feed_documents (feed_id, body_hash) VALUES (?, ?)
ON CONFLICT (feed_id) DO UPDATE SET body_hash = excluded.body_hash
"""

# An item's story text features as the parser worker read them: kept for the stories stage
# until the item is placed (placing stores the weighed features over them, see stories.py).
_STORY_TEXT = """
INSERT INTO story_features (item_id, data)
SELECT id, :data FROM items WHERE feed_id = :feed_id AND key = :key
ON CONFLICT (item_id) DO UPDATE SET data = excluded.data
WHERE (SELECT story_id FROM items WHERE id = excluded.item_id) IS NULL
"""

TAG_MARK = chr(TAG_MARK_CODE)
"""Starts every tag token. A private-use character: unicode61 keeps it inside the token, and
``parse_query`` drops it from user text (``storage/fts.py`` again from any term), so no search
a user types can match a tag; that is what lets the user's expression go unrestricted by a
column filter (``{title summary} : ...`` makes bm25 count phrase matches column by column,
about 40% slower at a million items).

Tag tokens go through the index's porter stemmer like words do; it can only drop a final "e"
of a hex id, which keeps every tag distinct (see migration 8)."""


# SET expressions see the old row, so coalesce(:published, published) keeps the stored date
# when the feed gave none, in both the column and its month tag.
_UPDATE_ITEM = f"""
UPDATE items SET
    title = :title, link = :link, source = :source, author = :author,
    published = coalesce(:published, published), summary = :summary, image_url = :image_url,
    categories = :categories, content_hash = :content_hash, updated_at = :polled_at,
    tags = :tags || ' ' || {_month_tag_sql("coalesce(:published, published)")}
WHERE feed_id = :feed_id AND key = :key
"""

# A post whose item the publisher corrected within this long of the post is edited to match.
EDIT_WINDOW = timedelta(hours=24)

# Planned in the poll's transaction, so an item's correction and the edit it owes are stored
# together. A message found deleted ('gone') is never edited (nor posted) again.
_OWE_EDITS = """
UPDATE outbox SET edit_state = 'pending', edit_after = NULL
WHERE state = 'sent' AND message_id IS NOT NULL AND sent_at >= :since
  AND (edit_state IS NULL OR edit_state IN ('pending', 'done'))
  AND item_id IN (SELECT id FROM items WHERE feed_id = :feed_id
                  AND key IN (SELECT value FROM json_each(:keys)))
"""

_CLEAR_COMPANIES = """
DELETE FROM item_companies WHERE item_id IN (
    SELECT id FROM items WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))
)
"""

# One statement for a whole poll's tags ({item key: [tag, ...]}, ``_tags_by_key``), not one per
# item: each statement costs its own preparation and savepoint, a tenth of a second of the
# writer's CPU over a cold poll of 10,000 items. CROSS JOIN keeps the tags the outer loop, each
# item found by its key (SQLite would otherwise scan every item's tags for each of the feed's
# items).
_INSERT_COMPANIES = """
INSERT OR IGNORE INTO item_companies (item_id, company_id, position, published)
SELECT i.id, company.value, company.key, i.published
FROM json_each(?) AS tagged CROSS JOIN items AS i CROSS JOIN json_each(tagged.value) AS company
WHERE i.feed_id = ? AND i.key = tagged.key
"""

_CLEAR_TOPICS = """
DELETE FROM item_topics WHERE item_id IN (
    SELECT id FROM items WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))
)
"""

_INSERT_TOPICS = """
INSERT OR IGNORE INTO item_topics (item_id, topic)
SELECT i.id, topic.value
FROM json_each(?) AS tagged CROSS JOIN items AS i CROSS JOIN json_each(tagged.value) AS topic
WHERE i.feed_id = ? AND i.key = tagged.key
"""

# The join skips a subscription removed since the poll planned it (the foreign key would fail
# the whole poll) and a key the feed does not have; ON CONFLICT makes a re-applied poll, or an
# item planned twice, find the row the (subscription, item) pair already has, whatever its state.
_QUEUE_POST = """
INSERT INTO outbox (subscription_id, item_id, state, attempts, created_at)
SELECT s.id, i.id, 'pending', 0, :created_at
FROM subscriptions AS s, items AS i
WHERE s.id = :subscription_id AND i.feed_id = :feed_id AND i.key = :key
ON CONFLICT (subscription_id, item_id) DO NOTHING
"""


def _tags_by_key(tags: Iterable[tuple[str, Sequence[str]]]) -> str | None:
    """A JSON object of each item key's tags (items without tags left out); None if empty."""
    tagged = {key: list(values) for key, values in tags if values}
    if not tagged:
        return None
    return json.dumps(tagged, ensure_ascii=False, separators=(",", ":"))


def _feed_state_only(result: FeedPollResult) -> bool:
    """Whether storing ``result`` changes nothing but its feed's row (``_SET_FEED_STATE``):
    not a poll that disables its feed, which owes its server a notice too."""
    return not (
        result.disable_reason is not None
        or result.new_items
        or result.changed_items
        or result.planned_posts
        or result.new_url
        or result.body_hash is not None
        or result.lease_owner is not None
    )


def _feed_state(result: FeedPollResult) -> dict[str, Any]:
    """The parameters of ``_SET_FEED_STATE`` for one poll's result."""
    return {
        "status": result.status.value,
        "polled_at": to_db_time(result.polled_at),
        "error": result.error,
        "error_count": result.error_count,
        "next_due": to_db_time(result.next_due),
        "etag": result.etag,
        "last_modified": result.last_modified,
        "disable_reason": result.disable_reason,
        "new_name": result.new_name,
        "feed_id": result.feed_id,
    }


def feed_tag(feed_id: int) -> str:
    """The search-index token that every item of a feed carries."""
    return f"{TAG_MARK}f{feed_id}"


# Cached: a poll writes one per tag of each item, from a few hundred ids (the company table's and
# the feeds' own; the topic list), about 0.1 s of the event loop in a cold poll of 10,000 items.
@functools.lru_cache(maxsize=4096)
def company_tag(company_id: str) -> str:
    """The search-index token of a company; hex keeps any id one unicode61 token."""
    return f"{TAG_MARK}c{company_id.encode().hex()}"


@functools.lru_cache(maxsize=1024)
def topic_tag(topic: str) -> str:
    """The search-index token of a topic id; hex keeps any id one unicode61 token."""
    return f"{TAG_MARK}t{topic.encode().hex()}"


def month_tag(when: datetime) -> str:
    """The search-index token of a month, as ``_month_tag_sql`` writes it."""
    return TAG_MARK + when.astimezone(UTC).strftime("m%Y%m")


class SqliteItemRepository:
    """Stored items, their company tags and full-text search (implements ``ItemRepository``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections
        self._writes = GroupedWrites(connections)

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

    async def recent_hashes(self, feed_id: int, limit: int) -> Mapping[str, str]:
        """Content hash per key of the feed's ``limit`` newest items (index
        ``items_feed_published``)."""
        rows = await self._db.read(
            "SELECT key, content_hash FROM items WHERE feed_id = ?"
            " ORDER BY published DESC, id DESC LIMIT ?",
            (feed_id, limit),
        )
        return {row[0]: row[1] for row in rows}

    async def apply(self, result: FeedPollResult) -> None:
        """Store one feed's poll in one transaction: feed state, new and changed items.

        New items get ``first_seen = updated_at = polled_at`` and the backlog flag; changed
        items keep ``first_seen``, ``backlog`` and their story, and have their company and
        topic tags replaced (``TaggedDraft.topics``). A
        ``published`` date in the future is clamped to ``polled_at`` so a wrong feed clock
        cannot pin an item to the top of every list. A feed removed while it was being polled
        is ignored.

        ``planned_posts`` are queued in the outbox (pending, ``created_at = polled_at``) in the
        same transaction, so an item is never stored without its posts nor a post queued
        without its item. A (subscription, item) pair that already has a row keeps it (a
        re-applied poll queues nothing twice); a subscription removed meanwhile or a key this
        feed does not have is skipped.
        """
        # Stored with the other polls waiting while a write is in flight (grouped_writes).
        await self._writes.write(functools.partial(_apply_now, result))

    async def latest(self, request: LatestRequest, *, topic: str | None = None) -> ItemPage:
        """The newest items by ``published``, with the request's company/feed/scope filters.

        ``topic`` (or ``request.topic``; the keyword wins), if given, keeps only items tagged
        with that topic id. Items of disabled feeds stay visible: disabling stops polling, not
        reading.

        ``request.collapse`` shows each story once, by its newest item that passes the
        filters, with the story's other sources counted (``ItemPage.extra_sources``). The
        walk in date order reads ``COLLAPSE_READ_FACTOR`` times the page and reads further
        only while the stories seen so far leave the page short.
        """
        topic = topic if topic is not None else request.topic
        limit = _clamp(request.limit, 0, MAX_PAGE)
        # CROSS JOIN fixes the loop order: walk one index in date order and stop after the
        # page, rather than let the planner start from the (small) feeds table and sort.
        joins, clauses, parameters = _scope(request.guild_id, request.all_guilds, "CROSS JOIN")
        if request.company is not None and request.feed_id is None:
            # The company's own index is in date order (item_companies.published).
            source = "item_companies AS ic CROSS JOIN items AS i ON i.id = ic.item_id"
            clauses.insert(0, "ic.company_id = ?")
            parameters.insert(0, request.company)
            order = "ic.published DESC, ic.item_id DESC"
        else:
            source = "items AS i"
            order = "i.published DESC, i.id DESC"
            if request.feed_id is not None:
                clauses.append("i.feed_id = ?")
                parameters.append(request.feed_id)
            if request.company is not None:
                clauses.append(
                    "EXISTS (SELECT 1 FROM item_companies AS ic"
                    " WHERE ic.item_id = i.id AND ic.company_id = ?)"
                )
                parameters.append(request.company)
        if topic is not None:
            # A probe of the primary key per row walked: every topic tags a fair share of the
            # news, so the page fills after a few times ``limit`` rows.
            clauses.append(
                "EXISTS (SELECT 1 FROM item_topics AS it WHERE it.item_id = i.id AND it.topic = ?)"
            )
            parameters.append(topic)
        sql = f"""
            SELECT {ITEM_COLUMNS} FROM {source} {joins}
            WHERE {" AND ".join(clauses) or "1"}
            ORDER BY {order}
            LIMIT ?
        """
        if not request.collapse:
            return await self._page(await self._db.read(sql, (*parameters, limit + 1)), limit)
        wanted = (limit + 1) * COLLAPSE_READ_FACTOR
        while True:
            rows = await self._db.read(sql, (*parameters, wanted))
            shown = _first_of_each_story(rows)
            if len(shown) > limit or len(rows) < wanted:
                return await self._page(shown, limit, collapse=True)
            wanted *= COLLAPSE_READ_FACTOR

    async def search(
        self, request: SearchRequest, query: SearchQuery, *, topic: str | None = None
    ) -> ItemPage:
        """Items matching ``query`` (rendered by ``storage/fts.py``), ranked by relevance and
        recency, with the request's filters.

        Bounded work: a common word matches a large share of a big archive (100k+ rows of a
        million) and bm25 plus a join for each of them costs far more than the latency
        budget. FTS5 walks a doclist in rowid order and item ids grow with insertion time, so
        the query takes only the ``SEARCH_WINDOW`` newest matches that pass the filters
        (``ORDER BY rowid DESC LIMIT n``, no sort), computes bm25 for those alone, and reranks
        them by ``relevance / (1 + age / RECENCY_HALF_LIFE)``, age measured from the newest
        match. The trade-off: when a query has more matches than the window, an old but very
        relevant item outside the newest ``SEARCH_WINDOW`` matches is not returned; for rarer
        queries the ranking is exact. (bm25 still counts each phrase's matches once per query,
        a doclist walk that FTS5 does in a few ms even for 300k matches.)

        Filters narrow the candidates before the window is taken, so they stay exact: feed,
        company, topic (``topic`` or ``request.topic``, a topic id) and month (for
        ``since``/``until``) are tokens of the hidden ``tags`` column (see ``TAG_MARK``),
        intersected with the user's terms inside FTS5, which skips through doclists instead of
        joining every match; the guild scope and the exact ``since``
        (inclusive) / ``until`` (exclusive) bounds on ``published`` are checked in SQL. A
        company or feed filter adds the cost of counting that tag's matches to bm25's.

        Pages (``offset``/``limit``) are slices of one ranking while ``offset + limit`` stays
        within the window; deeper pages widen it (up to ``MAX_SEARCH_WINDOW``), which may
        reorder items around the boundary. Raises InvalidQuery if SQLite refuses the expression
        (never the case for a rendered ``SearchQuery``; a defence in depth).

        ``request.collapse`` keeps, of each story's items in the window, the best-ranked one
        (grouped before the page is cut, from the ranking's first ``COLLAPSE_READ_FACTOR``
        times ``offset + limit + 1`` rows, deeper when those hold too few stories), so that
        ``offset`` counts stories and consecutive pages never repeat a story; items of no
        story are never collapsed. A page left short by collapsing while the window was full
        is read again with the window doubled (up to ``MAX_SEARCH_WINDOW``). Each shown item
        carries its story's other sources (``ItemPage.extra_sources``).
        """
        topic = topic if topic is not None else request.topic
        limit = _clamp(request.limit, 0, MAX_PAGE)
        offset = _clamp(request.offset, 0, MAX_SEARCH_WINDOW)
        window = _clamp(offset + limit + 1, SEARCH_WINDOW, MAX_SEARCH_WINDOW)
        tags: list[str] = []
        months: list[str] | None = None
        if request.feed_id is not None:
            tags.append(feed_tag(request.feed_id))
        if request.company is not None:
            tags.append(company_tag(request.company))
        if topic is not None:
            tags.append(topic_tag(topic))
        joins, clauses, parameters = _scope(request.guild_id, request.all_guilds)
        if request.since is not None or request.until is not None:
            months = await self._months(request.since, request.until)
            if months == []:
                return ItemPage(items=())
            if request.since is not None:
                clauses.append("i.published >= ?")
                parameters.append(to_db_time(request.since))
            if request.until is not None:
                clauses.append("i.published < ?")
                parameters.append(to_db_time(request.until))
        match = match_expression(query, all_tags=tags, any_tags=months or ())
        hits = f"""
            hits AS MATERIALIZED (
                SELECT i.id AS id, i.published AS published, i.story_id AS story_id,
                       -bm25(items_fts, {TITLE_WEIGHT}, {SUMMARY_WEIGHT}, 0.0) AS relevance
                FROM items_fts JOIN items AS i ON i.id = items_fts.rowid {joins}
                WHERE items_fts MATCH ? {"".join(f" AND {c}" for c in clauses)}
                ORDER BY items_fts.rowid DESC
                LIMIT ?
            ),
            newest AS (SELECT max(published) AS published FROM hits),
            ranked AS (
                SELECT hits.id AS id, hits.published AS published, hits.story_id AS story_id,
                       hits.relevance / (1.0 + (newest.published - hits.published)
                                               / {_half_life_us():.1f}) AS score
                FROM hits, newest
            )
        """
        if not request.collapse:
            sql = f"""
                WITH {hits},
                -- The page is cut before the wide item rows are read.
                page AS (
                    SELECT id, published, score FROM ranked
                    ORDER BY score DESC, published DESC, id DESC
                    LIMIT ? OFFSET ?
                )
                SELECT {ITEM_COLUMNS}
                FROM page JOIN items AS i ON i.id = page.id
                ORDER BY page.score DESC, page.published DESC, page.id DESC
            """
            rows = await self._search_rows(sql, (match, *parameters, window, limit + 1, offset))
            return await self._page(rows, limit)
        # One row per story (an item of no story is a story of its own), grouped from the
        # ranking's ``depth`` best rows only: a story's best row is ranked above its others, so
        # when those rows hold ``offset + limit + 1`` stories, they are the ranking's first
        # ones, exactly. With a single max() SQLite takes the other columns from the row that
        # has it (one of them on a tie). Grouping the whole window instead costs as much as
        # ranking it again. The one-row ``total`` tells how many rows the window holds even
        # when the page is empty.
        sql = f"""
            WITH {hits},
            top AS (
                SELECT id, published, story_id, score FROM ranked
                ORDER BY score DESC, published DESC, id DESC
                LIMIT ?
            ),
            best AS (
                SELECT id, published, max(score) AS score FROM top
                GROUP BY coalesce(story_id, -id)
            ),
            page AS (
                SELECT id, published, score FROM best
                ORDER BY score DESC, published DESC, id DESC
                LIMIT ? OFFSET ?
            ),
            total AS (SELECT count(*) AS hit_count FROM hits)
            SELECT total.hit_count AS hit_count, {ITEM_COLUMNS}
            FROM total LEFT JOIN page LEFT JOIN items AS i ON i.id = page.id
            ORDER BY page.score DESC, page.published DESC, page.id DESC
        """
        depth = (offset + limit + 1) * COLLAPSE_READ_FACTOR
        while True:
            rows = await self._search_rows(
                sql, (match, *parameters, window, depth, limit + 1, offset)
            )
            hit_count = rows[0]["hit_count"] if rows else 0
            rows = [row for row in rows if row["id"] is not None]
            if len(rows) > limit:
                break
            if depth < hit_count:
                depth *= COLLAPSE_READ_FACTOR  # stories repeat so much that more rows are needed
            elif hit_count >= window and window < MAX_SEARCH_WINDOW:
                window = min(window * 2, MAX_SEARCH_WINDOW)  # the window itself was too small
            else:
                break
        return await self._page(rows, limit, collapse=True)

    async def _search_rows(self, sql: str, parameters: Sequence[Any]) -> list[sqlite3.Row]:
        try:
            return await self._db.read(sql, parameters)
        except sqlite3.OperationalError as exc:
            # A rendered SearchQuery never causes these; kept so that a renderer bug is a
            # user's one-line error, not a traceback.
            if not _is_query_error(exc):
                raise
            raise InvalidQuery("That search could not be understood; try plain words.") from exc

    async def count(self) -> int:
        """How many items are stored (from the per-feed counters: no table scan)."""
        row = await self._db.read_one("SELECT coalesce(sum(item_count), 0) FROM feeds")
        assert row is not None
        return int(row[0])

    async def _months(self, since: datetime | None, until: datetime | None) -> list[str] | None:
        """Month tags covering ``[since, until)`` within the stored dates.

        ``[]`` when no stored item can be in the range; None when the range spans more than
        ``MAX_MONTH_TAGS`` months (then only the SQL bounds filter).
        """
        row = await self._db.read_one(
            "SELECT (SELECT min(published) FROM items), (SELECT max(published) FROM items)"
        )
        if row is None or row[0] is None:
            return []
        # In microseconds: "until minus one" would overflow a datetime at datetime.min.
        low, high = int(row[0]), int(row[1])
        if since is not None:
            low = max(low, to_db_time(since))
        if until is not None:
            high = min(high, to_db_time(until) - 1)
        if low > high:
            return []
        first, last = from_db_time(low), from_db_time(high)
        year, month = first.year, first.month
        months: list[str] = []
        while (year, month) <= (last.year, last.month):
            if len(months) == MAX_MONTH_TAGS:
                return None
            months.append(month_tag(datetime(year, month, 1, tzinfo=UTC)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    async def _page(
        self, rows: list[sqlite3.Row], limit: int, *, collapse: bool = False
    ) -> ItemPage:
        has_more = len(rows) > limit
        rows = rows[:limit]
        ids = [row["id"] for row in rows]
        companies = await item_companies(self._db, ids)
        topics = await item_topics(self._db, ids)
        items = tuple(
            item_from_row(row, companies.get(row["id"], ()), topics.get(row["id"], ()))
            for row in rows
        )
        if not collapse:
            return ItemPage(items=items, has_more=has_more)
        return ItemPage(
            items=items, has_more=has_more, extra_sources=await self._extra_sources(items)
        )

    async def _extra_sources(self, items: Sequence[Item]) -> tuple[int, ...]:
        """For each item, the distinct sources of its story's other shared items, bar its own.

        Counted over the whole story, not the page; one query for the page's stories.
        """
        story_ids = sorted({i.story_id for i in items if i.story_id is not None})
        if not story_ids:
            return (0,) * len(items)
        rows = await self._db.read(
            f"""
            SELECT DISTINCT i.story_id, i.source FROM items AS i
            WHERE i.story_id IN (SELECT value FROM json_each(?)) AND {SHARED_ITEMS}
            """,
            (json.dumps(story_ids),),
        )
        sources: dict[int, set[str]] = {}
        for story_id, source in rows:
            sources.setdefault(story_id, set()).add(source)
        return tuple(
            len(sources.get(i.story_id, set()) - {i.source}) if i.story_id is not None else 0
            for i in items
        )


async def item_companies(
    connections: Connections, item_ids: Sequence[int]
) -> dict[int, tuple[Company, ...]]:
    """The companies (with display names, in the tagger's order) of each of ``item_ids``.

    One query however many items: pages and outbox batches are read in two statements.
    """
    if not item_ids:
        return {}
    rows = await connections.read(
        """
        SELECT ic.item_id, c.id, c.name
        FROM item_companies AS ic JOIN companies AS c ON c.id = ic.company_id
        WHERE ic.item_id IN (SELECT value FROM json_each(?))
        ORDER BY ic.item_id, ic.position
        """,
        (json.dumps(list(item_ids)),),
    )
    found: dict[int, list[Company]] = {}
    for item_id, company_id, name in rows:
        found.setdefault(item_id, []).append(Company(id=company_id, name=name))
    return {item_id: tuple(companies) for item_id, companies in found.items()}


async def item_topics(
    connections: Connections, item_ids: Sequence[int]
) -> dict[int, tuple[str, ...]]:
    """The topic ids (sorted) of each of ``item_ids`` that has any, in one query."""
    if not item_ids:
        return {}
    rows = await connections.read(
        """
        SELECT item_id, topic FROM item_topics
        WHERE item_id IN (SELECT value FROM json_each(?))
        ORDER BY item_id, topic
        """,
        (json.dumps(list(item_ids)),),
    )
    found: dict[int, list[str]] = {}
    for item_id, topic in rows:
        found.setdefault(item_id, []).append(topic)
    return {item_id: tuple(topics) for item_id, topics in found.items()}


def _scope(
    guild_id: int | None, all_guilds: bool, join: str = "JOIN"
) -> tuple[str, list[str], list[Any]]:
    """JOIN, WHERE clauses and parameters for which feeds' items a request may see."""
    if all_guilds:
        return "", [], []
    # Shared feeds are visible everywhere; a guild's own feeds only to that guild.
    joins = f"{join} feeds AS f ON f.id = i.feed_id"
    if guild_id is None:
        return joins, ["f.guild_id IS NULL"], []
    return joins, ["(f.guild_id IS NULL OR f.guild_id = ?)"], [guild_id]


def _apply_now(result: FeedPollResult, db: sqlite3.Connection) -> None:
    """``SqliteItemRepository.apply``'s statements, on the writer's thread in its transaction
    (``Connections.write_at_once``): one hop there and back for the whole poll of a feed."""
    if _feed_state_only(result):  # not modified, or a failed fetch
        db.execute(_SET_FEED_STATE, _feed_state(result))
        return
    polled_at = to_db_time(result.polled_at)
    if result.lease_owner is not None:
        keep_leased_result(db, result.feed_id, result.lease_owner, result.polled_at)
    # fetchall: a statement left unfinished would keep COMMIT from running.
    rows = db.execute(_UPDATE_FEED, _feed_state(result)).fetchall()
    if not rows:
        log.info("apply skipped: feed_id=%s no longer exists", result.feed_id)
        return
    if result.disable_reason is not None:
        db.execute(_OWE_NOTICE, (result.feed_id,))
    if result.new_url:
        db.execute(_MOVE_FEED, {"url": result.new_url, "feed_id": result.feed_id})
    if result.body_hash is not None:
        db.execute(_REMEMBER_DOCUMENT, (result.feed_id, result.body_hash))
    _store_items(db, result, feed_name=rows[0][0])
    if result.planned_posts:
        db.executemany(
            _QUEUE_POST,
            [
                {
                    "subscription_id": post.subscription_id,
                    "feed_id": result.feed_id,
                    "key": post.item_key,
                    "created_at": polled_at,
                }
                for post in result.planned_posts
            ],
        )


def _store_items(db: sqlite3.Connection, result: FeedPollResult, feed_name: str) -> None:
    touched = (*result.new_items, *result.changed_items)
    if not touched:
        return
    company_ids = sorted({c for tagged in touched for c in tagged.companies})
    if company_ids:
        db.executemany(
            "INSERT OR IGNORE INTO companies (id, name) VALUES (?, ?)",
            [(c, c) for c in company_ids],
        )
    if result.new_items:
        shared = _PollColumns.of(result, feed_name)
        rows = [_item_parameters(t, shared) for t in reversed(result.new_items)]
        for row in rows:
            if row["published"] is None:
                row["published"] = row["polled_at"]
        # Oldest first, so that ids (which search uses as a recency order) follow the dates;
        # reversed first because feeds list their newest entry at the top (stable sort).
        rows.sort(key=lambda row: int(row["published"]))
        # A few multi-row statements, not one per item: see storage/item_inserts.py.
        for sql, parameters in insert_statements(rows):
            db.execute(sql, parameters)
    if result.changed_items:
        shared = _PollColumns.of(result, feed_name)
        db.executemany(_UPDATE_ITEM, [_item_parameters(t, shared) for t in result.changed_items])
        db.execute(
            _OWE_EDITS,
            {
                "feed_id": result.feed_id,
                "keys": to_json_list(t.draft.key for t in result.changed_items),
                "since": to_db_time(result.polled_at - EDIT_WINDOW),
            },
        )
    texts = [
        {"feed_id": result.feed_id, "key": t.draft.key, "data": t.story_text}
        for t in touched
        if t.story_text is not None
    ]
    if texts:
        db.executemany(_STORY_TEXT, texts)
    # Replaced wholesale: simpler than diffing, and a no-op probe for brand-new items.
    feed_id = result.feed_id
    keys = to_json_list(t.draft.key for t in touched)
    db.execute(_CLEAR_COMPANIES, (feed_id, keys))
    companies = _tags_by_key((t.draft.key, t.companies) for t in touched)
    if companies is not None:
        db.execute(_INSERT_COMPANIES, (companies, feed_id))
    db.execute(_CLEAR_TOPICS, (feed_id, keys))
    topics = _tags_by_key((t.draft.key, t.topics) for t in touched)
    if topics is not None:
        db.execute(_INSERT_TOPICS, (topics, feed_id))


@dataclass(frozen=True, slots=True)
class _PollColumns:
    """What every item row of one poll has in common, worked out once per poll, not per item."""

    feed_id: int
    feed_tag: str
    feed_name: str
    polled_at: int  # unix microseconds (``to_db_time``)
    backlog: int

    @classmethod
    def of(cls, result: FeedPollResult, feed_name: str) -> _PollColumns:
        return cls(
            feed_id=result.feed_id,
            feed_tag=feed_tag(result.feed_id),
            feed_name=feed_name,
            polled_at=to_db_time(result.polled_at),
            backlog=int(result.mark_backlog),
        )


def _item_parameters(tagged: TaggedDraft, shared: _PollColumns) -> dict[str, Any]:
    """Named parameters for ``item_inserts.insert_statements`` / ``_UPDATE_ITEM``.

    ``published`` is None when the feed gave no date; a future date is clamped to the poll.
    """
    draft = tagged.draft
    published = None
    if draft.published is not None:
        # Clamped as integers: ``to_db_time`` is exact and keeps the order of datetimes.
        published = min(to_db_time(draft.published), shared.polled_at)
    tags = " ".join(
        [
            shared.feed_tag,
            *map(company_tag, tagged.companies),
            *map(topic_tag, tagged.topics),
        ]
    )
    return {
        "feed_id": shared.feed_id,
        "key": draft.key,
        "title": draft.title,
        "link": draft.link,
        "source": draft.publisher or shared.feed_name,
        "author": draft.author,
        "published": published,
        "summary": draft.summary,
        "image_url": draft.image_url,
        "categories": to_json_list(draft.categories),
        "content_hash": draft.content_hash,
        "polled_at": shared.polled_at,
        "backlog": shared.backlog,
        "tags": tags,
    }


def item_from_row(
    row: sqlite3.Row, companies: tuple[Company, ...], topics: tuple[str, ...] = ()
) -> Item:
    """An ``items`` row (selected with ``ITEM_COLUMNS``), its companies and topics as an Item."""
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
        topics=topics,
        story_id=row["story_id"],
    )


def _first_of_each_story(rows: Sequence[sqlite3.Row]) -> list[sqlite3.Row]:
    """``rows`` without any item of a story that an earlier row already stands for."""
    seen: set[int] = set()
    kept = []
    for row in rows:
        story_id = row["story_id"]
        if story_id is not None:
            if story_id in seen:
                continue
            seen.add(story_id)
        kept.append(row)
    return kept


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

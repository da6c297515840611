"""PostgreSQL implementation of the ItemRepository port: items, their tags, a poll's result.

The same semantics as SQLite's ``storage/items.py`` (which documents them): one transaction
per poll, new items inserted oldest first so that ids follow publication order, a changed item
keeping its id, ``first_seen``, ``backlog`` and story, tags replaced wholesale, planned posts
queued with their items. Search (``search``) lives in ``storage/postgres/item_search.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.news.model.vocabulary import (
    Company,
    FeedPollResult,
    ItemPage,
    LatestRequest,
    SearchQuery,
    SearchRequest,
    TaggedDraft,
    utc,
)
from storage.items import EDIT_WINDOW
from storage.postgres.item_rows import ITEM_COLUMNS
from storage.postgres.item_search import ItemSearch
from storage.postgres.items_page import first_of_each_story, page, scope
from storage.postgres.leases import keep_leased_result
from storage.postgres.pool import Connection, Pool, read, read_value, transaction
from storage.postgres.search import (
    Document,
    company_tag,
    feed_tag,
    month_sql,
    topic_tag,
    vectors,
)

log = logging.getLogger(__name__)

MAX_PAGE = 1000
"""The largest page ``latest`` returns, whatever the request says."""

COLLAPSE_READ_FACTOR = 4
"""A collapsed page is read from this many times its rows at first, and again this many
times more while stories repeat so much that the page is not full."""

_UPDATE_FEED = """
UPDATE feeds SET
    status = $1,
    last_polled = $2,
    last_success = CASE WHEN $1 IN ('ok', 'not_modified') THEN $2 ELSE last_success END,
    last_error = $3,
    error_count = $4,
    next_due = $5,
    etag = coalesce($6, etag),
    last_modified = coalesce($7, last_modified),
    enabled = CASE WHEN $8::text IS NULL THEN enabled ELSE FALSE END,
    disabled_reason = coalesce($8, disabled_reason),
    name = coalesce($9, name)
WHERE id = $10
RETURNING name
"""

# The poll disabled the feed: a server's own feed owes the server a notice (as on SQLite).
_OWE_NOTICE = "UPDATE feeds SET notice_owed = TRUE WHERE id = $1 AND guild_id IS NOT NULL"

# A feed keeps its URL when another feed of the same scope already has the new one.
_MOVE_FEED = """
UPDATE feeds SET url = $1
WHERE id = $2 AND NOT EXISTS (
    SELECT 1 FROM feeds AS other
    WHERE coalesce(other.guild_id, 0) = coalesce(feeds.guild_id, 0) AND other.url = $1
)
"""

_REMEMBER_DOCUMENT = """
INSERT INTO feed_documents (feed_id, body_hash) VALUES ($1, $2)
ON CONFLICT (feed_id) DO UPDATE SET body_hash = excluded.body_hash
"""

# An item decided "new" from a stale snapshot may already exist: it is then updated like a
# changed item (first_seen and backlog kept). The month lexeme is made here, from the date
# the row ends up with.
_INSERT_ITEM = f"""
INSERT INTO items (
    feed_id, key, title, link, source, author, published, summary, image_url, categories,
    content_hash, first_seen, updated_at, backlog, search
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13,
    $14::tsvector || {month_sql("$7::timestamptz")}
)
ON CONFLICT (feed_id, key) DO UPDATE SET
    title = excluded.title, link = excluded.link, source = excluded.source,
    author = excluded.author, published = excluded.published, summary = excluded.summary,
    image_url = excluded.image_url, categories = excluded.categories,
    content_hash = excluded.content_hash, search = excluded.search,
    updated_at = excluded.updated_at
WHERE items.content_hash IS DISTINCT FROM excluded.content_hash
   OR items.search IS DISTINCT FROM excluded.search
"""

# SET expressions see the old row: coalesce($7, published) keeps the stored date when the
# feed gave none, in the column and in its month lexeme.
_UPDATE_ITEM = f"""
UPDATE items SET
    title = $3, link = $4, source = $5, author = $6,
    published = coalesce($7, published), summary = $8, image_url = $9,
    categories = $10, content_hash = $11, updated_at = $12,
    search = $13::tsvector || {month_sql("coalesce($7::timestamptz, published)")}
WHERE feed_id = $1 AND key = $2
"""

_STORY_TEXT = """
INSERT INTO story_features (item_id, data)
SELECT i.id, t.data FROM unnest($2::text[], $3::text[]) AS t (key, data)
JOIN items AS i ON i.feed_id = $1 AND i.key = t.key
ON CONFLICT (item_id) DO UPDATE SET data = excluded.data
WHERE (SELECT story_id FROM items WHERE id = excluded.item_id) IS NULL
"""

# Planned in the poll's transaction, as on SQLite (``storage.items._OWE_EDITS``, whose window
# this shares): a post whose item was corrected within a day of the post owes an edit, and a
# message found deleted ('gone') is never edited again.
_OWE_EDITS = """
UPDATE outbox SET edit_state = 'pending', edit_after = NULL
WHERE state = 'sent' AND message_id IS NOT NULL AND sent_at >= $3
  AND (edit_state IS NULL OR edit_state IN ('pending', 'done'))
  AND item_id IN (SELECT id FROM items WHERE feed_id = $1 AND key = ANY($2::text[]))
"""

_CLEAR_COMPANIES = """
DELETE FROM item_companies WHERE item_id IN (
    SELECT id FROM items WHERE feed_id = $1 AND key = ANY($2::text[])
)
"""

_INSERT_COMPANIES = """
INSERT INTO item_companies (item_id, company_id, position, published)
SELECT i.id, t.company, t.position, i.published
FROM unnest($2::text[], $3::text[], $4::int[]) AS t (key, company, position)
JOIN items AS i ON i.feed_id = $1 AND i.key = t.key
ON CONFLICT DO NOTHING
"""

_CLEAR_TOPICS = """
DELETE FROM item_topics WHERE item_id IN (
    SELECT id FROM items WHERE feed_id = $1 AND key = ANY($2::text[])
)
"""

_INSERT_TOPICS = """
INSERT INTO item_topics (item_id, topic)
SELECT i.id, t.topic FROM unnest($2::text[], $3::text[]) AS t (key, topic)
JOIN items AS i ON i.feed_id = $1 AND i.key = t.key
ON CONFLICT DO NOTHING
"""

# In the order planned (outbox ids follow it); a subscription removed since the poll planned
# it, or a key the feed does not have, is skipped; a pair that has a row keeps it.
_QUEUE_POSTS = """
INSERT INTO outbox (subscription_id, item_id, state, attempts, created_at)
SELECT s.id, i.id, 'pending', 0, $4
FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS p (subscription_id, key, n)
JOIN subscriptions AS s ON s.id = p.subscription_id
JOIN items AS i ON i.feed_id = $1 AND i.key = p.key
ORDER BY p.n
ON CONFLICT (subscription_id, item_id) DO NOTHING
"""


@dataclass(frozen=True, slots=True)
class _Row:
    """One item's values for ``_INSERT_ITEM`` / ``_UPDATE_ITEM``, in parameter order."""

    key: str
    title: str
    link: str | None
    source: str
    author: str | None
    published: datetime | None
    summary: str
    image_url: str | None
    categories: list[str]
    content_hash: str
    tags: tuple[str, ...]

    def values(self, feed_id: int, polled_at: datetime) -> tuple[Any, ...]:
        """``$1`` to ``$12`` of both statements."""
        return (
            feed_id,
            self.key,
            self.title,
            self.link,
            self.source,
            self.author,
            self.published,
            self.summary,
            self.image_url,
            self.categories,
            self.content_hash,
            polled_at,
        )


class PostgresItemRepository:
    """Stored items, their tags and full-text search (implements ``ItemRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._search = ItemSearch(pool)

    async def register_companies(self, companies: Iterable[Company]) -> None:
        """Store (or rename) companies so that items show their display names."""
        names = {c.id: c.name for c in companies}  # the last name given wins, as in SQLite
        if not names:
            return
        async with transaction(self._pool) as connection:
            await connection.execute(
                "INSERT INTO companies (id, name) SELECT * FROM unnest($1::text[], $2::text[])"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                list(names),
                list(names.values()),
            )

    async def known_hashes(self, feed_id: int, keys: Sequence[str]) -> Mapping[str, str]:
        """Content hash per key for those of ``keys`` already stored for the feed (one query)."""
        if not keys:
            return {}
        rows = await read(
            self._pool,
            "SELECT key, content_hash FROM items WHERE feed_id = $1 AND key = ANY($2::text[])",
            feed_id,
            list(keys),
        )
        return {row[0]: row[1] for row in rows}

    async def recent_hashes(self, feed_id: int, limit: int) -> Mapping[str, str]:
        """Content hash per key of the feed's ``limit`` newest items (by published)."""
        rows = await read(
            self._pool,
            "SELECT key, content_hash FROM items WHERE feed_id = $1"
            " ORDER BY published DESC, id DESC LIMIT $2",
            feed_id,
            limit,
        )
        return {row[0]: row[1] for row in rows}

    async def apply(self, result: FeedPollResult) -> None:
        """Store one feed's poll in one transaction (see ``SqliteItemRepository.apply``).

        The items' search vectors are read from their text before the transaction starts
        (SQLite's tokenizer, in a thread), so the transaction holds its locks only for the
        statements.
        """
        polled_at = utc(result.polled_at)
        new = _new_rows(result)
        changed = [_row(t, result, "") for t in result.changed_items]
        documents = [Document(r.title, r.summary, r.tags) for r in (*new, *changed)]
        # Most polls store no item (304, unchanged): no thread hop for them (benchmarks/scale.py).
        texts = await asyncio.to_thread(vectors, documents) if documents else []
        async with transaction(self._pool) as connection:
            if result.lease_owner is not None:
                await keep_leased_result(
                    connection, result.feed_id, result.lease_owner, result.polled_at
                )
            name = await connection.fetchval(
                _UPDATE_FEED,
                result.status.value,
                polled_at,
                result.error,
                result.error_count,
                utc(result.next_due),
                result.etag,
                result.last_modified,
                result.disable_reason,
                result.new_name,
                result.feed_id,
            )
            if name is None:
                log.info("apply skipped: feed_id=%s no longer exists", result.feed_id)
                return
            if result.disable_reason is not None:
                await connection.execute(_OWE_NOTICE, result.feed_id)
            if result.new_url:
                await connection.execute(_MOVE_FEED, result.new_url, result.feed_id)
            if result.body_hash is not None:
                await connection.execute(_REMEMBER_DOCUMENT, result.feed_id, result.body_hash)
            await self._store_items(connection, result, str(name), new, changed, texts)
            if result.planned_posts:
                await connection.execute(
                    _QUEUE_POSTS,
                    result.feed_id,
                    [post.subscription_id for post in result.planned_posts],
                    [post.item_key for post in result.planned_posts],
                    polled_at,
                )

    async def _store_items(
        self,
        connection: Connection,
        result: FeedPollResult,
        feed_name: str,
        new: list[_Row],
        changed: list[_Row],
        texts: list[str],
    ) -> None:
        touched = (*result.new_items, *result.changed_items)
        if not touched:
            return
        feed_id, polled_at, backlog = result.feed_id, utc(result.polled_at), result.mark_backlog
        company_ids = sorted({c for tagged in touched for c in tagged.companies})
        if company_ids:
            await connection.execute(
                "INSERT INTO companies (id, name) SELECT c, c FROM unnest($1::text[]) AS c"
                " ON CONFLICT (id) DO NOTHING",
                company_ids,
            )
        new_texts, changed_texts = texts[: len(new)], texts[len(new) :]
        if new:
            await connection.executemany(
                _INSERT_ITEM,
                [
                    (*_sourced(row, feed_name).values(feed_id, polled_at), backlog, text)
                    for row, text in zip(new, new_texts, strict=True)
                ],
            )
        if changed:
            await connection.executemany(
                _UPDATE_ITEM,
                [
                    (*_sourced(row, feed_name).values(feed_id, polled_at), text)
                    for row, text in zip(changed, changed_texts, strict=True)
                ],
            )
            await connection.execute(
                _OWE_EDITS, feed_id, [row.key for row in changed], polled_at - EDIT_WINDOW
            )
        story_texts = {t.draft.key: t.story_text for t in touched if t.story_text is not None}
        if story_texts:
            await connection.execute(
                _STORY_TEXT, feed_id, list(story_texts), list(story_texts.values())
            )
        # Replaced wholesale: simpler than diffing, and a no-op probe for brand-new items.
        keys = [t.draft.key for t in touched]
        await connection.execute(_CLEAR_COMPANIES, feed_id, keys)
        pairs = [(t.draft.key, c, n) for t in touched for n, c in enumerate(t.companies)]
        if pairs:
            await connection.execute(
                _INSERT_COMPANIES,
                feed_id,
                [p[0] for p in pairs],
                [p[1] for p in pairs],
                [p[2] for p in pairs],
            )
        await connection.execute(_CLEAR_TOPICS, feed_id, keys)
        topics = [(t.draft.key, topic) for t in touched for topic in t.topics]
        if topics:
            await connection.execute(
                _INSERT_TOPICS, feed_id, [p[0] for p in topics], [p[1] for p in topics]
            )

    async def latest(self, request: LatestRequest, *, topic: str | None = None) -> ItemPage:
        """The newest items by ``published``, with the request's filters (see
        ``SqliteItemRepository.latest``); ``request.collapse`` shows each story once."""
        topic = topic if topic is not None else request.topic
        limit = max(0, min(request.limit, MAX_PAGE))
        clauses, parameters = scope(request.guild_id, request.all_guilds, [])
        source, order = "items AS i", "i.published DESC, i.id DESC"
        if request.feed_id is not None:
            parameters.append(request.feed_id)
            clauses.append(f"i.feed_id = ${len(parameters)}")
        if request.company is not None and request.feed_id is None:
            # The company's own index is in date order (item_companies_latest): a rare
            # company's page is found without walking everyone's news.
            parameters.append(request.company)
            clauses.append(f"ic.company_id = ${len(parameters)}")
            source = "item_companies AS ic JOIN items AS i ON i.id = ic.item_id"
            order = "ic.published DESC, ic.item_id DESC"
        elif request.company is not None:
            parameters.append(request.company)
            clauses.append(
                "EXISTS (SELECT 1 FROM item_companies AS ic"
                f" WHERE ic.item_id = i.id AND ic.company_id = ${len(parameters)})"
            )
        if topic is not None:
            parameters.append(topic)
            clauses.append(
                "EXISTS (SELECT 1 FROM item_topics AS it"
                f" WHERE it.item_id = i.id AND it.topic = ${len(parameters)})"
            )
        sql = f"""
            SELECT {ITEM_COLUMNS} FROM {source}
            WHERE {" AND ".join(clauses) or "TRUE"}
            ORDER BY {order}
            LIMIT ${len(parameters) + 1}
        """
        if not request.collapse:
            rows = await read(self._pool, sql, *parameters, limit + 1)
            return await page(self._pool, rows, limit)
        wanted = (limit + 1) * COLLAPSE_READ_FACTOR
        while True:
            rows = await read(self._pool, sql, *parameters, wanted)
            shown = first_of_each_story(rows)
            if len(shown) > limit or len(rows) < wanted:
                return await page(self._pool, shown, limit, collapse=True)
            wanted *= COLLAPSE_READ_FACTOR

    async def search(
        self, request: SearchRequest, query: SearchQuery, *, topic: str | None = None
    ) -> ItemPage:
        """Items matching ``query``, ranked by relevance and recency (``ItemSearch``)."""
        return await self._search.search(request, query, topic=topic)

    async def count(self) -> int:
        """How many items are stored (from the per-feed counters: no table scan)."""
        return int(
            str(await read_value(self._pool, "SELECT coalesce(sum(item_count), 0) FROM feeds"))
        )


def _row(tagged: TaggedDraft, result: FeedPollResult, source: str) -> _Row:
    """An item's values; ``published`` None when the feed gave no date, a future date clamped
    to the poll."""
    draft = tagged.draft
    published = None
    if draft.published is not None:
        published = utc(min(draft.published, result.polled_at))
    return _Row(
        key=draft.key,
        title=draft.title,
        link=draft.link,
        source=draft.publisher or source,
        author=draft.author,
        published=published,
        summary=draft.summary,
        image_url=draft.image_url,
        categories=list(draft.categories),
        content_hash=draft.content_hash,
        tags=(
            feed_tag(result.feed_id),
            *(company_tag(c) for c in tagged.companies),
            *(topic_tag(t) for t in tagged.topics),
        ),
    )


def _new_rows(result: FeedPollResult) -> list[_Row]:
    """The poll's new items, oldest first (ids follow dates; search uses them as a recency
    order), an item without a date at the poll's time.

    Reversed first, because feeds list their newest entry at the top (a stable sort). A key
    listed twice is one row: in SQLite's one-by-one inserts the later copy updates the first;
    one PostgreSQL statement may not update a row twice, so the copies are merged here (the
    first's place, the last's values).
    """
    polled_at = utc(result.polled_at)
    rows = [_row(t, result, "") for t in reversed(result.new_items)]
    rows = [r if r.published is not None else replace(r, published=polled_at) for r in rows]
    rows.sort(key=lambda r: r.published or polled_at)
    merged: dict[str, _Row] = {}
    for row in rows:
        merged[row.key] = row  # a dict keeps the first key's position
    return list(merged.values())


def _sourced(row: _Row, feed_name: str) -> _Row:
    """The row with the feed's name as its source when the item named no publisher."""
    return row if row.source else replace(row, source=feed_name)

"""SQLite storage of stories: items of the shared catalogue about one event.

The story clusterer (``bot.news.stories.StoryClusterer``) reads the items it has still to place
(``unassigned``), places them and saves the result (``save``: each item's story id and each
touched story's summary, in one transaction). After a restart it is rebuilt from the recently
placed items (``window``) and carries on numbering after ``max_story_id``.

Only items of the shared catalogue (feeds with ``guild_id`` NULL) are ever read here or placed
in a story, so a server's private items never show in another server's summary or chart.

Periods are half-open ``[since, until)`` over the items' publication time (``published``,
indexed by ``items_published``), so a trend puts a story on the day it was reported, not on the
day Shopwire happened to poll it. ``published`` never lies in the future and never comes after
the poll that stored it: ``ItemRepository.apply`` stores the feed's date clamped to that poll's
time, or the poll's time itself when the feed gave no (plausible) date; for a new item that poll
is its ``first_seen``. A newly added feed's old news therefore stays in the weeks it was
published in, and needs no special case. (An item that arrives late counts in its own period
when that period is asked for again; a digest already posted does not change.) What a period
reports of a story (counts, sources, companies, topics, links) is computed from the story's
items published in that period, not from the whole story.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.news.model.vocabulary import Company, StoryRecord
from bot.news.stories import PreparedItem, StoryItem, StoryMerge, StorySummary
from storage._sql import SHARED_ITEMS, Connections, from_db_time, to_db_time, to_json_list
from storage.items import item_companies, item_topics

MAX_TOP_STORIES = 100
"""The most stories ``top_stories`` returns, whatever it is asked for."""

LINKS_PER_STORY = 3
"""How many item links a ``StoryRecord`` carries (the newest)."""

_DAY_US = 86_400_000_000
"""A day in the unit of stored times (microseconds): integer division gives the UTC day."""

_EPOCH_DAY = date(1970, 1, 1)


# The period's items by publication time, walking the items_published (published, id) range.
_PERIOD = "i.published >= :since AND i.published < :until"

_STORY_ITEM_COLUMNS = "i.id, i.title, i.summary, i.source, i.published"

# Unchanged summaries leave the row alone, so saving again changes nothing (updated_at
# included): updated_at is when the story last changed.

# The next free story id: the stored counter, or one above every id in use when that is
# higher (ids given out before the counter existed). One statement, under the write lock.
_RESERVE_STORY_IDS = """
INSERT INTO meta (key, value)
VALUES ('story_ids.next', CAST(
    max((SELECT coalesce(max(id), 0) FROM stories),
        (SELECT coalesce(max(story_id), 0) FROM items WHERE story_id IS NOT NULL),
        (SELECT coalesce(max(story_id), 0) FROM story_merges)) + 1 + :count AS TEXT))
ON CONFLICT (key) DO UPDATE SET value = CAST(
    max(CAST(meta.value AS INTEGER),
        (SELECT coalesce(max(id), 0) FROM stories) + 1,
        (SELECT coalesce(max(story_id), 0) FROM items WHERE story_id IS NOT NULL) + 1,
        (SELECT coalesce(max(story_id), 0) FROM story_merges) + 1) + :count AS TEXT)
RETURNING CAST(value AS INTEGER) - :count
"""

_UPSERT_STORY = """
INSERT INTO stories (id, headline, summary_line, headline_item_id, first_seen, last_seen,
                     item_count, source_count, sources, companies, updated_at)
VALUES (:id, :headline, :summary_line, :headline_item_id, :first_seen, :last_seen, 0, 0, '[]',
        '[]', :now)
ON CONFLICT (id) DO UPDATE SET
    headline = excluded.headline, summary_line = excluded.summary_line,
    headline_item_id = excluded.headline_item_id, updated_at = excluded.updated_at
WHERE (headline, summary_line, headline_item_id)
   IS NOT (excluded.headline, excluded.summary_line, excluded.headline_item_id)
"""

# A story's figures from its shared items, recomputed in SQL for the stories a step touched
# (the clusterer only reads a sample of a big story's items), all of them in two statements.
# Each story's sources are grouped from one sorted pass (as its companies below): a subquery
# per story over all the step's items cost 0.27 s of CPU over a cold poll's 20 steps.
_STORY_FIGURES = f"""
WITH touched AS (SELECT value AS id FROM json_each(:ids)),
mine AS MATERIALIZED (
    SELECT i.story_id, i.source, i.published FROM items AS i
    WHERE i.story_id IN (SELECT id FROM touched) AND {SHARED_ITEMS}
),
named AS (
    SELECT story_id, json_group_array(source) AS sources FROM (
        SELECT DISTINCT story_id, source FROM mine ORDER BY story_id, source)
    GROUP BY story_id
),
agg AS (
    SELECT m.story_id, count(*) AS item_count, count(DISTINCT m.source) AS source_count,
           min(m.published) AS first_seen, max(m.published) AS last_seen, n.sources
    FROM mine AS m JOIN named AS n ON n.story_id = m.story_id
    GROUP BY m.story_id
)
UPDATE stories SET
    item_count = agg.item_count, source_count = agg.source_count, sources = agg.sources,
    first_seen = agg.first_seen, last_seen = agg.last_seen,
    updated_at = CASE WHEN (stories.item_count, stories.source_count, stories.sources,
                            stories.first_seen, stories.last_seen)
        IS (agg.item_count, agg.source_count, agg.sources, agg.first_seen, agg.last_seen)
        THEN stories.updated_at ELSE :now END
FROM agg WHERE stories.id = agg.story_id
"""

_STORY_COMPANIES = f"""
WITH touched AS (SELECT value AS id FROM json_each(:ids)),
pairs AS (
    SELECT DISTINCT i.story_id AS story_id, ic.company_id AS company_id FROM items AS i
    JOIN item_companies AS ic ON ic.item_id = i.id
    WHERE i.story_id IN (SELECT id FROM touched) AND {SHARED_ITEMS}
    ORDER BY i.story_id, ic.company_id
),
agg AS (SELECT story_id, json_group_array(company_id) AS companies FROM pairs GROUP BY story_id)
UPDATE stories SET companies = agg.companies FROM agg WHERE stories.id = agg.story_id
"""

_MERGE_ITEMS = "UPDATE items SET story_id = :into_id WHERE story_id = :story_id"
_MERGE_RECORD = """
INSERT INTO story_merges (story_id, into_id, merged_at) VALUES (:story_id, :into_id, :now)
ON CONFLICT (story_id) DO UPDATE SET into_id = excluded.into_id, merged_at = excluded.merged_at
"""
# Ids merged earlier into the story now merged follow it, so every old id resolves in one step.
_MERGE_FOLLOW = "UPDATE story_merges SET into_id = :into_id WHERE into_id = :story_id"
_MERGE_DROP = "DELETE FROM stories WHERE id = :story_id"
_FEATURES = """
INSERT INTO story_features (item_id, data) SELECT :item_id, :data
WHERE EXISTS (SELECT 1 FROM items WHERE id = :item_id)
ON CONFLICT (item_id) DO UPDATE SET data = excluded.data
"""

# A step's placements in one statement, from a JSON array of [item id, story id] pairs: as
# one row per placement (executemany) the shared feeds' list was read again for every row,
# and the 10,000 placements of a cold poll cost 0.42-0.59 s of CPU against 0.12-0.13 s so.
_ASSIGN = """
UPDATE items SET story_id = p.story_id
FROM (SELECT json_extract(value, '$[0]') AS item_id, json_extract(value, '$[1]') AS story_id
      FROM json_each(:pairs)) AS p
WHERE items.id = p.item_id AND items.story_id IS NOT p.story_id
  AND items.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL)
"""

# The period's items of the stories that pass the filters, grouped per story and ranked. The
# period is read once (MATERIALIZED) through the items_published index range.
#
# Every period query here walks that range and probes the tags of each item in it: starting
# from a company's or topic's side would read its whole history. (A join would also let SQLite
# build a Bloom filter over the whole tag table, ~45 ms at 250k items; EXISTS probes do not.)
_TOP_STORIES = """
WITH period AS MATERIALIZED (
    SELECT i.id AS id, i.story_id AS story_id, i.source AS source, i.published AS published
    FROM items AS i
    WHERE {period} AND i.story_id IS NOT NULL AND {shared}
),
ranked AS (
    SELECT story_id, count(*) AS item_count, count(DISTINCT source) AS source_count,
           min(published) AS first_seen, max(published) AS last_seen
    FROM period
    WHERE {filters}
    GROUP BY story_id
    ORDER BY source_count DESC, last_seen DESC, story_id DESC
    LIMIT :limit OFFSET :offset
)
SELECT r.story_id, r.item_count, r.first_seen, r.last_seen, s.headline, s.summary_line,
       (SELECT h.link FROM items AS h WHERE h.id = s.headline_item_id) AS headline_link
FROM ranked AS r JOIN stories AS s ON s.id = r.story_id
ORDER BY r.source_count DESC, r.last_seen DESC, r.story_id DESC
"""

_STORIES_WITH_COMPANY = """
story_id IN (SELECT p.story_id FROM period AS p WHERE EXISTS (
    SELECT 1 FROM item_companies AS ic WHERE ic.item_id = p.id
    AND ic.company_id IN (SELECT value FROM json_each(:companies))))
"""

_STORIES_WITH_TOPIC = """
story_id IN (SELECT p.story_id FROM period AS p WHERE EXISTS (
    SELECT 1 FROM item_topics AS it WHERE it.item_id = p.id
    AND it.topic IN (SELECT value FROM json_each(:topics))))
"""

# Stories that did not exist at :new_since: none of their items was first seen before it
# (over the items_story index: a story's items, not the period's).
_NEW_STORIES = """
NOT EXISTS (SELECT 1 FROM items AS o
            WHERE o.story_id = period.story_id AND o.first_seen < :new_since)
"""


class SqliteStoryRepository:
    """Stories of the shared catalogue (implements ``bot.news.ports.StoryRepository``).

    Story ids are allocated by the clusterer; an item belongs to at most one story
    (``items.story_id``), and removing a feed removes its items from their stories.
    """

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def unassigned(
        self, limit: int, *, since: datetime | None = None, besides: Sequence[int] = ()
    ) -> list[StoryItem]:
        """Up to ``limit`` shared items not placed in a story yet, oldest ``first_seen`` first.

        ``since``, if given, skips items first seen before it (e.g. the history that a
        database upgraded to stories has: not worth clustering); ``besides`` are left out
        (items being placed, not saved yet: skipped here, they are never read). Private items
        are never returned. Two queries: the items, then their companies (ids, in the
        tagger's order).
        """
        if limit <= 0:
            return []
        rows = await self._db.read(
            f"""
            SELECT {_STORY_ITEM_COLUMNS}, f.data AS text FROM items AS i
            LEFT JOIN story_features AS f ON f.item_id = i.id
            WHERE i.story_id IS NULL AND i.first_seen >= :since AND {SHARED_ITEMS}
              AND i.id NOT IN (SELECT value FROM json_each(:besides))
            ORDER BY i.first_seen, i.id
            LIMIT :limit
            """,
            {
                "since": -1 if since is None else to_db_time(since),
                "limit": limit,
                "besides": json.dumps([int(i) for i in besides]),
            },
        )
        companies = await self._company_ids([row["id"] for row in rows])
        # With the text features a parser worker read at ingest, where they were stored.
        return [_story_item(row, companies, row["text"]) for row in rows]

    async def unplaced_published(self, since: datetime, until: datetime) -> bool:
        """Whether a shared item published in ``[since, until)`` waits for a story (one row
        at most, over the ``items_published`` range)."""
        row = await self._db.read_one(
            f"""
            SELECT 1 FROM items AS i
            WHERE i.published >= ? AND i.published < ? AND i.story_id IS NULL
              AND i.first_seen >= ? AND {SHARED_ITEMS}
            LIMIT 1
            """,
            (to_db_time(since), to_db_time(until), to_db_time(since)),
        )
        return row is not None

    async def oldest_unplaced(self, since: datetime, until: datetime) -> datetime | None:
        """The earliest ``first_seen`` of the shared items published in ``[since, until)``
        and first seen since ``since`` that wait for a story: the first in the unplaced items'
        index (``items_unassigned``, few rows when the stories stage keeps up; the unary ``+``
        keeps SQLite off the period's index, which holds every placed item too)."""
        row = await self._db.read_one(
            f"""
            SELECT i.first_seen FROM items AS i
            WHERE +i.published >= ? AND +i.published < ? AND i.story_id IS NULL
              AND i.first_seen >= ? AND {SHARED_ITEMS}
            ORDER BY i.first_seen LIMIT 1
            """,
            (to_db_time(since), to_db_time(until), to_db_time(since)),
        )
        return None if row is None or row[0] is None else from_db_time(row[0])

    async def held(self, since: datetime) -> list[PreparedItem]:
        """Shared items placed in a story, published at or after ``since``, with the features
        the clusterer stored for them: what ``StoryClusterer.rebuild`` takes after a restart.

        One query over the ``items_published`` range and the features' primary key; no item
        text is read. Placed items without stored features are left to ``unprepared``.
        """
        rows = await self._db.read(
            f"""
            SELECT i.id, i.story_id, f.data FROM items AS i
            JOIN story_features AS f ON f.item_id = i.id
            WHERE i.published >= :since AND i.story_id IS NOT NULL AND {SHARED_ITEMS}
            """,
            {"since": to_db_time(since)},
        )
        return [PreparedItem(int(row[0]), int(row[1]), str(row[2])) for row in rows]

    async def placed(self, since: datetime) -> list[tuple[int, int]]:
        """(item id, story id) of every shared item placed in a story and published at or
        after ``since``: what a restored clusterer state must agree with. No features read."""
        # One JSON array, not 10,000 rows: a row costs more to hand over than to read.
        [row] = await self._db.read(
            f"""
            SELECT json_group_array(json_array(i.id, i.story_id)) FROM items AS i
            WHERE i.published >= :since AND i.story_id IS NOT NULL AND {SHARED_ITEMS}
            """,
            {"since": to_db_time(since)},
        )
        return [(int(item_id), int(story_id)) for item_id, story_id in json.loads(row[0])]

    async def clusterer_state(self) -> bytes | None:
        """The clusterer state saved last (``save_clusterer_state``), if any."""
        row = await self._db.read_one("SELECT data FROM story_state WHERE id = 1")
        return None if row is None else bytes(row[0])

    async def save_clusterer_state(self, data: bytes, now: datetime) -> None:
        """Keep ``data`` as the clusterer's state (replacing the one before)."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO story_state (id, data, saved_at) VALUES (1, :data, :now)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data,"
                " saved_at = excluded.saved_at",
                {"data": data, "now": to_db_time(now)},
            )

    async def unprepared(
        self, since: datetime, *, also: Sequence[int] = ()
    ) -> list[tuple[StoryItem, int]]:
        """Shared items placed in a story and published at or after ``since`` whose features
        were never stored (a database from before they were), and the placed items ``also``
        names (whose stored features the clusterer could not read), with their story id."""
        rows = await self._db.read(
            f"""
            SELECT {_STORY_ITEM_COLUMNS}, i.story_id FROM items AS i
            WHERE i.published >= :since AND i.story_id IS NOT NULL AND {SHARED_ITEMS}
              AND (NOT EXISTS (SELECT 1 FROM story_features AS f WHERE f.item_id = i.id)
                   OR i.id IN (SELECT value FROM json_each(:also)))
            """,
            {"since": to_db_time(since), "also": json.dumps([int(i) for i in also])},
        )
        companies = await self._company_ids([row["id"] for row in rows])
        return [(_story_item(row, companies), int(row["story_id"])) for row in rows]

    async def max_story_id(self) -> int:
        """The highest story id ever given out (a story row, an item's story, a merged
        story), 0 when there is none."""
        row = await self._db.read_one(
            "SELECT max((SELECT coalesce(max(id), 0) FROM stories),"
            " (SELECT coalesce(max(story_id), 0) FROM items WHERE story_id IS NOT NULL),"
            " (SELECT coalesce(max(story_id), 0) FROM story_merges))"
        )
        assert row is not None
        return int(row[0])

    async def reserve_story_ids(self, count: int) -> int:
        """The first of ``count`` story ids never given out (see the port): the next free id
        is kept in ``meta``, and is never below the highest id stored anywhere plus one (a
        database from before it was kept, or stories saved by an older version)."""
        if count < 1:
            raise ValueError("reserve at least one story id")
        async with (
            self._db.transaction() as db,
            db.execute(_RESERVE_STORY_IDS, {"count": count}) as cursor,
        ):
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def story_items(
        self, story_ids: Sequence[int], *, limit: int | None = None
    ) -> dict[int, list[StoryItem]]:
        """The shared items of each story, earliest published first (then by id), in two
        queries; with ``limit``, only each story's first ``limit`` items, so that a story of
        300 items costs what one of ``limit`` does.

        A story without items (its feeds removed) or an unknown id is absent from the result.
        """
        if not story_ids:
            return {}
        rows = await self._db.read(
            f"""
            SELECT * FROM (
                SELECT {_STORY_ITEM_COLUMNS}, i.story_id, row_number() OVER (
                    PARTITION BY i.story_id ORDER BY i.published, i.id) AS position
                FROM items AS i
                WHERE i.story_id IN (SELECT value FROM json_each(:ids)) AND {SHARED_ITEMS}
            ) WHERE :limit IS NULL OR position <= :limit
            ORDER BY story_id, position
            """,
            {"ids": json.dumps([int(s) for s in story_ids]), "limit": limit},
        )
        companies = await self._company_ids([row["id"] for row in rows])
        found: dict[int, list[StoryItem]] = {}
        for row in rows:
            found.setdefault(int(row["story_id"]), []).append(_story_item(row, companies))
        return found

    async def resolve(self, story_id: int) -> int:
        """The story an id stands for now: itself, or the story it was merged into."""
        row = await self._db.read_one(
            "SELECT into_id FROM story_merges WHERE story_id = ?", (story_id,)
        )
        return story_id if row is None else int(row[0])

    async def save(
        self,
        assignments: Sequence[tuple[int, int]],
        summaries: Sequence[StorySummary],
        now: datetime,
        *,
        merges: Sequence[StoryMerge] = (),
        prepared: Mapping[int, str] | None = None,
    ) -> None:
        """Store a clustering step in one transaction.

        ``summaries`` are the stories whose headline or line it changed (inserted, or
        replacing the stored ones; a story that only gained reports needs none);
        ``assignments`` (item id, story id) pairs; ``merges`` move every item of a merged
        story to the story it joined (the last of a chain), remember the old id
        (``resolve``) and delete its row, in the order given; ``prepared`` stores each item's
        clusterer features. Every touched story's figures (items, sources, dates, companies)
        are then recomputed from its items. Saving the same step again changes nothing. An
        item removed since it was read, or one of a private feed, is skipped. Raises
        ValueError, storing nothing, when an assignment names a story that is neither stored
        nor among ``summaries``.
        """
        if not assignments and not summaries and not merges and not prepared:
            return
        stamp = to_db_time(now)
        stories = [_story_parameters(summary, stamp) for summary in summaries]
        # The last placement of an item counts (as it did one statement per placement).
        placed = {int(item): int(story) for item, story in assignments}
        pairs = json.dumps([[item, story] for item, story in placed.items()])
        # A chain within one step (a into b, then b into c) moves a's items to c at once:
        # b may never have been stored.
        into = {m.story_id: m.into_id for m in merges}

        def final(story_id: int) -> int:
            seen = set()
            while story_id in into and story_id not in seen:
                seen.add(story_id)
                story_id = into[story_id]
            return story_id

        moves = [
            {"story_id": m.story_id, "into_id": final(m.into_id), "now": stamp} for m in merges
        ]
        features = [{"item_id": k, "data": v} for k, v in (prepared or {}).items()]
        try:
            async with self._db.transaction() as db:
                if stories:
                    await db.executemany(_UPSERT_STORY, stories)
                if placed:
                    await db.execute(_ASSIGN, {"pairs": pairs})
                for move in moves:
                    await db.execute(_MERGE_ITEMS, move)
                    await db.execute(_MERGE_FOLLOW, move)
                    await db.execute(_MERGE_RECORD, move)
                    await db.execute(_MERGE_DROP, move)
                if features:
                    await db.executemany(_FEATURES, features)
                touched = sorted(
                    {s["id"] for s in stories}
                    | {m["into_id"] for m in moves}
                    | {int(story) for _, story in assignments}
                )
                figures = {"ids": json.dumps(touched), "now": stamp}
                await db.execute(_STORY_FIGURES, figures)
                await db.execute(_STORY_COMPANIES, {"ids": figures["ids"]})
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"cannot save stories: {exc} (an unknown story id?)") from exc

    async def top_stories(
        self,
        since: datetime,
        until: datetime,
        company: str | None = None,
        topic: str | None = None,
        limit: int = 10,
        *,
        companies: Sequence[str] = (),
        topics: Sequence[str] = (),
        offset: int = 0,
        new_since: datetime | None = None,
    ) -> list[StoryRecord]:
        """The period's biggest stories: those with an item published in ``[since, until)``.

        Ranked by how many distinct sources reported them in the period, then by their latest
        publication date in the period. ``company`` (a company id) keeps the stories with an
        item of the period tagged with it, ``topic`` (a topic id) those with an item of the
        period tagged with it. Every figure of a record is of the story's items in the period
        (see ``StoryRecord``). ``companies`` and ``topics`` widen those filters to any of
        several ids (a digest subscription's); ``offset`` skips the ranking's first stories
        (to read it page by page); ``new_since`` keeps the stories none of whose items was
        first seen before it (a digest's late stories). At most ``limit`` (up to
        ``MAX_TOP_STORIES``) records, in four queries: the ranking, then the chosen stories'
        items, their companies and topics.
        """
        limit = min(limit, MAX_TOP_STORIES)
        if limit <= 0 or since >= until:
            return []
        filters: list[str] = []
        parameters: dict[str, Any] = {
            "since": to_db_time(since),
            "until": to_db_time(until),
            "limit": limit,
            "offset": max(offset, 0),
        }
        company_ids = [*([company] if company is not None else []), *companies]
        topic_ids = [*([topic] if topic is not None else []), *topics]
        if company_ids:
            filters.append(_STORIES_WITH_COMPANY)
            parameters["companies"] = json.dumps(company_ids)
        if topic_ids:
            filters.append(_STORIES_WITH_TOPIC)
            parameters["topics"] = json.dumps(topic_ids)
        period = _PERIOD
        if new_since is not None:
            # A new story's items in the period are new too: most periods have none, and the
            # story check then reads nothing.
            period += " AND i.first_seen >= :new_since"
            filters.append(_NEW_STORIES)
            parameters["new_since"] = to_db_time(new_since)
        ranked = await self._db.read(
            _TOP_STORIES.format(
                period=period, shared=SHARED_ITEMS, filters=" AND ".join(filters) or "1"
            ),
            parameters,
        )
        if not ranked:
            return []
        story_ids = [int(row["story_id"]) for row in ranked]
        items = await self._db.read(
            f"""
            SELECT i.id, i.story_id, i.source, i.link FROM items AS i
            WHERE i.story_id IN (SELECT value FROM json_each(:ids)) AND {_PERIOD} AND {SHARED_ITEMS}
            ORDER BY i.story_id, i.published DESC, i.id DESC
            """,
            {
                "ids": json.dumps(story_ids),
                "since": parameters["since"],
                "until": parameters["until"],
            },
        )
        item_ids = [row["id"] for row in items]
        tagged_companies = await item_companies(self._db, item_ids)
        tagged_topics = await item_topics(self._db, item_ids)
        parts: dict[int, StoryParts] = {story_id: StoryParts() for story_id in story_ids}
        # The story's link is its headline's item's: the headline never points elsewhere.
        for row in ranked:
            if row["headline_link"]:
                parts[int(row["story_id"])].links.append(row["headline_link"])
        for row in items:
            parts[int(row["story_id"])].add(
                row["source"],
                row["link"],
                tagged_companies.get(row["id"], ()),
                tagged_topics.get(row["id"], ()),
            )
        return [
            StoryRecord(
                id=int(row["story_id"]),
                headline=row["headline"],
                summary_line=row["summary_line"],
                first_seen=from_db_time(row["first_seen"]),
                last_seen=from_db_time(row["last_seen"]),
                item_count=int(row["item_count"]),
                sources=tuple(sorted(parts[int(row["story_id"])].sources)),
                companies=parts[int(row["story_id"])].ranked_companies(),
                links=tuple(parts[int(row["story_id"])].links),
                topics=tuple(sorted(parts[int(row["story_id"])].topics)),
            )
            for row in ranked
        ]

    async def company_counts(self, since: datetime, until: datetime) -> list[tuple[Company, int]]:
        """How many stories each company had in ``[since, until)``, most first (then by id).

        A story counts for a company when one of its items published in the period is tagged
        with it. Companies without a story in the period are left out.
        """
        if since >= until:
            return []
        rows = await self._db.read(
            f"""
            SELECT c.id, c.name, count(DISTINCT i.story_id) AS stories
            FROM items AS i
            CROSS JOIN item_companies AS ic ON ic.item_id = i.id
            JOIN companies AS c ON c.id = ic.company_id
            WHERE {_PERIOD} AND i.story_id IS NOT NULL AND {SHARED_ITEMS}
            GROUP BY c.id
            ORDER BY stories DESC, c.id
            """,
            {"since": to_db_time(since), "until": to_db_time(until)},
        )
        return [(Company(id=row[0], name=row[1]), int(row[2])) for row in rows]

    async def daily_story_counts(
        self, since: datetime, until: datetime, companies: Sequence[str] | None = None
    ) -> list[tuple[str, date, int]]:
        """(company id, UTC day, stories) for trend charts, by company then day.

        The number of distinct stories with an item tagged with the company and published
        that (UTC) day, in ``[since, until)``. ``companies`` limits the result to those ids (None:
        every company). Days without a story are left out (the caller fills in zeros).
        """
        if since >= until or (companies is not None and not companies):
            return []
        parameters: dict[str, Any] = {"since": to_db_time(since), "until": to_db_time(until)}
        only = ""
        if companies is not None:
            only = "AND ic.company_id IN (SELECT value FROM json_each(:companies))"
            parameters["companies"] = to_json_list(companies)
        rows = await self._db.read(
            f"""
            SELECT ic.company_id, i.published / {_DAY_US} AS day,
                   count(DISTINCT i.story_id) AS stories
            FROM items AS i
            CROSS JOIN item_companies AS ic ON ic.item_id = i.id {only}
            WHERE {_PERIOD} AND i.story_id IS NOT NULL AND {SHARED_ITEMS}
            GROUP BY ic.company_id, day
            ORDER BY ic.company_id, day
            """,
            parameters,
        )
        return [
            (str(row[0]), _EPOCH_DAY + timedelta(days=int(row[1])), int(row[2])) for row in rows
        ]

    async def period_titles(
        self, since: datetime, until: datetime, company: str | None = None
    ) -> list[str]:
        """Titles of the shared items published in ``[since, until)``, oldest first.

        Placed in a story or not; ``company`` (an id) keeps the items tagged with it.
        """
        if since >= until:
            return []
        parameters: dict[str, Any] = {"since": to_db_time(since), "until": to_db_time(until)}
        about = ""
        if company is not None:
            about = (
                "AND EXISTS (SELECT 1 FROM item_companies AS ic"
                " WHERE ic.item_id = i.id AND ic.company_id = :company)"
            )
            parameters["company"] = company
        rows = await self._db.read(
            f"""
            SELECT i.title FROM items AS i
            WHERE {_PERIOD} AND {SHARED_ITEMS} {about}
            ORDER BY i.published, i.id
            """,
            parameters,
        )
        return [str(row[0]) for row in rows]

    async def _company_ids(self, item_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The company ids of each item, in the tagger's order (one query)."""
        if not item_ids:
            return {}
        rows = await self._db.read(
            """
            SELECT item_id, company_id FROM item_companies
            WHERE item_id IN (SELECT value FROM json_each(?))
            ORDER BY item_id, position
            """,
            (json.dumps(list(item_ids)),),
        )
        found: dict[int, list[str]] = {}
        for item_id, company_id in rows:
            found.setdefault(item_id, []).append(company_id)
        return {item_id: tuple(ids) for item_id, ids in found.items()}


class StoryParts:
    """What a period's items say about one story, gathered newest item first (both
    backends: storage.postgres.stories uses it too)."""

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.links: list[str] = []
        self.topics: set[str] = set()
        self.companies: Counter[Company] = Counter()

    def add(
        self,
        source: str,
        link: str | None,
        companies: Sequence[Company],
        topics: Sequence[str],
    ) -> None:
        self.sources.add(source)
        if link and link not in self.links and len(self.links) < LINKS_PER_STORY:
            self.links.append(link)
        self.topics.update(topics)
        for company in companies:
            self.companies[company] += 1

    def ranked_companies(self) -> tuple[Company, ...]:
        """Most-tagged first, then by id."""
        return tuple(sorted(self.companies, key=lambda c: (-self.companies[c], c.id)))


def _story_item(
    row: sqlite3.Row, companies: dict[int, tuple[str, ...]], text: str | None = None
) -> StoryItem:
    return StoryItem(
        item_id=row["id"],
        title=row["title"],
        summary=row["summary"],
        source=row["source"],
        published=from_db_time(row["published"]),
        companies=companies.get(row["id"], ()),
        text=text,
    )


def _story_parameters(summary: StorySummary, stamp: int) -> dict[str, Any]:
    return {
        "id": summary.story_id,
        "headline": summary.headline,
        "summary_line": summary.summary_line,
        "headline_item_id": summary.headline_item_id,
        "first_seen": to_db_time(summary.first_seen),
        "last_seen": to_db_time(summary.last_seen),
        "now": stamp,
    }

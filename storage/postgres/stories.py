"""PostgreSQL storage of stories: items of the shared catalogue about one event.

The same contract as SQLite's ``storage/stories.py``, which explains it (periods by
``published``, half-open ``[since, until)``; only shared items are ever read or placed; a
period's figures come from the story's items in that period). Stories' sources and companies
are ``TEXT[]`` here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from bot.news.model.vocabulary import Company, StoryRecord, utc
from bot.news.stories import PreparedItem, StoryItem, StoryMerge, StorySummary
from storage.postgres.item_rows import item_companies, item_topics
from storage.postgres.pool import Pool, read, read_one, read_value, transaction
from storage.stories import StoryParts

MAX_TOP_STORIES = 100
"""The most stories ``top_stories`` returns, whatever it is asked for."""

"""How many item links a ``StoryRecord`` carries (the newest)."""

SHARED = "i.feed_id IN (SELECT id FROM feeds WHERE guild_id IS NULL)"
"""Items (aliased ``i``) of the shared catalogue only."""

_STORY_ITEM_COLUMNS = "i.id, i.title, i.summary, i.source, i.published"

# Unchanged summaries leave the row alone, so saving again changes nothing (updated_at
# included): updated_at is when the story last changed.
_UPSERT_STORY = """
INSERT INTO stories (id, headline, summary_line, headline_item_id, first_seen, last_seen,
                     item_count, source_count, sources, companies, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 0, 0, '{}', '{}', $7)
ON CONFLICT (id) DO UPDATE SET
    headline = excluded.headline, summary_line = excluded.summary_line,
    headline_item_id = excluded.headline_item_id, updated_at = excluded.updated_at
WHERE (stories.headline, stories.summary_line, stories.headline_item_id)
   IS DISTINCT FROM (excluded.headline, excluded.summary_line, excluded.headline_item_id)
"""

_ASSIGN = f"""
UPDATE items AS i SET story_id = $2
WHERE i.id = $1 AND i.story_id IS DISTINCT FROM $2 AND {SHARED}
"""

_MERGE_ITEMS = "UPDATE items SET story_id = $2 WHERE story_id = $1"
# Ids merged earlier into the story now merged follow it, so every old id resolves in one step.
_MERGE_FOLLOW = "UPDATE story_merges SET into_id = $2 WHERE into_id = $1"
_MERGE_RECORD = """
INSERT INTO story_merges (story_id, into_id, merged_at) VALUES ($1, $2, $3)
ON CONFLICT (story_id) DO UPDATE SET into_id = excluded.into_id, merged_at = excluded.merged_at
"""
_MERGE_DROP = "DELETE FROM stories WHERE id = $1"

_FEATURES = """
INSERT INTO story_features (item_id, data)
SELECT i.id, t.data FROM unnest($1::bigint[], $2::text[]) AS t (item_id, data)
JOIN items AS i ON i.id = t.item_id
ON CONFLICT (item_id) DO UPDATE SET data = excluded.data
"""

# A story's figures from its shared items, recomputed for the stories a step touched.
_STORY_FIGURES = f"""
WITH agg AS (
    SELECT i.story_id, count(*) AS item_count, count(DISTINCT i.source) AS source_count,
           min(i.published) AS first_seen, max(i.published) AS last_seen,
           array_agg(DISTINCT i.source ORDER BY i.source) AS sources
    FROM items AS i
    WHERE i.story_id = ANY($1::bigint[]) AND {SHARED}
    GROUP BY i.story_id
)
UPDATE stories SET
    item_count = agg.item_count, source_count = agg.source_count, sources = agg.sources,
    first_seen = agg.first_seen, last_seen = agg.last_seen,
    updated_at = CASE WHEN (stories.item_count, stories.source_count, stories.sources,
                            stories.first_seen, stories.last_seen)
        IS NOT DISTINCT FROM (agg.item_count::int, agg.source_count::int, agg.sources,
                              agg.first_seen, agg.last_seen)
        THEN stories.updated_at ELSE $2 END
FROM agg WHERE stories.id = agg.story_id
"""

_STORY_COMPANIES = f"""
WITH agg AS (
    SELECT i.story_id, array_agg(DISTINCT ic.company_id ORDER BY ic.company_id) AS companies
    FROM items AS i JOIN item_companies AS ic ON ic.item_id = i.id
    WHERE i.story_id = ANY($1::bigint[]) AND {SHARED}
    GROUP BY i.story_id
)
UPDATE stories SET companies = agg.companies FROM agg WHERE stories.id = agg.story_id
"""

# The period's items of the stories that pass the filters, grouped per story and ranked.
_TOP_STORIES = """
WITH period AS MATERIALIZED (
    SELECT i.id AS id, i.story_id AS story_id, i.source AS source, i.published AS published
    FROM items AS i
    WHERE i.published >= $1 AND i.published < $2 AND i.story_id IS NOT NULL AND {shared}{seen}
),
ranked AS (
    SELECT story_id, count(*) AS item_count, count(DISTINCT source) AS source_count,
           min(published) AS first_seen, max(published) AS last_seen
    FROM period
    WHERE {filters}
    GROUP BY story_id
    ORDER BY source_count DESC, last_seen DESC, story_id DESC
    LIMIT $3 OFFSET $4
)
SELECT r.story_id, r.item_count, r.first_seen, r.last_seen, s.headline, s.summary_line,
       (SELECT h.link FROM items AS h WHERE h.id = s.headline_item_id) AS headline_link
FROM ranked AS r JOIN stories AS s ON s.id = r.story_id
ORDER BY r.source_count DESC, r.last_seen DESC, r.story_id DESC
"""

_STORIES_WITH_COMPANY = """
story_id IN (SELECT p.story_id FROM period AS p WHERE EXISTS (
    SELECT 1 FROM item_companies AS ic WHERE ic.item_id = p.id
    AND ic.company_id = ANY(${n}::text[])))
"""

_STORIES_WITH_TOPIC = """
story_id IN (SELECT p.story_id FROM period AS p WHERE EXISTS (
    SELECT 1 FROM item_topics AS it WHERE it.item_id = p.id
    AND it.topic = ANY(${n}::text[])))
"""

# Stories that did not exist at the time given: none of their items was first seen before it.
_NEW_STORIES = """
NOT EXISTS (SELECT 1 FROM items AS o
            WHERE o.story_id = period.story_id AND o.first_seen < ${n})
"""


class PostgresStoryRepository:
    """Stories of the shared catalogue (implements ``bot.news.ports.StoryRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def unassigned(
        self, limit: int, *, since: datetime | None = None, besides: Sequence[int] = ()
    ) -> list[StoryItem]:
        """Up to ``limit`` shared items not placed in a story yet, oldest ``first_seen`` first,
        but ``besides``, with the text features stored at ingest (see
        ``SqliteStoryRepository.unassigned``)."""
        if limit <= 0:
            return []
        parameters: list[Any] = [limit, [int(i) for i in besides]]
        after = ""
        if since is not None:
            parameters.append(utc(since))
            after = "AND i.first_seen >= $3"
        rows = await read(
            self._pool,
            f"""
            SELECT {_STORY_ITEM_COLUMNS}, f.data AS text FROM items AS i
            LEFT JOIN story_features AS f ON f.item_id = i.id
            WHERE i.story_id IS NULL {after} AND {SHARED}
              AND NOT (i.id = ANY($2::bigint[]))
            ORDER BY i.first_seen, i.id
            LIMIT $1
            """,
            *parameters,
        )
        companies = await self._company_ids([row["id"] for row in rows])
        return [_story_item(row, companies, row["text"]) for row in rows]

    async def unplaced_published(self, since: datetime, until: datetime) -> bool:
        """Whether a shared item published in ``[since, until)`` waits for a story."""
        found = await read_value(
            self._pool,
            f"""
            SELECT EXISTS (
                SELECT 1 FROM items AS i
                WHERE i.published >= $1 AND i.published < $2 AND i.story_id IS NULL
                  AND i.first_seen >= $1 AND {SHARED}
            )
            """,
            utc(since),
            utc(until),
        )
        return bool(found)

    async def oldest_unplaced(self, since: datetime, until: datetime) -> datetime | None:
        """The earliest ``first_seen`` of the shared items published in ``[since, until)``
        and first seen since ``since`` that wait for a story."""
        found = await read_value(
            self._pool,
            f"""
            SELECT i.first_seen FROM items AS i
            WHERE i.published >= $1 AND i.published < $2 AND i.story_id IS NULL
              AND i.first_seen >= $1 AND {SHARED}
            ORDER BY i.first_seen LIMIT 1
            """,
            utc(since),
            utc(until),
        )
        return found if isinstance(found, datetime) else None

    async def held(self, since: datetime) -> list[PreparedItem]:
        """Shared items placed in a story, published at or after ``since``, with their stored
        features (what ``StoryClusterer.rebuild`` takes after a restart)."""
        rows = await read(
            self._pool,
            f"""
            SELECT i.id, i.story_id, f.data FROM items AS i
            JOIN story_features AS f ON f.item_id = i.id
            WHERE i.published >= $1 AND i.story_id IS NOT NULL AND {SHARED}
            """,
            utc(since),
        )
        return [PreparedItem(int(row[0]), int(row[1]), str(row[2])) for row in rows]

    async def placed(self, since: datetime) -> list[tuple[int, int]]:
        """(item id, story id) of every placed shared item published at or after ``since``
        (see ``SqliteStoryRepository.placed``)."""
        rows = await read(
            self._pool,
            f"""
            SELECT i.id, i.story_id FROM items AS i
            WHERE i.published >= $1 AND i.story_id IS NOT NULL AND {SHARED}
            """,
            utc(since),
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def clusterer_state(self) -> bytes | None:
        """The clusterer state saved last, if any."""
        value = await read_value(self._pool, "SELECT data FROM story_state WHERE id = 1")
        return None if value is None else bytes(value)

    async def save_clusterer_state(self, data: bytes, now: datetime) -> None:
        """Keep ``data`` as the clusterer's state (replacing the one before)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "INSERT INTO story_state (id, data, saved_at) VALUES (1, $1, $2)"
                " ON CONFLICT (id) DO UPDATE SET data = excluded.data,"
                " saved_at = excluded.saved_at",
                data,
                utc(now),
            )

    async def unprepared(
        self, since: datetime, *, also: Sequence[int] = ()
    ) -> list[tuple[StoryItem, int]]:
        """Placed shared items published at or after ``since`` without stored features, and the
        placed items ``also`` names, with their story id."""
        rows = await read(
            self._pool,
            f"""
            SELECT {_STORY_ITEM_COLUMNS}, i.story_id FROM items AS i
            WHERE i.published >= $1 AND i.story_id IS NOT NULL AND {SHARED}
              AND (NOT EXISTS (SELECT 1 FROM story_features AS f WHERE f.item_id = i.id)
                   OR i.id = ANY($2::bigint[]))
            """,
            utc(since),
            [int(i) for i in also],
        )
        companies = await self._company_ids([row["id"] for row in rows])
        return [(_story_item(row, companies), int(row["story_id"])) for row in rows]

    async def max_story_id(self) -> int:
        """The highest story id ever given out (a story row, an item's story, a merged
        story), 0 when there is none."""
        value = await read_value(
            self._pool,
            "SELECT greatest((SELECT coalesce(max(id), 0) FROM stories),"
            " (SELECT coalesce(max(story_id), 0) FROM items WHERE story_id IS NOT NULL),"
            " (SELECT coalesce(max(story_id), 0) FROM story_merges))",
        )
        return int(str(value))

    async def reserve_story_ids(self, count: int) -> int:
        """The first of ``count`` story ids never given out (see the port): one statement
        that locks the counter's row in ``meta``, so concurrent processes queue on it."""
        if count < 1:
            raise ValueError("reserve at least one story id")
        value = await read_value(self._pool, _RESERVE_STORY_IDS, count)
        return int(str(value))

    async def story_items(
        self, story_ids: Sequence[int], *, limit: int | None = None
    ) -> dict[int, list[StoryItem]]:
        """The shared items of each story, earliest published first (then by id); with
        ``limit``, only each story's first ``limit`` items."""
        if not story_ids:
            return {}
        rows = await read(
            self._pool,
            f"""
            SELECT * FROM (
                SELECT {_STORY_ITEM_COLUMNS}, i.story_id, row_number() OVER (
                    PARTITION BY i.story_id ORDER BY i.published, i.id) AS position
                FROM items AS i
                WHERE i.story_id = ANY($1::bigint[]) AND {SHARED}
            ) AS numbered WHERE $2::bigint IS NULL OR position <= $2::bigint
            ORDER BY story_id, position
            """,
            [int(s) for s in story_ids],
            limit,
        )
        companies = await self._company_ids([row["id"] for row in rows])
        found: dict[int, list[StoryItem]] = {}
        for row in rows:
            found.setdefault(int(row["story_id"]), []).append(_story_item(row, companies))
        return found

    async def resolve(self, story_id: int) -> int:
        """The story an id stands for now: itself, or the story it was merged into."""
        row = await read_one(
            self._pool, "SELECT into_id FROM story_merges WHERE story_id = $1", story_id
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
        """Store a clustering step in one transaction (see ``SqliteStoryRepository.save``).

        Raises ValueError, storing nothing, when an assignment names a story that is neither
        stored nor among ``summaries``.
        """
        if not assignments and not summaries and not merges and not prepared:
            return
        stamp = utc(now)
        stories = [
            (
                s.story_id,
                s.headline,
                s.summary_line,
                s.headline_item_id,
                utc(s.first_seen),
                utc(s.last_seen),
                stamp,
            )
            for s in summaries
        ]
        into = {m.story_id: m.into_id for m in merges}

        def final(story_id: int) -> int:
            seen = set()
            while story_id in into and story_id not in seen:
                seen.add(story_id)
                story_id = into[story_id]
            return story_id

        moves = [(m.story_id, final(m.into_id)) for m in merges]
        features = dict(prepared or {})
        touched = sorted(
            {s[0] for s in stories} | {m[1] for m in moves} | {story for _, story in assignments}
        )
        try:
            async with transaction(self._pool) as connection:
                if stories:
                    await connection.executemany(_UPSERT_STORY, stories)
                if assignments:
                    await connection.executemany(_ASSIGN, list(assignments))
                for story_id, into_id in moves:
                    await connection.execute(_MERGE_ITEMS, story_id, into_id)
                    await connection.execute(_MERGE_FOLLOW, story_id, into_id)
                    await connection.execute(_MERGE_RECORD, story_id, into_id, stamp)
                    await connection.execute(_MERGE_DROP, story_id)
                if features:
                    await connection.execute(_FEATURES, list(features), list(features.values()))
                await connection.execute(_STORY_FIGURES, touched, stamp)
                await connection.execute(_STORY_COMPANIES, touched)
        except asyncpg.IntegrityConstraintViolationError as exc:
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
        """The period's biggest stories (see ``SqliteStoryRepository.top_stories``)."""
        limit = min(limit, MAX_TOP_STORIES)
        if limit <= 0 or since >= until:
            return []
        company_ids = [*([company] if company is not None else []), *companies]
        topic_ids = [*([topic] if topic is not None else []), *topics]
        parameters: list[Any] = [utc(since), utc(until), limit, max(offset, 0)]
        filters = []
        if company_ids:
            parameters.append(company_ids)
            filters.append(_STORIES_WITH_COMPANY.format(n=len(parameters)))
        if topic_ids:
            parameters.append(topic_ids)
            filters.append(_STORIES_WITH_TOPIC.format(n=len(parameters)))
        seen = ""
        if new_since is not None:
            parameters.append(utc(new_since))
            # A new story's items in the period are new too: most periods have none, and the
            # story check then reads nothing.
            seen = f" AND i.first_seen >= ${len(parameters)}"
            filters.append(_NEW_STORIES.format(n=len(parameters)))
        ranked = await read(
            self._pool,
            _TOP_STORIES.format(shared=SHARED, filters=" AND ".join(filters) or "TRUE", seen=seen),
            *parameters,
        )
        if not ranked:
            return []
        story_ids = [int(row["story_id"]) for row in ranked]
        items = await read(
            self._pool,
            f"""
            SELECT i.id, i.story_id, i.source, i.link FROM items AS i
            WHERE i.story_id = ANY($1::bigint[]) AND i.published >= $2 AND i.published < $3
              AND {SHARED}
            ORDER BY i.story_id, i.published DESC, i.id DESC
            """,
            story_ids,
            utc(since),
            utc(until),
        )
        item_ids = [row["id"] for row in items]
        tagged_companies = await item_companies(self._pool, item_ids)
        tagged_topics = await item_topics(self._pool, item_ids)
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
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                item_count=int(row["item_count"]),
                sources=tuple(sorted(parts[int(row["story_id"])].sources)),
                companies=parts[int(row["story_id"])].ranked_companies(),
                links=tuple(parts[int(row["story_id"])].links),
                topics=tuple(sorted(parts[int(row["story_id"])].topics)),
            )
            for row in ranked
        ]

    async def company_counts(self, since: datetime, until: datetime) -> list[tuple[Company, int]]:
        """How many stories each company had in ``[since, until)``, most first (then by id)."""
        if since >= until:
            return []
        rows = await read(
            self._pool,
            f"""
            SELECT c.id, c.name, count(DISTINCT i.story_id) AS stories
            FROM items AS i
            JOIN item_companies AS ic ON ic.item_id = i.id
            JOIN companies AS c ON c.id = ic.company_id
            WHERE i.published >= $1 AND i.published < $2 AND i.story_id IS NOT NULL
              AND {SHARED}
            GROUP BY c.id
            ORDER BY stories DESC, c.id
            """,
            utc(since),
            utc(until),
        )
        return [(Company(id=row[0], name=row[1]), int(row[2])) for row in rows]

    async def daily_story_counts(
        self, since: datetime, until: datetime, companies: Sequence[str] | None = None
    ) -> list[tuple[str, date, int]]:
        """(company id, UTC day, stories) for trend charts, by company then day."""
        if since >= until or (companies is not None and not companies):
            return []
        rows = await read(
            self._pool,
            f"""
            SELECT ic.company_id, (i.published AT TIME ZONE 'UTC')::date AS day,
                   count(DISTINCT i.story_id) AS stories
            FROM items AS i
            JOIN item_companies AS ic ON ic.item_id = i.id
            WHERE i.published >= $1 AND i.published < $2 AND i.story_id IS NOT NULL
              AND {SHARED} AND ($3::text[] IS NULL OR ic.company_id = ANY($3::text[]))
            GROUP BY ic.company_id, day
            ORDER BY ic.company_id, day
            """,
            utc(since),
            utc(until),
            None if companies is None else list(companies),
        )
        return [(str(row[0]), row[1], int(row[2])) for row in rows]

    async def period_titles(
        self, since: datetime, until: datetime, company: str | None = None
    ) -> list[str]:
        """Titles of the shared items published in ``[since, until)``, oldest first; ``company``
        keeps the items tagged with it."""
        if since >= until:
            return []
        rows = await read(
            self._pool,
            f"""
            SELECT i.title FROM items AS i
            WHERE i.published >= $1 AND i.published < $2 AND {SHARED}
              AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM item_companies AS ic
                                               WHERE ic.item_id = i.id AND ic.company_id = $3))
            ORDER BY i.published, i.id
            """,
            utc(since),
            utc(until),
            company,
        )
        return [str(row[0]) for row in rows]

    async def _company_ids(self, item_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The company ids of each item, in the tagger's order (one query)."""
        if not item_ids:
            return {}
        rows = await read(
            self._pool,
            "SELECT item_id, company_id FROM item_companies WHERE item_id = ANY($1::bigint[])"
            " ORDER BY item_id, position",
            list(item_ids),
        )
        found: dict[int, list[str]] = {}
        for item_id, company_id in rows:
            found.setdefault(item_id, []).append(company_id)
        return {item_id: tuple(ids) for item_id, ids in found.items()}


def _story_item(
    row: asyncpg.Record, companies: dict[int, tuple[str, ...]], text: str | None = None
) -> StoryItem:
    return StoryItem(
        item_id=row["id"],
        title=row["title"],
        summary=row["summary"],
        source=row["source"],
        published=row["published"],
        companies=companies.get(row["id"], ()),
        text=text,
    )


# The next free story id: the stored counter, or one above every id in use when that is
# higher (ids given out before the counter existed). The upsert locks the counter's row.
_RESERVE_STORY_IDS = """
WITH used AS (
    SELECT greatest(
        (SELECT coalesce(max(id), 0) FROM stories),
        (SELECT coalesce(max(story_id), 0) FROM items WHERE story_id IS NOT NULL),
        (SELECT coalesce(max(story_id), 0) FROM story_merges)) + 1 AS next
)
INSERT INTO meta (key, value)
SELECT 'story_ids.next', (used.next + $1::bigint)::text FROM used
ON CONFLICT (key) DO UPDATE SET value = (
    greatest(meta.value::bigint, (SELECT next FROM used)) + $1::bigint)::text
RETURNING value::bigint - $1::bigint
"""

"""The StoryRepository on both backends: what the clusterer reads and saves, the period queries."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.news.model.vocabulary import Company, Feed, LatestRequest, TaggedDraft
from bot.news.ports import Storage, StoryRepository
from bot.news.stories import PreparedItem, StoryItem, StoryMerge, StorySummary
from storage import Database
from storage._sql import Connections, to_db_time
from storage.postgres import PostgresStorage
from tests.storage.conftest import T0, add_feed, draft, poll

GUILD = 111_111_111_111_111_111
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = (T0, T0 + 7 * DAY)


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs on SQLite and PostgreSQL; those that count SQLite's own work
    (query plans, VM steps, statements) take ``sqlite_db``."""
    return storage


async def _store(
    db: Storage,
    feed: Feed,
    key: str,
    title: str = "",
    *,
    at: datetime = T0,
    published: datetime | None = None,
    companies: tuple[str, ...] = (),
    topics: tuple[str, ...] = (),
    summary: str = "",
    publisher: str | None = None,
) -> int:
    """Store one item first seen ``at`` (published then unless said) and return its id."""
    item = draft(
        key,
        title,
        summary,
        published=published or at,
        publisher=publisher,
        link=f"https://news.example/{feed.id}/{key}",
    )
    await db.items.apply(poll(feed, [TaggedDraft(item, companies, topics)], at=at))
    page = await db.items.latest(LatestRequest(feed_id=feed.id, limit=1000, all_guilds=True))
    [found] = [i for i in page.items if i.key == key]
    return found.id


def _summary(
    story_id: int,
    items: Sequence[StoryItem],
    headline: str = "",
    summary_line: str = "",
) -> StorySummary:
    """A StorySummary as the clusterer's summarize_story would shape it."""
    return StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(i.item_id for i in items)),
        sources=tuple(sorted({i.source for i in items})),
        first_seen=min(i.published for i in items),
        last_seen=max(i.published for i in items),
        companies=tuple(sorted({c for i in items for c in i.companies})),
        headline=headline or items[0].title,
        summary_line=summary_line,
    )


async def _cluster(db: Storage, stories: dict[int, Sequence[int]], at: datetime = T0) -> None:
    """Place items (by id) in stories and save the summaries, as the service would."""
    pending = {i.item_id: i for i in await db.stories.unassigned(10_000)}
    placed = await db.stories.story_items(list(stories))
    assignments = [(item_id, story_id) for story_id, ids in stories.items() for item_id in ids]
    summaries = []
    for story_id, ids in stories.items():
        members = {i.item_id: i for i in placed.get(story_id, [])}
        members.update({i: pending[i] for i in ids})
        summaries.append(_summary(story_id, list(members.values()), f"Story {story_id}"))
    await db.stories.save(assignments, summaries, at)


async def _rows(db: Storage, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query written for SQLite (``?`` parameters), with PostgreSQL's values in
    SQLite's form (unix microseconds, JSON text, 0/1), so one expectation fits both."""
    if isinstance(db, Database):
        with sqlite3.connect(Path(db.path)) as raw:
            return [tuple(row) for row in raw.execute(sql, parameters)]
    assert isinstance(db, PostgresStorage)
    numbered = iter(range(1, len(parameters) + 1))
    rows = await db.pool.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *parameters)
    return [tuple(_as_sqlite(value) for value in row) for row in rows]


def _as_sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_db_time(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    return value


async def _force_story(db: Storage, item_id: int, story_id: int) -> None:
    """Put an item in a story behind the repository's back (as a bug elsewhere might)."""
    if isinstance(db, Database):
        with sqlite3.connect(Path(db.path)) as raw:
            raw.execute("UPDATE items SET story_id = ? WHERE id = ?", (story_id, item_id))
        return
    assert isinstance(db, PostgresStorage)
    await db.pool.execute("UPDATE items SET story_id = $1 WHERE id = $2", story_id, item_id)


async def test_the_repository_implements_the_port(db: Storage) -> None:
    stories: StoryRepository = db.stories
    for name in vars(StoryRepository):
        if not name.startswith("_"):
            assert callable(getattr(stories, name)), name


# --- what the clusterer reads -----------------------------------------------------------------


async def test_unassigned_lists_shared_items_oldest_first(db: Storage) -> None:
    shared = await add_feed(db, "Retail Dive")
    other = await add_feed(db, "Modern Retail")
    private = await add_feed(db, "Private", guild_id=GUILD)
    p = await _store(db, private, "p", "Private scoop", at=T0 - 2 * HOUR)
    b = await _store(
        db,
        other,
        "b",
        "Temu and Shein face EU probe",
        at=T0 - HOUR,
        published=T0 - 3 * HOUR,
        companies=("temu", "shein"),
        summary="Brussels opens a case.",
        publisher="Reuters",
    )
    a = await _store(db, shared, "a", "Amazon fees", at=T0)
    c = await _store(db, shared, "c", "Later", at=T0 + HOUR)

    waiting = await db.stories.unassigned(10)
    assert [i.item_id for i in waiting] == [b, a, c]
    assert p not in {i.item_id for i in waiting}
    assert waiting[0] == StoryItem(
        item_id=b,
        title="Temu and Shein face EU probe",
        summary="Brussels opens a case.",
        source="Reuters",
        published=T0 - 3 * HOUR,
        companies=("temu", "shein"),  # the tagger's order
    )
    assert waiting[1].source == "Retail Dive"
    assert [i.item_id for i in await db.stories.unassigned(2)] == [b, a]
    assert [i.item_id for i in await db.stories.unassigned(10, since=T0)] == [a, c]
    assert await db.stories.unassigned(0) == []
    # Items being placed are left out, and the limit counts only the others.
    assert [i.item_id for i in await db.stories.unassigned(2, besides=[b])] == [a, c]
    assert [i.item_id for i in await db.stories.unassigned(10, since=T0, besides=[c])] == [a]

    await _cluster(db, {1: [b, a]})
    assert [i.item_id for i in await db.stories.unassigned(10)] == [c]


async def test_unplaced_published_asks_by_publication_not_first_seen(db: Storage) -> None:
    # What a due digest asks: is an item of its period (by its date) still without a story?
    shared = await add_feed(db, "Retail Dive")
    private = await add_feed(db, "Private", guild_id=GUILD)
    period = (T0, T0 + DAY)
    assert not await db.stories.unplaced_published(*period)
    await _store(db, private, "p", "Private scoop", at=T0 + HOUR)  # never in a story
    after = await _store(db, shared, "n", "Newer", at=T0 + DAY)  # first seen at the cut-off
    assert not await db.stories.unplaced_published(*period)
    # First seen after the cut-off, dated in the period: a feed's late item.
    late = await _store(db, shared, "l", "Late", at=T0 + DAY + HOUR, published=T0 + 3 * HOUR)
    assert await db.stories.unplaced_published(*period)
    assert not await db.stories.unplaced_published(T0 + 4 * HOUR, T0 + DAY)
    await _cluster(db, {1: [late], 2: [after]})
    assert not await db.stories.unplaced_published(*period)


async def test_held_and_unprepared_give_placed_items_by_publication(db: Storage) -> None:
    feed = await add_feed(db)
    private = await add_feed(db, "Private", guild_id=GUILD)
    old = await _store(db, feed, "old", at=T0 - DAY)
    a = await _store(db, feed, "a", at=T0, companies=("temu",))
    b = await _store(db, feed, "b", at=T0 + HOUR)
    await _store(db, feed, "waiting", at=T0 + 2 * HOUR)
    await _cluster(db, {1: [old, a], 2: [b]})
    p = await _store(db, private, "p", at=T0 + HOUR)
    await _force_story(db, p, 2)

    # Placed before any features were stored: all of them are "unprepared".
    assert await db.stories.held(T0) == []
    unprepared = await db.stories.unprepared(T0)
    assert sorted((item.item_id, story) for item, story in unprepared) == [(a, 1), (b, 2)]
    assert {item.item_id: item.companies for item, _ in unprepared}[a] == ("temu",)

    await db.stories.save([], [], T0, prepared={a: "features of a", b: "of b", p: "never"})
    held = sorted(await db.stories.held(T0), key=lambda r: r.item_id)
    assert held == [PreparedItem(a, 1, "features of a"), PreparedItem(b, 2, "of b")]
    assert [i.item_id for i, _ in await db.stories.unprepared(T0 - DAY)] == [old]
    # Features the clusterer could not read are prepared again, as if never stored.
    again = await db.stories.unprepared(T0, also=[b])
    assert [(item.item_id, story) for item, story in again] == [(b, 2)]
    assert await db.stories.held(T0 + DAY) == []


async def test_placed_pairs_and_the_clusterer_state(db: Storage) -> None:
    feed = await add_feed(db)
    private = await add_feed(db, "Private", guild_id=GUILD)
    old = await _store(db, feed, "old", at=T0 - DAY)
    a = await _store(db, feed, "a", at=T0)
    b = await _store(db, feed, "b", at=T0 + HOUR)
    await _store(db, feed, "waiting", at=T0 + 2 * HOUR)
    await _cluster(db, {1: [old, a], 2: [b]})
    p = await _store(db, private, "p", at=T0 + HOUR)
    await _force_story(db, p, 2)
    # Placed items by publication, features or not; never a private one.
    assert sorted(await db.stories.placed(T0)) == [(a, 1), (b, 2)]
    assert sorted(await db.stories.placed(T0 - DAY)) == [(old, 1), (a, 1), (b, 2)]

    assert await db.stories.clusterer_state() is None
    state = bytes(range(256)) * 3 + b"\x00"  # any bytes, NUL included, come back as they are
    await db.stories.save_clusterer_state(state, T0)
    assert await db.stories.clusterer_state() == state
    await db.stories.save_clusterer_state(b"newer", T0 + HOUR)
    assert await db.stories.clusterer_state() == b"newer"


async def test_merges_move_items_and_old_ids_resolve(db: Storage) -> None:
    feed = await add_feed(db)
    a = await _store(db, feed, "a", "Temu fined", at=T0)
    b = await _store(db, feed, "b", "Temu penalised", at=T0 + HOUR)
    c = await _store(db, feed, "c", "EU fines Temu", at=T0 + 2 * HOUR)
    await _cluster(db, {1: [a], 2: [b]})
    await _cluster(db, {3: [c]})
    members = await db.stories.story_items([1, 2, 3])
    merged = _summary(2, [i for items in members.values() for i in items], "Merged")
    await db.stories.save([], [merged], T0, merges=[StoryMerge(1, 2), StoryMerge(3, 2)])
    assert await _rows(db, "SELECT id, story_id FROM items ORDER BY id") == [(a, 2), (b, 2), (c, 2)]
    assert await _rows(db, "SELECT id, item_count FROM stories") == [(2, 3)]
    assert [await db.stories.resolve(i) for i in (1, 2, 3, 4)] == [2, 2, 2, 4]
    assert await db.stories.max_story_id() == 3
    # A story merged later takes the ids merged into it along.
    d = await _store(db, feed, "d", "Temu to appeal", at=T0 + 3 * HOUR)
    await _cluster(db, {9: [d]})
    members = await db.stories.story_items([2, 9])
    everything = [i for items in members.values() for i in items]
    await db.stories.save([], [_summary(9, everything)], T0, merges=[StoryMerge(2, 9)])
    assert [await db.stories.resolve(i) for i in (1, 2, 3)] == [9, 9, 9]


async def test_a_chain_of_merges_in_one_step_lands_on_the_last_story(db: Storage) -> None:
    feed = await add_feed(db)
    a = await _store(db, feed, "a", "Temu fined", at=T0)
    c = await _store(db, feed, "c", "EU fines Temu", at=T0 + HOUR)
    await _cluster(db, {1: [a], 3: [c]})
    # Story 2 was made and merged away within the step: it was never stored.
    members = await db.stories.story_items([1, 3])
    merged = _summary(3, [i for items in members.values() for i in items], "Merged")
    await db.stories.save([], [merged], T0, merges=[StoryMerge(1, 2), StoryMerge(2, 3)])
    assert await _rows(db, "SELECT id, story_id FROM items ORDER BY id") == [(a, 3), (c, 3)]
    assert [await db.stories.resolve(i) for i in (1, 2, 3)] == [3, 3, 3]


async def test_story_items_can_stop_at_each_storys_first_reports(db: Storage) -> None:
    feed = await add_feed(db)
    ids = [await _store(db, feed, f"k{n}", at=T0 + (5 - n) * HOUR) for n in range(5)]
    await _cluster(db, {1: ids})
    found = await db.stories.story_items([1], limit=2)
    assert [i.item_id for i in found[1]] == [ids[4], ids[3]]  # earliest published first


async def test_max_story_id(db: Storage) -> None:
    assert await db.stories.max_story_id() == 0
    feed = await add_feed(db)
    a = await _store(db, feed, "a")
    b = await _store(db, feed, "b")
    await _cluster(db, {7: [a], 3: [b]})
    assert await db.stories.max_story_id() == 7


async def test_story_items_groups_the_shared_items_of_each_story(db: Storage) -> None:
    feed = await add_feed(db)
    private = await add_feed(db, "Private", guild_id=GUILD)
    a = await _store(db, feed, "a", companies=("amazon",))
    b = await _store(db, feed, "b", at=T0 + HOUR)
    c = await _store(db, feed, "c")
    await _cluster(db, {1: [b, a], 2: [c]})
    p = await _store(db, private, "p")
    await _force_story(db, p, 1)

    found = await db.stories.story_items([1, 2, 99])
    assert {s: [i.item_id for i in items] for s, items in found.items()} == {1: [a, b], 2: [c]}
    assert found[1][0].companies == ("amazon",)
    assert await db.stories.story_items([]) == {}


# --- saving -----------------------------------------------------------------------------------


async def test_save_places_items_and_stores_summaries(db: Storage) -> None:
    feed = await add_feed(db, "Retail Dive")
    a = await _store(db, feed, "a", "Temu fined", companies=("temu",), publisher="Reuters")
    b = await _store(db, feed, "b", "Temu fined again", at=T0 + HOUR, companies=("temu", "shein"))
    items = await db.stories.unassigned(10)
    summary = StorySummary(
        story_id=5,
        item_ids=(a, b),
        sources=("Reuters", "Retail Dive"),
        first_seen=T0,
        last_seen=T0 + HOUR,
        companies=("shein", "temu"),
        headline="Temu fined",
        summary_line="Regulators fined Temu.",
    )
    await db.stories.save([(i.item_id, 5) for i in items], [summary], T0 + DAY)

    assert await _rows(db, "SELECT * FROM stories") == [
        (
            5,
            "Temu fined",
            "Regulators fined Temu.",
            to_db_time(T0),
            to_db_time(T0 + HOUR),
            2,
            2,
            '["Retail Dive","Reuters"]',  # computed from the items, sorted
            '["shein","temu"]',
            to_db_time(T0 + DAY),
            None,
        )
    ]
    page = await db.items.latest(LatestRequest())
    assert {i.key: i.story_id for i in page.items} == {"a": 5, "b": 5}


async def test_save_is_idempotent(db: Storage) -> None:
    feed = await add_feed(db)
    a = await _store(db, feed, "a")
    b = await _store(db, feed, "b")
    items = await db.stories.unassigned(10)
    first = _summary(1, items[:1])
    await db.stories.save([(a, 1)], [first], T0)
    before = await _rows(db, "SELECT * FROM stories")
    await db.stories.save([(a, 1)], [first], T0 + HOUR)  # a replay, later
    assert await _rows(db, "SELECT * FROM stories") == before  # updated_at kept: nothing changed

    grown = _summary(1, items)
    await db.stories.save([(b, 1)], [grown], T0 + DAY)
    [row] = await _rows(db, "SELECT item_count, updated_at FROM stories")
    assert row == (2, to_db_time(T0 + DAY))
    assert await _rows(db, "SELECT id, story_id FROM items ORDER BY id") == [(a, 1), (b, 1)]
    await db.stories.save([], [], T0)  # nothing to do


async def test_save_is_atomic(db: Storage) -> None:
    feed = await add_feed(db)
    a = await _store(db, feed, "a")
    b = await _store(db, feed, "b")
    items = await db.stories.unassigned(10)
    # Story 2 is neither stored nor summarised: the whole step is refused.
    with pytest.raises(ValueError, match="unknown story"):
        await db.stories.save([(a, 1), (b, 2)], [_summary(1, items[:1])], T0)
    assert await _rows(db, "SELECT count(*) FROM stories") == [(0,)]
    assert len(await db.stories.unassigned(10)) == 2
    # The database is still usable afterwards.
    await db.stories.save([(a, 1), (b, 1)], [_summary(1, items)], T0)
    assert await db.stories.unassigned(10) == []


async def test_save_skips_private_and_removed_items(db: Storage) -> None:
    feed = await add_feed(db)
    gone = await add_feed(db, "Gone")
    private = await add_feed(db, "Private", guild_id=GUILD)
    a = await _store(db, feed, "a")
    g = await _store(db, gone, "g")
    p = await _store(db, private, "p")
    items = [i for i in await db.stories.unassigned(10) if i.item_id == a]
    await db.feeds.remove(gone.id)
    await db.stories.save([(a, 1), (g, 1), (p, 1)], [_summary(1, items)], T0)
    assert await _rows(db, "SELECT id, story_id FROM items ORDER BY id") == [(a, 1), (p, None)]


# --- period queries -------------------------------------------------------------------------


async def _newsroom(db: Storage) -> dict[str, int]:
    """Four stories in the week of T0 (and one item before it), plus private noise."""
    await db.items.register_companies([Company("temu", "Temu"), Company("shein", "SHEIN")])
    reuters = await add_feed(db, "Reuters")
    dive = await add_feed(db, "Retail Dive")
    glossy = await add_feed(db, "Glossy")
    private = await add_feed(db, "Private", guild_id=GUILD)
    ids = {
        # story 1: Temu fined; three sources in the week, one report the week before
        "1-early": await _store(db, reuters, "1-early", "Temu probe opens", at=T0 - DAY),
        "1a": await _store(
            db, reuters, "1a", "Temu fined", at=T0 + HOUR, companies=("temu",), topics=("legal",)
        ),
        "1b": await _store(
            db,
            dive,
            "1b",
            "Temu fined €40m",
            at=T0 + 2 * HOUR,
            companies=("temu", "shein"),
            topics=("fees", "legal"),
        ),
        "1c": await _store(db, glossy, "1c", "Temu's fine", at=T0 + 3 * HOUR, companies=("temu",)),
        "1d": await _store(db, glossy, "1d", "Temu fine, more", at=T0 + 4 * HOUR),
        # story 2: two sources, the newest
        "2a": await _store(db, reuters, "2a", "Shein IPO", at=T0 + DAY, companies=("shein",)),
        "2b": await _store(db, dive, "2b", "Shein files", at=T0 + DAY + HOUR, companies=("shein",)),
        # story 3: two sources, older than story 2
        "3a": await _store(db, reuters, "3a", "Amazon fees", at=T0 + 5 * HOUR, topics=("fees",)),
        "3b": await _store(db, glossy, "3b", "Amazon fees up", at=T0 + 6 * HOUR),
        # story 4: one source, two items
        "4a": await _store(db, dive, "4a", "Otto update", at=T0 + 2 * DAY),
        "4b": await _store(db, dive, "4b", "Otto update 2", at=T0 + 2 * DAY + HOUR),
        # never placed
        "loose": await _store(db, dive, "loose", "Temu loose end", at=T0 + 3 * DAY),
    }
    await _cluster(
        db,
        {
            1: [ids[k] for k in ("1-early", "1a", "1b", "1c", "1d")],
            2: [ids["2a"], ids["2b"]],
            3: [ids["3a"], ids["3b"]],
            4: [ids["4a"], ids["4b"]],
        },
    )
    # A private item about Temu, wrongly put in story 4 and in a story of its own.
    ids["private"] = await _store(
        db, private, "private", "Temu secret", at=T0 + HOUR, companies=("temu",), topics=("legal",)
    )
    ids["private-2"] = await _store(
        db, private, "private-2", "Shein secret", at=T0 + HOUR, companies=("shein",)
    )
    secret = StoryItem(ids["private-2"], "Shein secret", "", "Private", T0 + HOUR, ("shein",))
    await db.stories.save([], [_summary(9, [secret])], T0)
    await _force_story(db, ids["private"], 4)
    await _force_story(db, ids["private-2"], 9)
    return ids


async def test_top_stories_ranks_by_sources_then_recency(db: Storage) -> None:
    await _newsroom(db)
    top = await db.stories.top_stories(*WEEK)
    assert [s.id for s in top] == [1, 2, 3, 4]
    first = top[0]
    assert first.headline == "Story 1"
    assert first.item_count == 4  # the report of the week before is not counted
    assert first.sources == ("Glossy", "Retail Dive", "Reuters")
    assert (first.first_seen, first.last_seen) == (T0 + HOUR, T0 + 4 * HOUR)
    assert first.links == tuple(
        f"https://news.example/{feed}/{key}" for feed, key in ((3, "1d"), (3, "1c"), (2, "1b"))
    )
    assert first.companies == (Company("temu", "Temu"), Company("shein", "SHEIN"))
    assert first.topics == ("fees", "legal")
    fourth = top[3]
    assert (fourth.item_count, fourth.sources, fourth.companies, fourth.topics) == (
        2,
        ("Retail Dive",),
        (),
        (),
    )  # the private item put in it counts for nothing
    assert [s.id for s in await db.stories.top_stories(*WEEK, limit=2)] == [1, 2]
    assert await db.stories.top_stories(*WEEK, limit=0) == []


async def test_top_stories_counts_only_the_period(db: Storage) -> None:
    await _newsroom(db)
    before = await db.stories.top_stories(T0 - DAY, T0)
    assert [(s.id, s.item_count, s.sources) for s in before] == [(1, 1, ("Reuters",))]
    day_two = await db.stories.top_stories(T0 + DAY, T0 + 2 * DAY)
    assert [s.id for s in day_two] == [2]
    assert await db.stories.top_stories(T0 + 4 * DAY, T0 + 5 * DAY) == []
    assert await db.stories.top_stories(T0 + DAY, T0 + DAY) == []  # an empty period


async def test_a_new_feeds_old_backlog_is_not_this_periods_news(db: Storage) -> None:
    """A feed added today brings last month's items: they are stored and searchable, but a
    summary, a trend or a digest of this week counts only those published this week (periods
    are by publication time, so the backlog needs no rule of its own)."""
    feed = await add_feed(db, "Newly added")
    old = draft("old", "Temu fined last month", published=T0 - 20 * DAY, publisher="A")
    recent = draft("new", "Temu opens a warehouse", published=T0 - 2 * DAY, publisher="A")
    await db.items.apply(
        poll(
            feed, [TaggedDraft(old, ("temu",)), TaggedDraft(recent, ("temu",))], at=T0, backlog=True
        )
    )
    ids = {i.item_id: i for i in await db.stories.unassigned(100)}
    await _cluster(db, {1: [min(ids)], 2: [max(ids)]})
    week = (T0 - 7 * DAY, T0 + DAY)
    assert [s.headline for s in await db.stories.top_stories(*week)] == ["Story 2"]
    assert [(c.id, n) for c, n in await db.stories.company_counts(*week)] == [("temu", 1)]
    assert await db.stories.period_titles(*week, None) == ["Temu opens a warehouse"]
    counts = await db.stories.daily_story_counts(*week, ["temu"])
    assert [n for _, _, n in counts] == [1]
    # Over a period long enough to hold its publication date, the old item counts again.
    assert len(await db.stories.top_stories(T0 - 30 * DAY, T0 + DAY)) == 2


async def test_periods_and_days_follow_publication_not_the_poll(db: Storage) -> None:
    """Items polled together at T0 but published over the days before count on their own days:
    the tester's trend put a week of news on the poll day and a 24-hour summary found none."""
    await db.items.register_companies([Company("temu", "Temu")])
    feed = await add_feed(db, "Wire")
    ids = {
        n: await _store(
            db,
            feed,
            f"d{n}",
            f"Temu story {n}",
            at=T0,
            published=T0 - n * DAY + HOUR,
            companies=("temu",),
        )
        for n in (1, 3, 5)
    }
    await _cluster(db, {n: [item] for n, item in ids.items()})
    day = T0.date()
    assert await db.stories.daily_story_counts(T0 - 7 * DAY, T0 + HOUR, ["temu"]) == [
        ("temu", day - timedelta(days=5), 1),
        ("temu", day - timedelta(days=3), 1),
        ("temu", day - timedelta(days=1), 1),
    ]
    last_day = (T0 - DAY + HOUR, T0 + HOUR)
    assert [s.id for s in await db.stories.top_stories(*last_day)] == [1]
    assert await db.stories.company_counts(*last_day) == [(Company("temu", "Temu"), 1)]
    assert await db.stories.period_titles(*last_day) == ["Temu story 1"]
    # The poll's own day saw no story published.
    assert await db.stories.top_stories(T0 - HOUR, T0 + HOUR) == []
    # Oldest first means first published.
    assert await db.stories.period_titles(T0 - 7 * DAY, T0 + HOUR) == [
        "Temu story 5",
        "Temu story 3",
        "Temu story 1",
    ]


async def test_an_item_without_a_date_or_from_the_future_counts_at_its_poll(
    db: Storage,
) -> None:
    feed = await add_feed(db, "Wire")
    undated = draft("undated", "No date given", published=None)
    future = draft("future", "A wrong feed clock", published=T0 + 30 * DAY)
    await db.items.apply(
        poll(feed, [TaggedDraft(undated, ("x",)), TaggedDraft(future, ("x",))], at=T0 + HOUR)
    )
    await _cluster(db, {1: [i.item_id for i in await db.stories.unassigned(10)]})
    assert await db.stories.daily_story_counts(*WEEK, ["x"]) == [("x", T0.date(), 1)]
    [story] = await db.stories.top_stories(T0 + HOUR, T0 + 2 * HOUR)
    assert story.item_count == 2
    assert await db.stories.top_stories(T0 + 2 * HOUR, T0 + 60 * DAY) == []


async def test_period_queries_walk_the_publication_index(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every period query reads the period through items_published (or the stories' items
    through items_story), never the whole items table."""
    db = sqlite_db
    await _newsroom(db)
    plans: list[str] = []
    original = Connections.read

    async def explaining(self: Connections, sql: str, parameters: Any = ()) -> Any:
        if isinstance(parameters, dict) and "until" in parameters:
            rows = await _rows(db, "EXPLAIN QUERY PLAN " + sql, parameters)  # type: ignore[arg-type]
            plans.append("\n".join(str(row[3]) for row in rows))
        return await original(self, sql, parameters)

    monkeypatch.setattr(Connections, "read", explaining)
    await db.stories.top_stories(*WEEK)
    await db.stories.top_stories(*WEEK, company="temu", topic="legal")
    await db.stories.company_counts(*WEEK)
    await db.stories.daily_story_counts(*WEEK, ["temu"])
    await db.stories.daily_story_counts(*WEEK, None)
    await db.stories.period_titles(*WEEK)
    await db.stories.period_titles(*WEEK, "temu")
    assert len(plans) == 9  # top_stories reads its period twice: the ranking, then the links
    for plan in plans:
        assert "USING INDEX items_published (published>? AND published<?)" in plan or (
            "USING INDEX items_story" in plan
        ), plan
        assert "SCAN i\n" not in plan + "\n" and "SCAN items" not in plan, plan
    assert sum("items_published" in plan for plan in plans) == 7


async def test_top_stories_filters_by_company_and_topic(db: Storage) -> None:
    await _newsroom(db)

    async def ranked(company: str | None = None, topic: str | None = None) -> list[int]:
        return [s.id for s in await db.stories.top_stories(*WEEK, company=company, topic=topic)]

    assert await ranked(company="shein") == [1, 2]
    assert await ranked(company="temu") == [1]  # not story 4: its Temu item is private
    assert await ranked(topic="fees") == [1, 3]
    assert await ranked(topic="legal") == [1]
    assert await ranked(company="shein", topic="fees") == [1]
    assert await ranked(company="shein", topic="launches") == []
    # A filtered story still shows all its items of the period.
    [story] = await db.stories.top_stories(*WEEK, company="shein", topic="fees")
    assert story.item_count == 4


async def test_top_stories_reads_in_four_queries(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sqlite_db
    await _newsroom(db)
    reads = 0
    original = Connections.read

    async def counting(self: Connections, sql: str, parameters: Any = ()) -> Any:
        nonlocal reads
        reads += 1
        return await original(self, sql, parameters)

    monkeypatch.setattr(Connections, "read", counting)
    assert len(await db.stories.top_stories(*WEEK, company="temu", topic="legal")) == 1
    assert reads == 4


async def test_company_counts(db: Storage) -> None:
    await _newsroom(db)
    assert await db.stories.company_counts(*WEEK) == [
        (Company("shein", "SHEIN"), 2),
        (Company("temu", "Temu"), 1),
    ]
    # The week before saw story 1's first report, tagged with nobody.
    assert await db.stories.company_counts(T0 - DAY, T0) == []


async def test_daily_story_counts(db: Storage) -> None:
    await _newsroom(db)  # its private Temu item of T0's day counts for nothing
    day = date(2026, 11, 1)  # T0's UTC day
    assert await db.stories.daily_story_counts(*WEEK, None) == [
        ("shein", day, 1),
        ("shein", day + timedelta(days=1), 1),
        ("temu", day, 1),
    ]
    assert await db.stories.daily_story_counts(*WEEK, ["temu", "otto"]) == [("temu", day, 1)]
    assert await db.stories.daily_story_counts(*WEEK, []) == []
    # Two stories the same day count twice; two items of one story once.
    feed = await add_feed(db, "Another")
    extra = await _store(db, feed, "x", at=T0 + 9 * HOUR, companies=("temu",))
    await _cluster(db, {1: [extra]})
    assert ("temu", day, 1) in await db.stories.daily_story_counts(*WEEK, ["temu"])
    other = await _store(db, feed, "y", at=T0 + 10 * HOUR, companies=("temu",))
    await _cluster(db, {10: [other]})
    assert await db.stories.daily_story_counts(*WEEK, ["temu"]) == [("temu", day, 2)]


async def test_daily_story_counts_splits_at_utc_midnight(db: Storage) -> None:
    feed = await add_feed(db)
    midnight = datetime(2026, 11, 2, tzinfo=T0.tzinfo)
    late = await _store(db, feed, "late", at=midnight - timedelta(microseconds=1), companies=("x",))
    early = await _store(db, feed, "early", at=midnight, companies=("x",))
    await _cluster(db, {1: [late, early]})
    assert await db.stories.daily_story_counts(*WEEK, ["x"]) == [
        ("x", date(2026, 11, 1), 1),
        ("x", date(2026, 11, 2), 1),
    ]


async def test_period_titles(db: Storage) -> None:
    await _newsroom(db)
    titles = await db.stories.period_titles(*WEEK)
    assert titles[:2] == ["Temu fined", "Temu fined €40m"]
    assert "Temu loose end" in titles  # placed in a story or not
    assert "Temu probe opens" not in titles  # the week before
    assert not {"Temu secret", "Shein secret"} & set(titles)
    assert await db.stories.period_titles(*WEEK, "temu") == [
        "Temu fined",
        "Temu fined €40m",
        "Temu's fine",
    ]
    assert await db.stories.period_titles(T0, T0) == []


async def test_removing_a_feed_takes_its_items_out_of_their_stories(db: Storage) -> None:
    feed = await add_feed(db, "Reuters")
    gone = await add_feed(db, "Gone")
    a = await _store(db, feed, "a", companies=("temu",))
    b = await _store(db, gone, "b", companies=("temu",))
    await _cluster(db, {1: [a, b]})
    await db.feeds.remove(gone.id)
    [story] = await db.stories.top_stories(*WEEK)
    assert (story.item_count, story.sources) == (1, ("Reuters",))
    [kept] = (await db.stories.story_items([1]))[1]
    assert kept.item_id == a
    await db.feeds.remove(feed.id)
    assert await db.stories.top_stories(*WEEK) == []
    assert await db.stories.max_story_id() == 1  # the story row stays: ids are never reused


# --- scale ------------------------------------------------------------------------------------


async def test_top_stories_over_a_week_of_5000_items(sqlite_db: Database) -> None:
    """A week of 5,000 shared items in 1,500 stories (and 5,000 items of the week before)."""
    db = sqlite_db
    feeds = [await add_feed(db, f"Feed {n}") for n in range(20)]
    companies = ["amazon", "temu", "shein", "walmart", "otto"]
    topics = ["fees", "policy", "logistics", "earnings", "launches", "legal"]
    polls: list[list[TaggedDraft]] = []
    start = T0 - 7 * DAY
    for n in range(10_000):
        if n % 500 == 0:
            polls.append([])
        polls[-1].append(
            TaggedDraft(
                draft(f"k{n}", f"Story {n % 1500} report {n}", published=None),
                (companies[n % 5], companies[n % 3]) if n % 5 != n % 3 else (companies[n % 5],),
                (topics[n % 6],) if n % 2 else (),
            )
        )
    for index, drafts in enumerate(polls):
        at = start + index * (14 * DAY / len(polls))
        await db.items.apply(poll(feeds[index % len(feeds)], drafts, at=at))
    rows = await _rows(db, "SELECT id, key FROM items")
    stories: dict[int, list[int]] = {}
    for item_id, key in rows:
        n = int(key[1:])
        stories.setdefault(1 + (n % 1500) + 1500 * (n // 5000), []).append(item_id)
    summaries = [
        StorySummary(s, tuple(ids), (f"Feed {s % 20}",), T0, T0, (), f"Story {s}", "")
        for s, ids in stories.items()
    ]
    await db.stories.save([(i, s) for s, ids in stories.items() for i in ids], summaries, T0)
    assert await _rows(db, "SELECT count(*) FROM items WHERE story_id IS NOT NULL") == [(10_000,)]

    # Work is counted, not timed (a busy machine makes any figure flaky; benchmarks/summary.py
    # times summaries over such a week): SQLite calls the progress handler every 1,000
    # virtual-machine steps, so the count follows the rows read, whatever the machine.
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    await db._connections.reader.set_progress_handler(step, 1000)

    async def work(start: datetime, end: datetime, **filters: Any) -> int:
        nonlocal steps
        steps = 0
        top = await db.stories.top_stories(start, end, **filters)
        assert len(top) == (0 if (start, end) == nothing else 10)
        return steps

    nothing = (T0 - 30 * DAY, T0 - 23 * DAY)
    fortnight = (T0 - 7 * DAY, WEEK[1])
    variants: list[dict[str, Any]] = [
        {},
        {"company": "otto"},
        {"company": "amazon", "topic": "policy"},
    ]
    for filters in variants:
        week = await work(*WEEK, **filters)
        # The period's index bounds the work: a week with nothing in it reads (almost) nothing,
        # where a full scan would read all 10,000 items; two weeks cost about twice one.
        assert await work(*nothing, **filters) * 50 <= week, filters
        assert week <= 0.6 * await work(*fortnight, **filters), filters
    expected = [
        row[0] for row in await _rows(db, "SELECT DISTINCT source FROM items WHERE story_id = 1")
    ]
    stored = json.loads((await _rows(db, "SELECT sources FROM stories WHERE id = 1"))[0][0])
    assert stored == sorted(expected)


async def test_the_assigner_does_a_bounded_amount_per_run(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge backlog is placed over several work-loop ticks, so delivery is not held back."""
    from bot.news.services import story_assigner as storyline

    monkeypatch.setattr(storyline, "BATCH", 2)
    monkeypatch.setattr(storyline, "MAX_PER_RUN", 3)
    feed = await add_feed(db, "Wire")
    drafts = [TaggedDraft(draft(f"k{n}", f"Unrelated story number {n}"), ()) for n in range(7)]
    await db.items.apply(poll(feed, drafts, at=T0))

    class Clock:
        def now(self) -> datetime:
            return T0 + HOUR

    assigner = storyline.StoryAssigner(stories=db.stories, clock=Clock())
    assert [await assigner.run() for _ in range(4)] == [4, 3, 0, 0]
    assert await db.stories.unassigned(100) == []

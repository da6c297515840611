"""Collapsed ``latest`` and ``search``: each story once, with its other sources counted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

import storage.items
import storage.postgres.item_search
from bot.news.model.vocabulary import (
    Feed,
    Item,
    ItemPage,
    LatestRequest,
    SearchRequest,
    TaggedDraft,
)
from bot.news.ports import Storage
from bot.news.rules.search_query import parse_query
from bot.news.stories import StorySummary
from tests.storage.conftest import T0, add_feed, draft, poll

GUILD = 111_111_111_111_111_111
HOUR = timedelta(hours=1)


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs on SQLite and PostgreSQL: stories collapse the same on both."""
    return storage


async def _store(
    db: Storage,
    feed: Feed,
    key: str,
    title: str,
    published: datetime,
    *,
    publisher: str | None = None,
    companies: tuple[str, ...] = (),
) -> int:
    """Store one item and return its id."""
    item = draft(key, title, published=published, publisher=publisher)
    await db.items.apply(poll(feed, [TaggedDraft(item, companies)], at=T0))
    page = await db.items.latest(LatestRequest(feed_id=feed.id, limit=1000, all_guilds=True))
    [found] = [i for i in page.items if i.key == key]
    return found.id


async def _story(db: Storage, story_id: int, item_ids: Sequence[int]) -> None:
    """Place items in one story through the repository, as the StoryAssigner would."""
    summary = StorySummary(
        story_id=story_id,
        item_ids=tuple(sorted(item_ids)),
        sources=(),
        first_seen=T0 - 100 * HOUR,
        last_seen=T0,
        companies=(),
        headline=f"Story {story_id}",
        summary_line="",
    )
    await db.stories.save([(i, story_id) for i in item_ids], [summary], T0)


def _keys(page: ItemPage) -> list[str]:
    return [i.key for i in page.items]


def _counts(page: ItemPage) -> dict[str, int]:
    return {hit.item.key: hit.extra_sources for hit in page.hits}


@pytest.fixture
async def newsroom(db: Storage) -> Storage:
    """Story 1: five items from four sources (two from Reuters), one of them a month old and
    one about Temu; story 2: two items from one source; two items of no story; one private
    item of a server about the same event (never in a story)."""
    reuters = await add_feed(db, "Reuters")
    modern = await add_feed(db, "Modern Retail")
    dive = await add_feed(db, "Retail Dive")
    wire = await add_feed(db, "Wire")
    private = await add_feed(db, "Private", guild_id=GUILD)
    story_one = [
        await _store(db, reuters, "r1", "Temu tariff ruling", T0, companies=("temu",)),
        await _store(db, modern, "m1", "Tariff ruling hits Temu sellers", T0 - HOUR),
        await _store(db, dive, "d1", "Court issues tariff ruling", T0 - 3 * HOUR),
        await _store(db, reuters, "r2", "Tariff ruling: what it means", T0 - 4 * HOUR),
        # A feed whose publisher field names the source: the source, not the feed, counts.
        await _store(
            db, wire, "w1", "Tariff ruling, a month on", T0 - 30 * 24 * HOUR, publisher="AP"
        ),
    ]
    story_two = [
        await _store(db, modern, "m2", "Shein tariff filing", T0 - 2 * HOUR),
        await _store(db, modern, "m3", "Shein tariff filing, updated", T0 - 5 * HOUR),
    ]
    await _store(db, dive, "d2", "Amazon tariff surcharge", T0 - 2.5 * HOUR)
    await _store(db, wire, "w2", "Tariff calendar", T0 - 6 * HOUR)
    await _store(db, private, "p1", "Temu tariff ruling (our notes)", T0 - 0.5 * HOUR)
    await _story(db, 1, story_one)
    await _story(db, 2, story_two)
    return db


async def test_latest_collapses_each_story_to_its_newest_item(newsroom: Storage) -> None:
    db = newsroom
    page = await db.items.latest(LatestRequest(limit=10, guild_id=GUILD, collapse=True))
    assert _keys(page) == ["r1", "p1", "m2", "d2", "w2"]
    # Story 1: Modern Retail, Retail Dive and AP besides Reuters (whose second item adds
    # nothing); story 2 has no other source; the rest are in no story.
    assert _counts(page) == {"r1": 3, "p1": 0, "m2": 0, "d2": 0, "w2": 0}
    assert not page.has_more


async def test_latest_without_collapse_is_unchanged(newsroom: Storage) -> None:
    page = await newsroom.items.latest(LatestRequest(limit=20, guild_id=GUILD))
    assert _keys(page) == ["r1", "p1", "m1", "m2", "d2", "d1", "r2", "m3", "w2", "w1"]
    assert page.extra_sources == ()
    assert {hit.extra_sources for hit in page.hits} == {0}


async def test_private_items_are_never_collapsed_nor_shown_elsewhere(newsroom: Storage) -> None:
    elsewhere = await newsroom.items.latest(LatestRequest(limit=10, guild_id=42, collapse=True))
    assert _keys(elsewhere) == ["r1", "m2", "d2", "w2"]
    assert _counts(elsewhere)["r1"] == 3
    mine = await newsroom.items.latest(LatestRequest(limit=10, guild_id=GUILD, collapse=True))
    [private] = [i for i in mine.items if i.key == "p1"]
    assert private.story_id is None
    assert _counts(mine)["p1"] == 0


async def test_the_count_covers_the_whole_story_not_the_filtered_page(
    newsroom: Storage,
) -> None:
    page = await newsroom.items.latest(LatestRequest(company="temu", collapse=True))
    assert _keys(page) == ["r1"]
    assert _counts(page) == {"r1": 3}
    # Another item of the story represents it: its own source is the one left out.
    page = await newsroom.items.latest(LatestRequest(feed_id=3, collapse=True))
    assert _keys(page) == ["d2", "d1"]
    assert _counts(page) == {"d2": 0, "d1": 3}


async def test_latest_fills_the_page_past_long_runs_of_one_story(db: Storage) -> None:
    feeds = [await add_feed(db, f"Feed {n}") for n in range(12)]
    story = [
        await _store(db, feed, f"s{n}", f"Big story {n}", T0 - n * 0.1 * HOUR)
        for n, feed in enumerate(feeds)
    ]
    await _story(db, 7, story)
    for n in range(3):
        await _store(db, feeds[0], f"x{n}", f"Other news {n}", T0 - (5 + n) * HOUR)
    # limit 1 reads 8 rows first: all of them the big story's.
    page = await db.items.latest(LatestRequest(limit=1, collapse=True))
    assert _keys(page) == ["s0"]
    assert page.has_more
    assert _counts(page) == {"s0": 11}
    page = await db.items.latest(LatestRequest(limit=3, collapse=True))
    assert _keys(page) == ["s0", "x0", "x1"]
    assert page.has_more
    page = await db.items.latest(LatestRequest(limit=4, collapse=True))
    assert _keys(page) == ["s0", "x0", "x1", "x2"]
    assert not page.has_more


async def _search(db: Storage, text: str, **request: object) -> ItemPage:
    return await db.items.search(SearchRequest(text, **request), parse_query(text))  # type: ignore[arg-type]


def _first_of_each_story(items: Sequence[Item]) -> list[str]:
    seen: set[int] = set()
    keys = []
    for item in items:
        if item.story_id is not None:
            if item.story_id in seen:
                continue
            seen.add(item.story_id)
        keys.append(item.key)
    return keys


async def test_search_shows_each_story_once_by_its_best_ranked_item(newsroom: Storage) -> None:
    db = newsroom
    ranking = (await _search(db, "tariff", limit=100, guild_id=GUILD)).items
    assert len(ranking) == 10
    page = await _search(db, "tariff", limit=100, guild_id=GUILD, collapse=True)
    assert _keys(page) == _first_of_each_story(ranking)
    assert len(page.items) == 5  # stories 1 and 2, d2, w2 and the private p1
    [first_of_story] = [i.key for i in page.items if i.story_id == 1]
    counts = _counts(page)
    assert counts.pop(first_of_story) == 3
    assert set(counts.values()) == {0}


async def test_search_pages_of_stories_never_repeat(newsroom: Storage) -> None:
    db = newsroom
    everything = _keys(await _search(db, "tariff", limit=100, guild_id=GUILD, collapse=True))
    for size in (1, 2, 4):
        seen: list[str] = []
        offset = 0
        while True:
            page = await _search(
                db, "tariff", limit=size, offset=offset, guild_id=GUILD, collapse=True
            )
            seen += _keys(page)
            if not page.has_more:
                break
            assert len(page.items) == size
            offset += size
        assert seen == everything, size


async def test_search_widens_a_window_that_one_story_fills(
    db: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    for backend in (storage.items, storage.postgres.item_search):
        monkeypatch.setattr(backend, "SEARCH_WINDOW", 4)
        monkeypatch.setattr(backend, "MAX_SEARCH_WINDOW", 64)
    feeds = [await add_feed(db, f"Feed {n}") for n in range(10)]
    old = [
        await _store(db, feeds[n % 10], f"o{n}", f"Robot warehouse {n}", T0 - (20 + n) * HOUR)
        for n in range(3)
    ]
    story = [
        await _store(db, feed, f"s{n}", f"Robot warehouse opens {n}", T0 - n * 0.1 * HOUR)
        for n, feed in enumerate(feeds)
    ]
    await _story(db, 3, story)
    assert len(old) == 3
    page = await _search(db, "robot warehouse", limit=2, collapse=True)
    assert len(page.items) == 2
    assert page.has_more
    rest = await _search(db, "robot warehouse", limit=2, offset=2, collapse=True)
    assert len(rest.items) == 2
    assert set(_keys(page)).isdisjoint(_keys(rest))
    last = await _search(db, "robot warehouse", limit=2, offset=4, collapse=True)
    assert _keys(last) == []
    assert not last.has_more


async def test_search_without_stories_is_the_plain_ranking(db: Storage) -> None:
    feed = await add_feed(db)
    for n in range(5):
        await _store(db, feed, f"k{n}", f"Parcel lockers {n}", T0 - n * HOUR)
    plain = await _search(db, "parcel lockers", limit=3)
    collapsed = await _search(db, "parcel lockers", limit=3, collapse=True)
    assert _keys(plain) == _keys(collapsed)
    assert plain.has_more and collapsed.has_more
    assert collapsed.extra_sources == (0, 0, 0)
    assert plain.extra_sources == ()
    empty = await _search(db, "parcel lockers", limit=3, offset=9, collapse=True)
    assert empty == ItemPage(items=(), has_more=False, extra_sources=())
    assert (await _search(db, "nothing here", collapse=True)).items == ()


def test_a_page_needs_one_count_per_item() -> None:
    with pytest.raises(ValueError, match="one count per item"):
        ItemPage(items=(), extra_sources=(1,))


async def test_syndicated_copies_that_rank_level_show_once(db: Storage) -> None:
    copies = [
        await _store(db, await add_feed(db, f"Syndicate {n}"), f"c{n}", "Parcel tax vote", T0)
        for n in range(3)
    ]
    await _story(db, 5, copies)
    page = await _search(db, "parcel tax", limit=5, collapse=True)
    assert len(page.items) == 1
    assert page.items[0].id in copies
    assert page.extra_sources == (2,)


async def test_search_reads_deeper_when_one_story_leads_the_ranking(db: Storage) -> None:
    feeds = [await add_feed(db, f"Feed {n}") for n in range(12)]
    story = [
        await _store(db, feed, f"s{n}", f"Robot warehouse {n}", T0 - n * 0.1 * HOUR)
        for n, feed in enumerate(feeds)
    ]
    await _story(db, 9, story)
    for n in range(3):
        await _store(
            db, feeds[0], f"o{n}", f"A long week of news, and a robot warehouse {n}", T0 - 50 * HOUR
        )
    ranking = (await _search(db, "robot warehouse", limit=100)).items
    assert [i.key for i in ranking[:8]] == [f"s{n}" for n in range(8)]
    # A page of one is grouped from 8 rows at first: all of them the story's.
    pages = [
        await _search(db, "robot warehouse", limit=1, offset=n, collapse=True) for n in range(5)
    ]
    assert [_keys(p) for p in pages] == [
        ["s0"],
        ["o2"],
        ["o1"],
        ["o0"],
        [],
    ]  # same date: newest id first
    assert [p.has_more for p in pages] == [True, True, True, False, False]
    assert pages[0].extra_sources == (11,)

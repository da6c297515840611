"""The hand-written extra tuning set (tests/data/stories_tuning/part_c.jsonl) has the shape
issue 8 asks of tuning data, and stays apart from the held-out set."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from tests.news import story_holdout


def test_every_line_parses_with_unique_ids_and_links() -> None:
    path = story_holdout.TUNING_DIR / "part_c.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    raw = [json.loads(line) for line in lines]
    fields = {"id", "event", "lookalike_of", "title", "summary", "source", "published", "link"}
    assert all(set(r) == fields for r in raw)
    rows = story_holdout.tuning_rows()
    assert len(rows) == len(raw) >= 240
    assert len({r.key for r in rows}) == len(rows)
    assert len({r.link for r in rows}) == len(rows)
    assert all(r.title.strip() and r.source.strip() for r in rows)
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    assert all(r.published.tzinfo is not None and start <= r.published < end for r in rows)


def test_events_outlets_and_lookalikes() -> None:
    rows = story_holdout.tuning_rows()
    outlets: dict[str, set[str]] = {}
    for row in rows:
        outlets.setdefault(row.event, set()).add(row.source)
    main = {event: names for event, names in outlets.items() if "-" not in event}
    assert len(main) >= 14
    assert all(len(names) >= 10 for names in main.values()), {
        e: len(n) for e, n in main.items() if len(n) < 10
    }
    lookalikes = {event for event in outlets if "-" in event}
    assert len(lookalikes) >= 60
    for row in rows:
        if "-" in row.event:
            assert row.lookalike_of, row.key
            assert row.main_event in main, row.key
        else:
            assert not row.lookalike_of, row.key
        assert all(other in outlets and other != row.event for other in row.lookalike_of)
    # A look-alike is told by 1-3 outlets, each once.
    assert all(1 <= len(outlets[event]) <= 3 for event in lookalikes)
    assert max(Counter((r.event, r.source) for r in rows).values()) == 1


def test_nothing_is_taken_from_the_held_out_set() -> None:
    tuning = story_holdout.tuning_rows()
    held = story_holdout.rows()
    assert all(r.event.startswith("t") and r.half == "tune" for r in tuning)
    assert not {r.title.casefold() for r in tuning} & {r.title.casefold() for r in held}
    assert not {r.link for r in tuning} & {r.link for r in held}
    assert len({r.title.casefold() for r in tuning}) == len(tuning)


def test_load_extra_tuning_numbers_items_like_load_and_leaves_load_alone() -> None:
    tuning = story_holdout.tuning_rows()
    for order in ("published", "feeds"):
        items = story_holdout.load_extra_tuning(order)
        assert [li.item.item_id for li in items] == list(range(1, len(tuning) + 1))
        assert {li.story for li in items} == {r.event for r in tuning}
    by_published = story_holdout.load_extra_tuning("published")
    assert [li.item.published for li in by_published] == sorted(r.published for r in tuning)
    # A look-alike and the event it resembles know each other.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "t02" in lookalikes["t02-l3"] and "t02-l3" in lookalikes["t02"]
    held = story_holdout.rows()
    assert len(story_holdout.load("all")) == len(held)
    assert not {li.story for li in story_holdout.load("all")} & {r.event for r in tuning}


# part_d: the second hand-written tuning file, aimed at precision (look-alikes that share
# company, place and topic with their event in the same week).


def test_part_d_parses_with_unique_ids_and_links() -> None:
    path = story_holdout.TUNING_DIR / "part_d.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    raw = [json.loads(line) for line in lines]
    fields = {"id", "event", "lookalike_of", "title", "summary", "source", "published", "link"}
    assert all(set(r) == fields for r in raw)
    rows = story_holdout.tuning_rows(("part_d",))
    assert len(rows) == len(raw) >= 260
    assert len({r.key for r in rows}) == len(rows)
    assert len({r.link for r in rows}) == len(rows)
    assert len({r.title.casefold() for r in rows}) == len(rows)
    assert all(r.title.strip() and r.source.strip() for r in rows)
    start, end = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC)
    assert all(r.published.tzinfo is not None and start <= r.published < end for r in rows)


def test_part_d_events_outlets_and_lookalikes() -> None:
    rows = story_holdout.tuning_rows(("part_d",))
    outlets: dict[str, set[str]] = {}
    for row in rows:
        outlets.setdefault(row.event, set()).add(row.source)
    main = {event: names for event, names in outlets.items() if "-" not in event}
    assert len(main) >= 12
    assert all(len(names) >= 9 for names in main.values()), {
        e: len(n) for e, n in main.items() if len(n) < 9
    }
    lookalikes = {event for event in outlets if "-" in event}
    assert sum(1 for r in rows if r.event in lookalikes) >= 90
    for row in rows:
        assert row.event.startswith("d") and row.half == "tune", row.key
        if "-" in row.event:
            assert row.lookalike_of, row.key
            assert row.main_event in main, row.key
        else:
            assert not row.lookalike_of, row.key
        assert all(other in outlets and other != row.event for other in row.lookalike_of)
    assert all(1 <= len(outlets[event]) <= 4 for event in lookalikes)
    assert max(Counter((r.event, r.source) for r in rows).values()) == 1


def test_part_d_shares_no_title_link_or_event_with_the_other_sets() -> None:
    part_d = story_holdout.tuning_rows(("part_d",))
    others = story_holdout.rows() + story_holdout.tuning_rows(("part_c",))
    assert not {r.title.casefold() for r in part_d} & {r.title.casefold() for r in others}
    assert not {r.link for r in part_d} & {r.link for r in others}
    assert not {r.event for r in part_d} & {r.event for r in others}


def test_load_extra_tuning_loads_part_c_and_part_d_alone_or_together() -> None:
    part_c = story_holdout.tuning_rows()
    part_d = story_holdout.tuning_rows(("part_d",))
    assert part_c == story_holdout.tuning_rows(("part_c",))
    both = story_holdout.load_extra_tuning("feeds", story_holdout.EXTRA_TUNING_PARTS)
    assert [li.item.item_id for li in both] == list(range(1, len(part_c) + len(part_d) + 1))
    assert {li.story for li in both} == {r.event for r in part_c + part_d}
    alone = story_holdout.load_extra_tuning("published", ("part_d",))
    assert {li.story for li in alone} == {r.event for r in part_d}
    assert [li.item.published for li in alone] == sorted(r.published for r in part_d)
    # The default is part_c alone, as before part_d existed; load() never sees either file.
    assert {li.story for li in story_holdout.load_extra_tuning()} == {r.event for r in part_c}
    lookalikes = {li.story: set(li.lookalikes) for li in alone}
    assert "d05-l1" in lookalikes["d05"] and "d05" in lookalikes["d05-l1"]
    assert len(story_holdout.load("all")) == len(story_holdout.rows())
    assert not {li.story for li in story_holdout.load("all")} & {r.event for r in part_d}

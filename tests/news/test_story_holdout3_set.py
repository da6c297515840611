"""The third hand-written held-out set (tests/data/stories_holdout3) has the shape issue 8 asks
of an evaluation set and shares nothing with the other sets. Nothing here runs a clusterer: the
set is scored by benchmarks/stories_eval.py --holdout3, to report, never to tune."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.news import story_holdout
from tests.news.story_holdout_checks import (
    events_outlets_and_lookalikes,
    loaded_in_both_orders,
    reports_differ_in_form_and_language,
    shares_nothing_with,
)

FIELDS = {"id", "event", "lookalike_of", "title", "summary", "source", "published", "link"}


def test_every_line_parses_with_unique_ids_titles_and_links() -> None:
    lines = story_holdout.HOLDOUT3_FILE.read_text(encoding="utf-8").splitlines()
    raw = [json.loads(line) for line in lines if line.strip()]
    assert all(set(r) == FIELDS for r in raw)
    assert all(isinstance(r["lookalike_of"], list) for r in raw)
    rows = story_holdout.holdout3_rows()
    assert len(rows) == len(raw) >= 450
    assert [r.key for r in rows] == [f"k{n:03d}" for n in range(1, len(rows) + 1)]
    assert len({r.link for r in rows}) == len(rows)
    assert len({r.title.casefold() for r in rows}) == len(rows)
    assert all(r.title.strip() == r.title and r.title and r.source.strip() for r in rows)
    assert all(r.link.startswith("https://") and r.link.endswith(r.key[1:]) for r in rows)
    # Rumours from early November, the week of 16-22 November, follow-ups to the 25th.
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)
    assert all(r.published.utcoffset() is not None for r in rows)
    assert all(start <= r.published < end for r in rows)


def test_events_outlets_and_lookalikes() -> None:
    events_outlets_and_lookalikes(
        story_holdout.holdout3_rows(), "k", outlets=(10, 16), lookalikes=90, roundups=8
    )


def test_reports_differ_in_form_and_language() -> None:
    reports_differ_in_form_and_language(story_holdout.holdout3_rows(), non_ascii=90)


def test_shares_no_event_title_or_link_with_the_other_sets() -> None:
    others = (
        story_holdout.rows()
        + story_holdout.tuning_rows(story_holdout.EXTRA_TUNING_PARTS)
        + story_holdout.holdout2_rows()
    )
    shares_nothing_with(story_holdout.holdout3_rows(), others)


def test_load_holdout3_numbers_items_in_both_orders_and_leaves_the_others_alone() -> None:
    rows = story_holdout.holdout3_rows()
    by_published = loaded_in_both_orders(rows, story_holdout.load_holdout3)
    # A look-alike and what it resembles know each other; a round-up resembles several.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "k04" in lookalikes["k04-l1"] and "k04-l1" in lookalikes["k04"]
    assert {"k04", "k09", "k10"} <= lookalikes["k04-l5"]
    held_out = {li.story for li in story_holdout.load_holdout2("published")}
    assert not ({li.story for li in story_holdout.load("all")} | held_out) & {r.event for r in rows}

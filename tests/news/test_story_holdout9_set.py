"""The ninth hand-written held-out set (tests/data/stories_holdout9) has the shape issue 8 asks
of an evaluation set and shares nothing with the other sets. Nothing here runs a clusterer: the
set is to be scored once, to report, never to tune."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.news import story_holdout
from tests.news.story_holdout_checks import (
    events_outlets_and_lookalikes,
    first_reports,
    loaded_in_both_orders,
    reports_differ_in_form_and_language,
    rows_parse_with_unique_ids_titles_and_links,
    shares_nothing_with,
)

# Scripts that only other languages use here (Devanagari, kana, CJK, Hangul, Thai).
_OTHER_SCRIPT = re.compile("[\u0900-\u097f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def test_every_line_parses_with_unique_ids_titles_and_links() -> None:
    rows = story_holdout.holdout9_rows()
    rows_parse_with_unique_ids_titles_and_links(story_holdout.HOLDOUT9_FILE, rows, "u")
    assert len(rows) >= 450
    # Rumours and previews from 13 April, the week of 20-26 April, follow-ups to 29 April.
    start, end = datetime(2026, 4, 13, tzinfo=UTC), datetime(2026, 4, 30, tzinfo=UTC)
    assert all(r.published.utcoffset() is not None for r in rows)
    assert all(start <= r.published < end for r in rows)
    # Every main event happens in the week itself (its first report).
    week = datetime(2026, 4, 20, tzinfo=UTC), datetime(2026, 4, 27, tzinfo=UTC)
    first = first_reports(rows)
    assert all(week[0] <= when < week[1] for when in first.values()), first


def test_events_outlets_and_lookalikes() -> None:
    events_outlets_and_lookalikes(
        story_holdout.holdout9_rows(), "u", outlets=(12, 13), lookalikes=120, roundups=15
    )


def test_reports_differ_in_form_and_language() -> None:
    rows = story_holdout.holdout9_rows()
    reports_differ_in_form_and_language(rows, non_ascii=55)
    # Forms the earlier sets use rarely: Asian scripts, "Headline - Publisher" feed titles
    # and all-lower forum posts.
    assert sum(1 for r in rows if _OTHER_SCRIPT.search(r.title)) >= 30
    assert sum(1 for r in rows if r.title.endswith(" - " + r.source)) >= 6
    assert sum(1 for r in rows if r.title == r.title.lower()) >= 4


def test_shares_no_event_title_or_link_with_the_other_sets() -> None:
    others = (
        story_holdout.rows()
        + story_holdout.tuning_rows(story_holdout.EXTRA_TUNING_PARTS)
        + story_holdout.holdout2_rows()
        + story_holdout.holdout3_rows()
        + story_holdout.holdout4_rows()
        + story_holdout.holdout5_rows()
        + story_holdout.holdout6_rows()
        + story_holdout.holdout7_rows()
        + story_holdout.holdout8_rows()
    )
    shares_nothing_with(story_holdout.holdout9_rows(), others)


def test_load_holdout9_numbers_items_in_both_orders_and_leaves_the_others_alone() -> None:
    rows = story_holdout.holdout9_rows()
    by_published = loaded_in_both_orders(rows, story_holdout.load_holdout9)
    # A look-alike and what it resembles know each other; a round-up resembles several.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "u03" in lookalikes["u03-l1"] and "u03-l1" in lookalikes["u03"]
    assert {"u04", "u10", "u20", "u17"} <= lookalikes["u04-l6"]
    held_out = {li.story for li in story_holdout.load_holdout2("published")}
    held_out |= {li.story for li in story_holdout.load_holdout3("published")}
    held_out |= {li.story for li in story_holdout.load_holdout4("published")}
    held_out |= {li.story for li in story_holdout.load_holdout5("published")}
    held_out |= {li.story for li in story_holdout.load_holdout6("published")}
    held_out |= {li.story for li in story_holdout.load_holdout7("published")}
    held_out |= {li.story for li in story_holdout.load_holdout8("published")}
    assert not ({li.story for li in story_holdout.load("all")} | held_out) & {r.event for r in rows}

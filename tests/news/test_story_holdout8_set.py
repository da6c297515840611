"""The eighth hand-written held-out set (tests/data/stories_holdout8) has the shape issue 8 asks
of an evaluation set and shares nothing with the other sets. Nothing here runs a clusterer: the
set is to be scored once, to report, never to tune."""

from __future__ import annotations

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


def test_every_line_parses_with_unique_ids_titles_and_links() -> None:
    rows = story_holdout.holdout8_rows()
    rows_parse_with_unique_ids_titles_and_links(story_holdout.HOLDOUT8_FILE, rows, "s")
    assert len(rows) >= 450
    # Rumours and previews from 1 June, the week of 8-14 June, follow-ups to 17 June.
    start, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 18, tzinfo=UTC)
    assert all(r.published.utcoffset() is not None for r in rows)
    assert all(start <= r.published < end for r in rows)
    # Every main event happens in the week itself (its first report).
    week = datetime(2026, 6, 8, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC)
    first = first_reports(rows)
    assert all(week[0] <= when < week[1] for when in first.values()), first


def test_events_outlets_and_lookalikes() -> None:
    events_outlets_and_lookalikes(
        story_holdout.holdout8_rows(), "s", outlets=(12, 13), lookalikes=120, roundups=15
    )


def test_reports_differ_in_form_and_language() -> None:
    reports_differ_in_form_and_language(story_holdout.holdout8_rows(), non_ascii=55)


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
    )
    shares_nothing_with(story_holdout.holdout8_rows(), others)


def test_load_holdout8_numbers_items_in_both_orders_and_leaves_the_others_alone() -> None:
    rows = story_holdout.holdout8_rows()
    by_published = loaded_in_both_orders(rows, story_holdout.load_holdout8)
    # A look-alike and what it resembles know each other; a round-up resembles several.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "s03" in lookalikes["s03-l1"] and "s03-l1" in lookalikes["s03"]
    assert {"s01", "s15", "s19"} <= lookalikes["s01-l6"]
    held_out = {li.story for li in story_holdout.load_holdout2("published")}
    held_out |= {li.story for li in story_holdout.load_holdout3("published")}
    held_out |= {li.story for li in story_holdout.load_holdout4("published")}
    held_out |= {li.story for li in story_holdout.load_holdout5("published")}
    held_out |= {li.story for li in story_holdout.load_holdout6("published")}
    held_out |= {li.story for li in story_holdout.load_holdout7("published")}
    assert not ({li.story for li in story_holdout.load("all")} | held_out) & {r.event for r in rows}

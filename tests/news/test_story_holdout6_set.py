"""The sixth hand-written set (tests/data/stories_holdout6) has the shape issue 8 asks of an
evaluation set and shares nothing with the other sets. Nothing here runs a clusterer. It was
held out and scored once (benchmarks/stories_eval.py --holdout6); it is training data for the
pair models since."""

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
    rows = story_holdout.holdout6_rows()
    rows_parse_with_unique_ids_titles_and_links(story_holdout.HOLDOUT6_FILE, rows, "q")
    assert len(rows) >= 450
    # Rumours from mid-August, the week of 31 August - 6 September, follow-ups to 9 September.
    start, end = datetime(2026, 8, 15, tzinfo=UTC), datetime(2026, 9, 10, tzinfo=UTC)
    assert all(r.published.utcoffset() is not None for r in rows)
    assert all(start <= r.published < end for r in rows)
    # Every main event happens in the week itself (its first report).
    week = datetime(2026, 8, 31, tzinfo=UTC), datetime(2026, 9, 7, tzinfo=UTC)
    first = first_reports(rows)
    assert all(week[0] <= when < week[1] for when in first.values()), first


def test_events_outlets_and_lookalikes() -> None:
    events_outlets_and_lookalikes(
        story_holdout.holdout6_rows(), "q", outlets=(10, 14), lookalikes=110, roundups=12
    )


def test_reports_differ_in_form_and_language() -> None:
    reports_differ_in_form_and_language(story_holdout.holdout6_rows(), non_ascii=55)


def test_shares_no_event_title_or_link_with_the_other_sets() -> None:
    others = (
        story_holdout.rows()
        + story_holdout.tuning_rows(story_holdout.EXTRA_TUNING_PARTS)
        + story_holdout.holdout2_rows()
        + story_holdout.holdout3_rows()
        + story_holdout.holdout4_rows()
        + story_holdout.holdout5_rows()
    )
    shares_nothing_with(story_holdout.holdout6_rows(), others)


def test_load_holdout6_numbers_items_in_both_orders_and_leaves_the_others_alone() -> None:
    rows = story_holdout.holdout6_rows()
    by_published = loaded_in_both_orders(rows, story_holdout.load_holdout6)
    # A look-alike and what it resembles know each other; a round-up resembles several.
    lookalikes = {li.story: set(li.lookalikes) for li in by_published}
    assert "q03" in lookalikes["q03-l1"] and "q03-l1" in lookalikes["q03"]
    assert {"q03", "q21", "q24"} <= lookalikes["q03-l6"]
    held_out = {li.story for li in story_holdout.load_holdout2("published")}
    held_out |= {li.story for li in story_holdout.load_holdout3("published")}
    held_out |= {li.story for li in story_holdout.load_holdout4("published")}
    held_out |= {li.story for li in story_holdout.load_holdout5("published")}
    assert not ({li.story for li in story_holdout.load("all")} | held_out) & {r.event for r in rows}

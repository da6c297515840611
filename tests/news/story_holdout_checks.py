"""Checks every hand-written held-out set's data test makes the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tests.news import story_holdout
from tests.news.story_corpus import LabelledItem


def outlets_of(rows: Sequence[story_holdout.Row]) -> dict[str, set[str]]:
    """Event -> the outlets that report it."""
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row.event, set()).add(row.source)
    return found


def loaded_in_both_orders(
    rows: Sequence[story_holdout.Row],
    load: Callable[[story_holdout.Order], list[LabelledItem]],
) -> list[LabelledItem]:
    """Assert that ``load`` numbers every row's item 1..n in both orders, sorted by date in
    one and by outlet in the other; the items in published order."""
    orders: tuple[story_holdout.Order, ...] = ("published", "feeds")
    for order in orders:
        items = load(order)
        assert [li.item.item_id for li in items] == list(range(1, len(rows) + 1))
        assert {li.story for li in items} == {r.event for r in rows}
    by_published = load("published")
    assert [li.item.published for li in by_published] == sorted(r.published for r in rows)
    by_feed = load("feeds")
    assert [li.item.source for li in by_feed] == sorted(r.source for r in rows)
    return by_published

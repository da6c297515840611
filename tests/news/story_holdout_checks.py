"""Checks every hand-written held-out set's data test makes the same way."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from tests.news import story_holdout
from tests.news.story_corpus import LabelledItem

FIELDS = {"id", "event", "lookalike_of", "title", "summary", "source", "published", "link"}


def rows_parse_with_unique_ids_titles_and_links(
    path: Path, rows: Sequence[story_holdout.Row], prefix: str
) -> None:
    """Assert that every line of ``path`` has the set's fields, that ``rows`` (read from it)
    are numbered ``<prefix>001``... in file order, and that titles and links are unique."""
    lines = path.read_text(encoding="utf-8").splitlines()
    raw = [json.loads(line) for line in lines if line.strip()]
    assert all(set(r) == FIELDS for r in raw)
    assert all(isinstance(r["lookalike_of"], list) for r in raw)
    assert len(rows) == len(raw)
    assert [r.key for r in rows] == [f"{prefix}{n:03d}" for n in range(1, len(rows) + 1)]
    assert len({r.link for r in rows}) == len(rows)
    assert len({r.title.casefold() for r in rows}) == len(rows)
    assert all(r.title.strip() == r.title and r.title and r.source.strip() for r in rows)
    assert all(r.summary.strip() == r.summary for r in rows)
    assert all(r.link.startswith("https://") and r.link.endswith(r.key[1:]) for r in rows)


def outlets_of(rows: Sequence[story_holdout.Row]) -> dict[str, set[str]]:
    """Event -> the outlets that report it."""
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row.event, set()).add(row.source)
    return found


def events_outlets_and_lookalikes(
    rows: Sequence[story_holdout.Row],
    prefix: str,
    *,
    outlets: tuple[int, int],
    lookalikes: int,
    roundups: int,
) -> None:
    """Assert a set's shape: main events ``<prefix>01``..``<prefix>24``, each told by
    ``outlets`` (least, most) outlets; at least ``lookalikes`` look-alike events of 1-3
    outlets, each naming the events it resembles, and ``roundups`` items resembling three or
    more; one report per outlet per event but for a few genuine follow-ups (at most two)."""
    told = outlets_of(rows)
    main = {event: names for event, names in told.items() if "-" not in event}
    assert sorted(main) == [f"{prefix}{n:02d}" for n in range(1, 25)]
    least, most = outlets
    assert all(least <= len(names) <= most for names in main.values()), {
        e: len(n) for e, n in main.items()
    }
    alike = {event for event in told if "-" in event}
    assert len(alike) >= lookalikes
    assert all(1 <= len(told[event]) <= 3 for event in alike)
    for row in rows:
        assert row.event.startswith(prefix) and row.half == "test", row.key
        if "-" in row.event:
            assert row.lookalike_of and row.main_event in main, row.key
        else:
            assert not row.lookalike_of, row.key
        assert all(other in told and other != row.event for other in row.lookalike_of)
    assert sum(1 for r in rows if len(r.lookalike_of) >= 3) >= roundups
    repeats = Counter((r.event, r.source) for r in rows)
    assert max(repeats.values()) <= 2
    assert 1 <= sum(1 for n in repeats.values() if n > 1) <= 6


def first_reports(rows: Sequence[story_holdout.Row]) -> dict[str, datetime]:
    """Main event -> when its first report came out."""
    first: dict[str, datetime] = {}
    for r in rows:
        if "-" not in r.event:
            first[r.event] = min(first.get(r.event, r.published), r.published)
    return first


def reports_differ_in_form_and_language(rows: Sequence[story_holdout.Row], non_ascii: int) -> None:
    """Assert that about one post in five has no summary, that headlines take several forms
    (questions, "Exclusive:", "Breaking:"), that at least ``non_ascii`` headlines are not plain
    ASCII (other languages, currency signs), and that 8 or more main events have follow-ups
    half a day or more after their first report."""
    main = [r for r in rows if "-" not in r.event]
    title_only = sum(1 for r in rows if not r.summary)
    assert 0.15 <= title_only / len(rows) <= 0.25
    assert sum(1 for r in main if r.title.rstrip().endswith("?")) >= 4
    assert any(r.title.startswith("Exclusive:") for r in rows)
    assert any(r.title.startswith("Breaking:") for r in rows)
    assert sum(1 for r in rows if not r.title.isascii()) >= non_ascii
    first = first_reports(rows)
    late = {r.event for r in main if (r.published - first[r.event]).total_seconds() >= 12 * 3600}
    assert len(late) >= 8


def shares_nothing_with(
    fresh: Sequence[story_holdout.Row], others: Sequence[story_holdout.Row]
) -> None:
    """Assert that ``fresh`` shares no title, link, event or id with ``others``."""
    assert not {r.title.casefold() for r in fresh} & {r.title.casefold() for r in others}
    assert not {r.link for r in fresh} & {r.link for r in others}
    assert not {r.event for r in fresh} & {r.event for r in others}
    assert not {r.key for r in fresh} & {r.key for r in others}


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

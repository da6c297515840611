"""What both backends' schemas promise: data kept across reopening, foreign keys enforced and
cascading, and every member of every storage port present (the contract suite's frame)."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from bot.news import ports
from bot.news.ports import Storage
from storage import open_storage
from tests.storage.conftest import T0, add_feed, add_subscription, draft, poll, tagged
from tests.storage.raw import INTEGRITY_ERRORS, raw_rows, stored_time


async def test_reopening_keeps_the_data_and_creates_nothing_again(storage_url: str) -> None:
    first = await open_storage(storage_url)
    try:
        assert first.created
        feed = await add_feed(first, "Retail Dive")
        await first.items.apply(poll(feed, [draft("a", "Temu tariffs")]))
        await first.meta.set("catalogue_seeded", "yes")
    finally:
        await first.close()
    again = await open_storage(storage_url)
    try:
        assert not again.created
        assert await again.feeds.get(feed.id) is not None
        assert await again.items.count() == 1
        assert await again.meta.get("catalogue_seeded") == "yes"
    finally:
        await again.close()


async def test_foreign_keys_are_enforced_and_cascade(storage: Storage) -> None:
    feed = await add_feed(storage)
    sub = await add_subscription(storage)
    await storage.items.apply(poll(feed, [tagged(draft("a", "Shein"), "shein")], planned_posts=()))
    t = stored_time(storage, T0)
    with pytest.raises(INTEGRITY_ERRORS, match=r"(?i)foreign key"):
        await raw_rows(
            storage,
            "INSERT INTO items (feed_id, key, title, source, published, first_seen, updated_at,"
            " summary, content_hash) VALUES (999, 'k', 't', 's', ?, ?, ?, '', 'h')",
            t,
            t,
            t,
        )
    await storage.feeds.remove(feed.id)
    for table in ("items", "item_companies", "item_topics", "outbox", "feed_documents"):
        assert await raw_rows(storage, f"SELECT count(*) FROM {table}") == [(0,)], table
    assert await storage.digests.plan(sub.id, T0, T0 + timedelta(days=1), T0)
    await storage.subscriptions.remove(sub.id)
    assert await raw_rows(storage, "SELECT count(*) FROM digests") == [(0,)]


def _port_members() -> list[tuple[str, type]]:
    """(member, port) for every repository the Storage port names."""
    found = []
    for name, member in vars(Storage).items():
        if isinstance(member, property) and member.fget is not None:
            annotation = inspect.signature(member.fget).return_annotation
            port = getattr(ports, str(annotation), None)
            if isinstance(port, type):
                found.append((name, port))
    return found


async def test_every_port_method_exists_on_both_backends(storage: Storage) -> None:
    members = _port_members()
    assert {"feeds", "items", "subscriptions", "outbox", "digests"} <= {n for n, _ in members}
    for name, port in members:
        implementation = getattr(storage, name)
        for method in (m for m in vars(port) if not m.startswith("_")):
            assert callable(getattr(implementation, method, None)), f"{name}.{method}"

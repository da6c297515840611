"""The MetaStore port on both backends: the process's small key/value bookkeeping."""

from __future__ import annotations

from bot.news.ports import Storage
from storage import open_storage


async def test_values_are_stored_replaced_and_kept_apart_by_key(storage: Storage) -> None:
    assert await storage.meta.get("catalogue_seeded") is None
    await storage.meta.set("catalogue_seeded", "1")
    await storage.meta.set("companies_version", "2026-11")
    assert await storage.meta.get("catalogue_seeded") == "1"
    await storage.meta.set("catalogue_seeded", "2")  # replaced, not a second row
    assert await storage.meta.get("catalogue_seeded") == "2"
    assert await storage.meta.get("companies_version") == "2026-11"


async def test_values_survive_a_reopen(storage_url: str) -> None:
    first = await open_storage(storage_url)
    try:
        await first.meta.set("key", "ünïcode and a 'quote'")
    finally:
        await first.close()
    again = await open_storage(storage_url)
    try:
        assert await again.meta.get("key") == "ünïcode and a 'quote'"
    finally:
        await again.close()

"""PostgreSQL's ``apply`` reads search vectors in a worker thread only for a poll that stores
items. Most polls store none (304, or a document unchanged since its last parse); a thread hop
for each of them cost a poller about half its CPU per poll (``benchmarks/scale.py``: 2.0 ms
-> 1.1 ms per poll of an unchanged feed, 2,000 feeds). Needs SHOPWIRE_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.news.model.vocabulary import FeedStatus
from storage import open_storage
from storage.postgres.search import vectors
from tests.storage.conftest import T0, add_feed, draft, fresh_postgres_url, poll


async def test_only_a_poll_that_stores_items_reads_their_text_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hops: list[Callable[..., Any]] = []
    real = asyncio.to_thread

    async def counted(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        hops.append(func)
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    async with fresh_postgres_url() as url:
        storage = await open_storage(url)
        try:
            feed = await add_feed(storage)
            hops.clear()
            await storage.items.apply(poll(feed, status=FeedStatus.NOT_MODIFIED, at=T0))
            assert vectors not in hops
            polled = await storage.feeds.get(feed.id)
            assert polled is not None and polled.status is FeedStatus.NOT_MODIFIED

            await storage.items.apply(poll(feed, [draft("a", "Temu opens a warehouse")]))
            assert hops.count(vectors) == 1
            assert await storage.items.count() == 1
        finally:
            await storage.close()

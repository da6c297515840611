"""bot.lazy: the fetcher and the parser pool are opened once, on first use, and closed if opened."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from bot.lazy import LazyFetcher, LazyParser, OnFirstUse
from bot.news.model.vocabulary import FetchOutcome, FetchResult, ParsedFeed


class Resource:
    def __init__(self) -> None:
        self.closed = False


class Opener:
    """Counts opens and closes; can fail the next open."""

    def __init__(self) -> None:
        self.opened: list[Resource] = []
        self.closed: list[Resource] = []
        self.fail_next = False

    async def open(self) -> Resource:
        await asyncio.sleep(0.01)  # long enough for every waiting task to pile up behind it
        if self.fail_next:
            self.fail_next = False
            raise OSError("cannot start")
        resource = Resource()
        self.opened.append(resource)
        return resource

    async def close(self, resource: Resource) -> None:
        resource.closed = True
        self.closed.append(resource)


async def test_opened_once_when_many_tasks_ask_at_once() -> None:
    opener = Opener()
    lazy = OnFirstUse(opener.open, opener.close)
    assert not lazy.opened
    got = await asyncio.gather(*(lazy.get() for _ in range(50)))
    assert len(opener.opened) == 1
    assert all(resource is opener.opened[0] for resource in got)
    assert lazy.opened
    await lazy.close()
    await lazy.close()
    assert opener.closed == opener.opened


async def test_never_used_is_never_opened_or_closed() -> None:
    opener = Opener()
    lazy = OnFirstUse(opener.open, opener.close)
    await lazy.close()
    assert opener.opened == [] and opener.closed == []
    with pytest.raises(RuntimeError, match="closed"):
        await lazy.get()


async def test_a_failed_open_is_tried_again_by_the_next_caller() -> None:
    opener = Opener()
    opener.fail_next = True
    lazy = OnFirstUse(opener.open, opener.close)
    with pytest.raises(OSError, match="cannot start"):
        await lazy.get()
    assert not lazy.opened
    resource = await lazy.get()
    assert opener.opened == [resource]


class RecordingFetcher:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str | None, bool]] = []

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        self.calls.append((url, etag, last_modified, allow_private))
        return FetchResult(outcome=FetchOutcome.NOT_MODIFIED, url=url)


class RecordingParser:
    def __init__(self) -> None:
        self.calls: list[tuple[bytes, str, str | None, int | None]] = []

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int | None = None,
        story_source: str | None = None,
        stored_hashes: Mapping[str, str] | None = None,
    ) -> ParsedFeed:
        self.calls.append((body, url, content_type, max_items))
        return ParsedFeed(title="t", link=None, items=())


async def test_the_stand_ins_pass_every_argument_through() -> None:
    fetcher, parser = RecordingFetcher(), RecordingParser()

    async def get_fetcher() -> RecordingFetcher:
        return fetcher

    async def get_parser() -> RecordingParser:
        return parser

    result = await LazyFetcher(get_fetcher).fetch(
        "http://x/feed", etag='"e"', last_modified="lm", allow_private=False
    )
    assert result.outcome is FetchOutcome.NOT_MODIFIED
    assert fetcher.calls == [("http://x/feed", '"e"', "lm", False)]
    parsed = await LazyParser(get_parser).parse(
        b"<rss/>", url="http://x/feed", content_type="application/xml", max_items=7
    )
    assert parsed.title == "t"
    assert parser.calls == [(b"<rss/>", "http://x/feed", "application/xml", 7)]

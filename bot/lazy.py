"""The fetcher, the parser pool and the name tables, opened the first time they are needed.

Opening them is the expensive part of ``open_newsroom``: the HTTP fetcher imports aiohttp and
opens two sessions, the parser pool imports feedparser and starts worker processes. Most CLI
commands (``latest``, ``search``, ``feeds list``...) need neither, and a poll where every feed
answers 304 needs no parser. So the composition root hands the updater these stand-ins, which
implement the same ports and open the real thing on first use, once, even when a whole poll's
worth of tasks asks at the same moment; closing closes only what was opened. The company and
topic directories are imported the same way for ``latest`` and ``search`` (``--company``,
``--topic``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from bot.news.model.vocabulary import Company, FetchResult, ParsedFeed
    from bot.news.ports import CompanyDirectory, Fetcher, Parser, TopicDirectory
    from bot.news.tagging.topics import Topic

__all__ = ["LazyCompanies", "LazyFetcher", "LazyParser", "LazyTopics", "OnFirstUse"]

T = TypeVar("T")


class OnFirstUse(Generic[T]):
    """A resource opened by ``opener`` when first asked for, and closed by ``closer`` if it was."""

    def __init__(
        self, opener: Callable[[], Awaitable[T]], closer: Callable[[T], Awaitable[None]]
    ) -> None:
        self._open = opener
        self._close = closer
        self._value: T | None = None
        import asyncio  # here: `shopwire latest` imports this module and never asyncio

        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def opened(self) -> bool:
        """Whether the resource has been opened (and not closed since)."""
        return self._value is not None

    @property
    def opening(self) -> bool:
        """Whether an open is under way (the first caller's, not finished yet)."""
        return self._value is None and not self._closed and self._lock.locked()

    async def get(self) -> T:
        """The resource, opened now if this is the first call; raises if closed."""
        value = self._value
        if value is not None:
            return value
        async with self._lock:  # the first poll asks from many tasks at once: open it once
            if self._closed:
                raise RuntimeError("already closed")
            if self._value is None:
                self._value = await self._open()  # a failure leaves it to the next caller
            return self._value

    async def close(self) -> None:
        """Close the resource if it was opened. Safe to call more than once."""
        async with self._lock:
            self._closed = True
            value, self._value = self._value, None
        if value is not None:
            await self._close(value)


class LazyFetcher:
    """The ``Fetcher`` port, over a fetcher opened on the first fetch (``OnFirstUse.get``)."""

    def __init__(self, fetcher: Callable[[], Awaitable[Fetcher]]) -> None:
        self._fetcher = fetcher

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        fetcher = await self._fetcher()
        return await fetcher.fetch(
            url, etag=etag, last_modified=last_modified, allow_private=allow_private
        )


class LazyParser:
    """The ``Parser`` port, over a parser pool started on the first parse (``OnFirstUse.get``)."""

    def __init__(self, parser: Callable[[], Awaitable[Parser]]) -> None:
        self._parser = parser

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
        parser = await self._parser()
        return await parser.parse(
            body,
            url=url,
            content_type=content_type,
            max_items=max_items,
            story_source=story_source,
            stored_hashes=stored_hashes,
        )


class LazyCompanies:
    """The ``CompanyDirectory`` port over the shipped company table, imported when first asked:
    ``shopwire latest`` without ``--company`` never loads it."""

    def _directory(self) -> CompanyDirectory:
        from bot.news.tagging.company_tagger import Tagger

        return Tagger.default()

    def companies(self) -> tuple[Company, ...]:
        return self._directory().companies()

    def resolve(self, text: str) -> Company | None:
        return self._directory().resolve(text)

    def suggest(self, text: str, limit: int = 25) -> tuple[Company, ...]:
        return self._directory().suggest(text, limit)


class LazyTopics:
    """The ``TopicDirectory`` port over the shipped topic table, imported when first asked."""

    def _directory(self) -> TopicDirectory:
        from bot.news.tagging.topics import TopicTagger

        return TopicTagger.default()

    def resolve(self, text: str) -> Topic | None:
        return self._directory().resolve(text)

    def suggest(self, text: str, limit: int = 25) -> tuple[Topic, ...]:
        return self._directory().suggest(text, limit)

    def topic(self, topic_id: str) -> Topic | None:
        return self._directory().topic(topic_id)


if TYPE_CHECKING:

    def _implements_the_ports(fetcher: LazyFetcher, parser: LazyParser) -> tuple[Fetcher, Parser]:
        return fetcher, parser

    def _implements_the_directories(
        companies: LazyCompanies, topics: LazyTopics
    ) -> tuple[CompanyDirectory, TopicDirectory]:
        return companies, topics

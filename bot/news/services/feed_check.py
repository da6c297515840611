"""Checking a feed before it is added: fetch it once, parse it, and say what it is or why not.

``shopwire feeds add`` and ``/feeds add`` both check through here, so a typo, a web page or a
dead link is refused with its reason instead of being stored and failing at every poll. The
check stores nothing: the first poll fetches the feed again and stores its items.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.news.model.errors import FeedCheckFailed, ShopwireError
from bot.news.model.vocabulary import FetchOutcome, FetchResult
from bot.news.ports import Fetcher, Parser


@dataclass(frozen=True, slots=True)
class FeedPreview:
    """What one fetch of a feed showed: its own title and how many items it holds now."""

    title: str | None
    item_count: int
    # Set when the document was malformed but items were recovered (the parser's warning).
    warning: str | None = None


class FeedChecker:
    """Fetches and parses a feed URL once, through the same ports the poller uses."""

    def __init__(self, fetcher: Fetcher, parser: Parser, *, max_items: int | None = None) -> None:
        """``max_items``: the polls' cap (``max_items_per_poll``), which the check parses with
        too: a 70,000-item document parsed whole went past the parse time limit, and the feed
        was refused although every poll would read it well within."""
        self._fetcher = fetcher
        self._parser = parser
        self._max_items = max_items

    async def check(self, url: str, *, allow_private: bool) -> FeedPreview:
        """The feed at ``url``, or FeedCheckFailed saying why it can't be read.

        ``allow_private`` False sends the request through the fetcher's guarded session, which
        refuses non-public addresses on every hop (feeds added from Discord).
        """
        fetched = await self._fetcher.fetch(url, allow_private=allow_private)
        if fetched.outcome is not FetchOutcome.OK:
            raise FeedCheckFailed(url, _fetch_reason(fetched))
        try:
            parsed = await self._parser.parse(
                fetched.body,
                url=fetched.url,
                content_type=fetched.content_type,
                max_items=self._max_items,
            )
        except ShopwireError as exc:  # FeedParseError: "not an RSS/Atom feed (looks like HTML)"
            raise FeedCheckFailed(url, str(exc)) from None
        return FeedPreview(parsed.title, len(parsed.items), parsed.warning)


def _fetch_reason(fetched: FetchResult) -> str:
    """Why a fetch gave no document, in words ("not found (HTTP 404 Not Found)")."""
    if fetched.outcome is FetchOutcome.NOT_MODIFIED:
        # The check sends no validators, so this is the server's mistake: "the fetch failed"
        # said nothing of it.
        return "the server answered 304 Not Modified, with no feed, to a request for the feed"
    error = fetched.error or "the fetch failed"
    if fetched.http_status in (404, 410):
        return f"not found ({error})"
    if fetched.outcome is FetchOutcome.RATE_LIMITED:
        return f"the server asks to try again later ({error})"
    if fetched.http_status is not None and fetched.http_status >= 400:
        return f"the server refused ({error})"
    return error

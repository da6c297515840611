"""A loopback HTTP server that serves feed documents the test controls.

It honours If-None-Match / If-Modified-Since like a well-behaved feed server, counts requests,
and can answer with any status. Bound to 127.0.0.1 on a free port; always stopped by the test.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import TracebackType
from typing import Self
from xml.sax.saxutils import escape

from aiohttp import web


@dataclass
class Document:
    """What one path answers."""

    body: bytes
    content_type: str = "application/rss+xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    modified: datetime = field(default_factory=lambda: datetime(2026, 11, 1, tzinfo=UTC))

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class FeedServer:
    """Serves ``documents[path]``; tests change documents between polls."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, **options: object) -> str:
        """Serve ``body`` at ``path`` (replacing what was there); returns the full URL."""
        data = body.encode() if isinstance(body, str) else body
        previous = self.documents.get(path)
        document = Document(data, **options)  # type: ignore[arg-type]
        if previous is not None and previous.body != data and "modified" not in options:
            document.modified = previous.modified + timedelta(minutes=1)
        self.documents[path] = document
        return self.url(path)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.headers)))
        document = self.documents.get(request.path)
        if document is None:
            return web.Response(status=404, text="not found")
        headers = {
            "ETag": document.etag,
            "Last-Modified": format_datetime(document.modified, usegmt=True),
            **document.headers,
        }
        if document.status == 200 and request.headers.get("If-None-Match") == document.etag:
            return web.Response(status=304, headers=headers)
        return web.Response(
            status=document.status,
            body=document.body,
            headers={**headers, "Content-Type": document.content_type},
        )

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def rss(
    items: list[tuple[str, str, str]],
    *,
    title: str = "Loopback Commerce News",
    newest: datetime | None = None,
) -> str:
    """A small RSS 2.0 document: items are (guid, title, description), newest first.

    Dates step back a minute per item from ``newest`` (default: now), so items are fresh
    enough to be posted to subscribed channels.
    """
    top = newest or datetime.now(UTC)
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{escape(item_title)}</title>"
        f"<link>https://news.example/{guid}</link><description>{escape(text)}</description>"
        f"<pubDate>{format_datetime(top - timedelta(minutes=n), usegmt=True)}</pubDate></item>"
        for n, (guid, item_title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example/</link>{entries}</channel></rss>"
    )

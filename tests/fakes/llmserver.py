"""A loopback fake of an OpenAI-compatible ``/chat/completions`` endpoint.

Each request takes the next scripted ``Reply`` (or ``default`` when none is left) and is
recorded with its headers and JSON body, so tests can count requests and read the prompt.
A reply may hang: it waits ``delay`` seconds or until the server stops, whichever is first,
so a test that times out never leaves a handler behind. Bound to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """What one request gets."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    content_type: str = "application/json"


def completion(content: str, *, status: int = 200) -> Reply:
    """An OpenAI chat-completions answer whose assistant message is ``content``."""
    document = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return Reply(status=status, body=json.dumps(document).encode())


def lines(entries: dict[int, str], *, fenced: bool = False) -> Reply:
    """An answer with one line per story id, as the prompt asks (optionally in ```json)."""
    content = json.dumps({"lines": [{"id": k, "line": v} for k, v in entries.items()]})
    return completion(f"Here you go:\n```json\n{content}\n```" if fenced else content)


def hang(seconds: float = 30.0) -> Reply:
    return Reply(delay=seconds, body=completion("{}").body)


def error(status: int = 500) -> Reply:
    return Reply(status=status, body=b'{"error": {"message": "overloaded"}}')


def raw(body: bytes | str, content_type: str = "application/json") -> Reply:
    return Reply(body=body.encode() if isinstance(body, str) else body, content_type=content_type)


@dataclass
class Request:
    """One request as the fake saw it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def message(self, role: str) -> str:
        [text] = [m["content"] for m in self.body["messages"] if m["role"] == role]
        return str(text)

    @property
    def fenced(self) -> str:
        """What the user message has between the fence's markers (the data)."""
        match = re.search(
            r"^<<<STORIES (\w+)>>>\n(.*)\n<<<END STORIES \1>>>$",
            self.message("user"),
            re.DOTALL | re.MULTILINE,
        )
        assert match, "no fenced data in the prompt"
        return match.group(2)

    @property
    def stories(self) -> list[dict[str, Any]]:
        data = json.loads(self.fenced)
        assert isinstance(data, list)
        return data


@dataclass
class LlmServer:
    """Answers POST /v1/chat/completions with ``replies`` in order, then ``default``."""

    replies: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=lambda: error(500))
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        self.requests.append(Request(request.path, dict(request.headers), body))
        reply = self.replies.popleft() if self.replies else self.default
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), reply.delay)
        return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)

    async def start(self) -> LlmServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LlmServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

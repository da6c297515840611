"""A loopback TCP server that accepts connections and never answers: a feed that hangs until the
client's own timeout. Bound to 127.0.0.1 on a free port; always stopped by the test."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from tests.ceiling import CEILING


class SilentServer:
    """Accepts on 127.0.0.1, reads and discards what the client sends, never writes a byte."""

    def __init__(self) -> None:
        self.accepted = 0
        self.closed = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def open(self) -> int:
        """Connections accepted and not yet closed by the client."""
        return self.accepted - self.closed

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.accepted += 1
        try:
            while await reader.read(65536):  # until the client gives up and closes
                pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed += 1
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()

    async def start(self) -> SilentServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        for handler in list(self._handlers):
            handler.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), CEILING)
        self._server = None

    async def __aenter__(self) -> SilentServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

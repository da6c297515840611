"""Polls that change only their feed's row (not modified, a failed fetch), written together.

A round in which every feed answers 304 wrote one transaction per feed: a BEGIN, one UPDATE
and a COMMIT, three hops to SQLite's thread and back each, for 200 feeds. Such results now wait
here while a write is in flight and the next write stores all that wait, in one transaction:
the same rows, a few commits. Each caller returns once its row is committed, or raises what the
transaction raised. A caller cancelled before its row is taken into a write stores nothing; one
cancelled after that leaves it to commit with the others (a feed's state, all or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storage._sql import Connections

if TYPE_CHECKING:  # imported when a write starts: the read-only CLI never loads asyncio
    import asyncio

_Waiting = tuple[Mapping[str, Any], "asyncio.Future[None]"]


class FeedStateWriter:
    """Runs ``statement`` (one feed's UPDATE, named parameters) for many callers at a time."""

    def __init__(self, connections: Connections, statement: str) -> None:
        self._db = connections
        self._statement = statement
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, parameters: Mapping[str, Any]) -> None:
        """Run the statement with ``parameters`` in the next write; returns once committed."""
        import asyncio

        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((parameters, done))
        if self._writer is None:
            # Started on the loop's next turn, so the callers of this turn share its write.
            self._writer = asyncio.create_task(self._write_waiting())
        await done

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch = [entry for entry in self._waiting if not entry[1].done()]
                self._waiting = []
                if batch:
                    await self._write(batch)
        finally:
            self._writer = None
            for _, done in self._waiting:  # only if this task itself was cancelled
                done.cancel()
            self._waiting = []

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            rows = [parameters for parameters, _ in batch]
            # One hop to SQLite's thread for BEGIN, the rows and COMMIT (write_at_once).
            await self._db.write_at_once(lambda db: db.executemany(self._statement, rows).close())
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        except BaseException:
            for _, done in batch:
                done.cancel()
            raise
        for _, done in batch:
            if not done.done():
                done.set_result(None)

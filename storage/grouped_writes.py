"""Feed polls' writes that arrive while one is in flight, stored together by the next write.

A cold poll stored each feed's items in a transaction of its own: 200 commits for 200 feeds,
each writing the pages every poll touches (the feeds row, the search index's structure, the
indexes' upper pages) again; storing the 200 x 50 ingest corpus 8 feeds to a transaction took
the writer 0.98-1.21 s of CPU against 1.23-1.53 s one feed to a transaction (same process,
alternated, loaded machine). A round in which every feed
answers 304 wrote one transaction per feed, a BEGIN, one UPDATE and a COMMIT, before these
waited here (``FeedStateWriter`` then). So every write of ``ItemRepository.apply`` waits here
while a write is in flight, and the next write stores all that wait, in one transaction
(``Connections.write_at_once``), each in a savepoint of its own when there are several: one
poll's own error (a lease lost, a statement's error) undoes that poll only and is raised to its
caller alone; an error of the database's surroundings (a full disk) fails the whole
transaction and every caller in it. Each caller returns once its writes are committed. A
caller cancelled before its work is taken into a write stores nothing; one cancelled after
that leaves it to commit with the others (a feed's poll, all or nothing).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from storage._sql import Connections, storage_error

if TYPE_CHECKING:  # imported when a write starts: the read-only CLI never loads asyncio
    import asyncio

Work = Callable[[sqlite3.Connection], None]
_Waiting = tuple[Work, "asyncio.Future[None]"]


class GroupedWrites:
    """Runs each caller's ``work`` (statements on the writer's thread) in the next write."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        connections.before_close.append(self._drain)

    async def _drain(self) -> None:
        """Wait for the writes queued so far (their callers hear the outcome, not this)."""
        import asyncio

        writer = self._writer
        if writer is not None:
            await asyncio.wait([writer])

    async def write(self, work: Work) -> None:
        """Run ``work`` in the next write; returns once committed, or raises what it raised."""
        import asyncio

        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, done))
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
        works = [work for work, _ in batch]
        try:
            outcomes = await self._db.write_at_once(functools.partial(_run_each, works))
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        except BaseException:
            for _, done in batch:
                done.cancel()
            raise
        for (_, done), outcome in zip(batch, outcomes, strict=True):
            if done.done():
                continue
            if outcome is None:
                done.set_result(None)
            else:
                done.set_exception(outcome)


def _run_each(works: list[Work], connection: sqlite3.Connection) -> list[Exception | None]:
    """Each work in turn, in the open transaction; what each raised (None if nothing)."""
    if len(works) == 1:
        # The transaction is the work's own: its error rolls it back (write_at_once).
        works[0](connection)
        return [None]
    outcomes: list[Exception | None] = []
    for work in works:
        connection.execute("SAVEPOINT one_poll")
        try:
            work(connection)
        except Exception as exc:
            # SQLite may have rolled the whole transaction back (a full disk, an I/O error):
            # then nothing of the others is left to commit either.
            if storage_error(exc) is not None or not connection.in_transaction:
                raise
            connection.execute("ROLLBACK TO one_poll")
            connection.execute("RELEASE one_poll")
            outcomes.append(exc)
            continue
        connection.execute("RELEASE one_poll")
        outcomes.append(None)
    return outcomes

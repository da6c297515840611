"""The parser pool started in the background as a poller starts, not at its first parse.

The pool (a fork server that compiles the tag tables, then its workers) takes 0.7-1 s to start
on a quiet machine. Started by the first parse, that time was spent inside the first poll,
after its first document arrived. Started beside the poller, it is up by the time the
documents arrive. It starts in other processes and helper threads: Discord, commands and the
poller's own fetches are not held up. The pool is closed with the newsroom, as before.

``shopwire poll`` starts it the same way as its newsroom opens (``parser_starting``) when a
due feed was never polled, so the start overlaps the command's own start-up and fetches. A
start still under way when the poll ends (nothing came to parse: every fetch failed) is
abandoned, its processes killed, not waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Newsroom

__all__ = ["parser_starting", "with_parser_starting"]

log = logging.getLogger("shopwire")


async def with_parser_starting(newsroom: Newsroom, poll: Callable[[], Awaitable[None]]) -> None:
    """Run ``poll()`` (the poller stage) while the newsroom's parser pool starts beside it.

    A start still under way when the poller stage ends is cancelled (its workers are stopped).
    """
    async with parser_starting(newsroom.start_parser):
        await poll()


@contextlib.asynccontextmanager
async def parser_starting(start: Callable[[], Awaitable[object]]) -> AsyncIterator[None]:
    """Run the body while ``start()`` (the parser pool's start) runs beside it.

    The start is under way (its fork server spawned) when the body begins: what the caller
    does next, even synchronous imports, overlaps it. A start still under way when the body
    ends is cancelled; the pool then kills its processes rather than wait for them.
    """
    starting = asyncio.create_task(_start(start), name="parser-start")
    # One turn of the loop: the task runs up to its hand-off to the pool's helper thread.
    await asyncio.sleep(0)
    try:
        yield
    finally:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting


async def _start(start: Callable[[], Awaitable[object]]) -> None:
    try:
        await start()
    except Exception as exc:  # the first parse tries again, and reports a failure on its feed
        log.warning("the parser pool did not start ahead of the first poll: %s", exc)

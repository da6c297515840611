"""The parser pool started in the background as a poller starts, not at its first parse.

The pool (a fork server that compiles the tag tables, then its workers) takes 0.7-1 s to start
on a quiet machine. Started by the first parse, that time was spent inside the first poll,
after its first document arrived. Started beside the poller, it is up by the time the
documents arrive. It starts in other processes and helper threads: Discord, commands and the
poller's own fetches are not held up. The pool is closed with the newsroom, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Newsroom

__all__ = ["with_parser_starting"]

log = logging.getLogger("shopwire")


async def with_parser_starting(newsroom: Newsroom, poll: Callable[[], Awaitable[None]]) -> None:
    """Run ``poll()`` (the poller stage) while the newsroom's parser pool starts beside it.

    A start still under way when the poller stage ends is cancelled (its workers are stopped).
    """
    starting = asyncio.create_task(_start(newsroom), name="parser-start")
    try:
        await poll()
    finally:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting


async def _start(newsroom: Newsroom) -> None:
    try:
        await newsroom.start_parser()
    except Exception as exc:  # the first parse tries again, and reports a failure on its feed
        log.warning("the parser pool did not start ahead of the first poll: %s", exc)

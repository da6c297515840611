"""SIGTERM stops a command the way Ctrl-C does.

``asyncio.run`` turns Ctrl-C into a cancellation of the command, so what it opened is closed
(transactions in flight roll back, parser processes are stopped) before ``KeyboardInterrupt``
reaches the CLI, which prints one line and exits 130. SIGTERM (``kill``, ``systemctl stop``,
``docker stop``) used to end the process on the spot, silently, with status 143. ``run``
gives SIGTERM the same path; a second SIGTERM ends the process at once, like a second Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run"]

T = TypeVar("T")


class _Terminated(Exception):
    """SIGTERM cancelled the command (raised out of the event loop, then made a Ctrl-C)."""


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; SIGTERM cancels ``main`` and then raises KeyboardInterrupt here,
    as Ctrl-C does, once ``main``'s clean-up has run."""
    try:
        return asyncio.run(_guarded(main))
    except _Terminated:
        raise KeyboardInterrupt from None


async def _guarded(main: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    terminated = False

    def on_sigterm() -> None:
        nonlocal terminated
        terminated = True
        loop.remove_signal_handler(signal.SIGTERM)  # a second SIGTERM is not caught
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):  # no signals here (a thread)
        return await main
    try:
        return await main
    except asyncio.CancelledError:
        if terminated:
            raise _Terminated from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)

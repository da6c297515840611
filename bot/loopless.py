"""Running a coroutine that never waits, without an event loop.

``shopwire latest`` and ``search`` read through ``storage._sql.QueryOnlyConnection``, whose
reads finish at once: the same async repositories and services then run to their end on the
first step, and the process never imports asyncio (a third of such a command's start-up).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of ``coroutine``, which must finish without waiting on anything.

    Raises RuntimeError (after closing it) if it tried to wait: a bug in the caller's choice of
    connection, never a user's mistake.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise RuntimeError("run_now: the coroutine waited, it needs an event loop")

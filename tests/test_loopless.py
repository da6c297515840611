"""bot.loopless.run_now: a coroutine that never waits runs to its end without an event loop."""

from __future__ import annotations

import inspect
import types
from collections.abc import Generator

import pytest

from bot.loopless import run_now


async def _answer(value: int) -> int:
    return value * 2


async def _nested() -> int:
    return await _answer(20) + 2


async def _fails() -> int:
    raise LookupError("from inside")


@types.coroutine
def _wait() -> Generator[None, None, None]:
    yield  # what awaiting a future does: hand control back to a loop


async def _waits() -> int:
    await _wait()
    return 1


def test_returns_what_the_coroutine_returns() -> None:
    assert run_now(_nested()) == 42


def test_raises_what_the_coroutine_raises() -> None:
    with pytest.raises(LookupError, match="from inside"):
        run_now(_fails())


def test_a_coroutine_that_waits_is_closed_and_refused() -> None:
    coroutine = _waits()
    with pytest.raises(RuntimeError, match="needs an event loop"):
        run_now(coroutine)
    # closed: nothing left suspended
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED

"""Generous ceilings on waits and calls in tests.

Tests never assert how long something took: on a busy 2-core machine any figure is flaky, and
the figures that matter are measured by the scripts in ``benchmarks/``. A test instead waits for
an event (a message, a task ending, a call returning) and gives up only after ``CEILING``
seconds: far longer than anything takes even under load, far shorter than a hang.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The longest any test waits for an event before failing.
CEILING = 60.0


@contextmanager
def returns_within(what: str, seconds: float = CEILING) -> Iterator[None]:
    """Fail the test if the block has not returned after ``seconds``: for synchronous calls that
    must not hang or blow up (a quadratic scan), where no event loop can bound the wait.

    SIGALRM, so the main thread only; it interrupts Python code and the regex engine alike
    (``re`` checks for signals while it matches).
    """

    def expired(signum: int, frame: FrameType | None) -> None:
        raise AssertionError(f"{what} did not return within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

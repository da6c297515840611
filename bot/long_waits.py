"""Which Discord requests give up on a long 429 instead of sleeping through it.

discord.py's ``max_ratelimit_timeout`` is one number for the whole client: every request whose
429 asks for a longer wait raises ``RateLimited``. Discord's publish limit (10 crossposts an hour
per channel) answers with waits of many minutes, which the publish queue must hold rather
than sleep through; every other call (a slash command's answer, a post, an edit) should keep
discord.py's default and wait as long as Discord asks.

``install`` makes the limit a per-task value: discord.py reads ``max_ratelimit_timeout`` (on
the client and on each route's bucket) when it decides, and here that read returns what the
calling task set with ``raise_after`` (a context variable, so concurrent requests of other
tasks are untouched), else None, discord.py's "always wait".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from discord.http import HTTPClient, Ratelimit

PUBLISH_WAIT_LIMIT = 30.0
"""The longest 429 a crosspost waits out in line; longer ones are held in the publish queue."""

_RAISE_AFTER: ContextVar[float | None] = ContextVar("shopwire_raise_after", default=None)


@contextmanager
def raise_after(seconds: float) -> Iterator[None]:
    """Within the block, this task's Discord requests raise ``discord.RateLimited`` instead of
    waiting longer than ``seconds`` for a rate limit."""
    token = _RAISE_AFTER.set(seconds)
    try:
        yield
    finally:
        _RAISE_AFTER.reset(token)


class _TaskLimit:
    """A data descriptor for ``max_ratelimit_timeout``: reads the calling task's limit;
    discord.py's own assignments (in ``__init__``) are ignored."""

    def __get__(self, instance: object, owner: type | None = None) -> float | None:
        return _RAISE_AFTER.get()

    def __set__(self, instance: object, value: object) -> None:
        pass


class _TaskLimitedRatelimit(Ratelimit):
    """A route's bucket whose pre-emptive "too long, raise" check uses the task's limit."""

    _max_ratelimit_timeout = _TaskLimit()


class TaskLimitedHTTPClient(HTTPClient):
    """discord.py's HTTP client with the rate-limit wait limit read per task."""

    max_ratelimit_timeout = _TaskLimit()

    def get_ratelimit(self, key: str) -> Ratelimit:
        """The route's bucket, created task-limited (discord.py's, but for the class)."""
        try:
            return self._buckets[key]
        except KeyError:
            value = self._buckets[key] = _TaskLimitedRatelimit(None)
            self._try_clear_expired_ratelimits()
            return value


def install(http: HTTPClient) -> None:
    """Make ``http`` (a client's ``http``, before its first request) read the wait limit per
    task. discord.py builds its HTTP client itself and takes no class for it, hence the swap."""
    http.__class__ = TaskLimitedHTTPClient

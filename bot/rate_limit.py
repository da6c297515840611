"""This process's share of Discord's global request limit, in front of discord.py's HTTP client.

Discord allows an application 50 requests per second in all, whatever the route; every process
that talks to Discord (``gateway_processes`` of them) takes an equal share and never sends
faster. discord.py still keeps each route's own limit (and sleeps out any 429) by itself; this
only paces the total. Interaction responses and webhooks are not counted by Discord against
the global limit, so they are never held back here (a slash command has 3 s to be answered).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import aiohttp
import yarl

GLOBAL_REQUESTS_PER_SECOND = 50.0
"""Discord's global limit for a bot's requests, for the whole application."""


_ROUNDING = 1e-9


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, at most ``capacity`` at once;
    waiters are served in the order they came."""

    def __init__(
        self,
        rate: float,
        capacity: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and room for one token")
        self._rate = rate
        self._capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._tokens = capacity
        self._stamp = clock()
        self._turn = asyncio.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    async def take(self) -> None:
        """Wait until a token is free and take it."""
        async with self._turn:  # one waiter at a time: the first to come is the first to go
            while True:
                now = self._clock()
                elapsed = max(now - self._stamp, 0.0)
                self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
                self._stamp = now
                # The margin absorbs float rounding: a sleep of exactly the missing fraction
                # may refill to 0.999..., and a clock cannot move by what is left of that.
                if self._tokens >= 1 - _ROUNDING:
                    self._tokens = max(self._tokens - 1, 0.0)
                    return
                await self._sleep((1 - self._tokens) / self._rate)


def share_of_global_limit(gateway_processes: int) -> TokenBucket:
    """This process's bucket: its share of the 50 requests/s, in bursts of half a second's."""
    rate = GLOBAL_REQUESTS_PER_SECOND / max(gateway_processes, 1)
    return TokenBucket(rate, max(1.0, rate / 2))


def counted(url: str) -> bool:
    """Whether a request to ``url`` counts against the global limit (REST calls do; answering
    an interaction, a webhook or the gateway's websocket do not)."""
    path = yarl.URL(url).path
    return "/api/" in path and "/interactions/" not in path and "/webhooks/" not in path


def pace(trace: aiohttp.TraceConfig, bucket: TokenBucket) -> aiohttp.TraceConfig:
    """Make every counted request of a session traced by ``trace`` wait for ``bucket``
    (aiohttp awaits request-start callbacks before it sends the request)."""

    async def on_start(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        if counted(str(params.url)):
            await bucket.take()

    trace.on_request_start.append(on_start)
    return trace

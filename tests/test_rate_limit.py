"""This process's share of Discord's global request limit (bot/rate_limit.py), on a fake clock:
the bucket's time is the clock's, never the machine's."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from bot.rate_limit import TokenBucket, counted, pace, share_of_global_limit


class FakeTime:
    """A clock that moves only when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rate: float, capacity: float, time: FakeTime) -> TokenBucket:
    return TokenBucket(rate, capacity, clock=time.clock, sleep=time.sleep)


async def test_a_full_bucket_lets_a_burst_through_then_paces_at_its_rate() -> None:
    time = FakeTime()
    limiter = bucket(25.0, 12.5, time)
    taken: list[float] = []
    for _ in range(100):
        await limiter.take()
        taken.append(time.now)
    assert taken[:12] == [0.0] * 12  # the burst
    # 88 more at 25 per second (the half token left over from the burst counts).
    assert taken[-1] == pytest.approx((100 - 12.5) / 25)
    for start in taken:  # any second of the fake clock holds at most a burst and a second
        assert sum(start <= t < start + 1 for t in taken) <= 12 + 25


async def test_tokens_come_back_with_time_up_to_the_capacity() -> None:
    time = FakeTime()
    limiter = bucket(10.0, 5, time)
    for _ in range(5):
        await limiter.take()
    time.now += 100.0  # a long quiet spell refills to the capacity, not beyond
    for _ in range(5):
        await limiter.take()
    assert time.sleeps == []
    await limiter.take()
    assert time.sleeps == [pytest.approx(0.1)]


async def test_waiters_are_served_in_the_order_they_came() -> None:
    time = FakeTime()
    limiter = bucket(1.0, 1, time)
    order: list[int] = []

    async def take(n: int) -> None:
        await limiter.take()
        order.append(n)

    await asyncio.gather(*(take(n) for n in range(6)))
    assert order == list(range(6))
    assert time.now == pytest.approx(5.0)


def test_each_gateway_process_takes_its_share_of_fifty_a_second() -> None:
    assert share_of_global_limit(1).rate == 50.0
    assert share_of_global_limit(2).rate == 25.0
    assert share_of_global_limit(4).rate == 12.5


def test_a_bad_bucket_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 1)
    with pytest.raises(ValueError):
        TokenBucket(1, 0.5)


def test_only_rest_calls_count_against_the_global_limit() -> None:
    assert counted("https://discord.com/api/v10/channels/1/messages")
    assert counted("http://127.0.0.1:5000/api/v10/users/@me")
    assert not counted("https://discord.com/api/v10/interactions/1/tok/callback")
    assert not counted("https://discord.com/api/v10/webhooks/1/tok/messages/@original")
    assert not counted("wss://gateway.discord.gg/?v=10&encoding=json")


async def test_a_paced_session_waits_for_the_bucket_before_each_counted_request() -> None:
    # A real aiohttp session on loopback: the trace's callback is awaited before sending.
    served: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        served.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    time = FakeTime()
    limiter = bucket(2.0, 1, time)
    try:
        async with aiohttp.ClientSession(trace_configs=[pace(aiohttp.TraceConfig(), limiter)]) as s:
            for path in ("/api/v10/a", "/api/v10/b", "/api/v10/interactions/1/t/callback"):
                async with s.get(f"http://127.0.0.1:{port}{path}") as response:
                    assert response.status == 200
    finally:
        await runner.cleanup()
    assert served == ["/api/v10/a", "/api/v10/b", "/api/v10/interactions/1/t/callback"]
    assert time.sleeps == [pytest.approx(0.5)]  # the second REST call waited; the answer did not

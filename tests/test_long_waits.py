"""bot/long_waits.py: only the task that asks gives up on a long 429 (the publish queue);
every other request waits it out as discord.py does by default. Against the loopback Discord
with discord.py's own HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord.http import HTTPClient, Route

from bot.long_waits import install, raise_after
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel

CROSSPOST = r"/channels/\d+/messages/\d+/crosspost"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        yield fake


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[HTTPClient]:
    client = HTTPClient(asyncio.get_running_loop())
    install(client)
    await client.static_login(fake.token)
    try:
        yield client
    finally:
        await client.close()


async def post(http: HTTPClient, channel: Channel, text: str) -> int:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    return int((await http.request(route, json={"content": text}))["id"])


async def crosspost(http: HTTPClient, channel: Channel, message_id: int) -> object:
    route = Route(
        "POST",
        "/channels/{channel_id}/messages/{message_id}/crosspost",
        channel_id=channel.id,
        message_id=message_id,
    )
    return await http.request(route)


async def test_a_long_429_fails_only_the_task_that_asked_and_others_wait_it_out(
    fake: FakeDiscord, http: HTTPClient
) -> None:
    announcements = fake.add_guild("g").add_text_channel("news", news=True)
    first = await post(http, announcements, "first")
    fake.rate_limit(times=1, retry_after=1.0, path=CROSSPOST)
    fake.rate_limit(announcements.id, times=1, retry_after=1.0, path=r"/channels/\d+/messages")

    async def publish() -> object:
        with raise_after(0.5):  # the publish queue's limit, shortened for the test
            return await crosspost(http, announcements, first)

    published, posted = await asyncio.gather(
        publish(), post(http, announcements, "second"), return_exceptions=True
    )
    # The crosspost gave up at once with Discord's wait; the post beside it slept it out.
    assert isinstance(published, discord.RateLimited) and published.retry_after == 1.0
    assert isinstance(posted, int)
    assert [m.content for m in fake.messages_in(announcements.id)] == ["first", "second"]
    assert fake.crossposts == []
    # Outside the block the same call waits, as discord.py does by default.
    fake.rate_limit(times=1, retry_after=1.0, path=CROSSPOST)
    await crosspost(http, announcements, first)
    assert [c.message_id for c in fake.crossposts] == [first]


def test_the_client_waits_by_default_and_its_buckets_read_the_tasks_limit() -> None:
    async def check() -> None:
        client = HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=30.0)
        install(client)
        bucket = client.get_ratelimit("route")
        assert client.max_ratelimit_timeout is None and bucket._max_ratelimit_timeout is None
        with raise_after(45.0):
            assert client.max_ratelimit_timeout == 45.0
            assert bucket._max_ratelimit_timeout == 45.0
        assert client.max_ratelimit_timeout is None
        await client.close()

    asyncio.run(check())

"""The fake Discord, sharded as Discord documents it: IDENTIFY with ``shard: [id, count]``
gets READY and GUILD_CREATE for that shard's guilds only; a shard outside 0..count-1 is closed
with 4010; an IDENTIFY faster than ``max_concurrency`` per window for its bucket is answered op
9 INVALID_SESSION; GET /gateway/bot says ``shards`` and ``session_start_limit``. Real
discord.py's AutoShardedClient runs against it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from tests.ceiling import CEILING
from tests.fakediscord import FakeDiscord

TOKEN = "shard-token"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        yield fake


async def _identify(
    session: aiohttp.ClientSession, fake: FakeDiscord, shard: Any
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any] | None]:
    """Connect, IDENTIFY with ``shard``; the socket and the first answer (None: closed)."""
    ws = await session.ws_connect(f"{fake.gateway_url}?v=10&encoding=json")
    hello = await asyncio.wait_for(ws.receive_json(), CEILING)
    assert hello["op"] == 10
    data: dict[str, Any] = {"token": TOKEN, "intents": 1, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    message = await asyncio.wait_for(ws.receive(), CEILING)
    if message.type == aiohttp.WSMsgType.TEXT:
        return ws, json.loads(message.data)
    return ws, None


async def test_each_shard_gets_its_own_guilds(fake: FakeDiscord) -> None:
    on_0 = [fake.add_guild(f"zero {n}", shard=(0, 2)) for n in range(3)]
    on_1 = [fake.add_guild(f"one {n}", shard=(1, 2)) for n in range(3)]
    assert all((g.id >> 22) % 2 == 0 for g in on_0)
    assert all((g.id >> 22) % 2 == 1 for g in on_1)
    async with aiohttp.ClientSession() as session:
        for shard, guilds in ((0, on_0), (1, on_1)):
            ws, ready = await _identify(session, fake, [shard, 2])
            assert ready is not None and ready["t"] == "READY"
            assert ready["d"]["shard"] == [shard, 2]
            assert {int(g["id"]) for g in ready["d"]["guilds"]} == {g.id for g in guilds}
            await ws.close()
    # A guild that joins later reaches only the session of its shard.
    late = fake.add_guild("late", shard=(1, 2))
    [zero, one] = fake.gateway.sessions

    def created(session: Any) -> set[int]:
        return {int(d["id"]) for e, d in session.dispatched if e == "GUILD_CREATE"}

    assert late.id not in created(zero)
    assert late.id in created(one)


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], ["0", "2"], [True, 2]])
async def test_an_invalid_shard_is_closed_with_4010(fake: FakeDiscord, shard: Any) -> None:
    async with aiohttp.ClientSession() as session:
        ws, answer = await _identify(session, fake, shard)
        assert answer is None
        assert ws.close_code == 4010
        await ws.close()


async def test_an_identify_faster_than_its_bucket_allows_is_an_invalid_session(
    fake: FakeDiscord,
) -> None:
    fake.max_concurrency = 2
    fake.identify_window = 3600.0  # nothing identifies twice per bucket in this test
    async with aiohttp.ClientSession() as session:
        first, ready = await _identify(session, fake, [0, 4])
        assert ready is not None and ready["t"] == "READY"
        other, ready = await _identify(session, fake, [1, 4])  # bucket 1: its own turn
        assert ready is not None and ready["t"] == "READY"
        refused, answer = await _identify(session, fake, [2, 4])  # bucket 0 again
        assert answer == {"op": 9, "d": False, "s": None, "t": None}
        assert [d["shard"] for d in fake.gateway.identifies_too_fast] == [[2, 4]]
        for ws in (first, other, refused):
            await ws.close()


async def test_gateway_bot_says_shards_and_session_start_limit(fake: FakeDiscord) -> None:
    fake.recommended_shards = 4
    fake.max_concurrency = 16
    client = discord.AutoShardedClient(intents=discord.Intents.none())
    try:
        await client.login(TOKEN)
        limits = await client.fetch_session_start_limits()
        count, url, _ = await client.http.get_bot_gateway()
    finally:
        await client.close()
    assert (count, url) == (4, fake.gateway_url)
    assert (limits.max_concurrency, limits.total) == (16, 1000)


async def test_discord_py_shards_wait_for_their_turn(fake: FakeDiscord) -> None:
    # Real discord.py on shards 0 and 1 of 2 with the window enforced: its own wait between
    # IDENTIFYs (5 s) keeps both within Discord's allowance, and each caches its guilds.
    fake.identify_window = 5.0
    on_0 = fake.add_guild("zero", shard=(0, 2))
    on_1 = fake.add_guild("one", shard=(1, 2))
    client = discord.AutoShardedClient(
        intents=discord.Intents(guilds=True), shard_ids=[0, 1], shard_count=2
    )
    task = asyncio.create_task(client.start(TOKEN))
    try:
        await asyncio.wait_for(client.wait_until_ready(), CEILING)
        assert {g.id for g in client.guilds} == {on_0.id, on_1.id}
        assert client.get_guild(on_0.id).shard_id == 0  # type: ignore[union-attr]
        assert client.get_guild(on_1.id).shard_id == 1  # type: ignore[union-attr]
        assert fake.gateway.identifies_too_fast == []
        assert sorted(d["shard"] for d in fake.gateway.identifies) == [[0, 2], [1, 2]]
    finally:
        await client.close()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), CEILING)

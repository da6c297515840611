"""Sharding's rules and settings: which shards a process serves (``--shards``, validated in one
line), which roles may be sharded, and identify turns per bucket (bot/sharding.py)."""

from __future__ import annotations

import asyncio
import io

import pytest

from bot.news.model.errors import ConfigError
from bot.news.model.vocabulary import ALL_SHARDS, Shards, shard_of
from bot.news.rules.shards import parse_shard_ids
from bot.runner import run_bot
from bot.settings import Settings, load_settings
from bot.sharding import IdentifyQueue, LocalIdentifyLocks, shard_refusal
from tests.ceiling import CEILING


def test_a_guilds_shard_is_discords_formula() -> None:
    guild = 197038439483310086  # an id from Discord's documentation era: (id >> 22) % count
    assert shard_of(guild, 1) == 0
    assert shard_of(guild, 32) == (guild >> 22) % 32
    assert Shards((1,), 2).owns(((7 * 2 + 1) << 22) | 5)
    assert not Shards((0,), 2).owns(((7 * 2 + 1) << 22) | 5)
    assert ALL_SHARDS.everything and ALL_SHARDS.owns(guild)
    assert Shards((0, 1), 2).everything
    assert not Shards((0,), 2).everything


@pytest.mark.parametrize(
    ("text", "count", "ids"),
    [
        ("0-7", 32, tuple(range(8))),
        ("0,2,5", 8, (0, 2, 5)),
        ("0-3, 8 ,2", 16, (0, 1, 2, 3, 8)),
        ("31", 32, (31,)),
    ],
)
def test_shards_are_ranges_and_lists(text: str, count: int, ids: tuple[int, ...]) -> None:
    assert parse_shard_ids(text, count) == ids


@pytest.mark.parametrize(
    ("text", "count", "says"),
    [
        ("0-32", 32, "shard 32 does not exist: with a shard count of 32 they are 0-31"),
        ("7-3", 8, "runs backwards"),
        ("", 8, "is not a shard number"),
        ("-1", 8, "is not a shard number"),
        ("a-b", 8, "is not a shard number"),
        ("1,,2", 8, "is not a shard number"),
    ],
)
def test_bad_shards_are_refused_in_one_line(text: str, count: int, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        parse_shard_ids(text, count)
    assert "\n" not in str(caught.value)


def test_the_settings_name_the_shards_served() -> None:
    env = {"SHOPWIRE_SHARDS": "0-7", "SHOPWIRE_SHARD_COUNT": "32"}
    assert load_settings(environ=env).served_shards == Shards(tuple(range(8)), 32)
    assert load_settings(environ={"SHOPWIRE_SHARD_COUNT": "2"}).served_shards == Shards((0, 1), 2)
    assert load_settings(environ={}).served_shards == ALL_SHARDS
    flags = load_settings(environ={}, overrides={"shards": "1", "shard_count": "2"})
    assert flags.served_shards == Shards((1,), 2)
    assert load_settings(environ={}).gateway_processes == 1


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"SHOPWIRE_SHARDS": "0-7"}, "shards: needs shard_count"),
        (
            {"SHOPWIRE_SHARDS": "0-40", "SHOPWIRE_SHARD_COUNT": "32"},
            "shards: '0-40': shard 40 does not exist",
        ),
        ({"SHOPWIRE_SHARD_COUNT": "0"}, "shard_count: 0 must be between 1 and 65536"),
        ({"SHOPWIRE_GATEWAY_PROCESSES": "0"}, "gateway_processes: 0 must be between 1 and 50"),
    ],
)
def test_bad_shard_settings_are_refused(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=env)
    [line] = caught.value.problems
    assert line.startswith(problem)


def test_a_process_serving_some_shards_must_be_a_gateway() -> None:
    some = Settings(shards="0", shard_count=2)
    refused = shard_refusal(some)
    assert refused is not None and "--role gateway" in refused
    assert shard_refusal(Settings(shards="0", shard_count=2, role="gateway")) is None
    assert shard_refusal(Settings(shards="0-1", shard_count=2)) is None  # every shard: fine
    assert shard_refusal(Settings(shard_count=2)) is None
    assert shard_refusal(Settings()) is None
    poller = shard_refusal(Settings(shards="0", shard_count=2, role="poller"))
    assert poller is not None and "pollers" in poller


def test_run_stops_with_one_line_before_connecting() -> None:
    err = io.StringIO()
    code = run_bot(Settings(shards="1", shard_count=2, discord_token="t"), err)
    assert code == 2
    [line] = err.getvalue().splitlines()
    assert line.startswith("error: this process would serve shards 1 of 2")


async def test_a_bucket_has_one_turn_at_a_time_and_buckets_are_apart() -> None:
    locks = LocalIdentifyLocks()
    await locks.hold(0, 3600)
    waiting = asyncio.create_task(locks.hold(0, 3600))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not waiting.done()  # bucket 0 is taken for the next hour
    await asyncio.wait_for(locks.hold(1, 3600), CEILING)  # another bucket goes at once
    waiting.cancel()
    await locks.close()


async def test_a_turn_passes_on_by_itself() -> None:
    locks = LocalIdentifyLocks()
    await locks.hold(0, 0.01)
    await asyncio.wait_for(locks.hold(0, 0.01), CEILING)
    await locks.close()


class RecordingLocks:
    def __init__(self) -> None:
        self.held: list[tuple[int, float]] = []

    async def hold(self, bucket: int, seconds: float) -> None:
        self.held.append((bucket, seconds))

    async def close(self) -> None:
        pass


async def test_a_shard_waits_for_the_turn_of_its_bucket() -> None:
    locks = RecordingLocks()
    queue = IdentifyQueue(locks)
    await queue.wait_turn(5)
    queue.allow(4)  # Discord said max_concurrency 4: buckets are shard_id % 4
    for shard in (4, 5, 6, 7, 9):
        await queue.wait_turn(shard)
    assert [bucket for bucket, _ in locks.held] == [0, 0, 1, 2, 3, 1]
    assert all(seconds > 5.0 for _, seconds in locks.held)  # the window and a margin

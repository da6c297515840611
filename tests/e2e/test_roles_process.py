"""End to end, several processes over one PostgreSQL database (issue 10): one `shopwire run
--role gateway` against the loopback Discord and two `--role poller` processes against loopback
feeds. Items are posted once each; a poller killed with SIGKILL while it holds feeds loses
them to the other when its leases run out, and nothing is lost or posted twice.

Needs SHOPWIRE_TEST_POSTGRES_URL (skipped without it, failed under CI=true); the database is a
schema of its own, dropped afterwards. Every wait is bounded; every process is reaped.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from tests.ceiling import CEILING
from tests.e2e.test_bot_process import BotProcess, cli, text_of
from tests.fakediscord import FakeDiscord, Perm
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss
from tests.storage.conftest import fresh_postgres_url

pytestmark = pytest.mark.slow

FEEDS = 6
# The shortest lease settings allow: a killed poller's feeds wait at most this long.
LEASE_SECONDS = 10


class GatedFeeds(FeedServer):
    """The feed server, whose answers can be held back until the test lets them go (so that
    a poller is caught holding feeds it claimed)."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.open.set()
        self.waiting = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.waiting += 1
        try:
            await asyncio.wait_for(self.open.wait(), CEILING)
        finally:
            self.waiting -= 1
        return await super()._handle(request)


class RoleProcess(BotProcess):
    """`shopwire run --role ROLE`, logging to a file."""

    def __init__(self, env: dict[str, str], log_path: Path, role: str) -> None:
        super().__init__({**env, "SHOPWIRE_ROLE": role}, log_path)


async def until(predicate: Callable[[], Any], logs: Callable[[], str], what: str) -> Any:
    """Wait until ``predicate()`` holds, checking every tenth of a second; fail (with the
    processes' logs) after the ceiling."""
    try:
        async with asyncio.timeout(CEILING):
            while True:
                result = predicate()
                if result:
                    return result
                await asyncio.sleep(0.1)
    except TimeoutError:
        print(logs())
        raise AssertionError(f"timed out waiting for {what}") from None


async def until_async(check: Callable[[], Any], logs: Callable[[], str], what: str) -> Any:
    """``until`` for a check that awaits (a database query)."""
    try:
        async with asyncio.timeout(CEILING):
            while True:
                result = await check()
                if result:
                    return result
                await asyncio.sleep(0.1)
    except TimeoutError:
        print(logs())
        raise AssertionError(f"timed out waiting for {what}") from None


def item(round_: int, feed: int) -> tuple[str, str, str]:
    return (
        f"r{round_}-f{feed}",
        f"Round {round_} marketplace news number {feed} from outlet {feed}",
        f"Sellers read report {round_}.{feed}.",
    )


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with fresh_postgres_url() as url:
        yield url


async def test_a_gateway_and_two_pollers_post_every_item_once_across_a_killed_poller(
    pg_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake, GatedFeeds() as feeds:
        guild = fake.add_guild("Sellers Hub")
        news = guild.add_text_channel("news")
        admins = guild.add_role("Admins", Perm.MANAGE_GUILD)
        admin = guild.add_member(fake.add_user("alice"), roles=[admins])
        paths = [f"/feed-{n}.xml" for n in range(FEEDS)]
        served: dict[str, list[tuple[str, str, str]]] = {}

        def serve(path: str, *new: tuple[str, str, str]) -> None:
            served[path] = [*new, *served.get(path, [])]
            feeds.serve(path, rss(served[path], title=f"Outlet {path}"))

        for n, path in enumerate(paths):
            serve(path, (f"old-{n}", f"Backlog story {n} of the outlet", "Old news."))
        env = {
            **clean_environ(),
            **fake.env(),
            "SHOPWIRE_DB": pg_url,
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_POLL_INTERVAL": "5",
            "SHOPWIRE_FEED_LEASE_SECONDS": str(LEASE_SECONDS),
            "SHOPWIRE_MAX_POSTS_PER_CHANNEL": "50",
            "SHOPWIRE_DEV_GUILD_ID": str(guild.id),
            "SHOPWIRE_LOG_LEVEL": "INFO",
        }
        for n, path in enumerate(paths):
            await cli(env, "feeds", "add", feeds.url(path), "--name", f"Outlet {n}")
        gateway = RoleProcess(env, tmp_path / "gateway.log", "gateway")
        pollers = [
            RoleProcess(
                {k: v for k, v in env.items() if k != "DISCORD_TOKEN"},
                tmp_path / f"poller-{n}.log",
                "poller",
            )
            for n in range(2)
        ]
        processes = [gateway, *pollers]

        def logs() -> str:
            return "\n".join(f"==== {p.log_path.name}\n{p.log()}" for p in processes)

        database = await asyncpg.connect(pg_url)
        try:
            await gateway.start()
            await fake.wait_until_connected(timeout=CEILING)
            await fake.wait_for_command_sync(guild.id, timeout=CEILING)
            subscribed = await fake.invoke_slash(
                guild.id,
                news.id,
                admin.id,
                "subscribe",
                options={"channel": news.id},
                ignore_default_permissions=True,
            )
            assert "Subscribed" in text_of(await subscribed.wait_original())
            for poller in pollers:
                await poller.start()

            async def all_polled() -> bool:
                polled = await database.fetchval(
                    "SELECT count(*) FROM feeds WHERE last_success IS NOT NULL"
                )
                return bool(polled == FEEDS)

            await until_async(all_polled, logs, "every feed's first poll (its backlog)")

            # Round 1: a new item in every feed, posted once each.
            for n, path in enumerate(paths):
                serve(path, item(1, n))
            await fake.wait_for_messages(news.id, FEEDS, timeout=CEILING)

            # Round 2: the feeds' answers are held back until both pollers hold feeds.
            feeds.open.clear()
            for n, path in enumerate(paths):
                serve(path, item(2, n))

            async def holders() -> dict[int, list[int]] | None:
                rows = await database.fetch(
                    "SELECT lease_owner, id FROM feeds WHERE lease_owner IS NOT NULL"
                )
                held: dict[int, list[int]] = {}
                for row in rows:
                    held.setdefault(int(row[0].split("/")[1]), []).append(int(row[1]))
                return held if sum(map(len, held.values())) == FEEDS else None

            held = await until_async(holders, logs, "every feed claimed by a poller")
            victim = next(p for p in pollers if p.process and p.process.pid in held)
            survivor = next(p for p in pollers if p is not victim)
            assert victim.process is not None
            victim_feeds = held[victim.process.pid]
            assert await victim.stop(signal.SIGKILL) == -signal.SIGKILL
            feeds.open.set()

            # The survivor stores its own feeds now and the victim's once their leases ran
            # out; the gateway posts every item once.
            await fake.wait_for_messages(news.id, 2 * FEEDS, timeout=CEILING)
            # Each of the victim's feeds is stored by the survivor after the kill. (Which
            # poller polled which feed before is chance: look feed by feed, not at a total.)
            await until(
                lambda: all(
                    f"poll feed_id={feed} status=ok new=1 " in survivor.log()
                    for feed in victim_feeds
                ),
                logs,
                "the survivor polling the killed poller's feeds",
            )
            # More cycles: nothing comes twice.
            lines = survivor.log().count("poll feed_id=")
            await until(
                lambda: survivor.log().count("poll feed_id=") >= lines + FEEDS,
                logs,
                "more poll cycles",
            )
            texts = [text_of(message) for message in fake.messages_in(news.id)]
            for round_ in (1, 2):
                for n in range(FEEDS):
                    title = item(round_, n)[1]
                    assert sum(title in text for text in texts) == 1, (title, texts)
            assert not any("Backlog story" in text for text in texts)
            assert len(texts) == 2 * FEEDS

            assert await survivor.stop() == 0
            assert await gateway.stop() == 0
            assert "leading:" in gateway.log()
            assert fake.token not in logs()
        finally:
            await database.close()
            for process in processes:
                if process.process is not None and process.process.returncode is None:
                    process.process.kill()
                    await asyncio.wait_for(process.process.wait(), CEILING)
            if os.environ.get("SHOPWIRE_E2E_LOG"):
                print(logs())

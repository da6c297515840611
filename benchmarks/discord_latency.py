"""Discord-side latency of the real bot process, through the loopback fake of Discord.

    uv run python benchmarks/discord_latency.py [--items 100000] [--rounds 40] [--samples 3]

1. Stores ``--items`` synthetic items, starts `shopwire run` against the fake, and times
   `/news latest` and `/news search` from the interaction's dispatch to the bot's first answer
   (the initial response Discord requires within 3 s) and to the finished reply.
2. With a 60-second poll interval, times how long a new item takes from appearing in a feed to
   being posted in a subscribed channel (``--samples`` times, at random moments).

Prints one JSON line of figures. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import percentile, top_up  # noqa: E402
from bot.app import open_newsroom  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.fakediscord import FakeDiscord, Perm  # noqa: E402
from tests.fakes.feedserver import FeedServer, rss  # noqa: E402

QUERIES = ["amazon", "temu tariffs", '"de minimis"', "shein fined", "warehouses", "seller fees"]
COMPANIES = ["temu", "amazon", "shein", None]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
        "n": len(values),
    }


async def build_database(path: Path, items: int, feed_url: str) -> None:
    settings = load_settings(environ={"SHOPWIRE_DB": str(path), "SHOPWIRE_SEED_CATALOGUE": "0"})
    async with open_newsroom(settings) as newsroom:
        feed = await newsroom.service.add_feed(feed_url, name="Loopback Commerce")
        await top_up(newsroom.storage, [feed.id], items, newsroom.tagger)


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as handle:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, stdout=handle, stderr=handle
        )


async def stop_bot(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def time_commands(fake: FakeDiscord, world: dict[str, Any], rounds: int) -> dict[str, Any]:
    rng = random.Random(3)
    first: dict[str, list[float]] = {"latest": [], "search": []}
    done: dict[str, list[float]] = {"latest": [], "search": []}
    for n in range(rounds):
        for kind in ("latest", "search"):
            options: dict[str, Any] = {"count": 5}
            company = COMPANIES[n % len(COMPANIES)]
            if company:
                options["company"] = company
            if kind == "search":
                options["query"] = rng.choice(QUERIES)
            started = time.perf_counter()
            handle = await fake.invoke_slash(
                world["guild"].id,
                world["channel"].id,
                world["member"].id,
                f"news {kind}",
                options=options,
            )
            await handle.response(timeout=10)
            first[kind].append(time.perf_counter() - started)
            await handle.wait_original(timeout=10)
            done[kind].append(time.perf_counter() - started)
    return {
        f"{kind}_{stage}": summary(values[kind])
        for kind in ("latest", "search")
        for stage, values in (("initial_response", first), ("finished", done))
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"items": args.items}

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "latency.db"
        async with FakeDiscord() as fake, FeedServer() as feeds:
            feed_url = feeds.serve(
                "/feed.xml", rss([("s-1", "Temu starts the season", "Opening item.")])
            )
            started = time.perf_counter()
            await build_database(db, args.items, feed_url)
            figures["build_s"] = round(time.perf_counter() - started, 1)

            guild = fake.add_guild("Bench")
            channel = guild.add_text_channel("news")
            admin = guild.add_member(
                fake.add_user("admin"), roles=[guild.add_role("Admins", Perm.MANAGE_GUILD)]
            )
            member = guild.add_member(fake.add_user("member"))
            world = {"guild": guild, "channel": channel, "member": member}
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("SHOPWIRE_")},
                **fake.env(),
                "SHOPWIRE_DB": str(db),
                "SHOPWIRE_SEED_CATALOGUE": "0",
                "SHOPWIRE_POLL_INTERVAL": "60",
                "SHOPWIRE_DEV_GUILD_ID": str(guild.id),
            }
            bot = await start_bot(env, Path(tmp) / "bot.log")
            try:
                await fake.wait_for_command_sync(guild.id, timeout=60)
                await fake.wait_until_connected(timeout=60)
                figures.update(await time_commands(fake, world, args.rounds))

                handle = await fake.invoke_slash(
                    guild.id, channel.id, admin.id, "subscribe", options={"channel": channel.id}
                )
                await handle.wait_original(timeout=10)
                delays = []
                rng = random.Random(5)
                for sample in range(args.samples):
                    await asyncio.sleep(rng.uniform(0, 60))
                    title = f"Temu sample {sample} lands"
                    feeds.serve(
                        "/feed.xml",
                        rss([(f"n-{sample}", title, "Fresh."), ("s-1", "Temu starts", "Open.")]),
                    )
                    appeared = time.perf_counter()

                    def posted(title: str = title) -> bool:
                        return any(
                            title in (e.get("title") or "")
                            for m in fake.messages_in(channel.id)
                            for e in m.embeds
                        )

                    await fake.wait_until(posted, timeout=120, what=f"the post of {title!r}")
                    delays.append(time.perf_counter() - appeared)
                if delays:  # --samples 0 times the commands only
                    figures["item_to_post_s"] = {
                        "median": round(statistics.median(delays), 1),
                        "max": round(max(delays), 1),
                        "samples": [round(d, 1) for d in delays],
                        "poll_interval_s": 60,
                    }
            finally:
                await stop_bot(bot)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())

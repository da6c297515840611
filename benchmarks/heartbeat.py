"""Gateway heartbeats of the real bot process during a cold poll and a flood.

    uv run python benchmarks/heartbeat.py [--feeds 50] [--items 200] [--flood 3000]
        [--heartbeat-ms 41250] [--asyncio-debug] [--log bot.log]

`shopwire run` against the loopback fake of Discord and the benchmark corpus (served from its
own process, as in ingest.py): ``--feeds`` x ``--items`` items in the first poll (the cold
poll; 10,000 by default), stories placed after it, then ``--feeds 0`` grows by ``--flood`` new
items, which a subscribed channel receives (posts and roundups) while they are placed in
stories. The fake records when each heartbeat arrives and the interval it announced; the
figures are how much later than that interval the heartbeats came (the keep-alive thread
sleeps one interval after each send, so lateness is the time the send waited for the bot's
loop and for the GIL), and what discord.py logged about the gateway ("Can't keep up",
"heartbeat blocked"). A short ``--heartbeat-ms`` (1000) samples the loop's lag every second;
the default interval shows the "Can't keep up" race (only reported past 10 s).
``--asyncio-debug`` runs the bot with asyncio's debug mode, which logs every callback that
held the loop for more than 100 ms (it slows the bot a little).

The fake's own loop lag is sampled as well: a late heartbeat the fake could not read in time is
not the bot's. Prints a plain summary, then one JSON line of figures. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ingest import CorpusServer, LagProbe, percentile  # noqa: E402
from bot.app import open_newsroom  # noqa: E402
from bot.news.model.vocabulary import SubscriptionMode  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.fakediscord import FakeDiscord  # noqa: E402
from tests.fakediscord.gateway import HeartbeatRecord  # noqa: E402
from tests.fakes.environment import clean_environ  # noqa: E402

CEILING = 900.0
POLLED = re.compile(r"poll feed_id=(\d+) status=(\w+) new=(\d+)")
ASSIGNED = re.compile(r"stories assigned=(\d+)")
BEHIND = re.compile(r"Can't keep up, shard ID \S+ websocket is ([\d.]+)s behind")
SLOW = re.compile(r"Executing .* took ([\d.]+) seconds")


async def prepare(db: Path, server: CorpusServer, feeds: int, guild: int, channel: int) -> None:
    settings = load_settings(environ={"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    async with open_newsroom(settings) as newsroom:
        for feed in range(feeds):
            await newsroom.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
        await newsroom.subscriptions.subscribe(
            guild_id=guild,
            channel_id=channel,
            subscription_filter=newsroom.subscriptions.build_filter(None, None, None),
            created_by=None,
            mode=SubscriptionMode.REALTIME,
        )


def beats_figures(beats: list[HeartbeatRecord]) -> dict[str, Any]:
    # The first heartbeat of a socket answers HELLO at once: no interval to be late against.
    late = [b.late_by for b in beats if b.gap > b.interval / 2]
    if not late:
        return {"heartbeats": len(beats)}
    return {
        "heartbeats": len(beats),
        "late_p50_ms": round(percentile(late, 0.5) * 1000, 1),
        "late_p95_ms": round(percentile(late, 0.95) * 1000, 1),
        "late_max_ms": round(max(late) * 1000, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--flood", type=int, default=3000)
    parser.add_argument("--heartbeat-ms", type=int, default=41250)
    parser.add_argument(
        "--after", type=int, default=3, help="heartbeats to watch after the flood is placed"
    )
    parser.add_argument("--asyncio-debug", action="store_true")
    parser.add_argument("--log", type=Path, help="keep the bot's log in this file")
    args = parser.parse_args()
    cold_total = args.feeds * args.items

    server = CorpusServer(args.feeds, args.items)
    server.start()
    figures: dict[str, Any] = {
        "benchmark": "heartbeat",
        "cold_items": cold_total,
        "flood_items": args.flood,
        "heartbeat_interval_ms": args.heartbeat_ms,
        "asyncio_debug": args.asyncio_debug,
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "shopwire.db"
            log_path = Path(tmp) / "bot.log"
            async with FakeDiscord(heartbeat_interval_ms=args.heartbeat_ms) as fake:
                guild = fake.add_guild("Bench")
                channel = guild.add_text_channel("firehose")
                await prepare(db, server, args.feeds, guild.id, channel.id)
                env = {
                    **clean_environ(),
                    **fake.env(),
                    "PYTHONPATH": str(ROOT),
                    "SHOPWIRE_DB": str(db),
                    "SHOPWIRE_SEED_CATALOGUE": "0",
                    "SHOPWIRE_POLL_INTERVAL": "10",
                    "SHOPWIRE_MAX_ITEMS_PER_POLL": str(max(args.items, args.flood) + 100),
                    "SHOPWIRE_DEV_GUILD_ID": str(guild.id),
                    "SHOPWIRE_LOG_LEVEL": "INFO",
                }
                if args.asyncio_debug:
                    env["PYTHONASYNCIODEBUG"] = "1"

                def log() -> str:
                    return log_path.read_text(errors="replace") if log_path.exists() else ""

                def assigned() -> int:
                    return sum(int(n) for n in ASSIGNED.findall(log()))

                probe = LagProbe(0.01)
                probe.start()
                with log_path.open("ab") as handle:
                    bot = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "run", env=env, stdout=handle, stderr=handle
                    )
                try:
                    started = time.perf_counter()
                    await fake.wait_until_connected(timeout=CEILING)
                    await fake.wait_until(
                        lambda: (
                            len({m[0] for m in POLLED.findall(log()) if m[1] == "ok"}) >= args.feeds
                        ),
                        timeout=CEILING,
                        what="the cold poll",
                    )
                    figures["cold_poll_s"] = round(time.perf_counter() - started, 1)
                    await fake.wait_until(
                        lambda: assigned() >= cold_total, timeout=CEILING, what="cold stories"
                    )
                    figures["cold_poll_and_stories_s"] = round(time.perf_counter() - started, 1)
                    cold_beats = list(fake.gateway.heartbeat_log)

                    await server.grow([0], args.flood)
                    flood_started = time.perf_counter()
                    await fake.wait_until(
                        lambda: f"poll feed_id=1 status=ok new={args.flood}" in log(),
                        timeout=CEILING,
                        what="the flood stored",
                    )
                    await fake.wait_until(
                        lambda: assigned() >= cold_total + args.flood,
                        timeout=CEILING,
                        what="the flood placed in stories",
                    )
                    figures["flood_stored_and_placed_s"] = round(
                        time.perf_counter() - flood_started, 1
                    )
                    seen = fake.gateway.heartbeats
                    await fake.wait_until(
                        lambda: fake.gateway.heartbeats >= seen + args.after,
                        timeout=CEILING,
                        what="heartbeats after the flood",
                    )
                    figures["flood_messages"] = len(fake.messages_in(channel.id))
                    flood_beats = fake.gateway.heartbeat_log[len(cold_beats) :]
                finally:
                    if bot.returncode is None:
                        bot.terminate()
                        try:
                            await asyncio.wait_for(bot.wait(), 60)
                        except TimeoutError:
                            bot.kill()
                            await bot.wait()
                    figures.update({f"fake_{k}": v for k, v in (await probe.stop()).items()})
                    text = log()
                    if args.log is not None:
                        args.log.write_text(text)
    finally:
        server.stop()

    figures["cold"] = beats_figures(cold_beats)
    figures["flood"] = beats_figures(flood_beats)
    behind = [float(s) for s in BEHIND.findall(text)]
    slow = [float(s) for s in SLOW.findall(text)]
    figures["cant_keep_up"] = len(behind)
    figures["cant_keep_up_max_s"] = max(behind, default=None)
    figures["heartbeat_blocked"] = text.count("heartbeat blocked for more than")
    figures["reconnects"] = len(fake.gateway.connect_queries) - 1
    if args.asyncio_debug:
        figures["slow_callbacks"] = len(slow)
        figures["slow_callback_max_s"] = max(slow, default=None)
    print(
        f"heartbeats against a {args.heartbeat_ms} ms interval, cold poll of {cold_total} items "
        f"({figures['cold_poll_s']} s, with stories {figures['cold_poll_and_stories_s']} s) and "
        f"a {args.flood}-item flood ({figures['flood_stored_and_placed_s']} s to store and "
        f"place):\n  cold: {figures['cold']}\n  flood: {figures['flood']}\n"
        f"  Can't keep up: {len(behind)} (max {figures['cant_keep_up_max_s']} s), heartbeat "
        f"blocked: {figures['heartbeat_blocked']}, reconnects: {figures['reconnects']}, "
        f"fake loop lag max {figures['fake_lag_max_ms']} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())

"""CLI latency: how long `shopwire latest`, `search` and `poll` take, process start included.

    uv run python benchmarks/cli_latency.py [--runs 10] [--feeds 200] [--items 50]

1. Builds a database of ``--feeds`` x ``--items`` items (10,000 by default) in a temporary
   directory through the real code path (``open_newsroom``: add the feeds, one cold poll,
   story assignment), from a loopback aiohttp server in this process, listening on 127.0.0.1-50
   so that the per-host politeness limit applies as it would across real sites.
2. Times each command as a subprocess, the way an operator runs it, ``--runs`` times after one
   untimed warm-up, with two launchers: ``uv run shopwire`` (uv's own start-up and lock check
   included) and the console script inside the venv (``.venv/bin/shopwire``).
3. ``poll --all`` polls every feed while none has changed: every feed answers 304 to the
   conditional GET, except, with ``--same-body-every N``, every Nth feed, which sends no
   validators and answers with the same body (so it is downloaded and hashed, and found to be
   the document parsed last time: not parsed again).
   ``--poll-runs`` times it.
4. Splits one unchanged poll into its phases in this process: opening the newsroom, polling
   the feeds, assigning stories afterwards (what the CLI's poll does after its round).
5. With ``--cold-runs N``, times the cold poll through the CLI: ``shopwire poll --all --json``
   (the venv's console script) on a fresh copy of a database whose feeds were added but never
   polled, served by ``ingest.py``'s corpus server in its own process. It reports the time
   from the process's start until every item is stored (read from the database file every 20
   ms: searchable), until the process exits (the CLI places stories after its poll), and the
   processes that outlived it (not zombies). ``--code DIR`` times another checkout's
   ``shopwire`` instead (an A/B of the same benchmark); ``--cold-only`` skips steps 1-4.

Commands run with Python's bytecode cache on (in the temporary directory), as an operator's
install has it, even when this shell sets PYTHONDONTWRITEBYTECODE; ``--no-bytecode-cache``
keeps the environment as it is. Prints a plain summary, then one JSON line with p50/p95 per
command and launcher. The server runs in this process, which is otherwise idle while a command
runs. Nothing leaves 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import Corpus  # noqa: E402
from benchmarks.ingest import CorpusServer, percentile  # noqa: E402
from bot.app import open_newsroom  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from tests.fakes.environment import clean_environ  # noqa: E402

QUERIES = ["amazon", "temu tariffs", '"de minimis"', "shein fined", "seller fees"]
HOSTS = 50


class UnchangedFeeds:
    """Serves the corpus as it is, forever: 304 on a matching ETag, else the same body."""

    def __init__(self, corpus: Corpus, feeds: int, same_body_every: int = 0) -> None:
        self.same_body_every = same_body_every
        self.bodies = {feed: corpus.document(feed) for feed in range(feeds)}
        self.etags = {
            feed: '"' + hashlib.sha1(body).hexdigest() + '"' for feed, body in self.bodies.items()
        }
        self.requests = 0
        self.not_modified = 0
        self.port = 0
        self._runner: web.AppRunner | None = None

    def url(self, feed: int) -> str:
        return f"http://127.0.0.{feed % HOSTS + 1}:{self.port}/feed/{feed}.xml"

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        feed = int(request.match_info["feed"])
        body = self.bodies[feed]
        if self.same_body_every and feed % self.same_body_every == 0:
            return web.Response(body=body, content_type="application/xml")
        etag = self.etags[feed]
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"ETag": etag, "Content-Type": "application/xml"})

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/feed/{feed}.xml", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        assert isinstance(site._server, asyncio.Server)
        self.port = site._server.sockets[0].getsockname()[1]
        for host in range(2, HOSTS + 1):
            await web.TCPSite(self._runner, f"127.0.0.{host}", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def build_database(db: Path, server: UnchangedFeeds, feeds: int) -> int:
    settings = load_settings(environ={"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    async with open_newsroom(settings) as newsroom:
        for feed in range(feeds):
            await newsroom.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
        reports = await newsroom.service.poll(include_not_due=True)  # stories assigned after it
        errors = [r.error for r in reports if r.error]
        assert not errors, f"the cold poll failed: {errors[:3]}"
        return await newsroom.storage.items.count()


async def poll_phases(db: Path) -> dict[str, float]:
    """One unchanged poll in this process, phase by phase (seconds); what the CLI's does."""
    settings = load_settings(environ={"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    phases: dict[str, float] = {}
    started = time.perf_counter()
    async with open_newsroom(settings) as newsroom:
        phases["open_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await newsroom.updater.update_due(include_not_due=True)
        phases["feeds_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await newsroom.assigner.run()
        phases["story_assignment_s"] = time.perf_counter() - started
        started = time.perf_counter()
    phases["close_s"] = time.perf_counter() - started
    return {name: round(seconds, 3) for name, seconds in phases.items()}


async def count_items(db: Path) -> int:
    settings = load_settings(environ={"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    async with open_newsroom(settings) as newsroom:
        return await newsroom.storage.items.count()


async def cold_polls(args: argparse.Namespace, work: Path) -> dict[str, object]:
    """``--cold-runs`` cold polls through the CLI, each on a fresh copy of a database whose
    feeds were added and never polled (step 5 of the module docstring)."""
    script = (args.code or ROOT) / ".venv" / "bin" / "shopwire"
    server = CorpusServer(args.feeds, args.items)
    server.start()
    try:
        template = work / "cold-template.db"
        settings = load_settings(
            environ={"SHOPWIRE_DB": str(template), "SHOPWIRE_SEED_CATALOGUE": "0"}
        )
        async with open_newsroom(settings) as newsroom:
            for feed in range(args.feeds):
                await newsroom.service.add_feed(server.url(feed), name=f"Commerce Wire {feed}")
        env = clean_environ()
        env.update({"SHOPWIRE_SEED_CATALOGUE": "0", "PYTHONPYCACHEPREFIX": str(work / "pyc")})
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        stored_at, exited_at, left = [], [], []
        for run in range(args.cold_runs + 1):  # the first is a warm-up (.pyc, page cache)
            db = work / f"cold-{run}.db"
            shutil.copyfile(template, db)
            env["SHOPWIRE_DB"] = str(db)
            stored, exited, leftover = await cold_poll(script, env, db, args.feeds * args.items)
            if run:
                stored_at.append(stored)
                exited_at.append(exited)
                left.append(leftover)
    finally:
        server.stop()
    return {
        "code": str(args.code or ROOT),
        "until_stored": figures(stored_at),
        "until_exit": figures(exited_at),
        "processes_left": left,
    }


async def cold_poll(
    script: Path, env: dict[str, str], db: Path, expected: int
) -> tuple[float, float, int]:
    """One cold `shopwire poll --all --json`: seconds from its start until ``expected`` items
    are stored, and until it exits; how many processes it left running."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(script),
        "poll",
        "--all",
        "--json",
        cwd=db.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    finished = asyncio.create_task(process.communicate())
    stored_at = None
    async with asyncio.timeout(300):
        while stored_at is None:
            if stored_items(db) >= expected:
                stored_at = time.perf_counter() - started
            elif finished.done():
                break
            else:
                await asyncio.sleep(0.02)
        out, err = await finished
    exited_at = time.perf_counter() - started
    if process.returncode != 0 or stored_at is None:
        raise SystemExit(f"the cold poll failed ({process.returncode}): {err.decode()[-2000:]}")
    reports = json.loads(out)
    assert not [r for r in reports if r["error"]], "a feed failed in the cold poll"
    return stored_at, exited_at, len(orphans(script.parent.parent))


def stored_items(db: Path) -> int:
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT count(*) FROM items").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:  # not created yet, or busy migrating
        return 0


def orphans(venv: Path) -> list[int]:
    """Live processes adopted by init that run this venv's Python (what a CLI left behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1] == "1" and stat[0] != "Z" and str(venv).encode() in command:
            found.append(int(entry.name))
    return found


def launchers() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    uv = shutil.which("uv")
    if uv is not None:
        found["uv run"] = [uv, "run", "--project", str(ROOT), "shopwire"]
    script = ROOT / ".venv" / "bin" / "shopwire"
    if script.exists():
        found["venv"] = [str(script)]
    if not found:
        raise SystemExit("neither uv nor .venv/bin/shopwire found")
    return found


async def run_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.decode()}")
    return elapsed, out.decode()


def check_poll(output: str, feeds: int) -> None:
    reports = json.loads(output)
    assert len(reports) == feeds, f"polled {len(reports)} feeds, expected {feeds}"
    changed = [r for r in reports if r["new_items"] or r["updated_items"] or r["error"]]
    assert not changed, f"feeds changed or failed during an unchanged poll: {changed[:3]}"


def figures(samples: list[float]) -> dict[str, float]:
    return {
        "p50_s": round(statistics.median(samples), 3),
        "p95_s": round(percentile(samples, 0.95), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "n": len(samples),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="timed runs of latest and search")
    parser.add_argument("--poll-runs", type=int, default=5, help="timed runs of poll")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run commands with the environment's PYTHONDONTWRITEBYTECODE as it is",
    )
    parser.add_argument(
        "--db",
        type=Path,
        help="keep the database here: built if missing, else a copy of it is used (with --port)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="serve the feeds on this port (0: any free one)"
    )
    parser.add_argument(
        "--same-body-every",
        type=int,
        default=4,
        metavar="N",
        help="every Nth feed answers with its unchanged body instead of 304 (0: none)",
    )
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument(
        "--cold-runs", type=int, default=0, help="timed cold polls through the CLI (step 5)"
    )
    parser.add_argument("--cold-only", action="store_true", help="only the cold polls (step 5)")
    parser.add_argument(
        "--code", type=Path, help="the checkout whose .venv/bin/shopwire the cold polls run"
    )
    args = parser.parse_args()
    if args.db is not None and not args.port:
        parser.error("--db needs --port: the stored feed URLs name the port")
    if args.cold_only:
        if not args.cold_runs:
            parser.error("--cold-only needs --cold-runs")
        with tempfile.TemporaryDirectory() as tmp:
            cold = await cold_polls(args, Path(tmp))
        print(json.dumps({"feeds": args.feeds, "items": args.items, "cold_poll": cold}))
        return

    server = UnchangedFeeds(Corpus(args.feeds, args.items), args.feeds, args.same_body_every)
    await server.start(args.port)
    results: dict[str, object] = {
        "feeds": args.feeds,
        "runs": args.runs,
        "poll_runs": args.poll_runs,
        "same_body_every": args.same_body_every,
        "bytecode_cache": not args.no_bytecode_cache,
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            db = work / "bench.db"
            if args.db is not None and args.db.exists():
                shutil.copyfile(args.db, db)  # closed cleanly: the file alone holds everything
                print(f"using a copy of {args.db}")
            else:
                started = time.perf_counter()
                stored = await build_database(db, server, args.feeds)
                results["build_s"] = round(time.perf_counter() - started, 1)
                print(f"built {stored} items from {args.feeds} feeds in {results['build_s']} s")
                if args.db is not None:
                    shutil.copyfile(db, args.db)

            env = clean_environ()
            env.update({"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
            if not args.no_bytecode_cache:
                # Compiled once by the warm-up run, as an operator's first run would.
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            commands: dict[str, list[list[str]]] = {
                "latest": [["latest"]],
                "search": [["search", query] for query in QUERIES],
                "poll": [["poll", "--all", "--json"]],
            }
            for launcher, prefix in launchers().items():
                for name, variants in commands.items():
                    await run_once(prefix + variants[0], env, work)  # warm-up: .pyc, page cache
                    samples = []
                    for n in range(args.poll_runs if name == "poll" else args.runs):
                        elapsed, output = await run_once(
                            prefix + variants[n % len(variants)], env, work
                        )
                        samples.append(elapsed)
                        if name == "poll":
                            check_poll(output, args.feeds)
                    stats = figures(samples)
                    results[f"{name} ({launcher})"] = stats
                    print(
                        f"{name:<7} {launcher:<7} p50 {stats['p50_s']:.3f} s  "
                        f"p95 {stats['p95_s']:.3f} s  (min {stats['min_s']:.3f}, "
                        f"max {stats['max_s']:.3f}, {stats['n']} runs)"
                    )
            phases = await poll_phases(db)
            results["poll_phases"] = phases
            print(
                "one unchanged poll in-process: " + ", ".join(f"{k} {v}" for k, v in phases.items())
            )
            if args.cold_runs:
                results["cold_poll"] = await cold_polls(args, work)
            results["items"] = await count_items(db)
            results["requests_served"] = server.requests
            results["not_modified_served"] = server.not_modified
    finally:
        await server.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())

"""The CLI answers at once: what `latest`, `search` and an unchanged `poll` must not load.

Each command runs in a fresh interpreter (the test process has imported everything already),
then reports which heavy modules it loaded and whether the tag tables were compiled. No timing:
what is not imported or built cannot cost anything, on any machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.fakes.feedserver import FeedServer, rss

ROOT = Path(__file__).resolve().parents[2]

# Never needed to read the database: Discord, charts, the HTTP client, the feed parser and the
# parser's process pool, the LLM client.
READ_PATH_FORBIDDEN = (
    "discord",
    "matplotlib",
    "numpy",
    "aiohttp",
    "feedparser",
    "multiprocessing",
    "concurrent.futures.process",
    "bot.news.adapters.http_fetcher",
    "bot.news.adapters.feed_parse",
    "bot.news.adapters.parsing_pool",
    "bot.news.adapters.llm_prose",
    "bot.charts",
    "bot.runner",
    "bot.client",
    # Nor the services that poll, deliver, post digests or group stories, nor PostgreSQL's
    # driver: `latest` and `search` open the database alone (bot.app.open_reader_now), and
    # on an up-to-date SQLite file read it without an event loop (bot.loopless).
    "asyncio",
    "aiosqlite",
    "ssl",
    "asyncpg",
    "bot.news.services.news",
    "bot.news.services.feed_updater",
    "bot.news.services.delivery",
    "bot.news.services.digests",
    "bot.news.services.subscriptions",
    "bot.news.services.story_assigner",
    "bot.news.stories.clusterer",
    "bot.news.stories.features",
)
# Without --company or --topic, not even the names of companies and topics.
UNFILTERED_READ_FORBIDDEN = (
    "bot.news.tagging.company_tagger",
    "bot.news.tagging.companies",
    "bot.news.tagging.topics",
)
# A poll where no feed changed fetches (aiohttp) but parses and tags nothing.
UNCHANGED_POLL_FORBIDDEN = (
    "discord",
    "matplotlib",
    "numpy",
    "feedparser",
    "multiprocessing",
    "concurrent.futures.process",
    "bot.news.adapters.feed_parse",
    "bot.news.adapters.parsing_pool",
)

# Runs the CLI in this interpreter, then prints one JSON line about what it loaded.
_PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
modules = sorted(sys.modules)  # before the probe imports the taggers to look at them
from bot.news.tagging.company_tagger import Tagger
from bot.news.tagging.topics import TopicTagger
report = {
    "code": code,
    "modules": modules,
    # Private on purpose: whether the tables are compiled is not part of the taggers' API.
    "companies_compiled": Tagger.default()._regexes is not None,
    "topics_compiled": TopicTagger.default()._matcher is not None,
}
print("\\nPROBE " + json.dumps(report))
"""


async def probe(*args: str, db: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPWIRE_")}
    env.pop("DISCORD_TOKEN", None)
    env.update({"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0", "PYTHONPATH": str(ROOT)})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _PROBE,
        *args,
        cwd=db.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    line = next(ln for ln in out.decode().splitlines() if ln.startswith("PROBE "))
    report: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    assert report["code"] == 0, err.decode()
    return report


def loaded(report: dict[str, object], forbidden: tuple[str, ...]) -> list[str]:
    modules = report["modules"]
    assert isinstance(modules, list)
    return sorted(
        name for name in modules if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


async def _stored_feed(db: Path, server: FeedServer) -> None:
    url = server.serve(
        "/feed.xml",
        rss(
            [
                ("temu-1", "Temu raises seller fees in Europe", "Fees go up for EU merchants."),
                ("shein-1", "SHEIN fined in France", "The regulator fined the retailer."),
            ]
        ),
    )
    await probe("feeds", "add", url, "--name", "Loopback News", db=db)
    first = await probe("poll", db=db)
    # Parsing and tagging happen in the parser workers: this process compiles no table.
    assert not first["companies_compiled"] and not first["topics_compiled"]
    assert loaded(first, ("bot.news.adapters.parsing_pool",)) == ["bot.news.adapters.parsing_pool"]


async def test_latest_and_search_load_nothing_heavy_and_compile_no_tag_table(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        await _stored_feed(db, server)
    for args in (
        ("latest",),
        ("latest", "--company", "temu", "--topic", "fees", "--json"),
        ("search", "fees"),
        ("search", "fined", "--company", "shein", "--topic", "legal", "--since", "7d"),
    ):
        report = await probe(*args, db=db)
        assert loaded(report, READ_PATH_FORBIDDEN) == [], args
        # Picking a company or a topic by name needs the names, not the matching tables.
        assert not report["companies_compiled"], args
        assert not report["topics_compiled"], args


async def test_unfiltered_latest_and_search_load_no_company_or_topic_table(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        await _stored_feed(db, server)
    for args in (
        ("latest",),
        ("latest", "--json"),
        ("search", "fees"),
        ("search", "fined OR fees", "--json"),
    ):
        report = await probe(*args, db=db)
        assert loaded(report, READ_PATH_FORBIDDEN + UNFILTERED_READ_FORBIDDEN) == [], args


async def test_an_unchanged_poll_parses_and_tags_nothing(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        await _stored_feed(db, server)
        report = await probe("poll", "--all", "--json", db=db)  # the server answers 304
    assert loaded(report, UNCHANGED_POLL_FORBIDDEN) == []
    assert not report["companies_compiled"]
    assert not report["topics_compiled"]

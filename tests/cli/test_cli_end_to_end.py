"""The operator CLI as a user meets it: the real `shopwire` process and a loopback feed server."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakediscord import FakeDiscord
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)

    def rows(self) -> list[dict[str, Any]]:
        """The output of a listing command with --json: a list of JSON objects (checked)."""
        value = self.json()
        assert isinstance(value, list) and all(isinstance(row, dict) for row in value)
        return value


async def shopwire(*args: str, db: Path, env: dict[str, str] | None = None) -> Run:
    """Run the CLI in a subprocess (bounded) and capture what a user would see."""
    environment = clean_environ()
    environment.update({"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0", **(env or {})})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=db.parent,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


TEMU = (
    "temu-1",
    "Temu pauses US shipments from China",
    "Temu stops direct parcels as de minimis ends.",
)
SHEIN = (
    "shein-1",
    "SHEIN fined in France over fake discounts",
    "The regulator fined the retailer.",
)
RAIN = ("rain-1", "Drought hits the Amazon rainforest", "River levels fall to record lows.")


async def test_add_poll_latest_search_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([TEMU, SHEIN, RAIN]))

        added = await shopwire("feeds", "add", url, "--name", "Loopback News", db=db)
        assert added.code == 0, added.err
        assert "Loopback News" in added.out

        first = await shopwire("poll", db=db)
        assert first.code == 0, first.err
        assert "3 new" in first.out

        latest = await shopwire("latest", "--json", db=db)
        assert latest.code == 0, latest.err
        items = latest.json()
        assert isinstance(items, list)
        assert {i["title"] for i in items} == {TEMU[1], SHEIN[1], RAIN[1]}
        by_title = {i["title"]: i for i in items}
        assert by_title[TEMU[1]]["companies"] == ["Temu"]
        assert by_title[RAIN[1]]["companies"] == []
        for item in items:
            assert item["source"] == "Loopback News"
            assert item["published"].endswith("+00:00")
            assert item["link"].startswith("https://news.example/")
            assert item["summary"]

        temu_only = await shopwire("latest", "--company", "temu", "--json", db=db)
        assert [i["title"] for i in temu_only.rows()] == [TEMU[1]]

        found = await shopwire("search", "fined France", "--json", db=db)
        assert found.code == 0, found.err
        assert [i["title"] for i in found.rows()] == [SHEIN[1]]

        # Topics: the SHEIN fine is legal news, the Temu shipments story is not.
        legal = await shopwire("search", "France", "--topic", "legal", "--json", db=db)
        assert legal.code == 0, legal.err
        assert [i["title"] for i in legal.rows()] == [SHEIN[1]]
        policy = await shopwire("latest", "--topic", "Policy", "--json", db=db)
        assert {i["title"] for i in policy.rows()} == {TEMU[1], SHEIN[1]}
        unknown = await shopwire("search", "temu", "--topic", "feez", db=db)
        assert unknown.code != 0
        assert "Unknown topic 'feez'" in unknown.err

        # Nothing changed on the server: the conditional GET comes back 304.
        again = await shopwire("poll", "--all", db=db)
        assert again.code == 0
        assert "1 not modified" in again.out

        # A new item appears: it is stored once, the others are not duplicated.
        new = (
            "temu-2",
            "Temu opens local warehouses in Europe",
            "Local fulfilment for EU sellers.",
        )
        server.serve("/feed.xml", rss([new, TEMU, SHEIN, RAIN]))
        third = await shopwire("poll", "--all", "--json", db=db)
        reports = third.json()
        assert isinstance(reports, list)
        assert reports[0]["new_items"] == 1 and reports[0]["status"] == "ok"
        everything = await shopwire("latest", "--limit", "50", "--json", db=db)
        assert len(everything.rows()) == 4


async def test_broken_feeds_are_reported_and_do_not_stop_the_others(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        good = server.serve("/good.xml", rss([TEMU]))
        html = server.serve(
            "/page.html", "<html><body>Not a feed</body></html>", content_type="text/html"
        )
        broken = server.serve("/broken.xml", "<rss><channel><title>x</title><item><title>cut")
        gone = server.serve("/gone.xml", "", status=410)
        # Added unchecked: the poll is what is tested here (`feeds add` refuses these).
        for url in (good, html, broken, gone):
            assert (await shopwire("feeds", "add", "--no-check", url, db=db)).code == 0
        missing = server.url("/missing.xml")
        assert (await shopwire("feeds", "add", "--no-check", missing, db=db)).code == 0

        polled = await shopwire("poll", "--json", db=db)
        assert polled.code == 0, polled.err
        reports = {r["url"]: r for r in polled.rows()}
        assert reports[good]["status"] == "ok" and reports[good]["new_items"] == 1
        assert reports[html]["status"] == "error"
        assert reports[missing]["status"] == "error" and "404" in reports[missing]["error"]
        assert reports[gone]["status"] == "disabled"
        assert "\n" not in reports[html]["error"]

        listed = await shopwire("feeds", "list", "--json", db=db)
        feeds = {f["url"]: f for f in listed.rows()}
        assert feeds[missing]["error_count"] == 1
        assert feeds[missing]["last_error"]
        assert feeds[gone]["enabled"] is False
        assert feeds[good]["item_count"] == 1

        human = await shopwire("feeds", "list", db=db)
        assert "404" in human.out


async def test_first_poll_marks_backlog_and_items_are_not_lost(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([TEMU, SHEIN]))
        await shopwire("feeds", "add", url, db=db)
        assert "2 new" in (await shopwire("poll", db=db)).out
        listed = await shopwire("latest", "--json", db=db)
        assert len(listed.rows()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("latest", "--company", "Temuu"), "Did you mean Temu"),
        (("search", '"" --- '), "at least one word"),
        (("search", "--", "-amazon"), "error:"),
        (("latest", "--limit", "1000"), "between 1 and 100"),
        (("feeds", "remove", "no-such-feed"), "No feed"),
        (("feeds", "add", "ftp://example.com/feed"), "error:"),
        (("search", "temu", "--since", "last tuesday"), "can't read"),
        (("feeds", "import-opml", "/nonexistent/file.opml"), "can't read"),
    ],
)
async def test_user_mistakes_get_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    run = await shopwire(*args, db=tmp_path / "news.db")
    assert run.code == 1
    assert message in run.err
    assert "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


async def test_bad_settings_list_every_problem(tmp_path: Path) -> None:
    run = await shopwire(
        "feeds",
        "list",
        db=tmp_path / "news.db",
        env={"SHOPWIRE_POLL_INTERVAL": "1", "SHOPWIRE_MAX_PER_HOST": "two"},
    )
    assert run.code == 2
    assert "SHOPWIRE_MAX_PER_HOST" in run.err and "poll_interval" in run.err
    assert "Traceback" not in run.err


async def test_opml_import_and_export(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="Shops">'
        '<outline text="One" xmlUrl="https://one.example/feed"/>'
        '<outline text="Two" xmlUrl="https://two.example/rss"/>'
        '<outline text="Bad" xmlUrl="gopher://three.example/"/>'
        "</outline></body></opml>"
    )
    imported = await shopwire("feeds", "import-opml", str(opml), db=db)
    assert imported.code == 0, imported.err
    assert "Imported 2 feeds, skipped 1" in imported.out
    again = await shopwire("feeds", "import-opml", str(opml), db=db)
    assert "Imported 0 feeds, skipped 3" in again.out

    exported = await shopwire("feeds", "export-opml", db=db)
    assert "https://one.example/feed" in exported.out and "https://two.example/rss" in exported.out


async def test_catalogue_is_seeded_once_and_removed_feeds_stay_removed(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    seeded = {"SHOPWIRE_SEED_CATALOGUE": "1"}
    listed = await shopwire("feeds", "list", "--json", db=db, env=seeded)
    feeds = listed.json()
    assert isinstance(feeds, list)
    assert len(feeds) >= 25
    assert any("news.google.com" in f["url"] for f in feeds)
    first = feeds[0]
    assert (await shopwire("feeds", "remove", str(first["id"]), db=db, env=seeded)).code == 0
    after = await shopwire("feeds", "list", "--json", db=db, env=seeded)
    assert len(after.rows()) == len(feeds) - 1


async def test_a_database_made_without_the_catalogue_is_never_topped_up(tmp_path: Path) -> None:
    db = tmp_path / "own.db"
    off = {"SHOPWIRE_SEED_CATALOGUE": "0"}
    added = await shopwire(
        "feeds", "add", "--no-check", "https://own.example/feed.xml", db=db, env=off
    )
    assert added.code == 0, added.err
    # Later runs without the setting (seeding is on by default) keep the operator's choice.
    for _ in range(2):
        listed = await shopwire(
            "feeds", "list", "--json", db=db, env={"SHOPWIRE_SEED_CATALOGUE": "1"}
        )
        assert [f["url"] for f in listed.rows()] == ["https://own.example/feed.xml"]


async def test_run_without_discord_says_so(tmp_path: Path) -> None:
    run = await shopwire("run", db=tmp_path / "news.db")
    assert run.code != 0
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("sync-commands", "--guild", "424242"), {}),
        (("run",), {"SHOPWIRE_DEV_GUILD_ID": "424242"}),
    ],
)
async def test_a_server_the_bot_is_not_in_gets_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    # Discord answers 403 Missing Access; this used to print a 30-line traceback.
    async with FakeDiscord() as fake:
        fake.add_guild("Sellers Hub")
        run = await shopwire(*args, db=tmp_path / "news.db", env={**fake.env(), **env})
    assert run.code == 1
    assert "Traceback" not in run.err
    [line] = [x for x in run.err.splitlines() if x.startswith("error:")]
    assert "403" in line and "Missing Access" in line and "SHOPWIRE_DEV_GUILD_ID" in line
    assert fake.token not in run.err + run.out


async def test_sync_commands_without_a_reachable_discord_says_so(tmp_path: Path) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    env = {
        "DISCORD_TOKEN": "not.a.real-token",
        "SHOPWIRE_DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
    }
    run = await shopwire("sync-commands", db=tmp_path / "news.db", env=env)
    assert run.code == 1
    assert run.err.startswith("error: cannot reach Discord")
    assert len(run.err.strip().splitlines()) == 1
    assert "not.a.real-token" not in run.err + run.out


async def test_summary_merges_one_story_from_several_sources_and_trend_draws_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        wire = server.serve(
            "/wire.xml",
            rss(
                [
                    (
                        "w-1",
                        "Temu halts direct shipments from China to the US as de minimis ends",
                        "Temu stopped shipping parcels straight from China to American buyers.",
                    ),
                    RAIN,
                ],
                title="Wire",
            ),
        )
        trade = server.serve(
            "/trade.xml",
            rss(
                [
                    (
                        "t-1",
                        "De minimis ends: Temu stops direct China-to-US parcel shipments",
                        "The marketplace halted direct parcels from China to US shoppers.",
                    ),
                    SHEIN,
                ],
                title="Trade",
            ),
        )
        for url in (wire, trade):
            assert (await shopwire("feeds", "add", url, db=db)).code == 0
        assert (await shopwire("poll", db=db)).code == 0

        summary = await shopwire("summary", "--json", db=db)
        assert summary.code == 0, summary.err
        document = summary.json()
        assert isinstance(document, dict)
        stories = document["stories"]
        temu = [s for s in stories if "Temu" in s["headline"]]
        assert len(temu) == 1, stories
        assert temu[0]["source_count"] == 2
        assert sorted(temu[0]["sources"]) == ["Trade", "Wire"]
        assert {"company": "Temu", "stories": 1} in document["company_counts"]

        about = await shopwire("summary", "--company", "shein", db=db)
        assert "SHEIN fined" in about.out and "Temu" not in about.out.split("\n")[1]

        chart = tmp_path / "trend.png"
        drawn = await shopwire("trend", "--out", str(chart), db=db)
        assert drawn.code == 0, drawn.err
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "Temu: 1" in drawn.out

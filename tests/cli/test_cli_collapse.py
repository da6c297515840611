"""`shopwire latest` and `shopwire search` show a story once ("+N more sources"); `--all` lists
every item. The real CLI process, a loopback feed server, and the real story assigner."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli_end_to_end import RAIN, SHEIN, shopwire
from tests.fakes.feedserver import FeedServer, rss

WIRE = (
    "w-1",
    "Temu halts direct shipments from China to the US as de minimis ends",
    "Temu stopped shipping parcels straight from China to American buyers.",
)
TRADE = (
    "t-1",
    "De minimis ends: Temu stops direct China-to-US parcel shipments",
    "The marketplace halted direct parcels from China to US shoppers.",
)
DAILY = (
    "d-1",
    "Temu halts direct China-to-US parcel shipments as the de minimis rule ends",
    "Temu no longer ships parcels directly from China to shoppers in the US.",
)
TEMU_TITLES = {WIRE[1], TRADE[1], DAILY[1]}


async def test_latest_and_search_collapse_stories_unless_all(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        feeds = [
            server.serve("/wire.xml", rss([WIRE, RAIN], title="Wire")),
            server.serve("/trade.xml", rss([TRADE, SHEIN], title="Trade")),
            server.serve("/daily.xml", rss([DAILY], title="Daily")),
        ]
        for url in feeds:
            assert (await shopwire("feeds", "add", url, db=db)).code == 0
        polled = await shopwire("poll", db=db)
        assert polled.code == 0, polled.err

        every = await shopwire("latest", "--all", "--json", db=db)
        assert every.code == 0, every.err
        items = every.json()
        assert isinstance(items, list)
        assert len(items) == 5
        temu = [i for i in items if i["title"] in TEMU_TITLES]
        assert len(temu) == 3
        [story_id] = {i["story_id"] for i in temu}
        assert story_id is not None
        assert all(i["extra_sources"] == 0 for i in items)  # nothing is hidden with --all

        collapsed = await shopwire("latest", "--json", db=db)
        assert collapsed.code == 0, collapsed.err
        shown = collapsed.json()
        assert isinstance(shown, list)
        [story] = [i for i in shown if i["title"] in TEMU_TITLES]
        assert story["story_id"] == story_id
        assert story["extra_sources"] == 2
        assert {i["title"] for i in shown} - TEMU_TITLES == {RAIN[1], SHEIN[1]}
        assert [i["extra_sources"] for i in shown if i is not story] == [0, 0]

        text = await shopwire("latest", db=db)
        assert text.code == 0, text.err
        assert text.out.count("+2 more sources") == 1
        assert sum(title in text.out for title in TEMU_TITLES) == 1
        listed = await shopwire("latest", "--all", db=db)
        assert "more source" not in listed.out
        assert sum(title in listed.out for title in TEMU_TITLES) == 3

        found = await shopwire("search", "temu parcels", "--json", db=db)
        assert found.code == 0, found.err
        hits = found.json()
        assert isinstance(hits, list)
        assert [(h["story_id"], h["extra_sources"]) for h in hits] == [(story_id, 2)]
        plain = await shopwire("search", "temu parcels", "--all", "--json", db=db)
        assert plain.code == 0, plain.err
        assert {h["title"] for h in plain.rows()} == TEMU_TITLES

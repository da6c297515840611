"""What `latest`, `feeds list` and `poll` say when there is little to show, and that their times
say they are UTC."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.test_cli_end_to_end import RAIN, SHEIN, shopwire
from tests.fakes.feedserver import FeedServer, rss

UTC_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


async def test_latest_says_none_is_about_the_company_and_how_many_are_stored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    empty = await shopwire("latest", "--company", "temu", db=db)
    assert empty.code == 0, empty.err
    assert empty.out.strip() == "No items stored yet. `shopwire poll` fetches the feeds."

    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([SHEIN, RAIN]))
        assert (await shopwire("feeds", "add", url, db=db)).code == 0
        assert (await shopwire("poll", db=db)).code == 0

    temu = await shopwire("latest", "--company", "temu", db=db)
    assert temu.code == 0, temu.err
    assert temu.out.strip() == "None of the 2 stored items is about Temu."
    both = await shopwire("latest", "--company", "temu", "--topic", "legal", db=db)
    assert (
        both.out.strip()
        == "None of the 2 stored items is about Temu and in the Legal & safety topic."
    )

    listed = await shopwire("latest", db=db)
    lines = listed.out.splitlines()
    assert re.fullmatch(UTC_TIME + "  .+", lines[0]), lines[0]
    # The source line sits under the title, past the labelled time.
    assert lines[1].startswith(" " * 22) and not lines[1].startswith(" " * 23)


async def test_feeds_list_says_due_now_and_labels_times_utc(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([SHEIN]))
        assert (await shopwire("feeds", "add", url, "--name", "Shop", db=db)).code == 0
        new = await shopwire("feeds", "list", db=db)
        assert new.code == 0, new.err
        row = new.out.splitlines()[1]
        assert "due now" in row and "never" in row  # never succeeded, due now

        assert (await shopwire("poll", db=db)).code == 0
        polled = (await shopwire("feeds", "list", db=db)).out.splitlines()[1]
        assert len(re.findall(UTC_TIME, polled)) == 2, polled  # last success, next due
        assert "due now" not in polled


async def test_a_poll_with_nothing_due_says_when_the_next_feed_is_and_mentions_all(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    none = await shopwire("poll", db=db)
    assert none.code == 0, none.err
    assert none.out.strip() == "No feeds to poll. Add one with `shopwire feeds add URL`."

    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([SHEIN]))
        assert (await shopwire("feeds", "add", url, "--name", "Shop", db=db)).code == 0
        assert (await shopwire("poll", db=db)).code == 0
        again = await shopwire("poll", db=db)
    assert again.code == 0, again.err
    first, second = again.out.strip().splitlines()
    assert re.fullmatch(
        rf"No feed is due: the next is Shop, at {UTC_TIME} \(in \d+ (min|h( \d+ min)?)\)\.", first
    ), first
    assert second == "`shopwire poll --all` polls every enabled feed now."
    assert "Polled 0 feeds" not in again.out

    assert (await shopwire("feeds", "disable", "Shop", db=db)).code == 0
    disabled = await shopwire("poll", db=db)
    assert disabled.out.strip() == (
        "No feed polled: all 1 are disabled (`shopwire feeds enable FEED` turns one back on)."
    )

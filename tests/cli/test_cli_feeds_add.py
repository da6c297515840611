"""`shopwire feeds add` checks the URL and fetches the feed once before storing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_end_to_end import SHEIN, TEMU, shopwire
from tests.fakes.feedserver import FeedServer, rss
from tests.fakes.silentserver import SilentServer


async def stored_urls(db: Path) -> list[str]:
    listed = await shopwire("feeds", "list", "--json", db=db)
    assert listed.code == 0, listed.err
    feeds = listed.json()
    assert isinstance(feeds, list)
    return [f["url"] for f in feeds]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("notaurl", "is not a domain name like example.com or an IP address"),
        ("ftp://example.com/feed", "only http and https"),
    ],
)
async def test_what_is_not_a_feed_url_is_refused_and_nothing_stored(
    tmp_path: Path, typed: str, words: str
) -> None:
    db = tmp_path / "news.db"
    run = await shopwire("feeds", "add", typed, db=db)
    assert run.code == 1
    assert words in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert await stored_urls(db) == []


async def test_a_readable_feed_is_added_with_its_title_and_item_count(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([TEMU, SHEIN], title="Loopback Commerce News"))
        run = await shopwire("feeds", "add", url, db=db)
        assert run.code == 0, run.err
        assert f"Added feed 1: Loopback Commerce News <{url}>" in run.out
        assert "“Loopback Commerce News” has 2 items now." in run.out
        assert server.hits("/feed.xml") == 1

        other = server.serve("/other.xml", rss([TEMU]))
        as_json = await shopwire("feeds", "add", other, "--name", "Mine", "--json", db=db)
        document = as_json.json()
        assert isinstance(document, dict)
        assert document["name"] == "Mine"
        assert document["check"] == {
            "title": "Loopback Commerce News",
            "items": 1,
            "warning": None,
        }


async def test_what_gives_no_feed_is_refused_with_the_reason_unless_no_check(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with FeedServer() as server:
        page = server.serve(
            "/page.html", "<html><body>A shop</body></html>", content_type="text/html"
        )
        missing = server.url("/missing.xml")
        for url, reason in (
            (missing, "not found (HTTP 404 Not Found)"),
            (page, "not an RSS/Atom feed (looks like HTML)"),
        ):
            run = await shopwire("feeds", "add", url, db=db)
            assert run.code == 1
            assert run.err.strip() == (
                f"error: The feed at {url} was not added: {reason} "
                "(--no-check adds it without fetching)"
            )
        assert await stored_urls(db) == []

        unchecked = await shopwire("feeds", "add", "--no-check", missing, db=db)
        assert unchecked.code == 0, unchecked.err
        assert "items now" not in unchecked.out
        assert await stored_urls(db) == [missing]
        assert server.hits("/missing.xml") == 1  # the refused check only


async def test_a_feed_that_never_answers_is_refused_when_the_request_times_out(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    async with SilentServer() as silent:
        url = silent.url("/hang.xml")
        run = await shopwire("feeds", "add", url, db=db, env={"SHOPWIRE_TOTAL_TIMEOUT": "0.5"})
        assert run.code == 1
        assert f"The feed at {url} was not added: timed out after 0.5 s" in run.err
    assert await stored_urls(db) == []


async def test_bytes_that_are_not_utf8_are_refused_in_a_url_and_replaced_in_a_name(
    tmp_path: Path,
) -> None:
    # A shell passes b"\xff" through; Python reads it as the lone surrogate U+DCFF, which
    # sqlite3 could not encode: a traceback, before.
    db = tmp_path / "news.db"
    run = await shopwire("feeds", "add", "http://127.0.0.1:1/\udcff\udcfe", db=db)
    assert run.code == 1
    assert run.err.strip() == "error: the feed URL is not valid UTF-8 text"
    assert await stored_urls(db) == []

    named = await shopwire(
        "feeds", "add", "http://127.0.0.1:1/feed", "--name", "\udcffNews", "--no-check", db=db
    )
    assert named.code == 0, named.err
    listed = await shopwire("feeds", "list", "--json", db=db)
    feeds = listed.json()
    assert isinstance(feeds, list)
    assert [feed["name"] for feed in feeds] == ["\ufffdNews"]

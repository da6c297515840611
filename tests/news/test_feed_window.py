"""A feed with far more items than the per-feed cap is read at its two ends only, on both paths."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bot.news.adapters.feed_parse as parse_module
from bot.news.adapters.feed_parse import parse_feed
from bot.news.adapters.feed_window import cut_to_ends
from bot.news.model.vocabulary import ParsedFeed

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)


def rss_items(numbers: list[int], *, dated: bool = True) -> list[str]:
    return [
        f"<item><title>t{n}</title><link>https://a.example/{n}</link>"
        + (f"<pubDate>{START + timedelta(minutes=n):%a, %d %b %Y %H:%M:%S} +0000</pubDate>" * dated)
        + "</item>"
        for n in numbers
    ]


def rss(items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://a.example/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


def atom(numbers: list[int]) -> bytes:
    entries = "".join(
        f'<entry><title>t{n}</title><id>urn:{n}</id><link href="https://a.example/{n}"/>'
        f"<updated>{START + timedelta(minutes=n):%Y-%m-%dT%H:%M:%S}Z</updated></entry>"
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title>{entries}</feed>"
    ).encode()


def parse(body: bytes, *, max_items: int | None, fast_path: bool) -> ParsedFeed:
    return parse_feed(
        body,
        url="https://a.example/feed.xml",
        content_type="application/xml",
        now=NOW,
        max_items=max_items,
        fast_path=fast_path,
    )


def titles(feed: ParsedFeed) -> list[str]:
    return [item.title for item in feed.items]


def entries_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counts: list[int] = []
    real = parse_module._drafts

    def counting(entries: list[Mapping[str, Any]], **kwargs: Any) -> Any:
        counts.append(len(entries))
        return real(entries, **kwargs)

    monkeypatch.setattr(parse_module, "_drafts", counting)
    return counts


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("order", ["newest first", "oldest first"])
def test_a_huge_feed_keeps_its_newest_items_and_reads_only_its_ends(
    monkeypatch: pytest.MonkeyPatch, fast_path: bool, order: str
) -> None:
    numbers = list(range(3_000))
    if order == "newest first":
        numbers.reverse()
    body = rss(rss_items(numbers))
    counts = entries_read(monkeypatch)

    feed = parse(body, max_items=5, fast_path=fast_path)

    newest = [f"t{n}" for n in range(2_995, 3_000)]
    assert titles(feed) == (newest[::-1] if order == "newest first" else newest)
    assert counts == [20]  # the first and the last 2 x 5 items, of 3,000


@pytest.mark.parametrize("fast_path", [True, False])
def test_undated_items_keep_the_first_ones(
    monkeypatch: pytest.MonkeyPatch, fast_path: bool
) -> None:
    counts = entries_read(monkeypatch)

    feed = parse(rss(rss_items(list(range(1_000)), dated=False)), max_items=3, fast_path=fast_path)

    assert titles(feed) == ["t0", "t1", "t2"]
    assert counts == [12]


@pytest.mark.parametrize("fast_path", [True, False])
def test_atom_entries_are_cut_too(monkeypatch: pytest.MonkeyPatch, fast_path: bool) -> None:
    counts = entries_read(monkeypatch)

    feed = parse(atom(list(range(500))), max_items=2, fast_path=fast_path)

    assert titles(feed) == ["t498", "t499"]
    assert counts == [8]


def test_a_feed_within_four_times_the_cap_is_read_whole() -> None:
    body = rss(rss_items(list(range(40))))

    assert cut_to_ends(body, 10) is body
    assert cut_to_ends(body, None) is body
    assert cut_to_ends(body, 9) != body


def test_items_quoted_in_cdata_or_comments_leave_the_document_whole() -> None:
    quoted = "<item><title>q</title><description><![CDATA[<item>x</item>]]></description></item>"
    commented = "<item><title>c</title></item><!-- <item> -->"
    for odd in (quoted, commented):
        body = rss([*rss_items(list(range(50))), odd, *rss_items(list(range(50, 100)))])

        assert cut_to_ends(body, 2) is body


def test_the_cut_document_is_well_formed_and_keeps_the_channel() -> None:
    body = rss(rss_items(list(range(100))))

    cut = cut_to_ends(body, 1)

    assert cut.count(b"<item>") == 4
    assert cut.startswith(body[: body.index(b"<item>")])
    assert cut.endswith(b"</channel></rss>")
    feed = parse(cut, max_items=None, fast_path=True)
    assert titles(feed) == ["t0", "t1", "t98", "t99"]
    assert feed.title == "T" and feed.warning is None


def test_rss1_items_are_cut_but_not_the_items_table() -> None:
    lis = "".join(f'<rdf:li resource="https://a.example/{n}"/>' for n in range(30))
    items = "".join(
        f'<item rdf:about="https://a.example/{n}"><title>t{n}</title>'
        f"<link>https://a.example/{n}</link></item>"
        for n in range(30)
    )
    body = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://a.example/"><title>T</title>'
        f"<link>https://a.example/</link><items><rdf:Seq>{lis}</rdf:Seq></items></channel>"
        f"{items}</rdf:RDF>"
    ).encode()

    feed = parse(body, max_items=1, fast_path=True)

    assert titles(feed) == ["t0"]
    assert cut_to_ends(body, 1).count(b"<item ") == 4

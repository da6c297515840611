"""An item with tens of thousands of links, authors, categories or enclosures costs what 100 do,
and both paths keep the same first 100 of each kind (bot.news.adapters.entry_caps)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.news.adapters import fast_feed
from bot.news.adapters.entry_caps import CAPPED_KINDS, MAX_REPEATS
from bot.news.model.vocabulary import ParsedFeed
from tests.ceiling import returns_within
from tests.news.rss_document import parse_rss

_NAMESPACES = (
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:media="http://search.yahoo.com/mrss/"'
)

# One element per kind; {n} numbers them, so what was kept shows which ones were read.
_REPEATED = {
    "enclosures": '<enclosure url="https://a.example/{n}.jpg" length="1" type="image/jpeg"/>',
    "atom links": '<atom:link rel="related" href="https://a.example/r{n}"/>',
    "links": "<link>https://a.example/{n}</link>",
    "authors": "<author>a{n}@a.example (Author {n})</author>",
    "creators": "<dc:creator>Author {n}</dc:creator>",
    "categories": "<category>c{n}</category>",
    "subjects": "<dc:subject>s{n}</dc:subject>",
    "media": '<media:content url="https://a.example/m{n}.jpg" medium="image"/>',
    "thumbnails": '<media:thumbnail url="https://a.example/t{n}.jpg"/>',
}


def _document(repeated: str, count: int, *, malformed: bool = False) -> bytes:
    elements = "".join(repeated.format(n=n) for n in range(count))
    title = "t & t" if malformed else "t"  # a bare & sends feedparser to its loose parser
    return (
        f'<?xml version="1.0"?><rss version="2.0" {_NAMESPACES}><channel><title>{title}</title>'
        f"<item><title>x</title><guid>g1</guid>{elements}<description>d</description></item>"
        "<item><title>y</title><guid>g2</guid><link>https://a.example/y</link></item>"
        "</channel></rss>"
    ).encode()


def _same_items(feed: ParsedFeed, other: ParsedFeed) -> None:
    assert [replace(item, content_hash="") for item in feed.items] == [
        replace(item, content_hash="") for item in other.items
    ]
    assert feed.items == other.items


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize("kind", sorted(_REPEATED))
def test_twenty_thousand_of_a_kind_read_as_the_first_hundred(kind: str, fast_path: bool) -> None:
    # Before: 0.6-1.6 s of CPU for 20,000 (feedparser's handler per element; linear, but a
    # 10 MB document holds 400,000). After: 0.05-0.3 s, the tree or the SAX events alone.
    with returns_within(f"a parse of an item with 20,000 {kind}", 30):
        hostile = parse_rss(_document(_REPEATED[kind], 20_000), fast_path=fast_path)
    capped = parse_rss(_document(_REPEATED[kind], MAX_REPEATS), fast_path=fast_path)

    _same_items(hostile, capped)
    assert [item.title for item in hostile.items] == ["x", "y"]
    assert hostile.items[0].summary == "d"


@pytest.mark.parametrize("kind", sorted(_REPEATED))
def test_both_paths_keep_the_same_elements(kind: str) -> None:
    body = _document(_REPEATED[kind], MAX_REPEATS + 50)
    _same_items(parse_rss(body, fast_path=True), parse_rss(body, fast_path=False))


@pytest.mark.parametrize("kind", ["enclosures", "links", "categories", "creators"])
def test_the_loose_parser_skips_as_much_and_reads_on(kind: str) -> None:
    # A malformed document goes to feedparser's loose parser, which sees tags as written.
    hostile = parse_rss(_document(_REPEATED[kind], 5_000, malformed=True), fast_path=False)
    capped = parse_rss(_document(_REPEATED[kind], MAX_REPEATS, malformed=True), fast_path=False)

    _same_items(hostile, capped)
    assert hostile.items[0].summary == "d"


def test_unclosed_elements_past_the_cap_lose_nothing_after_them() -> None:
    # The loose parser never gets these ends: skipping "to the end" would swallow the rest.
    unclosed = "<link>https://a.example/{n}"
    hostile = parse_rss(_document(unclosed, 300, malformed=True), fast_path=False)

    assert [item.title for item in hostile.items] == ["x", "y"]
    assert hostile.items[0].summary == "d"
    assert hostile.items[1].link == "https://a.example/y"


def test_the_cap_counts_elements_not_distinct_values() -> None:
    # 500 copies of one category, then others: only the first 100 elements are read.
    body = _document("<category>a</category>", 500)
    body = body.replace(b"<description>", b"<category>late</category><description>")
    for fast_path in (True, False):
        assert parse_rss(body, fast_path=fast_path).items[0].categories == ("a",)


def test_every_capped_kind_has_a_feedparser_handler() -> None:
    # What lets the fast path count children only: it declines any child that holds an
    # element feedparser handles, so capped elements are never nested in what it reads.
    handled = fast_feed._HANDLED
    assert handled >= CAPPED_KINDS

"""OPML import and export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Feed
from bot.news.rules.opml import parse_opml, render_opml

NESTED = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Seller news</title></head><body>
  <outline text="Marketplaces">
    <outline text="Tamebay" type="rss" xmlUrl="https://tamebay.example/feed"/>
    <outline title="ChannelX" text="cx" type="rss" xmlUrl="https://channelx.example/feed"/>
  </outline>
  <outline text="No URL here"/>
  <outline text="Dup" xmlUrl="https://tamebay.example/feed"/>
</body></opml>"""


def test_reads_nested_outlines_once_each() -> None:
    entries = parse_opml(NESTED)
    assert [(e.url, e.title) for e in entries] == [
        ("https://tamebay.example/feed", "Tamebay"),
        ("https://channelx.example/feed", "ChannelX"),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<opml><body><outline", "not a valid OPML file"),
        (b"<rss><channel/></rss>", "not an OPML file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml>&a;</opml>',
            "declares XML entities",
        ),
    ],
)
def test_bad_documents_get_clear_errors(document: bytes, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_opml(document)


def test_export_round_trips() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    feeds = [
        Feed(1, "https://a.example/feed?x=1&y=2", "A & B", None, True, True, now),
        Feed(2, "https://b.example/rss", "B", None, True, False, now),
    ]
    document = render_opml(feeds, title="Shopwire feeds", now=now)
    entries = parse_opml(document.encode())
    assert [(e.url, e.title) for e in entries] == [
        ("https://a.example/feed?x=1&y=2", "A & B"),
        ("https://b.example/rss", "B"),
    ]
    assert 'shopwireDisabled="true"' in document

"""A byte order mark outranks the server's charset and the XML declaration, on both paths."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from bot.news.adapters.feed_parse import parse_feed

NOW = datetime(2026, 12, 7, tzinfo=UTC)
TITLE = "Zoë — ü"


def _document(encoding: str, bom: bytes) -> bytes:
    return bom + (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>P</title>'
        f"<item><title>{TITLE}</title><guid>g</guid></item></channel></rss>"
    ).encode(encoding)


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
@pytest.mark.parametrize(
    "content_type", ["application/rss+xml; charset=windows-1252", "text/xml", None]
)
def test_the_bom_decides_the_encoding(
    encoding: str, bom: bytes, content_type: str | None, fast_path: bool
) -> None:
    # Before: a UTF-8 feed with a BOM served as windows-1252 read "ZoÃ« â€” Ã¼", and a UTF-16
    # one failed as "not an RSS/Atom feed (not XML)".
    feed = parse_feed(
        _document(encoding, bom),
        url="https://a.example/feed",
        content_type=content_type,
        now=NOW,
        fast_path=fast_path,
    )
    assert [item.title for item in feed.items] == [TITLE]

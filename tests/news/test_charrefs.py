"""A character reference to no character costs its text one U+FFFD, not the feed its items."""

from __future__ import annotations

import pytest

from bot.news.adapters.charrefs import replace_impossible_charrefs
from tests.news.rss_document import parse_rss


@pytest.mark.parametrize("fast_path", [True, False])
@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#xdfff;", "&#55296;", "&#x110000;", "&#99999999999999999999999;"]
)
def test_the_feed_keeps_its_items(reference: str, fast_path: bool) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>a{reference}b</title><link>https://a.example/1</link></item>"
        "<item><title>ok</title><link>https://a.example/2</link></item></channel></rss>"
    ).encode()

    # Before: FeedParseError "could not parse the document ('utf-8' codec can't encode ...)".
    feed = parse_rss(body, fast_path=fast_path)

    assert [item.title for item in feed.items] == ["a\ufffdb", "ok"]


def test_possible_references_are_left_alone() -> None:
    body = b"&#8217; &#x1F600; &#xFFFD; &#0; &#x10FFFF; &#xD7FF; &#xE000; &amp;#xD800; &#x;"
    assert replace_impossible_charrefs(body) == body
    assert replace_impossible_charrefs(b"&#xD800;&#X110000;") == b"&#xFFFD;&#xFFFD;"

"""An item with tens of thousands of categories is read in linear time, the same on both paths."""

from __future__ import annotations

import pytest

from bot.news.adapters.feed_tags import MAX_TAGS
from tests.ceiling import returns_within
from tests.news.rss_document import parse_rss


@pytest.mark.parametrize("fast_path", [True, False])
def test_thirty_thousand_categories_do_not_take_the_parse_to_its_time_limit(
    fast_path: bool,
) -> None:
    categories = "".join(f"<category>c{n}</category>" for n in range(30_000))
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<link>https://a.example/1</link>{categories}</item></channel></rss>"
    ).encode()

    # Before: each category checked against every one before it, ~22 s of CPU on either path.
    with returns_within("a parse of an item with 30,000 categories", 30):
        feed = parse_rss(body, fast_path=fast_path)

    assert feed.items[0].categories == tuple(f"c{n}" for n in range(10))


def test_both_paths_keep_the_same_first_distinct_categories() -> None:
    # Duplicates do not count towards the cap; the 10 kept are the first 10 distinct usable
    # (of the first 100 category elements: entry_caps reads no more, test_entry_caps).
    repeated = "<category>a</category>" * 50
    blank_then_real = "<category> </category>" + "".join(
        f"<category>k{n}</category>" for n in range(MAX_TAGS - 60)
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>x</title><link>https://a.example/1</link>{repeated}{blank_then_real}</item>"
        "</channel></rss>"
    ).encode()
    fast, slow = (parse_rss(body, fast_path=fast_path) for fast_path in (True, False))

    assert fast.items == slow.items
    assert fast.items[0].categories == ("a", *(f"k{n}" for n in range(9)))

"""A parser worker's memo of each feed's last parse: reused drafts are the drafts a fresh parse
makes (``bot.news.adapters.draft_memo``, ``parse_feed(memo=...)``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.news.adapters.draft_memo import DraftMemo
from bot.news.adapters.feed_parse import parse_feed

URL = "https://example.com/feed.xml"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://example.com/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


def item(n: int, *, title: str | None = None, date: str = "Sun, 01 Mar 2026 10:00:00 GMT") -> str:
    return (
        f"<item><guid>https://example.com/a/{n}</guid><title>{title or f'Story {n}'}</title>"
        f"<link>/a/{n}?utm_source=rss</link><pubDate>{date}</pubDate>"
        f"<description>&lt;p&gt;Body of **story** {n}&lt;/p&gt;</description></item>"
    )


def test_a_document_parsed_again_reuses_every_draft_and_they_are_the_same() -> None:
    memo = DraftMemo()
    body = rss(*(item(n) for n in range(5)))
    first = parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    again = parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    assert first == again == parse_feed(body, url=URL, content_type=None, now=NOW)
    assert memo.reused == 5
    assert len(memo) == 5


def test_new_and_changed_entries_are_read_again() -> None:
    memo = DraftMemo()
    parse_feed(rss(item(1), item(2)), url=URL, content_type=None, now=NOW, memo=memo)
    body = rss(item(3), item(1), item(2, title="Story 2, corrected"))
    parsed = parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    assert parsed == parse_feed(body, url=URL, content_type=None, now=NOW)
    assert [d.title for d in parsed.items] == ["Story 3", "Story 1", "Story 2, corrected"]
    assert memo.reused == 1  # only item 1 is the same entry as before


def test_another_url_never_reuses_a_draft_relative_links_differ() -> None:
    memo = DraftMemo()
    body = rss(item(1))
    parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    other = parse_feed(
        body, url="https://mirror.example.org/feed", content_type=None, now=NOW, memo=memo
    )
    assert other.items[0].link == "https://mirror.example.org/a/1"
    assert memo.reused == 0


def test_a_date_refused_as_in_the_future_is_taken_once_it_is_plausible() -> None:
    memo = DraftMemo()
    body = rss(item(1, date="Thu, 05 Mar 2026 10:00:00 GMT"))
    early = parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    assert early.items[0].published is None
    later = NOW + timedelta(days=4)
    parsed = parse_feed(body, url=URL, content_type=None, now=later, memo=memo)
    assert memo.reused == 1
    assert parsed == parse_feed(body, url=URL, content_type=None, now=later)
    assert parsed.items[0].published == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_memory_is_bounded_the_feed_parsed_longest_ago_forgotten_first() -> None:
    memo = DraftMemo(max_drafts=4)
    for n in range(3):
        parse_feed(rss(item(1), item(2)), url=f"{URL}?{n}", content_type=None, now=NOW, memo=memo)
    assert len(memo) == 4
    parse_feed(rss(item(1), item(2)), url=f"{URL}?0", content_type=None, now=NOW, memo=memo)
    assert memo.reused == 0  # ?0 was forgotten
    parse_feed(rss(item(1), item(2)), url=f"{URL}?2", content_type=None, now=NOW, memo=memo)
    assert memo.reused == 2


def test_text_is_bounded_too_and_a_huge_entry_is_not_remembered() -> None:
    memo = DraftMemo(max_chars=100_000)
    big = "<item><guid>big</guid><title>Big</title><description>" + "word " * 12_000
    body = rss(big + "</description></item>", item(1))
    parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    assert len(memo) == 1  # item 1 only: the big entry holds 60,000 characters
    parsed = parse_feed(body, url=URL, content_type=None, now=NOW, memo=memo)
    assert memo.reused == 1
    assert parsed == parse_feed(body, url=URL, content_type=None, now=NOW)
    small = DraftMemo(max_chars=50)
    parse_feed(rss(item(1), item(2)), url=URL, content_type=None, now=NOW, memo=small)
    assert len(small) == 0  # over the bound: the feed is forgotten at once

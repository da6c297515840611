"""Tests for the plain-text helpers: HTML to text, truncation, canonical links, title suffixes."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.text import (
    ELLIPSIS,
    canonical_link,
    collapse_whitespace,
    html_to_text,
    strip_publisher_suffix,
    truncate,
)

# --- html_to_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("plain text", "plain text"),
        ("<p>Hello <b>wor</b>ld</p>", "Hello world"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line<br>break<br/>again", "line break again"),
        ("<ul><li>a</li><li>b</li></ul>", "a b"),
        ("Fish &amp; chips &mdash; &#8217;s &#x2019; &euro;5", "Fish & chips — ’s ’ €5"),
        ("a&nbsp;&nbsp;b", "a b"),
        # Escaped markup is text: decoded once, never stripped as a tag afterwards.
        ("&lt;b&gt;not bold&lt;/b&gt;", "<b>not bold</b>"),
        ("&amp;quot;", "&quot;"),
        ("before<script>alert('x')</script>after", "before after"),
        ("<SCRIPT type='text/javascript'>var a = '<p>';</SCRIPT>ok", "ok"),
        ("<style>p { color: red }</style>styled", "styled"),
        ("visible<!-- hidden <b>comment</b> -->text", "visible text"),
        ("open <script>never closed <p>gone", "open"),
        ("price < 5 and x > 3", "price < 5 and x > 3"),
        ("5<6", "5<6"),
        ('<a href="x" title="a>b">link</a>', "link"),
        # A stray quote in a real feed's attribute must not swallow the rest of the document.
        ("<a data-color='#1F98C7''>Follow</a> and <b>more</b>", "Follow and more"),
        ('summary cut off <a href="http://example.com/x', "summary cut off"),
        ("  lots \n\t of   space\u200b here ", "lots of space here"),
        ("ctrl\x00\x07chars", "ctrlchars"),
        ("<![CDATA[x]]>y", "y"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "evil",
    [
        "<a" * 50_000,
        "<!" * 50_000,
        '<a x="' * 50_000,
        "<" * 100_000,
        "<a " + 'x="1" ' * 50_000,
        "<script>" * 50_000,
        "<b>" * 50_000 + "&amp;" * 50_000,
    ],
)
def test_html_to_text_stays_linear_on_broken_markup(evil: str) -> None:
    started = time.perf_counter()
    html_to_text(evil)
    assert time.perf_counter() - started < 0.5


def test_collapse_whitespace_keeps_entities() -> None:
    assert collapse_whitespace("  a &amp;\n b ") == "a &amp; b"


# --- truncate ---------------------------------------------------------------------------------


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short", 5) == "short"
    assert truncate("", 10) == ""


def test_truncate_cuts_on_a_word_boundary() -> None:
    out = truncate("The quick brown fox jumps over the lazy dog", 20)
    assert out == "The quick brown fox" + ELLIPSIS
    assert len(out) <= 20


def test_truncate_keeps_a_whole_word_when_the_cut_falls_on_a_space() -> None:
    assert truncate("alpha beta gamma", 11) == "alpha beta" + ELLIPSIS


def test_truncate_cuts_a_long_word() -> None:
    assert truncate("abcdefghijklmnop", 5) == "abcd" + ELLIPSIS


def test_truncate_drops_dangling_punctuation() -> None:
    assert truncate("Temu, SHEIN, and Amazon", 13) == "Temu, SHEIN" + ELLIPSIS


def test_truncate_tiny_limits() -> None:
    assert truncate("hello", 1) == ELLIPSIS
    assert truncate("hello", 0) == ""


@pytest.mark.parametrize("limit", range(1, 40))
def test_truncate_never_exceeds_the_limit(limit: int) -> None:
    assert (
        len(truncate("Marketplace fees rise again for sellers on every platform", limit)) <= limit
    )


# --- canonical_link ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.example.com/news/temu?utm_source=rss&utm_medium=feed&id=7",
            "https://www.example.com/news/temu?id=7",
        ),
        ("https://example.com/a?fbclid=abc", "https://example.com/a"),
        (
            "https://example.com/a?b=2&gclid=x&a=1&mc_cid=1&mc_eid=2",
            "https://example.com/a?b=2&a=1",
        ),
        ("https://example.com/a?igshid=1&ref_src=twsrc&ttclid=9", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=x&q=1", "https://example.com/a?q=1"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("HTTPS://Example.COM/Path/Case", "https://example.com/Path/Case"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com", "https://example.com/"),
        # Kept parameters stay exactly as written: no re-encoding.
        (
            "https://example.com/s?q=a%20b+c&x=%2F&flag",
            "https://example.com/s?q=a%20b+c&x=%2F&flag",
        ),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("/relative/path?utm_source=x", "/relative/path"),
        (
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        ),
        ("http://[::1]:8080/x#y", "http://[::1]:8080/x"),
        ("http://[not-a-url", "http://[not-a-url"),
        ("", ""),
    ],
)
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


def test_canonical_link_is_idempotent() -> None:
    once = canonical_link("HTTP://Shop.Example.com/p?id=1&utm_term=x#top")
    assert canonical_link(once) == once


# --- strip_publisher_suffix -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "publisher", "expected"),
    [
        ("Temu faces EU probe - Reuters", "Reuters", "Temu faces EU probe"),
        ("Temu faces EU probe - reuters", "Reuters", "Temu faces EU probe"),
        ("SHEIN files for IPO – The Verge", "The Verge", "SHEIN files for IPO"),
        ("Amazon Prime Day | CNBC", "CNBC", "Amazon Prime Day"),
        ("Mid-title - Reuters says more", "Reuters", "Mid-title - Reuters says more"),
        ("No suffix here", "Reuters", "No suffix here"),
        ("Reuters", "Reuters", "Reuters"),
        (" - Reuters", "Reuters", "- Reuters"),
        ("Title - Reuters", None, "Title - Reuters"),
        ("Title - Reuters", "", "Title - Reuters"),
    ],
)
def test_strip_publisher_suffix(title: str, publisher: str | None, expected: str) -> None:
    assert strip_publisher_suffix(title, publisher) == expected


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_html_to_text_output_is_one_clean_line(s: str) -> None:
    out = html_to_text(s)

    assert out == out.strip()
    assert "  " not in out and "\n" not in out and "\t" not in out


@given(st.text(alphabet="ab <>&;/=\"'!-pscript", max_size=200))
def test_html_to_text_is_total_on_markup_soup(s: str) -> None:
    html_to_text(s)


@given(st.text(max_size=300), st.integers(min_value=0, max_value=400))
def test_truncate_properties(s: str, limit: int) -> None:
    out = truncate(s, limit)

    assert len(out) <= max(limit, 0)
    if len(s) <= limit:
        assert out == s
    elif limit > 1:
        assert out.endswith(ELLIPSIS)
        assert s.startswith(out[:-1])


@given(st.text(alphabet="abcXYZ/?&=#:%._-utmfbclidgref", max_size=80))
def test_canonical_link_never_raises_and_is_idempotent(tail: str) -> None:
    once = canonical_link("https://Example.com/" + tail)

    assert canonical_link(once) == once
    assert "#" not in once

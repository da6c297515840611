"""Tests for the plain-text helpers: HTML and markdown to text, truncation, canonical links,
title suffixes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.news.rules import plain_text as text
from bot.news.rules.plain_text import (
    ELLIPSIS,
    MARKDOWN_SCAN,
    canonical_link,
    collapse_whitespace,
    feed_text_to_plain,
    html_to_text,
    markdown_to_text,
    strip_publisher_suffix,
    truncate,
)
from tests.ceiling import returns_within

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
    # Four times the markup above: linear, it is read in well under a second; a quadratic scan
    # would take many minutes and fail at the ceiling. No figure is asserted (a busy machine
    # makes any flaky): benchmarks/hostile_text.py measures it.
    hostile = evil * 4
    with returns_within("html_to_text on broken markup"):
        text = html_to_text(hostile)
    assert len(text) <= len(hostile)


def test_collapse_whitespace_keeps_entities() -> None:
    assert collapse_whitespace("  a &amp;\n b ") == "a &amp; b"


# --- markdown_to_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        # Headings: markers at a line start go; a short heading ends its sentence.
        ("# Title", "Title"),
        ("# Title\n", "Title."),
        ("## Summary\nWe have released 6 new APIs.", "Summary. We have released 6 new APIs."),
        ("###### Deep\nText", "Deep. Text"),
        ("## Closed heading ##\nText", "Closed heading. Text"),
        ("## What is changing?\nText", "What is changing? Text"),
        ("  ### Indented\ntext", "Indented. text"),
        ("####### seven is not a heading", "####### seven is not a heading"),
        # ... and where the feed joined the lines (the real changelog's descriptions).
        ("## Summary We have released 6 new APIs.", "Summary We have released 6 new APIs."),
        (
            "# Summary ## What is changing The API now accepts: * `a_b` * `c_d` ## Why",
            "Summary What is changing The API now accepts: a_b c_d Why",
        ),
        ("Toys categories. # Which markets?", "Toys categories. Which markets?"),
        # Emphasis.
        ("**bold** and __bold__", "bold and bold"),
        ("an *em* and an _em_ word", "an em and an em word"),
        ("***both*** and ___both___", "both and both"),
        ("**Note:** read this", "Note: read this"),
        ("(*optional*) field", "(optional) field"),
        ('"*quoted*"', '"quoted"'),
        ("**bold with *em* inside**", "bold with em inside"),
        ("_*mixed*_ and *_mixed_*", "mixed and mixed"),
        # Inline code, links, images.
        ("call `get_orders` now", "call get_orders now"),
        ("``code with ` inside``", "code with ` inside"),
        ("see [the docs](https://x.example/docs) first", "see the docs first"),
        ('[title](https://x.example "Title") kept', "title kept"),
        ("[Wiki](https://en.wikipedia.org/wiki/Temu_(company)) page", "Wiki page"),
        ("![the logo](https://x.example/logo.png) Temu", "the logo Temu"),
        ("[![badge](b.svg)](https://x.example)", "badge"),
        ("[**bold link**](u)", "bold link"),
        ("[](https://x.example/empty) text", "text"),
        # Lists, quotes, rules, tables.
        # A list's items are kept apart once its lines are joined.
        ("- one\n- two\n* three\n+ four", "one; two; three; four"),
        ("1. first\n2) second\n\n10. tenth", "first; second; tenth"),
        (
            "Changes:\n- Faster checkout\n- New API\n\nMore text",
            "Changes: Faster checkout; New API. More text",
        ),
        ("- Done.\n- Shipped!\n- last", "Done. Shipped! last"),
        ("> quoted\n> > nested\n>> close", "quoted nested close"),
        ("> - ## Heading in a list in a quote", "Heading in a list in a quote"),
        ("above\n---\nbelow\n***\n* * *\n___\nend", "above below end"),
        ("Setext\n======\ntext", "Setext text"),
        ("| a | b |\n| --- | :---: |\n| 1 | 2 |", "| a | b | 1 | 2 |"),
        ("Impact | | | | --- | --- | | Market | US |", "Impact | Market | US |"),
        ("", ""),
        ("  \n\t ", ""),
    ],
)
def test_markdown_to_text(markdown: str, text: str) -> None:
    assert markdown_to_text(markdown) == text


@pytest.mark.parametrize(
    "ordinary",
    [
        "C# is a language",
        "Learn C#, F# and C++",
        "The #1 seller on Amazon",
        "#hashtag news",
        "5 * 3 = 15",
        "Rated 4 * 5 by buyers",
        "prices from $5* (conditions apply)",
        "Rated 5*, great",
        "Save 20%* on everything",
        "snake_case_names and _private fields",
        "a__b__c and a**b**c",
        "f**k that, said the s**t-poster",
        "2 ** 10 is 1024",
        "https://example.com/_path_/to/*file*.html",
        "-5% in sales, +1 for that",
        "2024. A year of growth",
        "Amazon | CNBC",
        "Temu - Reuters",
        "a - b - c",
        "x > 5 and y < 3",
        "[link] [comments]",
        "[1] footnote and (see above)",
        "don't `forget",
        ">5 sellers agree",
        "email me_at_example",
    ],
)
def test_markdown_to_text_leaves_ordinary_text_alone(ordinary: str) -> None:
    assert markdown_to_text(ordinary) == ordinary


def test_markdown_joined_bullets_keep_arithmetic() -> None:
    assert markdown_to_text("fields: * a * b") == "fields: a b"
    assert markdown_to_text("total 5 * 3 items") == "total 5 * 3 items"


@pytest.mark.parametrize(
    "hostile",
    [
        "*a " * 3000,
        "_a " * 3000,
        "**" * 5000,
        "[" * 2000 + "a" + "](u)" * 2000,
        "*_" * 3000 + "a" + "_*" * 3000,
        "`a``" * 3000,
        ". # " * 3000,
        "> - # 1. " * 1000 + "x",
        "- a\n" * 3000,
        "| --- " * 2000,
        "**_`[a](" * 1500,
        "![" * 3000,
        "#" * 10_000,
        "\r\n## a\r" * 2000,
    ],
)
def test_markdown_to_text_survives_hostile_input(hostile: str) -> None:
    out = markdown_to_text(hostile)

    assert len(out) <= len(hostile)
    assert "\n" not in out


# --- feed_text_to_plain -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "is_html", "text"),
    [
        ("<h2>Summary</h2><p>We <b>released</b> it.</p>", True, "Summary We released it."),
        ("<p>## Summary</p><p>We have released it.</p>", True, "Summary. We have released it."),
        ("## Summary<br>We **have** released it.", True, "Summary. We have released it."),
        ("<ul><li>- one</li><li>* two</li></ul>", True, "one; two."),
        ("&gt; quoted &amp; **bold**", True, "quoted & bold"),
        ("<p>[docs](https://x.example) and <a href='u'>link</a></p>", True, "docs and link"),
        ("<script>**x**</script>**y**", True, "y"),
        ("# Title\n\nPlain *text*", False, "Title. Plain text"),
        ("<b>not html</b> **bold**", False, "<b>not html</b> bold"),
    ],
)
def test_feed_text_to_plain(value: str, is_html: bool, text: str) -> None:
    assert feed_text_to_plain(value, is_html=is_html) == text


def test_feed_text_to_plain_reads_a_bounded_prefix() -> None:
    out = feed_text_to_plain("word " * MARKDOWN_SCAN, is_html=False)

    assert len(out) < MARKDOWN_SCAN


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


_MARKDOWN_SOUP = st.text(alphabet="*_`#>-+=|[]()!:.1 \n\tab\"'~$5C\r", max_size=120)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_MARKDOWN_SOUP, st.text(max_size=300)))
def test_markdown_to_text_properties(s: str) -> None:
    out = markdown_to_text(s)

    assert len(out) <= len(s)
    assert markdown_to_text(out) == out
    assert out == out.strip() and "\n" not in out and "  " not in out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab <>&;/=\"'!-pli*_#`[]()\n", max_size=200), st.booleans())
def test_feed_text_to_plain_properties(s: str, is_html: bool) -> None:
    out = feed_text_to_plain(s, is_html=is_html)

    assert markdown_to_text(out) == out
    if not is_html:
        assert len(out) <= len(s)


# Issue 9: U+202E in a feed title reversed the rest of an embed's line and of a roundup line.
BIDI_AND_ZERO_WIDTH = (
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
    "\u200b\u200c\u200d\u2060\ufeff"
)


def test_bidi_controls_and_zero_width_characters_are_removed_not_spaced() -> None:
    for char in BIDI_AND_ZERO_WIDTH:
        assert collapse_whitespace(f"Tik{char}Tok  Shop{char}") == "TikTok Shop"
        assert html_to_text(f"<b>Tik{char}Tok</b> Shop") == "TikTok Shop"
        assert feed_text_to_plain(f"<p>Tik{char}Tok</p> **Shop**", is_html=True) == "TikTok Shop"
        entity = f"&#x{ord(char):x};"
        assert html_to_text(f"a {entity}RTL override txet{entity} b") == "a RTL override txet b"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=BIDI_AND_ZERO_WIDTH + "ab <>&;#x20e \n", max_size=120))
def test_no_bidi_or_zero_width_character_survives_cleaning(s: str) -> None:
    for out in (
        collapse_whitespace(s),
        html_to_text(s),
        markdown_to_text(s),
        feed_text_to_plain(s, is_html=True),
    ):
        assert not set(out) & set(BIDI_AND_ZERO_WIDTH), repr(out)


def _markdown_to_text_confirming_every_pass(s: str) -> str:
    """markdown_to_text as it was before it skipped the pass that only confirms plain text."""
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(64):
        out = text._markdown_pass(s)
        if out == s:
            break
        s = out
    return text.collapse_whitespace(s)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_MARKDOWN_SOUP, st.text(max_size=200)))
def test_markdown_to_text_skips_only_passes_that_change_nothing(s: str) -> None:
    assert text.markdown_to_text(s) == _markdown_to_text_confirming_every_pass(s)

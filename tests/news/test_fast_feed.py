"""The fast path for plain RSS 2.0 / Atom 1.0 either declines a document or gives exactly what
feedparser gives: differential tests over every corpus the project has, and generated documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from benchmarks.corpus import Corpus
from bot.news.adapters.fast_feed import parse_fast
from bot.news.adapters.feed_parse import FeedParseError, _response_headers, parse_feed
from bot.news.model.vocabulary import ParsedFeed

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "feeds"
SHARED_DATA = REPO / ".." / "shared" / "data"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
URL = "https://feeds.example.com/path/feed.xml"


def both(body: bytes, content_type: str | None) -> tuple[object, object, bool]:
    """(feedparser's result, the bot's result, whether the fast path took the document)."""
    results: list[object] = []
    for fast in (False, True):
        try:
            results.append(
                parse_feed(body, url=URL, content_type=content_type, now=NOW, fast_path=fast)
            )
        except FeedParseError as exc:
            results.append(f"FeedParseError: {exc}")
    took = parse_fast(body, content_type=_response_headers(content_type)["content-type"])
    return results[0], results[1], took is not None


def differences(slow: object, fast: object) -> str:
    if not isinstance(slow, ParsedFeed) or not isinstance(fast, ParsedFeed):
        return f"{slow!r} != {fast!r}"
    lines = []
    for name in ("title", "link", "warning"):
        if getattr(slow, name) != getattr(fast, name):
            lines.append(f"{name}: {getattr(slow, name)!r} != {getattr(fast, name)!r}")
    if len(slow.items) != len(fast.items):
        lines.append(f"{len(slow.items)} items != {len(fast.items)}")
    for a, b in zip(slow.items, fast.items, strict=False):
        for name in a.__dataclass_fields__:
            if getattr(a, name) != getattr(b, name):
                lines.append(f"{a.key} {name}: {getattr(a, name)!r} != {getattr(b, name)!r}")
    return "; ".join(lines)[:2000]


_HEADER_RE = re.compile(rb"Header:\s*Content-type:\s*([^\r\n]*)", re.IGNORECASE)


def content_types(body: bytes) -> list[str | None]:
    """No Content-Type, a plain one, and the one a feedparser test file says it is served with."""
    found: list[str | None] = [None, "application/rss+xml; charset=utf-8"]
    header = _HEADER_RE.search(body[:2000])
    if header:
        found.append(header.group(1).decode("latin-1").strip())
    return found


def documents(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        skipped = path.suffix.lower() in {".md", ".tsv", ".jsonl", ".opml"}
        if path.is_file() and not skipped and path.name != "LICENSE":
            yield path


def check_corpus(root: Path) -> tuple[int, int]:
    """Every document of ``root``, each Content-Type: (documents the fast path took, total)."""
    mismatches: list[str] = []
    took_count = total = 0
    for path in documents(root):
        body = path.read_bytes()
        took_any = False
        for content_type in content_types(body):
            slow, fast, took = both(body, content_type)
            took_any = took_any or took
            if slow != fast:
                mismatches.append(
                    f"{path.relative_to(root)} [{content_type}]: " + differences(slow, fast)
                )
        took_count += took_any
        total += 1
    assert not mismatches, "\n".join(mismatches)
    return took_count, total


# --- corpora --------------------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", ["real-feeds", "feedparser-corpus"])
def test_shared_corpora_fast_path_declines_or_agrees_with_feedparser(corpus: str) -> None:
    root = SHARED_DATA / corpus
    if not root.is_dir():
        pytest.skip(f"{root} is not here (the shared data sits beside the repository)")
    took, total = check_corpus(root)
    print(f"{corpus}: the fast path took {took} of {total} documents")
    assert total > 0


def test_fixtures_fast_path_declines_or_agrees_with_feedparser() -> None:
    took, total = check_corpus(FIXTURES)
    # rss2_basic, google_news, html_description, media-free RSS and the realcase captures at least
    assert took >= 10, f"the fast path took only {took} of {total} fixtures"


def test_benchmark_corpus_takes_the_fast_path_with_identical_drafts() -> None:
    corpus = Corpus(9, 20)
    for feed in range(9):
        body = corpus.document(feed)
        slow, fast, took = both(body, "application/rss+xml")
        assert slow == fast, differences(slow, fast)
        assert took, f"feed {feed} ({corpus.kind(feed)}) went to feedparser"


# --- what the fast path refuses -------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>{items}</channel></rss>"""
ITEM = "<item><title>A</title><link>https://x.example/a</link><guid>g1</guid></item>"


def takes(document: str | bytes, content_type: str = "application/xml") -> bool:
    body = document.encode() if isinstance(document, str) else document
    return parse_fast(body, content_type=content_type) is not None


def test_a_plain_rss_document_takes_the_fast_path() -> None:
    assert takes(RSS.format(items=ITEM))


@pytest.mark.parametrize(
    "document",
    [
        # XXE and billion laughs: any DOCTYPE or ENTITY declaration is feedparser's
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<rss version="2.0"><channel><title>&b;</title></channel></rss>',
        '<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss version="2.0">'
        "<channel><title>T</title></channel></rss>",
        # an entity only HTML knows: not well-formed XML, feedparser recovers and warns
        RSS.format(items="<item><title>a&nbsp;b</title></item>"),
        # truncated
        RSS.format(items=ITEM)[:-30],
        # xml:base changes how links resolve
        RSS.format(items=ITEM).replace("<channel>", '<channel xml:base="https://y.example/">'),
        # versions and roots it does not know
        RSS.format(items=ITEM).replace('version="2.0"', 'version="0.94"'),
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title></channel>'
        "</rdf:RDF>",
        '<feed xmlns="http://purl.org/atom/ns#"><title>Atom 0.3</title></feed>',
        # an Atom text construct with XHTML markup
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>i</id>'
        '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">A <b>b</b></div></title>'
        "</entry></feed>",
        # markup inside an RSS element, a repeated element, an element feedparser maps elsewhere
        RSS.format(items="<item><title>A <b>b</b></title></item>"),
        RSS.format(items="<item><title>A</title><title>B</title></item>"),
        RSS.format(
            items="<item><title>A</title><itunes:summary xmlns:itunes="
            '"http://www.itunes.com/dtds/podcast-1.0.dtd">S</itunes:summary></item>'
        ),
        # an unknown element under a name whose value feedparser stores where titles go
        RSS.format(items="<item><title>A</title><date>Mon, 02 Nov 2026 10:00:00 GMT</date></item>"),
    ],
)
def test_documents_it_does_not_fully_understand_go_to_feedparser(document: str) -> None:
    assert not takes(document)
    slow, fast, _ = both(document.encode(), None)
    assert slow == fast


def test_an_encoding_that_header_and_declaration_disagree_on_goes_to_feedparser() -> None:
    latin = RSS.format(items=ITEM.replace("A", "Caf\u00e9")).replace("utf-8", "iso-8859-1")
    body = latin.encode("iso-8859-1")
    assert takes(body, "application/xml")
    assert takes(body, "application/xml; charset=ISO-8859-1")
    assert not takes(body, "application/xml; charset=utf-8")
    for content_type in ("text/xml; charset=utf-8", "application/rss+xml", None):
        slow, fast, _ = both(body, content_type)
        assert slow == fast, differences(slow, fast)


def test_garbage_and_malformed_documents_keep_parse_feeds_contract() -> None:
    with pytest.raises(FeedParseError, match="not an RSS/Atom feed"):
        parse_feed(b"<html><body>hi</body></html>", url=URL, content_type=None, now=NOW)
    broken = RSS.format(items=ITEM + "<item><title>B &nbsp;</title></item>").encode()
    feed = parse_feed(broken, url=URL, content_type=None, now=NOW)
    assert feed.warning and "malformed XML" in feed.warning
    assert [item.title for item in feed.items] == ["A", "B \u00a0".strip()]


def test_item_keys_are_the_same_on_both_paths_when_guid_and_link_arrive_in_either_order() -> None:
    orders = [
        "<guid>g</guid><link>https://x.example/a</link>",
        "<link>https://x.example/a</link><guid>g</guid>",
        '<guid isPermaLink="false">https://x.example/p</guid><link>/rel</link>',
        "<guid>/relative/permalink</guid>",
        "<link>/same/relative</link><guid>/same/relative</guid>",
        "<guid>/same/relative</guid><link>/same/relative</link>",
        "<link>https://x.example/only-link?a=1&amp;b=2</link>",
        "<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>",
    ]
    for fields in orders:
        body = RSS.format(items=f"<item><title>T</title>{fields}</item>").encode()
        slow, fast, took = both(body, None)
        assert took
        assert isinstance(slow, ParsedFeed) and isinstance(fast, ParsedFeed)
        assert [i.key for i in slow.items] == [i.key for i in fast.items]
        assert slow == fast


# --- generated documents --------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Amazon",
        "Temu",
        "caf\u00e9",
        "\u00c3\u00a9",  # UTF-8 read as latin-1, which feedparser repairs
        "\u0080\u0099",  # C1 controls, which feedparser maps to cp1252
        "\u65e5\u672c",
        "\U0001f600",
        "C#",
        "*NEW*",
        "## Heading",
        "[link](https://x.example)",
        "a@b.example",
        "(Jane Doe)",
        "",
        " ",
        "\n\t",
    ]
)
_MARKUP = st.sampled_from(
    [
        "&amp;",
        "&amp;amp;",
        "&lt;b&gt;bold&lt;/b&gt;",
        "&lt;p&gt;para&lt;/p&gt;",
        "&lt;br/&gt;",
        "&lt;script&gt;x&lt;/script&gt;",
        "&lt;img src=&quot;https://x.example/i.png&quot; width=&quot;300&quot;&gt;",
        "&lt;img src='/rel.jpg'&gt;",
        "&#233;",
        "&#x2019;",
        "&amp;nbsp;",
        "&amp;copy;",
        "&quot;quoted&quot;",
        "&apos;",
        "<![CDATA[<p>cdata <b>html</b> & more</p>]]>",
        "<![CDATA[plain & simple]]>",
        "<!-- a comment -->",
        "</em>",
    ]
)
_FREE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=12,
).map(escape)
_TEXT = st.lists(st.one_of(_WORDS.map(escape), _MARKUP, _FREE_TEXT), max_size=6).map(" ".join)
_DATES = st.sampled_from(
    [
        "Mon, 02 Nov 2026 10:00:00 GMT",
        "Mon, 02 Nov 2026 10:00:00 +0130",
        "2 Nov 2026 10:00 EST",
        "Sun, 31 Feb 2026 10:00:00 GMT",
        "2026-11-02T10:00:00Z",
        "2026-11-02T10:00:00.123+05:30",
        "2026-11-02",
        "1990-01-01T00:00:00Z",
        "2099-01-01T00:00:00Z",
        "yesterday",
        "",
        " Mon, 02 Nov 2026 10:00:00 GMT ",
    ]
)
_LINKS = st.sampled_from(
    [
        "https://x.example/a",
        "https://x.example/a?utm_source=rss&amp;id=3",
        "/relative/path",
        "http:///x.example/slashes",
        "javascript:alert(1)",
        "https://www.google.com/url?q=https://y.example/b&amp;sa=t",
        "",
        " https://x.example/spaced ",
    ]
)


# Mostly none: an RSS element's type attribute is rare.
_RSS_TYPES = st.sampled_from(["", "", "", "", ' type="html"', ' type="text"', ' type="xhtml"'])


@st.composite
def rss_item(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<title{draw(_RSS_TYPES)}>{draw(_TEXT)}</title>")
    if draw(st.booleans()):
        parts.append(f"<link>{draw(_LINKS)}</link>")
    if draw(st.booleans()):
        parts.append(f"<description{draw(_RSS_TYPES)}>{draw(_TEXT)}</description>")
    if draw(st.booleans()):
        parts.append(f"<content:encoded>{draw(_TEXT)}</content:encoded>")
    if draw(st.booleans()):
        permalink = draw(st.sampled_from(["", ' isPermaLink="true"', ' isPermaLink="false"']))
        guid = draw(st.one_of(_LINKS, st.sampled_from(["g-1", "tag:x,2026:1", "  g2  "])))
        parts.append(f"<guid{permalink}>{guid}</guid>")
    if draw(st.booleans()):
        parts.append(f"<pubDate>{draw(_DATES)}</pubDate>")
    if draw(st.booleans()):
        parts.append(f"<dc:date>{draw(_DATES)}</dc:date>")
    if draw(st.booleans()):
        tag = draw(st.sampled_from(["author", "dc:creator"]))
        parts.append(f"<{tag}>{draw(_TEXT)}</{tag}>")
    for _ in range(draw(st.integers(0, 3))):
        domain = draw(st.sampled_from(["", ' domain="d"']))
        parts.append(f"<category{domain}>{draw(_TEXT)}</category>")
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["image/jpeg", "IMAGE/PNG", "audio/mpeg"]))
        parts.append(f'<enclosure url="https://x.example/e.jpg" type="{kind}" length="1"/>')
    if draw(st.booleans()):
        medium = draw(st.sampled_from(["", ' medium="image"', ' type="video/mp4"']))
        parts.append(f'<media:content url="https://x.example/m.png"{medium}/>')
    if draw(st.booleans()):
        parts.append('<media:thumbnail url="https://x.example/t.png"/>')
    if draw(st.booleans()):
        parts.append(f'<source url="https://p.example/">{draw(_TEXT)}</source>')
    if draw(st.booleans()):
        parts.append(f"<feedburner:origLink>{draw(_LINKS)}</feedburner:origLink>")
    if draw(st.booleans()):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="enclosure"', ' rel="self"']))
        kind = draw(st.sampled_from(["", ' type="image/png"', ' type="text/html"']))
        parts.append(f"<atom:link{rel}{kind} href={quoteattr(draw(_LINKS))}/>")
    if draw(st.booleans()):
        parts.append(f"<comments>{draw(_LINKS)}</comments><slash:comments>3</slash:comments>")
    if draw(st.booleans()):
        parts.append(draw(_ODDITIES))
    return "<item>" + "".join(draw(st.permutations(parts))) + "</item>"


# Markup feedparser treats in ways that are easy to get wrong: unknown elements (nested, with
# attributes, in namespaces that borrow a known prefix), empty values, odd attribute spellings.
_ODDITIES = st.sampled_from(
    [
        '<x:thing xmlns:x="urn:x" a="1"><x:inner>v</x:inner></x:thing>',
        '<media:content xmlns:media="urn:not-media" url="https://x.example/n.png"/>',
        '<other xmlns="urn:other"><title>not a title</title></other>',
        '<category domain="d"></category><category>after an empty one</category>',
        '<category domain="d"/><category domain="d"/>',
        '<enclosure url="" type="image/png"/>',
        '<enclosure type="image/png"/>',
        '<enclosure href="https://x.example/h.png" type="Image/PNG"/>',
        "<media:thumbnail>https://x.example/in-text.png</media:thumbnail>",
        '<media:thumbnail url="https://x.example/attr.png">https://x.example/text.png</media:thumbnail>',
        '<media:content url="https://x.example/v" type="Image/JPEG" fileSize="3"/>',
        "<source>Only a name</source>",
        '<source url="https://p.example/"></source>',
        '<guid isPermaLink="True">https://x.example/cap</guid>',
        '<guid isPermalink="false">https://x.example/lower-l</guid>',
        '<guid ISPERMALINK="false" isPermaLink="true">https://x.example/both</guid>',
        '<source URL="https://p.example/">Upper-case URL</source>',
        '<enclosure URL="https://x.example/u.png" TYPE="image/png"/>',
        '<description TYPE="text">upper-case type &amp;amp;</description>',
        "<itunes:subtitle>an episode subtitle</itunes:subtitle>",
        "<dc:publisher>pub@x.example (The Publisher)</dc:publisher><dc:rights>CC</dc:rights>",
        "<dc:language>fr</dc:language>",
        '<title xml:lang="en">with a language</title>',
        "<date>Mon, 02 Nov 2026 10:00:00 GMT</date>",
        "<foo:bar xmlns:foo='urn:foo'>text</foo:bar>",
        "<wfw:commentRss xmlns:wfw='http://wellformedweb.org/CommentAPI/'>/c</wfw:commentRss>",
        "<!-- comment --><?pi data?>",
        "<dc:subject>Subject</dc:subject>",
        '<post-id xmlns="com-wordpress:feed-additions:1">123</post-id>',
        '<title xmlns="com-wordpress:feed-additions:1">a title in another namespace</title>',
        '<y:post xmlns:y="urn:late">late prefix</y:post>',
        "<atom:updated>2026-11-02T10:00:00Z</atom:updated>",
        '<itunes:image href="https://x.example/ep.png"/><itunes:explicit>no</itunes:explicit>',
        "<itunes:duration>12:00</itunes:duration>",
        "<itunes:summary>an episode summary</itunes:summary>",
        "<itunes:author>Host</itunes:author>",
        '<media:content url="https://x.example/c.jpg" medium="image">'
        '<media:credit scheme="urn:ebu">Photo: A</media:credit></media:content>',
        '<media:content url="https://x.example/c.jpg"><media:title>t</media:title></media:content>',
        '<media:content url="https://x.example/c.jpg">'
        '<media:thumbnail url="/t.png"/></media:content>',
        '<media:rating scheme="urn:simple">nonadult</media:rating>',
        "<author>jane@x.example (Jane)</author>",
        "<dc:creator>&lt;jane@x.example&gt; Jane</dc:creator>",
    ]
)


_CHANNEL_EXTRAS = st.sampled_from(
    [
        "",
        '<atom:link href="https://x.example/feed" rel="self" type="application/rss+xml"/>',
        '<atom:link href="https://x.example/other"/>',
        "<image><url>https://x.example/logo.png</url><title>Logo title</title>"
        "<link>https://x.example/logo</link></image>",
        "<image><url>u</url><foo>resets the image mode</foo><title>Logo</title></image>",
        "<textInput><title>Search</title><name>q</name><link>https://x.example/s</link></textInput>",
        "<itunes:owner><itunes:name>Owner</itunes:name><itunes:email>o@x.example</itunes:email>"
        "</itunes:owner><itunes:author>Host</itunes:author>",
        '<itunes:category text="Business"><itunes:category text="Marketing"/></itunes:category>',
        '<itunes:image href="https://x.example/show.png"/><itunes:summary>show</itunes:summary>',
        "<media:title>a media title</media:title>",
        "<dc:title>a dc title</dc:title>",
        "<managingEditor>ed@x.example (Ed)</managingEditor><webMaster>w@x.example</webMaster>",
        "<ttl>60</ttl><skipHours><hour>1</hour></skipHours>",
        '<media:rating scheme="urn:simple">nonadult</media:rating>',
        '<title type="html">a second, typed title</title>',
    ]
)


@st.composite
def rss_document(draw: st.DrawFn) -> str:
    items = "".join(draw(st.lists(rss_item(), max_size=4)))
    head = draw(
        st.permutations(
            [
                f"<title>{draw(_TEXT)}</title>",
                f"<link>{draw(_LINKS)}</link>",
                "<description>d</description>",
                "<language>en</language>",
                draw(_CHANNEL_EXTRAS),
            ]
        )
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f"<channel>{''.join(head)}{items}</channel></rss>"
    )


@st.composite
def rdf_document(draw: st.DrawFn) -> str:
    abouts = st.sampled_from(["", ' rdf:about="https://x.example/a"', ' rdf:about=" /rel "'])
    items = "".join(
        item.replace("<item>", f"<item{draw(abouts)}>", 1)
        for item in draw(st.lists(rss_item(), max_size=4))
    )
    head = draw(
        st.permutations(
            [
                f"<title>{draw(_TEXT)}</title>",
                f"<link>{draw(_LINKS)}</link>",
                "<description>d</description>",
                '<items><rdf:Seq><rdf:li rdf:resource="https://x.example/a"/></rdf:Seq></items>',
            ]
        )
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" '
        'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f'<channel rdf:about="https://x.example/">{"".join(head)}</channel>{items}</rdf:RDF>'
    )


_TYPES = st.sampled_from(["", ' type="text"', ' type="html"', ' type="HTML"', ' type="text/html"'])


@st.composite
def atom_entry(draw: st.DrawFn) -> str:
    parts = []
    if draw(st.booleans()):
        parts.append(f"<id>{draw(st.one_of(_LINKS, st.just('urn:uuid:1')))}</id>")
    if draw(st.booleans()):
        parts.append(f"<title{draw(_TYPES)}>{draw(_TEXT)}</title>")
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"']))
        kind = draw(st.sampled_from(["", ' type="text/html"', ' type="image/png"']))
        parts.append(f"<link{rel}{kind} href={quoteattr(draw(_LINKS))}/>")
    if draw(st.booleans()):
        parts.append(f"<updated>{draw(_DATES)}</updated>")
    if draw(st.booleans()):
        parts.append(f"<published>{draw(_DATES)}</published>")
    if draw(st.booleans()):
        parts.append(f"<summary{draw(_TYPES)}>{draw(_TEXT)}</summary>")
    if draw(st.booleans()):
        parts.append(f"<content{draw(_TYPES)}>{draw(_TEXT)}</content>")
    if draw(st.booleans()):
        person = draw(
            st.permutations(
                [f"<name>{draw(_TEXT)}</name>", "<email>j@x.example</email>", "<uri>/me</uri>"]
            )
        )
        parts.append("<author>" + "".join(person[: draw(st.integers(0, 3))]) + "</author>")
    for _ in range(draw(st.integers(0, 2))):
        term = quoteattr(draw(st.sampled_from(["tariffs", "", "Tariffs", "a &amp; b"])))
        parts.append(f"<category term={term}/>")
    return "<entry>" + "".join(draw(st.permutations(parts))) + "</entry>"


@st.composite
def atom_document(draw: st.DrawFn) -> str:
    entries = "".join(draw(st.lists(atom_entry(), max_size=4)))
    head = draw(
        st.permutations(
            [
                f"<title{draw(_TYPES)}>{draw(_TEXT)}</title>",
                f"<link href={quoteattr(draw(_LINKS))}/>",
                "<id>https://x.example/feed-id</id>",
                "<updated>2026-11-01T00:00:00Z</updated>",
                draw(st.sampled_from(["", "<published>2026-10-01T00:00:00Z</published>"])),
            ]
        )
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"{''.join(head)}{entries}</feed>"
    )


_ENCODINGS = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", None])
_CONTENT_TYPES = st.sampled_from(
    [
        None,
        "text/xml",
        "application/xml; charset=utf-8",
        "application/rss+xml; charset=ISO-8859-1",
        "text/html; charset=windows-1252",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(rss_document(), atom_document(), rdf_document()), _ENCODINGS, _CONTENT_TYPES)
def test_generated_documents_fast_path_declines_or_agrees_with_feedparser(
    document: str, encoding: str | None, content_type: str | None
) -> None:
    if encoding is None:  # no declaration at all
        body = document.split("?>", 1)[1].encode("utf-8")
    else:
        declared = document.replace('encoding="utf-8"', f'encoding="{encoding}"', 1)
        declared = declared.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
        body = declared.encode(encoding, "xmlcharrefreplace")
    slow, fast, _ = both(body, content_type)
    assert slow == fast, differences(slow, fast)


def test_generated_documents_mostly_take_the_fast_path() -> None:
    # The generator above must exercise the fast path, not only its declines.
    taken = 0
    samples = 0

    # A fixed seed: the share taken varies from 0.4 to 0.8 between random runs of 60 (measured
    # over 12 seeds), so a random run against a fixed floor would fail now and then.
    @seed(20261206)
    @settings(max_examples=60, deadline=None, database=None)
    @given(st.one_of(rss_document(), atom_document(), rdf_document()))
    def sample(document: str) -> None:
        nonlocal taken, samples
        samples += 1
        taken += takes(document)

    sample()
    assert taken >= samples // 3, f"the fast path took {taken} of {samples}"


def test_max_items_and_dates_agree_on_both_paths() -> None:
    base = datetime(2026, 10, 30, tzinfo=UTC)
    items = "".join(
        f"<item><title>t{n}</title><guid>g{n}</guid>"
        f"<pubDate>{(base + timedelta(hours=n * 7 % 13)).strftime('%a, %d %b %Y %H:%M:%S GMT')}"
        "</pubDate></item>"
        for n in range(12)
    )
    body = RSS.format(items=items).encode()
    for max_items in (None, 0, 5):
        slow = parse_feed(
            body, url=URL, content_type=None, now=NOW, max_items=max_items, fast_path=False
        )
        fast = parse_feed(body, url=URL, content_type=None, now=NOW, max_items=max_items)
        assert slow == fast


def test_wordpress_com_elements_declaring_their_own_namespace_take_the_fast_path() -> None:
    item = (
        "<item><title>A</title><link>https://x.example/a</link>"
        '<post-id xmlns="com-wordpress:feed-additions:1">123</post-id></item>'
    )
    document = RSS.format(items=item).replace(
        "<channel>", '<channel><site xmlns="com-wordpress:feed-additions:1">9</site>'
    )
    assert takes(document)
    slow, fast, _ = both(document.encode(), None)
    assert slow == fast
    # The same namespace also bound to a prefix at the root: feedparser would name the
    # elements by that prefix, so the fast path leaves it alone.
    bound = document.replace(
        '<rss version="2.0">', '<rss version="2.0" xmlns:wp="com-wordpress:feed-additions:1">'
    )
    assert not takes(bound)


@settings(max_examples=2000, deadline=None)
@given(
    st.sampled_from(["", "http://", "https:///", "HTTP:////", "a+b-c.d://", "1a://", "x:/"]),
    st.text(alphabet="aZ09+-.:/\\ \n?#é", max_size=16),
)
def test_fixed_uri_is_feedparsers_urljoin_without_a_base(scheme: str, rest: str) -> None:
    import feedparser.urls

    from bot.news.adapters.fast_feed import _fixed_uri

    uri = scheme + rest
    assert _fixed_uri(uri) == feedparser.urls._urljoin("", uri)

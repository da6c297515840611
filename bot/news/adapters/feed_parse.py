"""Feed documents (RSS 0.9x/1.0/2.0, Atom) to ``ItemDraft``s.

feedparser does the XML work; its loosely-typed dicts stop here and only the frozen models
in ``bot.news.model.vocabulary`` leave this module. Everything is pure and synchronous (an
optional memo of each feed's last parse only saves work: the drafts are the same): the caller
decides where it runs (``parsing_pool`` runs it in worker processes, off the event loop).

Per item the rules are:

- ``key``: ``guid:<guid or Atom id>``, else ``link:<canonical link>``, else
  ``hash:<sha256 of title and raw date string>``; the prefixes keep the kinds from colliding.
  The first item with a given key wins; later duplicates in the same document are dropped.
- text fields are plain text: HTML is stripped only where the feed marked (or feedparser
  detected) the value as HTML, so a title whose source was escaped twice keeps its literal
  entity rather than being decoded a second time. Summaries also lose their markdown
  (changelogs and forums write it: "## Summary", "**bold**", "[text](url)"); titles keep
  theirs, since "C#" or "*NEW*" in a headline is the publisher's wording.
- ``published`` is aware UTC, or None when the feed gave no date or an absurd one.
- ``content_hash`` covers what a reader sees (title, link, summary), not dates.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urljoin, urlsplit

import feedparser

from bot.news.adapters import entry_caps, feed_tags, sax_attributes
from bot.news.adapters.charrefs import replace_impossible_charrefs
from bot.news.adapters.draft_memo import DraftMemo, FeedDrafts
from bot.news.adapters.fast_feed import parse_fast
from bot.news.adapters.feed_dates import without_impossible_offset
from bot.news.adapters.feed_window import cut_to_ends
from bot.news.model.errors import FeedParseError
from bot.news.model.vocabulary import ItemDraft, ParsedFeed, utc
from bot.news.rules.plain_text import (
    canonical_link,
    collapse_whitespace,
    feed_text_to_plain,
    html_to_text,
    strip_publisher_suffix,
    truncate,
)

__all__ = [
    "MAX_CATEGORIES",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "FeedParseError",
    "parse_feed",
]

MAX_SUMMARY_CHARS = 1_000
MAX_TITLE_CHARS = 300
MAX_CATEGORIES = 10
MAX_AUTHOR_CHARS = 200
MAX_CATEGORY_CHARS = 100
# A title made up from the summary is a headline, not a paragraph.
_DERIVED_TITLE_CHARS = 100
# Longer guids are hashed so keys stay index-friendly.
_MAX_GUID_CHARS = 512
# HTML beyond this is never needed to fill a 1,000-character summary; cutting it first keeps the
# cost of a 1 MB content:encoded bounded.
_MAX_HTML_SCAN = 50_000

# feedparser's strict parser looked each attribute up by walking all of an element's: one
# element with 30,000 attributes took a worker to its time limit (bot.news.adapters.sax_attributes).
sax_attributes.install()
# and kept every distinct category of an entry, checking each against all before it.
feed_tags.install()
# and every link, author, enclosure... of an entry, one handler each (entry_caps).
entry_caps.install()

_EARLIEST_DATE = datetime(1995, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_WEB_SCHEMES = frozenset({"http", "https"})
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".svg")


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    now: datetime,
    max_items: int | None = None,
    fast_path: bool = True,
    memo: DraftMemo | None = None,
) -> ParsedFeed:
    """Parse one fetched feed document into drafts.

    ``url`` is where the document came from (relative links resolve against it);
    ``content_type`` is the HTTP Content-Type header, used for its charset; ``now`` bounds
    plausible dates. With ``max_items``, only the newest that many items are kept (all of them
    when some items have no date: then the first that many in document order), in document
    order.

    A malformed document from which items were recovered comes back with ``warning`` set.
    Raises FeedParseError when the document is empty or not a feed; no feedparser exception
    escapes.

    Plain, well-formed RSS 2.0 and Atom 1.0 documents are read by
    ``bot.news.adapters.fast_feed`` (C-accelerated, the same values feedparser would give);
    everything else, and anything it is not sure of, goes to feedparser. ``fast_path=False``
    forces feedparser (the differential tests and the benchmark compare the two).

    With ``memo`` (a parser worker's), an entry read the same as in this URL's last parse
    takes that parse's draft back instead of being worked out again (``draft_memo``):
    the same drafts, for about half the CPU of a document mostly seen before.
    """
    if max_items is not None and max_items < 0:
        raise ValueError("max_items must be >= 0")
    if not body or body.isspace():
        raise FeedParseError("empty document")
    remembered = memo.begin(url) if memo is not None else None
    parsed = _parse(
        body,
        url=url,
        content_type=content_type,
        now=utc(now),
        max_items=max_items,
        fast_path=fast_path,
        memo=remembered,
    )
    if memo is not None and remembered is not None:
        memo.finish(url, remembered)  # not on a failed parse: the URL starts afresh
    return parsed


def _parse(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    now: datetime,
    max_items: int | None,
    fast_path: bool,
    memo: FeedDrafts | None,
) -> ParsedFeed:
    headers = _response_headers(content_type, body)
    body = cut_to_ends(body, max_items)
    fast = parse_fast(body, content_type=headers["content-type"]) if fast_path else None
    if fast is not None:
        return _parsed_feed(
            fast.feed,
            list(fast.entries),
            url=url,
            now=now,
            max_items=max_items,
            problems=[],
            memo=memo,
        )
    try:
        # A BytesIO, never the bytes themselves: feedparser opens a bytes argument as a local
        # file path when one exists by that name.
        result = feedparser.parse(
            io.BytesIO(replace_impossible_charrefs(body)),
            response_headers=headers,
            # We reduce every HTML value to plain text ourselves, so sanitising it first is
            # wasted work (measured in benchmarks/parse_offloop.py); nothing HTML leaves here.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser bugs must not escape as foreign exceptions
        raise FeedParseError(f"could not parse the document ({_one_line(exc)})") from exc

    entries: list[Any] = list(_get(result, "entries") or [])
    version = _get(result, "version") or ""
    if not version and not entries:
        raise FeedParseError(_not_a_feed(body, result, url))
    bozo = _get(result, "bozo_exception") if _get(result, "bozo") else None
    if not entries and _is_xml_syntax_error(bozo):
        # Cut off before its first item: nothing learned, and the feed should say it is broken.
        raise FeedParseError(f"malformed feed ({_xml_error(bozo)}); no items recovered")

    feed: Mapping[str, Any] = _get(result, "feed") or {}
    problems: list[str] = []
    if _get(result, "bozo"):
        problems.append(_describe_problem(bozo, len(entries)))
    if not version:
        problems.append("unrecognised feed format")
    return _parsed_feed(
        feed, entries, url=url, now=now, max_items=max_items, problems=problems, memo=memo
    )


def _parsed_feed(
    feed: Mapping[str, Any],
    entries: list[Any],
    *,
    url: str,
    now: datetime,
    max_items: int | None,
    problems: list[str],
    memo: FeedDrafts | None,
) -> ParsedFeed:
    """The drafts of feedparser-shaped entries (from feedparser or the fast path alike)."""
    drafts, failures = _drafts(entries, base_url=url, now=now, memo=memo)
    if max_items is not None:
        drafts = _newest(drafts, max_items)
    if failures:
        problems.append(f"skipped {failures} unreadable item{'s' if failures != 1 else ''}")
    return ParsedFeed(
        title=_text_of(feed, "title") or None,
        link=_web_link(_str(_get(feed, "link")), url),
        items=tuple(drafts),
        warning=truncate("; ".join(problems), 300) if problems else None,
    )


# --- the document -----------------------------------------------------------------------------

_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def _response_headers(content_type: str | None, body: bytes = b"") -> dict[str, str]:
    # Only the charset of the server's Content-Type matters. The media type is replaced by
    # application/xml because servers label feeds text/html or text/plain (feedparser would flag
    # every such feed), and text/xml without a charset means us-ascii under RFC 3023, which
    # turns every UTF-8 feed into an "encoding override" warning. RFC 7303 retired that rule.
    headers = {"content-type": "application/xml"}
    charset = _bom_charset(body)
    if charset is None and content_type:
        match = _CHARSET_RE.search(content_type)
        if match:
            charset = match.group(1)
    if charset:
        headers["content-type"] = f"application/xml; charset={charset}"
    # No Content-Location on purpose: feedparser would resolve permalink guids against it, and
    # an item's key must not change when the feed moves to another URL. Relative links are
    # resolved against the feed URL here instead (after any xml:base feedparser applied).
    return headers


# A byte order mark outranks the server's charset and the XML declaration (RFC 7303 section
# 3.2, the WHATWG encoding standard): servers label feeds with their site's default charset
# whatever the file is, and feedparser, trusting the header, read a UTF-8 feed with a BOM
# served as windows-1252 as mojibake, and a UTF-16 one as "not XML". UTF-32 first: its
# little-endian mark begins with UTF-16's.
_BOM_CHARSETS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)


def _bom_charset(body: bytes) -> str | None:
    for bom, charset in _BOM_CHARSETS:
        if body.startswith(bom):
            return charset
    return None


_ROOT_RE = re.compile(rb"<([A-Za-z_][A-Za-z0-9_.:-]*)")


def _not_a_feed(body: bytes, result: Mapping[str, Any], url: str) -> str:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"{", b"[")):
        return "not an RSS/Atom feed (looks like JSON; JSON Feed is not supported)"
    if b"<html" in head or b"<!doctype html" in head:
        hint = _advertised_feed(result, url)
        return (
            "not an RSS/Atom feed (looks like HTML"
            + (f"; it links to {hint}" if hint else "")
            + ")"
        )
    if head.startswith(b"<"):
        exc = _get(result, "bozo_exception")
        if _is_xml_syntax_error(exc):
            return f"not an RSS/Atom feed (malformed XML: {_xml_error(exc)})"
        root = _ROOT_RE.search(head)
        if root:
            return f"not an RSS/Atom feed (XML whose root element is <{root.group(1).decode()}>)"
    return "not an RSS/Atom feed (not XML)"


def _advertised_feed(result: Mapping[str, Any], url: str) -> str | None:
    """The feed an HTML page advertises with <link rel="alternate" type="...rss+xml">."""
    feed = _get(result, "feed") or {}
    for link in _dicts(_get(feed, "links")):
        kind = _str(_get(link, "type")).lower()
        if kind in ("application/rss+xml", "application/atom+xml"):
            href = _web_link(_str(_get(link, "href")), url)
            if href:
                return href
    return None


def _is_xml_syntax_error(exc: object) -> bool:
    return hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage")


def _xml_error(exc: Any) -> str:
    # feedparser may prepend an XML declaration line, so the number can be one too high.
    return f"{collapse_whitespace(str(exc.getMessage()))} near line {exc.getLineNumber()}"


def _describe_problem(exc: object, recovered: int) -> str:
    if _is_xml_syntax_error(exc):
        noun = "item" if recovered == 1 else "items"
        return f"malformed XML ({_xml_error(exc)}); recovered {recovered} {noun}"
    name = type(exc).__name__
    if name == "CharacterEncodingOverride":
        return f"wrong character encoding: {_one_line(exc)}"
    if name == "CharacterEncodingUnknown":
        return f"unknown character encoding: {_one_line(exc)}"
    if name == "UndeclaredNamespace":
        return f"undeclared XML namespace: {_one_line(exc)}"
    return f"{name}: {_one_line(exc)}" if exc is not None else "malformed document"


def _one_line(exc: object) -> str:
    text = collapse_whitespace(str(exc)) or type(exc).__name__
    return truncate(text, 200)


# --- the items --------------------------------------------------------------------------------


def _drafts(
    entries: list[Any], *, base_url: str, now: datetime, memo: FeedDrafts | None
) -> tuple[list[ItemDraft], int]:
    drafts: list[ItemDraft] = []
    seen: set[str] = set()
    failures = 0
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        try:
            if memo is None:
                draft = _draft(entry, base_url=base_url, now=now)
            else:
                draft = _remembered_draft(memo, entry, base_url=base_url, now=now)
        except Exception:  # one odd item must not cost the feed its other items
            failures += 1
            continue
        if draft is None or draft.key in seen:
            continue
        seen.add(draft.key)
        drafts.append(draft)
    return drafts, failures


def _draft(entry: Mapping[str, Any], *, base_url: str, now: datetime) -> ItemDraft | None:
    publisher = _publisher(entry)
    title = _text_of(entry, "title")
    if publisher:
        title = strip_publisher_suffix(title, publisher)
    link = _item_link(entry, base_url)
    summary = _summary(entry, title=title, publisher=publisher)
    if not (title or link or summary):
        return None
    if not title:
        title = truncate(summary, _DERIVED_TITLE_CHARS) if summary else (link or "")
    title = truncate(title, MAX_TITLE_CHARS)
    published, raw_date = _published(entry, now)
    return ItemDraft(
        key=_key(entry, link=link, title=title, raw_date=raw_date),
        title=title,
        link=link,
        author=_author(entry),
        published=published,
        summary=summary,
        image_url=_image(entry, base_url=link or base_url),
        categories=_categories(entry),
        publisher=publisher or None,
        content_hash=_sha256("\x00".join((title, link or "", summary))),
    )


def _remembered_draft(
    memo: FeedDrafts, entry: Mapping[str, Any], *, base_url: str, now: datetime
) -> ItemDraft | None:
    draft, reused = memo.draft(entry, lambda: _draft(entry, base_url=base_url, now=now))
    if reused and draft is not None:
        # A draft depends on ``now`` only through its date's plausibility (a date refused as
        # in the future last time may be fine by now): checked again.
        published, _ = _published(entry, now)
        if published != draft.published:
            draft = replace(draft, published=published)
    return draft


def _key(entry: Mapping[str, Any], *, link: str | None, title: str, raw_date: str) -> str:
    guid = _str(_get(entry, "id")).strip()
    if guid:
        if len(guid) > _MAX_GUID_CHARS:
            return "guidhash:" + _sha256(guid)
        return "guid:" + guid
    if link:
        return "link:" + link
    return "hash:" + _sha256(title + "\x00" + raw_date)


def _publisher(entry: Mapping[str, Any]) -> str:
    # Google News names the real publisher in <source url="...">Name</source>.
    source = _get(entry, "source")
    if isinstance(source, Mapping):
        return truncate(_text_of(source, "title"), MAX_AUTHOR_CHARS)
    return ""


def _item_link(entry: Mapping[str, Any], base_url: str) -> str | None:
    raw_link = _str(_get(entry, "link"))
    if (
        _get(entry, "guidislink")
        and raw_link == _str(_get(entry, "id"))
        and not _is_absolute(raw_link)
    ):
        # A bare <guid>12345</guid> is a permalink by the letter of RSS 2.0 but not a URL; made
        # absolute against the feed URL it would be a link to nowhere.
        raw_link = ""
    # FeedBurner wraps links in feedproxy redirects and keeps the article URL in origLink.
    for candidate in (_str(_get(entry, "feedburner_origlink")), raw_link):
        link = _web_link(candidate, base_url)
        if link:
            return link
    for alternate in _dicts(_get(entry, "links")):
        if _str(_get(alternate, "rel")) in ("", "alternate"):
            link = _web_link(_str(_get(alternate, "href")), base_url)
            if link:
                return link
    return None


def _is_absolute(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://"))


def _web_link(raw: str, base_url: str) -> str | None:
    """An absolute, canonical http(s) URL for ``raw`` or None (javascript:, mailto:...)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        absolute, parts = raw, urlsplit(raw)
        if base_url and not _needs_no_join(raw, parts):
            absolute = urljoin(base_url, raw)
            parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return canonical_link(_unwrap_redirect(absolute, parts))


def _needs_no_join(raw: str, parts: SplitResult) -> bool:
    """Whether ``urljoin`` would give ``raw`` back as far as ``canonical_link`` can tell.

    Most item links are absolute already, and joining costs three of the five URL splits a link
    took. For an absolute http(s) URL with a host, ``urljoin`` only re-assembles the URL from
    its parts, which drops an empty query or fragment (``canonical_link`` drops those anyway)
    and an empty ``;params`` (which it keeps), and can leave white space at the end where a
    fragment was: so a ';' or any white space (not printable) still goes through ``urljoin``.
    """
    return (
        parts.scheme in _WEB_SCHEMES
        and bool(parts.netloc)
        and ";" not in raw
        and " " not in raw
        and raw.isprintable()
    )


def _unwrap_redirect(url: str, parts: SplitResult) -> str:
    # Google Alerts links are https://www.google.com/url?...&url=<article>: the reader wants the
    # article, and two alerts for one article should share a link. (``parts``: ``url`` split.)
    host = (parts.hostname or "").removeprefix("www.")
    if parts.path == "/url" and host in ("google.com", "google.co.uk"):
        for name, value in parse_qsl(parts.query):
            if name in ("url", "q") and _is_absolute(value):
                return value
    return url


def _summary(entry: Mapping[str, Any], *, title: str, publisher: str) -> str:
    for value, kind in _summary_sources(entry):
        text = _to_text(value[:_MAX_HTML_SCAN], kind, markdown=True)
        if publisher and text.casefold().endswith(publisher.casefold()):
            # Google News descriptions are "<a>Headline</a>&nbsp;&nbsp;<font>Publisher</font>".
            text = text[: -len(publisher)].rstrip(" -–—|")
        if publisher and title and text.casefold().startswith(title.casefold()):
            # The rest is Google News' cluster of other outlets' headlines, not a summary.
            return ""
        if text and text.casefold() != title.casefold():
            return truncate(text, MAX_SUMMARY_CHARS)
    return ""


def _summary_sources(entry: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    # feedparser fills `summary` from description (or from content when there is none).
    detail = _get(entry, "summary_detail")
    summary = _str(_get(entry, "summary"))
    if summary:
        kind = _str(_get(detail, "type")) if isinstance(detail, Mapping) else "text/html"
        yield summary, kind
    for content in _dicts(_get(entry, "content")):
        value = _str(_get(content, "value"))
        if value:
            yield value, _str(_get(content, "type")) or "text/html"


def _published(entry: Mapping[str, Any], now: datetime) -> tuple[datetime | None, str]:
    raw = _str(_get(entry, "published") or _get(entry, "updated") or _get(entry, "created"))
    for field in ("published", "updated", "created"):
        parsed = _datetime(
            without_impossible_offset(_str(_get(entry, field)), _get(entry, field + "_parsed"))
        )
        if parsed is not None and _EARLIEST_DATE <= parsed <= now + _FUTURE_SLACK:
            return parsed, raw
    return None, raw


def _datetime(value: object) -> datetime | None:
    # feedparser gives a UTC time.struct_time (or a 9-tuple); seconds can be 60 or 61.
    if not isinstance(value, tuple) or len(value) < 6:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _author(entry: Mapping[str, Any]) -> str | None:
    detail = _get(entry, "author_detail")
    name = _str(_get(detail, "name")) if isinstance(detail, Mapping) else ""
    author = collapse_whitespace(name or _str(_get(entry, "author")))
    return truncate(author, MAX_AUTHOR_CHARS) or None


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    seen: set[str] = set()
    for tag in _dicts(_get(entry, "tags")):
        term = collapse_whitespace(_str(_get(tag, "term")) or _str(_get(tag, "label")))
        term = truncate(term, MAX_CATEGORY_CHARS)
        folded = term.casefold()
        if term and folded not in seen:
            seen.add(folded)
            found.append(term)
            if len(found) == MAX_CATEGORIES:
                break
    return tuple(found)


# --- images -----------------------------------------------------------------------------------

_PIXEL_SIZES = frozenset({"0", "1", "0px", "1px"})
# Stopping at the next '<' keeps a run of unclosed "<img" linear (see bot.news.rules.plain_text).
_IMG_RE = re.compile(r"<img\b[^<>]*+>", re.IGNORECASE)
_ATTR_RE = re.compile(
    r"""\b(src|width|height)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)


def _image(entry: Mapping[str, Any], *, base_url: str) -> str | None:
    for url in _image_candidates(entry):
        link = _web_link(html.unescape(url), base_url)
        if link:
            return link
    return None


def _image_candidates(entry: Mapping[str, Any]) -> Iterator[str]:
    for media in _dicts(_get(entry, "media_content")):
        url = _str(_get(media, "url"))
        medium = _str(_get(media, "medium")).lower()
        kind = _str(_get(media, "type")).lower()
        # Without medium or type, only the file name can tell an image from a video.
        declared = medium == "image" or kind.startswith("image/")
        if declared or (not medium and not kind and _looks_like_image(url)):
            yield url
    for thumbnail in _dicts(_get(entry, "media_thumbnail")):
        yield _str(_get(thumbnail, "url"))
    for link in _dicts(_get(entry, "links")):
        if _str(_get(link, "rel")) == "enclosure" and _str(_get(link, "type")).startswith("image/"):
            yield _str(_get(link, "href"))
    for value, _kind in _summary_sources(entry):
        yield from _html_images(value[:_MAX_HTML_SCAN])


def _html_images(fragment: str) -> Iterator[str]:
    for tag in _IMG_RE.finditer(fragment):
        attrs = {
            m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
            for m in _ATTR_RE.finditer(tag.group())
        }
        # FeedBurner and analytics tracking pixels are 1x1 images, not illustrations.
        if {attrs.get("width", "").strip(), attrs.get("height", "").strip()} & _PIXEL_SIZES:
            continue
        src = attrs.get("src", "").strip()
        if src and not src.lower().startswith("data:"):
            yield src


def _looks_like_image(url: str) -> bool:
    path = urlsplit(url).path.lower() if url else ""
    return path.endswith(_IMAGE_EXTENSIONS)


# --- small helpers over feedparser's loosely-typed values ---------------------------------------


def _get(node: Mapping[str, Any], key: str) -> Any:
    # Plain dict lookups: FeedParserDict.get remaps keys ("url" means "href") and answers
    # "updated" with "published", with a DeprecationWarning, when an entry has no updated date.
    return dict.get(node, key) if isinstance(node, dict) else node.get(key)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: object) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return ()


def _text_of(node: Mapping[str, Any], field: str) -> str:
    detail = _get(node, f"{field}_detail")
    kind = _str(_get(detail, "type")) if isinstance(detail, Mapping) else "text/plain"
    return _to_text(_str(_get(node, field)), kind)


# Markup that feedparser's own "looks like HTML" test lets through as plain text because it only
# trusts elements its sanitiser allows (a <script> in a title keeps the title "plain").
_MARKUP_RE = re.compile(r"<(?:script|style)\b|</[a-zA-Z][a-zA-Z0-9]*\s*>|<br\s*/?>", re.IGNORECASE)


def _to_text(value: str, kind: str, *, markdown: bool = False) -> str:
    is_html = kind.lower() in _HTML_TYPES or ("<" in value and _MARKUP_RE.search(value) is not None)
    if markdown:
        return feed_text_to_plain(value, is_html=is_html)
    return html_to_text(value) if is_html else collapse_whitespace(value)


def _newest(drafts: list[ItemDraft], limit: int) -> list[ItemDraft]:
    if len(drafts) <= limit:
        return drafts
    if any(draft.published is None for draft in drafts):
        return drafts[:limit]
    # Feeds list oldest-first as often as newest-first; the newest are the ones worth keeping.
    # Among equal dates the earlier in the document wins, as it would without dates.
    ranked = sorted(
        range(len(drafts)), key=lambda i: (drafts[i].published or _EARLIEST_DATE, -i), reverse=True
    )
    keep = set(ranked[:limit])
    return [draft for i, draft in enumerate(drafts) if i in keep]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

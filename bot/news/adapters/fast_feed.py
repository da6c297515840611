"""A fast path for plain, well-formed RSS 2.0, RSS 1.0 and Atom 1.0 documents.

feedparser spends most of a parse in its pure-Python SAX handlers (~0.8 ms of CPU per item on
the benchmark corpus). For the documents most feeds send (well-formed XML, a handful of
well-known elements per item) the C-accelerated ElementTree builds the tree in about a
millisecond for the whole document, and this module then fills in the same entry values
feedparser 6 would, so that ``feed_parse`` turns them into drafts with the very same code.

It is conservative by design: ``parse_fast`` returns None ("not sure, use feedparser") for
anything it does not understand exactly as feedparser does: a DOCTYPE or entity declaration
(also the XXE and billion-laughs guard), an encoding that is not plainly the declared one, any
well-formedness error, xml:base, an XHTML or base64 text construct, an element feedparser has a
handler for that is not mapped here, a mapped element repeated, nested markup, unusual
attributes. What it does map follows feedparser's handlers step by step (``_FeedParserMixin``
and ``namespaces/_base.py`` of feedparser 6.0): the order in which a guid and a link or an
Atom id and link arrive, how an RSS title is sniffed for HTML, the strip / mojibake / cp1252
passes every value goes through, how authors and categories are assembled, feedparser's own
date parser. The values come back in feedparser's shape (a mapping per entry with the keys
``feed_parse`` reads), which keeps one implementation of the entry-to-draft rules and makes
"identical to the feedparser path" checkable: the differential tests compare both paths on
every document of the corpora. It mirrors feedparser 6.0.x (uv.lock pins it); after an upgrade
those tests are what says whether it still does.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import feedparser.api
import feedparser.encodings
import feedparser.html
import feedparser.mixin
import feedparser.urls
import feedparser.util
from feedparser.datetimes import _parse_date

from bot.news.adapters.entry_caps import CAPPED_KINDS, MAX_REPEATS
from bot.news.adapters.feed_tags import MAX_TAGS

__all__ = ["FastDocument", "parse_fast"]


@dataclass(frozen=True)
class FastDocument:
    """What feedparser would have returned for a document, in its shape.

    ``feed`` and each of ``entries`` carry the keys ``feed_parse`` reads from feedparser's
    ``result.feed`` and ``result.entries``; they never leave the parsing adapter.
    """

    version: str
    feed: Mapping[str, Any]
    entries: tuple[Mapping[str, Any], ...]


class _Decline(Exception):
    """Not a document this module understands exactly: feedparser decides."""


_Mixin: Any = feedparser.mixin._FeedParserMixin
_MATCH_NAMESPACES: dict[str, str] = {k.lower(): v for k, v in _Mixin.namespaces.items()}
_CAN_BE_RELATIVE: frozenset[str] = frozenset(_Mixin.can_be_relative_uri)
_HTML_TYPES: frozenset[str] = frozenset(_Mixin.html_types)
_looks_like_html: Any = _Mixin.looks_like_html
_map_content_type: Any = _Mixin.map_content_type
_URI_FIXER: re.Pattern[str] = feedparser.urls._urifixer
_CP1252: Any = feedparser.html._cp1252
_KEYMAP: dict[str, Any] = feedparser.util.FeedParserDict.keymap
_HANDLED: frozenset[str] = frozenset(
    {n[len("_start_") :] for n in dir(feedparser.api.StrictFeedParser) if n.startswith("_start_")}
    | {n[len("_end_") :] for n in dir(feedparser.api.StrictFeedParser) if n.startswith("_end_")}
)

_ATOM = "http://www.w3.org/2005/Atom"
_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_FEEDBURNER = "http://rssnamespace.org/feedburner/ext/1.0"
_XML = "http://www.w3.org/XML/1998/namespace"
_XML_LANG = "{" + _XML + "}lang"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_ROOT = "{" + _RDF + "}RDF"
_RDF_ABOUT = "{" + _RDF + "}about"
_RSS1_PREFIX = "{http://purl.org/rss/1.0/}"
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")

_RSS_VERSIONS = {"2.0": "rss20", "0.91": "rss091u", "0.92": "rss092"}
_TEXT_TYPES = frozenset({"text/plain", "text/html"})

# The keys feed_parse reads from an entry and from the feed: an element feedparser has no
# handler for is stored under its own name, harmless unless that name is one of these.
_ENTRY_KEYS = frozenset(
    {
        "source",
        "title",
        "title_detail",
        "link",
        "links",
        "id",
        "guidislink",
        "feedburner_origlink",
        "summary",
        "summary_detail",
        "content",
        "published",
        "updated",
        "created",
        "published_parsed",
        "updated_parsed",
        "created_parsed",
        "author",
        "author_detail",
        "authors",
        "tags",
        "media_content",
        "media_thumbnail",
    }
)
_FEED_KEYS = frozenset({"title", "title_detail", "link", "links"})

# feedparser lowercases attribute names, so xml:BASE= is a base too.
_BASE_RE = re.compile(rb"base\s*=")
_BOMS = (codecs.BOM_UTF32_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)
_WIDE_MARKERS = (
    feedparser.encodings.EBCDIC_MARKER,
    feedparser.encodings.UTF16BE_MARKER,
    feedparser.encodings.UTF16LE_MARKER,
    feedparser.encodings.UTF32BE_MARKER,
    feedparser.encodings.UTF32LE_MARKER,
)
_XML_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
_AUTHOR_EMAIL_RE = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
_ENTITY_LEFT_RE = re.compile("&([A-Za-z0-9_]+);")


def parse_fast(body: bytes, *, content_type: str) -> FastDocument | None:
    """The document as feedparser would read it, or None when only feedparser can tell.

    ``content_type`` is the Content-Type ``feed_parse`` hands feedparser (only its charset
    matters).
    """
    try:
        data = _utf8_document(body, content_type)
        if data is None or _refused(data):
            return None
        return _Reader(data).read()
    except _Decline:
        return None
    except Exception:  # anything unexpected: feedparser's path decides, and reports
        return None


# --- the bytes ----------------------------------------------------------------------------------


def _refused(data: bytes) -> bool:
    """Declarations, and anything that could change the base URI, are feedparser's alone.

    A DOCTYPE or ENTITY declaration is also where XXE and billion-laughs documents live; expat
    only knows them in upper case. An attribute named base (xml:base, or plain base, which
    feedparser honours too) changes how every link resolves.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return True
    lowered = data.lower()
    return any(
        lowered[match.start() - 1 : match.start()] in _BEFORE_BASE
        for match in _BASE_RE.finditer(lowered)
    )


_BEFORE_BASE = frozenset({b" ", b"\t", b"\r", b"\n", b":"})


def _utf8_document(body: bytes, content_type: str) -> bytes | None:
    """feedparser's ``convert_to_utf8`` for the plain cases only (None for the rest)."""
    data = body
    if data[:4] in _BOMS[:2] or data[:2] in _BOMS[2:] or data[:4] in _WIDE_MARKERS:
        return None
    bom = data[:3] == codecs.BOM_UTF8
    if bom:
        data = data[3:]
    match = feedparser.encodings.RE_XML_PI_ENCODING.match(data)
    xml_encoding = match.group(1).decode("utf-8").lower() if match else ""
    http_encoding = feedparser.encodings.parse_content_type(content_type)[1]
    if "gb2312" in (http_encoding.lower(), xml_encoding):
        return None
    if bom and xml_encoding and _codec(xml_encoding) != "utf-8":
        return None
    if http_encoding and xml_encoding and _codec(http_encoding) != _codec(xml_encoding):
        return None  # feedparser believes the header; a mismatch is worth its judgement
    encoding = http_encoding or xml_encoding or "utf-8"
    if bom and _codec(encoding) != "utf-8":
        return None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if feedparser.encodings.RE_XML_DECLARATION.search(text):
        text = feedparser.encodings.RE_XML_DECLARATION.sub(_XML_DECLARATION, text)
    else:
        text = _XML_DECLARATION + "\n" + text
    return text.encode("utf-8")


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise _Decline from None


# --- feedparser's value pipeline --------------------------------------------------------------


def _fixed_uri(uri: str) -> str:
    """feedparser's ``urls._urljoin("", uri)``, which its parser applies to every link.

    With no base, ``urljoin`` gives the URI back as it is, so what is left is feedparser's
    fix-up: the slashes after "scheme://" dropped (``_urifixer.sub(r"\\1\\3", uri)``, whose
    third group is always empty). That ``re.sub`` expanded its template in Python for every
    link that starts with a scheme, most of them; one ``match`` and a slice give the same string.
    """
    match = _URI_FIXER.match(uri)
    if match is None or match.start(2) == match.end(2):
        return uri
    return match.group(1) + uri[match.end(2) :]


def _pop(
    text: str | None,
    element: str,
    *,
    rss: bool,
    kind: str | None = None,
    guidislink: bool = False,
) -> tuple[str, str | None]:
    """``_FeedParserMixin.pop`` for a leaf element: the stored value and its content type."""
    output = (text or "").strip()
    if element in _CAN_BE_RELATIVE and output and (element != "id" or guidislink):
        output = _fixed_uri(output)
    if rss and kind == "text/plain" and _looks_like_html(output):
        kind = "text/html"
    if output.isascii():
        return output, kind  # both steps below change only characters past ASCII
    # feedparser's repair of UTF-8 that was decoded as latin-1 somewhere upstream.
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_CP1252), kind


def _sync_author_detail(context: dict[str, Any], key: str = "author") -> None:
    """``_FeedParserMixin._sync_author_detail``, on a plain dict."""
    detail = context.get(f"{key}s", [{}])[-1]
    if detail:
        name = detail.get("name")
        email = detail.get("email")
        if name and email:
            context[key] = f"{name} ({email})"
        elif name:
            context[key] = name
        elif email:
            context[key] = email
        return
    author, email = context.get(key), None
    if not author:
        return
    match = _AUTHOR_EMAIL_RE.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "")
        author = author.replace("()", "")
        author = author.replace("<>", "")
        author = author.replace("&lt;&gt;", "")
        author = author.strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author or email:
        context.setdefault(f"{key}_detail", detail)
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email


def _save_author(context: dict[str, Any], key: str, value: str) -> None:
    context.setdefault("author_detail", {})[key] = value
    _sync_author_detail(context)
    context.setdefault("authors", [{}])[-1][key] = value


def _add_tag(
    context: dict[str, Any], term: str | None, scheme: str | None, label: str | None
) -> None:
    tags: list[dict[str, Any]] = context.setdefault("tags", [])
    if not term and not scheme and not label:
        return
    if len(tags) >= MAX_TAGS:  # as feedparser with feed_tags.install(): linear, not quadratic
        return
    value = {"term": term, "scheme": scheme, "label": label}
    if value not in tags:
        tags.append(value)


def _category(context: dict[str, Any], attrs: dict[str, str], value: str) -> None:
    """``_start_category`` then ``_end_category``."""
    _add_tag(
        context, attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label")
    )
    if not value:
        return
    tags = context["tags"]
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        _add_tag(context, value, None, None)


def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def _link_with_href(context: dict[str, Any], attrs: dict[str, str]) -> None:
    """``_start_link`` for a link given by attributes (Atom, or atom:link in RSS)."""
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    attrs = _enforce_href(attrs)
    if "href" not in attrs:
        raise _Decline  # a link with text content: feedparser pushes it as an element
    attrs["href"] = _fixed_uri(attrs["href"])
    context.setdefault("links", []).append(attrs)
    if attrs.get("rel") == "alternate" and _map_content_type(attrs.get("type")) in _HTML_TYPES:
        context["link"] = attrs["href"]


def _id(context: dict[str, Any], text: str | None, *, rss: bool, permalink: bool) -> None:
    """``_start_guid`` / ``_end_guid`` (an Atom id is a permalink guid to feedparser)."""
    value, _ = _pop(text, "id", rss=rss, guidislink=permalink)
    context["id"] = value
    context.setdefault("guidislink", permalink and "link" not in context)
    if permalink:
        context.setdefault("link", value)


# --- the tree -----------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._namespacemap: dict[str | None, str] = {}
        self._in_use: dict[str, str] = {}
        self._version = ""

    def read(self) -> FastDocument:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start-ns", "start"))
        try:
            parser.feed(self._data)
            parser.close()
        except ET.ParseError:
            raise _Decline from None
        root: ET.Element | None = None
        late: set[str] = set()
        for event in parser.read_events():
            payload: Any = event[-1]
            if isinstance(payload, ET.Element):
                if root is None:
                    root = payload
            elif not isinstance(payload, tuple) or len(payload) != 2:
                raise _Decline
            elif root is None:
                self._track_namespace(str(payload[0]) or None, str(payload[1]))
            elif payload[0] or payload[1].lower() in _MATCH_NAMESPACES:
                # Below the root feedparser's names would depend on where a declaration is.
                raise _Decline
            else:
                # An unknown default namespace on an element of its own (WordPress.com's
                # <post-id xmlns="com-wordpress:feed-additions:1">): feedparser knows its
                # elements by their local names wherever it is declared, as _name does.
                late.add(payload[1])
        if root is None or late & set(self._in_use.values()):
            raise _Decline
        if root.tag == "rss":
            return self._rss(root)
        if root.tag == "{" + _ATOM + "}feed":
            return self._atom(root)
        if root.tag == _RDF_ROOT:
            return self._rdf(root)
        raise _Decline

    def _track_namespace(self, prefix: str | None, uri: str) -> None:
        if not uri:
            return
        if prefix is not None and (prefix in self._namespacemap or prefix in self._in_use):
            raise _Decline  # one prefix bound twice
        lower = uri.lower()
        if not self._version:
            if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self._version = "rss090"
            elif lower == "http://purl.org/rss/1.0/":
                self._version = "rss10"
            elif lower == "http://www.w3.org/2005/atom":
                self._version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        if lower in _MATCH_NAMESPACES:
            self._namespacemap[prefix] = _MATCH_NAMESPACES[lower]
            self._in_use[_MATCH_NAMESPACES[lower]] = uri
        else:
            self._in_use[prefix or ""] = uri

    def _name(self, tag: str) -> str:
        """The name feedparser's handlers know an element by (``dc_creator``, ``title``...)."""
        if tag[0] == "{":
            uri, local = tag[1:].split("}", 1)
        else:
            uri, local = "", tag
        lower = uri.lower()
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        prefix = _MATCH_NAMESPACES.get(lower)
        name = local
        if prefix:
            name = prefix.lower() + ":" + local
        elif uri:
            for given, value in self._in_use.items():
                if given and value == uri:
                    name = given + ":" + local
                    break
        name = name.lower()
        if ":" in name:
            given, suffix = name.split(":", 1)
            mapped = self._namespacemap.get(given, given)
            return (mapped + "_" if mapped else "") + suffix
        return name

    def _harmless(self, element: ET.Element, keys: frozenset[str]) -> bool:
        """Whether feedparser would only store this element under a key nobody reads."""
        name = self._name(element.tag)
        if name in _HANDLED:
            return False
        key = _KEYMAP.get(name, name)
        if isinstance(key, list):
            key = key[0]
        if key in keys:
            return False
        return all(self._harmless(child, keys) for child in element)

    # --- RSS --------------------------------------------------------------------------------------

    def _rss(self, root: ET.Element) -> FastDocument:
        version = _RSS_VERSIONS.get(root.get("version", ""))
        if version is None:
            raise _Decline
        if not self._version.startswith("rss"):
            self._version = version
        channels = list(root)
        if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib:
            raise _Decline
        _blank(root.text, channels[0].tail)
        feed: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        self._channel(channels[0], feed, entries, rdf=False)
        return FastDocument(version=self._version, feed=feed, entries=tuple(entries))

    def _rdf(self, root: ET.Element) -> FastDocument:
        """RSS 1.0: items beside the channel, each named by its rdf:about."""
        if self._version != "rss10" or self._namespacemap.get("rdf", "rdf") != "rdf":
            raise _Decline
        seen: set[str] = set()
        feed: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        for child in root:
            tag = _rss1(child.tag)
            if tag == "item":
                entries.append(self._rss_item(child, rdf=True))
            elif tag == "channel":
                _once(seen, "channel")
                if _other_attrs(child, (_RDF_ABOUT,)):
                    raise _Decline
                self._channel(child, feed, entries, rdf=True)
            elif not self._harmless(child, _FEED_KEYS):
                raise _Decline
        return FastDocument(version=self._version, feed=feed, entries=tuple(entries))

    def _channel(
        self,
        channel: ET.Element,
        feed: dict[str, Any],
        entries: list[dict[str, Any]],
        *,
        rdf: bool,
    ) -> None:
        seen: set[str] = set()
        for child in channel:
            tag = _rss1(child.tag) if rdf else child.tag
            if tag == "item":
                entries.append(self._rss_item(child, rdf=rdf))
                continue
            if tag == "title":
                _once(seen, "feed title")
                text = _leaf_text(child, ("type",))
                kind = _text_type(child, "text/plain")
                feed["title"], detail = _pop(text, "title", rss=True, kind=kind)
                feed["title_detail"] = {"type": detail}
            elif tag == "link":
                _once(seen, "feed link")
                text = _leaf_text(child, ())
                value, _ = _pop(text, "link", rss=True)
                feed["link"] = _ENTITY_LEFT_RE.sub(r"&\g<1>", value)
            elif tag == "{" + _ATOM + "}link":
                _leaf_text(child, _LINK_ATTRS)
                _link_with_href(feed, _attrs(child))
            elif tag == "image" and not rdf:
                self._block(child, {"url", "title", "link", "width", "height", "description"})
            elif tag == "textInput" and not rdf:
                self._block(child, {"title", "link", "description", "name"})
            elif self._name(child.tag) in _SAFE_CHANNEL:
                if len(child):
                    raise _Decline
            elif self._name(child.tag) in _SAFE_CHANNEL_BLOCKS:
                # Podcast owner and category trees: publisher and tag values of the feed.
                allowed = _SAFE_CHANNEL_BLOCKS[self._name(child.tag)]
                if any(self._name(e.tag) not in allowed for e in child.iter() if e is not child):
                    raise _Decline
            elif not self._harmless(child, _FEED_KEYS):
                raise _Decline

    def _block(self, element: ET.Element, children: set[str]) -> None:
        # <image> and <textInput> keep feedparser in a mode that an unexpected child ends
        # (after which a <title> would be taken for the feed's).
        if element.attrib:
            raise _Decline
        for child in element:
            if child.tag not in children or len(child):
                raise _Decline

    def _rss_item(self, item: ET.Element, *, rdf: bool) -> dict[str, Any]:
        seen: set[str] = set()
        entry: dict[str, Any] = {}
        if rdf:
            if _other_attrs(item, (_RDF_ABOUT,)):
                raise _Decline
            if _RDF_ABOUT in item.attrib:
                # _start_item stores the attribute as it is: not stripped, not resolved.
                entry["id"] = item.attrib[_RDF_ABOUT]
        elif item.attrib:
            raise _Decline
        has_content = False
        for child in self._capped(item):
            tag = _rss1(child.tag) if rdf else child.tag
            if tag == "title":
                _once(seen, "title")
                text = _leaf_text(child, ("type",))
                kind = _text_type(child, "text/plain")
                entry["title"], detail = _pop(text, "title", rss=True, kind=kind)
                entry["title_detail"] = {"type": detail}
            elif tag == "link":
                _once(seen, "link")
                text = _leaf_text(child, ())
                links = entry.setdefault("links", [])
                links.append({"rel": "alternate", "type": "text/html"})
                value, _ = _pop(text, "link", rss=True)
                value = _ENTITY_LEFT_RE.sub(r"&\g<1>", value.replace("&amp;", "&"))
                entry["link"] = value
                if value:
                    links[-1]["href"] = value
            elif tag == "description":
                _once(seen, "description")
                text = _leaf_text(child, ("type",))
                if "summary" in entry and not has_content:
                    raise _Decline
                kind = _text_type(child, "text/html")
                entry["summary"], detail = _pop(text, "description", rss=True, kind=kind)
                entry["summary_detail"] = {"type": detail}
            elif tag == "{" + _CONTENT + "}encoded":
                _once(seen, "content")
                text = _leaf_text(child, ())
                has_content = True
                value, detail = _pop(text, "content", rss=True, kind="text/html")
                entry.setdefault("content", []).append({"type": detail, "value": value})
                entry.setdefault("summary", value)
            elif tag == "guid":
                _once(seen, "guid")
                text = _leaf_text(child, ("isPermaLink",))
                permalink = _attrs(child).get("ispermalink", "true") == "true"
                _id(entry, text, rss=True, permalink=permalink)
            elif tag == "pubDate":
                _once(seen, "published")
                value, _ = _pop(_leaf_text(child, ()), "published", rss=True)
                entry["published"] = value
                entry["published_parsed"] = _parse_date(value)
            elif tag in ("{" + _DC + "}date", "{" + _ATOM + "}updated"):
                # Medium writes <atom:updated>; feedparser reads both as "updated".
                _once(seen, "updated")
                value, _ = _pop(_leaf_text(child, ()), "updated", rss=True)
                entry["updated"] = value
                entry["updated_parsed"] = _parse_date(value)
            elif tag in ("author", "{" + _DC + "}creator"):
                _once(seen, "author")
                text = _leaf_text(child, ())
                entry.setdefault("authors", []).append({})
                entry["author"], _ = _pop(text, "author", rss=True)
                _sync_author_detail(entry)
            elif tag == "category":
                text = _leaf_text(child, ("domain",))
                value, _ = _pop(text, "category", rss=True)
                _category(entry, _attrs(child), value)
            elif tag == "{" + _DC + "}subject":
                value, _ = _pop(_leaf_text(child, ()), "category", rss=True)
                _category(entry, {}, value)
            elif tag == "enclosure":
                _leaf_text(child, ("url", "type", "length"), text_ok=False)
                attrs = _enforce_href(_attrs(child))
                attrs["rel"] = "enclosure"
                entry.setdefault("links", []).append(attrs)
            elif tag == "source":
                _once(seen, "source")
                text = _leaf_text(child, ("url",))
                source: dict[str, Any] = {}
                attrs = _attrs(child)
                if "url" in attrs:
                    source["href"] = attrs["url"]
                value, _ = _pop(text, "source", rss=True)
                if value:
                    source["title"] = value
                entry["source"] = source
            elif not self._common(entry, child, rss=True):
                raise _Decline
        return entry

    # --- Atom -------------------------------------------------------------------------------------

    def _atom(self, root: ET.Element) -> FastDocument:
        if self._version != "atom10" or _other_attrs(root, ()):
            raise _Decline
        seen: set[str] = set()
        feed: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        for child in root:
            tag = child.tag
            if tag == _A_ENTRY:
                entries.append(self._atom_entry(child))
            elif tag == _A_TITLE:
                _once(seen, "feed title")
                feed["title"], kind = _pop(
                    _leaf_text(child, ("type",)), "title", rss=False, kind=_text_type(child)
                )
                feed["title_detail"] = {"type": kind}
            elif tag == _A_LINK:
                _leaf_text(child, _LINK_ATTRS, text_ok=False)
                _link_with_href(feed, _attrs(child))
            elif tag == _A_ID:
                _once(seen, "feed id")
                _id(feed, _leaf_text(child, ()), rss=False, permalink=True)
            elif tag in (_A_SUBTITLE, _A_RIGHTS):
                _leaf_text(child, ("type",))
                _text_type(child)
            elif tag in (_A_AUTHOR, _A_CONTRIBUTOR):
                self._person(child)
            elif tag in (_A_UPDATED, _A_PUBLISHED, _A_GENERATOR, _A_ICON, _A_LOGO, _A_CATEGORY):
                if len(child):
                    raise _Decline
            elif not self._harmless(child, _FEED_KEYS):
                raise _Decline
        return FastDocument(version=self._version, feed=feed, entries=tuple(entries))

    def _person(self, element: ET.Element) -> list[tuple[str, str]]:
        """An Atom person's (name, value) parts in document order; no other markup."""
        if _other_attrs(element, ()):
            raise _Decline
        _blank(element.text)
        parts: list[tuple[str, str]] = []
        for child in element:
            if child.tag not in _PERSON_PARTS or len(child) or _other_attrs(child, ()):
                raise _Decline
            _blank(child.tail)
            name = _PERSON_PARTS[child.tag]
            if any(part == name for part, _ in parts):
                raise _Decline
            parts.append((name, child.text or ""))
        return parts

    def _atom_entry(self, entry_element: ET.Element) -> dict[str, Any]:
        if _other_attrs(entry_element, ()):
            raise _Decline
        seen: set[str] = set()
        entry: dict[str, Any] = {}
        has_content = False
        for child in self._capped(entry_element):
            tag = child.tag
            if tag == _A_ID:
                _once(seen, "id")
                _id(entry, _leaf_text(child, ()), rss=False, permalink=True)
            elif tag == _A_TITLE:
                _once(seen, "title")
                text = _leaf_text(child, ("type",))
                entry["title"], kind = _pop(text, "title", rss=False, kind=_text_type(child))
                entry["title_detail"] = {"type": kind}
            elif tag == _A_LINK:
                _leaf_text(child, _LINK_ATTRS, text_ok=False)
                _link_with_href(entry, _attrs(child))
            elif tag in (_A_UPDATED, _A_PUBLISHED):
                key = "updated" if tag == _A_UPDATED else "published"
                _once(seen, key)
                value, _ = _pop(_leaf_text(child, ()), key, rss=False)
                entry[key] = value
                entry[key + "_parsed"] = _parse_date(value)
            elif tag == _A_SUMMARY:
                _once(seen, "summary")
                text = _leaf_text(child, ("type",))
                if "summary" in entry and not has_content:
                    raise _Decline
                entry["summary"], kind = _pop(text, "summary", rss=False, kind=_text_type(child))
                entry["summary_detail"] = {"type": kind}
            elif tag == _A_CONTENT:
                _once(seen, "content")
                text = _leaf_text(child, ("type",))
                has_content = True
                value, kind = _pop(text, "content", rss=False, kind=_text_type(child))
                entry.setdefault("content", []).append({"type": kind, "value": value})
                entry.setdefault("summary", value)
            elif tag == _A_AUTHOR:
                _once(seen, "author")
                parts = self._person(child)
                entry.setdefault("authors", []).append({})
                for name, text in parts:
                    if name == "href":
                        value, _ = _pop(text, "href", rss=False)
                    else:
                        value = text.strip()  # pushed without expecting text: stripped only
                    _save_author(entry, name, value)
                entry["author"], _ = _pop(_person_text(child), "author", rss=False)
                _sync_author_detail(entry)
            elif tag == _A_CATEGORY:
                text = _leaf_text(child, ("term", "scheme", "label"))
                value, _ = _pop(text, "category", rss=False)
                _category(entry, _attrs(child), value)
            elif not self._common(entry, child, rss=False):
                raise _Decline
        return entry

    # --- either -----------------------------------------------------------------------------------

    def _capped(self, entry: ET.Element) -> list[ET.Element]:
        """The entry's children but those past ``MAX_REPEATS`` of a kind, which feedparser
        skips too (``entry_caps``): unread, so a hostile item costs only its tree.

        Only children count: every capped kind has a feedparser handler, so a child holding
        one is declined (``_harmless``), never read.
        """
        children = list(entry)
        if len(children) <= MAX_REPEATS:
            return children
        counts: dict[str, int] = {}
        kept: list[ET.Element] = []
        for child in children:
            kind = self._name(child.tag)
            if kind in CAPPED_KINDS:
                counts[kind] = counts.get(kind, 0) + 1
                if counts[kind] > MAX_REPEATS:
                    continue
            kept.append(child)
        return kept

    def _common(self, entry: dict[str, Any], child: ET.Element, *, rss: bool) -> bool:
        """The extension elements of an RSS item or Atom entry; False for unknown ones."""
        tag = child.tag
        if tag in _MEDIA_CONTENT:
            if _other_attrs(child, _MEDIA_ATTRS):
                raise _Decline
            _blank(child.text)
            # The Guardian credits each picture inside it; _start_media_content pushes nothing,
            # so its children act as the item's own.
            for part in child:
                if not self._common_leaf(part):
                    raise _Decline
            entry.setdefault("media_content", []).append(_attrs(child))
        elif tag in _MEDIA_THUMBNAIL:
            text = _leaf_text(child, ("url", "width", "height", "time"))
            entry.setdefault("media_thumbnail", [])
            value, _ = _pop(text, "url", rss=rss)
            attrs = _attrs(child)
            entry["media_thumbnail"].append(attrs)
            if value.strip() and "url" not in attrs:
                attrs["url"] = value
        elif tag == "{" + _FEEDBURNER + "}origLink":
            if "feedburner_origlink" in entry:
                raise _Decline
            entry["feedburner_origlink"], _ = _pop(
                _leaf_text(child, ()), "feedburner_origlink", rss=rss
            )
        elif rss and tag == "{" + _ATOM + "}link":
            _leaf_text(child, _LINK_ATTRS, text_ok=False)
            _link_with_href(entry, _attrs(child))
        else:
            return self._common_leaf(child)
        return True

    def _common_leaf(self, child: ET.Element) -> bool:
        if self._name(child.tag) in _SAFE_ITEM:
            return len(child) == 0
        return self._harmless(child, _ENTRY_KEYS)


def _once(seen: set[str], what: str) -> None:
    if what in seen:
        raise _Decline  # a repeated element: feedparser's precedence rules are subtle
    seen.add(what)


def _leaf_text(element: ET.Element, allowed: tuple[str, ...], *, text_ok: bool = True) -> str:
    """The element's text; it must have no children and no attributes but ``allowed``."""
    if len(element) or _other_attrs(element, allowed):
        raise _Decline
    if not text_ok:
        _blank(element.text)
    return element.text or ""


def _other_attrs(element: ET.Element, allowed: tuple[str, ...]) -> bool:
    """Whether the element has an attribute beyond ``allowed`` (any case, as feedparser reads
    plain names: isPermalink is isPermaLink) or two that only differ in case."""
    if not element.attrib:
        return False
    seen: set[str] = set()
    known = {_attr_key(a) for a in allowed}
    for name in element.attrib:
        if name == _XML_LANG:
            continue
        key = _attr_key(name)
        if key in seen or key not in known:
            return True
        seen.add(key)
    return False


def _attr_key(name: str) -> str:
    # Namespaced names stay exact: feedparser would also know them by their local name.
    return name if name.startswith("{") else name.lower()


def _attrs(element: ET.Element) -> dict[str, str]:
    """The attributes as feedparser's handlers get them: names and rel/type values lowercased."""
    attrs: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name == _XML_LANG:
            attrs["xml:lang"] = value
            attrs["lang"] = value
            continue
        key = name.lower()
        attrs[key] = value.lower() if key in ("rel", "type") else value
    return attrs


def _text_type(element: ET.Element, default: str = "text/plain") -> str:
    kind: str = _map_content_type(_attrs(element).get("type", default))
    if kind not in _TEXT_TYPES:
        raise _Decline  # xhtml (markup inside the element) or base64 content
    return kind


def _person_text(element: ET.Element) -> str:
    return (element.text or "") + "".join(child.tail or "" for child in element)


def _rss1(tag: str) -> str:
    """An RSS 1.0 element's tag as RSS 2.0 spells it (feedparser knows both by one name)."""
    return tag[len(_RSS1_PREFIX) :] if tag.startswith(_RSS1_PREFIX) else tag


def _blank(*texts: str | None) -> None:
    if any(text and not text.isspace() for text in texts):
        raise _Decline


_A_ENTRY = "{" + _ATOM + "}entry"
_A_TITLE = "{" + _ATOM + "}title"
_A_LINK = "{" + _ATOM + "}link"
_A_ID = "{" + _ATOM + "}id"
_A_UPDATED = "{" + _ATOM + "}updated"
_A_PUBLISHED = "{" + _ATOM + "}published"
_A_SUMMARY = "{" + _ATOM + "}summary"
_A_CONTENT = "{" + _ATOM + "}content"
_A_AUTHOR = "{" + _ATOM + "}author"
_A_CONTRIBUTOR = "{" + _ATOM + "}contributor"
_A_CATEGORY = "{" + _ATOM + "}category"
_A_SUBTITLE = "{" + _ATOM + "}subtitle"
_A_RIGHTS = "{" + _ATOM + "}rights"
_A_GENERATOR = "{" + _ATOM + "}generator"
_A_ICON = "{" + _ATOM + "}icon"
_A_LOGO = "{" + _ATOM + "}logo"
_PERSON_PARTS = {
    "{" + _ATOM + "}name": "name",
    "{" + _ATOM + "}email": "email",
    "{" + _ATOM + "}uri": "href",
}
_LINK_ATTRS = ("rel", "type", "href", "title", "hreflang", "length")
_MEDIA_ATTRS = (
    "url",
    "type",
    "medium",
    "width",
    "height",
    "fileSize",
    "duration",
    "bitrate",
    "isDefault",
    "expression",
    "lang",
)
_MEDIA_CONTENT = frozenset("{" + uri + "}content" for uri in _MEDIA)
_MEDIA_THUMBNAIL = frozenset("{" + uri + "}thumbnail" for uri in _MEDIA)
# Channel elements whose feedparser handlers only touch feed keys nobody here reads (leaves).
_SAFE_CHANNEL = frozenset(
    {
        "description",
        "language",
        "copyright",
        "managingeditor",
        "webmaster",
        "pubdate",
        "lastbuilddate",
        "category",
        "generator",
        "cloud",
        "dc_language",
        "dc_rights",
        "dc_date",
        "dc_publisher",
        "dc_creator",
        "dc_subject",
        "itunes_author",
        "itunes_subtitle",
        "itunes_summary",
        "itunes_explicit",
        "itunes_block",
        "itunes_image",
        "itunes_keywords",
        "media_rating",
        "media_credit",
    }
)
_SAFE_CHANNEL_BLOCKS = {
    "itunes_owner": frozenset({"itunes_name", "itunes_email"}),
    "itunes_category": frozenset({"itunes_category"}),
}
# Item elements whose handlers store only what nobody here reads (an episode's image, flags).
_SAFE_ITEM = frozenset(
    {
        "itunes_image",
        "itunes_explicit",
        "itunes_block",
        "itunes_subtitle",
        "dc_publisher",
        "dc_rights",
        "dc_language",
        "media_credit",
        "media_rating",
    }
)

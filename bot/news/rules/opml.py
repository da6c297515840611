"""OPML import and export of feed lists. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Feed

MAX_OPML_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class OpmlEntry:
    """One feed listed in an OPML document."""

    url: str
    title: str | None


def parse_opml(document: bytes) -> tuple[OpmlEntry, ...]:
    """Every outline with an ``xmlUrl``, at any depth, in document order, without repeats."""
    if len(document) > MAX_OPML_BYTES:
        raise UserError("the OPML file is larger than 5 MB")
    if b"<!ENTITY" in document:
        # Entity declarations have no business in OPML and are how XML bombs are built.
        raise UserError("the OPML file declares XML entities, which is not allowed")
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise UserError(f"not a valid OPML file: {exc}") from None
    if root.tag.lower() != "opml":
        raise UserError(f"not an OPML file: the document is <{root.tag}>, not <opml>")
    entries: list[OpmlEntry] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        entries.append(OpmlEntry(url, title))
    return tuple(entries)


def render_opml(feeds: Iterable[Feed], *, title: str, now: datetime) -> str:
    """An OPML 2.0 document listing the feeds (disabled ones included, marked as such)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if not feed.enabled:
            attributes["shopwireDisabled"] = "true"
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

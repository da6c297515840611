"""Attribute lookups by qualified name in O(1) for feedparser's strict (SAX) parser.

feedparser's ``StrictFeedParser.startElementNS`` asks the attributes object for every
attribute's value by its qualified name, and the standard library's ``AttributesNSImpl`` finds
each one by walking all of them: quadratic in the attributes of one element. One element with
30,000 attributes (240 kB) took a parse worker to its 10 s limit, so the feed failed on every
poll; a 10 MB document could hold 1.2 million. ``install`` makes feedparser's SAX reader (and
no other) an expat reader that builds attributes objects keeping an index by qualified name:
the same answers (the first match, as the walk found it), in constant time.

Scoped to feedparser rather than patched into ``xml.sax.expatreader`` for every user of the
module: feedparser asks ``xml.sax.make_parser`` for a reader from its own list of preferred
driver modules (``feedparser.api.PREFERRED_XML_PARSERS``), and this module is one such driver
(``create_parser``), put first. Any other SAX user in the process gets the standard reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.expatreader import ExpatParser
from xml.sax.xmlreader import AttributesNSImpl

import feedparser.api

__all__ = ["IndexedAttributesNS", "IndexedExpatParser", "create_parser", "install"]


class IndexedAttributesNS(AttributesNSImpl):
    """``AttributesNSImpl`` with ``getValueByQName`` and ``getNameByQName`` by dict lookup."""

    def __init__(self, attrs: dict[Any, Any], qnames: dict[Any, str]) -> None:
        super().__init__(attrs, qnames)
        self._values = attrs
        self._names_by_qname: dict[str, Any] = {}
        for name, qname in qnames.items():
            self._names_by_qname.setdefault(qname, name)  # the first, as the walk finds it

    def getValueByQName(self, name: str) -> Any:
        if name not in self._names_by_qname:
            raise KeyError(name)
        return self._values[self._names_by_qname[name]]

    def getNameByQName(self, name: str) -> Any:
        if name not in self._names_by_qname:
            raise KeyError(name)
        return self._names_by_qname[name]


class IndexedExpatParser(ExpatParser):
    """The standard expat SAX reader, handing its content handler ``IndexedAttributesNS``."""

    def start_element_ns(self, name: str, attrs: Mapping[str, str]) -> None:
        # The standard reader's own conversion (CPython 3.11 xml/sax/expatreader.py), with the
        # indexed attributes class in place of AttributesNSImpl.
        pair: tuple[Any, ...] = tuple(name.split())
        if len(pair) == 1:
            pair = (None, name)
        elif len(pair) == 3:
            pair = pair[0], pair[1]
        newattrs: dict[Any, str] = {}
        qnames: dict[Any, str] = {}
        for aname, value in attrs.items():
            parts = aname.split()
            apair: tuple[str | None, str]
            if len(parts) == 1:
                qname, apair = aname, (None, aname)
            elif len(parts) == 3:
                qname, apair = f"{parts[2]}:{parts[1]}", (parts[0], parts[1])
            else:
                qname, apair = parts[1], (parts[0], parts[1])
            newattrs[apair] = value
            qnames[apair] = qname
        handler: Any = self._cont_handler  # type: ignore[attr-defined]  # set by the base class
        handler.startElementNS(pair, None, IndexedAttributesNS(newattrs, qnames))


def create_parser(*args: Any, **kwargs: Any) -> IndexedExpatParser:
    """The SAX driver entry point ``xml.sax.make_parser`` calls on this module."""
    return IndexedExpatParser(*args, **kwargs)


def install() -> None:
    """Make feedparser's strict parser read through ``IndexedExpatParser``."""
    preferred: list[str] = feedparser.api.PREFERRED_XML_PARSERS
    if __name__ not in preferred:
        preferred.insert(0, __name__)

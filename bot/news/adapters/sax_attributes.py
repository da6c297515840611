"""Attribute lookups by qualified name in O(1) for feedparser's strict (SAX) parser.

feedparser's ``StrictFeedParser.startElementNS`` asks the attributes object for every
attribute's value by its qualified name, and the standard library's ``AttributesNSImpl`` finds
each one by walking all of them: quadratic in the attributes of one element. One element with
30,000 attributes (240 kB) took a parse worker to its 10 s limit, so the feed failed on every
poll; a 10 MB document could hold 1.2 million. ``install`` makes ``xml.sax.expatreader`` build
attributes objects that keep an index by qualified name: the same answers (the first match, as
the walk found it), in constant time.
"""

from __future__ import annotations

import xml.sax.expatreader
from typing import Any
from xml.sax.xmlreader import AttributesNSImpl

__all__ = ["IndexedAttributesNS", "install"]


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


def install() -> None:
    """Make the expat SAX reader (feedparser's strict parser) use ``IndexedAttributesNS``."""
    xml.sax.expatreader.AttributesNSImpl = IndexedAttributesNS  # type: ignore[assignment]

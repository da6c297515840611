"""An element with very many attributes is read in linear time by feedparser's strict parser."""

from __future__ import annotations

from xml.sax.xmlreader import AttributesNSImpl

import pytest

from bot.news.adapters.sax_attributes import IndexedAttributesNS
from tests.ceiling import returns_within
from tests.news.rss_document import parse_rss


def test_a_hundred_thousand_attributes_do_not_take_the_parse_to_its_time_limit() -> None:
    attributes = " ".join(f'a{n}="{n}"' for n in range(100_000))
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<link>https://a.example/1</link><category {attributes}>c</category></item>"
        "</channel></rss>"
    ).encode()

    # Before: a walk of every attribute per attribute, ~150 s of CPU (8,000 took 0.9 s).
    with returns_within("a parse of one element with 100,000 attributes", 30):
        feed = parse_rss(body, fast_path=False)

    assert [item.title for item in feed.items] == ["x"]
    assert feed.items[0].categories == ("c",)


def test_indexed_attributes_answer_as_the_standard_ones() -> None:
    attrs = {(None, "href"): "h", ("urn:x", "type"): "t", ("urn:y", "type"): "u"}
    qnames = {(None, "href"): "href", ("urn:x", "type"): "x:type", ("urn:y", "type"): "y:type"}
    standard, indexed = AttributesNSImpl(attrs, qnames), IndexedAttributesNS(attrs, qnames)

    for qname in ("href", "x:type", "y:type"):
        assert indexed.getValueByQName(qname) == standard.getValueByQName(qname)
        assert indexed.getNameByQName(qname) == standard.getNameByQName(qname)
    assert list(indexed.items()) == list(standard.items())
    for missing in ("type", "z:type"):
        with pytest.raises(KeyError):
            indexed.getValueByQName(missing)
        with pytest.raises(KeyError):
            indexed.getNameByQName(missing)


def test_only_feedparser_reads_through_the_indexed_reader() -> None:
    import xml.sax
    import xml.sax.expatreader

    import feedparser.api

    import bot.news.adapters.feed_parse  # noqa: F401  (installs it)
    from bot.news.adapters.sax_attributes import IndexedExpatParser

    # Before: xml.sax.expatreader.AttributesNSImpl was replaced for the whole process.
    assert xml.sax.expatreader.AttributesNSImpl is AttributesNSImpl
    assert type(xml.sax.make_parser()) is xml.sax.expatreader.ExpatParser
    reader = xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)
    assert isinstance(reader, IndexedExpatParser)


def test_the_indexed_reader_hands_the_same_attributes_as_the_standard_one() -> None:
    import xml.sax
    import xml.sax.expatreader
    from xml.sax.handler import ContentHandler, feature_namespaces

    from bot.news.adapters.sax_attributes import create_parser

    document = b'<r xmlns="urn:d" xmlns:x="urn:x"><e a="1" x:a="2" x:b="3"/><x:f b="4">t</x:f></r>'

    class Recorder(ContentHandler):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[object] = []

        def startElementNS(self, name: object, qname: object, attrs: object) -> None:
            assert isinstance(attrs, AttributesNSImpl)
            by_qname = [(q, attrs.getValueByQName(q)) for q in attrs.getQNames()]
            self.seen.append((name, qname, list(attrs.items()), by_qname))

    seen = []
    for reader in (xml.sax.expatreader.create_parser(), create_parser()):
        recorder = Recorder()
        reader.setFeature(feature_namespaces, True)
        reader.setContentHandler(recorder)
        reader.feed(document)
        reader.close()
        seen.append(recorder.seen)
    assert seen[0] == seen[1] and len(seen[0]) == 3

"""A deterministic corpus of e-commerce feeds for benchmarks: RSS 2.0, Atom and RDF.

Text is assembled from a vocabulary of companies, actions and topics so that searches have
realistic selectivity (common words like "Amazon" match many items, rarer ones few).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

COMPANIES = [
    "Amazon",
    "Temu",
    "SHEIN",
    "TikTok Shop",
    "Walmart",
    "Shopee",
    "AliExpress",
    "eBay",
    "Etsy",
    "Mercado Libre",
    "Shopify",
    "Coupang",
    "Zalando",
    "Target",
    "Best Buy",
    "Lazada",
    "Flipkart",
    "Allegro",
    "Otto",
    "Wayfair",
]
ACTIONS = [
    "raises seller fees",
    "cuts prices",
    "expands to",
    "faces probe in",
    "launches a marketplace in",
    "posts record sales in",
    "pauses shipments to",
    "opens warehouses in",
    "is fined in",
    "signs a logistics deal in",
    "tests live shopping in",
    "lays off staff in",
    "reports earnings from",
]
PLACES = [
    "the US",
    "Europe",
    "Germany",
    "France",
    "the UK",
    "Brazil",
    "Mexico",
    "Japan",
    "Indonesia",
    "Poland",
    "Spain",
    "Italy",
    "Canada",
    "Australia",
    "South Korea",
    "India",
]
TOPICS = [
    "tariffs",
    "de minimis",
    "returns",
    "fulfilment",
    "advertising",
    "payments",
    "live commerce",
    "counterfeits",
    "customs",
    "last-mile delivery",
    "holiday season",
    "Prime Day",
    "Black Friday",
    "Singles Day",
    "creator affiliates",
    "price matching",
    "seller verification",
    "consumer law",
]
FILLER = (
    "Analysts said the move could reshape how independent sellers price their catalogues. "
    "Merchants told reporters that margins remain under pressure as advertising costs climb. "
    "The company did not comment on volumes but said the change applies from next quarter. "
    "Regulators have been looking closely at cross-border parcels and product safety rules. "
    "Logistics partners expect the peak season to test warehouse capacity across the region. "
)


@dataclass(frozen=True)
class CorpusItem:
    guid: str
    title: str
    link: str
    summary_html: str
    published: datetime
    category: str


def make_item(rng: random.Random, feed: int, n: int, base: datetime) -> CorpusItem:
    company = rng.choice(COMPANIES)
    other = rng.choice(COMPANIES)
    action = rng.choice(ACTIONS)
    place = rng.choice(PLACES)
    topic = rng.choice(TOPICS)
    title = f"{company} {action} {place} amid {topic} push"
    paragraphs = " ".join(rng.sample(FILLER.split(". "), 4))
    summary = (
        f"<p><strong>{company}</strong> {action} {place}, the latest step in a year of "
        f"{topic} changes. Rival {other} is watching closely.</p><p>{paragraphs}</p>"
        f'<p><a href="https://news.example/{feed}/{n}?utm_source=rss">Read more</a> about '
        f"{topic} &amp; {other}.</p>"
    )
    return CorpusItem(
        guid=f"https://news.example/{feed}/{n}",
        title=title,
        link=f"https://news.example/{feed}/{n}?utm_source=rss&utm_medium=feed",
        summary_html=summary + "<p>" + " ".join(rng.sample(FILLER.split(". "), 3)) + "</p>",
        published=base - timedelta(minutes=17 * n + feed),
        category=topic,
    )


def render(kind: str, feed: int, items: list[CorpusItem]) -> bytes:
    """One feed document of the given kind ("rss", "atom" or "rdf")."""
    title = f"Commerce Wire {feed}"
    if kind == "atom":
        entries = "".join(
            f"<entry><id>{escape(i.guid)}</id><title>{escape(i.title)}</title>"
            f'<link href="{escape(i.link)}"/><updated>{i.published.isoformat()}</updated>'
            f'<category term="{escape(i.category)}"/>'
            f'<summary type="html">{escape(i.summary_html)}</summary></entry>'
            for i in items
        )
        doc = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{title}</title><id>urn:feed:{feed}</id>"
            f"<updated>{items[0].published.isoformat()}</updated>{entries}</feed>"
        )
    elif kind == "rdf":
        entries = "".join(
            f'<item rdf:about="{escape(i.guid)}"><title>{escape(i.title)}</title>'
            f"<link>{escape(i.link)}</link><dc:date>{i.published.isoformat()}</dc:date>"
            f"<dc:subject>{escape(i.category)}</dc:subject>"
            f"<description>{escape(i.summary_html)}</description></item>"
            for i in items
        )
        doc = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="https://news.example/{feed}"><title>{title}</title>'
            f"<link>https://news.example/{feed}</link><description>x</description></channel>"
            f"{entries}</rdf:RDF>"
        )
    else:
        entries = "".join(
            f'<item><guid isPermaLink="true">{escape(i.guid)}</guid>'
            f"<title>{escape(i.title)}</title>"
            f"<link>{escape(i.link)}</link><pubDate>{format_datetime(i.published, usegmt=True)}"
            f"</pubDate><category>{escape(i.category)}</category>"
            f"<description>{escape(i.summary_html)}</description></item>"
            for i in items
        )
        doc = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://news.example/{feed}</link>"
            f"<description>E-commerce news</description>{entries}</channel></rss>"
        )
    return doc.encode()


class Corpus:
    """N feeds x M items, deterministic for a seed; feeds can grow new items."""

    KINDS = ("rss", "atom", "rdf")

    def __init__(self, feeds: int, items: int, *, seed: int = 7) -> None:
        # Dated up to the last hour, so that every item lies within the story window (three
        # days) as a live poll's would: story assignment and its rebuild then see them all.
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.base = now - timedelta(hours=1)
        self._rng = random.Random(seed)
        self.items: list[list[CorpusItem]] = [
            [make_item(self._rng, f, n, self.base) for n in range(items)] for f in range(feeds)
        ]
        self._next = [items] * feeds

    def kind(self, feed: int) -> str:
        return self.KINDS[feed % len(self.KINDS)]

    def document(self, feed: int) -> bytes:
        return render(self.kind(feed), feed, self.items[feed])

    def add_items(self, feed: int, count: int) -> None:
        """Put ``count`` newer items at the top of a feed (the oldest fall off)."""
        fresh = []
        for _ in range(count):
            n = self._next[feed]
            self._next[feed] += 1
            item = make_item(self._rng, feed, n, self.base)
            fresh.append(
                CorpusItem(
                    item.guid,
                    item.title,
                    item.link,
                    item.summary_html,
                    self.base + timedelta(minutes=n),
                    item.category,
                )
            )
        self.items[feed] = fresh + self.items[feed][: len(self.items[feed]) - count]

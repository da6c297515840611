"""The default catalogue: real e-commerce news feeds seeded into a new database.

Chosen from feeds seen returning items in recorded live fetches (trade press) and Google News
search feeds for the companies sellers follow. Feeds whose items are all about one company say
so in ``companies``, so their items are tagged even when a title does not name it.
URLs rot: a default that keeps failing is disabled by the normal backoff rules, never crashes
anything, and the operator can disable or remove any of them.
"""

from __future__ import annotations

from bot.news.model.vocabulary import NewFeed

_GN = "https://news.google.com/rss/search?q={q}&hl=en-US&gl=US&ceid=US:en"


def _google_news(topic: str, query: str, *, enabled: bool = True) -> NewFeed:
    return NewFeed(url=_GN.format(q=query), name=f"Google News: {topic}", enabled=enabled)


DEFAULT_FEEDS: tuple[NewFeed, ...] = (
    # Trade press.
    NewFeed("https://www.retaildive.com/feeds/news/", "Retail Dive"),
    NewFeed("https://www.modernretail.co/feed/", "Modern Retail"),
    NewFeed("https://www.digitalcommerce360.com/feed/", "Digital Commerce 360"),
    NewFeed("https://www.practicalecommerce.com/rss", "Practical Ecommerce"),
    NewFeed("https://www.ecommercebytes.com/feed/", "EcommerceBytes"),
    NewFeed("https://internetretailing.net/feed/", "Internet Retailing"),
    NewFeed("https://www.retailcustomerexperience.com/rss/", "Retail Customer Experience"),
    NewFeed("https://digiday.com/feed/", "Digiday"),
    NewFeed("https://www.junglescout.com/blog/feed/", "Jungle Scout Blog"),
    NewFeed("https://techcrunch.com/category/commerce/feed/", "TechCrunch Commerce"),
    NewFeed("https://www.pymnts.com/category/news/ecommerce/feed/", "PYMNTS eCommerce"),
    NewFeed("https://www.cnbc.com/id/10000116/device/rss/rss.html", "CNBC Retail"),
    NewFeed("https://tamebay.com/feed", "Tamebay"),
    NewFeed("https://channelx.world/feed", "ChannelX"),
    NewFeed("https://ecommercenews.eu/feed/", "Ecommerce News Europe"),
    NewFeed("https://www.retailgazette.co.uk/feed/", "Retail Gazette"),
    NewFeed("https://www.supplychaindive.com/feeds/news/", "Supply Chain Dive"),
    NewFeed("https://www.glossy.co/feed/", "Glossy"),
    # Vendors' own changelogs: huge documents, so read only the newest items.
    NewFeed(
        "https://changelog.shopify.com/feed",
        "Shopify Changelog",
        max_items_per_poll=50,
        companies=("shopify",),
    ),
    NewFeed(
        "https://meihei3.github.io/tiktok-shop-release-notes-rss/rss/changelog.xml",
        "TikTok Shop Partner API changelog (unofficial)",
        companies=("tiktok_shop",),
    ),
    # Google News searches (publisher in <source>; polled no faster than the poll interval).
    _google_news("TikTok Shop", "%22TikTok%20Shop%22"),
    _google_news("Temu", "Temu"),
    _google_news("SHEIN", "Shein"),
    _google_news(
        "Amazon marketplace",
        "Amazon%20(marketplace%20OR%20sellers%20OR%20Haul%20OR%20%22Prime%20Day%22)",
    ),
    _google_news("Alibaba group", "AliExpress%20OR%20Alibaba%20OR%20Taobao%20OR%20Lazada"),
    _google_news(
        "Shopee/Mercado Libre/Coupang", "Shopee%20OR%20%22Mercado%20Libre%22%20OR%20Coupang"
    ),
    _google_news(
        "de minimis", "%22de%20minimis%22%20(Temu%20OR%20Shein%20OR%20parcels%20OR%20ecommerce)"
    ),
    _google_news(
        "Reuters retail",
        "site:reuters.com%20(Amazon%20OR%20Temu%20OR%20Shein%20OR%20%22TikTok%20Shop%22"
        "%20OR%20Walmart)%20when:7d",
    ),
    _google_news("Marketplace Pulse", "site:marketplacepulse.com"),
    _google_news(
        "Walmart Marketplace/eBay/Etsy", "%22Walmart%20Marketplace%22%20OR%20eBay%20OR%20Etsy"
    ),
)

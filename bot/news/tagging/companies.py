"""The companies Shopwire tags items with: families, their aliases and when ambiguous ones count.

This is the project's own tagging table, written from the entity dictionary the product was
designed with (``shared/data/entities.yaml``). It is plain typed data so that it ships with the
package, is checked by mypy and reviewed like code; nothing is read from disk at run time.

How ``bot.news.tagging.company_tagger`` reads it:

* An ``Alias`` without a ``Guard`` tags its family wherever it occurs as a whole word or phrase
  (case-insensitively, unless ``case_sensitive``). A space or hyphen inside an alias matches any
  run of spaces and hyphens, so "e-commerce" is also "e commerce"; closed-up spellings
  ("ecommerce", "TikTokShop") are separate aliases.
* An ``Alias`` with a ``Guard`` is ambiguous: it counts only when the guard holds.
* A family's ``negative_context`` phrases veto any of its alias occurrences they contain
  ("Amazon rainforest" vetoes that "Amazon", not an "Amazon" elsewhere in the item).
* ``Brand`` aliases roll up to their family: Pinduoduo tags ``temu``, AliExpress ``alibaba``.

Facts that the source marked as unverified (Walmart's listing venue, Meesho's ticker, Depop's
owner) are kept out of anything that is displayed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    """What sort of business a family is."""

    MARKETPLACE = "marketplace"
    RETAILER = "retailer"
    PLATFORM_COMMERCE_ARM = "platform_commerce_arm"
    SAAS = "saas"
    CONGLOMERATE = "conglomerate"


class NeedsWhen(enum.StrEnum):
    """When a guard's ``needs`` terms are required."""

    ALWAYS = "always"
    # Only when a capitalised, name-like word comes right before the alias ("Miriam Shein").
    AFTER_NAME = "after_name"
    # Only when the item reads as the language of the guard's ``language_markers``.
    IN_LANGUAGE = "in_language"


@dataclass(frozen=True, slots=True)
class Guard:
    """When an ambiguous alias counts.

    An occurrence counts when none of ``blocked_by`` is in the item (unless one of
    ``unblocked_by`` is too) and then either a ``strong`` term is in the item, or the position
    rule (``mid_sentence``) and the context rule (``needs``/``needs_family``) both hold.
    Terms are matched like aliases: whole words, case-insensitively.
    """

    rule: str  # the editorial rule in words, for reviewers and error messages
    needs: tuple[str, ...] = ()
    needs_when: NeedsWhen = NeedsWhen.ALWAYS
    language_markers: tuple[str, ...] = ()
    # Another, unambiguous alias of the same family elsewhere in the item also satisfies `needs`.
    needs_family: bool = False
    blocked_by: tuple[str, ...] = ()
    unblocked_by: tuple[str, ...] = ()
    # Capitalisation is evidence only mid-sentence in ordinary prose: at the start of a sentence
    # or inside a Title Case headline every word is capitalised anyway.
    mid_sentence: bool = False
    strong: tuple[str, ...] = ()

    @property
    def vetoes_only(self) -> bool:
        """True when the alias counts by default and the guard can only veto it.

        Such aliases ("Temu", "Amazon", "Alibaba", "Shein") are unambiguous enough to pick a
        family from what a user types.
        """
        needs_in_general = bool(self.needs) and self.needs_when is NeedsWhen.ALWAYS
        return not (needs_in_general or self.needs_family or self.mid_sentence or self.strong)


@dataclass(frozen=True, slots=True)
class Alias:
    """One way of writing a family's (or brand's) name."""

    text: str
    case_sensitive: bool = False
    guard: Guard | None = None
    # False for arms that are not e-commerce (AWS, Garena, Kling AI...): they tag the family,
    # but a future relevance score should down-weight them.
    commerce: bool = True


@dataclass(frozen=True, slots=True)
class Brand:
    """A sub-brand or subsidiary; its aliases tag the parent family."""

    id: str
    name: str
    aliases: tuple[Alias, ...]


@dataclass(frozen=True, slots=True)
class Family:
    """A company family: the unit items are tagged with."""

    id: str
    name: str
    kind: Kind
    parent: str
    tickers: tuple[str, ...]
    aliases: tuple[Alias, ...]
    brands: tuple[Brand, ...] = ()
    negative_context: tuple[str, ...] = ()
    # Extra names a user may type to pick the family (e.g. "Target", "TikTok"). They are too
    # ambiguous to tag text with on their own, but unambiguous in a company picker.
    picker_names: tuple[str, ...] = ()


def _plain(*texts: str) -> tuple[Alias, ...]:
    return tuple(Alias(t) for t in texts)


def _exact(*texts: str) -> tuple[Alias, ...]:
    return tuple(Alias(t, case_sensitive=True) for t in texts)


def _not_commerce(*texts: str) -> tuple[Alias, ...]:
    return tuple(Alias(t, commerce=False) for t in texts)


def _brand(id: str, name: str, *texts: str) -> Brand:
    return Brand(id, name, _plain(*texts))


# Commerce context words ("CTX" in the entity dictionary), with the inflections that whole-word
# matching would otherwise miss.
_E_COMMERCE: tuple[str, ...] = ("e-commerce", "ecommerce")

CTX: tuple[str, ...] = (
    "marketplace",
    "marketplaces",
    *_E_COMMERCE,
    "online retailer",
    "online retailers",
    "retailer",
    "retailers",
    "shopping",
    "shoppers",
    "seller",
    "sellers",
    "merchant",
    "merchants",
    "app",
    "apps",
    "order",
    "orders",
    "parcel",
    "parcels",
    "delivery",
    "deliveries",
    "fulfillment",
    "fulfilment",
    "GMV",
    "sales",
    "shares",
    "stock",
    "stocks",
    "earnings",
    "quarter",
    "quarterly",
    "revenue",
    "IPO",
    "checkout",
    "store",
    "stores",
    "platform",
    "platforms",
    "fee",
    "fees",
    "tariff",
    "tariffs",
    "de minimis",
)

# Words that mark an item as Indonesian/Malay; "temu" is a common word there.
_INDONESIAN_MARKERS: tuple[str, ...] = (
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "untuk",
    "dengan",
    "ini",
    "itu",
    "akan",
    "pada",
    "dalam",
    "tidak",
    "juga",
    "karena",
    "sudah",
    "adalah",
    "oleh",
    "kepada",
    "para",
    "bagi",
    "acara",
)

_TEMU_INDONESIAN_CTX: tuple[str, ...] = (
    "aplikasi",
    "belanja",
    "belanja online",
    *_E_COMMERCE,
    "marketplace",
    "Tiongkok",
    "China",
    "diblokir",
    "blokir",
    "dilarang",
    "blocked",
    "toko online",
    "pedagang",
    "UMKM",
)

# TikTok is mostly general app news (bans, creators, divestiture); these words mark its shop.
_TIKTOK_SHOP_CTX: tuple[str, ...] = (
    "shop",
    "shops",
    "shopping",
    "seller",
    "sellers",
    "merchants",
    *_E_COMMERCE,
    "GMV",
    "live shopping",
    "affiliate",
    "affiliates",
    "orders",
    "checkout",
    "storefront",
)

# The same context as Japanese, Chinese, Korean, Arabic and Thai outlets write it.
_TIKTOK_SHOP_LOCAL_CTX: tuple[str, ...] = (
    "ショップ",
    "ショッピング",
    "通販",
    "出品者",
    "电商",
    "電商",
    "带货",
    "帶貨",
    "商家",
    "卖家",
    "賣家",
    "쇼핑",
    "커머스",
    "판매자",
    "셀러",
    "تسوق",
    "التسوق",
    "للتسوق",
    "التجارة الإلكترونية",
    "البائعين",
    "ช้อป",
)

_DOUYIN_CTX: tuple[str, ...] = (
    *_E_COMMERCE,
    "GMV",
    "merchants",
    "sellers",
    "live-stream selling",
    "livestream selling",
    "live commerce",
    "Double 11",
    "Singles Day",
    "618",
    "shopping",
    "sales",
)

_SHEIN_CTX: tuple[str, ...] = (
    *CTX,
    "fashion",
    "fast fashion",
    "apparel",
    "clothing",
    "clothes",
    "brand",
    "brands",
    "listing",
    "Temu",
)

# Platform arms are labelled only for shopping news, not for ads, creators or policy news.
_SOCIAL_SHOPPING_CTX: tuple[str, ...] = (
    "shopping",
    "shoppable",
    "shop",
    "shops",
    "checkout",
    "storefront",
    "storefronts",
    "product tags",
    "tag products",
    "product tagging",
    "buy button",
    "live shopping",
    "affiliate",
)

# Other big US retailers and their sales events: bare "Target" or "Best Buy" in a list of them
# is the retailer.
_US_RETAIL_PEERS: tuple[str, ...] = (
    "Walmart",
    "Costco",
    "Kohl's",
    "Macy's",
    "Home Depot",
    "Lowe's",
    "Black Friday",
    "Cyber Monday",
)

_TARGET_CTX: tuple[str, ...] = (
    *_US_RETAIL_PEERS,
    "foot traffic",
    "retailer",
    "retailers",
    "big-box",
    "store",
    "stores",
    "shoppers",
    "Minneapolis",
    "Brian Cornell",
    "Cornell",
    "Fiddelke",
    "earnings",
    "Target Circle",
)

TIKTOK_SHOP = Family(
    id="tiktok_shop",
    name="TikTok Shop",
    kind=Kind.PLATFORM_COMMERCE_ARM,
    parent="ByteDance Ltd. (private)",
    tickers=(),
    aliases=(
        *_plain("틱톡샵", "抖音商城"),
        # How Japanese, Chinese, Arabic and Thai outlets write the shop. ("TikTok电商" is
        # read as "TikTok" with shopping context: the tagger takes the Latin name first.)
        *_plain(
            "ティックトックショップ",
            "抖音電商",
            "تيك توك شوب",
            "ติ๊กต็อกช็อป",
        ),
        *(
            Alias(
                text,
                guard=Guard(
                    rule="the app in another script: only with shop/shopping/sellers context",
                    needs=(*_TIKTOK_SHOP_CTX, *_TIKTOK_SHOP_LOCAL_CTX),
                ),
            )
            for text in ("ティックトック", "틱톡", "تيك توك", "ติ๊กต็อก")
        ),
        Alias(
            "抖音",
            guard=Guard(
                rule="Douyin in Chinese: only with e-commerce/live selling/merchants context",
                needs=(*_DOUYIN_CTX, *_TIKTOK_SHOP_LOCAL_CTX, "双11", "雙11", "直播"),
            ),
        ),
        *_plain(
            "TikTok Shop",
            "TikTok Shopping",
            "TikTok Shop Mall",
            "TikTok e-commerce",
            "TikTok ecommerce",
            "TikTokShop",
            "TikTok's e-commerce",
            "TikTok Live Shopping",
            "Fulfilled by TikTok",
            "TikTok Shop Partner Center",
            "Douyin e-commerce",
            "Douyin ecommerce",
            "Douyin Mall",
            "Douyin Shop",
            "抖音电商",
            "抖店",
            "Doudian",
            "TikTok Shop Plus",
            # Selling on TikTok is its shop whatever the rest of the item says.
            "selling on TikTok",
            "sell on TikTok",
            "sells on TikTok",
        ),
        Alias(
            "TikTok",
            guard=Guard(
                rule="only with shop/shopping/sellers/e-commerce/GMV/affiliate/orders context; "
                "otherwise it is general TikTok news",
                needs=_TIKTOK_SHOP_CTX,
            ),
        ),
        Alias(
            "Douyin",
            guard=Guard(
                rule="only with e-commerce/GMV/merchants/live-stream selling/Double 11/618",
                needs=_DOUYIN_CTX,
            ),
        ),
        Alias(
            "Shop tab",
            guard=Guard(rule="only with TikTok in the same item", needs=("TikTok",)),
        ),
        Alias(
            "FBT",
            case_sensitive=True,
            guard=Guard(
                rule="only as 'Fulfilled by TikTok (FBT)' or with TikTok in the same item",
                needs=("TikTok",),
            ),
        ),
    ),
    brands=(_brand("tiktok_shop.tokopedia", "Tokopedia", "Tokopedia", "Tokped"),),
    negative_context=("TikTok ban vote", "TikTok creators fund"),
    picker_names=("TikTok", "Douyin"),
)

TEMU = Family(
    id="temu",
    name="Temu",
    kind=Kind.MARKETPLACE,
    parent="PDD Holdings Inc.",
    tickers=("NASDAQ:PDD",),
    aliases=(
        *_plain("ティームー", "테무", "تيمو", "เทมู", "टेमू"),
        Alias(
            "Temu",
            guard=Guard(
                rule="in Indonesian/Malay items 'temu' is a common word: require shopping "
                "context there; never 'temu kangen/lawak/ramah/bisnis'",
                needs=_TEMU_INDONESIAN_CTX,
                needs_when=NeedsWhen.IN_LANGUAGE,
                language_markers=_INDONESIAN_MARKERS,
            ),
        ),
        *_plain(
            "Temu.com", "Whaleco", "Whaleco Inc", "PDD Holdings", "Duo Duo Maicai", "Duoduo Maicai"
        ),
        Alias(
            "PDD",
            case_sensitive=True,
            guard=Guard(
                rule="only with shares/stock/earnings/Holdings/Temu/Pinduoduo context",
                needs=(
                    "shares",
                    "stock",
                    "stocks",
                    "earnings",
                    "Holdings",
                    "Temu",
                    "Pinduoduo",
                    "revenue",
                    "quarter",
                    "quarterly",
                    "Nasdaq",
                    "investors",
                    "profit",
                ),
            ),
        ),
    ),
    brands=(_brand("temu.pinduoduo", "Pinduoduo", "Pinduoduo", "拼多多"),),
    negative_context=("temu kangen", "temu lawak", "temu ramah", "temu bisnis"),
)

SHEIN = Family(
    id="shein",
    name="SHEIN",
    kind=Kind.MARKETPLACE,
    parent="SHEIN Group (private)",
    tickers=(),
    aliases=(
        *_plain("シーイン", "쉬인", "شي إن", "ชีอิน", "शीइन"),
        Alias(
            "Shein",
            guard=Guard(
                rule="a surname too: after a first-name-like word it needs commerce context",
                needs=_SHEIN_CTX,
                needs_when=NeedsWhen.AFTER_NAME,
            ),
        ),
        *_plain("Shein Group", "SHEIN Marketplace", "Roadget", "希音", "SheGlam", "Shein Exchange"),
    ),
    brands=(
        _brand("shein.romwe", "Romwe", "Romwe"),
        _brand("shein.missguided", "Missguided", "Missguided"),
    ),
)

AMAZON = Family(
    id="amazon",
    name="Amazon",
    kind=Kind.MARKETPLACE,
    parent="Amazon.com, Inc.",
    tickers=("NASDAQ:AMZN",),
    aliases=(
        # Its name as Japanese, Chinese, Korean, Arabic and Thai outlets write it.
        *_plain("アマゾン", "亚马逊", "亞馬遜", "아마존", "أمازون", "อเมซอน", "अमेज़न", "अमेजन"),
        Alias(
            "Amazon",
            guard=Guard(
                rule="not the rainforest/river/basin: vetoed by COP30/Belém/indigenous/"
                "deforestation context unless commerce words are present too",
                blocked_by=(
                    "rainforest",
                    "rain forest",
                    "deforestation",
                    "COP30",
                    "COP 30",
                    "Belém",
                    "Belem",
                    "indigenous",
                    "Amazonas",
                    "jungle",
                ),
                unblocked_by=(*CTX, "warehouse", "warehouses"),
            ),
        ),
        *_plain(
            "Amazon.com",
            "Amazon.co.uk",
            "Amazon.de",
            "Amazon.in",
            "Amazon.co.jp",
            "Amazon Prime",
            "Prime Day",
            "Prime Big Deal Days",
            "Buy with Prime",
            # Bare "Prime" is too ambiguous (Prime Minister, prime rate); these forms are not.
            "Prime member",
            "Prime members",
            "Prime membership",
            "Prime memberships",
            "Prime subscribers",
            "Prime shipping",
            "Prime delivery",
            "Fulfillment by Amazon",
            "Amazon FBA",
            "Amazon Marketplace",
            "Amazon Business",
            "Amazon Seller Central",
            "Amazon Ads",
            "Amazon Fresh",
            "Amazon Rufus",
            "Alexa+",
            "Woot",
        ),
        *_exact("AMZN", "FBA"),
        # Amazon, but not e-commerce: tagged so that the item is findable, down-weighted later.
        *_not_commerce("AWS", "Amazon Web Services", "Prime Video"),
        Alias(
            "Haul",
            case_sensitive=True,
            guard=Guard(rule="only as 'Amazon Haul' or with Amazon in the item", needs_family=True),
        ),
        Alias(
            "Rufus",
            case_sensitive=True,
            guard=Guard(
                rule="only with Amazon or shopping-assistant context",
                needs=("shopping assistant", "assistant", "chatbot", "AI", "shoppers", "shopping"),
                needs_family=True,
            ),
        ),
    ),
    brands=(
        _brand("amazon.haul", "Amazon Haul", "Amazon Haul"),
        _brand("amazon.whole_foods", "Whole Foods Market", "Whole Foods", "Whole Foods Market"),
        _brand("amazon.zappos", "Zappos", "Zappos"),
    ),
    negative_context=(
        "Amazon rainforest",
        "Amazon rain forest",
        "Amazon river",
        "Amazon basin",
        "Amazon jungle",
        "Amazon deforestation",
        "Amazon region",
        "Amazon tribe",
        "Amazon tribes",
        "Amazon forest",
        "Amazon biome",
        "Amazon warrior",
        "Amazon warriors",
        "Brazilian Amazon",
        "Peruvian Amazon",
        "Colombian Amazon",
        "Ecuadorian Amazon",
        "Bolivian Amazon",
        "Prime Minister",
        "prime rate",
        "prime time",
        "Optimus Prime",
        "Prime Hydration",
        "drug haul",
        "long-haul",
        "Rufus the",
    ),
    picker_names=("Amazon Prime",),
)

ALIBABA = Family(
    id="alibaba",
    name="Alibaba Group",
    kind=Kind.CONGLOMERATE,
    parent="Alibaba Group Holding Ltd.",
    tickers=("NYSE:BABA", "HKEX:9988"),
    aliases=(
        *_plain("アリババ", "알리바바", "علي بابا", "淘寶", "天貓", "อาลีบาบา", "अलीबाबा"),
        *_plain("アリエクスプレス", "알리익스프레스", "速卖通", "速賣通", "علي إكسبريس"),
        *_plain("阿里国际", "阿里國際"),
        Alias(
            "Alibaba",
            guard=Guard(
                rule="not the folk tale (Ali Baba and the Forty Thieves)",
                blocked_by=("Forty Thieves", "40 Thieves", "Ali Baba"),
            ),
        ),
        *_plain(
            "Alibaba Group",
            "阿里巴巴",
            "Alibaba.com",
            "Taobao Instant Commerce",
            "1688.com",
            "Freshippo",
            "Cainiao",
            "Alibaba International Digital Commerce",
        ),
        *_exact("BABA"),
        # Ant Group is a fintech affiliate: tag alibaba, low commerce relevance.
        *_not_commerce("Ant Group"),
        # "AIDC" is also supply-chain jargon (automatic identification and data capture), so it
        # counts only beside Alibaba itself, although the dictionary lists it as safe.
        Alias(
            "AIDC",
            case_sensitive=True,
            guard=Guard(
                rule="Alibaba International Digital Commerce; also a supply-chain acronym",
                needs=("Jiang Fan",),
                needs_family=True,
            ),
        ),
        Alias(
            "Hema",
            case_sensitive=True,
            guard=Guard(
                rule="only 'Freshippo (Hema)' or with Alibaba/China grocery context; never the "
                "Dutch HEMA chain",
                needs=("Freshippo", "Alibaba", "China", "Chinese", "Shanghai", "Beijing"),
                blocked_by=("Netherlands", "Dutch"),
            ),
        ),
    ),
    brands=(
        _brand(
            "alibaba.aliexpress", "AliExpress", "AliExpress", "Ali Express", "AliExpress Choice"
        ),
        _brand(
            "alibaba.taobao_tmall",
            "Taobao & Tmall",
            "Taobao",
            "Tmall",
            "Tmall Global",
            "淘宝",
            "天猫",
        ),
        _brand(
            "alibaba.lazada",
            "Lazada",
            "Lazada",
            "LazMall",
            "来赞达",
            "來贊達",
            "ラザダ",
            "라자다",
            "ลาซาด้า",
        ),
        _brand("alibaba.trendyol", "Trendyol", "Trendyol", "ترينديول"),
        _brand("alibaba.miravia", "Miravia", "Miravia"),
        _brand("alibaba.daraz", "Daraz", "Daraz"),
    ),
    negative_context=("Ali Baba and the Forty Thieves", "Ali Baba"),
)

SHOPEE = Family(
    id="shopee",
    name="Shopee (Sea Ltd)",
    kind=Kind.MARKETPLACE,
    parent="Sea Limited",
    tickers=("NYSE:SE",),
    aliases=(
        *_plain("蝦皮", "虾皮", "ショッピー", "쇼피", "ช้อปปี้", "冬海集团", "冬海集團"),
        *_plain(
            "Shopee",
            "Shopee Mall",
            "ShopeePay",
            "Shopee Xpress",
            "SPX Express",
            "Sea Ltd",
            "Sea Limited",
            "Sea Group",
            "Monee",
            "SeaMoney",
        ),
        # Bare "SE" is never matched (Southeast, Sweden, Societas Europaea); the ticker form is.
        *_exact("NYSE: SE", "NYSE:SE"),
        Alias(
            "Sea",
            case_sensitive=True,
            guard=Guard(
                rule="only with Shopee/Garena/Forrest Li in the same item",
                needs=("Shopee", "Garena", "Forrest Li"),
            ),
        ),
    ),
    brands=(
        # Sea's gaming arm: tags the family but is not commerce.
        Brand("shopee.garena", "Garena", (Alias("Garena", commerce=False),)),
        Brand(
            "shopee.free_fire",
            "Free Fire",
            (Alias("Free Fire", case_sensitive=True, commerce=False),),
        ),
    ),
    negative_context=("South China Sea", "Red Sea", "North Sea", "sea level", "sea levels"),
    picker_names=("Sea",),
)

WALMART = Family(
    id="walmart",
    name="Walmart",
    kind=Kind.RETAILER,
    parent="Walmart Inc.",
    tickers=("WMT",),  # the venue moved in Dec 2025 (unverified), so none is claimed here
    aliases=(
        *_plain("ウォルマート", "沃尔玛", "沃爾瑪", "월마트", "وول مارت", "วอลมาร์ท", "वॉलमार्ट"),
        *_plain(
            "Walmart",
            "Wal-Mart",
            "Walmart Inc",
            "Walmart Marketplace",
            "Walmart+",
            "Walmart Plus",
            "Walmart Connect",
            "Walmart Fulfillment Services",
            "Walmex",
            "Walmart de México",
            "PhonePe",
        ),
        *_exact("WMT"),
        Alias(
            "WFS",
            case_sensitive=True,
            guard=Guard(
                rule="only with Walmart/sellers/fulfillment context",
                needs=("sellers", "fulfillment", "fulfilment"),
                needs_family=True,
            ),
        ),
        *(
            Alias(
                text,
                case_sensitive=True,
                guard=Guard(rule="Walmart's TV brand, only with Walmart", needs_family=True),
            )
            for text in ("Onn TV", "onn. tablet")
        ),
    ),
    brands=(
        _brand(
            "walmart.flipkart",
            "Flipkart",
            "Flipkart",
            "Flipkart Minutes",
            "Myntra",
            "फ्लिपकार्ट",
            "フリップカート",
            "플립카트",
        ),
        _brand(
            "walmart.sams_club",
            "Sam's Club",
            "Sam's Club",
            "Sams Club",
            "山姆会员店",
            "山姆會員店",
            "サムズクラブ",
            "샘스클럽",
        ),
        _brand("walmart.vizio", "Vizio", "Vizio"),
    ),
)

EBAY = Family(
    id="ebay",
    name="eBay",
    kind=Kind.MARKETPLACE,
    parent="eBay Inc.",
    tickers=("NASDAQ:EBAY",),
    aliases=(
        *_plain("イーベイ", "이베이", "易贝", "易貝", "إيباي", "อีเบย์"),
        *_plain(
            "eBay",
            "eBay Inc",
            "eBay Motors",
            "eBay Live",
            "eBay Vault",
            "Goldin Auctions",
            "TCGplayer",
        ),
        *_exact("EBAY"),
        Alias(
            "Goldin",
            case_sensitive=True,
            guard=Guard(
                rule="a surname too (Claudia Goldin): only with eBay/collectibles/trading cards",
                needs=(
                    "collectibles",
                    "trading cards",
                    "trading card",
                    "sports cards",
                    "auction house",
                ),
                needs_family=True,
            ),
        ),
        Alias(
            "Caramel",
            case_sensitive=True,
            guard=Guard(
                rule="only with eBay/car sales/auto marketplace context",
                needs=("car sales", "used cars", "car buyers", "auto marketplace", "private-party"),
                needs_family=True,
            ),
        ),
    ),
)

ETSY = Family(
    id="etsy",
    name="Etsy",
    kind=Kind.MARKETPLACE,
    parent="Etsy, Inc.",
    tickers=("ETSY",),
    aliases=(
        *_plain("Etsy", "Etsy Inc", "Etsy Ads", "Etsy Plus", "Etsy Seller Handbook"),
        *_plain("エッツィー", "엣시"),
    ),
    # Depop's ownership was being sold in 2025 (unverified): kept as a brand for tagging only.
    brands=(_brand("etsy.depop", "Depop", "Depop"),),
)

MERCADO_LIBRE = Family(
    id="mercado_libre",
    name="Mercado Libre",
    kind=Kind.MARKETPLACE,
    parent="MercadoLibre, Inc.",
    tickers=("NASDAQ:MELI",),
    # Bare "Mercado" (Spanish/Portuguese for "market") is never an alias.
    aliases=(
        *_plain(
            "Mercado Libre",
            "MercadoLibre",
            "Mercado Livre",
            "Mercado Pago",
            "Mercado Envios",
            "Mercado Envíos",
            "Mercado Ads",
        ),
        *_plain("美客多", "メルカドリブレ", "메르카도리브레"),
        *_exact("MELI"),
    ),
)

SHOPIFY = Family(
    id="shopify",
    name="Shopify",
    kind=Kind.SAAS,
    parent="Shopify Inc.",
    tickers=("NASDAQ:SHOP", "TSX:SHOP"),
    aliases=(
        *_plain("ショッピファイ", "쇼피파이"),
        *_plain(
            "Shopify",
            "Shopify Plus",
            "Shop Pay",
            "Shopify Payments",
            "Shopify Collective",
            "Shopify Editions",
            "Shopify Magic",
            "Shopify Sidekick",
        ),
        # "SHOP" alone is the word shop in an all-caps headline; only the ticker forms count.
        *_exact(
            "NYSE: SHOP",
            "NYSE:SHOP",
            "NASDAQ: SHOP",
            "NASDAQ:SHOP",
            "Nasdaq: SHOP",
            "Nasdaq:SHOP",
            "TSX: SHOP",
            "TSX:SHOP",
            "(SHOP)",
        ),
        Alias(
            "Shop app",
            guard=Guard(rule="only with Shopify in the same item", needs_family=True),
        ),
        Alias(
            "Sidekick",
            guard=Guard(rule="only 'Shopify Sidekick' or with Shopify", needs_family=True),
        ),
    ),
)

COUPANG = Family(
    id="coupang",
    name="Coupang",
    kind=Kind.MARKETPLACE,
    parent="Coupang, Inc.",
    tickers=("NYSE:CPNG",),
    aliases=(
        *_plain("酷澎", "クーパン"),
        *_plain("Coupang", "쿠팡", "Coupang Eats", "Coupang Play", "로켓배송"),
        *_exact("CPNG"),
        Alias(
            "Rocket Delivery",
            guard=Guard(rule="only with Coupang in the same item", needs_family=True),
        ),
    ),
    brands=(_brand("coupang.farfetch", "Farfetch", "Farfetch"),),
)

JD = Family(
    id="jd",
    name="JD.com",
    kind=Kind.MARKETPLACE,
    parent="JD.com, Inc.",
    tickers=("NASDAQ:JD", "HKEX:9618"),
    aliases=(
        *_plain("京東", "징둥", "징동"),
        *_plain(
            "JD.com",
            "Jingdong",
            "京东",
            "JD Logistics",
            "JD Retail",
            "JD Health",
            "Joybuy",
            "Ochama",
            "JD Takeaway",
        ),
        Alias(
            "JD",
            case_sensitive=True,
            guard=Guard(
                rule="only with China/e-commerce/618/Liu Qiangdong/Ceconomy context; never JD "
                "Sports, JD Vance, JD Wetherspoon or JD Power",
                needs=(
                    "China",
                    "Chinese",
                    *_E_COMMERCE,
                    "618",
                    "Liu Qiangdong",
                    "Richard Liu",
                    "Meituan",
                    "Alibaba",
                    "instant retail",
                    "food delivery",
                    "Beijing",
                ),
                needs_family=True,
                blocked_by=("JD Sports", "JD Vance", "Vance", "Wetherspoon", "JD Power"),
            ),
        ),
        Alias(
            "Saturn",
            case_sensitive=True,
            guard=Guard(rule="only 'MediaMarkt and Saturn' or with Ceconomy", needs_family=True),
        ),
    ),
    brands=(
        _brand(
            "jd.ceconomy", "Ceconomy (MediaMarkt, Saturn)", "Ceconomy", "MediaMarkt", "Media Markt"
        ),
    ),
    negative_context=("JD Sports", "JD Vance", "JD Wetherspoon", "JD Power"),
    picker_names=("JD", "Jingdong"),
)

MEESHO = Family(
    id="meesho",
    name="Meesho",
    kind=Kind.MARKETPLACE,
    parent="Meesho Ltd.",
    tickers=(),  # listed after a Dec 2025 IPO (unverified)
    # Hindi "मीशो" was taken out again: it cost precision on the story tuning sets.
    aliases=_plain("Meesho", "Valmo"),
)

RAKUTEN = Family(
    id="rakuten",
    name="Rakuten",
    kind=Kind.CONGLOMERATE,
    parent="Rakuten Group, Inc.",
    tickers=("TSE:4755",),
    aliases=(
        *_plain("라쿠텐"),
        *_plain(
            "Rakuten",
            "Rakuten Group",
            "Rakuten Ichiba",
            "楽天",
            "楽天市場",
            "Rakuten Rewards",
            "Rakuten Mobile",
            "Rakuten Viber",
            "Rakuten Kobo",
        ),
        *_not_commerce("Rakuten TV"),
    ),
)

ZALANDO = Family(
    id="zalando",
    name="Zalando",
    kind=Kind.MARKETPLACE,
    parent="Zalando SE",
    tickers=("XETRA:ZAL",),
    aliases=(
        *_plain("Zalando", "Zalando SE", "Zalando Lounge", "Lounge by Zalando"),
        *_plain("ザランド", "잘란도"),
    ),
    brands=(
        Brand(
            "zalando.about_you",
            "About You",
            tuple(
                Alias(
                    text,
                    case_sensitive=True,
                    guard=Guard(
                        rule="the ordinary phrase 'about you' too: only capitalised mid-sentence "
                        "with Zalando/fashion/retail/acquisition context",
                        needs=(
                            "fashion",
                            "retail",
                            "retailer",
                            "acquisition",
                            "takeover",
                            *_E_COMMERCE,
                        ),
                        mid_sentence=True,
                        strong=("Zalando",),
                    ),
                )
                for text in ("About You", "ABOUT YOU")
            ),
        ),
    ),
    picker_names=("About You",),
)

ALLEGRO = Family(
    id="allegro",
    name="Allegro",
    kind=Kind.MARKETPLACE,
    parent="Allegro.eu SA",
    tickers=("WSE:ALE",),
    aliases=(
        *_plain("Allegro.eu", "Allegro.pl", "Allegro marketplace", "Allegro Smart!", "Mall Group"),
        Alias(
            "Allegro",
            case_sensitive=True,
            guard=Guard(
                rule="a musical tempo and a chipmaker too: only with Poland/Czech/marketplace/"
                "e-commerce/sellers context; never Allegro MicroSystems (ALGM)",
                needs=(
                    "Poland",
                    "Polish",
                    "Czech",
                    "Czechia",
                    "Warsaw",
                    "marketplace",
                    *_E_COMMERCE,
                    "seller",
                    "sellers",
                ),
                blocked_by=("Allegro MicroSystems", "ALGM"),
            ),
        ),
    ),
    negative_context=(
        "Allegro MicroSystems",
        "allegro non troppo",
        "allegro ma non troppo",
        "allegro con brio",
    ),
    picker_names=("Allegro",),
)

WISH = Family(
    id="wish",
    name="Wish",
    kind=Kind.MARKETPLACE,
    parent="Qoo10 (since 2024); previously ContextLogic Inc.",
    tickers=(),
    aliases=(
        *_plain(
            "Wish.com",
            "Wish app",
            "Wish marketplace",
            "Wish shopping app",
            "ContextLogic",
            "ContextLogic Inc",
        ),
        *_exact("LOGC"),
        Alias(
            "Wish",
            case_sensitive=True,
            guard=Guard(
                rule="the verb/noun too: only capitalised mid-sentence with app/marketplace/"
                "sellers/shoppers/Qoo10/ContextLogic context",
                needs=(
                    "app",
                    "marketplace",
                    "online retailer",
                    *_E_COMMERCE,
                    "sellers",
                    "shoppers",
                    "Qoo10",
                ),
                mid_sentence=True,
                strong=("Qoo10", "ContextLogic"),
                blocked_by=("Make-A-Wish", "Disney"),
            ),
        ),
    ),
    negative_context=(
        "Make-A-Wish",
        "wish list",
        "wish lists",
        "wishlist",
        "best wishes",
        "death wish",
        "Disney's Wish",
        "I wish",
    ),
    picker_names=("Wish",),
)

_OTTO_GUARD = Guard(
    rule="a first name, robots and an engine cycle too: only with German retail/e-commerce "
    "context; never Otto Motors, 'Otto von', 'Otto the'",
    needs=(
        "Hamburg",
        "Germany",
        "German",
        "Versandhandel",
        "marketplace",
        "online retailer",
        *_E_COMMERCE,
        "mail-order",
    ),
    blocked_by=("Otto Motors", "Rockwell"),
)

OTTO = Family(
    id="otto",
    name="Otto Group",
    kind=Kind.RETAILER,
    parent="Otto Group (private, Hamburg)",
    tickers=(),
    aliases=(
        *_plain(
            "Otto Group",
            "OTTO Market",
            "otto.de",
            "Otto Versand",
            "Otto marketplace",
            "Hermes Germany",
            "Crate & Barrel",
            "Crate and Barrel",
        ),
        Alias("Otto", case_sensitive=True, guard=_OTTO_GUARD),
        Alias("OTTO", case_sensitive=True, guard=_OTTO_GUARD),
    ),
    brands=(_brand("otto.bonprix", "Bonprix", "Bonprix"),),
    negative_context=("Otto Motors", "Otto von Bismarck", "Otto cycle", "Otto von", "Otto the"),
    picker_names=("Otto", "OTTO"),
)

TARGET = Family(
    id="target",
    name="Target",
    kind=Kind.RETAILER,
    parent="Target Corporation",
    tickers=("NYSE:TGT",),
    aliases=(
        *_plain("塔吉特"),
        *_plain(
            "Target Corp",
            "Target Corporation",
            "Target Circle",
            "Target Circle 360",
            "Target Plus",
            "Target.com",
            "Shipt",
        ),
        *_exact("TGT"),
        Alias(
            "Target",
            case_sensitive=True,
            guard=Guard(
                rule="a common word: only capitalised with retailer/stores/shoppers/Minneapolis/"
                "Cornell/Fiddelke/earnings context; a headline-initial 'Target' proves nothing",
                needs=_TARGET_CTX,
            ),
        ),
    ),
    negative_context=(
        "price target",
        "sales target",
        "profit target",
        "revenue target",
        "growth target",
        "margin target",
        "earnings target",
        "emissions target",
        "climate target",
        "savings target",
        "delivery target",
        "inflation target",
        "target audience",
        "on target",
        "off target",
        "hit its target",
        "hits its target",
        "missed its target",
        "misses its target",
        "above target",
        "below target",
    ),
    picker_names=("Target",),
)

BEST_BUY = Family(
    id="best_buy",
    name="Best Buy",
    kind=Kind.RETAILER,
    parent="Best Buy Co., Inc.",
    tickers=("NYSE:BBY",),
    aliases=(
        *_plain("ベストバイ", "베스트바이", "百思买", "百思買"),
        *_plain(
            "Best Buy Co", "Best Buy Canada", "BestBuy.com", "Best Buy Marketplace", "Geek Squad"
        ),
        *_exact("BBY", "My Best Buy"),
        Alias(
            "Best Buy",
            case_sensitive=True,
            guard=Guard(
                rule="a review verdict too: only title-cased with retailer/stores/earnings/"
                "marketplace/Geek Squad context",
                needs=(
                    "retailer",
                    "retailers",
                    "store",
                    "stores",
                    "shoppers",
                    "earnings",
                    "marketplace",
                    "Geek Squad",
                    "electronics retailer",
                    *_US_RETAIL_PEERS,
                    "quarter",
                    "Corie Barry",
                ),
            ),
        ),
    ),
    # The dictionary's "a best buy" would also veto "at a Best Buy store"; these narrower forms
    # keep the review verdicts out without that.
    negative_context=(
        "best buy of",
        "is a best buy",
        "a best buy for",
        "our best buy",
        "Which? Best Buy",
        "Best Buy award",
        "Best Buy rating",
        "Best Buy badge",
    ),
    picker_names=("Best Buy",),
)

KUAISHOU = Family(
    id="kuaishou",
    name="Kuaishou",
    kind=Kind.PLATFORM_COMMERCE_ARM,
    parent="Kuaishou Technology",
    tickers=("HKEX:1024",),
    aliases=(
        *_plain(
            "Kuaishou", "快手", "Kuaishou e-commerce", "Kuaishou ecommerce", "快手电商", "Kwai"
        ),
        *_plain("콰이쇼우", "快手電商"),
        *_not_commerce("Kling AI"),
    ),
)

META_SHOPS = Family(
    id="meta_shops",
    name="Instagram / Facebook Shops",
    kind=Kind.PLATFORM_COMMERCE_ARM,
    parent="Meta Platforms, Inc.",
    tickers=("NASDAQ:META",),
    aliases=(
        *_plain(
            "Facebook Shops",
            "Instagram Shopping",
            "Instagram Shop",
            "Instagram Shops",
            "Instagram checkout",
            "Facebook Marketplace",
            "Meta Shops",
            "Shops ads",
            "WhatsApp Business catalog",
        ),
        Alias(
            "Meta",
            case_sensitive=True,
            guard=Guard(
                rule="only about shopping/checkout/shops, not ads or company news",
                needs=_SOCIAL_SHOPPING_CTX,
            ),
        ),
        Alias(
            "Instagram",
            guard=Guard(
                rule="only with shopping/shop/checkout/product tags/affiliate context",
                needs=_SOCIAL_SHOPPING_CTX,
            ),
        ),
    ),
    negative_context=("meta-analysis", "metadata"),
    picker_names=("Meta", "Instagram", "Facebook"),
)

YOUTUBE_SHOPPING = Family(
    id="youtube_shopping",
    name="YouTube Shopping",
    kind=Kind.PLATFORM_COMMERCE_ARM,
    parent="Alphabet Inc. (Google)",
    tickers=("NASDAQ:GOOGL", "NASDAQ:GOOG"),
    aliases=(
        *_plain(
            "YouTube Shopping",
            "YouTube Shopping affiliate program",
            "YouTube shoppable",
            "shoppable YouTube",
            "YouTubeショッピング",
            "유튜브 쇼핑",
        ),
        Alias(
            "YouTube",
            guard=Guard(
                rule="only with shopping/affiliate/products/store/Shopee/Flipkart context; haul "
                "videos are not YouTube Shopping",
                needs=(
                    "shopping",
                    "shoppable",
                    "affiliate",
                    "products",
                    "store",
                    "storefront",
                    "Shopee",
                    "Flipkart",
                    *_E_COMMERCE,
                ),
                blocked_by=("haul video", "haul videos"),
            ),
        ),
    ),
    picker_names=("YouTube",),
)

WHATNOT = Family(
    id="whatnot",
    name="Whatnot",
    kind=Kind.MARKETPLACE,
    parent="Whatnot Inc. (private)",
    tickers=(),
    aliases=(
        *_plain("Whatnot app", "Whatnot marketplace", "Whatnot Inc"),
        Alias(
            "Whatnot",
            case_sensitive=True,
            guard=Guard(
                rule="a filler word and a shelf too: only capitalised with live shopping/"
                "livestream/collectibles/trading cards/sellers/funding context",
                needs=(
                    "live shopping",
                    "livestream",
                    "livestreams",
                    "live-stream",
                    "live-streams",
                    "collectibles",
                    "trading cards",
                    "trading card",
                    "sellers",
                    "funding",
                    "valuation",
                    "marketplace",
                ),
            ),
        ),
    ),
    negative_context=("and whatnot",),
    picker_names=("Whatnot",),
)

BOL = Family(
    id="bol",
    name="bol.com",
    kind=Kind.MARKETPLACE,
    parent="Ahold Delhaize",
    tickers=("EURONEXT:AD",),
    aliases=(
        *_plain("bol.com"),
        Alias(
            "bol",
            guard=Guard(
                rule="a word in several languages: only with marketplace/Ahold context",
                needs=("marketplace", "Ahold", "Ahold Delhaize"),
            ),
        ),
    ),
    picker_names=("bol",),
)

KAUFLAND = Family(
    id="kaufland",
    name="Kaufland Global Marketplace",
    kind=Kind.MARKETPLACE,
    parent="Schwarz Group (private)",
    tickers=(),
    # Bare "Kaufland" also names the hypermarkets; the dictionary tags those too.
    aliases=_plain(
        "Kaufland", "Kaufland Global Marketplace", "Kaufland.de", "Kaufland marketplace"
    ),
)

VINTED = Family(
    id="vinted",
    name="Vinted",
    kind=Kind.MARKETPLACE,
    parent="Vinted UAB (private)",
    tickers=(),
    aliases=_plain("Vinted", "Vinted Go"),
)

# Display order: the companies the product is about first, then the rest as the dictionary has it.
FAMILIES: tuple[Family, ...] = (
    TIKTOK_SHOP,
    TEMU,
    SHEIN,
    AMAZON,
    ALIBABA,
    SHOPEE,
    WALMART,
    EBAY,
    ETSY,
    MERCADO_LIBRE,
    SHOPIFY,
    COUPANG,
    JD,
    MEESHO,
    RAKUTEN,
    ZALANDO,
    ALLEGRO,
    WISH,
    OTTO,
    TARGET,
    BEST_BUY,
    KUAISHOU,
    META_SHOPS,
    YOUTUBE_SHOPPING,
    WHATNOT,
    BOL,
    KAUFLAND,
    VINTED,
)

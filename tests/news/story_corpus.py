"""A deterministic multi-source corpus of e-commerce news for story clustering.

Each *event* (a fine, a fee rise, a launch...) is reported by several sources, each with its own
wording: headlines come from a pool of paraphrases (different verbs, word order, headline styles
such as "Reuters: ...", "... - Publisher" or Title Case), descriptions from a pool of lead and
detail sentences, and slot values take different surface forms ("€40m", "40 million euros",
"EUR 40 million"; "France", "French"; "SHEIN", "Shein", "the fast-fashion retailer").
Look-alike events reuse an event's template and company but change the country and numbers
(or keep the country and change the company): "SHEIN fined €40m in France" beside "SHEIN fined
€10m in Italy". Singletons are events only one source reported.

Everything is drawn from ``random.Random(seed)``: the same arguments give the same corpus.

    uv run python -m tests.news.story_corpus            # rewrite tests/data/stories_eval.jsonl
    uv run python -m tests.news.story_corpus --check    # does the file match the generator?
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.news.stories import StoryItem
from bot.news.tagging.company_tagger import Tagger

EVAL_PATH = Path(__file__).resolve().parents[1] / "data" / "stories_eval.jsonl"
EVAL_SEED = 20250602
START = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """A generated item with its ground truth.

    ``story`` is the event the item reports (a singleton's label is unique to it);
    ``lookalikes`` are the events of the same kind reported in the same days (same template,
    another country or company), which must stay apart from it.
    """

    item: StoryItem
    story: str
    lookalikes: tuple[str, ...] = ()


# --- slot values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Co:
    """A company: how headlines name it, and descriptors that stand in for the name."""

    key: str
    names: tuple[str, ...]
    descriptors: tuple[str, ...]


COMPANIES = (
    Co(
        "amazon",
        ("Amazon", "Amazon", "Amazon.com"),
        ("the e-commerce giant", "the online retailer"),
    ),
    Co(
        "temu",
        ("Temu", "Temu", "PDD's Temu"),
        ("the Chinese discount app", "the low-cost marketplace"),
    ),
    Co("shein", ("SHEIN", "Shein"), ("the fast-fashion retailer", "the online fashion group")),
    Co(
        "tiktok_shop",
        ("TikTok Shop", "TikTok Shop", "TikTok's shopping arm"),
        ("ByteDance's e-commerce unit", "the video app's shopping business"),
    ),
    Co("walmart", ("Walmart",), ("the retail giant", "the Bentonville-based retailer")),
    Co("ebay", ("eBay",), ("the online marketplace", "the auction site")),
    Co("etsy", ("Etsy",), ("the handmade goods marketplace", "the crafts platform")),
    Co("shopee", ("Shopee",), ("Sea's e-commerce arm", "the Southeast Asian marketplace")),
    Co(
        "aliexpress", ("AliExpress",), ("Alibaba's global marketplace", "the cross-border platform")
    ),
    Co(
        "mercado_libre",
        ("Mercado Libre", "MercadoLibre"),
        ("Latin America's largest marketplace", "the Argentine e-commerce company"),
    ),
    Co("shopify", ("Shopify",), ("the commerce software provider", "the Canadian platform")),
    Co(
        "zalando",
        ("Zalando",),
        ("the Berlin-based fashion platform", "the online fashion retailer"),
    ),
    Co("allegro", ("Allegro",), ("the Polish marketplace", "Poland's biggest online marketplace")),
    Co("coupang", ("Coupang",), ("the South Korean retailer", "Korea's largest online retailer")),
    Co("jd", ("JD.com",), ("the Chinese retailer", "the Beijing-based e-commerce group")),
    Co("rakuten", ("Rakuten",), ("the Japanese internet group", "the Tokyo-based marketplace")),
    Co("kaufland", ("Kaufland",), ("the marketplace operator", "the hypermarket chain")),
    Co("vinted", ("Vinted",), ("the second-hand fashion app", "the resale platform")),
)


@dataclass(frozen=True, slots=True)
class Country:
    """A country: names, adjective, currency, regulators and cities."""

    key: str
    names: tuple[str, ...]
    adjective: str
    currency: str
    regulators: tuple[str, ...]
    cities: tuple[str, ...]


COUNTRIES = (
    Country("FR", ("France",), "French", "EUR", ("CNIL", "DGCCRF"), ("Paris", "Lyon")),
    Country("IT", ("Italy",), "Italian", "EUR", ("AGCM",), ("Milan", "Rome")),
    Country("ES", ("Spain",), "Spanish", "EUR", ("CNMC",), ("Madrid", "Barcelona")),
    Country("DE", ("Germany",), "German", "EUR", ("Bundeskartellamt",), ("Berlin", "Leipzig")),
    Country("NL", ("the Netherlands",), "Dutch", "EUR", ("ACM",), ("Amsterdam", "Rotterdam")),
    Country("PL", ("Poland",), "Polish", "PLN", ("UOKiK",), ("Warsaw", "Poznan")),
    Country("UK", ("the UK", "Britain"), "British", "GBP", ("CMA",), ("London", "Manchester")),
    Country(
        "US", ("the US", "the United States"), "American", "USD", ("FTC",), ("Dallas", "Chicago")
    ),
    Country("JP", ("Japan",), "Japanese", "JPY", ("JFTC",), ("Tokyo", "Osaka")),
    Country("KR", ("South Korea",), "South Korean", "KRW", ("KFTC",), ("Seoul", "Incheon")),
    Country("BR", ("Brazil",), "Brazilian", "BRL", ("Procon",), ("Sao Paulo", "Curitiba")),
    Country("MX", ("Mexico",), "Mexican", "MXN", ("Profeco",), ("Monterrey", "Guadalajara")),
    Country("IN", ("India",), "Indian", "USD", ("CCI",), ("Mumbai", "Bengaluru")),
    Country("ID", ("Indonesia",), "Indonesian", "USD", ("KPPU",), ("Jakarta", "Surabaya")),
    Country("AU", ("Australia",), "Australian", "AUD", ("ACCC",), ("Sydney", "Melbourne")),
    Country("CA", ("Canada",), "Canadian", "CAD", ("Competition Bureau",), ("Toronto", "Calgary")),
    Country("TR", ("Turkey",), "Turkish", "USD", ("Competition Authority",), ("Istanbul", "Izmir")),
    Country("SE", ("Sweden",), "Swedish", "EUR", ("KKV",), ("Stockholm", "Gothenburg")),
    Country("BE", ("Belgium",), "Belgian", "EUR", ("BCA",), ("Brussels", "Antwerp")),
    Country("VN", ("Vietnam",), "Vietnamese", "USD", ("MOIT",), ("Hanoi", "Da Nang")),
)

REASONS = (
    ("misleading discounts", "misled shoppers with inflated reference prices"),
    ("fake reviews", "failed to stop fake reviews on its listings"),
    ("cookie consent violations", "placed advertising cookies without consent"),
    ("unsafe toys", "sold toys that failed safety tests"),
    ("greenwashing", "made unsupported environmental claims"),
    ("dark patterns", "used manipulative design to push purchases"),
    ("late supplier payments", "paid suppliers late"),
    ("data transfers", "moved user data abroad without safeguards"),
)
FEATURES = (
    "an AI listing assistant",
    "live shopping",
    "a buy now, pay later option",
    "virtual try-on",
    "same-day delivery",
    "a returns hub",
    "a loyalty programme",
    "video ads for sellers",
    "a second-hand section",
    "an affiliate programme",
)
TARGETS = (
    ("Parcelwise", "parcel-tracking startup"),
    ("Kartly", "checkout software firm"),
    ("Vendora", "marketplace analytics company"),
    ("Loopcart", "returns management startup"),
    ("Stockbird", "inventory software maker"),
    ("Fulfilio", "warehouse robotics firm"),
    ("Zippack", "packaging startup"),
    ("Mercato Labs", "pricing software company"),
    ("Brightshelf", "retail media startup"),
    ("Cartwise", "shopping app"),
)
PEOPLE = (
    "Maria Keller",
    "James Okafor",
    "Yuki Tanaka",
    "Sofia Marques",
    "Daniel Brooks",
    "Priya Raman",
    "Lukas Novak",
    "Chen Wei",
    "Amelia Hart",
    "Tomasz Zielinski",
)
ROLES = ("chief executive", "chief financial officer", "head of Europe", "chief operating officer")
DIVISIONS = ("logistics", "advertising", "recruiting", "customer service", "devices", "grocery")
QUARTERS = ("the first quarter", "the second quarter", "the third quarter", "the fourth quarter")
SALES = (
    "Anniversary Sale",
    "Singles Day",
    "Black Friday",
    "Mega Sale",
    "Summer Sale",
    "Big Deals Week",
)
MONTHS = ("July", "August", "September", "October", "January", "March")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

_LIMITS = {"EUR": "€150", "GBP": "£135", "USD": "$800", "AUD": "A$1,000", "CAD": "C$150"}
_CURRENCY_FORMS: dict[str, tuple[str, ...]] = {
    "EUR": ("€{v}{s}", "€{v} {scale}", "{v} {scale} euros", "EUR {v} {scale}"),
    "USD": ("${v}{s}", "${v} {scale}", "US${v} {scale}", "{v} {scale} dollars"),
    "GBP": ("£{v}{s}", "£{v} {scale}", "{v} {scale} pounds"),
    "PLN": ("PLN {v}{s}", "{v} {scale} zlotys", "PLN {v} {scale}"),
    "JPY": ("¥{v}{s}", "{v} {scale} yen", "JPY {v} {scale}"),
    "KRW": ("{v} {scale} won", "KRW {v}{s}", "KRW {v} {scale}"),
    "BRL": ("R${v}{s}", "R${v} {scale}", "{v} {scale} reais"),
    "MXN": ("{v} {scale} pesos", "MXN {v}{s}", "MXN {v} {scale}"),
    "AUD": ("A${v}{s}", "A${v} {scale}", "{v} {scale} Australian dollars"),
    "CAD": ("C${v}{s}", "C${v} {scale}", "{v} {scale} Canadian dollars"),
}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount: a value in millions or billions of a currency."""

    value: str  # "40", "1.5"
    billions: bool
    currency: str

    def render(self, rng: random.Random) -> str:
        """One of the currency's surface forms."""
        form = rng.choice(_CURRENCY_FORMS[self.currency])
        short, scale = ("bn", "billion") if self.billions else ("m", "million")
        return form.format(v=self.value, s=short, scale=scale)


def _money(rng: random.Random, currency: str, billions: bool = False) -> Money:
    if billions:
        value = rng.choice(("1.2", "1.5", "2", "2.4", "3", "3.8", "4.1", "5", "6.5", "8"))
    else:
        value = str(rng.choice((2, 4, 5, 7, 10, 12, 15, 18, 20, 25, 30, 40, 45, 60, 75, 90, 120)))
    if currency in ("JPY", "KRW") and not billions:
        value, billions = str(rng.choice((3, 5, 8, 12, 20, 35))), True
    return Money(value, billions, currency)


def _pct(rng: random.Random, value: int) -> str:
    return rng.choice((f"{value}%", f"{value}%", f"{value} percent", f"{value} per cent"))


def _count(rng: random.Random, value: int) -> str:
    if value >= 1000 and rng.random() < 0.6:
        return f"{value:,}"
    return str(value)


# --- event types ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """An event type: headline paraphrases, lead sentences and details.

    Placeholders: {co} company name, {desc} a descriptor, {country} {adj} {reg} {city},
    {money} {money2} {pct} {n}, {reason} {reason_past} {feature} {target} {target_desc}
    {person} {role} {division} {quarter} {sale} {month} {weekday}.
    ``vary`` says how a look-alike differs: "country" or "company".
    """

    name: str
    headlines: tuple[str, ...]
    leads: tuple[str, ...]
    details: tuple[str, ...]
    vary: str = "country"
    billions: bool = False


KINDS = (
    Kind(
        "fine",
        (
            "{co} fined {money} in {country}",
            "{adj} regulator hits {co} with {money} penalty",
            "{co} ordered to pay {money} by {adj} watchdog over {reason}",
            "{reg} slaps {money} fine on {co}",
            "{country} fines {co} {money} for {reason}",
            "{co} to pay {money} after {adj} probe into {reason}",
            "{adj} authorities impose {money} sanction on {co}",
            "{co} hit with {money} fine in {country} over {reason}",
        ),
        (
            "The {adj} regulator {reg} said {co} had {reason_past}.",
            "{reg} imposed a {money} penalty on {co} on {weekday}, saying the company had"
            " {reason_past}.",
            "{co} has been fined {money} in {country} for {reason}.",
            "Authorities in {country} fined {desc} {money} after finding it had {reason_past}.",
        ),
        (
            "{co} said it would appeal the decision.",
            "The company said it disagreed with the ruling and was considering its options.",
            "It is one of the largest penalties imposed on an online marketplace in {country}.",
            "The investigation by {reg} began last year.",
            "The fine is the latest regulatory setback for {desc} in Europe.",
        ),
    ),
    Kind(
        "fees",
        (
            "{co} raises seller fees in {country}",
            "{co} to hike {adj} marketplace fees by {pct}",
            "Sellers in {country} face {pct} fee increase from {co}",
            "{co} lifts referral fees for {adj} merchants",
            "{adj} sellers hit by higher {co} commissions",
            "{co} increases {country} selling fees from {month}",
            "{co} fee hike: {adj} merchants to pay {pct} more",
        ),
        (
            "{co} told merchants in {country} that referral fees will rise by {pct} from {month}.",
            "Sellers on {desc}'s {adj} site will pay {pct} more in commissions from {month}.",
            "{co} is raising the fees it charges {adj} sellers by {pct}, according to a notice.",
            "Merchants selling on {co} in {country} face higher commissions from {month}.",
        ),
        (
            "The increase applies to most product categories.",
            "Seller groups criticised the change, saying margins were already thin.",
            "{co} said the higher fees would pay for faster delivery and better advertising tools.",
            "Fulfilment fees are unchanged, the notice said.",
        ),
    ),
    Kind(
        "shipments",
        (
            "{co} pauses {country} shipments as duty exemption ends",
            "Duty-free loophole closes; {co} halts direct China parcels to {country}",
            "Reuters: {co} stops shipping from China to {country}",
            "{co} suspends direct-from-China orders for {adj} shoppers",
            "{co} halts cross-border parcels to {country} after customs rule change",
            "{adj} buyers lose access to {co} direct shipping",
            "{co} stops sending parcels from China to {country}",
        ),
        (
            "{co} will stop sending low-value parcels directly from China to customers in"
            " {country}, it said.",
            "{desc} is pausing direct shipments to {country} as the {adj} duty exemption for small"
            " parcels ends.",
            "Shoppers in {country} can no longer order from {co}'s Chinese warehouses.",
            "{co} has suspended cross-border deliveries to {country} ahead of new customs rules.",
        ),
        (
            "Orders will be fulfilled from local warehouses where possible.",
            "Analysts expect prices on the platform to rise by as much as {pct}.",
            "The exemption had allowed parcels worth less than {limit} to enter duty free.",
            "{co} said local sellers were not affected.",
        ),
    ),
    Kind(
        "launch",
        (
            "{co} launches in {country}",
            "{co} goes live in {country} with {feature}",
            "{co} opens its marketplace to {adj} shoppers",
            "{co} enters {country}",
            "{adj} consumers can now shop on {co}",
            "{co} expands to {country}",
            "{co} debuts {adj} site",
        ),
        (
            "{co} began accepting orders from {adj} customers on {weekday}.",
            "{desc} has launched its marketplace in {country}, offering {feature}.",
            "Shoppers in {country} can now buy from {co}, which launched a local site this week.",
            "{co} has expanded into {country}, its latest new market.",
        ),
        (
            "The launch includes {feature} and local payment options.",
            "Local sellers can join without paying commission for the first {n} days.",
            "{co} said it had signed up {n} {adj} merchants before the launch.",
            "The company plans to open a warehouse near {city}.",
        ),
    ),
    Kind(
        "layoffs",
        (
            "{co} to cut {n} jobs",
            "{co} lays off {n} staff in restructuring",
            "{co} announces {n} job cuts",
            "{co} trims workforce by {n} roles",
            "Job cuts at {co}: {n} positions to go",
            "{co} plans to eliminate about {n} jobs in its {division} unit",
        ),
        (
            "{co} said it would cut {n} jobs, mostly in its {division} division.",
            "{desc} is laying off {n} employees as it restructures its {division} business.",
            "About {n} roles will be eliminated at {co}, a spokesperson confirmed.",
            "{co} told staff on {weekday} that {n} positions would be cut.",
        ),
        (
            "A spokesperson said the company was streamlining operations.",
            "It is {co}'s second round of layoffs this year.",
            "Affected employees will receive severance, the company said.",
            "The cuts affect teams in {country} and elsewhere.",
        ),
        vary="company",
    ),
    Kind(
        "earnings",
        (
            "{co} revenue rises {pct} in {quarter}",
            "{co} beats forecasts as quarterly sales jump {pct}",
            "{co} results: sales up {pct}",
            "{co} posts {pct} revenue growth",
            "{co} shares rise after strong quarter",
            "{co} reports {money} in quarterly revenue",
        ),
        (
            "{co} reported revenue of {money} for {quarter}, up {pct} from a year earlier.",
            "{desc} said sales grew {pct} to {money} in {quarter}.",
            "Quarterly revenue at {co} rose {pct}, beating analyst estimates.",
            "{co} posted {money} in sales for {quarter}.",
        ),
        (
            "Analysts had expected slower growth.",
            "Advertising and marketplace services drove the gains.",
            "The company raised its outlook for the rest of the year.",
            "Shares rose in after-hours trading.",
        ),
        vary="company",
        billions=True,
    ),
    Kind(
        "warehouse",
        (
            "{co} opens fulfilment centre near {city}",
            "{co} to build {money} warehouse in {country}",
            "New {co} logistics hub in {country} to create {n} jobs",
            "{co} invests {money} in {adj} logistics",
            "{co} expands {adj} warehouse network with {city} site",
            "{co} picks {city} for new distribution centre",
        ),
        (
            "{co} will open a fulfilment centre near {city}, creating {n} jobs.",
            "{desc} is investing {money} in a new warehouse in {country}.",
            "The new {co} site near {city} is part of a {money} push to speed up {adj} deliveries.",
            "{co} said its new {adj} logistics hub would employ {n} people.",
        ),
        (
            "The facility is expected to open next year.",
            "Local officials welcomed the investment.",
            "The site will handle parcels for third-party sellers as well.",
            "It will be the company's largest warehouse in {country}.",
        ),
    ),
    Kind(
        "acquisition",
        (
            "{co} to acquire {target} for {money}",
            "{co} buys {target} in {money} deal",
            "{co} agrees {money} takeover of {target}",
            "{target} sold to {co}",
            "{co} snaps up {target}",
            "{co} to buy {target_desc} {target}",
        ),
        (
            "{co} agreed to buy {target}, a {target_desc}, for {money}.",
            "{desc} is acquiring {target} in a deal worth {money}.",
            "{target}, the {target_desc}, will be taken over by {co}.",
            "{co} has agreed to purchase {target} for about {money}.",
        ),
        (
            "The deal is expected to close by the end of the year.",
            "{target} will keep operating under its own brand.",
            "The purchase still needs regulatory approval.",
            "{target} was founded in {city}.",
        ),
        vary="company",
    ),
    Kind(
        "probe",
        (
            "{reg} opens probe into {co}",
            "{co} faces {adj} investigation over {reason}",
            "{country} investigates {co} over {reason}",
            "{adj} watchdog examines {co} practices",
            "{co} under scrutiny in {country}",
            "{co} targeted by {adj} regulator over {reason}",
        ),
        (
            "{reg} said it had opened an investigation into whether {co} {reason_past}.",
            "The {adj} regulator is examining {desc} over {reason}.",
            "Authorities in {country} have launched a probe into {co}'s handling of {reason}.",
            "{co} is under investigation in {country} for {reason}.",
        ),
        (
            "{co} said it was cooperating with the authorities.",
            "The company could face a fine if the allegations are confirmed.",
            "The probe follows complaints from consumer groups.",
            "The investigation is expected to take several months.",
        ),
    ),
    Kind(
        "ban",
        (
            "{country} bans {co}",
            "{co} blocked in {country}",
            "{adj} government orders {co} offline",
            "{co} app pulled from stores in {country}",
            "{country} suspends {co} sales",
            "{adj} authorities shut down {co}",
        ),
        (
            "The {adj} government ordered {co} to stop operating in the country.",
            "{co} has been blocked in {country} after officials said it {reason_past}.",
            "Regulators in {country} suspended {desc}, citing {reason}.",
            "{co}'s app was removed from stores in {country} on {weekday}.",
        ),
        (
            "{co} said it was working with the government to resume service.",
            "The ban applies until the company complies with local rules.",
            "Local sellers said they would lose a large sales channel.",
            "{reg} said the measure was temporary.",
        ),
        vary="company",
    ),
    Kind(
        "feature",
        (
            "{co} launches {feature} in {country}",
            "{co} rolls out {feature} for {adj} sellers",
            "{co} adds {feature}",
            "{adj} shoppers get {feature} on {co}",
            "{co} bets on {feature} in {country}",
            "{co} unveils {feature}",
        ),
        (
            "{co} is rolling out {feature} to users in {country}.",
            "{desc} introduced {feature} for its {adj} marketplace.",
            "Sellers in {country} will get access to {feature}, {co} said.",
            "{co} has launched {feature} in {country} after a pilot.",
        ),
        (
            "The tool will reach more markets later this year.",
            "{co} said {n} sellers had tested the feature.",
            "The company did not disclose pricing.",
            "Competitors have introduced similar tools.",
        ),
    ),
    Kind(
        "exec",
        (
            "{co} names {person} {role}",
            "{person} to lead {co} as {role}",
            "{co} appoints new {role}",
            "{co} hires {person}",
            "{co} taps {person} as {role}",
            "{co} shake-up: {person} becomes {role}",
        ),
        (
            "{co} has appointed {person} as its new {role}.",
            "{person} will join {desc} as {role} next month.",
            "{co} named {person} {role} on {weekday}.",
            "{person} has been promoted to {role} at {co}.",
        ),
        (
            "{person} previously worked at a consulting firm in {city}.",
            "The appointment takes effect immediately.",
            "The previous {role} left the company in {month}.",
            "{co}'s shares were little changed.",
        ),
        vary="company",
    ),
    Kind(
        "sale",
        (
            "{co} sets dates for {sale}",
            "{co} {sale} returns in {month}",
            "{co} announces {sale} with discounts up to {pct}",
            "{sale}: {co} promises its biggest deals yet",
            "{co} to hold {sale} in {country}",
            "{co} confirms {sale} dates for {adj} shoppers",
        ),
        (
            "{co} said its {sale} event will run in {month} in {country}.",
            "{desc} will hold {sale} in {month}, with discounts of up to {pct}.",
            "Shoppers in {country} can expect {sale} deals on {co} from {month}.",
            "{co} confirmed that {sale} will return this year.",
        ),
        (
            "The event will last {n} days.",
            "Members will get early access to deals.",
            "Last year's event set a sales record.",
            "Sellers have been asked to submit deals by the end of the month.",
        ),
    ),
    Kind(
        "tariffs",
        (
            "{country} raises tariffs on small parcels to {pct}",
            "{adj} duty on low-value imports hits {co}",
            "{country} ends duty-free treatment for online parcels",
            "{co} sellers face {pct} {adj} import duty",
            "New {adj} parcel tax targets {co}",
            "{country} to tax cheap e-commerce imports at {pct}",
        ),
        (
            "{country} will charge a {pct} duty on low-value parcels, a blow to platforms such as"
            " {co}.",
            "The {adj} government is ending the duty exemption for parcels under {limit}.",
            "Imports bought on {co} and similar apps will face a {pct} tariff in {country}.",
            "{country} announced a {pct} levy on small e-commerce shipments on {weekday}.",
        ),
        (
            "Domestic retailers had lobbied for the change.",
            "The measure takes effect in {month}.",
            "{co} did not comment on the decision.",
            "Officials said the number of parcels had doubled in two years.",
        ),
    ),
)

# Sentences any story may carry: wording shared across unrelated stories.
FILLERS = (
    "The move comes amid intensifying competition in online retail.",
    "The company did not respond to a request for comment.",
    "Cross-border e-commerce has grown rapidly over the past two years.",
    "Shares were little changed in early trading.",
    "Sellers and analysts are watching the platform closely.",
    "The company has faced growing pressure from regulators.",
    "Online marketplaces are under scrutiny across several markets.",
)
BOILERPLATE = (
    "The post {title} appeared first on {source}.",
    "Read more.",
    "Continue reading...",
    "Click here to subscribe to our newsletter.",
    "Sign up for our daily briefing.",
)


@dataclass(frozen=True, slots=True)
class Source:
    """A publisher and its habits: headline style and what its descriptions look like."""

    name: str
    title_style: str  # plain | title_case | suffix | exclusive
    desc_style: str  # full | lead | empty | google | wordpress | readmore


SOURCES = (
    Source("Reuters", "plain", "full"),
    Source("Bloomberg", "plain", "lead"),
    Source("Retail Dive", "plain", "full"),
    Source("Modern Retail", "title_case", "full"),
    Source("Marketplace Pulse", "plain", "wordpress"),
    Source("TechCrunch", "title_case", "readmore"),
    Source("CNBC", "plain", "full"),
    Source("Financial Times", "plain", "lead"),
    Source("The Verge", "title_case", "full"),
    Source("Business Insider", "title_case", "lead"),
    Source("Ecommerce News Europe", "plain", "wordpress"),
    Source("Tamebay", "plain", "wordpress"),
    Source("Internet Retailing", "plain", "full"),
    Source("Retail Gazette", "title_case", "readmore"),
    Source("Nikkei Asia", "plain", "google"),
    Source("South China Morning Post", "plain", "google"),
    Source("Tech in Asia", "plain", "empty"),
    Source("Digital Commerce 360", "title_case", "full"),
    Source("PYMNTS", "title_case", "full"),
    Source("Forbes", "exclusive", "lead"),
    Source("Axios", "plain", "empty"),
    Source("Ecommerce Bytes", "plain", "readmore"),
    Source("Econsultancy", "plain", "full"),
    Source("Retail TouchPoints", "title_case", "full"),
)

_SMALL_WORDS = frozenset(
    ("a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "as", "from")
)


def _title_case(title: str) -> str:
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        if _lower_start(word) and (i == 0 or word not in _SMALL_WORDS):
            word = word[0].upper() + word[1:]
        out.append(word)
    return " ".join(out)


def _lower_start(word: str) -> bool:
    """A word a capital would improve: not "eBay", which keeps its own case."""
    return bool(word) and word[0].islower() and not any(c.isupper() for c in word[1:])


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if _lower_start(sentence.split(" ")[0]) else sentence


@dataclass(slots=True)
class _Event:
    label: str
    kind: Kind
    co: Co
    country: Country
    slots: dict[str, object]
    start: datetime


def _new_event(
    rng: random.Random, label: str, kind: Kind, co: Co, country: Country, start: datetime
) -> _Event:
    reason = rng.choice(REASONS)
    target = rng.choice(TARGETS)
    slots: dict[str, object] = {
        "reg": rng.choice(country.regulators),
        "city": rng.choice(country.cities),
        "money": _money(rng, "USD" if kind.billions else country.currency, kind.billions),
        "pct": rng.choice((3, 5, 8, 10, 12, 15, 18, 20, 25, 30, 35, 40, 50)),
        "n": rng.choice((150, 200, 300, 450, 500, 600, 800, 1200, 1500, 2000, 3000, 4500)),
        "reason": reason[0],
        "reason_past": reason[1],
        "feature": rng.choice(FEATURES),
        "target": target[0],
        "target_desc": target[1],
        "person": rng.choice(PEOPLE),
        "role": rng.choice(ROLES),
        "division": rng.choice(DIVISIONS),
        "quarter": rng.choice(QUARTERS),
        "sale": rng.choice(SALES),
        "month": rng.choice(MONTHS),
        "weekday": rng.choice(WEEKDAYS),
        "limit": _LIMITS.get(country.currency, "$800"),
    }
    return _Event(label, kind, co, country, slots, start)


# Reports of an event span up to two days and the clusterer's window is three: events further
# apart than this can never meet.
_NEAR = timedelta(days=7)


def _clash(a: _Event, b: _Event) -> bool:
    """Whether two events could not be told apart even by a careful reader."""
    if a.kind.name != b.kind.name or abs(a.start - b.start) >= _NEAR:
        return False
    if a.kind.name == "tariffs":  # a country's tariff: the platforms named are examples
        return a.country.key == b.country.key
    if a.co.key != b.co.key:
        return False
    return a.kind.vary == "company" or a.country.key == b.country.key


def _lookalike(rng: random.Random, label: str, base: _Event, events: Sequence[_Event]) -> _Event:
    """An event with ``base``'s template that differs in country (or company) and numbers."""
    for _ in range(100):
        co, country = base.co, base.country
        if base.kind.vary == "country":
            country = rng.choice([c for c in COUNTRIES if c.key != base.country.key])
        else:
            co = rng.choice([c for c in COMPANIES if c.key != base.co.key])
        start = base.start + timedelta(hours=rng.uniform(-20, 20))
        event = _new_event(rng, label, base.kind, co, country, start)
        if not any(_clash(event, other) for other in events):
            break
    # Same details where a template would otherwise differ only by them (the hard case): the
    # reason, feature or sale stays, the numbers change.
    for slot in ("reason", "reason_past", "feature", "sale", "division", "quarter", "role"):
        event.slots[slot] = base.slots[slot]
    return event


def _render(rng: random.Random, template: str, event: _Event, co_name: str) -> str:
    slots = event.slots
    money = slots["money"]
    assert isinstance(money, Money)
    country_name = rng.choice(event.country.names)
    values = {
        **{k: v for k, v in slots.items() if isinstance(v, str)},
        "co": co_name,
        "desc": rng.choice(event.co.descriptors),
        "country": country_name,
        "adj": event.country.adjective,
        "money": money.render(rng),
        "pct": _pct(rng, int(str(slots["pct"]))),
        "n": _count(rng, int(str(slots["n"]))),
    }
    return _capitalise(template.format(**values))


def _item_text(
    rng: random.Random, event: _Event, source: Source, used: set[int]
) -> tuple[str, str]:
    kind = event.kind
    # Each source words the headline its own way: no two items of an event share a template
    # while unused ones remain.
    choices = [i for i in range(len(kind.headlines)) if i not in used] or list(
        range(len(kind.headlines))
    )
    index = rng.choice(choices)
    used.add(index)
    co_name = rng.choice(event.co.names)
    title = _render(rng, kind.headlines[index], event, co_name)
    if title.startswith("Reuters: ") and source.name == "Reuters":
        title = title.removeprefix("Reuters: ")

    lead = _render(rng, rng.choice(kind.leads), event, rng.choice(event.co.names))
    details = [
        _render(rng, d, event, rng.choice(event.co.names))
        for d in rng.sample(kind.details, rng.randint(0, 2))
    ]
    sentences = [lead, *details]
    if rng.random() < 0.35:
        sentences.insert(rng.randint(1, len(sentences)), rng.choice(FILLERS))

    if source.desc_style == "lead":
        summary = lead
    elif source.desc_style == "empty":
        summary = ""
    elif source.desc_style == "google":
        summary = f"{title}  {source.name}"
    elif source.desc_style == "wordpress":
        post = BOILERPLATE[0].format(title=title, source=source.name)
        summary = " ".join([*sentences, post])
    elif source.desc_style == "readmore":
        summary = " ".join([*sentences, rng.choice(BOILERPLATE[1:])])
    else:
        summary = " ".join(sentences)

    if source.title_style == "title_case":
        title = _title_case(title)
    elif source.title_style == "exclusive" and rng.random() < 0.5:
        title = "Exclusive: " + title
    if source.desc_style == "google":
        title = f"{title} - {source.name}"
    return title, summary


def _tells_apart(event: _Event, other: _Event, title: str, summary: str) -> bool:
    """Whether a report of ``event`` names something that ``other`` does not share."""
    text = f"{title} {summary}"
    if event.co.key != other.co.key and any(name in text for name in event.co.names):
        return True
    if event.country.key != other.country.key:
        country = event.country
        places = (*country.names, country.adjective, *country.cities)
        return any(place.removeprefix("the ") in text for place in places)
    return False


def _noisy(rng: random.Random, summary: str, noise: float) -> str:
    """Extra noise for the large set: some descriptions cut short or dropped."""
    if not summary or rng.random() >= noise:
        return summary
    if rng.random() < 0.5:
        return ""
    cut = rng.randint(len(summary) // 3, max(len(summary) // 3, len(summary) - 1))
    return summary[:cut].rstrip() + " […]"


def generate(
    seed: int,
    *,
    stories: int,
    singletons: int,
    twin_chance: float = 0.5,
    days: float = 4.0,
    noise: float = 0.0,
    min_sources: int = 3,
    max_sources: int = 8,
) -> list[LabelledItem]:
    """A corpus of ``stories`` multi-source events plus ``singletons`` single-source ones.

    Each multi-source event is followed, with probability ``twin_chance``, by a look-alike
    twin reported at about the same time (same template; another country, or company, and
    other numbers); events of the same kind that happen to fall within a week of each other
    are look-alikes too. Events start over ``days`` days; their reports follow
    within about a day and a half. Items come back in ingest order with ids 1, 2, ...
    """
    rng = random.Random(seed)
    tagger = Tagger.default()
    events: list[_Event] = []
    span = timedelta(days=days)

    def fresh(label: str) -> _Event:
        for _ in range(200):
            kind, co, country = rng.choice(KINDS), rng.choice(COMPANIES), rng.choice(COUNTRIES)
            event = _new_event(rng, label, kind, co, country, START + span * rng.random())
            if not any(_clash(event, other) for other in events):
                break
        return event

    while len(events) < stories:
        base = fresh(f"s{len(events):04d}")
        events.append(base)
        if len(events) < stories and rng.random() < twin_chance:
            events.append(_lookalike(rng, f"s{len(events):04d}", base, events))
    multi = len(events)
    for i in range(singletons):
        events.append(fresh(f"x{i:04d}"))

    # Events of one kind in the same days are look-alikes, whether made so or by chance.
    similar: dict[str, list[_Event]] = {event.label: [] for event in events}
    for i, a in enumerate(events):
        for b in events[i + 1 :]:
            if a.kind.name == b.kind.name and abs(a.start - b.start) < _NEAR:
                similar[a.label].append(b)
                similar[b.label].append(a)

    rows: list[tuple[datetime, str, LabelledItem]] = []
    for position, event in enumerate(events):
        count = rng.randint(min_sources, max_sources) if position < multi else 1
        used: set[int] = set()
        others = similar[event.label]
        for source in rng.sample(SOURCES, count):
            # A report of one of two look-alike events names what tells them apart (the
            # country, or the company): one that names neither could belong to either, for
            # a reader as for the clusterer.
            for _ in range(30):
                title, summary = _item_text(rng, event, source, used)
                if all(_tells_apart(event, other, title, summary) for other in others):
                    break
            summary = _noisy(rng, summary, noise)
            # Most reports within a day, a few up to two days later.
            published = event.start + timedelta(hours=min(rng.expovariate(1 / 8), 48))
            published = published.replace(second=0, microsecond=0)
            # Ingest order: polled a little after publication.
            seen = published + timedelta(minutes=rng.randint(1, 90))
            companies = tagger.tag(title, summary, source.name)
            item = StoryItem(0, title, summary, source.name, published, companies)
            labelled = LabelledItem(item, event.label, tuple(sorted(o.label for o in others)))
            rows.append((seen, f"{event.label}/{source.name}", labelled))
    rows.sort(key=lambda row: (row[0], row[1]))
    out = []
    for item_id, (_, _, labelled) in enumerate(rows, start=1):
        it = labelled.item
        renumbered = StoryItem(item_id, it.title, it.summary, it.source, it.published, it.companies)
        out.append(LabelledItem(renumbered, labelled.story, labelled.lookalikes))
    return out


def eval_corpus() -> list[LabelledItem]:
    """The checked-in evaluation set's parameters: 300+ items, 40+ events, look-alikes."""
    return generate(EVAL_SEED, stories=48, singletons=60, days=4.0)


def large_corpus(seed: int = EVAL_SEED + 1, items: int = 5000) -> list[LabelledItem]:
    """At least ``items`` items over two weeks, with more noise (cut and missing descriptions).

    Look-alikes are much denser than in the evaluation set: with ~770 events of 14 kinds by
    18 companies in 20 countries over two weeks, most events share a kind, a company or a
    country with several others in the same days.
    """
    # 5.5 reports per multi-source event on average, and about one singleton per event.
    stories = round(items / 6.5)
    singletons = items - round(stories * 5.5)
    while True:
        corpus = generate(seed, stories=stories, singletons=singletons, days=14.0, noise=0.15)
        if len(corpus) >= items:
            return corpus
        singletons += items - len(corpus)


# --- JSON lines -----------------------------------------------------------------------------


def to_json_line(labelled: LabelledItem) -> str:
    """One item as a JSON line."""
    item = labelled.item
    return json.dumps(
        {
            "item_id": item.item_id,
            "story": labelled.story,
            "lookalikes": list(labelled.lookalikes),
            "title": item.title,
            "summary": item.summary,
            "source": item.source,
            "published": item.published.isoformat(),
            "companies": list(item.companies),
        },
        ensure_ascii=False,
    )


def from_json_line(line: str) -> LabelledItem:
    """The inverse of ``to_json_line``."""
    row = json.loads(line)
    item = StoryItem(
        int(row["item_id"]),
        str(row["title"]),
        str(row["summary"]),
        str(row["source"]),
        datetime.fromisoformat(row["published"]),
        tuple(row["companies"]),
    )
    return LabelledItem(item, str(row["story"]), tuple(row["lookalikes"]))


def load(path: Path = EVAL_PATH) -> list[LabelledItem]:
    """Read a corpus written by ``write``."""
    with path.open(encoding="utf-8") as f:
        return [from_json_line(line) for line in f if line.strip()]


def write(items: Sequence[LabelledItem], path: Path = EVAL_PATH) -> None:
    """Write ``items`` as JSON lines."""
    path.write_text("".join(to_json_line(item) + "\n" for item in items), encoding="utf-8")


def main(argv: Sequence[str] | None = None, out: Callable[[str], object] = print) -> int:
    """Write (or ``--check``) the checked-in evaluation set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    items = eval_corpus()
    if args.check:
        same = EVAL_PATH.read_text(encoding="utf-8") == "".join(
            to_json_line(item) + "\n" for item in items
        )
        out("up to date" if same else "differs from the generator")
        return 0 if same else 1
    write(items)
    stories = {item.story for item in items}
    out(f"wrote {len(items)} items, {len(stories)} events, to {EVAL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two rules of story clustering found on the hand-written tuning data: round-ups stay apart,
and a headline's place counts in the main European languages too."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

from bot.news.stories import StoryClusterer, StoryItem
from bot.news.stories.features import Featurizer, Prepared
from bot.news.stories.keyterms import (
    TermView,
    company_weights,
    key_terms,
    view_agreement,
    view_disjoint,
)
from bot.news.stories.model import StoryConfig
from bot.news.stories.wording import is_roundup

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

STRIKE = [
    ("Amazon workers strike at nine German sites on Black Friday", "Reuters"),
    ("Amazon staff strike in Germany as Black Friday kicks off", "Spiegel International"),
    ("Verdi calls Amazon staff in Germany out on strike for Black Friday", "Deutsche Welle"),
]


def _items(rows: list[tuple[str, str]], start: int = 1) -> list[StoryItem]:
    return [
        StoryItem(start + n, title, "", source, T0 + timedelta(minutes=10 * n), ("amazon",))
        for n, (title, source) in enumerate(rows)
    ]


def test_round_up_headlines_are_recognised() -> None:
    assert is_roundup("Tuesday round-up: Amazon Prime price rise, AO World lifts guidance")
    assert is_roundup("Marketplace Pulse Weekly: November 27, 2026")
    assert is_roundup("Black Friday 2026 live: Amazon strikes in Germany and Italy")
    assert is_roundup("Stocks making the biggest moves premarket: Home Depot, Alibaba")
    assert not is_roundup("Live-Shopping App Whatnot Valued at $11.5 Billion")
    assert not is_roundup("Amazon to offer weekly grocery delivery in Spain")
    assert not is_roundup("Temu goes live in Brazil")
    # A live blog of one event is a report of it; one of a season or a desk is a round-up.
    assert not is_roundup("PayPal down live: all the latest updates as payments fail")
    assert not is_roundup("Shopify outage live \u2014 checkout errors reported by stores")
    assert is_roundup("Business live: Royal Mail strike, UK inflation falls to 2.6%")
    assert is_roundup("Markets live: Zalando jumps")
    # A newsletter's issue listing three companies' news; not one story's explainer.
    assert is_roundup("Retail Brew: Inditex, Primark and Amazon's robots")
    assert is_roundup("Modern Retail Rundown: Shopify's autopilot, Chewy's CEO exit")
    assert not is_roundup("Alexa Plus UK launch: price, compatible Echo devices and how to get it")
    assert not is_roundup("Amazon Germany: Black Friday strike hits Leipzig, Bad Hersfeld and more")


def test_round_ups_are_recognised_by_their_form_in_several_languages() -> None:
    # A list of several subjects' news, with or without a column's name before it.
    assert is_roundup("Temu fined, Shein files, Amazon cuts fees: the week in e-commerce")
    assert is_roundup("Etsy raises fees, Wix buys a rival, and Otto opens to Chinese sellers")
    assert is_roundup("Zalando's new boss, Vinted's profit and Allegro's Czech bet")
    assert is_roundup("Allegro fine, Temu probe and Shein listing: what you need to know")
    # A head that names a period or a briefing, in the feeds' languages.
    assert is_roundup("Payments week: Klarna lists, Adyen slips")
    assert is_roundup("Ecommerce Daily - Jumia's exit, Takealot's deal")
    assert is_roundup("Resumen de la semana: Temu abre almacén y Shein cotiza")
    assert is_roundup("Die Handelswoche: Otto kauft, Zalando spart")
    assert is_roundup("Morgenbriefing: Zalando, Otto und Douglas")
    assert is_roundup("[유통 브리핑] 쿠팡 과징금·테무 상륙")
    assert is_roundup("今週のEC業界ニュースまとめ：メルカリ、楽天")
    # A newsletter known by its name, with one topic.
    assert is_roundup("Retail Brew: Nike goes to TikTok Shop")
    assert is_roundup("Axios Pro Retail Deals: AI agents for sellers, Faire trims")
    # A markets desk's report, and one leading with an index's move and going on to more news.
    assert is_roundup("Markets report: retail deals lift mood as Apollo buys Very")
    assert is_roundup("Hang Seng rises as J&T jumps 8%; RedNote IPO filing stirs listings")
    assert not is_roundup("FTSE 250 movers: Ocado slumps; Currys gains")
    # A Japanese column's katakana "weekly" head; a Chinese list split by full-width semicolons.
    assert is_roundup("流通ウィークリー：ヤマト・佐川が共同会社、楽天が海外出店解禁")
    assert not is_roundup("デイリーヤマザキ、都内に新店舗")
    assert is_roundup("8点1氪｜小红书递表港交所；酷澎收购越南Sendo；乐天市场向卖家开放")


def test_one_event_naming_several_companies_is_not_a_round_up() -> None:
    # The words used otherwise: a verb, a company's own newsletters.
    assert not is_roundup("Chewy shares slide as Wall Street digests CEO exit")
    assert not is_roundup("Veepee va revoir ses newsletters après l'amende de la CNIL")
    # One report going on to list whom it involves.
    assert not is_roundup("UPI down: users report failed payments on PhonePe, Google Pay, Paytm")
    assert not is_roundup("UPI down: Users report failed payments on PhonePe, Google Pay, Paytm")
    assert not is_roundup("Quick commerce strike: What Blinkit, Zepto and Swiggy said")
    assert not is_roundup("Amazon opens Haul in Germany, France, Italy and Spain to take on Temu")
    assert not is_roundup("China summons Meituan, Alibaba, JD over delivery subsidies")
    assert not is_roundup("Shein, Temu and AliExpress face EU probe")
    # A Title Case explainer of one filing; one company's bad week, told in common nouns.
    assert not is_roundup("Musinsa's IPO Filing: Revenue, Profit and Expansion in Numbers")
    assert not is_roundup("Coupang's worst week: breach, resignation and a regulator at the door")
    # A week named for an event, a strike "today".
    assert not is_roundup("London Fashion Week: Burberry shows its first see-now collection")
    assert not is_roundup("Royal Mail strike today - is your post office open?")


def test_a_round_up_joins_no_story_and_no_report_joins_a_round_up() -> None:
    live = ("Black Friday live: Amazon strike at German sites, Black Friday deals", "Guardian")
    clusterer = StoryClusterer(StoryConfig())
    placed = dict(clusterer.assign(_items([*STRIKE, live])))
    assert len({placed[1], placed[2], placed[3]}) == 1
    assert placed[4] != placed[1]
    # A round-up first: the reports that follow make their own story beside it.
    clusterer = StoryClusterer(StoryConfig())
    placed = dict(clusterer.assign(_items([live, *STRIKE])))
    assert placed[1] not in {placed[2], placed[3], placed[4]}
    assert len({placed[2], placed[3], placed[4]}) == 1


def test_an_italian_headline_place_disagrees_with_the_german_story() -> None:
    italian = ("Black Friday, sciopero nei magazzini Amazon in Italia", "Il Sole 24 Ore")
    placed = dict(StoryClusterer(StoryConfig()).assign(_items([*STRIKE, italian])))
    assert placed[4] != placed[1]


def test_the_round_up_flag_survives_the_stored_form_and_older_rows_read_as_before() -> None:
    featurizer = Featurizer(StoryConfig())
    item = StoryItem(7, "Marketplace Pulse Weekly: November 27, 2026", "", "MP", T0)
    prepared = featurizer.prepare(item, None, lambda key: 1.0)
    assert prepared.roundup
    again = Prepared.decode(7, prepared.encode())
    assert again is not None and again.roundup and again.short
    older = prepared.encode().replace(",3,", ",1,", 1)  # flags as a version without round-ups
    assert older != prepared.encode()
    decoded = Prepared.decode(7, older)
    assert decoded is not None and decoded.short and not decoded.roundup


def test_european_amounts_meet_the_wires_amounts() -> None:
    def amounts(text: str) -> set[str]:
        return set(key_terms(text, "", ()).numbers)

    assert amounts("Inditex gana 4.812 millones") == amounts("profit of 4,812 million euros")
    assert amounts("multa de 62,3 millones de euros") == amounts("fined €62.3 million")
    assert amounts("Umsatz 1,4 Mrd. Euro") == amounts("revenue of 1.4 billion")
    # A comma in English stays a thousands separator; a decimal comma alone means nothing.
    assert amounts("Rs 30,000 crore") == {"3e+11"}
    assert amounts("up 6,5%") == set()


def test_event_words_meet_across_languages_and_function_words_are_not_read() -> None:
    from bot.news.stories.wording import STOPWORDS, SYNONYMS, stem

    def meaning(word: str) -> str:
        found = stem(word.lower())
        return SYNONYMS.get(found, found)

    assert meaning("Streik") == meaning("strike") == meaning("grève") == meaning("walkout")
    assert meaning("bénéfice") == meaning("profit") == meaning("earnings") == meaning("results")
    assert meaning("Lager") == meaning("warehouse") == meaning("magazyn")
    assert meaning("übernimmt") == meaning("takeover") == meaning("acquires")
    assert {"der", "und", "les", "pour", "los", "para", "della"} <= STOPWORDS


def test_a_german_report_of_the_strike_joins_the_english_story() -> None:
    german = StoryItem(
        9,
        "Streik bei Amazon in Deutschland zum Black Friday",
        "",
        "Tagesschau",
        T0 + timedelta(minutes=40),
        ("amazon",),
    )
    clusterer = StoryClusterer(StoryConfig())
    placed = dict(clusterer.assign([*_items(STRIKE), german]))
    assert placed[9] == placed[1]


def test_a_name_capitalised_inside_counts_at_a_sentence_start() -> None:
    from bot.news.stories.keyterms import text_terms

    _, _, names, _ = text_terms("", "FedEx raised its outlook. Analysts said PayPal was next.")
    assert {"fedex", "paypal"} <= set(names)
    assert "analysts" not in names


def test_a_headline_names_whom_it_leads_with() -> None:
    from bot.news.stories.keyterms import text_terms

    def names(title: str) -> set[str]:
        return set(text_terms(title, "")[2])

    # Companies the tagger's table does not know: the headline's first word is still a name,
    # after a kicker too, and in Title Case.
    assert "taboola" in names("Taboola to buy ad-tech firm Nexxen for $1.4 billion")
    assert "puma" in names("Puma: Der Sprung der Raubkatze bleibt aus")
    assert "kmart" in names("Exclusive: Kmart confirms breach via outsourced platform")
    assert "teads" in names("Teads Shares Drop 10% After It Trims Full-Year Guidance")
    # A function word or a place is not one.
    assert not names("Why shoppers are leaving") & {"why", "shoppers"}
    assert not names("Germany fines the marketplace") & {"germany"}


def test_accents_are_dropped_from_latin_words_only() -> None:
    from bot.news.stories.keyterms import text_terms
    from bot.news.stories.wording import fold, tokens

    # Outlets write one name with and without its accents.
    assert tokens("Żabka, Rohlík, Montréal, Łódź") == ["zabka", "rohlik", "montreal", "lodz"]
    assert text_terms("Rohlík míří na burzu", "")[2] == text_terms("Rohlik míří na burzu", "")[2]
    # A name may start with an accented capital.
    assert "zabka" in text_terms("Żabka wchodzi do Czech", "")[2]
    # Other scripts keep their marks: they are letters there.
    assert fold("करोड़ का मुनाफ़ा") == "करोड़ का मुनाफ़ा"
    assert fold("запустил маркетплейс") == "запустил маркетплейс"
    assert tokens("ファストリ") == ["ファ", "ァス", "スト", "トリ"]


def test_a_headline_reads_only_the_first_usable_sentences() -> None:
    from bot.news.stories.wording import clean_summary

    text = "Read more here. U.S. regulators fined Temu. It will appeal. Shares fell. More later."
    whole = clean_summary(text, "Temu fined", "Wire")
    assert clean_summary(text, "Temu fined", "Wire", limit=2) == whole[:2]
    assert whole[0] == "U.S. regulators fined Temu."


def test_cjk_text_is_read_as_character_pairs() -> None:
    # Chinese and Japanese do not separate words: two reports of one event share pairs of
    # characters, not whole runs. Digits inside a run are numbers of their own, and a lone
    # character (a particle or counter) is not a word.
    from bot.news.stories.wording import tokens

    assert tokens("アマゾン、7～9月期11%増収") == [
        "アマ",
        "マゾ",
        "ゾン",
        "7",
        "9",
        "月期",
        "11",
        "%",
        "増収",
    ]
    assert tokens("판매대금 20일 정산") == ["판매", "매대", "대금", "20", "정산"]
    assert tokens("Amazon übertrifft Erwartungen") == ["amazon", "ubertrifft", "erwartungen"]


def test_cjk_reports_of_one_event_share_features() -> None:
    from bot.news.stories.features import Featurizer
    from bot.news.stories.model import StoryConfig

    featurizer = Featurizer(StoryConfig())
    first, second = _items(
        [("市场监管总局发布平台价格行为规则", "36Kr"), ("监管总局出台平台价格规则", "Caixin")]
    )
    first_text, second_text = featurizer.extract(first), featurizer.extract(second)
    assert {"监管", "平台", "价格", "规则"} <= first_text.counts.keys() & second_text.counts.keys()


_GERMAN_LEAD = (
    "Die Bonner Wettbewerbshüter sehen darin einen Missbrauch der Marktmacht. Der Konzern"
    " kündigte an, gegen die Entscheidung vorzugehen, und verwies auf Vorteile für Kundinnen"
    " und Kunden sowie kleine Unternehmen."
)


def _with_background(report: str) -> list[StoryItem]:
    """Forty other Amazon stories (so that "Amazon" says little), an event told by two
    English outlets, and ``report`` in German with a lead that shares no word with them."""
    syllables = ("".join(p) for p in itertools.product("bdfgklmnprst", "aeiou", repeat=2))
    words = list(itertools.islice(syllables, 0, 2000, 7))
    rows = [(f"Amazon {words[2 * n]}s {words[2 * n + 1]}", f"Outlet {n}") for n in range(40)]
    rows += [
        ("Germany orders Amazon to repay €59mn over seller price caps", "Financial Times"),
        ("Amazon told to pay back 59 million euros to marketplace sellers", "Reuters"),
        (report, "Handelsblatt"),
    ]
    items = _items(rows)
    items[-1] = dataclasses.replace(items[-1], summary=_GERMAN_LEAD)
    return items


def test_a_report_in_another_language_joins_on_company_and_amount() -> None:
    # Too few shared words for the threshold; the company and the exact amount, at the same
    # time, from another outlet, make it the same event. Another amount does not.
    same = _with_background(
        "Kartellamt verdonnert Amazon zu Rückzahlung von 59 Mio. an Marktplatzhändler"
    )
    other = _with_background(
        "Kartellamt verdonnert Amazon zu Rückzahlung von 12 Mio. an Marktplatzhändler"
    )
    for items, joins in ((same, True), (other, False)):
        stories = dict(StoryClusterer().assign(items))
        assert (stories[items[-1].item_id] == stories[items[-2].item_id]) is joins


def test_a_possessive_place_is_not_where_the_event_is() -> None:
    # "Germany's Otto sells ...": the wires' way of saying whose the company is. It is still
    # a place the report mentions, but not a headline place that could veto a story.
    from bot.news.stories.keyterms import text_terms

    places, _, _, title_places = text_terms("Germany's Otto sells Crate & Barrel", "")
    assert places == {"DE": 2} and title_places == {}
    places, _, _, title_places = text_terms("Otto sells Crate & Barrel in Germany", "")
    assert title_places == {"DE": 1}
    _, _, _, title_places = text_terms("Britain\u2019s Evri says deliveries are back", "")
    assert title_places == {}


def test_cjk_amounts_are_read_with_their_units() -> None:
    from bot.news.stories.keyterms import text_terms

    def numbers(text: str) -> dict[str, int]:
        return dict(text_terms(text, "")[1])

    assert numbers("メルカリ、楽天の「ラクマ」買収 450億円で") == numbers(
        "Rakuma for 45 billion yen"
    )
    assert numbers("쿠팡 매출 10조원 돌파") == {"1e+13": 2}
    assert numbers("アマゾン、7～9月期11%増収 クラウド20%伸びる") == {"11%": 2, "20%": 2}
    assert numbers("판매대금 20일 내 정산") == {"20": 2}


def test_a_title_only_items_companies_are_its_headlines() -> None:
    from bot.news.stories.keyterms import company_weights

    # The tagger read nothing but the headline, whatever script it wrote the name in.
    assert company_weights("ウォルマート、見通し上方修正", ["walmart"], title_only=True) == {
        "walmart": 3
    }
    # Any of the family's names in the headline names it, in any script.
    assert company_weights("ウォルマート、見通し上方修正", ["walmart"]) == {"walmart": 3}
    assert company_weights("ウォルマート、見通し上方修正", ["walmart", "amazon"]) == {
        "walmart": 3,
        "amazon": 1,
    }
    assert company_weights("Walmart raises outlook", ["walmart"]) == {"walmart": 3}
    # A name written as one word names the company too.
    assert company_weights("MercadoLibre plans Mexico push", ["mercado_libre"]) == {
        "mercado_libre": 3
    }


def test_a_brand_or_short_name_in_the_headline_names_its_family() -> None:
    from bot.news.stories.keyterms import company_weights

    # "jd" is too short a part to look for; "JD.com" is one of the family's names.
    assert company_weights(
        "Why JD.com thinks France is ready for a Chinese Amazon", ["jd", "amazon"]
    ) == {
        "jd": 3,
        "amazon": 3,
    }
    # Myntra is Walmart's (through Flipkart), Lazada Alibaba's, Douyin's shop TikTok Shop's.
    assert company_weights("Myntra cuts seller fees", ["walmart", "shein"]) == {
        "walmart": 3,
        "shein": 1,
    }
    assert company_weights("Lazada's Vietnam exit", ["alibaba", "shopee"]) == {
        "alibaba": 3,
        "shopee": 1,
    }
    assert company_weights("ByteDance cuts Douyin seller fees", ["tiktok_shop"]) == {
        "tiktok_shop": 3
    }


def test_a_rival_named_in_a_headline_is_not_its_subject() -> None:
    from bot.news.stories.keyterms import company_weights

    def weights(title: str, *companies: str) -> dict[str, int]:
        return dict(company_weights(title, companies))

    assert weights(
        "Myntra cuts seller fees to take on Meesho, Ajio and Shein India",
        "walmart",
        "meesho",
        "shein",
    ) == {"walmart": 3, "meesho": 1, "shein": 1}
    assert weights(
        "OpenAI takes ChatGPT shopping to Europe in push to rival Google, Amazon", "amazon"
    ) == {"amazon": 1}
    assert weights("Temu's rival Shein raises prices in the US", "temu", "shein") == {
        "temu": 1,
        "shein": 3,
    }
    assert weights("After Amazon, Walmart cuts prices on groceries", "amazon", "walmart") == {
        "amazon": 1,
        "walmart": 3,
    }
    # A company after the main clause is still a subject: the cause is the news.
    assert weights(
        "MercadoLibre slips as Amazon opens Chilean marketplace", "mercado_libre", "amazon"
    ) == {
        "mercado_libre": 3,
        "amazon": 3,
    }
    # Two companies the headline is about are both its subject.
    assert weights("Shein sues Temu over copyright", "temu", "shein") == {"temu": 3, "shein": 3}
    assert weights("Analysis - Temu changes seller rules", "temu") == {"temu": 3}


def test_a_companys_origin_is_not_a_headline_place() -> None:
    from bot.news.stories.keyterms import text_terms

    def title_places(title: str) -> dict[str, int]:
        return dict(text_terms(title, "")[3])

    assert title_places("Zip shares soar after Swedish giant Klarna bids") == {}
    assert title_places("Chinese retailer Shein opens store in Paris") == {"FR": 1}
    # Where the event is still counts.
    assert title_places("eBay to pay €30m after Spanish probe") == {"ES": 1}


def test_a_place_few_of_a_big_storys_headlines_name_keeps_no_story_out() -> None:
    rows = [
        ("Noon confirms data breach affecting millions of customers", "The National"),
        ("Noon says hackers accessed data of 4.2 million customers", "Reuters"),
        ("Saudi customers among 4.2m hit by Noon data breach", "Arab News"),
        ("Noon e-commerce giant discloses data breach after hackers leak sample", "Bleeping"),
        ("Noon data breach exposed names, phone numbers and addresses", "Gulf Business"),
    ]
    clusterer = StoryClusterer()
    placed = dict(clusterer.assign(_items(rows)))
    assert len(set(placed.values())) == 1
    story = clusterer._stories[placed[1]]  # the views two stories are compared by
    assert story.term_views()[0].main == {"SA": 1}
    assert story.merge_views()[0].main == {}
    # A report naming another place still meets the place one by one.
    uae = _items([("Noon breach: UAE customers told to change passwords", "Khaleej")], 6)
    assert dict(clusterer.assign(uae))[6] != placed[1]
    # A story most of whose headlines name a place keeps another place's report out.
    fined = [
        ("Amazon fined €30 million in Spain over fake reviews", "A"),
        ("Spain fines Amazon €30m over fake reviews", "B"),
        ("Amazon hit with €30 million Spanish fine over reviews", "C"),
        ("Spanish regulator fines Amazon over fake reviews", "D"),
        ("Amazon fined in Italy over fake reviews", "E"),
    ]
    placed = dict(StoryClusterer().assign(_items(fined)))
    assert placed[5] != placed[1]


def test_a_place_after_the_main_clause_is_context() -> None:
    from bot.news.stories.keyterms import text_terms

    _, _, _, title_places = text_terms("CVC to buy GLS in €4.3bn deal as IDS refocuses on UK", "")
    assert title_places == {}
    _, _, _, title_places = text_terms("Amazon halts parcels to Germany as strike spreads", "")
    assert title_places == {"DE": 1}


def test_a_story_told_first_in_another_language_merges_on_company_and_amount() -> None:
    # A local outlet reported first; its second report arrives after the wires had started
    # a story of their own, which shares no word with the local one: only the company and
    # the amount. The merge pass makes them one.
    rows = [
        ("楽天、フリマ事業を売却 320億円で合意", "Nikkan A"),
        ("Rakuten agrees to sell resale unit for 32 billion yen", "Wire C"),
        ("Rakuten to offload flea-market business in 32 billion yen deal", "Wire D"),
        ("楽天がフリマ事業売却 320億円 狙いは", "Nikkan B"),
    ]
    items = [dataclasses.replace(item, companies=("rakuten",)) for item in _items(rows)]
    clusterer = StoryClusterer()
    clusterer.assign(items)
    assert len({held.story_id for held in clusterer.members()}) == 1


def test_the_quick_disjointness_test_agrees_with_the_weighed_agreement() -> None:
    # ``view_disjoint`` is what the veto asks instead of weighing ``view_agreement``: the two
    # must agree on every pair, regions and their places included.
    bags = [
        {},
        {"FR": 2},
        {"FR": 1, "DE": 2},
        {"EU": 2},
        {"EU": 1, "US": 2},
        {"IT": 3, "US": 1},
        {"SEA": 1},
        {"VN": 2, "ID": 2},
        {"MX": 1},
        {"LATAM": 2, "EU": 1},
    ]
    views = [TermView.of(bag) for bag in bags]
    for mine, theirs in itertools.product(views, repeat=2):
        weighed = view_agreement(mine, theirs, both_ways=False) == 0.0
        assert view_disjoint(mine, theirs) is weighed, (mine.bag, theirs.bag)


def test_only_headline_companies_veto() -> None:
    from bot.news.stories.clusterer import _vetoed
    from bot.news.stories.keyterms import Views, views_of

    def views(companies: dict[str, int]) -> Views:
        return views_of({}, {}, companies, {})

    # Both headlines name a company, and not the same: two events.
    assert _vetoed(views({"shopee": 3}), views({"alibaba": 3}))
    # A company only the text mentions (the courier "that rode Shopee's rise", a rival in
    # the last paragraph) is left to the join model's company signals.
    assert not _vetoed(views({"shopee": 1}), views({"alibaba": 3}))
    assert not _vetoed(views({"shopee": 3}), views({"alibaba": 1}))
    # A story many of whose reports mention a company is about it.
    assert _vetoed(views({"shopee": 3}), views({"alibaba": 1 + 1 + 1}))


def test_a_newsletters_items_set_apart_by_dashes_are_a_list() -> None:
    assert is_roundup(
        "Morning Tech: Shein in the dock \u2014 France's parcel tax \u2014 Ankara shuts the"
        " duty-free door"
    )
    # Hyphens around an outlet's name are one report's, not a list's.
    assert not is_roundup("Inditex 9M FY26 - net profit EUR 4,812m (+6.0%) - MarketScreener")
    assert not is_roundup("Shopify outage live \u2014 checkout errors reported by stores")


def test_a_head_and_one_clauses_objects_are_no_round_up() -> None:
    assert not is_roundup(
        "DTI: Unregistered online sellers face removal from Shopee, Lazada, TikTok Shop by July"
    )
    assert is_roundup("Retail Brew: Inditex, Primark and Amazon's robots")


def test_the_company_whose_customers_are_sought_is_a_rival() -> None:
    weights = company_weights("Currys goes after Amazon's sellers with online bazaar", ["amazon"])
    assert weights == {"amazon": 1}


def test_one_reports_figures_and_a_plus_list() -> None:
    # One company's figures set out after its head are one report.
    assert not is_roundup(
        "PayPal's Q2 by the numbers: $452bn TPV, 438m accounts and a higher EPS range"
    )
    # Three things joined by a spaced "+" are a list; a firm's name or a price's parts not.
    assert is_roundup(
        "evri peak surcharge + yodel price rise + royal mail saying no surcharge. who are you"
        " switching to?"
    )
    assert not is_roundup("Kühne + Nagel übernimmt Raben Group")
    assert not is_roundup("Stripe nudges Australian card pricing to 1.75% + A$0.30")
    # A Chinese column of the week's headlines.
    assert is_roundup(
        "一周电商要闻：抖音新商家费率降至1%、唯品会一季度营收下滑、快手Kwai巴西上线电商"
    )

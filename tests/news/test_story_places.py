"""Place names in the languages and scripts of e-commerce news (``bot.news.stories.places``)."""

from __future__ import annotations

import pytest

from bot.news.stories.keyterms import text_terms


def places(text: str) -> dict[str, int]:
    return dict(text_terms(text, "")[0])


def headline_places(text: str) -> dict[str, int]:
    return dict(text_terms(text, "")[3])


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Bußgeld gegen Amazon in Deutschland", "DE"),
        ("Temu: deutsche Händler klagen", "DE"),
        ("Amende record pour Shein en Allemagne", "DE"),
        ("La CNMC multa a Amazon: la sanción española", "ES"),
        ("Mercado Livre investe no Brasil", "BR"),
        ("Multa per Amazon dall'Antitrust italiana", "IT"),
        ("Bol breidt uit naar België", "BE"),
        ("Allegro wchodzi do Czech", "CZ"),
        ("Temu ukarane w Niemczech", "DE"),
        ("Trendyol Almanya'da depo açtı", "DE"),
        ("Shopee perluas layanan di Jerman", "DE"),
        ("Shopee mở rộng tại Trung Quốc", "CN"),
        ("Amazon hit with fine in Vietnam", "VN"),
    ],
)
def test_latin_script_names_of_other_languages(title: str, code: str) -> None:
    assert code in places(title)


def test_japanese_names_need_no_spaces_and_katakana_stays_whole() -> None:
    assert places("アマゾン、ドイツで値上げ") == {"DE": 2}
    assert places("米国でアマゾンが値下げ") == {"US": 2}
    # "タイ" is Thailand, not the "タイ" of "ネクタイ" (necktie) or "タイム" (time).
    assert places("ネクタイの販売タイムセール") == {}
    assert places("タイでショッピー拡大") == {"TH": 2}
    # "インドネシア" is one name, not India followed by something.
    assert places("インドネシアで規制") == {"ID": 2}


def test_korean_names_take_particles() -> None:
    assert places("쿠팡, 미국에서 상장") == {"US": 2}
    assert places("알리익스프레스 한국 진출") == {"KR": 2}


def test_chinese_names_simplified_and_traditional() -> None:
    assert places("亚马逊在德国罚款") == {"DE": 2}
    assert places("蝦皮退出法國市場") == {"FR": 2}
    assert places("台灣電商") == {"TW": 2}


def test_arabic_names_with_attached_prepositions() -> None:
    assert places("غرامة على أمازون بالسعودية") == {"SA": 2}
    assert places("أمازون في مصر") == {"EG": 2}
    # "مصر" (Egypt) inside "مصرف" (bank) is no place.
    assert places("أمازون تتعاون مع مصرف") == {}


def test_thai_names_need_no_spaces() -> None:
    assert places("ลาซาด้าขยายตลาดในประเทศไทย") == {"TH": 2}
    assert places("ช้อปปี้บุกตลาดเวียดนาม") == {"VN": 2}


def test_hindi_names_are_whole_words() -> None:
    assert places("अमेरिका में अमेज़न पर जुर्माना") == {"US": 2}
    assert places("भारत में फ्लिपकार्ट") == {"IN": 2}


def test_common_words_are_no_places() -> None:
    assert places("a turkey, china plates and us") == {}
    assert places("Chinese tariffs") == {"CN": 2}
    assert places("Ceny: polskie sklepy i polski rynek") == {"PL": 4}


def test_a_place_of_another_language_is_a_headline_place() -> None:
    assert headline_places("Amazon multada en Italia") == {"IT": 1}
    assert headline_places("Amazon, multa in Spagna") == {"ES": 1}


def test_landing_in_taiwan_is_taiwan() -> None:
    # "登台" ("lands in Taiwan") is how Taiwan's press writes a launch there.
    assert headline_places("日本ZOZOTOWN七月登台　千個品牌跨境開賣") == {"TW": 1}


def test_a_demonym_before_goods_or_a_cjk_place_on_a_name_is_an_origin() -> None:
    # Where the company or its goods come from, not where the event happens.
    assert headline_places("Can Zozo Export Japanese Fashion Where Others Failed?") == {}
    assert headline_places("Zozo sells Japanese brands in Taiwan") == {"TW": 1}
    # A place written straight onto a Latin-script name: Japan's ZOZOTOWN.
    assert headline_places("日本ZOZOTOWN進軍韓國") == {"KR": 1}
    # Where the event is still counts: before a common word or a name (which a Title Case
    # headline cannot tell apart), and before the people there.
    assert headline_places("Japanese regulator fines Amazon") == {"JP": 1}
    assert headline_places("French Duty on Low-value Imports Hits eBay") == {"FR": 1}
    assert headline_places("Temu starts recruiting Japanese sellers for local warehouses") == {
        "JP": 1
    }
    assert headline_places("British Shein shoppers complain about fees") == {"UK": 1}


def test_where_shares_trade_or_one_markets_figure_is_not_the_events_place() -> None:
    assert headline_places("Coupang shares rise 3% in New York after Sendo acquisition") == {}
    assert headline_places("Nexxen backs offer from Taboola; London shares surge") == {}
    assert headline_places("Jumia says Egypt orders rose by a quarter in Q1") == {}
    # A listing, a sale of shares or an expansion stays the event's place.
    assert headline_places("Alibaba to list shares in Hong Kong") == {"HK": 1}
    assert headline_places("Zabka shares rise on Czech expansion news") == {"CZ": 1}
    assert headline_places("Temu halts US sales") == {"US": 1}


def test_a_second_sentence_adds_no_place_to_a_first_that_names_one() -> None:
    title = "Allegro wystartowało na Węgrzech. To kolejny rynek po Czechach i Słowacji"
    assert headline_places(title) == {"HU": 1}
    assert headline_places("Amazon.es fined 62 million. Sellers in Spain react") == {"ES": 1}


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Shein : la DGCCRF inflige une nouvelle amende de 5 millions d'euros", "FR"),
        ("Codacons: class action contro Temu dopo la sanzione Antitrust", "IT"),
        ("KPPU fines TikTok IDR 15 bn - DealStreetAsia", "ID"),
        ("Allegro fined PLN 210m by UOKiK for self-preferencing", "PL"),
        ("ACCC launches legal action against Shein", "AU"),
    ],
)
def test_a_national_regulator_says_where(title: str, code: str) -> None:
    assert headline_places(title) == {code: 1}


def test_ftc_alone_says_no_country() -> None:
    # Korea's is written "FTC" too: "FTC fines AliExpress 1.9 billion won ...".
    assert headline_places("FTC fines AliExpress 1.9 billion won") == {}


def test_eu_after_a_spanish_preposition_is_the_united_states() -> None:
    assert headline_places("Walmart estrena 'Sparky' para vendedores de su marketplace en EU") == {
        "US": 1
    }
    assert "US" in headline_places("Walmart abre su marketplace de EU a vendedores mexicanos")
    assert headline_places("EU closes de minimis loophole exploited by Chinese groups") == {"EU": 1}


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Oman to levy VAT on foreign e-commerce platforms from September", "OM"),
        ("Daraz to shut down Nepal operations, cites 'market realities'", "NP"),
        ("Sernac files class action against AliExpress", "CL"),
        ("ZATCA: customs duties on all e-commerce shipments from Aug. 1", "SA"),
    ],
)
def test_smaller_markets_and_their_bodies_are_places(title: str, code: str) -> None:
    assert headline_places(title) == {code: 1}


def test_a_possessive_place_before_a_public_body_says_where() -> None:
    # Whose the watchdog is, and so where the case is: not a company's owner.
    assert headline_places("Chile's consumer watchdog sues AliExpress over late deliveries") == {
        "CL": 1
    }
    assert headline_places("Brazil's central bank adds installments to Pix") == {"BR": 1}
    assert headline_places("Germany's Otto sells its stake in a logistics unit") == {}


def test_one_word_of_trade_in_an_origin_phrase() -> None:
    assert headline_places("French DIY marketplace ManoMano to cut 130 jobs") == {}
    assert headline_places("French postal group La Poste sells Jadlog to J&T") == {}
    # Not a verb or a preposition: the place stays where the news is.
    assert headline_places("Walmart Canada cuts marketplace referral fees") == {"CA": 1}
    assert headline_places("Amazon Prime to cost more in UK as firm raises price") == {"UK": 1}


def test_a_scale_up_is_a_company_and_an_app_store_a_market() -> None:
    assert headline_places("Dutch shipping scale-up Sendcloud acquires Versandbutler") == {}
    assert headline_places("Shein app tops Pakistani app store charts") == {"PK": 1}
    assert headline_places("Pakistani app Daraz raises prices") == {}

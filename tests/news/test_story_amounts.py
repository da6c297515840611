"""Amounts in the languages and scripts of e-commerce news (``bot.news.stories.amounts``)."""

from __future__ import annotations

import pytest

from bot.news.stories.keyterms import text_terms


def amounts(text: str) -> set[str]:
    return set(text_terms(text, "")[1])


@pytest.mark.parametrize(
    "text",
    [
        "€1.2bn",
        "1.2 billion euros",
        "1,2 Mrd. Euro",
        "1,2 Milliarden Euro",
        "1,2 milliard d'euros",
        "1,2 miliardi di euro",
        "1,2 mil millones de euros",
        "R$ 1,2 bilhão",
        "1,2 miljard euro",
        "1,2 mld zł",
        "1,2 milyar TL",
        "1,2 miliar euro",
        "1,2 tỷ USD",
        "12亿欧元",
        "12億ユーロ",
        "12억 달러",
        "1.2 مليار دولار",
        "١٫٢ مليار دولار",
        "1.2 พันล้านดอลลาร์",
        "RM1.2bil",
        "120 करोड़ रुपये",
    ],
)
def test_a_billion_and_a_fifth_in_every_language(text: str) -> None:
    assert amounts(text) == {"1.2e+09"}


def test_trillions_and_the_long_scale() -> None:
    # Spanish "billón" and German "Billion" are a million millions.
    assert amounts("1,2 billones de euros") == amounts("1,2 Billionen Euro") == {"1.2e+12"}
    assert amounts("Rp1,2 triliun") == amounts("1.200 tỷ đồng") == {"1.2e+12"}
    assert amounts("₹1.2 lakh crore") == amounts("1.2 लाख करोड़") == {"1.2e+12"}


def test_cjk_amounts_written_in_two_units_are_one() -> None:
    assert amounts("1兆2000億円") == amounts("1조 2천억 원") == amounts("1.2万亿") == {"1.2e+12"}
    assert amounts("3億5000万円") == {"3.5e+08"}


def test_thai_amounts_against_the_next_word() -> None:
    assert amounts("ยอดขาย1,200ล้านบาท") == {"1.2e+09"}


def test_a_currency_after_a_small_number_makes_it_an_amount() -> None:
    assert amounts("Gebühr von 5 € pro Paket") == amounts("a €5 fee") == {"5"}
    assert amounts("5 dni") == set()


def test_a_decimal_comma_stays_an_english_thousands_separator() -> None:
    assert amounts("1,200 jobs") == {"1200"}
    assert amounts("1,2 M€") == {"1.2e+06"}

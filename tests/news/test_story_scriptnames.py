"""Companies written in other scripts, read as English reports name them
(``bot.news.stories.scriptnames``, through ``keyterms.text_terms``)."""

from __future__ import annotations

import pytest

from bot.news.stories.keyterms import text_terms
from bot.news.stories.scriptnames import latin_names


def names(title: str) -> dict[str, int]:
    return dict(text_terms(title, "")[2])


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("ヤマトと佐川、宅配で共同出資会社", {"yamato", "sagawa"}),
        ("카카오페이·네이버페이, 수수료 인하", {"kakao", "naver"}),
        ("小红书向港交所递交上市申请", {"xiaohongshu"}),
        ("ファーストリテイリング、業績予想を上方修正", {"fast", "retailing"}),
        ("وتابي تطلب إدراج أسهمها", {"tabby"}),
        ("सेवा ठप: फोनपे और पेटीएम", {"phonepe", "paytm"}),
    ],
)
def test_a_company_in_another_script_is_read_as_its_latin_name(
    title: str, expected: set[str]
) -> None:
    assert expected <= set(names(title))


def test_the_english_report_gives_the_same_names() -> None:
    assert {"yamato", "sagawa"} <= set(text_terms("", "Rivals Yamato and Sagawa form a venture")[2])
    # One company, two English names: read as one.
    assert "xiaohongshu" in text_terms("", "Shares of RedNote owner rise")[2]


def test_a_spaced_script_writing_must_start_a_word() -> None:
    # تابي (Tabby) is also the end of كتابي ("my book").
    assert latin_names("كتابي الجديد") == []


def test_a_latin_name_written_onto_cjk_ends_where_the_cjk_starts() -> None:
    assert "zozotown" in names("ZOZOTOWN要來台灣了！日本最大時尚電商")
    assert "shein" in names("SHEINは日本で「安いだけ」を脱却できるか")


def test_ascii_headlines_read_as_before() -> None:
    assert names("Temu fined by EU as Shein faces probe") == {"temu": 2, "shein": 2}

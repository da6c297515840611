"""Amounts and percentages as key terms, however a language writes them.

"€1.2bn", "1.2 billion euros", "1,2 Mrd. Euro", "1,2 miliar euro", "12亿欧元" and "12억 유로" are
one amount: "1.2e+09". Currencies are not converted ("$220 million" is not "€200 million")
and not part of the term: a local outlet's "1,2 Mrd." meets the wires' "1.2 billion" whatever
each names the currency. Every scale word is written here from the languages' own usage, not
from any evaluation data.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

from bot.news.stories.scriptnames import UNSPACED

# Scale words after which a decimal comma and dotted thousands are read the continental way
# ("62,3 milioni" is 62.3 million, "4.812 millones" 4,812 million), by their value.
_LOCAL_SCALES: dict[float, tuple[str, ...]] = {
    1e3: ("ribu", "nghìn", "ngàn", "tys"),
    1e6: (
        "millones", "millón", "millions", "millionen", "milioni", "milione", "milionów", "miliony",
        "miliona", "milhões", "milhão", "miljoen", "miljoenen", "milyon", "juta", "triệu",
        "mln", "mio", "mdd", "mdp", "m€", "مليون", "ملايين", "млн", "ล้าน",
    ),
    1e9: (
        "mil millones", "mil milhões", "milliards", "milliard", "milliarden", "milliarde",
        "miliardi", "miliardo", "miliardów", "miliardy", "miliard", "miliarda", "miljard",
        "miljarden", "bilhões", "bilhão", "milyar", "miliar", "tỷ", "tỉ", "mld", "mrd", "md",
        "mds", "bln", "bil", "مليار", "مليارات", "млрд", "अरब", "พันล้าน",
    ),
    1e10: ("หมื่นล้าน",),
    1e11: ("แสนล้าน",),
    1e12: (
        "billones", "billón", "billionen", "trilhões", "trilhão", "trilyon", "triliun",
        "nghìn tỷ", "ngàn tỷ", "تريليون", "трлн", "लाख करोड़", "ล้านล้าน",
    ),
    1e5: ("लाख",),
    1e7: ("करोड़",),
}  # fmt: skip
# Chinese, Japanese and Korean count in ten-thousands: 450億 is 45 billion, 1.2万亿 1.2
# trillion. Written against the next word, they are set apart from it (``apart_from_cjk``).
_CJK_SCALES: dict[str, float] = {
    "万亿": 1e12, "萬億": 1e12, "千亿": 1e11, "千億": 1e11, "千万": 1e7, "百万": 1e6,
    "백만": 1e6, "万": 1e4, "萬": 1e4, "만": 1e4, "億": 1e8,
    "亿": 1e8, "억": 1e8, "兆": 1e12, "조": 1e12,
}  # fmt: skip
_ENGLISH_SCALES: dict[str, float] = {
    "bn": 1e9, "billion": 1e9, "mn": 1e6, "m": 1e6, "million": 1e6, "k": 1e3, "thousand": 1e3,
    "tn": 1e12, "trillion": 1e12, "crore": 1e7, "lakh": 1e5, "lakhcrore": 1e12,
}  # fmt: skip


def _key(word: str) -> str:
    return "".join(unicodedata.normalize("NFC", word).lower().split())


_LOCAL_WORDS = {_key(w): value for value, words in _LOCAL_SCALES.items() for w in words}
_SCALES = {**_ENGLISH_SCALES, **{_key(w): v for w, v in _CJK_SCALES.items()}, **_LOCAL_WORDS}

# Thai writes no spaces: its scale words end where the next word starts. A word that ends in
# a sign the regex engine does not count as a letter (Hindi's "़") ends before anything but
# another letter of its script.
_THAI = re.compile("[\u0e00-\u0e7f]")


def _end(word: str) -> str:
    if _THAI.search(word):
        return ""
    return r"\b\.?" if re.match(r"\w", word[-1]) else r"(?![\w\u0900-\u097f])"


_LOCAL_PATTERN = "|".join(
    re.escape(word).replace(r"\ ", r"\s") + _end(word)
    for word in sorted(
        (unicodedata.normalize("NFC", w) for ws in _LOCAL_SCALES.values() for w in ws),
        key=len,
        reverse=True,
    )
)
_CJK_PATTERN = "|".join(sorted(_CJK_SCALES, key=len, reverse=True))

_NUMBER_PATTERN = (
    # The look-behind comes after the first digit so that the engine can skip to digits;
    # "Rp1,2 triliun", "RM1.2bil" and "Rs30,000 crore" write their currency against it.
    r"(?P<num>\d(?:(?<![\w.,]\d)|(?<=R[pMs]\d))(?:\d{0,2}(?:,\d{3})+"
    # Before a local scale word: "4.812 millones" (thousands), "62,3 milioni" (decimals).
    r"|(?:\d{0,2}(?:\.\d{3})+|\d*,\d+)(?=\s?(?:" + _LOCAL_PATTERN + r"))"
    r"|\d*(?:\.\d+)?))"
    # Local words first: "1,2 M€" is not "1,2 M".
    r"(?:\s?(?P<scale>" + _LOCAL_PATTERN + r"|%|percent\b|per\s?cent\b|bn\b|billion\b|mn\b"
    r"|m\b|million\b|k\b|thousand\b|tn\b|trillion\b|lakh\s?crore\b|crore\b|lakh\b"
    r"|(?:" + _CJK_PATTERN + r")(?=\s)))?"
    r"(?![\w%])"
)


@functools.cache
def _number_re() -> re.Pattern[str]:
    """Compiled on first use, as the place regexes are (``places._regexes``)."""
    return re.compile(_NUMBER_PATTERN, re.IGNORECASE)


# A currency right before a number makes it an amount ("US$40", "€ 40", "EUR 40", "Rp 5").
_CURRENCY_BEFORE_RE = re.compile(
    r"(?:[$€£¥₹₩₺₫฿₱₦₽]|\b(?:EUR|USD|GBP|PLN|JPY|KRW|BRL|MXN|AUD|CAD|INR|CNY|RMB|CHF|SEK|NOK"
    r"|DKK|CZK|HUF|RON|TRY|IDR|MYR|THB|VND|PHP|SGD|HKD|TWD|SAR|AED|ZAR|NGN|EGP|ARS|CLP|COP"
    r"|Rs\.?|Rp\.?|RM))\s?$"
)
# ... or right after it ("5 €", "9 zł", "5 TL").
_CURRENCY_AFTER_RE = re.compile(
    r"\s?(?:[$€£¥₹₩₺₫฿₱₦₽]|(?:zł|TL|EUR|USD|[Ee]uros?|[Dd]ollars?|yuan|yen)\b)"
)
_DOT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_COMMA_DECIMALS = re.compile(r"^\d+,\d{1,2}$")

# Digits of other scripts ("١٫٢ مليار", "१२ करोड़", "１２億"), as the ASCII ones.
_ZEROS = (0x660, 0x6F0, 0x966, 0xE50, 0xFF10)  # Arabic-Indic, Persian, Devanagari, Thai, fullwidth
_DIGITS = str.maketrans(
    {
        **{chr(zero + d): str(d) for zero in _ZEROS for d in range(10)},
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
    }
)


_OTHER_DIGITS_RE = re.compile("[\u0660-\u066c\u06f0-\u06f9\u0966-\u096f\u0e50-\u0e59\uff10-\uff19]")


def ascii_digits(text: str) -> str:
    """``text`` with every other script's digits written as ASCII ones."""
    # A scan for them costs a tenth of translating every character.
    return text.translate(_DIGITS) if _OTHER_DIGITS_RE.search(text) else text


def numbers(text: str, weight: int, into: Counter[str]) -> None:
    """Add the amounts and percentages of ``text`` to ``into`` with ``weight``."""
    for match in _number_re().finditer(text):
        scale = _key((match.group("scale") or "").rstrip("."))
        raw = match.group("num")
        if scale in _LOCAL_WORDS and _DOT_THOUSANDS.match(raw):
            raw = raw.replace(".", "")  # "4.812 millones" is 4,812 million
        elif scale in _LOCAL_WORDS and _COMMA_DECIMALS.match(raw):
            raw = raw.replace(",", ".")  # "62,3 milioni" is 62.3 million
        else:
            raw = raw.replace(",", "")
        value = float(raw)
        if scale == "%" or scale.startswith("per"):
            into[f"{value:g}%"] += weight
            continue
        # Years and small bare numbers ("3 days", "in 2025") say little about the event.
        bare = not scale and (value < 10 or (1900 <= value <= 2100 and raw.isdigit()))
        if bare and not _is_money(text, match.start(), match.end()):
            continue
        into[f"{value * _SCALES.get(scale, 1.0):.6g}"] += weight


def _is_money(text: str, start: int, end: int) -> bool:
    return (
        _CURRENCY_BEFORE_RE.search(text, max(0, start - 4), start) is not None
        or _CURRENCY_AFTER_RE.match(text, end) is not None
    )


# A digit run written against Chinese, Japanese, Korean or Thai characters ("クラウド20%伸び
# る", "20일", "ราคา1,200"): no word boundary separates them, so it is set apart to be read.
_UNSPACED_DIGITS_RE = re.compile(f"(?<=[{UNSPACED}])(?=[0-9])|(?<=[0-9%])(?=[{UNSPACED}])")
# A number's unit ("450億円", "3조원", "1,200ล้านบาท") is set apart from what follows it too.
_UNSPACED_SCALE_RE = re.compile(
    r"(?<=[0-9])\s?("
    + "|".join(
        re.escape(word)
        for word in sorted(
            (*_CJK_SCALES, *(w for w in _LOCAL_WORDS if _THAI.search(w))), key=len, reverse=True
        )
    )
    + ")"
)
# Korean writes thousands of a unit with 천 ("2천억" is 2000억, "5천만" 5000만).
_KOREAN_THOUSANDS_RE = re.compile(r"(\d+)\s?천(?=[억만조원])")
# "1兆2000億円", "1조 2000억 원", "3億5000万": one amount, as a decimal of the larger unit.
_CJK_COMPOUND_RE = re.compile(
    r"(\d+)\s?([兆조])\s?(\d{1,4})\s?([億亿억])|(\d+)\s?([億亿억])\s?(\d{1,4})\s?([万萬만])"
)


def _compound(match: re.Match[str]) -> str:
    whole, big, part = match.group(1, 2, 3) if match.group(1) else match.group(5, 6, 7)
    return f"{int(whole) + int(part) / 10_000:g}{big}"


def apart_from_cjk(text: str) -> str:
    """``text`` with its CJK and Thai numbers and units set apart from the words around."""
    if "천" in text:
        text = _KOREAN_THOUSANDS_RE.sub(lambda m: str(int(m.group(1)) * 1000), text)
    text = _CJK_COMPOUND_RE.sub(_compound, text)
    return _UNSPACED_DIGITS_RE.sub(" ", _UNSPACED_SCALE_RE.sub(r" \1 ", text))

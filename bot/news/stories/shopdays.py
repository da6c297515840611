"""Holidays and shopping events named in a text: dates, not names.

"Black Friday", "Singles' Day", "11.11", "Prime Day", "Ramadan" say *when* something happened,
not who or what it is about. Read as names and amounts, they made unrelated events of one
season one story: "Shopify merchants set Black Friday record" and "UK Black Friday card
spending falls" shared the name "Black" (and so an anchor and a name agreement), and
"Lazada says 11.11 orders up 30%" shared the "amount" 11.11 with Alibaba's Singles' Day.
``blank`` hides them from the key-term reader (``keyterms.text_terms``); the words stay in
the word features, where a season's shared vocabulary weighs what it should.

Pure: the standard library only.
"""

from __future__ import annotations

import re

__all__ = ["blank"]

# Multi-word event names first where one is the start of another ("Black Friday Week").
_NAMED = (
    r"black\s+(?:friday(?:\s+week(?:end)?)?|week|november)"
    r"|cyber\s+(?:monday|week(?:end)?|five)|green\s+monday|giving\s+tuesday"
    r"|small\s+business\s+saturday|super\s+saturday|boxing\s+(?:day|week)"
    r"|singles['’]?\s+day|double\s+(?:11|eleven|12|twelve)"
    r"|prime\s+(?:big\s+deals?\s+days?|early\s+access(?:\s+sale)?|day(?:s)?)"
    r"|big\s+deal\s+days|big\s+billion\s+days?|great\s+(?:indian|freedom|summer)\s+(?:festival|sale)"
    r"|super\s+brand\s+day|hot\s+sale|(?:el\s+)?buen\s+fin|click\s+frenzy|harbolnas"
    r"|ramadan|eid(?:\s+al[-\s](?:fitr|adha))?|hari\s+raya(?:\s+(?:haji|puasa|aidilfitri))?"
    r"|diwali|deepavali|christmas|easter|thanksgiving|hanukkah|halloween"
    r"|(?:lunar|chinese)\s+new\s+year|golden\s+week|valentine['’]?s\s+day"
    r"|(?:mother|father)['’]?s\s+day|labou?r\s+day|memorial\s+day|presidents['’]?\s+day"
    r"|back[-\s]to[-\s]school"
)
# Mega-sale dates written as the day twice: "11.11", "12.12", "10.10" (not "$11.11", "11.11%",
# "11.11 billion"); a single digit ("9.9") only before a sale word, it is more often a figure.
_SCALE = r"%|per\s*cent|percent|[bmk]n?\b|billion|million|trillion|bn|mn"
_SALE_WORD = r"\s*(?:sale|sales|mega|big\s+sale|festival|shopping|campaign|event|deals?)\b"
_DOUBLED = (
    rf"(?<![\w$€£¥₹.,])(?:(1[0-2])\.\1(?![\w.,])(?!\s*(?:{_SCALE}))"
    rf"|([1-9])\.\2(?![\w.,%])(?={_SALE_WORD}))"
)
# China's mid-year festival, only beside a sale word ("618 shopping festival"): a bare 618
# is as often a figure.
_SIX_EIGHTEEN = rf"(?<![\w$€£¥₹.,])6\.?18(?![\w.,%])(?={_SALE_WORD}|\s*mid-year)"
# The same in the scripts the feeds write them in (no word boundaries there).
_UNSPACED = (
    r"双十一|雙十一|双11|雙11|双十二|双12|光棍节|黑色星期五"
    r"|ブラックフライデー|プライムデー|블랙프라이데이"
)

_DAYS_RE = re.compile(
    rf"\b(?:{_NAMED})\b|{_DOUBLED}|{_SIX_EIGHTEEN}|(?P<unspaced>{_UNSPACED})", re.IGNORECASE
)


def blank(text: str) -> str:
    """``text`` with each holiday or shopping-event name written over, as long as the name
    (positions in the text still hold), so that it reads as no name, amount or place: with
    lower-case "x", or with spaces in a script without them, where an "x" would run into a
    Latin name beside it ("Amazonプライムデー")."""
    if _DAYS_RE.search(text) is None:
        return text
    return _DAYS_RE.sub(_over, text)


def _over(match: re.Match[str]) -> str:
    return (" " if match.group("unspaced") else "x") * len(match.group())

"""Whether a headline is of a post that gathers several events: a round-up, a newsletter's
issue, a live blog, a market wrap.

Such a post shares words with every event it lists, so it would pull their stories together;
it stays a story of its own (``clusterer``). Read by its form only, in the languages the feeds
write: a keyword ("round-up", "week in review", "Morning Briefing", "Resumen de la semana"), a
short head naming a period ("Payments week:", "Sifted Daily:"), or a list of three or more
different subjects' news ("DoorDash goes south, Vinted buys Depop, and Instacart crosses the
Atlantic"). A report of one event that names several companies ("Shein, Temu and AliExpress
face EU probe", "UPI down: users report failed payments on PhonePe, Google Pay, Paytm") or that
uses one of the words otherwise ("investors digest the CEO's exit", "Veepee revises its
newsletters") is not one.

Pure: the standard library only.
"""

from __future__ import annotations

import re

__all__ = ["is_roundup"]

# Keywords of a post that gathers several events, wherever they stand. Each ends on a word
# boundary: "digests" (a verb) and "newsletters" (a company's, in a report about it) are not
# an issue of a digest or a newsletter.
_KEYWORD_RE = re.compile(
    r"\b(?:round-?ups?|run-?downs?|wrap-?ups?|recap|week in review|(?:the|this|last) week in"
    r"|week ahead|(?:other )?top stories|news today|(?:news|stories) (?:this|of the) week"
    r"|(?:daily|morning|evening|weekly|news|the|retail|e-?commerce) digest"
    r"|(?:daily|morning|evening|weekly) (?:brief|briefing|update|roundup|round-up)"
    r"|weekly\s*(?:[:|]|\s[-–—])"
    r"|stocks making the biggest moves|biggest (?:stock )?movers|stocks (?:are )?moving the most"
    # Newsletters known by their name alone (their issues' titles name one topic or two).
    r"|(?:retail|morning) brew|term sheet|pro rata|morning bid|dive brief|axios pro"
    # A markets desk's report of the day: "Markets report: retail deals lift mood as ...".
    r"|markets? (?:report|wrap)"
    # Spanish, French, German, Italian, Dutch, Polish: "summary of the week", "the week's".
    r"|(?:resumen|claves|lo mejor) de la semana|la semaine de|wochenrückblick|rassegna"
    r")\b"
    # Japanese "this week's ... summary", Chinese "weekly/morning/evening report" and
    # "headlines" (一周电商要闻: the week's e-commerce headlines), Korean
    # "this week" and a bracketed "briefing" (Korean press columns: "[유통 브리핑] ...").
    # "News summary" (ニュースまとめ), not a bare まとめ: "SHEINマーケットプレイスの
    # 出店条件まとめ" sums up one event's terms.
    r"|今週|ニュースまとめ|周报|早报|晚报|要闻|이번\s?주|\[[^\]]*브리핑\]"
    # A Japanese column's head, katakana "weekly" or "daily" before its colon or bar
    # ("流通ウィークリー：ヤマト・佐川が…、楽天が…"); not a name that starts with it
    # (デイリーヤマザキ, a chain of stores).
    r"|(?:ウィークリー|デイリー)\s*[：:｜|]",
)
# A listing in Chinese or Japanese: three or more parts split by full-width semicolons
# ("8点1氪｜小红书递表港交所；酷澎收购越南Sendo；乐天市场向韩国台湾卖家开放").
_CJK_LIST_PARTS = 3
# A market report that leads with an index and goes on to a second company's news after a
# semicolon: "Hang Seng rises as J&T jumps 8%; RedNote IPO filing stirs ...". (The index's move
# is the day's, not one event's; "FTSE 250 movers: Ocado slumps" names no move of the index.)
_INDEX_WRAP_RE = re.compile(
    r"^(?:the )?(?:hang seng|ftse(?: 100| 250)?|nikkei(?: 225)?|topix|kospi|dax|cac 40"
    r"|stoxx(?: 600| europe 600)?|s&p 500|nasdaq|dow(?: jones)?|sensex|nifty(?: 50)?)"
    r" (?:rises|rose|falls|fell|gains|gained|climbs|climbed|slips|slipped|drops|dropped|jumps"
    r"|jumped|edges (?:up|down|higher|lower)|ends (?:up|down|higher|lower)|closes"
    r" (?:up|down|higher|lower))\b[^;]*;"
)
# "Newsletter" as an issue's label: "Sifted Newsletter: ...", "... | Newsletter".
_NEWSLETTER_RE = re.compile(
    r"\bnewsletter\s*(?:[:|#]|\s[-–—])|(?:[:|]|\s[-–—])\s*newsletter\b|\bnewsletter\s*$"
)

# What matching the lowered headline rests on: lower-case patterns.
if any(
    pattern.pattern != pattern.pattern.lower()
    for pattern in (_KEYWORD_RE, _NEWSLETTER_RE, _INDEX_WRAP_RE)
):
    raise RuntimeError("round-up keywords must be lower case")

# A short head before a colon or a dash ("Payments week:", "TechCabal Daily -", "F.A.Z.
# Frühdenker:"), and what follows it.
_HEAD_RE = re.compile(r"^(?P<head>[^:,!?]{2,60}?)\s*(?::|\s[-–—|])\s+(?P<rest>.+)$")
# A head that names a period or a briefing is a column's or a newsletter's issue: "Luxury's
# bad week", "Semana fintech en Brasil", "Die Handelswoche", "Tydzień w e-handlu", "Sifted
# Daily", "Morgenbriefing".
_PERIOD_HEAD_RE = re.compile(
    r"\b(?:week|weekly|week's|daily|semana|semanal|semaine|hebdo|settimana"
    r"|tydzień|tydzien|vecka|uge|ugen|frühdenker)\b|woche|briefing",
    re.IGNORECASE,
)
_HEAD_WORDS = 6
# A spaced dash between a headed list's items (not a hyphen: "Inditex 9M FY26 - net profit
# EUR 4,812m (+6.0%) - MarketScreener" is one report with its outlet's name).
_DASH_SPLIT_RE = re.compile(r"\s[–—]\s")

# The parts of a listing: "A, B and C", "A; B; C", in the languages the feeds write ("y",
# "et", "und", "e", "i", "og", "och" are "and"; Dutch "en" is left out: Spanish "en" is "in").
_LIST_SPLIT_RE = re.compile(
    r"\s*[,;]\s+(?:(?:and|&|y|et|und|e|i|og|och)\s+)?|\s+(?:and|&|y|et|und|e|i|og|och)\s+"
)
# Articles a listed part may start with ("a new store in Chile", "la huelga de Correos").
_ARTICLES = frozenset(
    "a an the la el los las le les il lo gli der die das den dem het o os as".split()  # noqa: SIM905
)
# A listing that goes on from a question word tells one event: "What Blinkit, Zepto and
# Swiggy said".
_QUESTION_WORDS = frozenset(("what", "how", "why", "who", "where", "when", "which"))
_WORD_RE = re.compile(r"[^\W_]+(?:['’.&-][^\W_]+)*")


def is_roundup(title: str) -> bool:
    """Whether a (cleaned) headline is of a post gathering several events.

    Every item's headline is read: the patterns are lower case, matched against the lowered
    headline (twice as fast as ignoring case), and each rule is tried only when the
    characters it needs are there."""
    lower = title.lower()
    if _KEYWORD_RE.search(lower) is not None:
        return True
    if "newsletter" in lower and _NEWSLETTER_RE.search(lower) is not None:
        return True
    if "；" in title and title.count("；") >= _CJK_LIST_PARTS - 1:
        return True
    if ";" in title and _INDEX_WRAP_RE.search(lower) is not None:
        return True
    if "live" in lower and _is_live_roundup(title):
        return True
    listed = "," in title or ";" in title
    if ":" in title or " -" in title or " –" in title or " —" in title or " |" in title:
        head = _HEAD_RE.match(title)
        if head is not None:
            if _is_period_head(head["head"], head["rest"]):
                return True
            rest = head["rest"]
            # A newsletter's items set apart by dashes after its name ("Morning Tech: Shein
            # in the dock — France's parcel tax — Ankara shuts the duty-free door"): a list.
            if len(_DASH_SPLIT_RE.findall(rest)) >= _CJK_LIST_PARTS - 1:
                rest = _DASH_SPLIT_RE.sub("; ", rest)
                listed = True
            # One report's figures set out after it ("PayPal's Q2 by the numbers: $452bn TPV,
            # 438m accounts and a higher EPS range") are no list of events.
            if (
                listed
                and _FIGURES_HEAD_RE.search(head["head"]) is None
                and (
                    _is_listing(rest, headed=True)
                    # "Vinted ID checks, Decathlon data breach and Temu fine: what you need to know"
                    or _is_listing(head["head"], headed=False)
                )
            ):
                return True
    if " + " in title and _is_plus_listing(title):
        return True
    return listed and _is_listing(title, headed=False)


# The head of one report's figures: "Q2 by the numbers", "Rohlik's IPO, in numbers".
_FIGURES_HEAD_RE = re.compile(r"\b(?:by the numbers|in (?:numbers|figures|charts))$", re.IGNORECASE)


def _is_plus_listing(title: str) -> bool:
    """Three or more things joined by a spaced "+", each a phrase of words (a forum post's
    "evri peak surcharge + yodel price rise + royal mail saying no surcharge"), not a firm's
    name ("Kühne + Nagel") or a price's parts ("1.75% + A$0.30")."""
    parts = title.split(" + ")
    return len(parts) >= _CJK_LIST_PARTS and all(
        len(words := _WORD_RE.findall(part)) >= 2 and words[0][0].isalpha() for part in parts
    )


# A week named for an event is not a column's week: "London Fashion Week: ...", "Cyber Week:
# ..." ("Payments week:", "Retail Stocks This Week:" are).
_NAMED_WEEK_RE = re.compile(r"\b(?!(?:This|The|Last|Next)\b)[A-Z][\w'’]* Week\b")


def _is_period_head(head: str, rest: str) -> bool:
    """A column's or a newsletter's issue by its head; not one whose list names nothing
    ("Coupang's worst week: breach, resignation and a regulator at the door" is one
    company's explainer)."""
    if (
        len(head.split()) > _HEAD_WORDS
        or _PERIOD_HEAD_RE.search(head) is None
        or _NAMED_WEEK_RE.search(head) is not None
    ):
        return False
    parts = [part for part in _LIST_SPLIT_RE.split(rest.strip()) if part]
    return len(parts) < 2 or any(_names_something(part) for part in parts)


def _is_listing(text: str, *, headed: bool) -> bool:
    """Whether ``text`` lists three or more subjects' news.

    After a newsletter's or a column's name (``headed``), a list of names is enough ("Retail
    Brew: Inditex, Primark and Amazon's robots"), but not one report going on to list the
    names it involves ("UPI down: Users report failed payments on PhonePe, Google Pay,
    Paytm"). Without a head, every part must say something of its own subject ("DoorDash
    goes south, Vinted buys Depop, and Instacart crosses the Atlantic"): a bare name among
    them is one event's list of companies or places ("Haul opens in Germany, France, Italy
    and Spain", "Shein, Temu and AliExpress face EU probe").
    """
    words = _WORD_RE.findall(text)
    if not words or words[0].lower() in _QUESTION_WORDS:
        return False
    # Every word capitalised: capitals say nothing of names ("Musinsa's IPO Filing: Revenue,
    # Profit and Offline Expansion in Numbers" is one filing's explainer).
    if _title_case(words):
        return False
    if headed:
        parts = [part for part in _LIST_SPLIT_RE.split(text.strip()) if part]
        if len(parts) < 3 or not all(_names_something(part) for part in parts):
            return False
        told = sum(1 for part in parts if _says_something(part))
        return not (_says_something(parts[0]) and told == 1) and not _one_clause(parts)
    parts = _CLAUSE_SPLIT_RE.split(text.strip())
    parts[-1:] = _FINAL_AND_RE.split(parts[-1], maxsplit=1)
    return len(parts) >= 3 and all(
        _capitalised(_WORD_RE.findall(part)[0]) and _says_something(part)
        for part in parts
        if _WORD_RE.search(part)
    )


# A part that ends on a preposition and a name: the list goes on with that preposition's
# objects ("... face removal from Shopee, Lazada, TikTok Shop by July").
_ENDS_ON_OBJECT_RE = re.compile(
    r"\b(?:from|on|to|at|in|by|with|against|for|of|across|including|like|via)"
    r"\s+[^\W\d_][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*)?$"
)


def _one_clause(parts: list[str]) -> bool:
    """Whether a headed list is one sentence's list of names: its first part ends on a
    preposition and a name, and the parts between are bare names ("DTI: Unregistered online
    sellers face removal from Shopee, Lazada, TikTok Shop by July" is one report)."""
    return _ENDS_ON_OBJECT_RE.search(parts[0]) is not None and not any(
        _says_something(part) for part in parts[1:-1]
    )


# A list of clauses: split at commas and semicolons (", and" included), then the last part at
# its "and" ("A, B and C").
_CLAUSE_SPLIT_RE = re.compile(r"\s*[,;]\s+(?:(?:and|&)\s+)?")
_FINAL_AND_RE = re.compile(r"\s+(?:and|&)\s+")


def _names_something(part: str) -> bool:
    """Whether a listed part starts with a name (or an article and then holds one): "Temu
    fined", "eBay's fee flip", "11st sold cheaply", "the InPost outage", "a new store in
    Chile". "price", "and more" and "how to get it" do not."""
    words = _WORD_RE.findall(part)
    if not words:
        return False
    first = words[0]
    if _capitalised(first):
        return True
    return first.lower() in _ARTICLES and any(_capitalised(word) for word in words[1:])


def _capitalised(word: str) -> bool:
    """A name's first word: "Temu", "eBay", "11st", "Żabka" (not "price", "the")."""
    return word[0].isupper() or word[0].isdigit() or (len(word) > 1 and word[1].isupper())


def _says_something(part: str) -> bool:
    """Whether a part says something of its subject (a word that is not a name, or a
    possessive): "Temu fined", "Amazon's mystery record", "Tabby's IPO"; not "Paytm" or
    "Google Pay"."""
    words = _WORD_RE.findall(part)
    return any(
        (not _capitalised(word) and word.lower() not in _ARTICLES)
        or (word.endswith(("'s", "’s")) and word is not words[-1])
        for word in words
    )


def _title_case(words: list[str]) -> bool:
    """Whether every word of four letters or more is capitalised (a Title Case headline)."""
    long = [word for word in words if len(word) >= 4 and word[0].isalpha()]
    return len(long) >= 3 and all(_capitalised(word) for word in long)


# A live blog: "Black Friday live: ..." or "... live | ...", not "Live-Shopping App", nor a
# launch ("Amazon Nigeria Is Live: Naira Prices, Pay On Delivery": the store is open).
_LIVE_RE = re.compile(
    r"(?<!\bis )(?<!\bare )(?<!\bgoes )(?<!\bwent )(?<!\bnow )(?<!\bgo )"
    r"\blive(?: updates| blog)?\s*(?:[:|]|\s[-–—])\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# Live blogs named for a season or a desk follow many events at once.
_LIVE_DESK_RE = re.compile(
    r"\b(?:black friday|cyber monday|cyber week|prime day|singles'? day|double 11|holiday"
    r"|christmas|boxing day|business|markets?|stock markets?|stocks|retail|economy|news)\b"
    r"[\s\d]*$",
    re.IGNORECASE,
)


def _is_live_roundup(title: str) -> bool:
    """A live blog of a season or a desk ("Black Friday live: ..."), or one that lists
    several things ("... live: Royal Mail strike, inflation falls, FedEx results ahead"); one
    that follows one event ("PayPal down live: all the latest as payments fail") is a report
    of it."""
    live = _LIVE_RE.search(title)
    if live is None:
        return False
    rest = live["rest"]
    return "," in rest or ";" in rest or _LIVE_DESK_RE.search(title[: live.start()]) is not None

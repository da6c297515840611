"""Topic tagging: what kind of news an item is (fees, policy, logistics, earnings, ...).

Pure and standard-library only. The table below gives each topic weighted cues (regular
expressions over lower-cased text, matched as whole words) and masks (phrases that look like a
cue but are not one: "I recall", "rocket launch", "criminal charges"). A ``TopicTagger``
compiles every mask and cue of every topic into one regular expression, built once (when the
first item is scored, so that a process that only picks topics by name never builds it), and
runs it over an item in a single pass.

One item goes through these steps::

    title, summary
    | clean       HTML-unescape, drop tags and URLs, NFKC, straight quotes, lower case,
    |             hyphens to spaces, white space to single spaces
    | scan        leftmost match wins; at one position masks are tried first, then longer
    |             cues before shorter ones ("delivery fee" is a fee, not a delivery)
    | score       each cue adds its weight to its topics, TITLE_FACTOR times in the title;
    |             negative weights are context that argues against a topic (a rocket launch)
    | threshold   topics whose score reaches THRESHOLD
    => sorted topic ids (several, or none)

Weights are small integers: a STRONG cue tags an item wherever it appears, a MEDIUM cue in the
title or twice in the summary, a WEAK cue only together with other evidence.

Speed: Python's regex engine skips an alternative cheaply only when it starts with a literal
character, and every capturing group makes every match slower. So the cues are spelled out
into plain phrases where there are few ("fees?" is "fee" and "fees") and put in a trie, as
in the company tagger; the regex has no groups at all, and a match is identified by its text
(or, for the few cues that stay regexes, by trying the ones that share its beginning).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.news.rules.plain_text import fold_typography, plain_for_matching
from bot.news.tagging.word_scan import word_spans

__all__ = [
    "MEDIUM",
    "RULES",
    "STRONG",
    "THRESHOLD",
    "TITLE_FACTOR",
    "TOPICS",
    "WEAK",
    "Cue",
    "Topic",
    "TopicRules",
    "TopicTagger",
]

WEAK = 1
MEDIUM = 2
STRONG = 4
AGAINST = -3 * STRONG  # outweighs any realistic pile of cues
TITLE_FACTOR = 2  # a headline says what the item is about; a summary mentions things in passing
THRESHOLD = 4


@dataclass(frozen=True, slots=True)
class Topic:
    """A kind of news an item can be tagged with."""

    id: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Cue:
    """A phrase that points at (or, with a negative weight, away from) a topic.

    ``pattern`` is a regular expression without capturing groups over lower-cased text in which
    hyphens are spaces and white space is single spaces ("last mile" finds "last-mile"); it is
    matched as whole words, and must start with a character, a class or a group of those.
    """

    pattern: str
    weight: int


@dataclass(frozen=True, slots=True)
class TopicRules:
    """A topic with its cues, its masks, and the words a user may pick it by.

    ``masks`` are patterns whose matches never count as cues of any topic: they shadow a cue
    that starts at the same place or inside them. A mask may end in a lookahead so that it
    hides only a verb ("launches" before "an investigation") and not the words after it.
    """

    topic: Topic
    cues: tuple[Cue, ...]
    masks: tuple[str, ...] = ()
    picker_names: tuple[str, ...] = ()


# --- pattern building blocks ------------------------------------------------------------------

# Bounded repeats only: "1,1,1,..." has a word start at every digit, and an unbounded run from
# each of them would make one long summary take quadratic time.
_MONEY = (
    r"(?:(?:us|a|c|hk|s|r)?[$£€¥₩]\d[\d,.]{0,15}(?: ?(?:k|m|mn|bn|b|million|billion|trillion))?"
    r"|\d[\d,.]{0,15} ?(?:million|billion|m|mn|bn) (?:dollars|euros|pounds|won|yuan|yen|rupees))"
)
_QUARTER = r"(?:q[1-4]|(?:first|second|third|fourth|1st|2nd|3rd|4th) quarter|quarterly|fy ?\d{2,4})"
_CENTRE = r"cent(?:re|er)s?"

_FULFILMENT = r"fulfil(?:l)?ment"
_FEE = r"(?:fees?|surcharges?|commissions?|charges?|levy|levies|tax|taxes|tariffs?|duties)"
_RAISE = (
    r"(?:rais(?:e|es|ed|ing)|hik(?:e|es|ed|ing)|lift(?:s|ed|ing)?|increas(?:e|es|ed|ing)"
    r"|doubl(?:e|es|ed|ing)|tripl(?:e|es|ed|ing)|cut(?:s|ting)?|slash(?:es|ed|ing)?"
    r"|lower(?:s|ed|ing)?|reduc(?:e|es|ed|ing)|drop(?:s|ped|ping)?|scrap(?:s|ped|ping)?)"
)
# Verbs that bring in something new. A company that "introduces a fee" or "launches an
# investigation" has launched nothing; a masked verb leaves the words after it to other cues.
_LEGAL_STEP = (
    r"(?:investigations?|probes?|inquir(?:y|ies)|lawsuits?|legal action|appeals?|crackdowns?"
    r"|reviews? of|consultations?|complaints?)"
)
_NOT_A_LAUNCH = (
    r"(?:introduc(?:e|es|ed|ing)|add(?:s|ed|ing)?|impos(?:e|es|ed|ing))"
    rf"(?= (?:an? |its |a new |new |the )?(?:\w+ ){{0,3}}(?:{_FEE}|{_LEGAL_STEP})\b)",
    r"(?:launch(?:es|ed|ing)?|unveil(?:s|ed|ing)?|roll(?:s|ed|ing)? out|open(?:s|ed|ing)?)"
    rf"(?= (?:an? |its |a new |new |the )?(?:\w+ )?{_LEGAL_STEP}\b)",
    # Building or growing a warehouse is logistics, not a launch of anything shoppers see.
    r"(?:expand(?:s|ed|ing)?|add(?:s|ed|ing)?|open(?:s|ed|ing)?|build(?:s|ing)?|built)"
    r"(?= (?:its |a |an |the |\d{1,6} )?(?:new |more )?(?:\w+ ){0,3}(?:warehouses?"
    rf"|{_FULFILMENT}|hubs?|depots?|distribution|sorting|facilit(?:y|ies)|delivery stations?"
    r"|data cent(?:re|er)s?)\b(?! (?:model|strategy|approach|programmes?|programs?|services?)))",
)

# --- the table ----------------------------------------------------------------------------------

FEES = TopicRules(
    Topic(
        "fees",
        "Fees & pricing",
        "Marketplace and payment fees, commissions, memberships, prices, discounts and"
        " shipping charges.",
    ),
    cues=(
        Cue(
            r"(?:referral|selling|seller|sellers'?|listing|final value|transaction|processing"
            rf"|storage|{_FULFILMENT}|fba|placement|handling|service|subscription|membership"
            r"|delivery|shipping|onboarding|monthly|annual|basic|platform|protection|returns?"
            r"|counter|dispute|chargeback|small order|low inventory level|advertising|ad"
            r"|marketplace|payment|card|checkout|brokerage|buyer) (?:fees?|charges?)",
            STRONG,
        ),
        Cue(rf"{_RAISE} (?:its |their |the |our )?(?:\w+ ){{0,2}}(?:prices?|fees?)", STRONG),
        Cue(rf"{_RAISE} (?:its |their |the )?(?:commissions?|surcharges?)", STRONG),
        Cue(r"commissions|commission (?:rates?|fees?|cuts?|increases?|hikes?)|surcharges?", STRONG),
        # Bare "commission" names a body as often as a fee ("a 50-strong commission will draft
        # a constitution"); it counts only beside other evidence.
        Cue(r"commission", WEAK),
        Cue(
            r"(?:zero|no|low|lower|higher|reduced|flat|free) commission|commission free"
            r"|\d[\d.]{0,4}% commission",
            MEDIUM,
        ),
        Cue(
            r"price (?:rises?|increases?|hikes?|cuts?|wars?|changes?|match(?:es|ing)?|gouging"
            r"|index|tags?|points?|drops?|reductions?|caps?)",
            STRONG,
        ),
        Cue(r"prices? (?:rose|fell|climbed|dropped|jumped|surged|soared|slumped|went up)", STRONG),
        Cue(
            r"(?:dynamic|surge|algorithmic) pricing|pricing (?:algorithms?|strategy|power)", STRONG
        ),
        Cue(r"(?:membership|subscription) (?:price|prices|cost|costs)", STRONG),
        Cue(r"free (?:shipping|delivery|returns)|shipping threshold", STRONG),
        Cue(r"(?:processing|card|shipping|postage|commission) rates?", MEDIUM),
        Cue(r"processing (?:costs?|fees?|rates?)|rate (?:increases?|rises?|hikes?|cuts?)", STRONG),
        Cue(
            r"(?:increase|rise|hike|cut|reduction|jump)s? in (?:\w+ ){0,3}"
            r"(?:rates|prices|fees|commissions?|charges)",
            STRONG,
        ),
        Cue(r"(?:payment|card) processing|\d[\d.]{0,6}% plus", MEDIUM),
        Cue(r"pricing|prices?|priced|fees?|discounts?|markdowns?|take rates?", MEDIUM),
        Cue(r"charg(?:e|es|ing) (?:sellers|merchants|buyers|shoppers|customers|users)", MEDIUM),
        Cue(r"(?:shipping|delivery) (?:costs?|charges?)|cheaper|price", MEDIUM),
        Cue(rf"costs? (?:just |only |about |around )?{_MONEY}", MEDIUM),
        Cue(r"(?:brokerage|handling|customs|extra|hidden|service|new) charges?", MEDIUM),
        # "deal" is an agreement (peace, trade, transfer, supplier); only "deals" are offers.
        Cue(r"charges?|costs? more|deals|savings|black friday|cyber monday|prime day", WEAK),
    ),
    masks=(
        r"(?:criminal|theft|fraud|corruption|antitrust) charges|fac(?:e|es|ed|ing) charges",
        # Agreements, not offers: "transfer deals go through", "signs content deals".
        r"(?:transfer|loan|player|contract|peace|takeover|merger|acquisition|supplier|licensing"
        r"|sponsorship|content|distribution|cloud|chip|partnership|investment|funding|arms"
        r"|broadcast|rights) deals"
        r"|deals (?:go|goes|went|gone) through|(?:strike|strikes|struck|sign|signs|signed|seal"
        r"|seals|sealed|agree|agrees|agreed|close|closes|closed|ink|inks|inked) deals",
        # Football's transfer window, and the price of a footballer or a company.
        r"transfer (?:deadline|window|market|saga|targets?|news|gossip|rumou?rs|talks)",
        r"[$£€¥₩]\d[\d,.]{0,15} ?(?:m|mn|bn|b|million|billion) price tags?",
        # An IPO's price range is a share price, not a shop's.
        r"price ranges?",
        r"charged with|press charges|charges against",
        r"(?:charging|charge) (?:stations?|cables?|ports?)|in charge",
        r"cash on delivery",
    ),
    picker_names=("fees", "pricing", "prices", "price", "commission", "commissions"),
)

POLICY = TopicRules(
    Topic(
        "policy",
        "Policy, tariffs & de minimis",
        "What governments and regulators do: laws, rules, tariffs, customs and de minimis,"
        " taxes, trade measures, bans and investigations.",
    ),
    cues=(
        Cue(r"tariffs?|de ?minimis|customs|duty free|duties", STRONG),
        Cue(
            r"(?:import|customs|anti dumping|countervailing) (?:duty|duties|tax|taxes|vat"
            r"|rules|charges?)",
            STRONG,
        ),
        Cue(
            r"low value (?:\w+ ){0,2}(?:imports?|parcels?|packages?|goods|shipments?|orders?)",
            STRONG,
        ),
        Cue(
            r"digital (?:services|markets) (?:act|tax)|dsa|dma|gdpr|gpsr|inform consumers act",
            STRONG,
        ),
        Cue(r"general product safety regulation", STRONG),
        Cue(r"regulat(?:ors?|ions?|ory)|watchdogs?|legislat(?:ion|ors?|ive)|lawmakers", STRONG),
        Cue(
            r"(?:consumer|competition|market|data|privacy|tax|customs|trade|fair trade) "
            r"(?:authority|authorities|regulators?|agency|watchdogs?|commission)"
            r"|consumer protection (?:rules|laws?|authorit(?:y|ies)|cooperation|regulations?)",
            STRONG,
        ),
        Cue(r"regulatory (?:approval|clearance)|subject to (?:regulatory )?approval", WEAK),
        Cue(r"(?:under|breach(?:es|ed|ing)?|broke|breaking|violat\w+) (?:\w+ ){0,2}rules", MEDIUM),
        Cue(
            r"european (?:commission|parliament)|executive order|(?:trade|finance|commerce)"
            r" (?:ministry|minister|department)|(?:department|ministry) of (?:commerce|trade"
            r"|finance)|treasury",
            STRONG,
        ),
        # Politics at large: a summary that mentions the White House is not yet about a rule
        # for sellers; a headline that names it, or a second mention, is.
        Cue(r"congress|senate|parliament|bundestag|white house", MEDIUM),
        Cue(
            r"ftc|federal trade commission|cpsc|consumer product safety commission|cbp"
            r"|customs and border protection|hmrc|ofcom|cma|competition and markets authority"
            r"|financial conduct authority|fca|sec|samr|data protection (?:authority|regulator)"
            r"|competition (?:authority|regulator|commission)",
            STRONG,
        ),
        Cue(
            r"trade (?:war|wars|deal|deals|policy|talks|tensions|barriers|truce|agreement)"
            r"|export controls|sanctions|loophole|fdi|foreign direct investment",
            STRONG,
        ),
        Cue(r"vat|sales tax|(?:import|digital|value added|income|excise) tax|levy", STRONG),
        Cue(
            r"(?:draft|senate|house|new|the) bill|bill would|law(?:s)? (?:would|requir\w+)", STRONG
        ),
        Cue(r"deemed importer|import vat|tax (?:exemption|relief|rules|nexus)", STRONG),
        Cue(
            r"(?:duty|tax|customs|vat) (?:exemptions?|thresholds?|relief|free threshold)"
            r"|extended producer responsibility|(?:finance|trade|economy) ministers?",
            STRONG,
        ),
        Cue(
            r"by (?:the )?commission|(?:safety|trade|competition|european) commission"
            r"|commission (?:says|said|finds|found|rules|ruled|opens|opened|warns|warned|fines"
            r"|fined|asks|asked|orders|ordered|wants|proposes|proposed|accuses|accused|sends|sent"
            r"|demands|demanded|launches|launched)",
            STRONG,
        ),
        Cue(
            r"government (?:ordered|orders|has ordered|said|says|plans|wants|announced|proposed"
            r"|moved|will)|ordered by the government",
            STRONG,
        ),
        Cue(
            r"(?:new|tighten(?:s|ed|ing)?|tougher|stricter|draft|proposed) (?:\w+ ){0,2}rules",
            MEDIUM,
        ),
        Cue(r"customs (?:brokers?|brokerage|clearance)", STRONG),
        # "agency" alone is as often an ad, talent or search agency ("Agency AI pitches are
        # starting to face harder questions"): it counts only beside other evidence.
        Cue(r"government|authorities|ministry|federal|state law|laws?|tax|taxes", MEDIUM),
        Cue(r"agency", WEAK),
        Cue(
            r"imports?|antitrust|consultations?"
            r"|(?:the|trade|federal trade|competition) commission",
            MEDIUM,
        ),
        Cue(
            # Not "Trump": every political story names him, and his tariffs have their own words.
            r"bans?|banned|banning|compliance|beijing|brussels|probes?|investigations?",
            WEAK,
        ),
    ),
    masks=(
        r"(?:local|wedding|cultural|social|holiday|religious|family|old|regional) customs",
        r"customs (?:and|&) traditions",
        r"duty free (?:shops?|stores?|shopping|retail|retailers?|allowances?)",
        r"(?:job|household|official|care|caring|parental|his|her|their|your|my) duties",
        r"rule of law|law enforcement|law firms?|law schools?|in laws?",
        r"(?:search engine|search|web|google|bing) (?:agency|agencies)",
        r"(?:creative|ad|advertising|media|marketing|digital|design|talent) agenc(?:y|ies)",
    ),
    picker_names=(
        "policy",
        "policies",
        "tariffs",
        "tariff",
        "de minimis",
        "customs",
        "regulation",
        "regulations",
        "government",
        "tax",
        "trade",
    ),
)

LOGISTICS = TopicRules(
    Topic(
        "logistics",
        "Logistics & fulfilment",
        "Warehouses, fulfilment (fulfillment) networks, delivery and the last mile, carriers"
        " and parcels, freight, returns and supply chains.",
    ),
    cues=(
        Cue(rf"warehous(?:e|es|ing)|{_FULFILMENT} (?:{_CENTRE}|network|networks|hubs?)", STRONG),
        Cue(
            rf"{_FULFILMENT} (?:sites?|services?|operations|capacity|programmes?|programs?)", STRONG
        ),
        Cue(rf"fulfill?ed by \w+|multi channel {_FULFILMENT}|{_FULFILMENT} by \w+", STRONG),
        Cue(rf"(?:distribution|sorting|sortation|logistics|delivery|returns) {_CENTRE}", STRONG),
        Cue(r"logistics|last mile|first mile|middle mile|3pl|third party logistics", STRONG),
        Cue(
            r"sorting (?:facilit(?:y|ies)|hubs?|sites?|plants?)|sortation|delivery stations?",
            STRONG,
        ),
        Cue(r"customs (?:brokers?|brokerage|clearance)", STRONG),
        Cue(
            r"(?:postal|post|courier|delivery|warehouse|port|dock|logistics) (?:strikes?|walkouts?"
            r"|workers)",
            STRONG,
        ),
        Cue(
            r"(?:same|next|two|one|2|1) (?:day|hour) (?:delivery|deliveries|shipping)"
            r"|(?:drone|home|rural|parcel|doorstep) deliver(?:y|ies)",
            STRONG,
        ),
        Cue(
            r"deliver(?:y|ies) (?:times?|networks?|routes?|speeds?|drivers?|vans?|partners?"
            r"|costs?|delays?|fleets?|robots?|drones?|windows?)",
            STRONG,
        ),
        Cue(r"shipping (?:delays?|times?|carriers?|networks?|routes?|lanes?)", STRONG),
        Cue(r"couriers?|parcel (?:lockers?|networks?|volumes?|carriers?|services?)", STRONG),
        Cue(
            r"freight|container shipping|port (?:strike|strikes|congestion)|dockworkers"
            r"|reverse logistics|supply chain (?:snarls?|disruptions?|delays?|bottlenecks?)",
            STRONG,
        ),
        Cue(
            r"royal mail|usps|postal service|fedex|dhl|evri|yodel|inpost|parcelforce|ups"
            r"|dpd|gls|hermes|la poste|correios|ninja van|j&t express|cainiao|maersk|msc"
            r"|hapag lloyd|cma cgm|cargo|canada post|australia post|deutsche post|postnl|correos"
            r"|poste italiane",
            MEDIUM,
        ),
        Cue(rf"{_FULFILMENT}|parcels?|packages|deliver(?:y|ies)|carriers?|shipping", MEDIUM),
        Cue(r"lockers?|pick ?up points?|returns handling|inventory placement|stock levels", MEDIUM),
        Cue(
            r"ship(?:s|ped|ping)? (?:orders?|parcels|packages|goods)|air cargo|cargo hubs?", MEDIUM
        ),
        Cue(
            r"(?:shipping|postage|return|usps|ups|fedex|dhl|royal mail) labels?"
            r"|shipments?|restock(?:s|ed|ing)?|return rates?",
            MEDIUM,
        ),
        Cue(r"inventory|supply chains?|fba|returns|containers?|ports?|robots?|drivers?", WEAK),
    ),
    masks=(
        r"parcels? of land",
        r"(?:data|cloud|analytics) warehous(?:e|es|ing)",
        r"warehouse (?:clubs?|stores?|retailers?|chains?)",
        r"(?:start|pop|follow|mark|line|sign|set|check|round|top|close|mock|meet|speed|lock) ups",
        r"ups and downs|ups (?:&|and) downs",
        r"(?:usb|usb c|charging|lightning|hdmi) ports?",
        r"(?:speech|pitch) delivery|deliver(?:y|ies) on (?:its|their|his|her) promises?",
        r"returns? on (?:ad spend|investment|capital|equity)|investment returns"
        r"|(?:total|annual) returns",
    ),
    picker_names=(
        "logistics",
        "fulfilment",
        "fulfillment",
        "logistics & fulfillment",
        "shipping",
        "delivery",
        "warehouses",
        "supply chain",
        "parcels",
    ),
)

EARNINGS = TopicRules(
    Topic(
        "earnings",
        "Earnings & funding",
        "Financial results, revenue and profit, guidance, share moves on results, IPOs,"
        " funding rounds and valuations.",
    ),
    cues=(
        Cue(
            rf"{_QUARTER} (?:revenues?|results|earnings|sales|profits?|loss(?:es)?|numbers)", STRONG
        ),
        Cue(
            rf"(?:revenues?|profits?|sales|earnings|gmv|results) (?:in|for) (?:the )?{_QUARTER}",
            STRONG,
        ),
        Cue(
            r"net (?:income|loss|profit|revenues?|sales)|ebitda|ebit|eps"
            r"|earnings (?:reports?|releases?|calls?|season|beat|miss)",
            STRONG,
        ),
        Cue(
            r"operating (?:income|profits?|loss(?:es)?|margins?)|free cash flow|gross margins?",
            STRONG,
        ),
        Cue(
            r"(?:financial|annual|quarterly|full year|half year|interim) (?:results|report)", STRONG
        ),
        Cue(
            r"(?:beat|beats|beating|miss|misses|missed|missing|tops?|topped|topping)"
            r" (?:analyst |analysts' |wall street )?(?:estimates|forecasts|expectations)"
            r"|analyst estimates",
            STRONG,
        ),
        Cue(
            rf"{_RAISE} (?:its |the |their )?(?:full year |annual |holiday |sales |revenue )?"
            r"(?:guidance|outlook|forecasts?)",
            STRONG,
        ),
        Cue(
            r"(?:full year|annual|holiday|weak|strong|revenue|sales|profit) (?:guidance|outlook)",
            STRONG,
        ),
        Cue(r"(?:annual|full year|sales|revenue|profit|earnings) forecasts?", STRONG),
        Cue(r"(?:comparable|same store|like for like|comp) sales", STRONG),
        Cue(
            r"ipo|ipos|initial public offering|(?:stock market|public|share) listing"
            r"|listing plans|draft papers|go(?:es|ing)? public",
            STRONG,
        ),
        Cue(
            rf"(?:rais(?:e|es|ed|ing)|secur(?:e|es|ed|ing)|clos(?:e|es|ed|ing)|land(?:s|ed)?)"
            rf" (?:a |an )?(?:new )?{_MONEY}",
            STRONG,
        ),
        Cue(
            rf"(?:{_MONEY} |)(?:funding|financing|investment|seed|series [a-f]) rounds?"
            r"|series [a-f]|seed (?:funding|round|money)|venture (?:capital|funding|firm|debt)"
            r"|(?:pre|post) money|valuation|valued at|unicorn",
            STRONG,
        ),
        Cue(
            r"(?:shares|stock) (?:rose|rise|rises|fell|fall|falls|jump(?:s|ed)?|slid|slides?"
            r"|tumbl(?:e|es|ed)|surg(?:e|es|ed)|soar(?:s|ed)?|plung(?:e|es|ed)|rall(?:y|ies|ied)"
            r"|drop(?:s|ped)?|climb(?:s|ed)?|sink(?:s)?|sank|slump(?:s|ed)?)"
            r"|(?:share|stock) price|secondary share sale|dividends?|buybacks?|share repurchases?",
            STRONG,
        ),
        Cue(r"(?:swings?|swung|returns?|returned) to (?:a )?(?:net )?(?:loss|profit)", STRONG),
        Cue(r"narrow(?:s|ed|ing)? (?:its |their )?loss(?:es)?", STRONG),
        Cue(
            r"posts? (?:a |an )?(?:bigger |smaller |wider |narrower |record |surprise |first )?"
            r"(?:annual |quarterly )?(?:profits?|loss(?:es)?|revenues?|results|sales)",
            STRONG,
        ),
        Cue(
            r"(?:revenues?|sales|profits?|income|gmv) (?:grow|grows|grew|rise|rises|rose|fall"
            r"|falls|fell|jump|jumps|jumped|climb|climbs|climbed|drop|drops|dropped|decline"
            r"|declines|declined|increase|increases|increased|up|down) (?:by )?\d[\d.,]{0,15}%?",
            STRONG,
        ),
        Cue(
            r"(?:grew|grows|lifted|boosted|increased|doubled) (?:its |their )?"
            r"(?:revenues?|sales|profits?)|cash flow positive|in (?:q[1-4]|h[12])",
            MEDIUM,
        ),
        Cue(
            r"earnings|revenues?|profits?|profitable|unprofitable|funding|financing|investors?",
            MEDIUM,
        ),
        Cue(
            r"gmv|gms|gross merchandise (?:value|volume|sales)|guidance|fiscal (?:year|\d{4})"
            r"|fy ?\d{2,4}|market (?:cap|capitali[sz]ation)|wall street|stock market",
            MEDIUM,
        ),
        Cue(
            r"(?:sales|revenue|profit) (?:rose|grew|fell|jumped|climbed|dropped|declined"
            r"|increased|decreased|slowed)",
            MEDIUM,
        ),
        Cue(r"quarterly|(?:first|second|third|fourth) quarter|the quarter|q[1-4]:|h[12]:", MEDIUM),
        Cue(r"q[1-4]|results|outlook|forecasts?|analysts?|margins?|losses|shares|backed", WEAK),
        # Revenue as a subject of advice or a split of fees, not a company's results. A cue, not
        # a mask: a mask beginning "revenue " would be tried before "revenue rose 20%" at the
        # same place (the scanner orders a shared beginning by its first branch).
        Cue(
            r"revenue shares?|revenue sharing|revenue strateg(?:y|ies)|revenue streams?"
            r"|revenue models?|revenue opportunit(?:y|ies)|revenue management"
            r"|revenue operations|revenue teams?|revenue leaders?|revenue leaks?",
            -WEAK,
        ),
    ),
    masks=(
        r"(?:driver|drivers'?|worker|workers'?|seller|sellers'?|creator|creators'?|their|his"
        r"|her|your|my|our|potential|hourly|weekly|monthly|average|lost) earnings",
        r"(?:boost|boosting|grow|growing|increase|increasing|drive|driving|maximi[sz]e"
        r"|maximi[sz]ing|more|extra) (?:your |their |our )?(?:revenues?|profits?|sales)",
        r"(?:of )?(?:my|your|our) (?:revenues?|profits?|sales|margins?|earnings)",
        r"(?:search|test|ab test|a/b test|survey|study|poll) results",
        r"non ?profits?|for profit",
        # An insider selling stock is a filing, not a result.
        r"(?:sells?|sold|buys?|bought) \d[\d,.]{0,12} shares",
        r"(?:product|seller|store|item) listings?",
    ),
    picker_names=(
        "earnings",
        "funding",
        "results",
        "financial results",
        "revenue",
        "ipo",
        "investment",
        "fundraising",
        "finance",
    ),
)

LAUNCHES = TopicRules(
    Topic(
        "launches",
        "Launches & expansion",
        "New products, features, services, stores and storefronts, and entries into new"
        " markets and countries.",
    ),
    cues=(
        Cue(r"launch(?:es|ed|ing)? (?:in|into|across|to|for)", STRONG),
        Cue(r"(?:expand(?:s|ed|ing)?|expansion) (?:to|into|in|across)", STRONG),
        Cue(r"(?:open(?:s|ed|ing)?|debuts?|debuted) in", STRONG),
        # People arrive in London and mail lands in an inbox: in a summary, not enough alone.
        Cue(r"(?:arriv(?:e|es|ed|ing)|lands?|landed) in", MEDIUM),
        Cue(
            r"open(?:s|ed)? (?:its |a |an |the )?(?:first|new|flagship|largest|biggest)"
            r" (?:\w+ ){0,3}(?:stores?|shops?|offices?|boutiques?|pop ups?|showrooms?)",
            STRONG,
        ),
        Cue(r"open(?:s|ed)? (?:its |a |an )?(?:\w+ )?(?:stores?|offices?|pop ups?)", MEDIUM),
        Cue(r"open(?:s|ed|ing)? (?:up )?to (?:\w+ )?(?:sellers|merchants|shoppers|brands)", STRONG),
        Cue(r"(?:now|is) available (?:in|to)|(?:goes|went|going|go) live", MEDIUM),
        Cue(r"(?:is|are) now available|now available", MEDIUM),
        Cue(r"com(?:es|ing) to|enter(?:s|ed|ing)|(?:market|country) entry", MEDIUM),
        Cue(
            r"(?:brings?|bringing|brought) (?:\w+ ){1,4}to"
            r"|(?:moves?|push(?:es)?|foray|forays|step) into",
            MEDIUM,
        ),
        Cue(r"pilots?|piloting", MEDIUM),
        Cue(r"trials|trialling|trialing|trying out", MEDIUM),
        Cue(r"tests?|testing|trial", WEAK),
        Cue(r"launch(?:es|ed|ing)?|unveil(?:s|ed|ing)?|debuts?|debuted|rollout|adds", MEDIUM),
        Cue(r"roll(?:s|ed|ing)? out|introduc(?:e|es|ed|ing)|expands?|expanded|expansion", MEDIUM),
        Cue(
            r"new (?:features?|services?|tools?|apps?|marketplaces?|stores?|storefronts?"
            r"|programmes?|programs?|sections?|markets?|private labels?|brands?|apis?"
            r"|capabilit(?:y|ies)|functions?|functionality|offerings?|integrations?)",
            MEDIUM,
        ),
        Cue(r"added|can now|now lets|now allows|beta|first market", WEAK),
        # Rockets and satellites launch too; none of that is commerce.
        Cue(
            r"rockets?|satellites?|orbit|orbital|spacecraft|spacex|nasa|missiles?"
            r"|lift(?:s|ed)? off|liftoff|launch pad",
            AGAINST,
        ),
    ),
    masks=(
        *_NOT_A_LAUNCH,
        r"(?:how to|ready to|time to|want to|plan to|planning to) launch",
        r"launch(?:ing|ed|es)?(?= (?:my|your|our|his|her) )",
        r"launch day (?:jitters|nerves|diary)",
        r"pre launch(?:es|ed|ing)?",
        r"enter(?:s|ed|ing)? (?:administration|talks|into talks|bankruptcy|receivership)",
        r"(?:opens?|opened|opening) up about"
        r"|(?:opens?|opened) (?:an? )?(?:investigation|probe|inquiry)",
        r"(?:mind|eyes|doors?) open",
        r"expands? (?:on|upon)",
        r"(?:expansion|launch) (?:costs|spending|expenses)",
        r"comes? to (?:terms|an end|a head|light|mind)",
        r"brings? (?:the |its |their )?"
        r"(?:total|tally|number|count|loss|losses|revenue|sales|value)",
    ),
    picker_names=(
        "launches",
        "launch",
        "expansion",
        "new markets",
        "new products",
        "openings",
        "rollouts",
    ),
)

LEGAL = TopicRules(
    Topic(
        "legal",
        "Legal & safety",
        "Lawsuits, courts, fines and settlements, counterfeits, fraud and scams, recalls,"
        " product safety and data breaches.",
    ),
    cues=(
        Cue(
            r"lawsuits?|su(?:es|ed|ing)|to sue|class actions?|legal (?:action|battle|fight)", STRONG
        ),
        Cue(
            r"(?:federal|supreme|high|district|appeals|appeal|crown|magistrates'?|regional"
            r"|german|eu|us|uk|french|italian) courts?|court (?:rul\w+|order\w*|case|battle"
            r"|heard|found|said|decision)|judges?|verdict|injunction|jury",
            STRONG,
        ),
        Cue(
            rf"fined|{_MONEY} (?:fines?|penalt(?:y|ies))|fines? of|fac(?:e|es|ed|ing) (?:a )?fine",
            STRONG,
        ),
        Cue(
            r"stolen (?:goods|items|cards?|data)|theft|thieves|shoplift\w*|organi[sz]ed crime",
            STRONG,
        ),
        Cue(r"flammab\w+|catch(?:es)? fire|fire hazard|electric shock", STRONG),
        Cue(
            r"illegal (?:products|goods|items|listings|content)|banned (?:\w+ ){0,2}(?:products"
            r"|items|goods|substances|ingredients|supplements|toys|chemicals)",
            STRONG,
        ),
        Cue(
            r"police|criminals?|gangs?|fail(?:s|ed|ing)? (?:\w+ )?(?:tests|checks|standards)",
            MEDIUM,
        ),
        Cue(r"settl(?:e|es|ed|ing) (?:a |the )?(?:\w+ )?(?:lawsuit|claims?|case|charges)", STRONG),
        Cue(r"settlements?|damages|penalt(?:y|ies) of", STRONG),
        Cue(
            r"counterfeits?|knock ?offs?|fake (?:goods|products|listings|brands?|designer)", STRONG
        ),
        Cue(r"fraud(?:ulent|sters?)?|scams?|scammers?|phishing|spyware|malware|ransomware", STRONG),
        Cue(
            r"recall(?:s|ed|ing)?|product safety|unsafe|hazard(?:s|ous)?|choking|suffocation",
            STRONG,
        ),
        Cue(
            r"safety (?:tests?|standards?|warnings?|risks?|regulators?|authorit(?:y|ies)|rules"
            r"|failures|concerns|issues|alerts?|checks?)|toxic|carcinogen\w*|lead levels",
            STRONG,
        ),
        Cue(
            r"(?:data|security) breach(?:es)?|breach(?:es|ed)?|cyber ?attacks?|hack(?:ed|ers?)",
            STRONG,
        ),
        Cue(r"data leaks?|leaked data|infring(?:e|es|ed|ing|ement)", STRONG),
        Cue(
            r"jailed|sentenced|convicted|arrested|charged with|criminal charges|plead(?:s|ed)?"
            r" guilty|pleaded|prosecut\w+|indicted",
            STRONG,
        ),
        Cue(r"(?:patent|trademark|copyright|legal) (?:disputes?|claims?|case|suits?)", STRONG),
        Cue(r"fines|penalt(?:y|ies)|proceedings|court|ruling|illegal(?:ly)?|unlawful", MEDIUM),
        Cue(r"antitrust|patents?|trademarks?|copyright|fakes?|violat(?:e|es|ed|ion|ions)", MEDIUM),
        Cue(r"accus(?:e|es|ed|ing)|alleg(?:e|es|ed|ing|ations?)|seiz(?:e|es|ed|ing|ures?)", MEDIUM),
        Cue(r"safety|takedowns?|injur(?:y|ies)|fire risk|misleading|hacks?", MEDIUM),
        Cue(
            r"cpsc|consumer product safety commission|(?:serious|severe|fatal) injur(?:y|ies)",
            STRONG,
        ),
        Cue(
            r"warns? (?:parents|consumers|shoppers|buyers|customers|the public)"
            r" (?:about|over|against|not)",
            STRONG,
        ),
        Cue(r"complaints?|privacy|liability|consent|dispute", WEAK),
    ),
    masks=(
        r"(?:i|you|we|they|some|many) (?:may |might |will |'ll |can |could |do )?recall",
        r"(?:he|she|who) (?:still |later |now )?recalls",
        r"recall(?:s|ed)? (?:that|how|when|what|the days|seeing|the time)",
        r"(?:if|as far as) (?:i|you|we) recall|total recall",
        r"(?:brand|ad|advert|advertising|message|unaided|aided) recall|recall rates?",
        r"precision and recall",
        r"brand safety|safety razors?|(?:food|basketball|tennis|court) courts?",
        r"court (?:shoes?|trainers|sneakers|styles?)|courts? (?:the|new|younger|gen)",
        r"(?:growth|life|seo|productivity|marketing|pricing) hacks?",
        r"(?:customer|reduce|reducing|fewer) complaints",
        r"fake it|fake (?:tan|fur|plants?|eyelashes|lashes|nails)",
        r"settl(?:e|es|ed|ing) (?:in|into|down|on|for)|(?:the )?dust settles",
        r"(?:payment|payments|card|instant|daily|faster|cash) settlements?",
        r"(?:data|lending|credit|buyer|ad|sell) judges?|judged?(?:s|d)? by",
    ),
    picker_names=(
        "legal",
        "safety",
        "legal and safety",
        "lawsuits",
        "courts",
        "fines",
        "recalls",
        "counterfeits",
        "fraud",
        "scams",
        "data breaches",
    ),
)

RULES: tuple[TopicRules, ...] = (FEES, POLICY, LOGISTICS, EARNINGS, LAUNCHES, LEGAL)
TOPICS: tuple[Topic, ...] = tuple(rules.topic for rules in RULES)

# --- compiling and running ----------------------------------------------------------------------

# Title and summary are joined with a character no pattern matches, so that no phrase runs from
# the end of the title into the summary.
_JOIN = " | "
_CLOSE = 0.6  # difflib's usual cut-off for "close enough" in suggestions
_AND_RE = re.compile(r"&|\band\b")


def _clean(text: str) -> str:
    """Plain, normalised, lower-cased text to match against."""
    text = plain_for_matching(text)
    # Hyphens become spaces and every run of white space one space, so that a pattern's space
    # is a plain character ("last mile" finds "last-mile" and "last  mile") and the regex stays
    # a trie. str.replace, not str.translate with a table: the same text, and translate looks
    # up every character (it was a tenth of the topic tagger's CPU on the ingest corpus).
    return " ".join(text.lower().replace("-", " ").split())


def _pick_key(text: str) -> str:
    """What a user's spelling of a topic and ours have in common ("Fees & pricing")."""
    folded = fold_typography(text).casefold()
    # "Fees & pricing", "fees and pricing" and "fees, pricing" are one name.
    folded = _AND_RE.sub(" ", folded)
    return "".join(char for char in folded if char.isalnum())


_Effects = tuple[tuple[int, int], ...]  # (topic index, weight) pairs; () for a mask
# The compiled table's parts are NamedTuples, not dataclasses: every CLI command imports this
# module, and making a frozen dataclass costs ~1.5 ms at import against ~0.2 ms for a NamedTuple.


class _Rest:
    """A branch's regex after its literal beginning, compiled the first time a match needs it.

    Only a match that a plain phrase cannot explain needs one (see ``TopicTagger._which``):
    compiling all of them up front would cost more than most processes ever use.
    """

    __slots__ = ("_regex", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._regex: re.Pattern[str] | None = None

    def match(self, text: str, start: int) -> re.Match[str] | None:
        return self.regex().match(text, start)

    def regex(self) -> re.Pattern[str]:
        regex = self._regex
        if regex is None:
            # Threads racing here compile the same pattern; either result will do.
            regex = self._regex = re.compile(self.source)
        return regex


_Candidate = tuple[int, _Rest | None, _Effects]  # (priority, regex rest or None, effects)


class _Matcher(NamedTuple):
    """A table's compiled form: the one regex, and what each of its matches counts."""

    regex: re.Pattern[str]  # the character before a phrase, then the phrase
    sure: dict[str, _Effects]  # phrases whose match can only be that phrase's branch
    phrases: dict[str, tuple[int, _Effects]]  # every plain phrase: first priority, effects
    patterned: dict[str, list[_Candidate]]  # literal beginning: branches with a regex rest
    # A matched phrase's candidate branches in the order they are tried (see ``_which``): they
    # depend on the phrase alone, and the same phrases come up item after item.
    ordered: dict[str, tuple[_Candidate, ...]]


class _Leaf(NamedTuple):
    """Where a branch's literal beginning ends: the rest of its pattern and what it counts."""

    priority: int  # lower wins when two branches match at one position
    rest: str  # "" when the branch is a plain phrase


class _Node:
    """A trie of literal beginnings, each path ending in leaves."""

    __slots__ = ("best", "children", "leaves")

    def __init__(self, best: int) -> None:
        self.best = best  # the lowest priority in this subtree
        self.children: dict[str, _Node] = {}
        self.leaves: list[_Leaf] = []

    def add(self, prefix: str, leaf: _Leaf) -> None:
        node = self
        for char in prefix:
            node.best = min(node.best, leaf.priority)
            node = node.children.setdefault(char, _Node(leaf.priority))
        node.best = min(node.best, leaf.priority)
        node.leaves.append(leaf)

    def pattern(self) -> str:
        """This subtree as a regex without capturing groups.

        Alternatives go in priority order (a subtree by its best leaf), so that at one position
        a mask still beats a cue and a longer cue a shorter one that shares its beginning.
        """
        items: list[tuple[int, str, _Node | _Leaf]] = [
            *((child.best, char, child) for char, child in self.children.items()),
            *((leaf.priority, "", leaf) for leaf in self.leaves),
        ]
        items.sort(key=lambda item: (item[0], item[1]))
        alternatives = []
        for _, char, item in items:
            if isinstance(item, _Node):
                alternatives.append(re.escape(char) + item.pattern())
            else:
                alternatives.append(f"(?:{item.rest})" if item.rest else "")
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"


class TopicTagger:
    """Tags items with topics, and lets users pick a topic by what they type.

    Build it once (``TopicTagger.default()`` for the shipped table); it is immutable and safe to
    share between tasks and threads.
    """

    def __init__(
        self,
        rules: Sequence[TopicRules] = RULES,
        *,
        threshold: int = THRESHOLD,
        title_factor: int = TITLE_FACTOR,
        check_patterns: bool = True,
    ) -> None:
        """Check and compile ``rules``; raises ValueError if the table is malformed.

        ``check_patterns=False`` leaves checking the patterns, and compiling them, to the first
        item scored; names, weights and duplicates are still checked here. ``default()`` builds
        the shipped table that way (the tests check it), so that a process that only looks
        topics up by name (``shopwire latest --topic fees``) never compiles it.
        """
        ids = [r.topic.id for r in rules]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate topic ids in the topic table")
        if threshold <= 0:
            raise ValueError("the threshold must be positive")
        self._topics = tuple(r.topic for r in rules)
        self._by_id = {topic.id: topic for topic in self._topics}
        self._threshold = threshold
        self._title_factor = title_factor

        masks: dict[str, None] = {}
        cues: dict[str, dict[int, int]] = {}
        first_seen: dict[str, int] = {}
        unchecked: list[tuple[str, str]] = []
        for index, r in enumerate(rules):
            for mask in r.masks:
                if check_patterns:
                    _check_pattern(mask, r.topic.id)
                else:
                    unchecked.append((mask, r.topic.id))
                masks.update(dict.fromkeys(_branches(mask)))
            for cue in r.cues:
                if check_patterns:
                    _check_pattern(cue.pattern, r.topic.id)
                else:
                    unchecked.append((cue.pattern, r.topic.id))
                if cue.weight == 0:
                    raise ValueError(f"cue {cue.pattern!r} of {r.topic.id!r} has no weight")
                for branch in _branches(cue.pattern):
                    # The same phrase may count for several topics ("antitrust"): one branch.
                    per_topic = cues.setdefault(branch, {})
                    if index in per_topic:
                        raise ValueError(f"cue {branch!r} twice in {r.topic.id!r}")
                    per_topic[index] = cue.weight
                    first_seen.setdefault(branch, len(first_seen))
        # At one position the regex takes the first branch that matches: masks before cues,
        # and among cues the longer branch first, so that the more specific reading wins
        # ("shipping costs" before "shipping").
        self._ordered: tuple[tuple[str, _Effects], ...] = (
            *((mask, ()) for mask in masks),
            *(
                (branch, tuple(sorted(cues[branch].items())))
                for branch in sorted(cues, key=lambda b: (-len(b), first_seen[b]))
            ),
        )
        self._unchecked = tuple(unchecked)
        # Checked now, a table's patterns are compiled now too: a branch that does not start
        # with a known character is refused by the constructor, as a bad pattern is.
        self._matcher = self._compile() if check_patterns else None
        self._pick, self._labels = self._build_picker(rules)

    def _compiled(self) -> _Matcher:
        matcher = self._matcher
        if matcher is None:
            # Threads racing here compile the same table; either result will do.
            matcher = self._matcher = self._compile()
        return matcher

    def _compile(self) -> _Matcher:
        for pattern, topic_id in self._unchecked:
            _check_pattern(pattern, topic_id)
        # Python's regex engine passes over a branch cheaply only when it starts with a
        # literal, so the branches go into a trie of their literal beginnings (as in the
        # company tagger): a word start follows one path instead of trying ~500 branches.
        root = _Node(0)
        literal: dict[str, tuple[int, _Effects]] = {}
        patterned: dict[str, list[_Candidate]] = {}
        for priority, (branch, found) in enumerate(self._ordered):
            paths = _literal_paths(branch)
            if paths is None:
                raise ValueError(f"pattern {branch!r} does not start with a known character")
            for prefix, rest in paths:
                root.add(prefix, _Leaf(priority, rest))
                if rest:
                    compiled = _Rest(rf"{re.escape(prefix)}(?:{rest})(?!\w)")
                    patterned.setdefault(prefix, []).append((priority, compiled, found))
                elif prefix not in literal:  # else a branch before this one has the phrase
                    literal[prefix] = (priority, found)
        # The regex has no capturing groups (each would slow down every match), so a match is
        # known by its text: a literal phrase directly, unless a branch with a regex rest that
        # comes before it could match the same text (the mask "launching" before "my").
        sure = {
            phrase: found
            for phrase, (priority, found) in literal.items()
            if not any(
                first < priority
                for end in range(1, len(phrase) + 1)
                for first, _, _ in patterned.get(phrase[:end], ())
            )
        }
        # A non-word character, then the phrases: ``word_spans`` finds what ``(?<!\w)`` in
        # front of them would, for less (see ``word_scan``).
        regex = re.compile(rf"\W{root.pattern()}(?!\w)")
        return _Matcher(regex=regex, sure=sure, phrases=literal, patterned=patterned, ordered={})

    def compile_all(self) -> None:
        """Compile the table now, with the branch regexes otherwise compiled when first needed.

        For a process that forks workers which will tag many items (the parser pool's
        forkserver): each worker would otherwise compile the same patterns again.
        """
        for candidates in self._compiled().patterned.values():
            for _, rest, _ in candidates:
                if rest is not None:
                    rest.regex()

    @classmethod
    def default(cls) -> TopicTagger:
        """The tagger for the shipped topic table, built on first use and then shared."""
        return _default_tagger()

    def topics(self) -> tuple[Topic, ...]:
        """Every topic, in display order."""
        return self._topics

    def topic(self, topic_id: str) -> Topic | None:
        """The Topic for an id, or None if the id is unknown."""
        return self._by_id.get(topic_id)

    def scores(self, title: str, summary: str = "") -> dict[str, int]:
        """Each topic's score for an item (for explaining and tuning; ``tag`` applies the cut)."""
        totals = self._score(title, summary)
        return {topic.id: total for topic, total in zip(self._topics, totals, strict=True)}

    def tag(self, title: str, summary: str = "") -> tuple[str, ...]:
        """The ids of the topics an item is about, sorted; an item may have several or none."""
        totals = self._score(title, summary)
        threshold = self._threshold
        return tuple(
            sorted(
                topic.id
                for topic, total in zip(self._topics, totals, strict=True)
                if total >= threshold
            )
        )

    def _score(self, title: str, summary: str) -> list[int]:
        title = _clean(title)
        text = f"{title}{_JOIN}{_clean(summary)}" if summary else title
        title_end = len(title)
        totals = [0] * len(self._topics)
        factor = self._title_factor
        matcher = self._compiled()
        sure = matcher.sure
        for start, end in word_spans(matcher.regex, text, " "):
            found = sure.get(text[start:end])
            if found is None:
                found = _which(matcher, text, start, end)
            if not found:
                continue  # a mask
            times = factor if start < title_end else 1
            for topic, weight in found:
                totals[topic] += weight * times
        return totals

    # --- picking a topic by what a user types -----------------------------------------------

    def _build_picker(
        self, rules: Sequence[TopicRules]
    ) -> tuple[dict[str, Topic], tuple[tuple[Topic, tuple[str, str], tuple[str, ...]], ...]]:
        owners: dict[str, set[str]] = {}
        labels: list[tuple[Topic, tuple[str, str], tuple[str, ...]]] = []
        for r in rules:
            names = (r.topic.id, r.topic.name, *r.picker_names)
            for name in names:
                if not _pick_key(name):
                    raise ValueError(f"topic {r.topic.id!r} has an empty name or picker name")
            # The name's own words pick it too ("tariffs", "pricing"), unless they are filler.
            words = [
                w for w in re.split(r"[\s,&]+", r.topic.name) if len(w) > 2 and w.lower() != "and"
            ]
            keys = tuple(dict.fromkeys(k for t in (*names, *words) if (k := _pick_key(t))))
            labels.append((r.topic, (_pick_key(r.topic.id), _pick_key(r.topic.name)), keys))
            for key in keys:
                owners.setdefault(key, set()).add(r.topic.id)
        # An ambiguous label picks nothing rather than a guess; ids and names always pick.
        pick = {key: self._by_id[next(iter(ids))] for key, ids in owners.items() if len(ids) == 1}
        for topic in self._topics:
            pick[_pick_key(topic.id)] = topic
            pick[_pick_key(topic.name)] = topic
        return pick, tuple(labels)

    def resolve(self, text: str) -> Topic | None:
        """The topic a user means by ``text``, or None.

        Case-insensitive; accepts an id ("fees"), a name ("Fees & pricing", "fees and
        pricing") or a word for it ("tariffs", "de minimis", "legal", "fulfillment"); a plural
        or singular the table does not list is tried too.
        """
        key = _pick_key(text)
        if not key:
            return None
        topic = self._pick.get(key)
        if topic is None:
            other = key[:-1] if key.endswith("s") else key + "s"
            topic = self._pick.get(other)
        return topic

    def suggest(self, text: str, limit: int = 25) -> tuple[Topic, ...]:
        """Topics for an autocomplete list: prefix matches, then substrings, then near misses.

        An empty ``text`` lists every topic in display order. At most ``limit`` are returned.
        """
        if limit <= 0:
            return ()
        query = _pick_key(text)
        if not query:
            return self._topics[:limit]
        ranked: list[tuple[int, int, Topic]] = []
        for order, (topic, own, keys) in enumerate(self._labels):
            if any(key.startswith(query) for key in own):
                tier = 0
            elif any(key.startswith(query) for key in keys):
                tier = 1
            elif any(query in key for key in keys):
                tier = 2
            else:
                continue
            ranked.append((tier, order, topic))
        ranked.sort(key=lambda row: row[:2])
        chosen = [topic for _, _, topic in ranked]
        if len(chosen) < limit:
            # Near misses ("tarrifs", "logistcs"), best first.
            matcher = difflib.SequenceMatcher()
            matcher.set_seq2(query)
            scored: list[tuple[float, int, Topic]] = []
            for order, (topic, _, keys) in enumerate(self._labels):
                if topic in chosen:
                    continue
                best = 0.0
                for key in keys:
                    matcher.set_seq1(key)
                    if matcher.real_quick_ratio() >= _CLOSE and matcher.quick_ratio() >= _CLOSE:
                        best = max(best, matcher.ratio())
                if best >= _CLOSE:
                    scored.append((-best, order, topic))
            scored.sort(key=lambda row: row[:2])
            chosen += [topic for _, _, topic in scored]
        return tuple(chosen[:limit])


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` ("a|b(?:c|d)" gives "a" and "b(?:c|d)")."""
    branches: list[str] = []
    depth = start = 0
    in_class = escaped = False
    for position, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(pattern[start:position])
            start = position + 1
    branches.append(pattern[start:])
    return branches


def _closing(pattern: str, start: int) -> int:
    """The index of the bracket that closes the "(" or "[" at ``start``."""
    depth = 0
    in_class = escaped = False
    for position in range(start, len(pattern)):
        char = pattern[position]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            if char == "]":
                if pattern[start] == "[":
                    return position
                in_class = False
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position
    raise ValueError(f"unbalanced brackets in {pattern!r}")


def _class_chars(body: str) -> str | None:
    """The characters of a simple character class body ("$£€", "a-z", "\\d"), else None."""
    if body.startswith("^"):
        return None
    chars: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char == "\\":
            escaped = body[position + 1 : position + 2]
            if escaped == "d":
                chars.extend("0123456789")
            elif escaped and not escaped.isalnum():
                chars.append(escaped)
            else:
                return None
            position += 2
        elif body[position + 1 : position + 2] == "-" and position + 2 < len(body):
            chars.extend(chr(code) for code in range(ord(char), ord(body[position + 2]) + 1))
            position += 3
        else:
            chars.append(char)
            position += 1
    return "".join(dict.fromkeys(chars))


_HEADS_LIMIT = 200  # expansions of one branch; more means the table wants rewriting


def _heads(pattern: str) -> list[tuple[str, str]] | None:
    """Each character ``pattern`` can start with, and the pattern that must follow it.

    Leading non-capturing groups are distributed ("(?:a|b)c" gives a+"c" and b+"c"), optional
    parts split into with and without (("", "") where the pattern may end: "s?" gives ("s", "")
    and ("", "")), classes into their characters. None if the start is anything else (a
    lookaround, ".", "\\w", a "*" or "{}" quantifier, an empty branch).
    """
    if not pattern:
        return None
    char = pattern[0]
    if char == "(":
        if not pattern.startswith("(?:"):
            return None
        end = _closing(pattern, 0)
        inner, after = pattern[3:end], pattern[end + 1 :]
        quantifier = after[:1]
        if quantifier in ("*", "+", "{"):
            return None
        if quantifier == "?":
            after = after[1:]
            candidates = [*(branch + after for branch in _branches(inner)), after]
        else:
            candidates = [branch + after for branch in _branches(inner)]
        heads: list[tuple[str, str]] = []
        for candidate in candidates:
            found = _heads(candidate) if candidate else [("", "")]
            if found is None or len(heads) + len(found) > _HEADS_LIMIT:
                return None
            heads.extend(found)
        return heads
    if char == "[":
        end = _closing(pattern, 0)
        chars = _class_chars(pattern[1:end])
        atom, after = pattern[: end + 1], pattern[end + 1 :]
    elif char == "\\":
        escaped = pattern[1:2]
        atom, after = pattern[:2], pattern[2:]
        chars = "0123456789" if escaped == "d" else None if escaped.isalnum() else escaped
    elif char in ".^$|)?*+{":
        return None
    else:
        chars, atom, after = char, char, pattern[1:]
    if not chars:
        return None
    quantifier = after[:1]
    if after[1:2] == "?" and quantifier in ("?", "+"):
        return None  # lazy quantifiers: none in the table, and not worth the cases
    if quantifier == "?":
        rest = _heads(after[1:]) if after[1:] else [("", "")]
        if rest is None:
            return None
        return [*((c, after[1:]) for c in chars), *rest]
    if quantifier == "+":
        return [(c, atom + "*" + after[1:]) for c in chars]
    if quantifier in ("*", "{"):
        return None
    return [(c, after) for c in chars]


_PATHS_LIMIT = 64  # phrases one branch may spell out in full; beyond that it stays a regex


def _literal_paths(pattern: str) -> list[tuple[str, str]] | None:
    """``pattern`` as (literal beginning, rest of the pattern) pairs, or None if none.

    A branch that spells out as at most ``_PATHS_LIMIT`` plain phrases becomes those phrases
    ("fees?" gives ("fee", "") and ("fees", "")). Any other keeps a regex rest, after its
    first character and as many further characters as are certain ("ship\\w+" gives ("ship",
    "\\w+")); a match of such a branch is told apart afterwards, by ``TopicTagger._which``.
    """
    phrases = _spell_out(pattern)
    if phrases is not None:
        return [(phrase, "") for phrase in phrases]
    heads = _heads(pattern)
    if heads is None or any(not char for char, _ in heads):
        return None
    paths: dict[tuple[str, str], None] = {}
    for prefix, rest in heads:
        while rest:
            more = _heads(rest)
            if more is None or len(more) != 1 or not more[0][0]:
                break
            prefix, rest = prefix + more[0][0], more[0][1]
        paths[(prefix, rest)] = None
    return list(paths)


def _spell_out(pattern: str) -> list[str] | None:
    """Every phrase ``pattern`` matches, if it matches at most ``_PATHS_LIMIT`` of them."""
    pending = [("", pattern)]
    phrases: dict[str, None] = {}
    while pending:
        prefix, rest = pending.pop()
        if not rest:
            phrases[prefix] = None
            continue
        heads = _heads(rest)
        if heads is None or len(phrases) + len(pending) + len(heads) > _PATHS_LIMIT:
            return None
        pending.extend((prefix + char, after) for char, after in heads)
    if "" in phrases:
        return None  # the pattern may match nothing at all
    return list(phrases)


def _check_pattern(pattern: str, topic_id: str) -> None:
    """Refuse a pattern that would break the combined regex or match nothing in particular."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"bad pattern {pattern!r} in {topic_id!r}: {error}") from None
    if compiled.groups:
        raise ValueError(f"pattern {pattern!r} in {topic_id!r} has a capturing group")
    if compiled.fullmatch(""):
        raise ValueError(f"pattern {pattern!r} in {topic_id!r} matches the empty string")
    if re.sub(r"\\.", "", pattern) != re.sub(r"\\.", "", pattern).lower():
        raise ValueError(f"pattern {pattern!r} in {topic_id!r} is not lower case")


def _which(matcher: _Matcher, text: str, start: int, end: int) -> _Effects:
    """What the branch that matched ``text[start:end]`` counts: the first that fits."""
    phrase = text[start:end]
    candidates = matcher.ordered.get(phrase)
    if candidates is None:
        candidates = _candidates(matcher, phrase)
        if len(matcher.ordered) >= _MAX_ORDERED:
            matcher.ordered.clear()  # a bound for a long-lived process; refilled as it goes
        matcher.ordered[phrase] = candidates
    for _, rest, found in candidates:
        if rest is None:
            return found
        match = rest.match(text, start)
        if match and match.end() == end:
            return found
    return ()  # unreachable while the regex and the branches agree


_MAX_ORDERED = 20_000
"""Matched phrases whose candidate branches a matcher keeps (``_Matcher.ordered``)."""


def _candidates(matcher: _Matcher, phrase: str) -> tuple[_Candidate, ...]:
    """The branches that could have matched ``phrase``, first priority first."""
    candidates: list[_Candidate] = [
        entry
        for size in range(1, len(phrase) + 1)
        for entry in matcher.patterned.get(phrase[:size], ())
    ]
    if phrase in matcher.phrases:
        priority, found = matcher.phrases[phrase]
        candidates.append((priority, None, found))
    candidates.sort(key=lambda entry: entry[0])
    return tuple(candidates)


@functools.cache
def _default_tagger() -> TopicTagger:
    # The shipped table is checked by the tests (tests/news/test_topics.py builds it with every
    # check); here its patterns are checked and compiled when the first item is scored.
    return TopicTagger(RULES, check_patterns=False)

"""The story clusterer's vocabulary (``bot.news.stories.lexicon``): every word of it is read,
means one thing, and reports of one event in different words, phrases or languages meet."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from bot.news.stories import StoryItem
from bot.news.stories.features import Featurizer
from bot.news.stories.lexicon import _EVENT_GROUPS, EVENT_PHRASES, SYNONYM_GROUPS
from bot.news.stories.model import StoryConfig
from bot.news.stories.wording import (
    STOPWORDS,
    SYNONYMS,
    event_tokens,
    fold,
    is_cjk,
    stem,
    tokens,
)


def _meaning(word: str) -> str:
    found = stem(word.lower())
    return SYNONYMS.get(found, found)


def test_no_word_stands_for_two_groups() -> None:
    heads: dict[str, set[str]] = defaultdict(set)
    for group in SYNONYM_GROUPS:
        for word in group.split():
            heads[stem(word)].add(stem(group.split()[0]))
    assert {word: found for word, found in heads.items() if len(found) > 1} == {}


def test_every_event_word_is_read_as_one_word() -> None:
    # A word the tokenizer splits, or a stop word, would never be looked up; a CJK word is
    # read as character pairs, so only a pair can match.
    for group in _EVENT_GROUPS:
        for word in group.split():
            if is_cjk(word):
                assert len(word) == 2, word
            else:
                # (accents dropped: the tables hold both spellings)
                assert tokens(word) == [fold(word.lower())], word
                assert word not in STOPWORDS and len(word) >= 3, word


def test_event_words_of_many_languages_meet() -> None:
    same = [
        ("recall", "Rückruf", "rappel", "召回", "리콜"),
        ("layoffs", "Stellenabbau", "esuberi", "PHK", "裁員", "해고"),
        ("bankruptcy", "Insolvenz", "faillite", "quiebra", "falência", "破产", "파산"),
        ("merger", "Fusion", "fusão", "fuzja", "合并", "합병"),
        ("resigns", "Rücktritt", "démissionne", "dimite", "istifa", "辞任", "사임"),
        ("outage", "Ausfall", "panne", "gangguan", "障害", "장애"),
        ("counterfeit", "fakes", "Fälschungen", "contrefaçon", "假货", "짝퉁"),
        ("refund", "Rückerstattung", "remboursement", "reembolso", "退款", "환불"),
        ("approves", "Genehmigung", "aprobación", "批准", "승인"),
        ("fell", "plunges", "Einbruch", "desploma", "下跌", "하락"),
        ("profits", "Gewinne", "lucros", "利润"),
        ("boycott", "Boykott", "boicot", "抵制", "불매"),
    ]
    for words in same:
        assert len({_meaning(word) for word in words}) == 1, words


def test_words_of_two_senses_stay_apart() -> None:
    # "cut" (jobs or fees), "commission" (a fee or the European Commission), "deal" (an
    # acquisition or a discount) and "listing" (an IPO or a product page) join nothing.
    for word in ("cut", "commission", "deal", "listing", "sale", "close"):
        assert _meaning(word) == stem(word), word
    assert _meaning("layoffs") != _meaning("fees") != _meaning("acquisition")


def _read(text: str) -> set[str]:
    """The words a text's phrases and words are read as."""
    return {_meaning(token) for token in event_tokens(text)}


def test_event_phrases_read_as_the_word_of_their_group() -> None:
    phrases = {
        "ipo": [
            "Klarna goes public on the NYSE",
            "Shein files for Hong Kong listing",
            "Shein weighs a listing in London",
            "Klarna's Nasdaq debut",
            "Deliveroo's initial public offering",
            "Zalando geht an die Börse",
        ],
        "acquire": [
            "Walmart snaps up Vizio",
            "DoorDash takes over Wolt",
            "Bain buys out the founders",
            "KKR takes Walgreens private",
        ],
        "layoff": [
            "Amazon to cut 14,000 corporate jobs",
            "Shopify cuts 20% of its workforce",
            "Ocado lays off warehouse staff",
            "Wayfair job cuts",
            "Zalando streicht 500 Stellen",
            "Amazon sa thải nhân viên",
            "Nike sacks 300 staff",
        ],
        "resign": ["Etsy CEO steps down", "Chef tritt zurück"],
        "strike": ["Royal Mail staff walk out", "Industrial action at Royal Mail"],
        "bankruptcy": [
            "Wilko goes into administration",
            "Forever 21 files for Chapter 11",
            "Casino: dépôt de bilan",
        ],
        "slash": ["Target cuts prices on 5,000 items", "Walmart price cuts"],
        "shutdown": [
            "Amazon shuts down Fresh",
            "Target to close nine stores",
            "Wish ceases trading",
        ],
        "exit": ["Amazon pulls out of the Australian market"],
        "launch": ["Temu rolls out local warehouses"],
        "approve": ["EU clears the Adevinta deal", "Regulators give the green light"],
        "miss": ["Profit falls short of forecasts"],
        "refund": ["Shoppers get their money back"],
        "appoint": ["Etsy names Kruti Patel Goyal as CEO", "Ocado named its next chief executive"],
        "funding": ["Temu raises $2bn", "Startup closes Series B round"],
        "divest": ["eBay spins off PayPal"],
        "outage": ["Shopify goes offline"],
        "recall": ["Target pulls the kettles from shelves"],
    }
    for word, texts in phrases.items():
        for text in texts:
            assert _meaning(word) in _read(text), text


def test_words_that_only_place_a_phrase_still_count_and_look_alikes_are_left() -> None:
    assert {"jobs", "14"} <= set(event_tokens("Amazon to cut 14,000 jobs"))
    assert {"hong", "kong"} <= set(event_tokens("Shein files for Hong Kong listing"))
    assert _meaning("acquire") not in _read("Andy Jassy takes over as CEO")
    assert _meaning("ipo") not in _read("A product listing on Amazon")
    assert _meaning("layoff") not in _read("Amazon cuts delivery fees")
    assert _meaning("slash") not in _read("Amazon cuts 14,000 jobs")
    assert event_tokens("Amazon opens a warehouse in Lyon") == tokens(
        "Amazon opens a warehouse in Lyon"
    )
    assert {"walgreens", "private"} <= set(event_tokens("KKR takes Walgreens private"))
    assert _meaning("funding") not in _read("Xbox Series X launch")
    assert _meaning("funding") not in _read("Amazon raises prices")


def test_every_phrase_has_a_group_and_its_hints_are_words() -> None:
    heads = {stem(group.split()[0]) for group in SYNONYM_GROUPS}
    for word, hints, _ in EVENT_PHRASES:
        assert stem(word) in heads, word
        for hint in hints.split():
            assert tokens(hint) == [fold(hint)], hint


def test_a_phrase_gives_the_item_its_groups_feature() -> None:
    config = StoryConfig()
    featurizer = Featurizer(config)
    now = datetime(2026, 12, 6, tzinfo=UTC)
    went = featurizer.extract(StoryItem(1, "Klarna went public on Wednesday", "", "AP", now, ()))
    ipo = featurizer.extract(StoryItem(2, "Klarna IPO on Wednesday", "", "AP", now, ()))
    assert set(went.counts) == set(ipo.counts)


def test_ascii_text_reads_phrases_as_the_case_blind_patterns_do() -> None:
    # ASCII text is matched lower-cased against patterns without IGNORECASE (twice as fast):
    # every phrase, in any case, must be read as the case-blind patterns read it.
    import re

    blind = [(word, re.compile(rf"\b(?:{p})\b", re.IGNORECASE)) for word, _, p in EVENT_PHRASES]

    def reference(text: str) -> list[str]:
        for word, pattern in blind:
            text = pattern.sub(word, text)
        return tokens(text)

    samples = [
        "Acme GOES PUBLIC in Hong Kong; Price Cuts follow as it Lays Off 500 Workers",
        "Zalando Steps Down from the deal after it was Taken Over, shares Listed on NYSE",
        "CEO stepped down. Rival Took It Private and Slashed 1,200 JOBS",
    ]
    for _, hints, _ in EVENT_PHRASES:
        for hint in hints.split():
            if hint.isascii():
                samples.append(f"{hint.upper()} off {hint.title()} out {hint} up 5% of its staff")
    for text in samples:
        assert event_tokens(text) == reference(text), text

"""The story clusterer's vocabulary (``bot.news.stories.lexicon``): every word of it is read,
means one thing, and reports of one event in different words or languages meet."""

from __future__ import annotations

from collections import defaultdict

from bot.news.stories.lexicon import _EVENT_GROUPS, SYNONYM_GROUPS
from bot.news.stories.wording import STOPWORDS, SYNONYMS, is_cjk, stem, tokens


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
                assert tokens(word) == [word.lower()], word
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

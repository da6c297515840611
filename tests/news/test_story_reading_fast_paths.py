"""Text reading's fast paths against the general code they stand in for: the same tokens and
names on every text (a speed change must change nothing an item's features say)."""

from __future__ import annotations

import random
import string
from collections import Counter

from bot.news.stories import keyterms, wording
from tests.news import story_corpus


def _ascii_texts() -> list[str]:
    rng = random.Random(8)
    # Letters, digits, the token joiners and what stands around words in headlines.
    alphabet = string.ascii_letters + string.digits + " .'&-_,;:!?$%()[]\"\n\t|/#*~"
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 80))) for _ in range(3000)]
    items = [labelled.item for labelled in story_corpus.load()]
    texts += [text for item in items for text in (item.title, item.summary) if text.isascii()]
    return texts


def test_ascii_tokens_are_those_of_the_unicode_pattern() -> None:
    for text in _ascii_texts():
        assert wording.tokens(text) == wording._TOKEN_RE.findall(text.lower()), text


def _names_plain(text: str) -> Counter[str]:
    """``keyterms._names`` asking ``_at_sentence_start`` of every word, as it did."""
    into: Counter[str] = Counter()
    matches = list(keyterms._NAME_RE.finditer(text))
    for i, match in enumerate(matches):
        found = keyterms._word(match.group())
        if found is None:
            continue
        name, camel = found
        if not camel and keyterms._at_sentence_start(text, match.start()):
            following = matches[i + 1] if i + 1 < len(matches) else None
            if following is None or text[match.end() : following.start()] != " ":
                continue
        into[name] += 1
    return into


def test_names_skip_the_sentence_start_test_only_where_it_says_no() -> None:
    texts = [
        *_ascii_texts(),
        "Amazon and Temu. Walmart — Target -Shein  Otto\u3000Zalando\u00a0Etsy: Ebay",
        "Deal with Klarna - Affirm; Sofia Marques to lead. Marques said",
    ]
    for text in texts:
        into: Counter[str] = Counter()
        keyterms._names(text, 1, into)
        assert into == _names_plain(text), text

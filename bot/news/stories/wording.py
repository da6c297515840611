"""How story clustering reads text: cleaning titles and descriptions, sentences, tokens, stems.

Pure: the standard library only. Shared by the clusterer (features, key terms) and by the
headline writer (sentences, boilerplate).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from bot.news.rules.plain_text import collapse_whitespace, markdown_to_text, strip_publisher_suffix
from bot.news.stories.lexicon import (
    ABBREVIATIONS,
    BOILERPLATE_ANYWHERE,
    BOILERPLATE_STARTS,
    EVENT_PHRASES,
    synonym_table,
)
from bot.news.stories.lexicon import STOPWORDS as _STOPWORDS

# Re-exported: the clusterer, the headline writer and key terms read it from here.
from bot.news.stories.lexicon import words_of as words_of
from bot.news.stories.model import StoryItem
from bot.news.stories.needles import needles

# Re-exported: features and tests read it from here.
from bot.news.stories.roundups import is_roundup as is_roundup

# --- text -------------------------------------------------------------------------------------

_BOILERPLATE_START_RE = re.compile(r"(?:" + "|".join(BOILERPLATE_STARTS) + r")\b", re.IGNORECASE)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9€$£¥])")
CUT_OFF_RE = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|\.\.\.|…)\s*$")
# What newsrooms put before a headline; not part of what happened.
HEADLINE_PREFIX_RE = re.compile(
    r"^(?:exclusive|breaking(?: news)?|update(?: \d+)?|analysis|opinion|watch|live)\s*[:\-–—|]\s*",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, keeping "U.S. regulators" together."""
    return list(_sentences(_collapse(text)))


def _sentences(text: str) -> Iterator[str]:
    """The sentences of collapsed ``text``, one at a time: a caller that needs the first few
    does not pay for the rest."""
    if not text:
        return
    current: str | None = None
    for piece in _SENTENCE_SPLIT_RE.split(text):
        if current is not None and current.rsplit(" ", 1)[-1].lower() in ABBREVIATIONS:
            current = f"{current} {piece}"
            continue
        if current is not None and (done := current.strip()):
            yield done
        current = piece
    if current is not None and (done := current.strip()):
        yield done


def is_boilerplate(sentence: str) -> bool:
    if _BOILERPLATE_START_RE.match(sentence):
        return True
    # The containment test of each phrase, called at C speed: every sentence is read.
    return any(map(sentence.lower().__contains__, BOILERPLATE_ANYWHERE))


def _collapse(text: str) -> str:
    """``collapse_whitespace``, with a C-speed path for ASCII text (stored text was made
    plain at ingest; this only guards what did not come that way)."""
    if text.isascii():
        return " ".join(text.split())
    return collapse_whitespace(text)


def clean_title(item: StoryItem) -> str:
    return clean_title_text(item.title, item.source)


def clean_title_text(title: str, source: str) -> str:
    """A headline on one line, without a " - Publisher" suffix naming ``source``."""
    return strip_publisher_suffix(_collapse(title), source)


def clean_summary(summary: str, title: str, source: str, *, limit: int | None = None) -> list[str]:
    """The summary's sentences, without boilerplate, a trailing publisher name, or a mere
    copy of the title (Google News' summaries are "Headline  Publisher"); with ``limit``,
    only the first ``limit`` of them (the rest are not read)."""
    # Markdown is made plain text at ingest; rows stored before that still hold some, and get
    # the same treatment here (the markers' test keeps the common case free).
    if "#" in summary or "*" in summary or "`" in summary or "__" in summary:
        summary = markdown_to_text(summary)
    text = _collapse(summary)
    name = source.strip()
    if name and len(text) > len(name) and text[-len(name) :].casefold() == name.casefold():
        head = text[: -len(name)].rstrip(" -–—|:")
        if head and (text[-len(name) - 1].isspace() or not text[-len(name) - 1].isalnum()):
            text = head
    if not text:
        return []
    # Only a text about as long as the title can be a copy of it.
    if len(text) <= 2 * len(title) + 10 and tokens(text) == tokens(title):
        return []
    out: list[str] = []
    for sentence in _sentences(text):
        if not is_boilerplate(sentence):
            out.append(sentence)
            if len(out) == limit:
                break
    return out


_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _latin_folds() -> dict[int, str]:
    """Each accented Latin letter (Latin-1, Extended-A and -B, Vietnamese) -> its base
    letters: "ż" -> "z", "ñ" -> "n", "ệ" -> "e", "ł" -> "l", "ß" -> "ss"."""
    table: dict[int, str] = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii() and base:
            table[code] = base
    table.update({ord(k): v for k, v in _UNDECOMPOSED.items()})
    return table


# Latin letters that carry their mark inside (no combining form to drop).
_UNDECOMPOSED = {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h"}
_FOLD = _latin_folds()


def fold(word: str) -> str:
    """``word`` with its Latin letters' accents dropped: outlets spell one name both ways
    ("Żabka" / "Zabka", "Rohlík" / "Rohlik", "Montréal" / "Montreal"), and a name is the word
    two reports of one event are surest to share. Other scripts are left as they are (their
    marks are letters of their own: a Devanagari vowel sign, a kana's voicing)."""
    return word if word.isascii() else word.translate(_FOLD)


STOPWORDS: frozenset[str] = _STOPWORDS | frozenset(fold(word) for word in _STOPWORDS)
"""``lexicon.STOPWORDS`` as ``tokens`` gives them (accents dropped), and as written."""
_TOKEN_RE = re.compile(r"[^\W_]+(?:[.'&-][^\W_]+)*|[€$£¥%]")
# ``_TOKEN_RE`` for lower-case ASCII text, where it finds the same tokens ("[^\W_]" is a letter
# or a digit, and only these are ASCII): a class of listed characters is read from a bitmap,
# where a class of Unicode categories asks the character database at every character.
_ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.'&-][a-z0-9]+)*|[$%]")


# Chinese, Japanese and Korean: Han, kana, Hangul (syllables and jamo), and the CJK marks.
_CJK_RE = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def tokens(text: str) -> list[str]:
    """Lower-case words, numbers and currency signs of ``text``.

    Chinese and Japanese do not separate words, and Korean attaches particles to them, so a
    run of their characters is one "word" that two reports almost never share: it is read
    as its overlapping character pairs instead (the usual way to index these languages), and
    digits inside it ("7～9月期11%") as numbers of their own.
    """
    if text.isascii():
        return _ASCII_TOKEN_RE.findall(text.lower())
    # NFKC, curly quotes and accents only concern non-ASCII text.
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    found = _TOKEN_RE.findall(text.lower().translate(_FOLD))
    if _CJK_RE.search(text) is None:
        return found
    out: list[str] = []
    for token in found:
        if _CJK_RE.search(token) is None:
            out.append(token)
        else:
            out.extend(_cjk_tokens(token))
    return out


# A regular expression per word the phrases are read as, by the hint words that call for it.
_EVENT_PHRASES = tuple(
    (word, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for word, _, pattern in EVENT_PHRASES
)


def _phrases_by_hint() -> dict[str, tuple[int, ...]]:
    """Hint word -> the indexes (in ``EVENT_PHRASES``) of the phrases it calls for."""
    found: dict[str, tuple[int, ...]] = {}
    for index, (_, hints, _) in enumerate(EVENT_PHRASES):
        for hint in {*hints.split(), *fold(hints).split()}:
            found[hint] = (*found.get(hint, ()), index)
    return found


_EVENT_PHRASES_BY_HINT = _phrases_by_hint()
_EVENT_PHRASE_HINTS = frozenset(_EVENT_PHRASES_BY_HINT)


_LOWER_PHRASES: dict[int, tuple[re.Pattern[str], frozenset[str] | None]] = {}
"""``_EVENT_PHRASES``' patterns without IGNORECASE, for lower-case ASCII text (compiled when
first needed), each with its ``needles``."""


def _lower_phrases(index: int) -> tuple[re.Pattern[str], frozenset[str] | None]:
    """The phrases of ``EVENT_PHRASES[index]`` for lower-case ASCII text, and the ``needles``
    of its pattern.

    On ASCII text they match where the IGNORECASE ones match in the text before lowering:
    the patterns are lower case, word classes and boundaries do not depend on case, and the
    one non-ASCII letter of the patterns that folds to an ASCII one (the dotless "ı" of
    "işten çıkarma") stands beside letters that match no ASCII text. Matching without
    IGNORECASE takes half the time: the text is read for them at every word of every item.
    """
    found = _LOWER_PHRASES.get(index)
    if found is None:
        pattern = EVENT_PHRASES[index][2]
        found = _LOWER_PHRASES[index] = (re.compile(rf"\b(?:{pattern})\b"), needles(pattern))
    return found


def event_tokens(text: str) -> list[str]:
    """``tokens``, with the phrases of ``lexicon.EVENT_PHRASES`` read as the word of their
    group: "went public" as "ipo", "cuts 500 jobs" as "layoff 500 jobs"."""
    found = tokens(text)
    hints = _EVENT_PHRASE_HINTS.intersection(found)
    if not hints:
        return found
    # Most texts hold no hint word; one that does is read again if it holds a phrase.
    read = 0
    indexes = sorted({index for hint in hints for index in _EVENT_PHRASES_BY_HINT[hint]})
    if text.isascii():
        # ``tokens`` lower-cases ASCII text anyway, and every group's word is lower-case
        # ASCII (checked below), so the text read again is the same.
        text = text.lower()
        for index in indexes:
            phrases, wanted = _lower_phrases(index)
            # A substring test per needle costs far less than the regex's scan of the text
            # (which is tried at every position: it starts with ``\b``, no literal), and
            # most texts with a hint word hold none of its phrases ("step", "price").
            if wanted is not None and not any(map(text.__contains__, wanted)):
                continue
            text, count = phrases.subn(_EVENT_PHRASES[index][0], text)
            read += count
        return tokens(text) if read else found
    for index in indexes:
        word, phrases = _EVENT_PHRASES[index]
        text, count = phrases.subn(word, text)
        read += count
    return tokens(text) if read else found


# What ``_lower_phrases`` rests on: lower-case ASCII words, lower-case patterns (no "\W").
if not all(
    word.isascii() and word == word.lower() and pattern == pattern.lower()
    for word, _, pattern in EVENT_PHRASES
):
    raise RuntimeError("event phrases and their words must be lower case")


def _cjk_tokens(token: str) -> Iterator[str]:
    """The character pairs of a token's CJK runs, and its other parts (digits, Latin letters)
    as words. A lone character is left out, as short words are in other languages: mostly a
    particle or a counter ("20일", twenty days)."""
    last = 0
    for run in _CJK_RE.finditer(token):
        if run.start() > last:
            yield token[last : run.start()]
        chars = run.group()
        for i in range(len(chars) - 1):
            yield chars[i : i + 2]
        last = run.end()
    if last < len(token):
        yield token[last:]


def is_cjk(word: str) -> bool:
    """Whether ``word`` is (or starts with) a CJK character: such pairs are words."""
    return _CJK_RE.match(word) is not None


_DOUBLED = frozenset("bdgmnprt")


def stem(word: str) -> str:
    """A light stem: "fines", "fined", "fine" and "fining" meet; so do "ships" and "shipped".

    Strips a possessive, then one inflection (-ies/-ied become -y), then a final -e, and
    undoubles a final consonant that the inflection doubled. Only words of four or more
    letters are touched, and a stem keeps at least three. Numbers are left alone.
    """
    if word[:1].isdigit():
        return word
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) < 4:
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] in _DOUBLED:
                word = word[:-1]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


SYNONYMS: dict[str, str] = {
    **synonym_table(stem),
    **synonym_table(lambda word: stem(fold(word))),  # as ``tokens`` reads them
}
"""Stem -> the stem that stands for its group (``lexicon.SYNONYM_GROUPS``)."""

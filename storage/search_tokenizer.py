"""The search index's tokenizer: FTS5's ``unicode61`` with the combining marks of scripts that
spell their vowels with them kept inside words.

``unicode61`` keeps letters, digits and private-use characters in a token and splits at
everything else, combining marks (categories Mn and Mc) included. Scripts of India and Sri
Lanka write most vowels as such marks, so "सेवा" (service) was read as two tokens "स" "व":
a search for it was the phrase of two bare consonants, which other words hold too ("सिवा",
besides). Listing those marks as ``tokenchars`` keeps each word whole.

The SQLite index (migration 16) and PostgreSQL's search (``storage/postgres/search.py``, which
tokenizes with SQLite) both use ``TOKENIZE``; ``tests/storage`` checks they agree and pins
the set, because a changed set means a new migration that re-indexes (migrations are never
edited once released).
"""

from __future__ import annotations

# Derived once with Python 3.11's unicodedata (Unicode 14.0): every code point of each
# script's block whose category is Mn or Mc, as runs of consecutive code points, 300 in all.
# Written out rather than computed, so the index does not change with the Python it runs on.
# Scripts that separate words with spaces (or, in Tibetan, with the tsheg, a punctuation
# mark) and write vowels or conjuncts as combining marks: with these kept, a token is a word
# (a syllable in Tibetan), where it was a run of bare consonants.
# Left out: Thai, Lao, Khmer and Myanmar, which write no space between words: with their
# marks kept a token would be a whole phrase, which no typed word matches (without them it is
# fragments, no better; only a word segmenter would help); Latin combining marks (U+0300..),
# which remove_diacritics folds away ("café" written with U+0301 must stay "cafe"); Arabic
# and Hebrew vowel points, which remove_diacritics does not fold, so pointed and unpointed
# spellings would no longer match; Vedic signs (U+1CD0.., U+A8E0..), not news text.
INDIC_MARK_RANGES: tuple[tuple[int, int], ...] = (
    # Devanagari (Hindi, Marathi, Nepali): 34
    (0x0900, 0x0903), (0x093A, 0x093C), (0x093E, 0x094F), (0x0951, 0x0957), (0x0962, 0x0963),
    # Bengali (Bengali, Assamese): 20
    (0x0981, 0x0983), (0x09BC, 0x09BC), (0x09BE, 0x09C4), (0x09C7, 0x09C8), (0x09CB, 0x09CD),
    (0x09D7, 0x09D7), (0x09E2, 0x09E3), (0x09FE, 0x09FE),
    # Gurmukhi (Punjabi): 18
    (0x0A01, 0x0A03), (0x0A3C, 0x0A3C), (0x0A3E, 0x0A42), (0x0A47, 0x0A48), (0x0A4B, 0x0A4D),
    (0x0A51, 0x0A51), (0x0A70, 0x0A71), (0x0A75, 0x0A75),
    # Gujarati: 26
    (0x0A81, 0x0A83), (0x0ABC, 0x0ABC), (0x0ABE, 0x0AC5), (0x0AC7, 0x0AC9), (0x0ACB, 0x0ACD),
    (0x0AE2, 0x0AE3), (0x0AFA, 0x0AFF),
    # Oriya (Odia): 21
    (0x0B01, 0x0B03), (0x0B3C, 0x0B3C), (0x0B3E, 0x0B44), (0x0B47, 0x0B48), (0x0B4B, 0x0B4D),
    (0x0B55, 0x0B57), (0x0B62, 0x0B63),
    # Tamil: 14
    (0x0B82, 0x0B82), (0x0BBE, 0x0BC2), (0x0BC6, 0x0BC8), (0x0BCA, 0x0BCD), (0x0BD7, 0x0BD7),
    # Telugu: 24
    (0x0C00, 0x0C04), (0x0C3C, 0x0C3C), (0x0C3E, 0x0C44), (0x0C46, 0x0C48), (0x0C4A, 0x0C4D),
    (0x0C55, 0x0C56), (0x0C62, 0x0C63),
    # Kannada: 22
    (0x0C81, 0x0C83), (0x0CBC, 0x0CBC), (0x0CBE, 0x0CC4), (0x0CC6, 0x0CC8), (0x0CCA, 0x0CCD),
    (0x0CD5, 0x0CD6), (0x0CE2, 0x0CE3),
    # Malayalam: 23
    (0x0D00, 0x0D03), (0x0D3B, 0x0D3C), (0x0D3E, 0x0D44), (0x0D46, 0x0D48), (0x0D4A, 0x0D4D),
    (0x0D57, 0x0D57), (0x0D62, 0x0D63),
    # Sinhala: 21
    (0x0D81, 0x0D83), (0x0DCA, 0x0DCA), (0x0DCF, 0x0DD4), (0x0DD6, 0x0DD6), (0x0DD8, 0x0DDF),
    (0x0DF2, 0x0DF3),
    # Tibetan (syllables, which the tsheg separates): 77
    (0x0F18, 0x0F19), (0x0F35, 0x0F35), (0x0F37, 0x0F37), (0x0F39, 0x0F39), (0x0F3E, 0x0F3F),
    (0x0F71, 0x0F84), (0x0F86, 0x0F87), (0x0F8D, 0x0F97), (0x0F99, 0x0FBC), (0x0FC6, 0x0FC6),
)  # fmt: skip

TOKEN_MARKS = "".join(chr(c) for first, last in INDIC_MARK_RANGES for c in range(first, last + 1))
"""The marks as one string, in code point order (no quote, no ASCII: safe inside quotes)."""

TOKENIZE = f"porter unicode61 remove_diacritics 2 tokenchars '{TOKEN_MARKS}'"
"""The index's FTS5 tokenizer: porter stems over unicode61, accents folded, the marks kept."""


def tokenize_option(spec: str = TOKENIZE) -> str:
    """The ``tokenize = '...'`` option of an FTS5 table, ``spec`` as an SQL string literal (the
    quotes around ``tokenchars`` written twice)."""
    return "tokenize = '" + spec.replace("'", "''") + "'"


# --- folded before the tokenizer (migration 17 in SQLite, 14 in PostgreSQL) ---------------------
#
# remove_diacritics folds only what Unicode decomposes into a letter and a combining mark:
# "Nẵng" is "nang", but "Đà" stays "đa" (đ is a letter of its own, "d with stroke", with no
# decomposition), and so do ł, ø and the dotless ı: "Da Nang" never found "Đà Nẵng", nor "Lodz"
# "Łódź", nor "Orsted" "Ørsted". Arabic harakat (short vowels, shadda, sukun) are combining
# marks that unicode61 reads as separators: "مُحَمَّد" was the four tokens "م" "ح" "م" "د" and
# never matched the unpointed "محمد" that most text and every typed query writes; the tatweel
# (a stretching stroke) stays inside a word and made "محـــمد" another word again. Both sides of
# a search go through ``fold`` (Python, for queries and PostgreSQL's vectors) or ``fold_sql``
# (the SQLite index's triggers and content view), which make the same one-character changes.
# Written out, like the marks above: a changed set is a new migration that re-indexes.

FOLDED_LETTERS: tuple[tuple[str, str], ...] = (
    ("\u0110", "D"),  # Đ (Vietnamese, Serbo-Croatian)
    ("\u0111", "d"),  # đ
    ("\u0141", "L"),  # Ł (Polish)
    ("\u0142", "l"),  # ł
    ("\u00d8", "O"),  # Ø (Danish, Norwegian)
    ("\u00f8", "o"),  # ø
    ("\u0131", "i"),  # ı (Turkish dotless i; İ already folds to i)
)
"""Letters that are not a base letter plus a mark, and the letter a reader types for them."""

DROPPED_MARKS = "".join(chr(c) for c in (*range(0x064B, 0x0653), 0x0670, 0x0640))
"""Arabic fathatan to sukun (U+064B..U+0652), the superscript alef and the tatweel: removed."""

_FOLD_TABLE = str.maketrans({**dict(FOLDED_LETTERS), **dict.fromkeys(DROPPED_MARKS)})


def fold(text: str) -> str:
    """``text`` as the search index reads it, before the tokenizer."""
    return text.translate(_FOLD_TABLE)


def fold_sql(expression: str) -> str:
    """SQL for ``fold(expression)`` with SQLite's built-in functions only (an index that needs
    a registered function would refuse writes from any other connection, the ``sqlite3`` shell
    included).

    ASCII text (as many bytes as characters, a check at C speed) is left as it is; other text
    goes through 17 nested ``replace`` calls, ~20 us for a 1,300-character summary. Cheaper
    guards were no cheaper: ``instr`` per character costs about as much as the replaces, and
    GLOB with a character class four times that (measured with SQLite 3.40).
    """
    folded = expression
    for character, plain in (*FOLDED_LETTERS, *((mark, "") for mark in DROPPED_MARKS)):
        folded = f"replace({folded}, '{character}', '{plain}')"
    ascii_only = f"length(CAST({expression} AS BLOB)) = length({expression})"
    return f"CASE WHEN {ascii_only} THEN {expression} ELSE {folded} END"

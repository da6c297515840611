"""Autocomplete helpers: forgiving matching of what a user is typing, within Discord's limits."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TypeVar

from discord import app_commands

from bot.embeds import clip

V = TypeVar("V", str, int, float)

MAX_CHOICES = 25  # Discord refuses more
CHOICE_LIMIT = 100  # characters in a choice's name and in a string value
_FUZZY_CUTOFF = 0.7


def _score(typed: str, name: str) -> float | None:
    """Lower is better; None when ``name`` does not match ``typed`` at all."""
    if name.startswith(typed):
        return 0.0
    words = name.replace("(", " ").replace(":", " ").split()
    if any(word.startswith(typed) for word in words):
        return 1.0
    if typed in name:
        return 2.0
    # Typos: compare with the start of the name and with each word, as long as what was typed.
    pieces = [name[: len(typed)], *(w[: len(typed)] for w in words)]
    best = max(difflib.SequenceMatcher(None, typed, piece).ratio() for piece in pieces)
    if best < _FUZZY_CUTOFF:
        return None
    return 3.0 + (1.0 - best)


def fuzzy_choices(
    typed: str, candidates: Sequence[tuple[str, V]], *, limit: int = MAX_CHOICES
) -> list[app_commands.Choice[V]]:
    """Choices for the (name, value) candidates that match ``typed``, best first.

    Prefix matches come first, then word prefixes, then substrings, then close spellings;
    ties keep the candidates' order. An empty ``typed`` offers the first candidates.
    """
    limit = min(limit, MAX_CHOICES)
    text = " ".join(typed.casefold().split())
    ranked: list[tuple[float, int, str, V]] = []
    for index, (name, value) in enumerate(candidates):
        if text:
            score = _score(text, " ".join(name.casefold().split()))
            if score is None:
                continue
        else:
            score = 0.0
        ranked.append((score, index, name, value))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        app_commands.Choice(name=clip(name, CHOICE_LIMIT) or "?", value=value)
        for _, _, name, value in ranked[:limit]
        if not isinstance(value, str) or len(value) <= CHOICE_LIMIT
    ]


def split_last_term(text: str) -> tuple[str, str]:
    """``"temu, she"`` -> (``"temu, "``, ``"she"``): what is settled and what is being typed."""
    head, comma, last = text.rpartition(",")
    settled = f"{head}{comma} " if comma else ""
    return settled.lstrip(), last.strip()

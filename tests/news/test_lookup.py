"""What a user typed is named back within a line when it names no company or topic."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.news.model.errors import UserError
from bot.news.rules.name_lookup import resolve_or_explain


@dataclass(frozen=True)
class Entry:
    name: str


class Names:
    def __init__(self, *names: str) -> None:
        self._entries = [Entry(n) for n in names]

    def resolve(self, text: str) -> Entry | None:
        return next((e for e in self._entries if e.name.lower() == text.lower()), None)

    def suggest(self, text: str, limit: int = 25) -> tuple[Entry, ...]:
        return tuple(e for e in self._entries if e.name[:2].lower() == text[:2].lower())[:limit]


def test_a_known_name_resolves_and_a_typo_gets_a_hint() -> None:
    names = Names("Temu", "Target")
    assert resolve_or_explain(names, "temu", "company") == Entry("Temu")
    with pytest.raises(UserError, match=r"^Unknown company 'temoo'\. Did you mean Temu\?$"):
        resolve_or_explain(names, "temoo", "company")


def test_a_pasted_paragraph_is_echoed_cut_to_one_line() -> None:
    with pytest.raises(UserError) as raised:
        resolve_or_explain(Names("Temu"), "x" * 10_000, "company")
    message = str(raised.value)
    assert len(message) < 80 and message.startswith("Unknown company 'xxx") and "…" in message

"""Turning what a user typed into a known company or topic, with a "did you mean" hint. Pure."""

from __future__ import annotations

from typing import Protocol, TypeVar

from bot.news.model.errors import UserError


class Named(Protocol):
    """Anything users pick by name (a company, a topic)."""

    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=Named, covariant=True)


class Directory(Protocol[NamedT]):
    """Resolves exact names and suggests close ones."""

    def resolve(self, text: str) -> NamedT | None: ...

    def suggest(self, text: str, limit: int = 25) -> tuple[NamedT, ...]: ...


T = TypeVar("T", bound=Named)


def resolve_or_explain(
    directory: Directory[T], text: str, what: str, error: type[UserError] = UserError
) -> T:
    """The entry ``text`` names; otherwise ``error`` saying so, with up to 3 close names."""
    found = directory.resolve(text)
    if found is not None:
        return found
    close = directory.suggest(text, limit=3)
    hint = f" Did you mean {', '.join(c.name for c in close)}?" if close else ""
    # Echoed within a line: a pasted paragraph would bury the hint (and Discord's 2,000).
    shown = text.strip()
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    raise error(f"Unknown {what} {shown!r}.{hint}")

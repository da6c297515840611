"""Names for feeds added without one. Pure."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

MAX_NAME = 100


def default_feed_name(url: str) -> str:
    """A readable name for a feed added without one: its host, or a Google News query."""
    parts = urlsplit(url)
    host = parts.hostname or url
    if host == "news.google.com":
        query = parse_qs(parts.query).get("q")
        if query:
            return f"Google News: {query[0]}"[:100]
    return host.removeprefix("www.")


def name_from_title(title: str | None) -> str | None:
    """A feed's own title, cleaned to a display name (None when it has none worth using)."""
    clean = " ".join((title or "").split())[:MAX_NAME]
    return clean or None

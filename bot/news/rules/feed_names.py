"""Names for feeds added without one. Pure."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bot.news.rules.plain_text import collapse_whitespace

MAX_NAME = 100


def clean_feed_name(name: str | None) -> str:
    """A feed name as given (``/feeds add``, the CLI, OPML) or read from a feed, made safe to
    show: one line, no control, bidi or zero-width characters (a U+202E in a name would
    reverse the text Discord shows after it), at most ``MAX_NAME`` characters; "" if nothing
    is left. A lone surrogate (bytes that are not UTF-8 on a command line) becomes U+FFFD: no
    database can store it."""
    text = name or ""
    if not text.isprintable():  # rare, in C: lone surrogates are category Cs, unprintable
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return collapse_whitespace(text)[:MAX_NAME].rstrip()


def default_feed_name(url: str) -> str:
    """A readable name for a feed added without one: its host, or a Google News query."""
    parts = urlsplit(url)
    host = parts.hostname or url
    if host == "news.google.com":
        query = parse_qs(parts.query).get("q")
        if query:
            return clean_feed_name(f"Google News: {query[0]}")
    return host.removeprefix("www.")


def name_from_title(title: str | None) -> str | None:
    """A feed's own title, cleaned to a display name (None when it has none worth using)."""
    return clean_feed_name(title) or None

"""Plain-text helpers for feed content: HTML to text, truncation, link and title clean-up.

Pure functions over strings; only the standard library is used.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "ELLIPSIS",
    "canonical_link",
    "collapse_whitespace",
    "html_to_text",
    "strip_publisher_suffix",
    "truncate",
]

ELLIPSIS = "…"

# Elements whose content is never text a reader sees; an unclosed one runs to the end, as in a
# browser. Comments likewise.
_INVISIBLE_RE = re.compile(
    r"<(script|style|template|noscript|head)\b[^>]*>.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
# A start or end tag. Quoted attribute values may contain '>', but a stray quote must not open a
# string (real feeds have `color='#1F98C7''>`), so a quote only opens a value right after '='.
# Atomic groups and a possessive loop keep a tag without its closing '>' from backtracking, and
# stopping unquoted scans at the next '<' keeps a run of broken tags linear instead of quadratic.
_TAG_RE = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z0-9:._-]*)(?>\s*=\s*(?>"[^"]*"|'[^']*')|[^<>])*+>"""
    r"""|<[!?][^<>]*+>"""  # doctype, CDATA opener, processing instruction
    r"""|</[^a-zA-Z<>][^<>]*+>"""  # bogus end tags
    r"""|<[a-zA-Z/!?][^<>]*+\Z""",  # a tag cut off by a truncated summary
)
# Tags that separate words when rendered; other tags (b, a, span...) glue their text together.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_WHITESPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
# C0/C1 controls other than whitespace: they show as boxes or break embeds.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _tag_separator(match: re.Match[str]) -> str:
    name = match.group(2)
    return " " if name is not None and name.lower() in _BLOCK_TAGS else ""


def collapse_whitespace(s: str) -> str:
    """Turn every run of whitespace (and zero-width characters) into one space; trim the ends."""
    return _WHITESPACE_RE.sub(" ", _CONTROL_RE.sub("", s)).strip()


def html_to_text(s: str) -> str:
    """Return the text a reader would see in the HTML fragment ``s``, on one line.

    Tags are removed (block-level ones leave a space so words don't run together), the content
    of ``script``/``style``/``template``/``noscript`` and comments is dropped, entities are
    decoded once, and whitespace is collapsed. Text that merely contains '<' or '&' survives.
    """
    if "<" in s:
        s = _INVISIBLE_RE.sub(" ", s)
        s = _TAG_RE.sub(_tag_separator, s)
    if "&" in s:
        s = html.unescape(s)
    return collapse_whitespace(s)


def truncate(s: str, limit: int) -> str:
    """Shorten ``s`` to at most ``limit`` characters, cutting on a word boundary with an ellipsis.

    Text that already fits is returned unchanged. A single word longer than the room left is
    cut mid-word rather than dropped.
    """
    if limit <= 0:
        return ""
    if len(s) <= limit:
        return s
    if limit == 1:
        return ELLIPSIS
    room = limit - len(ELLIPSIS)
    cut = s[:room]
    # Only cut back to a space when the next character would have split a word, and never
    # throw away more than a third of the room to find one.
    if not s[room].isspace():
        space = cut.rfind(" ")
        if space >= room * 2 // 3:
            cut = cut[:space]
    cut = cut.rstrip(" ,;:-–—([{")
    return (cut or s[:room]) + ELLIPSIS


# Query parameters that identify a campaign, click or reader, never the page. Compared in lower
# case; `utm_*` is matched as a prefix.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "rb_clickid",
        "s_kwcid",
        "wickedid",
        "_ga",
        "_gl",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def _host_netloc(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal: urlsplit dropped its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}@{netloc}" if at else netloc


def canonical_link(url: str) -> str:
    """Return ``url`` without what varies between shares of the same page.

    Tracking query parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``...) and the fragment
    are dropped, the scheme and host are lower-cased, a default port is removed and an empty
    http(s) path becomes ``/``. Other parameters keep their order and exact spelling. A string
    that is not a URL comes back trimmed but otherwise unchanged.
    """
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        netloc = _host_netloc(parts) if parts.netloc else ""
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    query = parts.query
    if query:
        # Filter the raw pieces instead of parsing and re-encoding: the kept parameters must
        # stay byte-for-byte as the publisher wrote them.
        query = "&".join(
            piece for piece in query.split("&") if piece and not _is_tracking(piece.split("=")[0])
        )
    path = parts.path
    if not path and netloc and scheme in _DEFAULT_PORTS:
        path = "/"
    return urlunsplit((scheme, netloc, path, query, ""))


# Google News titles read "Headline - Publisher"; some aggregators use other dashes or a bar.
_SUFFIX_SEPARATORS = (" - ", " – ", " — ", " | ")


def strip_publisher_suffix(title: str, publisher: str | None) -> str:
    """Remove a trailing " - Publisher" (or –, —, |) from ``title``.

    The comparison ignores case and surrounding whitespace. A title that is nothing but the
    publisher is returned unchanged rather than emptied.
    """
    title = title.strip()
    name = (publisher or "").strip()
    if not name:
        return title
    lowered = title.lower()
    for separator in _SUFFIX_SEPARATORS:
        suffix = (separator + name).lower()
        if lowered.endswith(suffix):
            head = title[: -len(suffix)].rstrip()
            if head:
                return head
    return title


_MARKUP_RE = re.compile(r"<[A-Za-z/!][^<>]*>")
# A URL names a host or a path ("www.amazon.com/dp/...", "/fees/"), not what an item is about.
_LINK_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",  # NFKC turns the non-breaking hyphen into this one
        "\u2011": "-",
        "\u2013": "-",  # "last–mile" typed with an en dash
        "\u00ad": None,  # soft hyphen
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)


def fold_typography(text: str) -> str:
    """NFKC-normalise and replace typographic quotes, dashes and invisible characters."""
    return unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)


def plain_for_matching(text: str) -> str:
    """Feed text made plain for rule matching: entities decoded, tags and URLs dropped,
    typography folded. Fast on plain ASCII, which most headlines are."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _MARKUP_RE.sub(" ", text)
    if not text.isascii():  # NFKC and the translation table change only non-ASCII characters
        text = fold_typography(text)
    if "://" in text or "www." in text:
        text = _LINK_RE.sub(" ", text)
    return text

"""Plain-text helpers for feed content: HTML and markdown to text, truncation, link and title
clean-up.

Pure functions over strings; only the standard library is used.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from urllib.parse import SplitResult, quote, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "ELLIPSIS",
    "INVISIBLE_CONTROLS",
    "canonical_link",
    "collapse_whitespace",
    "feed_text_to_plain",
    "html_to_text",
    "markdown_to_text",
    "strip_invisible",
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
# Bidi controls (LRM/RLM, the embeddings and overrides U+202A-E, the isolates U+2066-9, the
# Arabic letter mark) let feed text reorder what Discord shows around it ("\u202etxet" reads
# backwards, and the rest of the line with it); zero-width characters hide inside words and
# mentions. Neither is text a reader sees, so both are removed, not replaced by a space.
INVISIBLE_CONTROLS = "\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_BIDI_ZERO_WIDTH_RE = re.compile(f"[{INVISIBLE_CONTROLS}]")
# C0/C1 controls other than whitespace: they show as boxes or break embeds.
_CONTROL_RE = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{INVISIBLE_CONTROLS}]")


def _tag_separator(match: re.Match[str]) -> str:
    name = match.group(2)
    return " " if name is not None and name.lower() in _BLOCK_TAGS else ""


def _tag_line_break(match: re.Match[str]) -> str:
    name = match.group(2)
    return "\n" if name is not None and name.lower() in _BLOCK_TAGS else ""


def strip_invisible(s: str) -> str:
    """``s`` without bidi controls and zero-width characters (see ``INVISIBLE_CONTROLS``)."""
    return _BIDI_ZERO_WIDTH_RE.sub("", s)


def collapse_whitespace(s: str) -> str:
    """Turn every run of whitespace into one space and trim the ends; control characters, bidi
    controls and zero-width characters are removed (every feed text passes through here)."""
    # str.split() splits on exactly the characters \s matches; splitting and joining is about
    # four times cheaper than a regex substitution, and every feed text passes through here.
    return " ".join(_CONTROL_RE.sub("", s).split())


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


# --- markdown ---------------------------------------------------------------------------------
#
# Changelogs, forums and GitHub-made feeds put markdown in their descriptions, often with the
# lines already joined by spaces ("## Summary We have released ..."). Every rule only removes
# characters, so the text never grows. "Clearly markup" is judged from the neighbours:
# emphasis opens after a space, a bracket or a quote and closes before one (or punctuation), so
# "f**k", "$5*", "5 * 3", snake_case_names and URLs are left alone.

# A whole line that is a horizontal rule ("---", "* * *", "___") or a setext underline ("===").
_MD_RULE_RE = re.compile(r"^[ \t]*(?:(?:[-*_][ \t]*){3,}|={3,}[ \t]*)$", re.MULTILINE)
# Block markers at the start of a line, nested in any order: "> - ## Heading". ">" needs a space
# or another ">" after it and the others a space, so "#1 seller", "-5%" and "+1" are text.
_MD_PREFIX_RE = re.compile(
    r"^[ \t]*((?:(?:>(?=[ \t>]|$)|(?:#{1,6}|[-*+]|\d{1,3}[.)])(?=[ \t]|$))[ \t]*)+)(.*)$",
    re.MULTILINE,
)
_MD_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
# A line after the first that could be a rule or carry block markers: the first character both
# patterns above need after the line's blanks. They try every position of the text (each "^"
# is a position to try); this one looks for a newline first, at C speed, and most HTML
# descriptions (lines from block tags) have no such line: it took a third of reading them.
_MD_BLOCK_LINE_RE = re.compile(r"\n[ \t]*[-*_=>#+\d]")
_MD_BLOCK_FIRST = "-*_=>#+"
# A short heading or a list item whose line ends without punctuation gets some when a line
# follows, so it does not run into that sentence once lines are joined: "Summary. We have
# released ...", "Slime Toys; Stress Toys. The parameter ..." (";" between items of a list).
# A feed that joined the lines itself leaves no way to tell where a heading or an item ends.
_MD_SHORT_HEADING = 80
_MD_NEXT_ITEM_RE = re.compile(r"\n(?:[ \t]*\n)?[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]")
_SENTENCE_END = (".", "!", "?", ":", ";", "…")
# Links and images: [text](url "title") -> text, ![alt](url) -> alt. A URL may hold one level
# of parentheses (Wikipedia links do).
_MD_URL = r"\((?:[^()\s]|\([^()\s]*\))*(?:[ \t]+\"[^\"\n]*\")?\)"
_MD_IMAGE_RE = re.compile(r"!\[([^\[\]\n]{0,300})\]" + _MD_URL)
_MD_LINK_RE = re.compile(r"\[([^\[\]\n]{0,300})\]" + _MD_URL)
# Inline code: a run of one to three backticks and the same run closing it on the line.
_MD_CODE_RE = re.compile(r"(?<!`)(`{1,3})(?!`)([^\n]{1,200}?)(?<!`)\1(?!`)")
# Emphasis: *em*, **strong**, ***both*** and the same with underscores. "(?<![^...])" reads
# "at the start or after one of ...". Spans are short: emphasis is a word or a phrase, and the
# bound keeps a line of unmatched openers from costing quadratic time.
_MD_STAR_RE = re.compile(
    r"(?<![^\s(\[{\"'“‘_])(\*{1,3})(?![\s*])([^\n]{1,200}?)(?<![\s*])\1"
    r"(?![^\s)\]}\"'”’.,;:!?_])"
)
_MD_UNDERSCORE_RE = re.compile(
    r"(?<![^\s(\[{\"'“‘*])(_{1,3})(?![\s_])([^\n]{1,200}?)(?<![\s_])\1"
    r"(?![^\s)\]}\"'”’.,;:!?*])"
)
# Markers left mid-line by a feed that joined the lines: "... ## Why this is changing ...",
# "... categories. # Which ...", "platform: * `a` * `b`". A single "#" counts only after the
# end of a sentence or a table cell, and a "*" never after a number ("5 * 3").
_MD_JOINED_HEADING_RE = re.compile(r"(?<=\s)#{2,6}(?=\s)|(?<=[.!?:|]\s)#(?=\s)")
_MD_JOINED_BULLET_RE = re.compile(r"(?<=[^\s\d=+\-*/<>^%(])(\s+)\*(?=\s+\S)")
# Tables: the delimiter row ("| --- | :---: |") goes and a run of empty cells becomes one bar.
_MD_TABLE_RULE_RE = re.compile(r"\|(?:[ \t]*:?-{3,}:?[ \t]*\|)+")
_MD_EMPTY_CELLS_RE = re.compile(r"\|(?:[ \t]*\|)+")
# Markup nested deeper than this many layers keeps its innermost ones; nothing real comes close.
_MD_MAX_PASSES = 64


def _md_block(match: re.Match[str]) -> str:
    prefix, rest = match.group(1), match.group(2)
    heading = "#" in prefix
    if heading:
        rest = _MD_CLOSING_HASHES_RE.sub("", rest.rstrip())
    rest = rest.rstrip()
    followed = match.end() < len(match.string)  # "$" stopped at a newline
    if not followed or not rest or rest.endswith(_SENTENCE_END):
        return rest
    if heading:
        return rest + "." if len(rest) <= _MD_SHORT_HEADING else rest
    if prefix.rstrip(" \t>"):  # a list item, not only a quote
        more = _MD_NEXT_ITEM_RE.match(match.string, match.end())
        return rest + (";" if more else ".")
    return rest


def _markdown_pass(s: str) -> str:
    first = s.lstrip()[:1]
    if "\n" in s or (first and (first in _MD_BLOCK_FIRST or first.isdigit())):
        line_first = s.lstrip(" \t")[:1]
        if (
            line_first and (line_first in _MD_BLOCK_FIRST or line_first.isdigit())
        ) or _MD_BLOCK_LINE_RE.search(s):
            s = _MD_RULE_RE.sub("", s)
            s = _MD_PREFIX_RE.sub(_md_block, s)
    if "](" in s:
        s = _MD_IMAGE_RE.sub(r"\1", s)
        s = _MD_LINK_RE.sub(r"\1", s)
    if "`" in s:
        s = _MD_CODE_RE.sub(r"\2", s)
    if "*" in s:
        s = _MD_STAR_RE.sub(r"\2", s)
    if "_" in s:
        s = _MD_UNDERSCORE_RE.sub(r"\2", s)
    if "#" in s:
        s = _MD_JOINED_HEADING_RE.sub("", s)
    if "*" in s:
        s = _MD_JOINED_BULLET_RE.sub(r"\1", s)
    if "|" in s:
        s = _MD_TABLE_RULE_RE.sub("", s)
        s = _MD_EMPTY_CELLS_RE.sub("|", s)
    return collapse_whitespace(s)


def markdown_to_text(s: str) -> str:
    """Return the text of markdown ``s`` on one line, as a reader of the rendered page sees it.

    Headings (``#`` .. ``######`` at the start of a line), ``**bold**``, ``__bold__``, ``*em*``
    and ``_em_`` (only when clearly markup), inline code, ``[text](url)`` (-> text),
    ``![alt](url)`` (-> alt), list bullets (``-``, ``*``, ``+``, ``1.``), ``>`` quotes,
    horizontal rules and table rules are removed, also where a feed joined the lines with
    spaces. Where the lines are still there, a short heading ends with "." and a list's items
    with ";" (the last with "."), so they do not run into the next sentence. Ordinary text
    survives: "C#", "#1 seller", "5 * 3", "$5*", "f**k", snake_case_names, URLs. (As in
    CommonMark, a lone ``__init__`` reads as bold "init".) Whitespace is collapsed as by
    ``collapse_whitespace``.

    Never longer than ``s``, and idempotent: markup revealed by removing other markup
    ("***x***", "[**a**](u)") is removed too, up to 64 nested layers. Cost is linear per
    layer; callers bound the input (``feed_text_to_plain`` reads ``MARKDOWN_SCAN`` characters).
    """
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    for _ in range(_MD_MAX_PASSES):
        out = _markdown_pass(s)
        if out == s or _plain_fixed_point(out):
            return out
        s = out
    return s


def _plain_fixed_point(s: str) -> bool:
    """Whether ``_markdown_pass`` would return ``s`` unchanged: ``s`` is its output (collapsed
    whitespace, so no line to treat as a block) and holds none of the characters any of its
    patterns needs. Most feed text is like this after one pass: the pass that would only
    confirm it is skipped (it cost a third of reading a description)."""
    first = s[:1]
    if first and (first in "-*_=>#+" or first.isdigit()):
        return False
    return not any(mark in s for mark in ("](", "`", "*", "_", "#", "|"))


MARKDOWN_SCAN = 4_000
"""How much of a feed text ``feed_text_to_plain`` reads: far more than a stored summary keeps."""


def feed_text_to_plain(s: str, *, is_html: bool) -> str:
    """A feed's description or content as one line of plain text: HTML (when ``is_html``) and
    then markdown reduced to the text a reader sees (see ``html_to_text``, ``markdown_to_text``).

    Block-level tags end a line, so ``<p>## Heading</p>`` is a heading. Only the first
    ``MARKDOWN_SCAN`` characters of text are kept: the caller keeps a summary, not a page.
    """
    if is_html:
        if "<" in s:
            s = _INVISIBLE_RE.sub("\n", s)
            s = _TAG_RE.sub(_tag_line_break, s)
        if "&" in s:
            s = html.unescape(s)
    return markdown_to_text(s[:MARKDOWN_SCAN])


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
    return _printable(urlunsplit((scheme, netloc, path, query, "")))


def _printable(url: str) -> str:
    """``url`` with its unprintable characters percent-encoded, as a browser sends them.

    A feed's link is printed by the CLI and posted to Discord: an ESC sequence in it reached the
    operator's terminal as it was (colours, the window title), a bidi override reordered it.
    """
    if url.isprintable():
        return url
    return "".join(c if c.isprintable() else quote(c, safe="") for c in url)


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


# Both taggers read an item's title and summary this way, one after the other (parse_job): the
# second reads them from here. A summary with an entity or a tag otherwise went through
# html.unescape and the markup pattern twice.
@functools.lru_cache(maxsize=8)
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

"""Character references to no character (``&#xD800;``, ``&#x110000;``) as U+FFFD, for feedparser.

XML forbids them, so expat stops and feedparser reads the document again with its lenient
parser, whose ``handle_charref`` calls ``chr(n).encode("utf-8")``: a surrogate raises
UnicodeEncodeError, a number past U+10FFFF ValueError, and either escapes feedparser, so one
such reference in one item cost the feed all its items. Written as ``&#xFFFD;`` they read as
the replacement character, and the document is well-formed XML again (feedparser's strict
parser reads it, with no warning).
"""

from __future__ import annotations

import re

__all__ = ["replace_impossible_charrefs"]

_CHARREF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_LAST = 0x10FFFF
_REPLACEMENT = b"&#xFFFD;"


def replace_impossible_charrefs(body: bytes) -> bytes:
    """``body`` with each reference to a surrogate or to a number past U+10FFFF replaced."""
    if b"&#" not in body:
        return body
    return _CHARREF_RE.sub(_replacement, body)


def _replacement(match: re.Match[bytes]) -> bytes:
    hexadecimal, decimal = match.groups()
    digits = (hexadecimal or decimal).lstrip(b"0")
    # A number too long to be a code point is refused on its length, before int() reads it.
    if len(digits) > 7:
        return _REPLACEMENT
    number = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if number > _LAST or 0xD800 <= number <= 0xDFFF:
        return _REPLACEMENT
    return match.group(0)

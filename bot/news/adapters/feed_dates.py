"""Feed dates whose UTC offset no place on earth has (``+9900``, ``+99:00``): read as UTC.

feedparser turns ``10:00:00 +9900`` into a time 99 hours earlier (its RFC 822 and W3C-DTF
handlers take any two digits as hours), so one hostile or garbled ``<pubDate>`` dates an item
four days in the past, or drops it as "in the future" the other way round. Python's own
``datetime.timezone`` refuses offsets of 24 hours or more, and feedparser itself reads a zone it
does not know (``10:00:00 XYZ``) as UTC: an impossible offset is treated the same way, so the
date stays within a day of the truth. Both parsing paths (``fast_feed`` and feedparser) reach
``feed_parse`` with the raw date string, which is where this is applied, once for both.
"""

from __future__ import annotations

import re
import time

from feedparser.datetimes import _parse_date

__all__ = ["without_impossible_offset"]

# A numeric offset at the end of a date string, right after a time of day (so the "-12-06" of a
# bare ISO date is never taken for one); "GMT+05:00" is feedparser's spelling too.
_OFFSET_RE = re.compile(
    r"(?<=\d:\d\d)(?P<rest>(?::\d\d(?:[.,]\d+)?)?\s*(?:gmt|utc|ut)?\s*)"
    r"[+-](?P<hours>\d\d)(?P<colon>:?)(?P<minutes>\d\d)\s*$",
    re.IGNORECASE,
)


def without_impossible_offset(raw: str, parsed: object) -> object:
    """feedparser's reading ``parsed`` of ``raw``, unless ``raw`` ends in an impossible offset.

    An offset of 24 hours or more, or with 60 minutes or more, is dropped and the rest of
    ``raw`` read as UTC (None if feedparser cannot read that either).
    """
    match = _OFFSET_RE.search(raw)
    if match is None or (int(match["hours"]) < 24 and int(match["minutes"]) < 60):
        return parsed
    neutral = raw[: match.start()] + match["rest"] + "+00" + match["colon"] + "00"
    reread = _parse_date(neutral)
    return reread if isinstance(reread, time.struct_time) else None

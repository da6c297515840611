"""Reading the time expressions users type: ``7d``, ``24h``, ``2w``, ``2026-11-01``. Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.news.model.errors import UserError

_RELATIVE = re.compile(r"^\s*(\d{1,5})\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime) -> datetime:
    """A point in the past: ``30m``, ``24h``, ``7d``, ``2w`` ago, or an ISO date/time (UTC)."""
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), _UNITS[match.group(2).lower()]
        try:
            moment = now - timedelta(**{unit: amount})
        except OverflowError:
            moment = EARLIEST
        if moment < EARLIEST:
            raise UserError(f"{text.strip()!r} reaches back before 1990; no news is that old.")
        return moment
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"can't read {text!r} as a time: use 24h, 7d, 2w or a date like 2026-11-01"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)

"""``shopwire run``: the bot process."""

from __future__ import annotations

from typing import TextIO

from bot.settings import Settings


def run_bot(settings: Settings, err: TextIO) -> int:
    """Run the Discord bot until stopped; returns the exit code."""
    print(
        "error: the Discord bot is not part of this version yet. The newsroom works from the "
        "command line: `shopwire poll`, `shopwire latest`, `shopwire search` (see --help).",
        file=err,
    )
    return 1

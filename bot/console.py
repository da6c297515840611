"""The ``shopwire`` console script (and ``python -m bot``): Ctrl-C or SIGTERM at any moment is
one line.

Loading the CLI takes a noticeable moment (``bot.cli`` and what it imports, then argparse and
the settings) before a command installs its own handling of Ctrl-C: an interrupt then ended
the process with a ``KeyboardInterrupt`` traceback and status -2. SIGTERM ended it silently
with status 143 until a command's event loop took it over (``bot.signals``), and always for
``latest`` and ``search``, which read without one. Only the standard library is imported
here, so the window left is the interpreter's own start.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM takes Ctrl-C's path (the README promises the same end)


def main() -> int:
    """Run the CLI; an interrupt before it took over is ``interrupted`` and status 130."""
    try:
        signal.signal(signal.SIGTERM, _terminated)
        from bot.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

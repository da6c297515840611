"""The ``shopwire`` console script (and ``python -m bot``): Ctrl-C at any moment is one line.

Loading the CLI takes a noticeable moment (``bot.cli`` and what it imports, then argparse and
the settings) before a command installs its own handling of Ctrl-C: an interrupt then ended
the process with a ``KeyboardInterrupt`` traceback and status -2. Only the standard library
is imported here, so the window left is the interpreter's own start.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run the CLI; an interrupt before it took over is ``interrupted`` and status 130."""
    try:
        from bot.cli import main as cli_main

        return cli_main()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

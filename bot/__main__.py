"""``python -m bot`` is the same as the ``shopwire`` command."""

import sys

from bot.console import main

if __name__ == "__main__":
    sys.exit(main())

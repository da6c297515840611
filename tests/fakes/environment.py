"""The environment a child process of a test or benchmark starts from."""

from __future__ import annotations

import os


def clean_environ() -> dict[str, str]:
    """This process's environment without Shopwire's settings or a Discord token: a child
    ``shopwire`` reads only the settings its caller gives it, never the developer's own."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SHOPWIRE_") and k != "DISCORD_TOKEN"
    }

"""Helper processes end when the process they serve dies, however it dies.

A parse worker, or the forkserver that starts them, is not told when ``shopwire run`` or
``shopwire poll`` is killed with SIGKILL: multiprocessing only cleans up after an orderly exit.
``watch(pid)`` starts a daemon thread that checks twice a second whether ``pid`` is still
alive (a zombie counts as dead) and ends this process at once when it is not.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

INTERVAL = 0.5
"""Seconds between two looks at the watched process."""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (exists and is not a zombie waiting for its parent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # The state is the field after the parenthesised command name: "Z" is a zombie.
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: existing is all we can tell
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def watch(pid: int) -> None:
    """End this process (exit status 0, no clean-up: the parent is gone) once ``pid`` dies."""

    def look() -> None:
        while alive(pid):
            time.sleep(INTERVAL)
        os._exit(0)

    threading.Thread(target=look, name=f"watch-{pid}", daemon=True).start()

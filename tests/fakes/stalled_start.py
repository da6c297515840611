"""A parse worker's preload for tests: the worker never says it is ready (it waits until it is
killed, or until its owner dies: ``parent_watch`` ends it then). Only a worker imports this."""

from __future__ import annotations

import threading

threading.Event().wait()

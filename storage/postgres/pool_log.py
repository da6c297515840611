"""asyncpg's own pool warnings as one line when the database's surroundings are the cause.

When the server restarts or cannot be reached, asyncpg's pool reconnects its floor of
connections in a task of its own and logs ``Failed to restore the pool connection floor;
retrying`` at WARNING with the whole traceback, every retry (1 s, then doubling to 60 s).
That traceback says nothing the one line of ``errors.storage_error`` does not, and operators
read tracebacks as bugs: such records keep their message and gain that line instead. Records
about anything else (a bug in the driver) keep their traceback.
"""

from __future__ import annotations

import logging

from storage.postgres.errors import storage_error

POOL_LOGGER = "asyncpg.pool"


class SurroundingsInOneLine(logging.Filter):
    """Turns a record whose exception is the surroundings' (``storage_error``) into one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or (error := storage_error(exc)) is None:
            return True
        record.msg = f"{record.getMessage()}: {error}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


_FILTER = SurroundingsInOneLine()


def install() -> None:
    """Filter asyncpg's pool logger (once: ``addFilter`` ignores a filter already there)."""
    logging.getLogger(POOL_LOGGER).addFilter(_FILTER)

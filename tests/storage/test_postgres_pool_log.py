"""asyncpg's pool warnings during a database outage are one line each, not a traceback: the
probe of a PostgreSQL restart under two pollers and a gateway found every process logging
`Failed to restore the pool connection floor; retrying` with a 20-line traceback per retry."""

from __future__ import annotations

import logging
import sys

import asyncpg
import pytest

from bot.news.model.errors import StorageError
from storage import open_storage
from storage.postgres.pool_log import POOL_LOGGER, SurroundingsInOneLine


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        exc_info = sys.exc_info()
    return logging.getLogger(POOL_LOGGER).makeRecord(
        POOL_LOGGER,
        logging.WARNING,
        "pool.py",
        571,
        "Failed to restore the pool connection floor; retrying",
        (),
        exc_info,
    )


@pytest.mark.parametrize(
    ("exc", "meaning"),
    [
        (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"), "cannot reach"),
        (asyncpg.CannotConnectNowError("the database system is shutting down"), "not accepting"),
        (asyncpg.TooManyConnectionsError("sorry, too many clients already"), "ran out of"),
    ],
)
def test_a_pool_warning_about_the_surroundings_is_one_line(exc: Exception, meaning: str) -> None:
    record = _record(exc)
    assert SurroundingsInOneLine().filter(record)
    text = logging.Formatter().format(record)
    assert "\n" not in text and "Traceback" not in text
    assert text.startswith("Failed to restore the pool connection floor; retrying: ")
    assert meaning in text and str(exc).split("(")[0].strip() in text


def test_a_pool_warning_about_anything_else_keeps_its_traceback() -> None:
    record = _record(RuntimeError("a bug in the driver"))
    assert SurroundingsInOneLine().filter(record)
    text = logging.Formatter().format(record)
    assert "Traceback" in text and "a bug in the driver" in text


async def test_opening_a_postgresql_database_installs_the_filter_once() -> None:
    logger = logging.getLogger(POOL_LOGGER)
    for existing in [f for f in logger.filters if isinstance(f, SurroundingsInOneLine)]:
        logger.removeFilter(existing)
    for _ in range(2):
        # Nothing listens on port 9 of loopback: installed before connecting, so even then.
        with pytest.raises(StorageError):
            await open_storage("postgresql://shopwire@127.0.0.1:9/shopwire")
    assert sum(isinstance(f, SurroundingsInOneLine) for f in logger.filters) == 1

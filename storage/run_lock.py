"""One ``shopwire run`` per SQLite file, held with an advisory file lock beside it.

On PostgreSQL the processes connected to Discord hold their shards through the database
(``storage/postgres/coordination.py``); a SQLite file has nothing of the kind, so a second
``shopwire run`` on one file would log in beside the first, answer every slash command twice
and deliver, poll and post digests with no claim between the two. The lock is ``flock`` on a
file of its own (``<db>.run-lock``), never on the database: SQLite's own POSIX locks on the
database file must stay untouched (on NFS, ``flock`` is emulated with them). The kernel
drops the lock with the process, ``kill -9`` included, so there is nothing to clean up.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from bot.news.model.errors import StorageError
from storage.url import SqliteLocation, parse_db_url

log = logging.getLogger(__name__)

SUFFIX = ".run-lock"
"""Appended to the database file's path to name its lock file."""


@contextmanager
def sole_run(db: str) -> Iterator[None]:
    """Hold the run lock of the SQLite file ``db`` names for the ``with`` block.

    StorageError (one line) when another process holds it. Nothing to hold on PostgreSQL or
    in memory. A lock file that cannot be created (a read-only folder) is logged and the run
    goes on unguarded, as before this lock existed.
    """
    location = parse_db_url(db)
    if not isinstance(location, SqliteLocation) or _not_a_file(location.path):
        yield
        return
    lock_path = location.path + SUFFIX
    try:
        # CLOEXEC: a child started with exec (the parser and story workers) must not keep the
        # lock alive after this process dies.
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        log.warning(
            "cannot create %s (%s): a second shopwire run would not be refused",
            lock_path,
            exc.strerror,
        )
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(
                "another shopwire run already uses this SQLite file (a SQLite file is served by"
                " one process; to run several, use PostgreSQL: see 'Several processes' in the"
                " README)"
            ) from None
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _not_a_file(path: str) -> bool:
    return path == ":memory:" or path.startswith("file:")

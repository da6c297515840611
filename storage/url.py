"""The ``db`` setting: which database it names, read without opening anything.

Accepted forms: a plain path (``shopwire.db``, ``/var/lib/shopwire/shopwire.db``, ``:memory:``)
and ``sqlite:///path`` (relative; ``sqlite:////abs/path`` is absolute, as SQLAlchemy writes
them) name a SQLite file; ``postgresql://`` (or ``postgres://``) URLs name a PostgreSQL database.
Any other scheme is refused. Messages never repeat the URL: a PostgreSQL URL may carry a password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.news.model.errors import StorageError

ACCEPTED = (
    "a file path (shopwire.db), sqlite:///path (sqlite:////absolute/path)"
    " or postgresql://user:password@host:port/database"
)
"""The forms of the ``db`` setting, as messages and help texts name them."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SQLITE = "sqlite://"
_POSTGRES = {"postgres", "postgresql"}


@dataclass(frozen=True, slots=True)
class SqliteLocation:
    """A SQLite database: the file's path (or ``:memory:``), as ``Database.open`` takes it."""

    path: str


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """A PostgreSQL database: its URL as asyncpg takes it (``postgresql://...``)."""

    url: str


def parse_db_url(url: str) -> SqliteLocation | PostgresLocation:
    """The database the ``db`` setting names; StorageError (one line) for a form not accepted."""
    text = url.strip()
    if not text:
        raise StorageError(f"the db setting is empty: give {ACCEPTED}.")
    match = _SCHEME.match(text)
    if match is None:
        return SqliteLocation(text)  # a plain path
    scheme = match.group(1).lower()
    # "postgresql+asyncpg://" is how SQLAlchemy users write it: the same database.
    if scheme.split("+")[0] in _POSTGRES:
        return PostgresLocation("postgresql://" + text[match.end() :])
    if scheme != "sqlite":
        raise StorageError(f"database URLs starting {scheme}:// are not supported: use {ACCEPTED}.")
    rest = text[len(_SQLITE) :]
    if not rest.startswith("/"):
        raise StorageError(
            "a sqlite:// URL names no host: write sqlite:///relative/path or "
            "sqlite:////absolute/path."
        )
    path = rest[1:]
    if not path:
        raise StorageError("the sqlite:/// URL names no file: write sqlite:///shopwire.db.")
    return SqliteLocation(path)

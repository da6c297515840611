"""asyncpg's errors about the database's surroundings as the project's StorageError.

Like ``storage/_sql.py`` for SQLite: a server that cannot be reached, a refused login, a full
disk, a read-only server become one line for the user; a statement's own errors (constraints,
syntax) are left to the repositories. No message ever repeats the URL's password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import asyncpg

from bot.news.model.errors import StorageError

# By SQLSTATE (exact code first, then its two-character class): what it means for the user.
_CODES: dict[str, str] = {
    "3D000": "the database does not exist; create it first (createdb)",
    "53100": "the database server's disk is full: nothing was saved; free some space",
    "25006": "the database server is read-only (a standby?): this command writes to it",
    "42501": "the database user lacks a permission this command needs",
    "57P01": "the database server ended the connection (a shutdown or an admin); try again",
    "57P02": "the database server crashed; try again",
    "57P03": "the database server is not accepting connections yet; try again",
    "XX001": "the database is damaged",
    "XX002": "the database is damaged",
}
_CLASSES: dict[str, str] = {
    "08": "the connection to the database server was lost; try again",
    "28": "the database server refused the login; check the user and password",
    "53": "the database server ran out of resources (connections, memory); try again",
    "58": "the database server reported an I/O error",
}
_UNREACHABLE = "cannot reach the database server; check the host and port, and that it runs"
_LOST = "the connection to the database server was lost; try again"
_ERROR_CONSUME = "another operation (2) is in progress"


def storage_error(exc: BaseException, *, secret: str | None = None) -> StorageError | None:
    """The StorageError an error about the database's surroundings is, else None.

    One line: the meaning, then the server's own words in parentheses (with ``secret``, the
    password, blanked out should it ever appear in them).
    """
    meaning: str | None
    if isinstance(exc, asyncpg.PostgresError):
        code = str(exc.sqlstate or "")
        meaning = _CODES.get(code) or _CLASSES.get(code[:2])
    elif isinstance(exc, asyncpg.ConnectionDoesNotExistError | asyncpg.InterfaceError):
        # InterfaceError is also a misuse of the driver (a bug); only a closed connection is
        # the surroundings' doing.
        closed = isinstance(exc, asyncpg.ConnectionDoesNotExistError) or "closed" in str(exc)
        meaning = _LOST if closed else None
    elif isinstance(exc, asyncpg.InternalClientError):
        # Usually a driver bug; but a server shutting down sends its FATAL error and closes
        # the connection, leaving the protocol waiting for a sync that never comes (state 2,
        # PROTOCOL_ERROR_CONSUME): the next statement on it fails with this text.
        meaning = _LOST if _ERROR_CONSUME in str(exc) else None
    elif isinstance(exc, OSError):  # refused, unknown host, timeout (TimeoutError is an OSError)
        meaning = _UNREACHABLE
    else:
        meaning = None
    if meaning is None:
        return None
    detail = " ".join(str(exc).split())
    if secret:
        detail = detail.replace(secret, "***")
    return StorageError(f"{meaning} ({detail})" if detail else meaning)


def safe_location(url: str) -> str:
    """The URL without user, password or query (``postgresql://host:port/db``), for messages."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "named by the db setting"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"postgresql://{host}{port}{parts.path}"


def url_password(url: str) -> str | None:
    """The password the URL carries, if any (to keep it out of messages)."""
    try:
        return urlsplit(url.strip()).password
    except ValueError:
        return None

"""SQLite storage (aiosqlite): schema and migrations, repositories, FTS5 search.

Implements the ports in ``bot.news.ports``; SQL rows never leave this package. The app opens it
through ``open_storage(url)`` (the ``Storage`` port); ``Database`` is the concrete SQLite class.
"""

from storage.connect import SchemaMigration, migrate_storage, open_query_only, open_storage
from storage.db import Database

__all__ = ["Database", "SchemaMigration", "migrate_storage", "open_query_only", "open_storage"]

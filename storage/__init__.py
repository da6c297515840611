"""SQLite storage (aiosqlite): schema and migrations, repositories, FTS5 search.

Implements the ports in ``bot.news.ports``; SQL rows never leave this package.
"""

from storage.db import Database

__all__ = ["Database"]

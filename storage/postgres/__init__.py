"""PostgreSQL storage (asyncpg): schema and migrations, repositories, one pool per process.

Implements the ports in ``bot.news.ports`` like the SQLite package beside it, for operators who
outgrow one file; ``storage.open_storage`` opens it for ``postgresql://`` URLs. Every
repository takes the ``asyncpg.Pool`` as its only constructor argument; rows never leave this
package.
"""

from storage.postgres.connect import open_postgres
from storage.postgres.storage import PostgresStorage

__all__ = ["PostgresStorage", "open_postgres"]

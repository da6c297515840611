"""A schema of its own in a PostgreSQL server, dropped afterwards: what a test or a benchmark
run needs to start from an empty database without a server of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg


@asynccontextmanager
async def scratch_schema(server: str, prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty schema named ``prefix`` + a random suffix in ``server``; the
    schema and everything in it is dropped on exit."""
    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f"CREATE SCHEMA {schema}")
    finally:
        await connection.close()
    try:
        # asyncpg passes unknown URL parameters to the server as settings for the session.
        yield f"{server}{'&' if '?' in server else '?'}search_path={schema}"
    finally:
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await connection.close()

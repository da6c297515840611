"""PostgreSQL implementation of the FollowRoleRepository port: roles members give themselves."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bot.news.model.vocabulary import FollowKind, FollowRole, utc
from storage.postgres.pool import Pool, read, read_one, transaction

_COLUMNS = "guild_id, kind, subject, role_id"


def _role(row: asyncpg.Record) -> FollowRole:
    return FollowRole(
        guild_id=row["guild_id"],
        kind=FollowKind(row["kind"]),
        subject=row["subject"],
        role_id=row["role_id"],
    )


class PostgresFollowRoleRepository:
    """One role per company or topic per server (implements
    ``bot.news.ports.FollowRoleRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def set(self, role: FollowRole, now: datetime) -> None:
        """Store the role for its company or topic, replacing the one set before."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "INSERT INTO follow_roles (guild_id, kind, subject, role_id, created_at)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (guild_id, kind, subject) DO UPDATE SET role_id = excluded.role_id",
                role.guild_id,
                role.kind.value,
                role.subject,
                role.role_id,
                utc(now),
            )

    async def remove(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None:
        """Remove the role of a company or topic; the removed one, or None if none was set."""
        async with transaction(self._pool) as connection:
            row = await connection.fetchrow(
                "DELETE FROM follow_roles WHERE guild_id = $1 AND kind = $2 AND subject = $3"
                f" RETURNING {_COLUMNS}",
                guild_id,
                kind.value,
                subject,
            )
        return _role(row) if row is not None else None

    async def get(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None:
        """The role members of a server may take for a company or topic, if any."""
        row = await read_one(
            self._pool,
            f"SELECT {_COLUMNS} FROM follow_roles"
            " WHERE guild_id = $1 AND kind = $2 AND subject = $3",
            guild_id,
            kind.value,
            subject,
        )
        return _role(row) if row is not None else None

    async def list_for_guild(self, guild_id: int) -> list[FollowRole]:
        """A server's follow roles, companies first, then topics, each by id."""
        # COLLATE "C": byte order, as SQLite sorts text, whatever the database's locale.
        rows = await read(
            self._pool,
            f"SELECT {_COLUMNS} FROM follow_roles WHERE guild_id = $1"
            ' ORDER BY kind COLLATE "C", subject COLLATE "C"',
            guild_id,
        )
        return [_role(row) for row in rows]

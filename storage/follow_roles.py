"""SQLite implementation of the FollowRoleRepository port: roles members give themselves."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.news.model.vocabulary import FollowKind, FollowRole
from storage._sql import Connections, fetch_one, to_db_time

_COLUMNS = "guild_id, kind, subject, role_id"


def _role(row: sqlite3.Row) -> FollowRole:
    return FollowRole(
        guild_id=row["guild_id"],
        kind=FollowKind(row["kind"]),
        subject=row["subject"],
        role_id=row["role_id"],
    )


class SqliteFollowRoleRepository:
    """One role per company or topic per server (implements
    ``bot.news.ports.FollowRoleRepository``)."""

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def set(self, role: FollowRole, now: datetime) -> None:
        """Store the role for its company or topic, replacing the one set before."""
        async with self._db.transaction() as db:
            await db.execute(
                "INSERT INTO follow_roles (guild_id, kind, subject, role_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, kind, subject) DO UPDATE SET role_id = excluded.role_id",
                (role.guild_id, role.kind.value, role.subject, role.role_id, to_db_time(now)),
            )

    async def remove(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None:
        """Remove the role of a company or topic; the removed one, or None if none was set."""
        async with self._db.transaction() as db:
            row = await fetch_one(
                db,
                "DELETE FROM follow_roles WHERE guild_id = ? AND kind = ? AND subject = ?"
                f" RETURNING {_COLUMNS}",
                (guild_id, kind.value, subject),
            )
        return _role(row) if row is not None else None

    async def get(self, guild_id: int, kind: FollowKind, subject: str) -> FollowRole | None:
        """The role members of a server may take for a company or topic, if any."""
        row = await self._db.read_one(
            f"SELECT {_COLUMNS} FROM follow_roles WHERE guild_id = ? AND kind = ? AND subject = ?",
            (guild_id, kind.value, subject),
        )
        return _role(row) if row is not None else None

    async def list_for_guild(self, guild_id: int) -> list[FollowRole]:
        """A server's follow roles, companies first, then topics, each by id."""
        rows = await self._db.read(
            f"SELECT {_COLUMNS} FROM follow_roles WHERE guild_id = ? ORDER BY kind, subject",
            (guild_id,),
        )
        return [_role(row) for row in rows]

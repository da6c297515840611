"""PostgreSQL implementations of the DigestRepository and GuildSettingsRepository ports.

A digest row, like an outbox row, leaves ``pending`` once and for all: every mark is guarded by
``state = 'pending'``, so a repeated or late call can never make a sent digest due again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    DigestEntry,
    DigestState,
    PublishState,
    Shards,
    utc,
)
from storage.postgres.pool import Pool, affected, read, read_one, read_value, transaction
from storage.postgres.shards import on_shards
from storage.postgres.subscriptions import SUBSCRIPTION_COLUMNS, subscription_from_row

log = logging.getLogger(__name__)

_SUBSCRIPTION = ", ".join(f"s.{c.strip()}" for c in SUBSCRIPTION_COLUMNS.split(","))

_DIGEST = f"""
SELECT d.id AS digest_id, d.period_start, d.period_end, d.state AS digest_state, d.attempts,
       d.next_attempt_at, d.sent_at, d.message_id, d.last_error, d.covered_until,
       d.shown_stories,
       {_SUBSCRIPTION}
FROM digests AS d JOIN subscriptions AS s ON s.id = d.subscription_id
"""


class PostgresDigestRepository:
    """Digests planned, posted and skipped (implements ``bot.news.ports.DigestRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def plan(
        self, subscription_id: int, period_start: datetime, period_end: datetime, now: datetime
    ) -> bool:
        """Queue the digest of a period unless it exists (or the subscription is gone);
        True when it was queued now."""
        async with transaction(self._pool) as connection:
            status = await connection.execute(
                "INSERT INTO digests (subscription_id, period_start, period_end, created_at)"
                " SELECT id, $1, $2, $3 FROM subscriptions WHERE id = $4"
                " ON CONFLICT (subscription_id, period_start) DO NOTHING",
                utc(period_start),
                utc(period_end),
                utc(now),
                subscription_id,
            )
        return affected(status) > 0

    async def due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[DigestEntry]:
        """Pending digests of unpaused subscriptions whose retry time (if any) has come, of
        guilds on ``shards``, oldest period first, at most ``limit``."""
        if limit <= 0:
            return []
        where, parameters = on_shards(shards, 3)
        rows = await read(
            self._pool,
            _DIGEST
            + f"""
            WHERE d.state = 'pending' AND s.paused_reason IS NULL
              AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $1)
              AND {where}
            ORDER BY d.period_end, d.id
            LIMIT $2
            """,
            utc(now),
            limit,
            *parameters,
        )
        return [_entry(row) for row in rows]

    async def mark_sent(
        self,
        digest_id: int,
        message_id: int,
        now: datetime,
        covered_until: datetime | None = None,
        shown: Sequence[int] = (),
    ) -> None:
        """Record that the digest was posted as ``message_id``, showing the stories ``shown``,
        new to the next digest from ``covered_until``; final. A publishing subscription's
        digest starts waiting to be published, as its posts do."""
        async with transaction(self._pool) as connection:
            status = await connection.execute(
                "UPDATE digests SET state = 'sent', sent_at = $1, message_id = $2,"
                " covered_until = $4, shown_stories = $5,"
                " publish_state = CASE WHEN (SELECT publish FROM subscriptions"
                "   WHERE id = digests.subscription_id) THEN 'waiting' END"
                " WHERE id = $3 AND state = 'pending'",
                utc(now),
                message_id,
                digest_id,
                None if covered_until is None else utc(covered_until),
                json.dumps([int(i) for i in shown]),
            )
        if affected(status) == 0:
            log.info("digest mark_sent ignored: digest_id=%s is not pending", digest_id)

    async def record_reading(
        self, digest_id: int, covered_until: datetime, shown: Sequence[int]
    ) -> None:
        """Keep what a pending digest about to be posted covered."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE digests SET covered_until = $1, shown_stories = $2"
                " WHERE id = $3 AND state = 'pending'",
                utc(covered_until),
                json.dumps([int(i) for i in shown]),
                digest_id,
            )

    async def mark_retry(self, digest_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and hold the digest until ``next_attempt_at``."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE digests SET attempts = attempts + 1, last_error = $1,"
                " next_attempt_at = $2 WHERE id = $3 AND state = 'pending'",
                error,
                utc(next_attempt_at),
                digest_id,
            )

    async def finish(
        self,
        digest_id: int,
        state: DigestState,
        reason: str | None,
        covered_until: datetime | None = None,
    ) -> None:
        """End a pending digest without posting it (``empty`` or ``dropped``, with why; an
        empty one's summary read at ``covered_until``)."""
        if state not in (DigestState.EMPTY, DigestState.DROPPED):
            raise ValueError(f"finish() ends a digest as empty or dropped, not {state.value}")
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE digests SET state = $1, last_error = coalesce($2, last_error),"
                " covered_until = $4 WHERE id = $3 AND state = 'pending'",
                state.value,
                reason,
                digest_id,
                None if covered_until is None else utc(covered_until),
            )

    async def publishing_due(self, now: datetime, limit: int) -> list[DigestEntry]:
        """Posted digests waiting to be published whose time has come, oldest first."""
        if limit <= 0:
            return []
        rows = await read(
            self._pool,
            _DIGEST
            + """
            WHERE d.publish_state = 'waiting'
              AND (d.publish_after IS NULL OR d.publish_after <= $1)
            ORDER BY d.sent_at, d.id
            LIMIT $2
            """,
            utc(now),
            limit,
        )
        return [_entry(row) for row in rows]

    async def finish_publishing(self, digest_id: int, state: PublishState) -> None:
        """End a digest's wait to be published: published, or gone."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE digests SET publish_state = $1, publish_after = NULL"
                " WHERE id = $2 AND publish_state = 'waiting'",
                state.value,
                digest_id,
            )

    async def publish_later(self, digest_id: int, at: datetime) -> None:
        """Hold a digest's publishing until ``at`` (Discord's publish limit, or a failure)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE digests SET publish_after = $1 WHERE id = $2 AND publish_state = 'waiting'",
                utc(at),
                digest_id,
            )

    async def before(self, subscription_id: int, period_start: datetime) -> DigestEntry | None:
        """The subscription's digest whose period ends at ``period_start``, if any."""
        row = await read_one(
            self._pool,
            _DIGEST + " WHERE d.subscription_id = $1 AND d.period_end = $2 LIMIT 1",
            subscription_id,
            utc(period_start),
        )
        return _entry(row) if row is not None else None

    async def last_read(self, subscription_id: int, period_start: datetime) -> DigestEntry | None:
        """The subscription's latest digest sent or found empty whose period ends by
        ``period_start``, if any."""
        row = await read_one(
            self._pool,
            _DIGEST + " WHERE d.subscription_id = $1 AND d.period_end <= $2"
            " AND d.state IN ('sent', 'empty') ORDER BY d.period_end DESC LIMIT 1",
            subscription_id,
            utc(period_start),
        )
        return _entry(row) if row is not None else None

    async def latest(self, subscription_id: int) -> DigestEntry | None:
        """The digest of the subscription's most recent period, whatever its state."""
        row = await read_one(
            self._pool,
            _DIGEST + " WHERE d.subscription_id = $1 ORDER BY d.period_start DESC LIMIT 1",
            subscription_id,
        )
        return _entry(row) if row is not None else None


class PostgresGuildSettings:
    """Per-server settings (implements ``bot.news.ports.GuildSettingsRepository``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def timezone(self, guild_id: int) -> str | None:
        """The server's time zone, if one was set."""
        value = await read_value(
            self._pool, "SELECT timezone FROM guild_settings WHERE guild_id = $1", guild_id
        )
        return None if value is None else str(value)

    async def set_timezone(self, guild_id: int, timezone: str, now: datetime) -> None:
        """Set the server's time zone (an IANA name the caller has validated)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "INSERT INTO guild_settings (guild_id, timezone, updated_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (guild_id) DO UPDATE"
                " SET timezone = excluded.timezone, updated_at = excluded.updated_at",
                guild_id,
                timezone,
                utc(now),
            )

    async def timezones(self) -> list[tuple[int, str]]:
        """Every (server, time zone) that was set."""
        rows = await read(self._pool, "SELECT guild_id, timezone FROM guild_settings ORDER BY 1")
        return [(int(row[0]), str(row[1])) for row in rows]


def _entry(row: asyncpg.Record) -> DigestEntry:
    return DigestEntry(
        id=row["digest_id"],
        subscription=subscription_from_row(row),
        period_start=row["period_start"],
        period_end=row["period_end"],
        state=DigestState(row["digest_state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        sent_at=row["sent_at"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        covered_until=row["covered_until"],
        shown=tuple(json.loads(row["shown_stories"] or "[]")),
    )

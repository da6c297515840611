"""PostgreSQL implementation of the OutboxRepository port: queued posts and the delivery log.

Rows are created by the items repository's ``apply`` in the transaction that stores their
items; this repository reads what is due and records how each post ended. Every mark is
guarded by ``state = 'pending'``, so a late or repeated call can never turn a sent post back
into one that would be posted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bot.news.models import Company, OutboxEntry, OutboxState, utc
from storage.postgres.item_rows import ITEM_COLUMNS, item_companies, item_from_row
from storage.postgres.pool import Pool, affected, read, read_value, transaction

log = logging.getLogger(__name__)

# As SQLite's (storage/outbox.py): ``turn`` numbers each subscription's posts oldest first and
# the inner LIMIT takes every subscription's first post before anyone's second, so a flood in
# one channel never keeps a quiet channel's post waiting. $1 is now, $2 the limit (NULL: all).
_DUE = f"""
SELECT * FROM (
  SELECT o.id AS outbox_id, o.subscription_id AS outbox_subscription_id,
         s.guild_id AS outbox_guild_id, s.channel_id AS outbox_channel_id,
         o.state AS outbox_state, o.attempts AS outbox_attempts,
         o.created_at AS outbox_created_at, o.next_attempt_at AS outbox_next_attempt_at,
         o.message_id AS outbox_message_id, o.last_error AS outbox_last_error,
         o.roundup AS outbox_roundup,
         row_number() OVER (
           PARTITION BY o.subscription_id ORDER BY i.published, o.id
         ) AS outbox_turn,
         {ITEM_COLUMNS}
  FROM outbox AS o
  JOIN subscriptions AS s ON s.id = o.subscription_id
  JOIN items AS i ON i.id = o.item_id
  WHERE o.state = 'pending'
    AND {{where}}
    AND s.paused_reason IS NULL
    -- A channel whose post is waiting for a retry waits as a whole, so posts stay in order.
    AND NOT EXISTS (
      SELECT 1 FROM outbox AS w
      WHERE w.subscription_id = o.subscription_id AND w.state = 'pending'
        AND w.next_attempt_at > $1
    )
  ORDER BY outbox_turn, o.subscription_id
  LIMIT $2
) AS due
ORDER BY outbox_subscription_id, outbox_turn
"""


class PostgresOutboxRepository:
    """Posts waiting for delivery and the record of those delivered (implements
    ``bot.news.ports.OutboxRepository``).

    A (subscription, item) pair has one row ever (a UNIQUE key), so nothing is posted twice.
    Marks on ids that do not exist or are no longer pending change nothing.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def due(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Pending posts of unpaused subscriptions none of whose posts waits for a retry: at
        most ``limit``, shared round-robin between subscriptions, returned by subscription then
        oldest item first (see ``bot.news.ports.OutboxRepository.due``)."""
        if limit <= 0:
            return []
        return await self._entries(_DUE.format(where="TRUE"), utc(now), limit)

    async def compose_roundups(self, roundups: Sequence[tuple[str, Sequence[int]]]) -> None:
        """Put pending posts in roundups (nonce, entry ids), in one transaction, before any of
        them is posted; a post already in a roundup stays in it."""
        if not roundups:
            return
        async with transaction(self._pool) as connection:
            await connection.executemany(
                "UPDATE outbox SET roundup = $1 WHERE state = 'pending' AND roundup IS NULL"
                " AND id = ANY($2::bigint[])",
                [(nonce, [int(i) for i in ids]) for nonce, ids in roundups],
            )

    async def roundup_entries(
        self, subscription_id: int, nonce: str, now: datetime
    ) -> list[OutboxEntry]:
        """Every pending post of one roundup, in order (``due`` may have returned only some)."""
        return await self._entries(
            _DUE.format(where="o.subscription_id = $3 AND o.roundup = $4"),
            utc(now),
            None,
            subscription_id,
            nonce,
        )

    async def _entries(self, sql: str, *args: object) -> list[OutboxEntry]:
        rows = await read(self._pool, sql, *args)
        companies = await item_companies(self._pool, [row["id"] for row in rows])
        return [_entry_from_row(row, companies.get(row["id"], ())) for row in rows]

    async def mark_sent(self, entry_id: int, message_id: int, now: datetime) -> None:
        """Record that the post was delivered as ``message_id``; final, whatever comes later."""
        async with transaction(self._pool) as connection:
            status = await connection.execute(
                "UPDATE outbox SET state = 'sent', sent_at = $1, message_id = $2"
                " WHERE id = $3 AND state = 'pending'",
                utc(now),
                message_id,
                entry_id,
            )
        if affected(status) == 0:
            # Not an error (a replay after a crash, a subscription removed meanwhile), but a
            # message now exists for a row that says otherwise: worth a line in the log.
            log.info("outbox mark_sent ignored: entry_id=%s is not pending", entry_id)

    async def mark_retry(self, entry_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and hold the post until ``next_attempt_at``."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1,"
                " next_attempt_at = $2 WHERE id = $3 AND state = 'pending'",
                error,
                utc(next_attempt_at),
                entry_id,
            )

    async def mark_overflow(self, entry_ids: Sequence[int]) -> None:
        """Record posts announced in a roundup instead of posted one by one."""
        await self._finish(entry_ids, OutboxState.OVERFLOW, None)

    async def mark_dropped(self, entry_ids: Sequence[int], reason: str) -> None:
        """Record posts given up on (too old), with why; they are never posted."""
        await self._finish(entry_ids, OutboxState.DROPPED, reason)

    async def pending_count(self, subscription_id: int) -> int:
        """How many posts are queued for a subscription (due or waiting, paused or not)."""
        return int(
            await read_value(
                self._pool,
                "SELECT count(*) FROM outbox WHERE subscription_id = $1 AND state = 'pending'",
                subscription_id,
            )
        )

    async def _finish(
        self, entry_ids: Sequence[int], state: OutboxState, error: str | None
    ) -> None:
        if not entry_ids:
            return
        async with transaction(self._pool) as connection:
            # coalesce keeps a retry's last error when the new state has no reason of its own.
            await connection.execute(
                "UPDATE outbox SET state = $1, last_error = coalesce($2, last_error)"
                " WHERE state = 'pending' AND id = ANY($3::bigint[])",
                state.value,
                error,
                [int(i) for i in entry_ids],
            )


def _entry_from_row(row: asyncpg.Record, companies: tuple[Company, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=row["outbox_id"],
        subscription_id=row["outbox_subscription_id"],
        guild_id=row["outbox_guild_id"],
        channel_id=row["outbox_channel_id"],
        item=item_from_row(row, companies),
        state=OutboxState(row["outbox_state"]),
        attempts=row["outbox_attempts"],
        created_at=row["outbox_created_at"],
        next_attempt_at=row["outbox_next_attempt_at"],
        message_id=row["outbox_message_id"],
        last_error=row["outbox_last_error"],
        roundup=row["outbox_roundup"],
    )

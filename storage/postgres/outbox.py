"""PostgreSQL implementation of the OutboxRepository port: queued posts and the delivery log.

Rows are created by the items repository's ``apply`` in the transaction that stores their
items; this repository reads what is due and records how each post ended. Every mark is
guarded by ``state = 'pending'``, so a late or repeated call can never turn a sent post back
into one that would be posted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    Company,
    MessageStyle,
    OutboxEntry,
    OutboxState,
    PostFormat,
    PostLayout,
    Shards,
    utc,
)
from storage.postgres.item_rows import ITEM_COLUMNS, item_companies, item_from_row
from storage.postgres.pool import Pool, affected, read, read_value, transaction
from storage.postgres.shards import on_shards

log = logging.getLogger(__name__)

ENTRY_COLUMNS = f"""
    o.id AS outbox_id, o.subscription_id AS outbox_subscription_id,
    s.guild_id AS outbox_guild_id, s.channel_id AS outbox_channel_id,
    o.state AS outbox_state, o.attempts AS outbox_attempts,
    o.created_at AS outbox_created_at, o.next_attempt_at AS outbox_next_attempt_at,
    o.message_id AS outbox_message_id, o.last_error AS outbox_last_error,
    o.roundup AS outbox_roundup,
    s.style AS outbox_style, s.ping_role_id AS outbox_ping_role_id,
    s.layout AS outbox_layout, o.thread_id AS outbox_thread_id,
    {ITEM_COLUMNS}
"""
"""What ``entry_from_row`` reads, from ``outbox AS o``, ``subscriptions AS s``, ``items AS i``."""

STORY_WAIT = timedelta(minutes=2)
"""How long a post by story (a thread, a forum post) waits for its shared item to be placed in a
story, so that a story's second report finds the first one's thread (as SQLite's)."""

# As SQLite's (storage/outbox.py): ``turn`` numbers each subscription's posts oldest first and
# the inner LIMIT takes every subscription's first post before anyone's second, so a flood in
# one channel never keeps a quiet channel's post waiting. $1 is now, $2 the limit (NULL: all),
# $3 the oldest first_seen a post by story still waits for its story at.
_DUE = f"""
SELECT * FROM (
  SELECT {ENTRY_COLUMNS},
         row_number() OVER (
           PARTITION BY o.subscription_id ORDER BY i.published, o.id
         ) AS outbox_turn
  FROM outbox AS o
  JOIN subscriptions AS s ON s.id = o.subscription_id
  JOIN items AS i ON i.id = o.item_id
  WHERE o.state = 'pending'
    AND {{where}}
    AND s.paused_reason IS NULL
    AND NOT (s.layout <> 'message' AND i.story_id IS NULL AND i.first_seen > $3
             AND EXISTS (SELECT 1 FROM feeds AS f WHERE f.id = i.feed_id AND f.guild_id IS NULL))
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

MARK_SENT = """
UPDATE outbox SET state = 'sent', sent_at = $1, message_id = $2, thread_id = $3,
    publish_state = CASE
        WHEN $3::bigint IS NULL
             AND (SELECT publish FROM subscriptions WHERE id = outbox.subscription_id)
        THEN 'waiting' END
WHERE id = $4 AND state = 'pending'
"""
"""Record a post delivered (one statement, shared with the story threads' first posts): a
publishing subscription's post in its channel starts waiting to be published."""


class PostgresOutboxRepository:
    """Posts waiting for delivery and the record of those delivered (implements
    ``bot.news.ports.OutboxRepository``).

    A (subscription, item) pair has one row ever (a UNIQUE key), so nothing is posted twice.
    Marks on ids that do not exist or are no longer pending change nothing.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Pending posts of unpaused subscriptions none of whose posts waits for a retry: at
        most ``limit``, shared round-robin between subscriptions, returned by subscription then
        oldest item first, of guilds on ``shards`` only (see
        ``bot.news.ports.OutboxRepository.due``)."""
        if limit <= 0:
            return []
        now = utc(now)
        where, parameters = on_shards(shards, 4)
        return await self._entries(
            _DUE.format(where=where), now, limit, now - STORY_WAIT, *parameters
        )

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
        now = utc(now)
        return await self._entries(
            _DUE.format(where="o.subscription_id = $4 AND o.roundup = $5"),
            now,
            None,
            now - STORY_WAIT,
            subscription_id,
            nonce,
        )

    async def _entries(self, sql: str, *args: object) -> list[OutboxEntry]:
        rows = await read(self._pool, sql, *args)
        companies = await item_companies(self._pool, [row["id"] for row in rows])
        return [entry_from_row(row, companies.get(row["id"], ())) for row in rows]

    async def mark_sent(
        self, entry_id: int, message_id: int, now: datetime, *, thread_id: int | None = None
    ) -> None:
        """Record that the post was delivered as ``message_id`` (in thread ``thread_id``, if
        any); final, whatever comes later. A publishing subscription's post in its channel
        starts waiting to be published."""
        async with transaction(self._pool) as connection:
            status = await connection.execute(MARK_SENT, utc(now), message_id, thread_id, entry_id)
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

    async def mark_overflow(self, entry_ids: Sequence[int], message_id: int | None = None) -> None:
        """Record posts announced in a roundup (``message_id``, when known) instead of posted
        one by one; a publishing subscription's roundup waits to be published once, as its
        first post's row (see SQLite's)."""
        if not entry_ids:
            return
        async with transaction(self._pool) as connection:
            # One statement: a crash never leaves a posted roundup without its message.
            await connection.execute(
                "UPDATE outbox SET state = 'overflow', message_id = coalesce($1, message_id),"
                " publish_state = CASE WHEN $1::bigint IS NOT NULL AND id = $2 AND"
                " (SELECT publish FROM subscriptions WHERE id = outbox.subscription_id)"
                " THEN 'waiting' ELSE publish_state END"
                " WHERE state = 'pending' AND id = ANY($3::bigint[])",
                message_id,
                min(entry_ids),
                [int(i) for i in entry_ids],
            )

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


def entry_from_row(row: asyncpg.Record, companies: tuple[Company, ...]) -> OutboxEntry:
    """An outbox row selected with ``ENTRY_COLUMNS`` (and its item's companies)."""
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
        post_format=PostFormat(MessageStyle(row["outbox_style"]), row["outbox_ping_role_id"]),
        layout=PostLayout(row["outbox_layout"]),
        thread_id=row["outbox_thread_id"],
    )

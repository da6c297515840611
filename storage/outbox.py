"""SQLite implementation of the OutboxRepository port: queued posts and the delivery log.

Rows are created by ``SqliteItemRepository.apply`` in the transaction that stores their items
(see ``PlannedPost``); this repository reads what is due and records how each post ended.
A row leaves ``pending`` once and for all: every mark is guarded by ``state = 'pending'``, so a
late or repeated call (a retry recorded after the send, a crash replay) can never turn a sent
post back into one that would be posted again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.news.model.vocabulary import (
    ALL_SHARDS,
    Company,
    MessageStyle,
    OutboxEntry,
    OutboxState,
    PostFormat,
    PostLayout,
    Shards,
)
from storage._sql import Connections, from_db_time, from_db_time_or_none, to_db_time
from storage.items import ITEM_COLUMNS, item_companies, item_from_row
from storage.shards import on_shards

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

# outbox columns are aliased so that they cannot collide with the item's (both have an id).
# CROSS JOIN keeps the outbox as the outer loop: the planner then starts from the small
# pending-only index instead of walking each subscription's whole delivery history.
# ``turn`` numbers each subscription's posts oldest first; the outer query takes every
# subscription's first post before anyone's second (and so on) up to the limit, so a flood in
# one channel can never fill a drain and keep a quiet channel's post waiting behind it.
_DUE = f"""
SELECT * FROM (
  SELECT {ENTRY_COLUMNS},
         row_number() OVER (
           PARTITION BY o.subscription_id ORDER BY i.published, o.id
         ) AS outbox_turn
  FROM outbox AS o
  CROSS JOIN subscriptions AS s ON s.id = o.subscription_id
  CROSS JOIN items AS i ON i.id = o.item_id
  WHERE o.state = 'pending'
    AND {{where}}
    AND s.paused_reason IS NULL
    -- Posted by story (a thread, a forum post): a shared item waits a little for the stories
    -- stage to place it, so that a story's second report finds the first one's thread.
    AND NOT (s.layout != 'message' AND i.story_id IS NULL AND i.first_seen > :story_wait
             AND EXISTS (SELECT 1 FROM feeds AS f WHERE f.id = i.feed_id AND f.guild_id IS NULL))
    -- A channel whose post is waiting for a retry waits as a whole, so posts stay in order.
    AND NOT EXISTS (
      SELECT 1 FROM outbox AS w
      WHERE w.subscription_id = o.subscription_id AND w.state = 'pending'
        AND w.next_attempt_at > :now
    )
  ORDER BY outbox_turn, o.subscription_id
  LIMIT :limit
)
ORDER BY outbox_subscription_id, outbox_turn
"""


# How long a post by story waits for its (shared) item to be placed in a story.
STORY_WAIT = timedelta(minutes=2)

MARK_SENT = """
UPDATE outbox SET state = 'sent', sent_at = :sent_at, message_id = :message_id,
    thread_id = :thread_id,
    publish_state = CASE
        WHEN :thread_id IS NULL
             AND (SELECT publish FROM subscriptions WHERE id = outbox.subscription_id) = 1
        THEN 'waiting' END
WHERE id = :id AND state = 'pending'
"""
"""Record a post delivered (one statement, shared with the story threads' first posts)."""


_MARK_OVERFLOW = """
UPDATE outbox SET state = 'overflow', message_id = coalesce(?1, message_id),
    publish_state = CASE
        WHEN ?1 IS NOT NULL AND id = ?2
             AND (SELECT publish FROM subscriptions WHERE id = outbox.subscription_id) = 1
        THEN 'waiting' ELSE publish_state END
WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?3))
"""
"""Posts shown in a roundup, with its message when known (one statement: a crash never leaves
a posted roundup without it); its first row waits to be published."""


def _ids(entry_ids: Sequence[int]) -> str:
    return json.dumps([int(i) for i in entry_ids])


class SqliteOutboxRepository:
    """Posts waiting for delivery and the record of those delivered (implements
    ``bot.news.ports.OutboxRepository``).

    A (subscription, item) pair has one row ever (a UNIQUE key), so nothing is posted twice.
    Marks on ids that do not exist or are no longer pending change nothing.
    """

    def __init__(self, connections: Connections) -> None:
        self._db = connections

    async def due(
        self, now: datetime, limit: int, shards: Shards = ALL_SHARDS
    ) -> list[OutboxEntry]:
        """Pending posts of unpaused subscriptions none of whose posts waits for a retry, of
        guilds on ``shards`` (every guild unless the process serves some shards only).

        At most ``limit`` of them, shared round-robin: each subscription's oldest post before
        any subscription's second oldest, and so on, so that one subscription's flood never
        crowds the others out of a drain. Returned ordered by subscription, then by the item's
        publication date (oldest first), then by queueing order: each subscription's share is
        its oldest posts, in order. Two queries however many rows: the entries with their
        items, then the items' companies.
        """
        if limit <= 0:
            return []
        where, parameters = on_shards(shards)
        return await self._entries(
            _DUE.format(where=where),
            {
                "now": to_db_time(now),
                "limit": limit,
                "story_wait": to_db_time(now - STORY_WAIT),
                **parameters,
            },
        )

    async def compose_roundups(self, roundups: Sequence[tuple[str, Sequence[int]]]) -> None:
        """Put pending posts in roundups (nonce, entry ids), in one transaction, before any of
        them is posted; a post already in a roundup stays in it."""
        if not roundups:
            return
        async with self._db.transaction() as db:
            await db.executemany(
                "UPDATE outbox SET roundup = ? WHERE state = 'pending' AND roundup IS NULL"
                " AND id IN (SELECT value FROM json_each(?))",
                [(nonce, json.dumps([int(i) for i in ids])) for nonce, ids in roundups],
            )

    async def roundup_entries(
        self, subscription_id: int, nonce: str, now: datetime
    ) -> list[OutboxEntry]:
        """Every pending post of one roundup, in order (``due`` may have returned only some)."""
        return await self._entries(
            _DUE.format(where="o.subscription_id = :subscription AND o.roundup = :roundup"),
            {
                "now": to_db_time(now),
                "story_wait": to_db_time(now - STORY_WAIT),
                "limit": -1,
                "subscription": subscription_id,
                "roundup": nonce,
            },
        )

    async def _entries(self, sql: str, parameters: dict[str, object]) -> list[OutboxEntry]:
        rows = await self._db.read(sql, parameters)
        companies = await item_companies(self._db, [row["id"] for row in rows])
        return [entry_from_row(row, companies.get(row["id"], ())) for row in rows]

    async def mark_sent(
        self, entry_id: int, message_id: int, now: datetime, *, thread_id: int | None = None
    ) -> None:
        """Record that the post was delivered as ``message_id`` (in thread ``thread_id``, if
        any); final, whatever comes later. A publishing subscription's post in its channel
        starts waiting to be published."""
        async with self._db.transaction() as db:
            cursor = await db.execute(
                MARK_SENT,
                {
                    "sent_at": to_db_time(now),
                    "message_id": message_id,
                    "thread_id": thread_id,
                    "id": entry_id,
                },
            )
            changed = cursor.rowcount
            await cursor.close()
        if changed == 0:
            # Not an error (a replay after a crash, a subscription removed meanwhile), but a
            # message now exists for a row that says otherwise: worth a line in the log.
            log.info("outbox mark_sent ignored: entry_id=%s is not pending", entry_id)

    async def mark_retry(self, entry_id: int, error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt and hold the post until ``next_attempt_at``."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE id = ? AND state = 'pending'",
                (error, to_db_time(next_attempt_at), entry_id),
            )

    async def mark_overflow(self, entry_ids: Sequence[int], message_id: int | None = None) -> None:
        """Record posts announced in a roundup (``message_id``, when known) instead of posted
        one by one. A publishing subscription's roundup waits to be published once, as its
        first post's row (the others carry the message id only)."""
        if not entry_ids:
            return
        async with self._db.transaction() as db:
            await db.execute(_MARK_OVERFLOW, (message_id, min(entry_ids), _ids(entry_ids)))

    async def mark_dropped(self, entry_ids: Sequence[int], reason: str) -> None:
        """Record posts given up on (too old), with why; they are never posted."""
        await self._finish(entry_ids, OutboxState.DROPPED, reason)

    async def pending_count(self, subscription_id: int) -> int:
        """How many posts are queued for a subscription (due or waiting, paused or not)."""
        row = await self._db.read_one(
            "SELECT count(*) FROM outbox WHERE subscription_id = ? AND state = 'pending'",
            (subscription_id,),
        )
        assert row is not None
        return int(row[0])

    async def _finish(
        self, entry_ids: Sequence[int], state: OutboxState, error: str | None
    ) -> None:
        if not entry_ids:
            return
        async with self._db.transaction() as db:
            # One statement for the whole batch; coalesce keeps a retry's last error when the
            # new state has no reason of its own.
            await db.execute(
                "UPDATE outbox SET state = ?, last_error = coalesce(?, last_error)"
                " WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?))",
                (state.value, error, json.dumps([int(i) for i in entry_ids])),
            )


def entry_from_row(row: sqlite3.Row, companies: tuple[Company, ...]) -> OutboxEntry:
    """An outbox row selected with ``ENTRY_COLUMNS`` (and its item's companies)."""
    return OutboxEntry(
        id=row["outbox_id"],
        subscription_id=row["outbox_subscription_id"],
        guild_id=row["outbox_guild_id"],
        channel_id=row["outbox_channel_id"],
        item=item_from_row(row, companies),
        state=OutboxState(row["outbox_state"]),
        attempts=row["outbox_attempts"],
        created_at=from_db_time(row["outbox_created_at"]),
        next_attempt_at=from_db_time_or_none(row["outbox_next_attempt_at"]),
        message_id=row["outbox_message_id"],
        last_error=row["outbox_last_error"],
        roundup=row["outbox_roundup"],
        post_format=PostFormat(MessageStyle(row["outbox_style"]), row["outbox_ping_role_id"]),
        layout=PostLayout(row["outbox_layout"]),
        thread_id=row["outbox_thread_id"],
    )

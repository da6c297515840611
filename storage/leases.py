"""Feed leases on SQLite: which poller may poll a feed, and store its result, until when.

Several pollers are a PostgreSQL set-up (``storage/postgres/leases.py``); SQLite gives the same
meaning under its one writer (every statement here runs in a ``BEGIN IMMEDIATE`` transaction),
so the contract tests hold on both and a single process never needs to know which it runs on.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta

from bot.news.model.errors import LeaseLost
from bot.news.model.vocabulary import Feed
from storage._sql import Connections, to_db_time
from storage.feeds import FEED_COLUMNS, feed_from_row

log = logging.getLogger(__name__)

_CLAIM_DUE = f"""
UPDATE feeds SET lease_owner = :owner, lease_until = :until
WHERE id IN (
    SELECT id FROM feeds
    WHERE enabled = 1 AND (next_due IS NULL OR next_due <= :now)
      AND (lease_until IS NULL OR lease_until <= :now)
    ORDER BY next_due NULLS FIRST, id
    LIMIT :limit
)
RETURNING {FEED_COLUMNS}
"""

# Frees the lease and says it was held, in one statement of the transaction that stores.
_KEEP_LEASED_RESULT = """
UPDATE feeds SET lease_owner = NULL, lease_until = NULL
WHERE id = :feed_id AND lease_owner = :owner AND lease_until > :at
RETURNING id
"""


async def claim_due(
    connections: Connections, now: datetime, owner: str, lease: timedelta, limit: int
) -> list[Feed]:
    """Lease up to ``limit`` due, unleased (or expired) feeds to ``owner``; most overdue first."""
    parameters = {
        "owner": owner,
        "until": to_db_time(now + lease),
        "now": to_db_time(now),
        "limit": limit,
    }
    async with connections.transaction() as db:
        rows = list(await db.execute_fetchall(_CLAIM_DUE, parameters))
    feeds = [feed_from_row(row) for row in rows]
    # RETURNING has no order of its own.
    feeds.sort(key=lambda feed: (feed.next_due is not None, feed.next_due or now, feed.id))
    return feeds


async def release(connections: Connections, owner: str) -> None:
    """Free every feed ``owner`` holds a lease on."""
    async with connections.transaction() as db:
        await db.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?",
            (owner,),
        )


def keep_leased_result(
    db: sqlite3.Connection, feed_id: int, owner: str, polled_at: datetime
) -> None:
    """In the storing transaction: free the feed's lease if ``owner`` held it at ``polled_at``;
    raise LeaseLost otherwise (the transaction rolls back, nothing is stored). A feed removed
    meanwhile passes: the apply that follows skips it. Runs on the writer's thread
    (``Connections.write_at_once``)."""
    # fetchall: a statement left unfinished would keep COMMIT from running.
    held = db.execute(
        _KEEP_LEASED_RESULT,
        {"feed_id": feed_id, "owner": owner, "at": to_db_time(polled_at)},
    ).fetchall()
    if held:
        return
    if db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchall():
        raise LeaseLost(f"feed {feed_id}: the lease of {owner} ran out or was taken over")

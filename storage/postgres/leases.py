"""Feed leases on PostgreSQL: which poller may poll a feed, and store its result, until when.

A claim is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``: pollers
claiming at the same moment skip each other's rows instead of waiting or taking them twice, and
a lease that ran out (a killed poller) is claimable like an unleased feed. Storing a result
frees the lease in the storing transaction, after checking it is still the poller's own; the
row lock that statement takes keeps a claim from slipping in before the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.news.model.errors import LeaseLost
from bot.news.model.vocabulary import Feed, utc
from storage.postgres.feeds import FEED_COLUMNS, feed_from_row
from storage.postgres.pool import Connection, Pool, transaction

_CLAIM_DUE = f"""
UPDATE feeds SET lease_owner = $2, lease_until = $3
WHERE id IN (
    SELECT id FROM feeds
    WHERE enabled AND (next_due IS NULL OR next_due <= $1)
      AND (lease_until IS NULL OR lease_until <= $1)
    ORDER BY next_due NULLS FIRST, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING {FEED_COLUMNS}
"""

_KEEP_LEASED_RESULT = """
UPDATE feeds SET lease_owner = NULL, lease_until = NULL
WHERE id = $1 AND lease_owner = $2 AND lease_until > $3
RETURNING id
"""


async def claim_due(
    pool: Pool, now: datetime, owner: str, lease: timedelta, limit: int
) -> list[Feed]:
    """Lease up to ``limit`` due, unleased (or expired) feeds to ``owner``; most overdue first."""
    async with transaction(pool) as connection:
        rows = await connection.fetch(_CLAIM_DUE, utc(now), owner, utc(now + lease), limit)
    feeds = [feed_from_row(row) for row in rows]
    # RETURNING has no order of its own.
    feeds.sort(key=lambda feed: (feed.next_due is not None, feed.next_due or now, feed.id))
    return feeds


async def release(pool: Pool, owner: str) -> None:
    """Free every feed ``owner`` holds a lease on."""
    async with transaction(pool) as connection:
        await connection.execute(
            "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1",
            owner,
        )


async def keep_leased_result(
    connection: Connection, feed_id: int, owner: str, polled_at: datetime
) -> None:
    """In the storing transaction: free the feed's lease if ``owner`` held it at ``polled_at``;
    raise LeaseLost otherwise (the transaction rolls back, nothing is stored). A feed removed
    meanwhile passes: the apply that follows skips it."""
    held = await connection.fetchval(_KEEP_LEASED_RESULT, feed_id, owner, utc(polled_at))
    if held is not None:
        return
    if await connection.fetchval("SELECT 1 FROM feeds WHERE id = $1", feed_id) is not None:
        raise LeaseLost(f"feed {feed_id}: the lease of {owner} ran out or was taken over")

"""Claims on subscriptions' delivery (several gateway processes), on PostgreSQL.

A claim is a lease on the subscription's row (``lease_owner``, ``lease_until``): taken when
nobody holds a live one (or renewed by its holder), in the same transaction that reads which
of the posts read before are still pending. Two claims at once queue on the row's lock, and the
second sees the first's lease. A claim that runs out (a killed gateway) is taken over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.news.model.vocabulary import utc
from storage.postgres.pool import Pool, transaction

_CLAIM = """
UPDATE subscriptions SET lease_owner = $2, lease_until = $3
WHERE id = $1 AND (lease_until IS NULL OR lease_until <= $4 OR lease_owner = $2)
RETURNING id
"""

_STILL_PENDING = "SELECT id FROM outbox WHERE id = ANY($1::bigint[]) AND state = 'pending'"

_RELEASE = """
UPDATE subscriptions SET lease_owner = NULL, lease_until = NULL
WHERE id = $1 AND lease_owner = $2
"""


class PostgresDeliveryClaims:
    """The ``DeliveryClaims`` port on PostgreSQL, in ``owner``'s name."""

    def __init__(self, pool: Pool, owner: str, lease: timedelta) -> None:
        self._pool = pool
        self._owner = owner
        self._lease = lease

    async def claim(
        self, subscription_id: int, entry_ids: Sequence[int], now: datetime
    ) -> set[int] | None:
        """Claim the subscription's delivery; the ids still pending, or None if not claimed."""
        async with transaction(self._pool) as connection:
            claimed = await connection.fetchval(
                _CLAIM, subscription_id, self._owner, utc(now + self._lease), utc(now)
            )
            if claimed is None:
                return None
            rows = await connection.fetch(_STILL_PENDING, list(entry_ids))
        return {int(row["id"]) for row in rows}

    async def release(self, subscription_id: int) -> None:
        """End this owner's claim on the subscription (no-op when it holds none)."""
        async with transaction(self._pool) as connection:
            await connection.execute(_RELEASE, subscription_id, self._owner)

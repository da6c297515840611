"""PostgreSQL implementation of the SubscriptionRepository port."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from bot.news.model.vocabulary import (
    MessageStyle,
    NewSubscription,
    NotFoundStrikes,
    PostFormat,
    PostLayout,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    utc,
)
from storage.postgres.pool import Pool, read, read_one, read_value, transaction

SUBSCRIPTION_COLUMNS = """
    id, guild_id, channel_id, companies, keywords, exclude, mode, post_hour, created_at,
    created_by, paused_reason, paused_at, topics, style, ping_role_id, layout, publish,
    not_found_count, not_found_first, not_found_last
"""
"""The columns ``subscription_from_row`` reads."""


def subscription_from_row(row: asyncpg.Record) -> Subscription:
    """A ``subscriptions`` row (selected with ``SUBSCRIPTION_COLUMNS``) as a Subscription."""
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        filter=SubscriptionFilter(
            companies=tuple(row["companies"]),
            keywords=tuple(row["keywords"]),
            exclude=tuple(row["exclude"]),
            topics=tuple(row["topics"]),
        ),
        mode=SubscriptionMode(row["mode"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        paused_reason=row["paused_reason"],
        paused_at=row["paused_at"],
        post_hour=row["post_hour"],
        post_format=PostFormat(MessageStyle(row["style"]), row["ping_role_id"]),
        layout=PostLayout(row["layout"]),
        publish=row["publish"],
        not_found=_strikes(row),
    )


def _strikes(row: asyncpg.Record) -> NotFoundStrikes | None:
    if not row["not_found_count"]:
        return None
    return NotFoundStrikes(row["not_found_count"], row["not_found_first"], row["not_found_last"])


# Pausing a paused subscription records the newer reason but keeps when it was first paused.
_PAUSE = (
    "UPDATE subscriptions SET paused_reason = $1, paused_at = coalesce(paused_at, $2) WHERE id = $3"
)
_NO_STRIKES = "not_found_count = 0, not_found_first = NULL, not_found_last = NULL"


class PostgresSubscriptionRepository:
    """Channels' standing orders for news (implements ``bot.news.ports.SubscriptionRepository``).

    Ids are never reused (an identity sequence), so the delivery log of a removed subscription
    can never be mistaken for a new one's. Operations on an id that does not exist do nothing.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        # list_all's last answer and the subscriptions' version it was read at: the poller
        # lists every subscription each time it starts feeds (many times a second with
        # thousands of feeds), and reading and building them again was wasted while none
        # changed (migration 9 keeps the version; SQLite keeps its decoded rows instead).
        self._listed: tuple[int, tuple[Subscription, ...]] | None = None

    async def add(self, subscription: NewSubscription, now: datetime) -> Subscription:
        """Store a new, unpaused subscription created at ``now``."""
        f = subscription.filter
        async with transaction(self._pool) as connection:
            row = await connection.fetchrow(
                f"""
                INSERT INTO subscriptions (guild_id, channel_id, companies, keywords, exclude,
                                           mode, post_hour, created_at, created_by, topics,
                                           style, ping_role_id, layout, publish)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                RETURNING {SUBSCRIPTION_COLUMNS}
                """,
                subscription.guild_id,
                subscription.channel_id,
                list(f.companies),
                list(f.keywords),
                list(f.exclude),
                subscription.mode.value,
                subscription.post_hour,
                utc(now),
                subscription.created_by,
                list(f.topics),
                subscription.post_format.style.value,
                subscription.post_format.ping_role_id,
                subscription.layout.value,
                subscription.publish,
            )
        assert row is not None  # INSERT ... RETURNING always returns the row
        return subscription_from_row(row)

    async def get(self, subscription_id: int) -> Subscription | None:
        """The subscription with this id, or None."""
        row = await read_one(
            self._pool,
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1",
            subscription_id,
        )
        return None if row is None else subscription_from_row(row)

    async def list_for_guild(self, guild_id: int) -> list[Subscription]:
        """One server's subscriptions, paused ones included, oldest first (by id)."""
        rows = await read(
            self._pool,
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE guild_id = $1 ORDER BY id",
            guild_id,
        )
        return [subscription_from_row(row) for row in rows]

    async def list_all(self) -> list[Subscription]:
        """Every subscription, paused ones included (their posts wait in the outbox), by id."""
        # The version first: rows read after it are at least as new, so a change committed
        # in between is read now and read again at the next call, never missed.
        version = int(await read_value(self._pool, "SELECT version FROM subscription_changes"))
        if self._listed is not None and self._listed[0] == version:
            return list(self._listed[1])
        rows = await read(
            self._pool, f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY id"
        )
        listed = tuple(subscription_from_row(row) for row in rows)
        self._listed = (version, listed)
        return list(listed)

    async def remove(self, subscription_id: int) -> None:
        """Delete a subscription with its outbox rows and digests (the schema cascades)."""
        async with transaction(self._pool) as connection:
            await connection.execute("DELETE FROM subscriptions WHERE id = $1", subscription_id)

    async def pause(self, subscription_id: int, reason: str, now: datetime) -> None:
        """Stop delivery for a subscription; its posts stay queued until ``resume``.

        Pausing a paused subscription records the newer reason but keeps when it was first
        paused.
        """
        async with transaction(self._pool) as connection:
            await connection.execute(_PAUSE, reason, utc(now), subscription_id)

    async def resume(self, subscription_id: int) -> None:
        """Let delivery post for a subscription again (a no-op if it was not paused)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL"
                " WHERE id = $1 AND paused_reason IS NOT NULL",
                subscription_id,
            )

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> int:
        """Pause a subscription for good, forget its 404 strikes and drop its pending posts
        and digests with ``reason``; how many were dropped."""
        dropped = 0
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE subscriptions SET paused_reason = $1, paused_at = coalesce(paused_at, $2),"
                f" {_NO_STRIKES} WHERE id = $3",
                reason,
                utc(now),
                subscription_id,
            )
            for table in ("outbox", "digests"):
                status = await connection.execute(
                    f"UPDATE {table} SET state = 'dropped', last_error = $1"
                    " WHERE subscription_id = $2 AND state = 'pending'",
                    reason,
                    subscription_id,
                )
                # asyncpg answers with the command tag, "UPDATE <rows>".
                dropped += int(status.rsplit(" ", 1)[-1])
        return dropped

    async def strike_not_found(self, subscription_id: int, now: datetime) -> NotFoundStrikes | None:
        """One more 404 of the subscription's channel; its strikes, or None when it is gone."""
        async with transaction(self._pool) as connection:
            row = await connection.fetchrow(
                "UPDATE subscriptions SET not_found_count = not_found_count + 1,"
                " not_found_first = coalesce(not_found_first, $1), not_found_last = $1"
                " WHERE id = $2"
                " RETURNING not_found_count, not_found_first, not_found_last",
                utc(now),
                subscription_id,
            )
        return None if row is None else _strikes(row)

    async def clear_not_found(self, subscription_id: int) -> None:
        """Forget the subscription's 404 strikes (a no-op when it has none)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                f"UPDATE subscriptions SET {_NO_STRIKES} WHERE id = $1 AND not_found_count > 0",
                subscription_id,
            )

    async def set_post_format(self, subscription_id: int, post_format: PostFormat) -> None:
        """Change a subscription's style and ping role; posts already sent stay as they are."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE subscriptions SET style = $1, ping_role_id = $2 WHERE id = $3",
                post_format.style.value,
                post_format.ping_role_id,
                subscription_id,
            )

    async def set_layout(self, subscription_id: int, layout: PostLayout, publish: bool) -> None:
        """Change where a subscription's posts go and whether they are published, from the
        next post on (a story already posted keeps its thread)."""
        async with transaction(self._pool) as connection:
            await connection.execute(
                "UPDATE subscriptions SET layout = $1, publish = $2 WHERE id = $3",
                layout.value,
                publish,
                subscription_id,
            )

    async def count_for_guild(self, guild_id: int) -> int:
        """How many subscriptions a server has, paused ones included."""
        return int(
            await read_value(
                self._pool, "SELECT count(*) FROM subscriptions WHERE guild_id = $1", guild_id
            )
        )

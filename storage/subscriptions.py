"""SQLite implementation of the SubscriptionRepository port."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.news.model.vocabulary import (
    MessageStyle,
    NewSubscription,
    NotFoundStrikes,
    PostFormat,
    PostLayout,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from storage._sql import (
    Connections,
    fetch_one,
    from_db_time,
    from_db_time_or_none,
    from_json_list,
    to_db_time,
    to_json_list,
)

SUBSCRIPTION_COLUMNS = """
    id, guild_id, channel_id, companies, keywords, exclude, mode, post_hour, created_at,
    created_by, paused_reason, paused_at, topics, style, ping_role_id, layout, publish,
    not_found_count, not_found_first, not_found_last
"""
"""The columns ``subscription_from_row`` reads."""


def subscription_from_row(row: sqlite3.Row) -> Subscription:
    """A ``subscriptions`` row (selected with ``SUBSCRIPTION_COLUMNS``) as a Subscription."""
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        filter=SubscriptionFilter(
            companies=from_json_list(row["companies"]),
            keywords=from_json_list(row["keywords"]),
            exclude=from_json_list(row["exclude"]),
            topics=from_json_list(row["topics"]),
        ),
        mode=SubscriptionMode(row["mode"]),
        created_at=from_db_time(row["created_at"]),
        created_by=row["created_by"],
        paused_reason=row["paused_reason"],
        paused_at=from_db_time_or_none(row["paused_at"]),
        post_hour=row["post_hour"],
        post_format=PostFormat(MessageStyle(row["style"]), row["ping_role_id"]),
        layout=PostLayout(row["layout"]),
        publish=bool(row["publish"]),
        not_found=_strikes(row),
    )


def _strikes(row: sqlite3.Row) -> NotFoundStrikes | None:
    if not row["not_found_count"]:
        return None
    return NotFoundStrikes(
        row["not_found_count"],
        from_db_time(row["not_found_first"]),
        from_db_time(row["not_found_last"]),
    )


_NO_STRIKES = "not_found_count = 0, not_found_first = NULL, not_found_last = NULL"


class SqliteSubscriptionRepository:
    """Channels' standing orders for news (implements ``bot.news.ports.SubscriptionRepository``).

    Ids are never reused (AUTOINCREMENT), so the delivery log of a removed subscription can
    never be mistaken for a new one's. Operations on an id that does not exist (removed
    meanwhile, e.g. by a command while delivery was pausing it) do nothing.
    """

    def __init__(self, connections: Connections) -> None:
        self._db = connections
        # list_all's rows decoded, by their values: the poller reads every subscription each
        # time it starts feeds (many times a second with thousands of feeds), and decoding
        # the rows' JSON filters again was most of a busy poller's CPU (benchmarks/scale.py).
        # A row whose values are unchanged decodes to the same frozen Subscription.
        self._decoded: dict[tuple[object, ...], Subscription] = {}

    async def add(self, subscription: NewSubscription, now: datetime) -> Subscription:
        """Store a new, unpaused subscription created at ``now``."""
        f = subscription.filter
        async with self._db.transaction() as db:
            row = await fetch_one(
                db,
                f"""
                INSERT INTO subscriptions (guild_id, channel_id, companies, keywords, exclude,
                                           mode, post_hour, created_at, created_by, topics,
                                           style, ping_role_id, layout, publish)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING {SUBSCRIPTION_COLUMNS}
                """,
                (
                    subscription.guild_id,
                    subscription.channel_id,
                    to_json_list(f.companies),
                    to_json_list(f.keywords),
                    to_json_list(f.exclude),
                    subscription.mode.value,
                    subscription.post_hour,
                    to_db_time(now),
                    subscription.created_by,
                    to_json_list(f.topics),
                    subscription.post_format.style.value,
                    subscription.post_format.ping_role_id,
                    subscription.layout.value,
                    int(subscription.publish),
                ),
            )
        assert row is not None  # INSERT ... RETURNING always returns the row
        return subscription_from_row(row)

    async def get(self, subscription_id: int) -> Subscription | None:
        """The subscription with this id, or None."""
        row = await self._db.read_one(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        return None if row is None else subscription_from_row(row)

    async def list_for_guild(self, guild_id: int) -> list[Subscription]:
        """One server's subscriptions, paused ones included, oldest first (by id)."""
        rows = await self._db.read(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE guild_id = ? ORDER BY id",
            (guild_id,),
        )
        return [subscription_from_row(row) for row in rows]

    async def list_all(self) -> list[Subscription]:
        """Every subscription, paused ones included (their posts wait in the outbox), by id."""
        rows = await self._db.read(f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY id")
        decoded: dict[tuple[object, ...], Subscription] = {}
        listed = []
        for row in rows:
            values = tuple(row)
            listed.append(self._decoded.get(values) or subscription_from_row(row))
            decoded[values] = listed[-1]
        self._decoded = decoded  # the current rows only: as large as the table, no larger
        return listed

    async def remove(self, subscription_id: int) -> None:
        """Delete a subscription with its outbox rows, pending and delivered (the schema cascades).

        Nothing of the delivery log needs keeping: the id is never given out again.
        """
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    async def pause(self, subscription_id: int, reason: str, now: datetime) -> None:
        """Stop delivery for a subscription; its posts stay queued until ``resume``.

        Pausing a paused subscription records the newer reason but keeps when it was first
        paused, which is what tells an operator how long the channel has been silent.
        """
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = coalesce(paused_at, ?)"
                " WHERE id = ?",
                (reason, to_db_time(now), subscription_id),
            )

    async def resume(self, subscription_id: int) -> None:
        """Let delivery post for a subscription again (a no-op if it was not paused)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET paused_reason = NULL, paused_at = NULL"
                " WHERE id = ? AND paused_reason IS NOT NULL",
                (subscription_id,),
            )

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> int:
        """Pause a subscription for good, forget its 404 strikes and drop its pending posts
        and digests with ``reason``; how many were dropped."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET paused_reason = ?, paused_at = coalesce(paused_at, ?),"
                f" {_NO_STRIKES} WHERE id = ?",
                (reason, to_db_time(now), subscription_id),
            )
            dropped = 0
            for table in ("outbox", "digests"):
                cursor = await db.execute(
                    f"UPDATE {table} SET state = 'dropped', last_error = ?"
                    " WHERE subscription_id = ? AND state = 'pending'",
                    (reason, subscription_id),
                )
                dropped += max(cursor.rowcount, 0)
        return dropped

    async def strike_not_found(self, subscription_id: int, now: datetime) -> NotFoundStrikes | None:
        """One more 404 of the subscription's channel; its strikes, or None when it is gone."""
        async with self._db.transaction() as db:
            row = await fetch_one(
                db,
                "UPDATE subscriptions SET not_found_count = not_found_count + 1,"
                " not_found_first = coalesce(not_found_first, :now), not_found_last = :now"
                " WHERE id = :id"
                " RETURNING not_found_count, not_found_first, not_found_last",
                {"now": to_db_time(now), "id": subscription_id},
            )
        return None if row is None else _strikes(row)

    async def clear_not_found(self, subscription_id: int) -> None:
        """Forget the subscription's 404 strikes (a no-op when it has none)."""
        async with self._db.transaction() as db:
            await db.execute(
                f"UPDATE subscriptions SET {_NO_STRIKES} WHERE id = ? AND not_found_count > 0",
                (subscription_id,),
            )

    async def set_post_format(self, subscription_id: int, post_format: PostFormat) -> None:
        """Change a subscription's style and ping role; posts already sent stay as they are."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET style = ?, ping_role_id = ? WHERE id = ?",
                (post_format.style.value, post_format.ping_role_id, subscription_id),
            )

    async def set_layout(self, subscription_id: int, layout: PostLayout, publish: bool) -> None:
        """Change where a subscription's posts go and whether they are published, from the
        next post on (a story already posted keeps its thread)."""
        async with self._db.transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET layout = ?, publish = ? WHERE id = ?",
                (layout.value, int(publish), subscription_id),
            )

    async def count_for_guild(self, guild_id: int) -> int:
        """How many subscriptions a server has, paused ones included."""
        row = await self._db.read_one(
            "SELECT count(*) FROM subscriptions WHERE guild_id = ?", (guild_id,)
        )
        assert row is not None
        return int(row[0])

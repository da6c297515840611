"""Discord shards across processes: which shards a process may serve, and when it identifies.

``shopwire run --shards 0-7 --shard-count 32`` runs discord.py's ``AutoShardedBot`` on those
shards (``bot/client.py``); delivery and digests then read only their guilds' work
(``Settings.served_shards``). Discord lets a bot start ``max_concurrency`` sessions per 5 s,
one per bucket (``shard_id % max_concurrency``, from ``GET /gateway/bot``): before each
IDENTIFY a shard waits for its bucket's turn, shared by every process on PostgreSQL
(``IdentifyLocks``), kept in memory otherwise.
"""

from __future__ import annotations

import asyncio
import logging

from bot.news.model.errors import StorageError
from bot.news.model.vocabulary import Shards
from bot.news.ports import IdentifyLocks
from bot.settings import Settings

log = logging.getLogger("shopwire")

IDENTIFY_WINDOW = 5.0
"""Seconds in which Discord allows one IDENTIFY per bucket."""
IDENTIFY_MARGIN = 0.5
"""A turn is held a little longer than the window: the IDENTIFY still travels after the turn
is taken, and Discord's clock is not ours."""


def shard_refusal(settings: Settings) -> str | None:
    """Why the shard settings cannot run with this role (one line), or None when they can."""
    if settings.shard_count is None:
        return None
    if settings.role == "poller":
        return "--shards and --shard-count are for processes connected to Discord, not pollers"
    shards = settings.served_shards
    if settings.role == "all" and not shards.everything:
        return (
            f"this process would serve shards {settings.shards} of {shards.count}: a process"
            " serving some of the shards is one of several, so run it with --role gateway"
            " (PostgreSQL), which runs stories and digest planning once for them all"
        )
    return None


class ShardsInUse(Exception):
    """Another live process serves some of the shards this one was started on."""

    def __init__(self, shards: tuple[int, ...], count: int) -> None:
        self.shards = shards
        listed = ", ".join(str(shard) for shard in shards)
        super().__init__(
            f"shard{'s' if len(shards) > 1 else ''} {listed} of {count} already served by another"
            " running process: give each gateway its own --shards"
        )


class ShardsLost(Exception):
    """The database connection that held this gateway's shards (None: every server, unsharded)
    ended while it served them."""

    def __init__(self, shards: Shards | None, reason: str) -> None:
        self.shards = shards
        if shards is None:  # an unsharded client's hold is on every server
            held = "every server (no --shard-count)"
        else:
            listed = ", ".join(str(shard) for shard in shards.ids)
            held = f"shard{'s' if len(shards.ids) > 1 else ''} {listed} of {shards.count}"
        super().__init__(
            f"lost the database's hold on {held} ({reason}): stopped so that no other gateway"
            " serves them beside this one; start it again to take them back"
        )


class LocalIdentifyLocks:
    """Identify turns kept in this process (a SQLite database is one process's)."""

    def __init__(self) -> None:
        self._buckets: dict[int, asyncio.Lock] = {}
        self._held: set[asyncio.TimerHandle] = set()

    async def hold(self, bucket: int, seconds: float) -> None:
        lock = self._buckets.setdefault(bucket, asyncio.Lock())
        await lock.acquire()
        handle = asyncio.get_running_loop().call_later(seconds, self._release, lock)
        self._held.add(handle)

    def _release(self, lock: asyncio.Lock) -> None:
        self._held = {handle for handle in self._held if not handle.cancelled()}
        if lock.locked():
            lock.release()

    async def close(self) -> None:
        for handle in self._held:
            handle.cancel()
        self._held.clear()


class IdentifyQueue:
    """Gives each shard its bucket's turn before it identifies (``before_identify_hook``)."""

    def __init__(self, locks: IdentifyLocks, max_concurrency: int = 1) -> None:
        self._locks = locks
        self.max_concurrency = max(max_concurrency, 1)

    def allow(self, max_concurrency: int) -> None:
        """The bot's ``max_concurrency``, once Discord said it (``session_start_limit``)."""
        self.max_concurrency = max(max_concurrency, 1)

    async def wait_turn(self, shard_id: int) -> None:
        """Return when the shard may send its IDENTIFY."""
        bucket = shard_id % self.max_concurrency
        try:
            await self._locks.hold(bucket, IDENTIFY_WINDOW + IDENTIFY_MARGIN)
        except StorageError as exc:
            # Without the database's word, wait out a whole window instead: a late IDENTIFY
            # is better than one Discord refuses.
            log.warning("identify shard_id=%d: no shared turn (%s); waiting alone", shard_id, exc)
            await asyncio.sleep(IDENTIFY_WINDOW + IDENTIFY_MARGIN)
        log.info("identify shard_id=%d bucket=%d", shard_id, bucket)

    async def close(self) -> None:
        await self._locks.close()

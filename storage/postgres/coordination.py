"""Processes sharing one PostgreSQL database: who leads, and waking deliverers.

- **The lead** is a session-level advisory lock (``pg_try_advisory_lock``) held on a connection
  of its own, outside the pool: the lock lives exactly as long as that session, so a leader
  that dies (or whose connection the server ends) lets another process take the lead at its
  next try. The key is scoped to the schema (``current_schema()``), which is what one Shopwire
  database is: two databases on one server never share a leader.
- **Queued posts are announced** with ``pg_notify`` on the pool, and **heard** by ``LISTEN`` on
  another connection of its own, reopened when it is lost. The payload is the schema, so a
  listener ignores another database's announcements on the same server. A notification lost
  on the way (a listener reconnecting) costs only the deliverer's tick.
- **A shard is one process's**: a session-level advisory lock per shard id (one ``bigint`` key:
  the schema's hash and the shard id), on a third connection of its own, taken before the
  gateway connects to Discord. A killed process's locks end with its session, so it can be
  started again on its shards at once; and the delivery claims it left on those shards'
  subscriptions are given up by the process that takes them over. That connection is
  watched (``shards_lost``): ended (a server restart, ``pg_terminate_backend``) or silent,
  its locks are gone or may soon be, and the gateway stops rather than serve shards another
  process may have taken.
- **The gateways agree on the shard count**: on the same connection every gateway holds a
  shared advisory lock (``GATEWAYS_LOCK``) while it serves, and the count is recorded in
  ``meta``. A gateway that finds others holding it (its own exclusive try fails) must use the
  recorded count; one that finds none records its own, so all gateways stopped is when the
  count may change. Starting gateways take their turn (``SHARD_COUNT_LOCK``) so two never both
  believe they are the first.
- **An unsharded process serves every guild**, so it runs alone: it holds ``EVERY_GUILD_LOCK``
  exclusively on the shards' connection, where every sharded process holds it shared. Two
  unsharded processes, or an unsharded and a sharded one, never both connect to Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg

from bot.news.model.errors import ShardCountMismatch, StorageError, UnshardedGatewayConflict
from bot.news.model.vocabulary import ALL_SHARDS, Shards
from storage.postgres.connect import CONNECT_TIMEOUT
from storage.postgres.delivery_claims import PostgresDeliveryClaims
from storage.postgres.errors import safe_location, storage_error, url_password
from storage.postgres.pool import Pool, read, transaction
from storage.postgres.shards import on_shards

log = logging.getLogger(__name__)

LEADER_LOCK = 0x53570001
"""The advisory lock's first key (the second is the schema's hash): "SW" and the lock's number."""

SHARD_COUNT_LOCK = 0x53570003
"""Taken for one transaction by a starting gateway: one at a time checks the shard count."""
GATEWAYS_LOCK = 0x53570004
"""Held shared by every serving gateway: taken exclusively only when no gateway serves."""
EVERY_GUILD_LOCK = 0x53570005
"""Held exclusively by the process serving every guild unsharded, shared by sharded ones."""
SHARD_COUNT_KEY = "gateway_shard_count"
"""The ``meta`` key of the running gateways' ``--shard-count``."""

POSTS_CHANNEL = "shopwire_posts"
"""The channel queued posts are announced on."""

# A key of its own space (one bigint, where the lead's and the identify turns' are two ints):
# the schema's hash in the high half, the shard id in the low half.
_TAKE_SHARDS = """
SELECT shard FROM unnest($1::int[]) AS shard
WHERE NOT pg_try_advisory_lock((hashtext(current_schema())::bigint << 32) | shard)
"""

# The gateways' shared lock and the starting turn are keyed on the schema too. The exclusive
# try is transaction-scoped (a probe); the shared hold is the session's.
_TURN_TO_START = "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))"
_NO_GATEWAY_SERVES = "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))"
_SERVE_AS_GATEWAY = "SELECT pg_advisory_lock_shared($1, hashtext(current_schema()))"
# Session-level tries: whoever holds the lock the other way is serving already.
_SERVE_EVERY_GUILD = "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))"
_SERVE_SOME_SHARDS = "SELECT pg_try_advisory_lock_shared($1, hashtext(current_schema()))"
_RECORD_COUNT = (
    "INSERT INTO meta (key, value) VALUES ($1, $2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_RECORDED_COUNT = "SELECT value FROM meta WHERE key = $1"

# The shards are this process's alone now: a claim on their subscriptions is a dead holder's.
_FREE_CLAIMS = """
UPDATE subscriptions AS s SET lease_owner = NULL, lease_until = NULL
WHERE s.lease_owner IS NOT NULL AND {where}
"""

SHARDS_CHECK = 5.0
"""Seconds between two checks that the connection holding the shards' locks is alive (an
ended connection is noticed at once; this bounds a silent one)."""

LISTEN_CHECK = 5.0
"""Seconds between two checks that the listening connection is alive (reopened if not)."""

HELD_IDLE_LIMIT = 60.0
"""Seconds a connection holding the lead or the shards may go without a statement before the
server ends it (``idle_session_timeout``, PostgreSQL 14+), freeing its locks. A process that
is frozen (SIGSTOP, a hung host whose TCP stays up) sends nothing, so its session would
otherwise keep the lead (stories and digests stopped for every gateway) and its shards (no
replacement may start) for as long as it lives. A live process speaks on both every
``SHARDS_CHECK`` seconds; a frozen one that wakes finds the session ended and acts as on
any lost connection (the lead is lost; a gateway stops)."""

# A session the server ended can also surface as asyncpg's InternalClientError (its protocol
# still "busy"); any failure of a dedicated connection means the same: it is gone.
_CONNECTION_ERRORS = (Exception,)


class PostgresCoordination:
    """The ``Coordination`` port on PostgreSQL (see the module's docstring)."""

    def __init__(self, url: str, pool: Pool, *, held_idle_limit: float = HELD_IDLE_LIMIT) -> None:
        self._url = url.strip()
        self._pool = pool
        self._held_idle_limit = held_idle_limit
        self._heartbeat: asyncio.Task[None] | None = None
        self._lead_lock = asyncio.Lock()
        self._session: asyncpg.Connection[Any] | None = None
        self._leading = False
        self._wakes: list[Callable[[], None]] = []
        self._listener: asyncpg.Connection[Any] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._shards: asyncpg.Connection[Any] | None = None

    async def lead(self) -> bool:
        """Whether this process leads now (tries to take the lead when nobody holds it)."""
        async with self._lead_lock:
            try:
                return await self._lead()
            except _CONNECTION_ERRORS as exc:  # the session, and with it the lock, is gone
                if self._leading:
                    log.warning("lost the lead: %s", self._reason(exc))
                else:
                    log.debug("cannot try for the lead: %s", self._reason(exc))
                self._leading = False
                await self._close_session()
                return False

    async def _lead(self) -> bool:
        if self._session is None or self._session.is_closed():
            if self._leading:  # the lock was that session's: a new one must win it again
                log.warning("lost the lead: the connection to the database ended")
                self._leading = False
            self._session = await self._connect_holding()
        if self._leading:
            # The session is the lock: while it answers, the lead is still ours.
            await self._session.fetchval("SELECT 1")
            return True
        self._leading = bool(
            await self._session.fetchval(
                "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))", LEADER_LOCK
            )
        )
        if self._leading:
            log.info("leading: this process assigns stories and plans and posts digests")
            if self._heartbeat is None:
                self._heartbeat = asyncio.create_task(self._keep_lead(), name="lead-heartbeat")
        return self._leading

    async def _keep_lead(self) -> None:
        """Speak on the lead's session between steps (a story run may outlast the idle limit
        without a call to ``lead``); a failure is left for ``lead`` to find."""
        every = min(SHARDS_CHECK, self._held_idle_limit / 4)
        while not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), every)
            async with self._lead_lock:
                session = self._session
                if self._leading and session is not None and not session.is_closed():
                    with contextlib.suppress(*_CONNECTION_ERRORS):
                        await session.fetchval("SELECT 1", timeout=every)

    async def announce_posts(self) -> None:
        """Tell listening processes (gateways) that posts were queued."""
        await read(self._pool, "SELECT pg_notify($1, current_schema())", POSTS_CHANNEL)

    def delivery_claims(self, owner: str, lease: timedelta) -> PostgresDeliveryClaims:
        """Claims on subscriptions' delivery in ``owner``'s name."""
        return PostgresDeliveryClaims(self._pool, owner, lease)

    def on_posts(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` on every announcement of this database's queued posts."""
        self._wakes.append(wake)
        if self._listening is None:
            self._listening = asyncio.create_task(self._keep_listening(), name="listen-posts")

    async def hold_shards(self, shards: Shards) -> tuple[int, ...]:
        """Take ``shards`` for this process (see the module's docstring); the ids another live
        process holds, or () when all are this process's now. ShardCountMismatch when the
        running gateways use another shard count, UnshardedGatewayConflict when an unsharded
        process serves every guild."""
        running: int | None = None
        rows: list[asyncpg.Record] = []
        try:
            session = self._shards = self._shards or await self._connect_holding()
            beside_unsharded = not await session.fetchval(_SERVE_SOME_SHARDS, EVERY_GUILD_LOCK)
            if not beside_unsharded:
                async with session.transaction():
                    running = await self._agree_on_count(session, shards.count)
                    if running is None:
                        rows = await session.fetch(_TAKE_SHARDS, list(shards.ids))
                        if not rows:
                            await session.execute(_SERVE_AS_GATEWAY, GATEWAYS_LOCK)
        except _CONNECTION_ERRORS as exc:
            await self._close_shards()
            raise StorageError(f"cannot take the shards: {self._reason(exc)}") from None
        if beside_unsharded:
            await self._close_shards()
            raise UnshardedGatewayConflict(unsharded=False)
        if running is not None:
            await self._close_shards()
            raise ShardCountMismatch(running, shards.count)
        busy = tuple(sorted(int(row["shard"]) for row in rows))
        if busy:  # none is taken: the ones won are let go with the session
            await self._close_shards()
            return busy
        await self._free_claims(shards)
        return ()

    async def hold_unsharded(self) -> None:
        """Serve every guild in this process alone (see the module's docstring):
        UnshardedGatewayConflict when another live process serves any of them."""
        try:
            session = self._shards = self._shards or await self._connect_holding()
            alone = bool(await session.fetchval(_SERVE_EVERY_GUILD, EVERY_GUILD_LOCK))
        except _CONNECTION_ERRORS as exc:
            await self._close_shards()
            raise StorageError(f"cannot take the gateway: {self._reason(exc)}") from None
        if not alone:
            await self._close_shards()
            raise UnshardedGatewayConflict(unsharded=True)
        await self._free_claims(ALL_SHARDS)

    async def _free_claims(self, shards: Shards) -> None:
        """Give up the claims on ``shards``' subscriptions: this process holds them alone now,
        so a claim there is a dead holder's."""
        where, parameters = on_shards(shards, 1)
        async with transaction(self._pool) as connection:
            await connection.execute(_FREE_CLAIMS.format(where=where), *parameters)

    async def shards_lost(self) -> str | None:
        """Why the hold on the shards ended while this process served them, once it has (None
        when ``close`` ended it, or nothing was held)."""
        session = self._shards
        if session is None:
            return None
        ended = asyncio.Event()
        session.add_termination_listener(lambda _connection: ended.set())
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), SHARDS_CHECK)
            if self._stopped.is_set() or self._shards is not session:
                return None
            if session.is_closed():
                return "the connection to the database ended"
            try:
                # A connection that does not answer may be one the server has already ended.
                await session.fetchval("SELECT 1", timeout=SHARDS_CHECK)
            except TimeoutError:
                return f"the database did not answer within {SHARDS_CHECK:g} seconds"
            except _CONNECTION_ERRORS as exc:
                if self._stopped.is_set():
                    return None
                if session.is_closed():
                    return "the connection to the database ended"
                return self._reason(exc)

    async def _agree_on_count(self, session: asyncpg.Connection[Any], count: int) -> int | None:
        """The running gateways' shard count when it is not ``count`` (None when it is, or
        when no gateway runs: then ``count`` is recorded as theirs)."""
        await session.execute(_TURN_TO_START, SHARD_COUNT_LOCK)
        if await session.fetchval(_NO_GATEWAY_SERVES, GATEWAYS_LOCK):
            await session.execute(_RECORD_COUNT, SHARD_COUNT_KEY, str(count))
            return None
        recorded = await session.fetchval(_RECORDED_COUNT, SHARD_COUNT_KEY)
        if recorded is None or int(recorded) == count:
            return None
        return int(recorded)

    async def close(self) -> None:
        """Stop listening, end the lead's session (which frees the lock), the listener's and
        the shards'."""
        self._stopped.set()
        await self._close_shards()
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
        await self._close_listener()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        async with self._lead_lock:
            self._leading = False
            await self._close_session()

    async def _keep_listening(self) -> None:
        while not self._stopped.is_set():
            try:
                if self._listener is None or self._listener.is_closed():
                    self._listener = await self._connect()
                    schema = await self._listener.fetchval("SELECT current_schema()")
                    await self._listener.add_listener(POSTS_CHANNEL, self._heard(str(schema)))
                    log.info("listening for queued posts")
                else:
                    await self._listener.fetchval("SELECT 1")
            except _CONNECTION_ERRORS as exc:
                log.warning("not listening for queued posts (tick only): %s", self._reason(exc))
                await self._close_listener()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), LISTEN_CHECK)

    def _heard(self, schema: str) -> Callable[[Any, int, str, object], None]:
        def heard(_connection: Any, _pid: int, _channel: str, payload: object) -> None:
            if payload != schema:
                return  # another database on the same server
            for wake in self._wakes:
                wake()

        return heard

    async def _connect(self) -> asyncpg.Connection[Any]:
        return await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)

    async def _connect_holding(self) -> asyncpg.Connection[Any]:
        """A connection for session locks, ended by the server if it falls silent."""
        connection = await self._connect()
        milliseconds = max(1, round(self._held_idle_limit * 1000))
        # Before PostgreSQL 14 there is no such setting: the locks last while connected.
        with contextlib.suppress(asyncpg.UndefinedObjectError):
            await connection.execute(f"SET idle_session_timeout = {milliseconds}")
        return connection

    async def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await session.close(timeout=CONNECT_TIMEOUT)

    async def _close_shards(self) -> None:
        session, self._shards = self._shards, None
        if session is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await session.close(timeout=CONNECT_TIMEOUT)

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await listener.close(timeout=CONNECT_TIMEOUT)

    def _reason(self, exc: BaseException) -> str:
        error = storage_error(exc, secret=url_password(self._url))
        return (
            str(error)
            if error is not None
            else f"{type(exc).__name__} at {safe_location(self._url)}"
        )

"""The fake gateway: HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats, RESUME and dispatch.

One `GatewaySession` per successful IDENTIFY; it outlives its websocket so that a reconnecting
client can RESUME and receive what it missed, as on the real gateway. Sending goes through one
writer task per connection, so events keep their sequence order and sync code (state mutations
in tests) can enqueue without awaiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .state import JSON

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger("fakediscord.gateway")


class Op(IntEnum):
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class Intent:
    """Gateway intent bits the fake looks at."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
    ALL_KNOWN = (1 << 26) - 1


def _shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as (shard_id, num_shards) if valid: two integers with
    0 <= shard_id < num_shards (Discord closes with 4010 otherwise)."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        and 0 <= value[0] < value[1]
    ):
        return (value[0], value[1])
    return None


def required_intent(event: str, guild_id: int | None) -> int | None:
    """The intent a client needs to receive `event` (None: always delivered)."""
    if event.startswith("GUILD_MEMBER"):
        return Intent.GUILD_MEMBERS
    if event.startswith("MESSAGE_"):
        return Intent.GUILD_MESSAGES if guild_id is not None else Intent.DIRECT_MESSAGES
    if event.startswith(("GUILD_", "CHANNEL_", "THREAD_")):
        return Intent.GUILDS
    return None


@dataclass(frozen=True, slots=True)
class HeartbeatRecord:
    """One heartbeat as the fake read it, against the interval it announced to that socket.

    Times are ``time.monotonic()`` in the fake's process, taken when its loop read the frame: a
    gap longer than the interval means the client sent late (or the fake's own loop was busy).
    """

    connection: int
    """Which websocket (numbered from 1 in connect order)."""
    at: float
    interval: float
    """Seconds, as announced in that socket's HELLO."""
    gap: float
    """Seconds since the socket's previous heartbeat (since its HELLO for the first)."""

    @property
    def late_by(self) -> float:
        """How much longer than the announced interval the client took (negative: early)."""
        return self.gap - self.interval


@dataclass(slots=True)
class _Close:
    code: int
    reason: str


class GatewayConnection:
    """One websocket; payloads are queued and written in order by a single task."""

    def __init__(
        self, ws: web.WebSocketResponse, *, compress: bool, number: int = 0, interval: float = 0
    ) -> None:
        self.ws = ws
        self.number = number
        self.interval = interval
        self.session: GatewaySession | None = None
        self.ready = False
        #: When HELLO was queued, then when the last heartbeat was read (monotonic).
        self.last_heartbeat = time.monotonic()
        self._compressor = zlib.compressobj() if compress else None
        self._queue: asyncio.Queue[JSON | _Close] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="fakediscord-gateway-writer")

    def send(self, payload: JSON) -> None:
        """Queue a payload for the client."""
        self._queue.put_nowait(payload)

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close frame after everything already queued."""
        self._queue.put_nowait(_Close(code, reason))

    async def drain_and_stop(self) -> None:
        """Stop the writer (used when the socket is gone)."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, message=item.reason.encode())
                    return
                text = json.dumps(item, separators=(",", ":"))
                if self._compressor is not None:
                    # zlib-stream: one shared deflate context, each payload ends with a sync flush.
                    data = self._compressor.compress(text.encode()) + self._compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
        except (ConnectionError, RuntimeError) as exc:
            # The client went away mid-write; the reader side notices and cleans up.
            _log.debug("gateway writer stopped: %r", exc)


@dataclass(slots=True, eq=False)
class GatewaySession:
    """A gateway session (survives reconnects until invalidated)."""

    id: str
    intents: int
    identify: JSON
    shard: tuple[int, int] | None = None
    seq: int = 0
    buffer: deque[JSON] = field(default_factory=lambda: deque(maxlen=2000))
    connection: GatewayConnection | None = None
    invalid: bool = False
    dispatched: list[tuple[str, JSON]] = field(default_factory=list)

    def wants(self, event: str, guild_id: int | None) -> bool:
        """True if the session's intents and shard cover this event."""
        needed = required_intent(event, guild_id)
        if needed is not None and not self.intents & needed:
            return False
        if self.shard is not None and guild_id is not None:
            shard_id, count = self.shard
            return (guild_id >> 22) % count == shard_id
        return True

    def dispatch(self, event: str, data: JSON) -> None:
        """Sequence an event, keep it for RESUME, and send it if connected."""
        self.seq += 1
        payload: JSON = {"op": Op.DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        self.dispatched.append((event, data))
        if self.connection is not None:
            self.connection.send(payload)


class Gateway:
    """Owns sessions and speaks the gateway protocol on behalf of a FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[GatewaySession] = []
        self.connections: set[GatewayConnection] = set()
        self.identifies: list[JSON] = []
        self.resumes: list[JSON] = []
        self.presence_updates: list[JSON] = []
        self.heartbeats = 0
        #: Every heartbeat read, in order: when, on which socket, the gap and the interval.
        self.heartbeat_log: list[HeartbeatRecord] = []
        self.close_codes: list[int] = []
        #: IDENTIFYs answered op 9 because their bucket had one within the window.
        self.identifies_too_fast: list[JSON] = []
        #: When each bucket (shard_id % max_concurrency) last took an IDENTIFY (monotonic).
        self._bucket_identified: dict[int, float] = {}
        #: Query strings of every websocket connect (v, encoding, compress).
        self.connect_queries: list[dict[str, str]] = []

    # ----------------------------------------------------------------- queries

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions with a connected, READY websocket."""
        return [
            s
            for s in self.sessions
            if not s.invalid and s.connection is not None and s.connection.ready
        ]

    def dispatch(self, event: str, data: JSON, guild_id: int | None) -> int:
        """Send an event to every valid session that wants it; returns how many got it."""
        # Discord sends the bot its own member updates even without the members intent.
        about_me = event == "GUILD_MEMBER_UPDATE" and str(
            (data.get("user") or {}).get("id")
        ) == str(self.fake.bot.id)
        count = 0
        for session in self.sessions:
            if session.invalid:
                continue
            if about_me or session.wants(event, guild_id):
                session.dispatch(event, data)
                count += 1
        return count

    def late_heartbeats(self, margin: float) -> list[HeartbeatRecord]:
        """Heartbeats that came more than ``margin`` seconds after the announced interval, and,
        for each open socket that has been silent that long, a record of the gap so far (a
        client whose loop is stuck sends nothing late: it sends nothing)."""
        late = [beat for beat in self.heartbeat_log if beat.late_by > margin]
        now = time.monotonic()
        for conn in sorted(self.connections, key=lambda c: c.number):
            gap = now - conn.last_heartbeat
            if gap - conn.interval > margin:
                late.append(HeartbeatRecord(conn.number, now, conn.interval, gap))
        return late

    # ----------------------------------------------------------------- control

    def disconnect(self, code: int = 4000, reason: str = "fake disconnect") -> None:
        """Close every socket; sessions stay resumable (discord.py will RESUME)."""
        for conn in list(self.connections):
            conn.close(code, reason)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every socket."""
        for conn in list(self.connections):
            conn.send({"op": Op.RECONNECT, "d": None})

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; non-resumable forces a fresh IDENTIFY."""
        for conn in list(self.connections):
            if conn.session is not None and not resumable:
                conn.session.invalid = True
            conn.send({"op": Op.INVALID_SESSION, "d": resumable})

    async def close_all(self) -> None:
        """Close every socket with 1001 (used when the fake stops)."""
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"fake discord stopping")
            await conn.drain_and_stop()

    # ----------------------------------------------------------------- protocol

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp websocket handler for /gateway."""
        self.connect_queries.append(dict(request.query))
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(
            ws,
            compress=request.query.get("compress") == "zlib-stream",
            number=len(self.connect_queries),
            interval=self.fake.heartbeat_interval_ms / 1000,
        )
        self.connections.add(conn)
        conn.send(
            {
                "op": Op.HELLO,
                "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms, "_trace": ["fake"]},
                "s": None,
                "t": None,
            }
        )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_payload(conn, json.loads(msg.data))
                elif msg.type == WSMsgType.BINARY:
                    # Clients never compress what they send; treat it as JSON bytes anyway.
                    await self._on_payload(conn, json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            if ws.close_code is not None:
                self.close_codes.append(ws.close_code)
            self.connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            await conn.drain_and_stop()
            self.fake._changes.notify()
        return ws

    async def _on_payload(self, conn: GatewayConnection, payload: Any) -> None:
        if not isinstance(payload, dict) or "op" not in payload:
            conn.close(4002, "Error while decoding payload.")
            return
        op = payload["op"]
        data = payload.get("d")
        if op == Op.HEARTBEAT:
            self.heartbeats += 1
            now = time.monotonic()
            self.heartbeat_log.append(
                HeartbeatRecord(conn.number, now, conn.interval, now - conn.last_heartbeat)
            )
            conn.last_heartbeat = now
            conn.send({"op": Op.HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == Op.IDENTIFY:
            self._identify(conn, data or {})
        elif op == Op.RESUME:
            self._resume(conn, data or {})
        elif conn.session is None:
            conn.close(4003, "Not authenticated.")
        elif op == Op.PRESENCE_UPDATE:
            self.presence_updates.append(data or {})
        elif op == Op.REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op == Op.VOICE_STATE_UPDATE:
            pass
        else:
            conn.close(4001, "Unknown opcode.")
        self.fake._changes.notify()

    def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        self.identifies.append(data)
        if conn.session is not None:
            conn.close(4005, "Already authenticated.")
            return
        if data.get("token") != self.fake.token:
            conn.close(4004, "Authentication failed.")
            return
        intents = data.get("intents")
        if not isinstance(intents, int) or intents & ~Intent.ALL_KNOWN:
            conn.close(4013, "Invalid intent(s).")
            return
        if intents & Intent.PRIVILEGED & ~self.fake.allowed_privileged_intents:
            conn.close(4014, "Disallowed intent(s).")
            return
        shard_data = data.get("shard")
        shard = _shard(shard_data)
        if shard_data is not None and shard is None:
            conn.close(4010, "Invalid shard.")
            return
        if self._too_fast(shard):
            # Discord: "If you hit this limit, the Gateway will respond with an Invalid
            # Session (opcode 9)"; the client waits and identifies again.
            self.identifies_too_fast.append(data)
            conn.send({"op": Op.INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        # A fresh IDENTIFY for the same shard supersedes the old session, as for a restarted bot.
        for old in self.sessions:
            if old.shard == shard:
                old.invalid = True
        session = GatewaySession(
            id=secrets.token_hex(16), intents=intents, identify=data, shard=shard
        )
        self.sessions.append(session)
        session.connection = conn
        conn.session = session
        guilds = [
            g
            for g in self.fake.guilds.values()
            if shard is None or (g.id >> 22) % shard[1] == shard[0]
        ]
        ready: JSON = {
            "v": 10,
            "user": self.fake.bot.to_payload() | {"verified": True, "mfa_enabled": False},
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "application": {
                "id": str(self.fake.application_id),
                "flags": self.fake.application_flags,
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        session.dispatch("READY", ready)
        if intents & Intent.GUILDS:
            include_members = bool(intents & Intent.GUILD_MEMBERS)
            for guild in guilds:
                session.dispatch(
                    "GUILD_CREATE", guild.gateway_payload(include_all_members=include_members)
                )
        conn.ready = True
        self.fake._log_event(f"IDENTIFY ok session={session.id} intents={intents}")

    def _too_fast(self, shard: tuple[int, int] | None) -> bool:
        """Whether an IDENTIFY now is over its bucket's allowance (noting it when it is not)."""
        window = self.fake.identify_window
        if window is None:
            return False
        bucket = (shard[0] if shard else 0) % max(self.fake.max_concurrency, 1)
        now = time.monotonic()
        last = self._bucket_identified.get(bucket)
        if last is not None and now - last < window:
            return True
        self._bucket_identified[bucket] = now
        return False

    def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        self.resumes.append(data)
        session = next((s for s in self.sessions if s.id == data.get("session_id")), None)
        seq = data.get("seq") or 0
        oldest = session.buffer[0]["s"] if session and session.buffer else 1
        if (
            session is None
            or session.invalid
            or data.get("token") != self.fake.token
            or seq < oldest - 1
        ):
            conn.send({"op": Op.INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.connection is not None and session.connection is not conn:
            session.connection.close(4000, "Session resumed elsewhere.")
        session.connection = conn
        conn.session = session
        for payload in session.buffer:
            if payload["s"] > seq:
                conn.send(payload)
        session.dispatch("RESUMED", {"_trace": ["fake-gateway"]})
        conn.ready = True
        self.fake._log_event(f"RESUME ok session={session.id} from seq={seq}")

    def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        session = conn.session
        assert session is not None
        if not session.intents & Intent.GUILD_MEMBERS:
            conn.close(4014, "Disallowed intent(s).")
            return
        raw_ids = data.get("guild_id")
        for raw_id in raw_ids if isinstance(raw_ids, list) else [raw_ids]:
            guild = self.fake.guilds.get(int(raw_id or 0))
            if guild is None:
                continue
            members = list(guild.members.values())
            query = data.get("query")
            if query:
                members = [m for m in members if m.user.username.lower().startswith(query.lower())]
            if data.get("user_ids"):
                wanted = {int(u) for u in data["user_ids"]}
                members = [m for m in members if m.id in wanted]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
            chunk: JSON = {
                "guild_id": str(guild.id),
                "members": [m.to_payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if data.get("nonce"):
                chunk["nonce"] = data["nonce"]
            if data.get("presences"):
                chunk["presences"] = []
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

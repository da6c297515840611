"""`FakeDiscord`: Discord's REST API and gateway on 127.0.0.1, for end-to-end tests.

The fake is a real HTTP + websocket server, so the bot under test runs unmodified discord.py
against it (in-process or as a subprocess). It keeps the state Discord would keep (guilds,
channels, messages, registered commands, interaction tokens), enforces the rules a bot can get
wrong (permissions, limits, the 3 s acknowledgement window, nonce de-duplication) and records
every request so tests can assert on what the bot actually sent.
"""

# Bounded waits with an explicit `timeout=` are this API's contract (and read well in tests).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from aiohttp import web
from multidict import MultiDictProxy

from .failures import Action, Failure, error_body, rate_limit_response
from .gateway import Gateway, Intent
from .interactions import InteractionFactory
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, Perm
from .records import (
    LOADING,
    SUPPRESS_EMBEDS,
    WAIT_CEILING,
    Changes,
    CommandSync,
    FakeDiscordTimeout,
    InteractionHandle,
    MessageSource,
    Pings,
    RecordedMessage,
    RequestRecord,
    compute_pings,
)
from .rest import ApiRequest, ApiResponse, RestApi, Route, error_response
from .state import (
    JSON,
    Channel,
    Guild,
    Snowflakes,
    User,
)
from .threads import Crosspost, ThreadsApi
from .validation import (
    is_empty_message,
    validate_message,
)

_log = logging.getLogger("fakediscord")

T = TypeVar("T")

#: discord.py reads this from interaction payloads (25 MiB, the non-boosted limit).
ATTACHMENT_SIZE_LIMIT = 25 * 1024 * 1024


class _Dropped(Exception):
    """Raised to make the server close the connection without answering."""


class FakeDiscord:
    """A loopback Discord for tests: REST under `.api_base`, gateway at `.gateway_url`.

    Use as `async with FakeDiscord() as fake:` (or `await fake.start()` / `await fake.stop()`).
    Build the world with `add_user` / `add_guild` and the `Guild` methods, point the bot at
    `fake.env()`, then drive it with `invoke_slash`, `click_button`... and assert on
    `messages_in`, `command_syncs`, the returned `InteractionHandle`s and `requests`.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "Shopwire",
        owner_name: str = "owner",
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval_ms: int = 41250,
        interaction_ack_deadline: float = 3.0,
        nonce_window: float = 300.0,
        allowed_privileged_intents: int = Intent.PRIVILEGED,
        enforce_permissions: bool = True,
        message_rate_limit: tuple[int, float] | None = None,
        raise_on_internal_errors: bool = True,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_ack_deadline = interaction_ack_deadline
        self.nonce_window = nonce_window
        self.allowed_privileged_intents = allowed_privileged_intents
        self.enforce_permissions = enforce_permissions
        #: (messages, seconds) per channel, with real rate-limit headers; None = unlimited.
        self.message_rate_limit = message_rate_limit
        self._message_buckets: dict[int, tuple[float, int]] = {}
        #: (crossposts, seconds) per announcement channel: Discord allows 10 an hour.
        self.crosspost_rate_limit: tuple[int, float] = (10, 3600.0)
        #: Messages published to followers, in order.
        self.crossposts: list[Crosspost] = []
        #: (thread id, name) of every thread modified through ``PATCH /channels/{thread}``.
        self.thread_renames: list[tuple[int, str]] = []
        #: GET /gateway/bot: the shard count Discord recommends, and how many shards may
        #: IDENTIFY per window (``session_start_limit.max_concurrency``).
        self.recommended_shards = 1
        self.max_concurrency = 1
        #: Seconds in which Discord takes one IDENTIFY per bucket (shard_id % max_concurrency);
        #: a faster one is answered op 9 INVALID_SESSION, as Discord documents. None: not
        #: enforced (tests that restart a bot identify again within the window on purpose).
        self.identify_window: float | None = None
        #: Names the client process behind a request's peer address (host, port), read when
        #: the request arrives; tests with several bot processes set it.
        self.client_of: Callable[[tuple[str, int]], str | None] | None = None
        self.raise_on_internal_errors = raise_on_internal_errors

        self.ids = Snowflakes()
        self.bot = User(id=self.ids.next(), username=bot_name, bot=True)
        # Modern applications share their id with their bot user.
        self.application_id = self.bot.id
        self.owner = User(id=self.ids.next(), username=owner_name)
        self.users: dict[int, User] = {self.bot.id: self.bot, self.owner.id: self.owner}
        self.guilds: dict[int, Guild] = {}
        self.dm_channels: dict[int, Channel] = {}

        self.messages: dict[int, RecordedMessage] = {}
        self._channel_messages: dict[int, list[RecordedMessage]] = {}
        self._nonces: dict[tuple[int, str | int], tuple[float, RecordedMessage]] = {}
        self.nonce_hits = 0

        self._commands: dict[int | None, list[JSON]] = {}
        self.command_syncs: list[CommandSync] = []

        self.interactions: dict[int, InteractionHandle] = {}
        self._interactions_by_token: dict[str, InteractionHandle] = {}

        self.requests: list[RequestRecord] = []
        self.unknown_routes: list[RequestRecord] = []
        self.internal_errors: list[str] = []
        self.events: list[str] = []
        self.failures: list[Failure] = []
        self.reactions: list[tuple[int, int, str]] = []

        self.gateway = Gateway(self)
        self._changes = Changes()
        self._hang_release = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._factory = InteractionFactory(self)
        self.rest = RestApi(self)
        self._routes = self.rest.routes() + ThreadsApi(self).routes()

    # ================================================================ lifecycle

    async def start(self) -> Self:
        """Bind to host:port (port 0 = any free port) and start serving."""
        self._stopping = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self.gateway.handle)
        app.router.add_route("GET", "/gateway/", self.gateway.handle)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._handle_api)
        app.router.add_route("*", "/{tail:.*}", self._handle_stray)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        _log.info("fake discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close sockets, release hung requests, stop serving; raise if the fake itself broke."""
        self._stopping = True
        self._release()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.internal_errors and self.raise_on_internal_errors:
            raise AssertionError(
                "fake discord had internal errors:\n" + "\n".join(self.internal_errors)
            )

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://host:port"""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """What discord.py's `Route.BASE` must be (http://127.0.0.1:PORT/api/v10)."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What discord.py's `DiscordWebSocket.DEFAULT_GATEWAY` must be."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def application_flags(self) -> int:
        """Application flags matching the privileged intents the "portal" allows."""
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        if self.allowed_privileged_intents & Intent.GUILD_PRESENCES:
            flags |= 1 << 13
        if self.allowed_privileged_intents & Intent.GUILD_MEMBERS:
            flags |= 1 << 15
        if self.allowed_privileged_intents & Intent.MESSAGE_CONTENT:
            flags |= 1 << 19
        return flags

    def env(self, *, token: bool = True) -> dict[str, str]:
        """Environment variables that point a `shopwire run` subprocess at this fake."""
        values = {
            "SHOPWIRE_DISCORD_API_BASE": self.api_base,
            "SHOPWIRE_DISCORD_GATEWAY": self.gateway_url,
        }
        if token:
            values["DISCORD_TOKEN"] = self.token
        return values

    # ================================================================ world building

    def add_user(self, username: str, *, bot: bool = False, locale: str = "en-US") -> User:
        """A new user (not yet a member of any guild)."""
        user = User(id=self.ids.next(), username=username, bot=bot, locale=locale)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: User | None = None,
        bot_permissions: int = DEFAULT_BOT,
        everyone_permissions: int = DEFAULT_EVERYONE,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> Guild:
        """A guild the bot is in, with @everyone, the bot's managed role and the owner; with
        ``shard`` (id, count), its id puts it on that shard.

        Added while the bot is connected, it arrives as GUILD_CREATE (the bot "joins").
        """
        guild = Guild(
            id=self.ids.next() if shard is None else self.ids.next_on_shard(*shard),
            name=name,
            owner=owner or self.owner,
            bot=self.bot,
            ids=self.ids,
            emit=self._emit,
            bot_permissions=int(bot_permissions),
            everyone_permissions=int(everyone_permissions),
            locale=locale,
        )
        self.guilds[guild.id] = guild
        for session in self.gateway.sessions:
            if not session.invalid and session.wants("GUILD_CREATE", guild.id):
                session.dispatch(
                    "GUILD_CREATE",
                    guild.gateway_payload(
                        include_all_members=bool(session.intents & Intent.GUILD_MEMBERS)
                    ),
                )
        return guild

    def remove_guild(self, guild: Guild | int) -> None:
        """The bot is kicked: GUILD_DELETE without `unavailable`."""
        gid = guild if isinstance(guild, int) else guild.id
        del self.guilds[gid]
        self.gateway.dispatch("GUILD_DELETE", {"id": str(gid)}, gid)

    def channel(self, channel_id: int) -> Channel:
        """Any channel the fake knows (guild or DM)."""
        found = self._find_channel(channel_id)
        if found is None:
            raise KeyError(f"no channel {channel_id}")
        return found[0]

    def _emit(self, event: str, data: JSON, guild_id: int | None) -> None:
        self.gateway.dispatch(event, data, guild_id)
        self._changes.notify()

    def _log_event(self, line: str) -> None:
        self.events.append(line)
        _log.debug(line)

    # ================================================================ failure injection

    def inject(self, failure: Failure) -> Failure:
        """Add a failure rule (first matching rule wins); returns it so tests can read `.hits`."""
        self.failures.append(failure)
        return failure

    def rate_limit(
        self,
        channel_id: int | None = None,
        *,
        times: int = 1,
        retry_after: float = 0.2,
        is_global: bool = False,
        method: str | None = "POST",
        path: str | None = None,
    ) -> Failure:
        """The next `times` matching requests get a 429 with `retry_after` seconds."""
        body, headers = rate_limit_response(
            retry_after, is_global=is_global, bucket=f"fake-{channel_id or 'any'}"
        )
        return self.inject(
            Failure(
                method=method,
                path=path,
                channel_id=channel_id,
                times=times,
                status=429,
                body=body,
                headers=headers,
            )
        )

    def forbid(
        self,
        channel_id: int,
        *,
        code: int = 50013,
        method: str | None = None,
        times: int | None = None,
    ) -> Failure:
        """Requests on a channel get 403 Missing Permissions (50013) or Missing Access (50001)."""
        return self.inject(
            Failure(
                method=method, channel_id=channel_id, times=times, status=403, body=error_body(code)
            )
        )

    def unknown_channel(self, channel_id: int, *, times: int | None = None) -> Failure:
        """Requests on a channel get 404 Unknown Channel (10003), as if it were deleted."""
        return self.inject(
            Failure(channel_id=channel_id, times=times, status=404, body=error_body(10003))
        )

    def server_error(
        self,
        channel_id: int | None = None,
        *,
        times: int = 1,
        status: int = 500,
        method: str | None = "POST",
        path: str | None = None,
    ) -> Failure:
        """The next `times` matching requests get a 5xx (discord.py retries those itself)."""
        return self.inject(
            Failure(
                method=method,
                path=path,
                channel_id=channel_id,
                times=times,
                status=status,
                body={"message": f"{status}: Internal Server Error", "code": 0},
            )
        )

    def hang(
        self,
        channel_id: int | None = None,
        *,
        times: int = 1,
        method: str | None = "POST",
        path: str | None = None,
        commit: bool = False,
    ) -> Failure:
        """Matching requests never get an answer until `release_hung()` (or `stop()`).

        With `commit=True` the request takes effect first (the message exists on "Discord")
        and only the answer is withheld: the crash-after-send case idempotency must survive.
        """
        action: Action = "commit_then_hang" if commit else "hang"
        return self.inject(
            Failure(method=method, path=path, channel_id=channel_id, times=times, action=action)
        )

    def drop(
        self,
        channel_id: int | None = None,
        *,
        times: int = 1,
        method: str | None = "POST",
        path: str | None = None,
        commit: bool = False,
    ) -> Failure:
        """Matching requests get their TCP connection closed with no answer."""
        action: Action = "commit_then_drop" if commit else "drop"
        return self.inject(
            Failure(method=method, path=path, channel_id=channel_id, times=times, action=action)
        )

    def clear_failures(self) -> None:
        """Remove every failure rule."""
        self.failures.clear()

    def release_hung(self) -> None:
        """Let hung requests proceed (they are then answered normally)."""
        self._release()

    def _release(self) -> None:
        self._hang_release.set()
        self._hang_release = asyncio.Event()

    # ================================================================ gateway control

    def disconnect_gateway(self, code: int = 4000) -> None:
        """Close the bot's websocket with `code` (4000 = resumable unknown error)."""
        self.gateway.disconnect(code)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT (the bot should reconnect and RESUME)."""
        self.gateway.request_reconnect()

    def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION (non-resumable forces a new IDENTIFY)."""
        self.gateway.invalidate_sessions(resumable=resumable)

    def dispatch(self, event: str, data: JSON, *, guild_id: int | None = None) -> int:
        """Send any gateway event to the bot; returns how many sessions got it."""
        count = self.gateway.dispatch(event, data, guild_id)
        self._changes.notify()
        return count

    async def wait_until_connected(self, *, timeout: float = WAIT_CEILING) -> None:
        """Until a session has IDENTIFYed (or RESUMEd) and got READY + GUILD_CREATEs."""
        await self._changes.wait_until(
            lambda: bool(self.gateway.live_sessions()),
            timeout=timeout,
            what="a connected gateway session",
            seen=lambda: (
                f"identifies={len(self.gateway.identifies)} "
                f"close_codes={self.gateway.close_codes} requests={self._recent_requests()}"
            ),
        )

    # ================================================================ queries and waits

    def messages_in(
        self,
        channel_id: int,
        *,
        include_interactions: bool = False,
        include_deleted: bool = False,
    ) -> list[RecordedMessage]:
        """Messages in a channel, oldest first; by default only ones posted via the channel API."""
        return [
            m
            for m in self._channel_messages.get(channel_id, [])
            if (include_deleted or not m.deleted)
            and (include_interactions or m.source in ("channel", "user"))
        ]

    async def wait_for_messages(
        self,
        channel_id: int,
        count: int = 1,
        *,
        timeout: float = WAIT_CEILING,
        include_interactions: bool = False,
    ) -> list[RecordedMessage]:
        """Wait until a channel holds at least `count` messages; return the first `count`."""

        def ready() -> list[RecordedMessage] | None:
            found = self.messages_in(channel_id, include_interactions=include_interactions)
            return found[:count] if len(found) >= count else None

        return await self._changes.wait_until(
            ready,
            timeout=timeout,
            what=f"{count} message(s) in channel {channel_id}",
            seen=lambda: (
                f"{len(self.messages_in(channel_id))} message(s); "
                f"requests={self._recent_requests()}"
            ),
        )

    def message(self, message_id: int) -> RecordedMessage:
        """Any message by id (channel, interaction, ephemeral)."""
        return self.messages[message_id]

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands currently registered globally (None) or for a guild, as Discord stores them."""
        return list(self._commands.get(guild_id, []))

    def syncs(self, guild_id: int | None = None) -> list[CommandSync]:
        """Bulk overwrites (PUT) for one scope, in order."""
        return [s for s in self.command_syncs if s.guild_id == guild_id]

    def register_commands(self, payload: list[JSON], *, guild_id: int | None = None) -> list[JSON]:
        """Pre-register commands (as if synced by an earlier run); not counted as a sync."""
        return self._store_commands(guild_id, payload)

    async def wait_for_command_sync(
        self, guild_id: int | None = None, *, count: int = 1, timeout: float = WAIT_CEILING
    ) -> list[CommandSync]:
        """Wait until `count` syncs happened for a scope."""
        return await self._changes.wait_until(
            lambda: self.syncs(guild_id) if len(self.syncs(guild_id)) >= count else None,
            timeout=timeout,
            what=f"{count} command sync(s) for scope {guild_id}",
            seen=lambda: f"syncs={[(s.guild_id, s.names) for s in self.command_syncs]}",
        )

    def requests_to(
        self, method: str | None = None, path: str | None = None
    ) -> list[RequestRecord]:
        """Recorded requests filtered by method and a full-match path regex."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper())
            and (path is None or re.fullmatch(path, r.path))
        ]

    async def wait_for_request(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        count: int = 1,
        timeout: float = WAIT_CEILING,
    ) -> list[RequestRecord]:
        """Wait until `count` matching requests arrived (they may still be hanging)."""
        return await self._changes.wait_until(
            lambda: found if len(found := self.requests_to(method, path)) >= count else None,
            timeout=timeout,
            what=f"{count} request(s) {method or '*'} {path or '*'}",
            seen=self._recent_requests,
        )

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = WAIT_CEILING,
        what: str = "a condition",
    ) -> T:
        """Wait (bounded) until `predicate()` over the fake's state is truthy; return it."""
        return await self._changes.wait_until(
            predicate, timeout=timeout, what=what, seen=self._recent_requests
        )

    def _recent_requests(self) -> str:
        return "[" + ", ".join(str(r) for r in self.requests[-8:]) + "]"

    # ================================================================ interactions (driving it)

    async def invoke_slash(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        *path: str,
        options: Mapping[str, Any] | None = None,
        locale: str | None = None,
        ignore_default_permissions: bool = False,
        timeout: float = WAIT_CEILING,
    ) -> InteractionHandle:
        """Dispatch a slash command (APPLICATION_COMMAND, type 2) the bot registered.

        `command` may include the sub-command path ("news latest") or pass it as extra
        arguments (`"news", "latest"`). Option values are converted and checked like the
        Discord client would (types, choices, required); users/channels/roles may be given as
        fake objects or ids and are put in `resolved`. Like the client, it refuses (raises
        PermissionError) when the user lacks the command's `default_member_permissions`, unless
        `ignore_default_permissions=True` (a guild's integration override).
        """
        data = self._factory.command_data(
            guild_id,
            channel_id,
            user_id,
            command,
            path,
            options,
            focused=None,
            ignore_default_permissions=ignore_default_permissions,
        )
        return await self._dispatch_interaction(
            2,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            timeout=timeout,
        )

    async def invoke_autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        *path: str,
        focused: str,
        value: str = "",
        options: Mapping[str, Any] | None = None,
        locale: str | None = None,
        timeout: float = WAIT_CEILING,
    ) -> InteractionHandle:
        """Dispatch an autocomplete request (type 4) for option `focused` with typed `value`.

        Await `handle.choices()` for what the bot offered.
        """
        data = self._factory.command_data(
            guild_id, channel_id, user_id, command, path, options, focused=(focused, value)
        )
        return await self._dispatch_interaction(
            4,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            timeout=timeout,
        )

    async def click_button(
        self,
        message: RecordedMessage | int,
        custom_id: str,
        *,
        user_id: int,
        locale: str | None = None,
        timeout: float = WAIT_CEILING,
    ) -> InteractionHandle:
        """Click a button on a message the bot sent (MESSAGE_COMPONENT, type 3)."""
        msg, component = self._factory.component(message, custom_id, kinds=(2,))
        if component.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled; a user cannot click it")
        data: JSON = {"custom_id": custom_id, "component_type": 2}
        return await self._component_interaction(msg, data, user_id, locale, timeout)

    async def select(
        self,
        message: RecordedMessage | int,
        custom_id: str,
        values: Iterable[str],
        *,
        user_id: int,
        locale: str | None = None,
        timeout: float = WAIT_CEILING,
    ) -> InteractionHandle:
        """Pick values in a string select menu on a message the bot sent."""
        msg, component = self._factory.component(message, custom_id, kinds=(3,))
        chosen = [str(v) for v in values]
        offered = {str(o.get("value")) for o in component.get("options") or []}
        unknown = [v for v in chosen if v not in offered]
        if unknown:
            raise ValueError(f"values {unknown} are not options of select {custom_id!r}")
        data: JSON = {"custom_id": custom_id, "component_type": 3, "values": chosen}
        return await self._component_interaction(msg, data, user_id, locale, timeout)

    async def submit_modal(
        self,
        opener: InteractionHandle,
        values: Mapping[str, str],
        *,
        timeout: float = WAIT_CEILING,
    ) -> InteractionHandle:
        """Submit the modal the bot opened in response to `opener` (MODAL_SUBMIT, type 5)."""
        modal = opener.modal
        if modal is None:
            raise ValueError("that interaction did not open a modal")
        remaining = dict(values)

        def answer(component: JSON) -> JSON:
            kind = component.get("type")
            if kind == 1:
                return {
                    "type": 1,
                    "components": [answer(c) for c in component.get("components", [])],
                }
            if kind == 18:
                return {"type": 18, "component": answer(component["component"])}
            custom_id = component.get("custom_id")
            if kind == 4:
                return {
                    "type": 4,
                    "custom_id": custom_id,
                    "value": remaining.pop(str(custom_id), component.get("value") or ""),
                }
            return {
                "type": kind,
                "custom_id": custom_id,
                "values": [remaining.pop(str(custom_id))] if custom_id in remaining else [],
            }

        components = [answer(c) for c in modal.get("components", [])]
        if remaining:
            raise ValueError(f"the modal has no inputs {sorted(remaining)}")
        data: JSON = {"custom_id": modal.get("custom_id"), "components": components}
        return await self._dispatch_interaction(
            5,
            data,
            guild_id=opener.guild_id,
            channel_id=opener.channel_id,
            user_id=opener.user_id,
            locale=None,
            timeout=timeout,
            source_message=opener.source_message,
        )

    def post_user_message(self, channel_id: int, user_id: int, content: str) -> RecordedMessage:
        """A user writes in a channel: stored and sent to the bot as MESSAGE_CREATE."""
        channel, guild = self._require_channel(channel_id)
        message = self._create_message(
            channel=channel,
            guild=guild,
            author=self.users[user_id],
            payload={"content": content},
            source="user",
        )
        if message is None:
            raise ValueError("a user message needs content")
        return message

    # ---------------------------------------------------------------- interaction internals

    async def _component_interaction(
        self,
        msg: RecordedMessage,
        data: JSON,
        user_id: int,
        locale: str | None,
        timeout: float,
    ) -> InteractionHandle:
        if msg.guild_id is None:
            raise NotImplementedError("component interactions in DMs are not emulated")
        return await self._dispatch_interaction(
            3,
            data,
            guild_id=msg.guild_id,
            channel_id=msg.channel_id,
            user_id=user_id,
            locale=locale,
            timeout=timeout,
            source_message=msg,
        )

    async def _dispatch_interaction(
        self,
        kind: int,
        data: JSON,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        locale: str | None,
        timeout: float,
        source_message: RecordedMessage | None = None,
    ) -> InteractionHandle:
        if guild_id is None:
            raise NotImplementedError("interactions outside guilds are not emulated")
        await self.wait_until_connected(timeout=timeout)
        handle = self._factory.build(
            kind,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            source_message=source_message,
        )
        self.interactions[handle.id] = handle
        self._interactions_by_token[handle.token] = handle
        self.dispatch("INTERACTION_CREATE", handle.payload, guild_id=guild_id)
        return handle

    # ================================================================ HTTP plumbing

    async def _handle_stray(self, request: web.Request) -> web.StreamResponse:
        record = RequestRecord(
            request.method,
            request.path,
            dict(request.query),
            None,
            datetime.now(UTC),
            404,
            "not under /api",
        )
        self.requests.append(record)
        self.unknown_routes.append(record)
        _log.warning("fake discord: request outside the API: %s %s", request.method, request.path)
        self._changes.notify()
        return self._web_response(ApiResponse(404, {"message": "404: Not Found", "code": 0}))

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        record = RequestRecord(request.method, path, dict(request.query), None, datetime.now(UTC))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if self.client_of is not None and peer is not None:
            record.client = self.client_of((str(peer[0]), int(peer[1])))
        self.requests.append(record)
        self._changes.notify()
        try:
            parsed = await self._parse(request, path, record)
            if isinstance(parsed, ApiResponse):
                response = parsed
            else:
                response = await self._process(request, parsed)
        except _Dropped:
            record.outcome = "dropped"
            self._changes.notify()
            if request.transport is not None:
                request.transport.abort()
            # The connection is gone; this response is never written.
            return web.Response(status=499)
        except asyncio.CancelledError:
            record.outcome = record.outcome or "cancelled"
            raise
        except Exception as exc:
            _log.exception("fake discord crashed on %s %s", request.method, path)
            self.internal_errors.append(f"{request.method} {path}: {exc!r}")
            response = ApiResponse(
                500, {"message": "500: Internal Server Error (fake bug)", "code": 0}
            )
        record.status = response.status
        if response.status >= 400 and isinstance(response.body, dict) and not record.outcome:
            record.outcome = str(response.body.get("message", ""))
        self._changes.notify()
        return self._web_response(response)

    async def _parse(
        self, request: web.Request, path: str, record: RequestRecord
    ) -> ApiRequest | ApiResponse:
        body: Any = None
        files: list[tuple[str, str | None, bytes]] = []
        if request.content_type == "multipart/form-data":
            form: MultiDictProxy[Any] = await request.post()
            for key, value in form.items():
                if key == "payload_json":
                    body = json.loads(value)
                elif isinstance(value, web.FileField):
                    files.append((value.filename, value.content_type, value.file.read()))
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return error_response(400, 50109, "The request body contains invalid JSON.")
        record.body = body if not files else {"payload_json": body, "files": [f[0] for f in files]}
        return ApiRequest(request.method, path, dict(request.query), body, files, record)

    async def _process(self, request: web.Request, api: ApiRequest) -> ApiResponse:
        route, params, allowed = self._match(api.method, api.path)
        if route is None:
            status = 405 if allowed else 404
            api.record.outcome = "unknown route"
            self.unknown_routes.append(api.record)
            _log.warning("fake discord: unknown route %s %s", api.method, api.path)
            return ApiResponse(
                status,
                {
                    "message": f"{status}: {'Method Not Allowed' if allowed else 'Not Found'}",
                    "code": 0,
                },
            )
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            return ApiResponse(401, {"message": "401: Unauthorized", "code": 0})
        channel_match = re.match(r"/channels/(\d+)", api.path)
        channel_id = int(channel_match.group(1)) if channel_match else None
        failure = next(
            (f for f in self.failures if f.matches(api.method, api.path, channel_id)), None
        )
        if failure is None:
            return await route.handler(api, **params)
        failure.hits += 1
        shown = f" {failure.status}" if failure.action == "respond" else ""
        api.record.outcome = f"injected {failure.action}{shown}"
        self._changes.notify()
        if failure.action == "respond":
            return ApiResponse(failure.status, failure.body, dict(failure.headers))
        if failure.action == "drop":
            raise _Dropped
        if failure.action == "hang":
            await self._hang_release.wait()
            if self._stopping:
                raise _Dropped
            return await route.handler(api, **params)
        response = await route.handler(api, **params)
        if failure.action == "commit_then_drop":
            raise _Dropped
        await self._hang_release.wait()
        if self._stopping:
            raise _Dropped
        return response

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        path_known = False
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            path_known = True
            if route.method == method:
                return route, match.groupdict(), True
        return None, {}, path_known

    @staticmethod
    def _web_response(response: ApiResponse) -> web.Response:
        if response.body is None or response.status == 204:
            return web.Response(status=response.status, headers=response.headers)
        # Exactly "application/json": discord.py compares the header verbatim, so no charset.
        headers = {**response.headers, "Content-Type": "application/json"}
        return web.Response(
            status=response.status, body=json.dumps(response.body).encode(), headers=headers
        )

    # ======================================================= state changes (REST + interactions)

    def _store_commands(self, scope: int | None, payload: list[JSON]) -> list[JSON]:
        existing = {(int(c.get("type", 1)), c["name"]): c for c in self._commands.get(scope, [])}
        stored: list[JSON] = []
        for command in payload:
            kind = int(command.get("type", 1))
            previous = existing.get((kind, command["name"]))
            item: JSON = {
                "default_member_permissions": None,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                "name_localizations": None,
                "description_localizations": None,
                "description": "",
                **command,
                # Discord keeps a command's id across overwrites when its name and type stay.
                "id": previous["id"] if previous else str(self.ids.next()),
                "application_id": str(self.application_id),
                "version": str(self.ids.next()),
                "type": kind,
            }
            if scope is not None:
                item["guild_id"] = str(scope)
            stored.append(item)
        self._commands[scope] = stored
        self._changes.notify()
        return stored

    def _find_channel(self, channel_id: int) -> tuple[Channel, Guild | None] | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id], guild
            if channel_id in guild.threads:
                return guild.threads[channel_id], guild
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id], None
        return None

    def _require_channel(self, channel_id: int) -> tuple[Channel, Guild | None]:
        found = self._find_channel(channel_id)
        if found is None:
            raise KeyError(f"no channel {channel_id}")
        return found

    def _create_message(
        self,
        *,
        channel: Channel,
        guild: Guild | None,
        author: User,
        payload: JSON,
        source: MessageSource,
        files: list[tuple[str, str | None, bytes]] | None = None,
        embed_links: bool = True,
        flags: int | None = None,
        interaction: InteractionHandle | None = None,
        allow_empty: bool = False,
        message_id: int | None = None,
    ) -> RecordedMessage | None:
        embeds = [self._normalize_embed(e) for e in payload.get("embeds") or []]
        stripped: list[JSON] = []
        if embeds and not embed_links:
            # Without Embed Links Discord drops rich embeds silently rather than failing.
            stripped, embeds = embeds, []
        attachments = self._attachments(files or [])
        effective = {**payload, "embeds": embeds, "attachments": attachments}
        if is_empty_message(effective) and not allow_empty:
            return None
        if message_id is None:  # a forum post's first message has the thread's id
            message_id = self.ids.next()
        message_flags = int(payload.get("flags") or 0) if flags is None else flags
        message = RecordedMessage(
            id=message_id,
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            author=author.to_payload(),
            content=str(payload.get("content") or ""),
            embeds=embeds,
            components=list(payload.get("components") or []),
            flags=message_flags,
            allowed_mentions=payload.get("allowed_mentions"),
            nonce=payload.get("nonce"),
            enforce_nonce=bool(payload.get("enforce_nonce")),
            source=source,
            created_at=datetime.now(UTC),
            request=payload,
            attachments=attachments,
            files={name: data for name, _, data in files or []},
            tts=bool(payload.get("tts")),
            type=19 if payload.get("message_reference") else 0,
            message_reference=payload.get("message_reference"),
            stripped_embeds=stripped,
        )
        if guild is not None:
            message.pinged = self._pings_in(guild, channel, author, message)
        if interaction is not None:
            message.webhook_id = self.application_id
            message.application_id = self.application_id
            message.interaction_id = interaction.id
            message.type = 20 if interaction.type == 2 else 0
            message.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id].to_payload(),
                "authorizing_integration_owners": {"0": str(interaction.guild_id)},
            }
        self.messages[message.id] = message
        if not message.ephemeral:
            self._channel_messages.setdefault(channel.id, []).append(message)
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.message_count += 1
            self._dispatch_message("MESSAGE_CREATE", message, guild)
        self._changes.notify()
        return message

    def _pings_in(
        self, guild: Guild, channel: Channel, author: User, message: RecordedMessage
    ) -> Pings:
        """Who a guild message notifies: allowed_mentions, then the author's Mention Everyone
        permission in the channel (for @everyone, @here and roles that are not mentionable)
        and each role's mentionable flag, as Discord decides it."""
        try:
            permissions = guild.permissions_in(channel.id, author.id)
        except KeyError:  # not a member, or a channel kind permissions_in does not know
            permissions = guild.base_permissions(author.id) if author.id in guild.members else 0
        pings = compute_pings(
            message.content,
            message.allowed_mentions,
            mentionable=lambda role_id: role_id in guild.roles and guild.roles[role_id].mentionable,
            mention_everyone=bool(permissions & (Perm.MENTION_EVERYONE | Perm.ADMINISTRATOR)),
        )
        # A mention of a role the guild does not have is plain text.
        return Pings(pings.everyone, pings.users, pings.roles & frozenset(guild.roles))

    def _dispatch_message(self, event: str, message: RecordedMessage, guild: Guild | None) -> None:
        if message.ephemeral:
            return
        data = message.to_payload()
        if (
            guild is not None
            and int(message.author["id"]) in guild.members
            and message.webhook_id is None
        ):
            data["member"] = guild.members[int(message.author["id"])].to_payload(with_user=False)
        for session in self.gateway.sessions:
            if session.invalid or not session.wants(event, message.guild_id):
                continue
            event_data = data
            is_self = int(message.author["id"]) == self.bot.id
            if (
                not session.intents & Intent.MESSAGE_CONTENT
                and not is_self
                and str(self.bot.id) not in message.content
            ):
                # Without the message content intent Discord blanks other people's messages.
                event_data = {
                    **data,
                    "content": "",
                    "embeds": [],
                    "components": [],
                    "attachments": [],
                }
            session.dispatch(event, event_data)

    def _attachments(self, files: list[tuple[str, str | None, bytes]]) -> list[JSON]:
        result: list[JSON] = []
        for name, content_type, data in files:
            attachment_id = self.ids.next()
            url = f"{self.base_url}/attachments/{attachment_id}/{name}"
            result.append(
                {
                    "id": str(attachment_id),
                    "filename": name,
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": content_type or "application/octet-stream",
                }
            )
        return result

    @staticmethod
    def _normalize_embed(embed: JSON) -> JSON:
        return {"type": "rich", **embed}

    def _apply_edit(
        self,
        message: RecordedMessage,
        payload: JSON,
        *,
        files: list[tuple[str, str | None, bytes]] | None = None,
        embed_links: bool = True,
    ) -> ApiResponse | None:
        errors = validate_message(payload)
        if errors:
            return ApiResponse(400, errors.body())
        message.history.append(
            {
                "content": message.content,
                "embeds": message.embeds,
                "components": message.components,
                "flags": message.flags,
                "edited_at": message.edited_at,
            }
        )
        if "content" in payload:
            message.content = str(payload["content"] or "")
        if "embeds" in payload:
            embeds = [self._normalize_embed(e) for e in payload["embeds"] or []]
            if embeds and not embed_links:
                message.stripped_embeds, embeds = embeds, []
            message.embeds = embeds
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            message.allowed_mentions = payload["allowed_mentions"]
        if "flags" in payload and payload["flags"] is not None:
            message.flags = (message.flags & ~SUPPRESS_EMBEDS) | (
                int(payload["flags"]) & SUPPRESS_EMBEDS
            )
        if "attachments" in payload or files:
            keep = {str(a.get("id")) for a in payload.get("attachments") or []}
            message.attachments = [
                a for a in message.attachments if a["id"] in keep
            ] + self._attachments(files or [])
            message.files.update({name: data for name, _, data in files or []})
        if message.loading:
            # The deferred placeholder becomes the real answer; Discord does not mark it edited.
            message.flags &= ~LOADING
        else:
            message.edited_at = datetime.now(UTC)
        guild = self.guilds.get(message.guild_id) if message.guild_id else None
        self._dispatch_message("MESSAGE_UPDATE", message, guild)
        self._changes.notify()
        return None

    def _delete(self, message: RecordedMessage, guild: Guild | None) -> None:
        message.deleted = True
        if not message.ephemeral:
            data: JSON = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if guild is not None:
                data["guild_id"] = str(guild.id)
            self.gateway.dispatch("MESSAGE_DELETE", data, message.guild_id)
        self._changes.notify()


__all__ = ["FakeDiscord", "FakeDiscordTimeout"]

"""The REST half of the fake: a route table and one handler per Discord endpoint.

Handlers get an `ApiRequest` (parsed JSON or multipart `payload_json` plus files) and answer an
`ApiResponse`; `FakeDiscord` does the HTTP plumbing, auth, failure injection and logging around
them. State lives on the `FakeDiscord`; handlers read and change it through `self.fake`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .failures import error_body, rate_limit_response
from .permissions import ALL_PERMISSIONS, Perm
from .records import (
    EPHEMERAL,
    LOADING,
    CallbackRecord,
    CommandSync,
    InteractionHandle,
    RecordedMessage,
    RequestRecord,
)
from .state import DM_CHANNEL, FORUM_CHANNEL, JSON, Channel, Guild
from .validation import FormErrors, validate_choices, validate_commands, validate_message

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger("fakediscord")


@dataclass(slots=True)
class ApiRequest:
    """A parsed REST request as route handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str | None, bytes]]
    record: RequestRecord


@dataclass(slots=True)
class ApiResponse:
    """What a route handler answers; `body=None` means an empty body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Awaitable[ApiResponse]]


@dataclass(slots=True)
class Route:
    """One entry of the route table."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool


def error_response(status: int, code: int, message: str | None = None) -> ApiResponse:
    """A Discord JSON error response."""
    return ApiResponse(status, error_body(code, message))


def _form_error(errors: FormErrors) -> ApiResponse:
    return ApiResponse(400, errors.body())


def truthy(value: str | None) -> bool:
    """Discord's notion of a true query flag."""
    return (value or "").lower() in ("1", "true", "yes")


class RestApi:
    """Discord's REST endpoints over a `FakeDiscord`'s state."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[Route]:
        """The route table: (method, path regex, handler, needs bot auth)."""
        table: list[Route] = []

        def r(methods: str, pattern: str, handler: Handler, *, auth: bool = True) -> None:
            for method in methods.split("|"):
                table.append(Route(method, re.compile(pattern), handler, auth))

        app = r"/applications/(?P<app_id>\d+)"
        guild_cmds = app + r"/guilds/(?P<guild_id>\d+)/commands"
        chan = r"/channels/(?P<channel_id>\d+)"
        msg = chan + r"/messages/(?P<message_id>\d+)"
        hook = r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)"
        r("GET", r"/users/@me", self._get_me)
        r("GET", r"/users/@me/guilds", self._get_my_guilds)
        r("POST", r"/users/@me/channels", self._create_dm)
        r("GET", r"/users/(?P<user_id>\d+)", self._get_user)
        r("GET", r"/gateway", self._get_gateway, auth=False)
        r("GET", r"/gateway/bot", self._get_gateway_bot)
        r("GET", r"/(?:oauth2/)?applications/@me", self._get_application)
        r("GET", app + r"/commands", self._list_commands)
        r("PUT", app + r"/commands", self._put_commands)
        r("POST", app + r"/commands", self._post_command)
        r("GET|PATCH|DELETE", app + r"/commands/(?P<command_id>\d+)", self._one_command)
        r("GET", guild_cmds, self._list_commands)
        r("PUT", guild_cmds, self._put_commands)
        r("POST", guild_cmds, self._post_command)
        r("GET", guild_cmds + r"/permissions", self._empty_list)
        r("GET|PATCH|DELETE", guild_cmds + r"/(?P<command_id>\d+)", self._one_command)
        r("GET", app + r"/emojis", self._empty_items)
        r("GET", app + r"/entitlements", self._empty_list)
        r("GET", chan, self._get_channel)
        r("POST", chan + r"/messages", self._post_message)
        r("GET", chan + r"/messages", self._list_messages)
        r("GET", msg, self._get_message)
        r("PATCH", msg, self._edit_message)
        r("DELETE", msg, self._delete_message)
        r("POST", chan + r"/typing", self._no_content)
        r("PUT|DELETE", msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._react)
        r("GET", r"/guilds/(?P<guild_id>\d+)", self._get_guild)
        r("GET", r"/guilds/(?P<guild_id>\d+)/channels", self._get_guild_channels)
        r("GET", r"/guilds/(?P<guild_id>\d+)/roles", self._get_guild_roles)
        r("GET", r"/guilds/(?P<guild_id>\d+)/members", self._list_members)
        r("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", self._get_member)
        r(
            "PUT|DELETE",
            r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)/roles/(?P<role_id>\d+)",
            self._member_role,
        )
        r(
            "POST",
            r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
            self._interaction_callback,
            auth=False,
        )
        r("POST", hook, self._followup, auth=False)
        r(
            "GET|PATCH|DELETE",
            hook + r"/messages/(?P<message_id>@original|\d+)",
            self._webhook_message,
            auth=False,
        )
        return table

    # ---------------------------------------------------------------- users, application, gateway

    async def _get_me(self, req: ApiRequest) -> ApiResponse:
        body = self.fake.bot.to_payload() | {
            "verified": True,
            "mfa_enabled": False,
            "email": None,
            "locale": "en-US",
            "premium_type": 0,
        }
        return ApiResponse(200, body)

    async def _get_user(self, req: ApiRequest, user_id: str) -> ApiResponse:
        user = self.fake.users.get(int(user_id))
        return ApiResponse(200, user.to_payload()) if user else error_response(404, 10013)

    async def _get_my_guilds(self, req: ApiRequest) -> ApiResponse:
        return ApiResponse(
            200,
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(g.base_permissions(self.fake.bot.id)),
                    "features": [],
                }
                for g in self.fake.guilds.values()
            ],
        )

    async def _create_dm(self, req: ApiRequest) -> ApiResponse:
        recipient = self.fake.users.get(int((req.json or {}).get("recipient_id", 0)))
        if recipient is None:
            return error_response(400, 50035, "Invalid Form Body")
        existing = next(
            (c for c in self.fake.dm_channels.values() if c.recipient is recipient), None
        )
        channel = existing or Channel(
            id=self.fake.ids.next(), guild_id=None, name="", type=DM_CHANNEL, recipient=recipient
        )
        self.fake.dm_channels[channel.id] = channel
        return ApiResponse(200, channel.to_payload())

    async def _get_gateway(self, req: ApiRequest) -> ApiResponse:
        return ApiResponse(200, {"url": self.fake.gateway_url})

    async def _get_gateway_bot(self, req: ApiRequest) -> ApiResponse:
        return ApiResponse(
            200,
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": max(1000 - len(self.fake.gateway.identifies), 0),
                    "reset_after": 86_400_000,
                    "max_concurrency": self.fake.max_concurrency,
                },
            },
        )

    async def _get_application(self, req: ApiRequest) -> ApiResponse:
        return ApiResponse(
            200,
            {
                "id": str(self.fake.application_id),
                "name": self.fake.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot": self.fake.bot.to_payload(),
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "owner": self.fake.owner.to_payload(),
                "team": None,
                "flags": self.fake.application_flags,
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.fake.guilds),
                "integration_types_config": {"0": {}},
            },
        )

    async def _empty_list(self, req: ApiRequest, **_: str) -> ApiResponse:
        return ApiResponse(200, [])

    async def _empty_items(self, req: ApiRequest, **_: str) -> ApiResponse:
        return ApiResponse(200, {"items": []})

    async def _no_content(self, req: ApiRequest, **_: str) -> ApiResponse:
        return ApiResponse(204)

    # ---------------------------------------------------------------- application commands

    def _command_scope(self, app_id: str, guild_id: str | None) -> int | ApiResponse | None:
        if int(app_id) != self.fake.application_id:
            return error_response(403, 50001)
        if guild_id is None:
            return None
        if int(guild_id) not in self.fake.guilds:
            # What Discord answers when the bot is not in that guild.
            return error_response(403, 50001)
        return int(guild_id)

    async def _list_commands(
        self, req: ApiRequest, app_id: str, guild_id: str | None = None
    ) -> ApiResponse:
        scope = self._command_scope(app_id, guild_id)
        if isinstance(scope, ApiResponse):
            return scope
        return ApiResponse(200, self.fake.commands(scope))

    async def _put_commands(
        self, req: ApiRequest, app_id: str, guild_id: str | None = None
    ) -> ApiResponse:
        scope = self._command_scope(app_id, guild_id)
        if isinstance(scope, ApiResponse):
            return scope
        errors = validate_commands(req.json)
        if errors:
            _log.warning("fake discord rejected a command sync: %s", errors.flat())
            return _form_error(errors)
        self.fake.command_syncs.append(CommandSync(scope, list(req.json), datetime.now(UTC)))
        return ApiResponse(200, self.fake._store_commands(scope, req.json))

    async def _post_command(
        self, req: ApiRequest, app_id: str, guild_id: str | None = None
    ) -> ApiResponse:
        scope = self._command_scope(app_id, guild_id)
        if isinstance(scope, ApiResponse):
            return scope
        errors = validate_commands([req.json])
        if errors:
            return _form_error(errors)
        current = [
            c
            for c in self.fake._commands.get(scope, [])
            if (c["type"], c["name"]) != (int(req.json.get("type", 1)), req.json["name"])
        ]
        stored = self.fake._store_commands(scope, [*current, req.json])
        return ApiResponse(201, stored[-1])

    async def _one_command(
        self, req: ApiRequest, app_id: str, command_id: str, guild_id: str | None = None
    ) -> ApiResponse:
        scope = self._command_scope(app_id, guild_id)
        if isinstance(scope, ApiResponse):
            return scope
        commands = self.fake._commands.get(scope, [])
        command = next((c for c in commands if c["id"] == command_id), None)
        if command is None:
            return error_response(404, 10063)
        if req.method == "GET":
            return ApiResponse(200, command)
        if req.method == "DELETE":
            self.fake._commands[scope] = [c for c in commands if c is not command]
            self.fake._changes.notify()
            return ApiResponse(204)
        command.update(
            {k: v for k, v in (req.json or {}).items() if k not in ("id", "application_id")}
        )
        return ApiResponse(200, command)

    # ---------------------------------------------------------------- channels and messages

    def _bot_perms(self, channel: Channel, guild: Guild | None) -> int:
        if guild is None or not self.fake.enforce_permissions:
            return int(ALL_PERMISSIONS)
        return guild.permissions_in(channel.id, self.fake.bot.id)

    def _channel_or_error(
        self, channel_id: str, *, need: int = 0
    ) -> tuple[Channel, Guild | None, int] | ApiResponse:
        found = self.fake._find_channel(int(channel_id))
        if found is None:
            return error_response(404, 10003)
        channel, guild = found
        perms = self._bot_perms(channel, guild)
        if not perms & Perm.VIEW_CHANNEL:
            return error_response(403, 50001)
        if need and (perms & need) != need:
            return error_response(403, 50013)
        return channel, guild, perms

    async def _get_channel(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        found = self._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        return ApiResponse(200, found[0].to_payload())

    def _take_message_slot(self, channel_id: int) -> dict[str, str] | ApiResponse:
        """Count a message against its channel bucket: headers to send, or a 429."""
        if self.fake.message_rate_limit is None:
            return {}
        limit, per = self.fake.message_rate_limit
        now = asyncio.get_running_loop().time()
        start, used = self.fake._message_buckets.get(channel_id, (now, 0))
        if now - start >= per:
            start, used = now, 0
        reset_after = per - (now - start)
        if used >= limit:
            body, headers = rate_limit_response(reset_after, bucket="fake-messages")
            return ApiResponse(429, body, headers)
        used += 1
        self.fake._message_buckets[channel_id] = (start, used)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": "fake-messages",
            "X-RateLimit-Scope": "user",
        }

    async def _post_message(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        slot = self._take_message_slot(int(channel_id))
        if isinstance(slot, ApiResponse):
            return slot
        response = await self._post_message_unlimited(req, channel_id)
        response.headers.update(slot)
        return response

    async def _post_message_unlimited(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        found = self._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        channel, guild, perms = found
        if channel.type == FORUM_CHANNEL:
            # A forum takes posts (threads), never messages of its own.
            return error_response(400, 50008)
        # In a thread Discord asks for Send Messages in Threads instead of Send Messages.
        need = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        if not perms & need:
            return error_response(403, 50013)
        payload: JSON = dict(req.json or {})
        if req.files and not perms & Perm.ATTACH_FILES:
            return error_response(403, 50013)
        errors = validate_message(payload)
        if errors:
            return _form_error(errors)
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            hit = self.fake._nonces.get((self.fake.bot.id, nonce))
            loop_now = asyncio.get_running_loop().time()
            if hit is not None and loop_now - hit[0] <= self.fake.nonce_window:
                # Real Discord answers a repeated enforced nonce with the first message, unchanged.
                self.fake.nonce_hits += 1
                req.record.outcome = f"nonce hit -> message {hit[1].id}"
                return ApiResponse(200, hit[1].to_payload())
        message = self.fake._create_message(
            channel=channel,
            guild=guild,
            author=self.fake.bot,
            payload=payload,
            source="channel",
            files=req.files,
            embed_links=bool(perms & Perm.EMBED_LINKS),
        )
        if message is None:
            return error_response(400, 50006)
        if nonce is not None and payload.get("enforce_nonce"):
            self.fake._nonces[(self.fake.bot.id, nonce)] = (
                asyncio.get_running_loop().time(),
                message,
            )
        return ApiResponse(200, message.to_payload())

    async def _list_messages(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        found = self._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        channel, _, perms = found
        if not perms & Perm.READ_MESSAGE_HISTORY:
            return ApiResponse(200, [])
        limit = max(1, min(100, int(req.query.get("limit", "50"))))
        messages = [m for m in self.fake._channel_messages.get(channel.id, []) if not m.deleted]
        if "before" in req.query:
            messages = [m for m in messages if m.id < int(req.query["before"])]
        if "after" in req.query:
            after = [m for m in messages if m.id > int(req.query["after"])]
            return ApiResponse(200, [m.to_payload() for m in reversed(after[:limit])])
        if "around" in req.query:
            pivot = int(req.query["around"])
            older = [m for m in messages if m.id <= pivot][-(limit // 2 + limit % 2) :]
            newer = [m for m in messages if m.id > pivot][: limit // 2]
            messages = older + newer
        return ApiResponse(200, [m.to_payload() for m in reversed(messages[-limit:])])

    def _channel_message(self, channel_id: str, message_id: str) -> RecordedMessage | None:
        message = self.fake.messages.get(int(message_id))
        if (
            message is None
            or message.deleted
            or message.channel_id != int(channel_id)
            or message.ephemeral
        ):
            return None
        return message

    async def _get_message(self, req: ApiRequest, channel_id: str, message_id: str) -> ApiResponse:
        found = self._channel_or_error(channel_id, need=Perm.READ_MESSAGE_HISTORY)
        if isinstance(found, ApiResponse):
            return found
        message = self._channel_message(channel_id, message_id)
        return ApiResponse(200, message.to_payload()) if message else error_response(404, 10008)

    async def _edit_message(self, req: ApiRequest, channel_id: str, message_id: str) -> ApiResponse:
        found = self._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        _, _, perms = found
        message = self._channel_message(channel_id, message_id)
        if message is None:
            return error_response(404, 10008)
        if int(message.author["id"]) != self.fake.bot.id or message.webhook_id is not None:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        failed = self.fake._apply_edit(
            message,
            dict(req.json or {}),
            files=req.files,
            embed_links=bool(perms & Perm.EMBED_LINKS),
        )
        return failed or ApiResponse(200, message.to_payload())

    async def _delete_message(
        self, req: ApiRequest, channel_id: str, message_id: str
    ) -> ApiResponse:
        found = self._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        _, guild, perms = found
        message = self._channel_message(channel_id, message_id)
        if message is None:
            return error_response(404, 10008)
        if int(message.author["id"]) != self.fake.bot.id and not perms & Perm.MANAGE_MESSAGES:
            return error_response(403, 50013)
        self.fake._delete(message, guild)
        return ApiResponse(204)

    async def _react(
        self, req: ApiRequest, channel_id: str, message_id: str, emoji: str
    ) -> ApiResponse:
        found = self._channel_or_error(channel_id, need=Perm.READ_MESSAGE_HISTORY)
        if isinstance(found, ApiResponse):
            return found
        if self._channel_message(channel_id, message_id) is None:
            return error_response(404, 10008)
        if req.method == "PUT":
            self.fake.reactions.append((int(channel_id), int(message_id), emoji))
        return ApiResponse(204)

    # ---------------------------------------------------------------- guilds

    def _guild_or_error(self, guild_id: str) -> Guild | ApiResponse:
        guild = self.fake.guilds.get(int(guild_id))
        return guild if guild is not None else error_response(404, 10004)

    async def _get_guild(self, req: ApiRequest, guild_id: str) -> ApiResponse:
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        body = guild.to_payload()
        if truthy(req.query.get("with_counts")):
            body.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return ApiResponse(200, body)

    async def _get_guild_channels(self, req: ApiRequest, guild_id: str) -> ApiResponse:
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        return ApiResponse(200, [c.to_payload() for c in guild.channels.values()])

    async def _get_guild_roles(self, req: ApiRequest, guild_id: str) -> ApiResponse:
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        return ApiResponse(200, guild.role_list())

    async def _list_members(self, req: ApiRequest, guild_id: str) -> ApiResponse:
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        limit = max(1, min(1000, int(req.query.get("limit", "1"))))
        after = int(req.query.get("after", "0"))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return ApiResponse(200, [m.to_payload() for m in members[:limit]])

    async def _get_member(self, req: ApiRequest, guild_id: str, user_id: str) -> ApiResponse:
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        member = guild.members.get(int(user_id))
        return (
            ApiResponse(200, member.to_payload())
            if member
            else error_response(404, 10007, "Unknown Member")
        )

    async def _member_role(
        self, req: ApiRequest, guild_id: str, user_id: str, role_id: str
    ) -> ApiResponse:
        """Add Guild Member Role / Remove Guild Member Role: Manage Roles, and the role must be
        below the bot's highest role and not managed by an integration (50013 otherwise)."""
        guild = self._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        member = guild.members.get(int(user_id))
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        role = guild.roles.get(int(role_id))
        if role is None or role.id == guild.id:
            return error_response(404, 10011, "Unknown Role")
        bot_id = self.fake.bot.id
        perms = guild.base_permissions(bot_id)
        if not perms & (Perm.MANAGE_ROLES | Perm.ADMINISTRATOR):
            return error_response(403, 50013)
        if role.managed or role.position >= guild.top_role_position(bot_id):
            return error_response(403, 50013)
        held = [r for r in member.role_ids if r != role.id]
        if req.method == "PUT":
            held.append(role.id)
        if held != member.role_ids:
            guild.set_member_roles(member, [guild.roles[r] for r in held])
        return ApiResponse(204)

    # ---------------------------------------------------------------- interaction responses

    async def _interaction_callback(
        self, req: ApiRequest, interaction_id: str, token: str
    ) -> ApiResponse:
        handle = self.fake.interactions.get(int(interaction_id))
        if handle is None or handle.token != token:
            return error_response(404, 10062)
        body: JSON = dict(req.json or {})
        kind = int(body.get("type", 0))
        data: JSON | None = body.get("data")

        def reject(response: ApiResponse, why: str) -> ApiResponse:
            handle.callbacks.append(CallbackRecord(kind, data, response.status, why))
            self.fake._changes.notify()
            return response

        if handle.acknowledged:
            return reject(error_response(400, 40060), "already acknowledged")
        age = asyncio.get_running_loop().time() - handle.created
        if age > self.fake.interaction_ack_deadline:
            return reject(
                error_response(404, 10062),
                f"acknowledged after {age:.2f}s (deadline {self.fake.interaction_ack_deadline}s)",
            )
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[handle.type]
        if kind not in allowed:
            errors = FormErrors()
            errors.add(
                ["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {handle.type}",
            )
            return reject(_form_error(errors), f"callback type {kind} invalid here")
        channel, guild = self.fake._require_channel(handle.channel_id)
        message: RecordedMessage | None = None
        if kind in (4, 7):
            errors = validate_message(data or {})
            if errors:
                return reject(_form_error(errors), "; ".join(errors.flat()))
        if kind == 4:
            message = self.fake._create_message(
                channel=channel,
                guild=guild,
                author=self.fake.bot,
                payload=data or {},
                source="interaction",
                files=req.files,
                interaction=handle,
            )
            if message is None:
                return reject(error_response(400, 50006), "empty message")
            handle.original = message
        elif kind == 5:
            flags = LOADING | (int((data or {}).get("flags") or 0) & EPHEMERAL)
            message = self.fake._create_message(
                channel=channel,
                guild=guild,
                author=self.fake.bot,
                payload={"content": ""},
                source="interaction",
                interaction=handle,
                flags=flags,
                allow_empty=True,
            )
            handle.original = message
        elif kind in (6, 7):
            message = handle.source_message
            if message is None:
                return reject(
                    error_response(400, 50035, "Invalid Form Body"), "no message to update"
                )
            if kind == 7:
                failed = self.fake._apply_edit(message, data or {}, files=req.files)
                if failed is not None:
                    return reject(failed, "invalid update")
            handle.original = message
        elif kind == 8:
            errors = validate_choices(data)
            if errors:
                return reject(_form_error(errors), "; ".join(errors.flat()))
            handle.choices_sent = list((data or {}).get("choices") or [])
        elif kind == 9:
            modal = data or {}
            if (
                not modal.get("custom_id")
                or not modal.get("title")
                or len(str(modal["title"])) > 45
            ):
                return reject(error_response(400, 50035, "Invalid Form Body"), "invalid modal")
            handle.modal = modal
        handle.callbacks.append(CallbackRecord(kind, data, 200))
        self.fake._changes.notify()
        if not truthy(req.query.get("with_response")):
            return ApiResponse(204)
        callback: JSON = {"id": str(handle.id), "type": handle.type}
        resource: JSON = {"type": kind}
        if message is not None:
            callback.update(
                response_message_id=str(message.id),
                response_message_loading=kind == 5,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.to_payload()
        return ApiResponse(200, {"interaction": callback, "resource": resource})

    def _interaction_for_webhook(self, app_id: str, token: str) -> InteractionHandle | None:
        handle = self.fake._interactions_by_token.get(token)
        if handle is None or int(app_id) != self.fake.application_id or not handle.acknowledged:
            return None
        return handle

    async def _followup(self, req: ApiRequest, app_id: str, token: str) -> ApiResponse:
        handle = self._interaction_for_webhook(app_id, token)
        if handle is None:
            return error_response(404, 10015)
        payload: JSON = dict(req.json or {})
        errors = validate_message(payload)
        if errors:
            return _form_error(errors)
        channel, guild = self.fake._require_channel(handle.channel_id)
        original = handle.original
        callback = handle.accepted_callback
        if (
            original is not None
            and original.loading
            and callback is not None
            and callback.type == 5
        ):
            # After a deferral the first follow-up replaces the "thinking" message, and keeps
            # the deferral's visibility whatever the follow-up's own ephemeral flag says.
            failed = self.fake._apply_edit(original, payload, files=req.files)
            if failed is not None:
                return failed
            original.request = payload
            message: RecordedMessage | None = original
        else:
            message = self.fake._create_message(
                channel=channel,
                guild=guild,
                author=self.fake.bot,
                payload=payload,
                source="followup",
                files=req.files,
                interaction=handle,
                flags=int(payload.get("flags") or 0) & EPHEMERAL,
            )
            if message is None:
                return error_response(400, 50006)
        assert message is not None
        handle.followups.append(message)
        self.fake._changes.notify()
        if not truthy(req.query.get("wait")):
            return ApiResponse(204)
        return ApiResponse(200, message.to_payload())

    async def _webhook_message(
        self, req: ApiRequest, app_id: str, token: str, message_id: str
    ) -> ApiResponse:
        handle = self._interaction_for_webhook(app_id, token)
        if handle is None:
            return error_response(404, 10015)
        if message_id == "@original":
            message = handle.original
        else:
            message = next((m for m in handle.messages if m.id == int(message_id)), None)
        if message is None or message.deleted:
            return error_response(404, 10008)
        if req.method == "GET":
            return ApiResponse(200, message.to_payload())
        if req.method == "DELETE":
            self.fake._delete(
                message, self.fake.guilds.get(handle.guild_id) if handle.guild_id else None
            )
            return ApiResponse(204)
        failed = self.fake._apply_edit(message, dict(req.json or {}), files=req.files)
        return failed or ApiResponse(200, message.to_payload())

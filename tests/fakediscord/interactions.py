"""Building the interactions a test injects: slash commands, autocomplete, components, modals.

Payloads follow what Discord sends a bot over the gateway (INTERACTION_CREATE), including the
fields discord.py insists on (`attachment_size_limit`, `member.flags`, `version`...). Command
ids and option types come from what the bot itself registered, so a test that invokes a
command the bot never synced fails loudly instead of passing against an imagined schema.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .permissions import Perm
from .records import InteractionHandle, RecordedMessage
from .state import JSON, Channel, Guild, Member, Role, User

if TYPE_CHECKING:
    from .server import FakeDiscord

#: discord.py reads this from interaction payloads (25 MiB, the non-boosted limit).
ATTACHMENT_SIZE_LIMIT = 25 * 1024 * 1024


class InteractionFactory:
    """Turns "user X runs /news latest in channel Y" into a realistic interaction."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def build(
        self,
        kind: int,
        data: JSON,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int,
        locale: str | None,
        source_message: RecordedMessage | None = None,
    ) -> InteractionHandle:
        """An interaction of `kind` (2 command, 3 component, 4 autocomplete, 5 modal)."""
        fake = self.fake
        guild = fake.guilds[guild_id]
        channel = guild.channel(channel_id)
        if user_id not in guild.members:
            raise LookupError(f"user {user_id} is not a member of guild {guild_id}")
        member = guild.members[user_id]
        user_perms = guild.permissions_in(channel_id, user_id)
        bot_perms = guild.permissions_in(channel_id, fake.bot.id)
        interaction_id = fake.ids.next()
        # Real tokens start with base64("interaction:"); only URL-safe characters follow.
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        channel_payload = channel.to_payload()
        channel_payload["permissions"] = str(user_perms)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(fake.application_id),
            "type": kind,
            "data": data,
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": []},
            "guild_id": str(guild.id),
            "channel": channel_payload,
            "channel_id": str(channel.id),
            "member": member.to_payload(permissions=user_perms),
            "token": token,
            "version": 1,
            "app_permissions": str(bot_perms),
            "locale": locale or member.user.locale,
            "guild_locale": guild.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if source_message is not None:
            payload["message"] = source_message.to_payload()
        return InteractionHandle(
            id=interaction_id,
            token=token,
            type=kind,
            payload=payload,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            changes=fake._changes,
            created=asyncio.get_running_loop().time(),
            source_message=source_message,
        )

    def _check_default_permissions(
        self, schema: JSON, guild_id: int, channel_id: int, user_id: int
    ) -> None:
        # The Discord client hides a command from members lacking its default_member_permissions
        # ("0" = administrators only); guild admins can override that in the integration settings,
        # which `ignore_default_permissions=True` stands for.
        required = schema.get("default_member_permissions")
        if required is None:
            return
        perms = self.fake.guilds[guild_id].permissions_in(channel_id, user_id)
        need = int(required)
        if perms & Perm.ADMINISTRATOR or (need and perms & need == need):
            return
        raise PermissionError(
            f"/{schema['name']} needs permissions {need} (default_member_permissions); the Discord "
            f"client would not offer it to user {user_id}. Pass ignore_default_permissions=True "
            "to emulate a guild override."
        )

    def find_command(self, name: str, guild_id: int | None, kind: int) -> tuple[JSON, int | None]:
        """A registered command and its scope: the guild's own first, then global ones."""
        scopes: list[int | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.fake._commands.get(scope, []):
                if command["name"] == name and int(command.get("type", 1)) == kind:
                    return command, scope
        known = {scope: [c["name"] for c in cmds] for scope, cmds in self.fake._commands.items()}
        raise LookupError(
            f"command {name!r} is not registered for guild {guild_id}; registered: {known}"
        )

    def command_data(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        command: str,
        path: tuple[str, ...],
        options: Mapping[str, Any] | None,
        *,
        focused: tuple[str, str] | None,
        ignore_default_permissions: bool = False,
    ) -> JSON:
        """The `data` of a command or autocomplete interaction, checked against the schema."""
        names = command.split() + [n for part in path for n in part.split()]
        schema, scope = self.find_command(names[0], guild_id, 1)
        if not ignore_default_permissions:
            self._check_default_permissions(schema, guild_id, channel_id, user_id)
        data: JSON = {"id": schema["id"], "name": schema["name"], "type": 1}
        if scope is not None:
            data["guild_id"] = str(scope)
        node = data
        level: list[JSON] = schema.get("options") or []
        for name in names[1:]:
            sub = next(
                (o for o in level if o.get("name") == name and o.get("type") in (1, 2)), None
            )
            if sub is None:
                raise LookupError(
                    f"/{' '.join(names)}: no sub-command {name!r}; "
                    f"there are {[o.get('name') for o in level]}"
                )
            child: JSON = {"name": name, "type": sub["type"], "options": []}
            node["options"] = [child]
            node = child
            level = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in level):
            raise LookupError(
                f"/{' '.join(names)} needs a sub-command: {[o.get('name') for o in level]}"
            )
        guild = self.fake.guilds[guild_id]
        resolved: JSON = {}
        values = self._option_values(
            level, dict(options or {}), guild, channel_id, user_id, resolved, focused
        )
        if values or names[1:]:
            node["options"] = values
        if resolved:
            data["resolved"] = resolved
        return data

    def _option_values(
        self,
        schema: list[JSON],
        given: dict[str, Any],
        guild: Guild,
        channel_id: int,
        user_id: int,
        resolved: JSON,
        focused: tuple[str, str] | None,
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in schema}
        if focused is not None:
            spec = by_name.get(focused[0])
            if spec is None or not spec.get("autocomplete"):
                raise LookupError(f"option {focused[0]!r} does not have autocomplete")
        unknown = set(given) - set(by_name)
        if unknown:
            raise LookupError(
                f"unknown option(s) {sorted(unknown)}; the command has {list(by_name)}"
            )
        result: list[JSON] = []
        for spec in schema:
            name = spec["name"]
            if focused is not None and name == focused[0]:
                # Autocomplete sends what the user has typed so far, as a string, unvalidated.
                result.append(
                    {"name": name, "type": spec["type"], "value": focused[1], "focused": True}
                )
                continue
            if name not in given:
                if spec.get("required") and focused is None:
                    raise ValueError(f"required option {name!r} is missing")
                continue
            value = self._convert_option(spec, given[name], guild, channel_id, user_id, resolved)
            if spec["type"] == 7 and spec.get("channel_types"):
                kind = guild.channels[int(value)].type
                if kind not in spec["channel_types"]:
                    raise ValueError(f"{name}: channel type {kind} not in {spec['channel_types']}")
            result.append({"name": name, "type": spec["type"], "value": value})
        return result

    def _convert_option(
        self,
        spec: JSON,
        value: Any,
        guild: Guild,
        channel_id: int,
        user_id: int,
        resolved: JSON,
    ) -> Any:
        kind = spec["type"]
        name = spec["name"]
        if kind == 3:
            converted: Any = str(value)
            if "min_length" in spec and len(converted) < spec["min_length"]:
                raise ValueError(f"{name}: shorter than {spec['min_length']}")
            if "max_length" in spec and len(converted) > spec["max_length"]:
                raise ValueError(f"{name}: longer than {spec['max_length']}")
        elif kind == 4:
            if isinstance(value, bool) or int(value) != value:
                raise ValueError(f"{name}: {value!r} is not an integer")
            converted = int(value)
        elif kind == 10:
            converted = float(value)
        elif kind == 5:
            if not isinstance(value, bool):
                raise ValueError(f"{name}: {value!r} is not a boolean")
            converted = value
        elif kind in (6, 7, 8, 9):
            return str(
                self._resolve_entity(kind, name, value, guild, channel_id, user_id, resolved)
            )
        else:
            raise NotImplementedError(f"option type {kind} ({name}) is not emulated")
        if kind in (4, 10):
            if "min_value" in spec and converted < spec["min_value"]:
                raise ValueError(f"{name}: below {spec['min_value']}")
            if "max_value" in spec and converted > spec["max_value"]:
                raise ValueError(f"{name}: above {spec['max_value']}")
        choices = spec.get("choices")
        if choices and converted not in [c["value"] for c in choices]:
            raise ValueError(f"{name}: {converted!r} is not one of {[c['value'] for c in choices]}")
        return converted

    def _resolve_entity(
        self,
        kind: int,
        name: str,
        value: Any,
        guild: Guild,
        channel_id: int,
        user_id: int,
        resolved: JSON,
    ) -> int:
        raw_id = value.id if isinstance(value, User | Member | Channel | Role) else int(value)
        if kind in (6, 9) and raw_id in self.fake.users:
            user = self.fake.users[raw_id]
            resolved.setdefault("users", {})[str(raw_id)] = user.to_payload()
            if raw_id in guild.members:
                member = guild.members[raw_id]
                perms = guild.permissions_in(channel_id, raw_id)
                resolved.setdefault("members", {})[str(raw_id)] = member.to_payload(
                    with_user=False, permissions=perms
                )
            return raw_id
        if kind in (8, 9) and raw_id in guild.roles:
            resolved.setdefault("roles", {})[str(raw_id)] = guild.roles[raw_id].to_payload()
            return raw_id
        if kind == 7 and raw_id in guild.channels:
            channel = guild.channels[raw_id]
            payload = channel.to_payload()
            payload["permissions"] = str(guild.permissions_in(raw_id, user_id))
            resolved.setdefault("channels", {})[str(raw_id)] = payload
            return raw_id
        raise LookupError(f"{name}: nothing with id {raw_id} for option type {kind}")

    def component(
        self, message: RecordedMessage | int, custom_id: str, *, kinds: tuple[int, ...]
    ) -> tuple[RecordedMessage, JSON]:
        """A message and its component `custom_id` of one of `kinds` (2 button, 3 select)."""
        msg = message if isinstance(message, RecordedMessage) else self.fake.messages[message]
        if msg.deleted:
            raise LookupError(f"message {msg.id} was deleted")
        component = msg.find_component(custom_id)
        if component is None or component.get("type") not in kinds:
            raise LookupError(
                f"message {msg.id} has no component {custom_id!r} of type {kinds}; "
                f"it has {msg.custom_ids()}"
            )
        return msg, component

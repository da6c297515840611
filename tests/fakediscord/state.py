"""The world the fake Discord serves: users, guilds, roles, channels, members.

Tests build it through `FakeDiscord.add_guild()` and the `Guild` methods. Every object knows how to
render itself as a Discord JSON payload. Mutations made while the bot is connected are pushed to
it as gateway events (CHANNEL_UPDATE, GUILD_ROLE_UPDATE...), as Discord would.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .permissions import (
    DEFAULT_BOT,
    DEFAULT_EVERYONE,
    Overwrite,
    apply_overwrites,
    compute_base_permissions,
)

DISCORD_EPOCH_MS = 1420070400000

JSON = dict[str, Any]
Emitter = Callable[[str, JSON, int | None], None]


class Snowflakes:
    """Snowflake ids carrying the current time, so discord.py's `created_at` math is sane."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._counter = itertools.count()

    def next(self) -> int:
        """A new, strictly increasing snowflake."""
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            candidate = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            # Two ids in the same millisecond with a wrapped counter must still increase.
            self._last = max(candidate, self._last + 1)
            return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new snowflake whose guild would be on ``shard_id`` of ``shard_count`` (Discord's
        ``(id >> 22) % count``): its time is moved on by less than ``shard_count`` ms."""
        with self._lock:
            ms = max(int(time.time() * 1000) - DISCORD_EPOCH_MS, (self._last >> 22) + 1)
            ms += (shard_id - ms) % shard_count
            self._last = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            return self._last


def iso(dt: datetime) -> str:
    """Discord's timestamp format."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def snowflake_time(snowflake: int) -> datetime:
    """When a snowflake was made."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


@dataclass(slots=True, eq=False)
class User:
    """A Discord user (or bot user)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        """`<@id>`, for building message content in tests."""
        return f"<@{self.id}>"

    def to_payload(self) -> JSON:
        """A user object."""
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(slots=True, eq=False)
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False
    bot_id: int | None = None
    mentionable: bool = False

    @property
    def mention(self) -> str:
        """`<@&id>`, for building message content in tests."""
        return f"<@&{self.id}>"

    def to_payload(self) -> JSON:
        """A role object."""
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(int(self.permissions)),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(slots=True, eq=False)
class Member:
    """A user's membership of a guild."""

    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def id(self) -> int:
        """The user's id."""
        return self.user.id

    def to_payload(self, *, with_user: bool = True, permissions: int | None = None) -> JSON:
        """A guild member object; interactions add the `permissions` string."""
        data: JSON = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.role_ids],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "avatar_decoration_data": None,
        }
        if with_user:
            data["user"] = self.user.to_payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


TEXT_CHANNEL = 0
DM_CHANNEL = 1
CATEGORY_CHANNEL = 4
NEWS_CHANNEL = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD})


@dataclass(slots=True, eq=False)
class Channel:
    """A guild text, announcement, forum or category channel, a thread, or a DM."""

    id: int
    guild_id: int | None
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: User | None = None
    last_message_id: int | None = None
    #: A forum's tags ({id, name, moderated, emoji_id, emoji_name}).
    available_tags: list[JSON] = field(default_factory=list)
    #: A thread's creator, the forum tags applied to it and how many messages it holds.
    owner_id: int | None = None
    applied_tags: list[int] = field(default_factory=list)
    message_count: int = 0
    archived: bool = False
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_thread(self) -> bool:
        """A thread (in a text, announcement or forum channel)."""
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        """`<#id>`."""
        return f"<#{self.id}>"

    def to_payload(self, *, with_guild_id: bool = True) -> JSON:
        """A channel object."""
        if self.type == DM_CHANNEL:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM_CHANNEL,
                "last_message_id": _opt_str(self.last_message_id),
                "recipients": [self.recipient.to_payload()],
                "flags": 0,
            }
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "parent_id": _opt_str(self.parent_id),
            "permission_overwrites": [ow.to_payload() for ow in self.overwrites],
            "nsfw": False,
            "flags": 0,
        }
        if with_guild_id and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.is_thread:
            return self._thread_payload(data)
        if self.type == FORUM_CHANNEL:
            data.update(
                available_tags=self.available_tags,
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
            )
        if self.type != CATEGORY_CHANNEL:
            data.update(
                topic=self.topic,
                rate_limit_per_user=0,
                last_message_id=_opt_str(self.last_message_id),
                default_auto_archive_duration=1440,
                default_thread_rate_limit_per_user=0,
                last_pin_timestamp=None,
                icon_emoji=None,
                theme_color=None,
            )
        if with_guild_id and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data

    def _thread_payload(self, data: JSON) -> JSON:
        del data["permission_overwrites"], data["position"]
        data.update(
            owner_id=_opt_str(self.owner_id),
            last_message_id=_opt_str(self.last_message_id),
            rate_limit_per_user=0,
            message_count=self.message_count,
            total_message_sent=self.message_count,
            member_count=1,
            applied_tags=[str(t) for t in self.applied_tags],
            thread_metadata={
                "archived": self.archived,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso(self.created_at),
                "locked": False,
                "create_timestamp": iso(self.created_at),
            },
        )
        return data


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


class Guild:
    """A guild and everything in it. Build one with `FakeDiscord.add_guild()`."""

    def __init__(
        self,
        *,
        id: int,
        name: str,
        owner: User,
        bot: User,
        ids: Snowflakes,
        emit: Emitter,
        bot_permissions: int,
        everyone_permissions: int,
        locale: str,
    ) -> None:
        self.id = id
        self.name = name
        self.owner_id = owner.id
        self.locale = locale
        self.created_at = datetime.now(UTC)
        self.unavailable = False
        self._ids = ids
        self._emit = emit
        self.roles: dict[int, Role] = {}
        self.channels: dict[int, Channel] = {}
        #: Threads, by id (Discord lists them apart from channels).
        self.threads: dict[int, Channel] = {}
        self.members: dict[int, Member] = {}
        self.roles[id] = Role(
            id=id, guild_id=id, name="@everyone", permissions=everyone_permissions
        )
        # Discord gives every bot a managed role named after it, holding its invite permissions.
        self.bot_role = self._new_role(bot.username, bot_permissions, managed=True, bot_id=bot.id)
        self.bot_member = self._new_member(bot, [self.bot_role.id])
        if owner.id != bot.id:
            self._new_member(owner, [])

    # ----------------------------------------------------------------- lookups

    @property
    def everyone(self) -> Role:
        """The @everyone role."""
        return self.roles[self.id]

    def member(self, user_id: int) -> Member:
        """A member by user id (KeyError if absent)."""
        return self.members[user_id]

    def channel(self, channel_id: int) -> Channel:
        """A channel by id (KeyError if absent)."""
        return self.channels[channel_id]

    def base_permissions(self, user_id: int) -> int:
        """Guild-wide permissions of a member."""
        member = self.members[user_id]
        return compute_base_permissions(
            user_id=user_id,
            owner_id=self.owner_id,
            everyone_permissions=int(self.everyone.permissions),
            role_permissions=[int(self.roles[r].permissions) for r in member.role_ids],
        )

    def permissions_in(self, channel_id: int, user_id: int) -> int:
        """A member's permissions in one channel, overwrites included (a thread's are its
        parent channel's)."""
        thread = self.threads.get(channel_id)
        if thread is not None and thread.parent_id is not None:
            channel_id = thread.parent_id
        channel = self.channels[channel_id]
        member = self.members[user_id]
        return apply_overwrites(
            self.base_permissions(user_id),
            guild_id=self.id,
            user_id=user_id,
            member_role_ids=set(member.role_ids),
            overwrites=channel.overwrites,
        )

    # ----------------------------------------------------------------- builders

    def add_role(self, name: str, permissions: int = 0, *, mentionable: bool = False) -> Role:
        """Create a role; pushes GUILD_ROLE_CREATE if the bot is connected."""
        role = self._new_role(name, permissions, mentionable=mentionable)
        self._emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.to_payload()}, self.id
        )
        return role

    def set_role_permissions(self, role: Role | int, permissions: int) -> None:
        """Change what a role may do (e.g. take Send Messages away from the bot's role)."""
        target = self.roles[role if isinstance(role, int) else role.id]
        target.permissions = int(permissions)
        self._emit(
            "GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": target.to_payload()}, self.id
        )

    def set_role(
        self, role: Role | int, *, position: int | None = None, mentionable: bool | None = None
    ) -> None:
        """Move a role in the hierarchy or change whether anyone may mention it; pushes
        GUILD_ROLE_UPDATE. Roles are created above every older role (the bot's role too)."""
        target = self.roles[role if isinstance(role, int) else role.id]
        if position is not None:
            target.position = position
        if mentionable is not None:
            target.mentionable = mentionable
        self._emit(
            "GUILD_ROLE_UPDATE", {"guild_id": str(self.id), "role": target.to_payload()}, self.id
        )

    def top_role_position(self, user_id: int) -> int:
        """The position of a member's highest role (0: only @everyone)."""
        member = self.members[user_id]
        return max((self.roles[r].position for r in member.role_ids if r in self.roles), default=0)

    def add_text_channel(
        self,
        name: str,
        *,
        overwrites: Iterable[Overwrite] = (),
        topic: str | None = None,
        category: Channel | None = None,
        news: bool = False,
    ) -> Channel:
        """Create a text (or announcement) channel; pushes CHANNEL_CREATE when connected."""
        channel = Channel(
            id=self._ids.next(),
            guild_id=self.id,
            name=name,
            type=NEWS_CHANNEL if news else TEXT_CHANNEL,
            position=len(self.channels),
            parent_id=category.id if category else None,
            topic=topic,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        self._emit("CHANNEL_CREATE", channel.to_payload(), self.id)
        return channel

    def add_forum_channel(
        self, name: str, *, tags: Iterable[str] = (), overwrites: Iterable[Overwrite] = ()
    ) -> Channel:
        """Create a forum channel with these tag names; pushes CHANNEL_CREATE when connected."""
        channel = Channel(
            id=self._ids.next(),
            guild_id=self.id,
            name=name,
            type=FORUM_CHANNEL,
            position=len(self.channels),
            overwrites=list(overwrites),
            available_tags=[
                {
                    "id": str(self._ids.next()),
                    "name": tag,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag in tags
            ],
        )
        self.channels[channel.id] = channel
        self._emit("CHANNEL_CREATE", channel.to_payload(), self.id)
        return channel

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        thread_id: int,
        owner_id: int,
        applied_tags: Iterable[int] = (),
    ) -> Channel:
        """Open a public thread in ``parent`` (an announcement channel's is an announcement
        thread); pushes THREAD_CREATE when connected."""
        thread = Channel(
            id=thread_id,
            guild_id=self.id,
            name=name,
            type=ANNOUNCEMENT_THREAD if parent.type == NEWS_CHANNEL else PUBLIC_THREAD,
            parent_id=parent.id,
            owner_id=owner_id,
            applied_tags=list(applied_tags),
        )
        self.threads[thread.id] = thread
        self._emit("THREAD_CREATE", thread.to_payload() | {"newly_created": True}, self.id)
        return thread

    def add_category(self, name: str, *, overwrites: Iterable[Overwrite] = ()) -> Channel:
        """Create a category channel."""
        channel = Channel(
            id=self._ids.next(),
            guild_id=self.id,
            name=name,
            type=CATEGORY_CHANNEL,
            position=len(self.channels),
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        self._emit("CHANNEL_CREATE", channel.to_payload(), self.id)
        return channel

    def set_overwrites(self, channel: Channel | int, overwrites: Iterable[Overwrite]) -> None:
        """Replace a channel's overwrites; pushes CHANNEL_UPDATE when connected."""
        target = self.channels[channel if isinstance(channel, int) else channel.id]
        target.overwrites = list(overwrites)
        self._emit("CHANNEL_UPDATE", target.to_payload(), self.id)

    def deny_bot(self, channel: Channel | int, permissions: int) -> None:
        """Shortcut: add a member overwrite that denies the bot `permissions` in a channel."""
        target = self.channels[channel if isinstance(channel, int) else channel.id]
        others = [
            ow for ow in target.overwrites if not (ow.type == 1 and ow.id == self.bot_member.id)
        ]
        previous = next(
            (ow for ow in target.overwrites if ow.type == 1 and ow.id == self.bot_member.id), None
        )
        deny = int(permissions) | (previous.deny if previous else 0)
        allow = (previous.allow if previous else 0) & ~deny
        self.set_overwrites(
            target, [*others, Overwrite.for_member(self.bot_member.id, allow=allow, deny=deny)]
        )

    def allow_bot(self, channel: Channel | int, permissions: int) -> None:
        """Shortcut: a member overwrite that allows the bot `permissions` in a channel."""
        target = self.channels[channel if isinstance(channel, int) else channel.id]
        others = [
            ow for ow in target.overwrites if not (ow.type == 1 and ow.id == self.bot_member.id)
        ]
        previous = next(
            (ow for ow in target.overwrites if ow.type == 1 and ow.id == self.bot_member.id), None
        )
        allow = int(permissions) | (previous.allow if previous else 0)
        deny = (previous.deny if previous else 0) & ~allow
        self.set_overwrites(
            target, [*others, Overwrite.for_member(self.bot_member.id, allow=allow, deny=deny)]
        )

    def remove_channel(self, channel: Channel | int) -> None:
        """Delete a channel; pushes CHANNEL_DELETE when connected."""
        target = self.channels.pop(channel if isinstance(channel, int) else channel.id)
        self._emit("CHANNEL_DELETE", target.to_payload(), self.id)

    def add_member(
        self,
        user: User,
        *,
        roles: Iterable[Role] = (),
        nick: str | None = None,
    ) -> Member:
        """Make a user a member (see `FakeDiscord.add_user`); pushes GUILD_MEMBER_ADD."""
        member = self._new_member(user, [r.id for r in roles], nick=nick)
        payload = member.to_payload()
        payload["guild_id"] = str(self.id)
        self._emit("GUILD_MEMBER_ADD", payload, self.id)
        return member

    def set_member_roles(self, member: Member | int, roles: Iterable[Role]) -> None:
        """Replace a member's roles; pushes GUILD_MEMBER_UPDATE."""
        target = self.members[member if isinstance(member, int) else member.id]
        target.role_ids = [r.id for r in roles if r.id != self.id]
        payload = target.to_payload()
        payload["guild_id"] = str(self.id)
        self._emit("GUILD_MEMBER_UPDATE", payload, self.id)

    # ----------------------------------------------------------------- payloads

    def role_list(self) -> list[JSON]:
        """All roles, @everyone included."""
        return [r.to_payload() for r in self.roles.values()]

    def to_payload(self) -> JSON:
        """The guild object of GET /guilds/{id} (no channels, no members)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": self.role_list(),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "max_presences": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": self.locale,
            "nsfw_level": 0,
            "incidents_data": None,
        }

    def gateway_payload(self, *, include_all_members: bool) -> JSON:
        """GUILD_CREATE data. Without the members intent Discord sends only the bot itself."""
        data = self.to_payload()
        members = list(self.members.values()) if include_all_members else [self.bot_member]
        data.update(
            joined_at=iso(self.bot_member.joined_at),
            large=len(self.members) > 250,
            unavailable=False,
            member_count=len(self.members),
            voice_states=[],
            members=[m.to_payload() for m in members],
            channels=[c.to_payload(with_guild_id=False) for c in self.channels.values()],
            threads=[
                t.to_payload(with_guild_id=False) for t in self.threads.values() if not t.archived
            ],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
            lazy=True,
        )
        return data

    # ----------------------------------------------------------------- internals

    def _new_role(
        self,
        name: str,
        permissions: int,
        *,
        managed: bool = False,
        bot_id: int | None = None,
        mentionable: bool = False,
    ) -> Role:
        role = Role(
            id=self._ids.next(),
            guild_id=self.id,
            name=name,
            permissions=int(permissions),
            position=len(self.roles),
            managed=managed,
            bot_id=bot_id,
            mentionable=mentionable,
        )
        self.roles[role.id] = role
        return role

    def _new_member(self, user: User, role_ids: list[int], *, nick: str | None = None) -> Member:
        if user.id in self.members:
            raise ValueError(f"user {user.id} is already a member of guild {self.id}")
        member = Member(user=user, guild_id=self.id, role_ids=role_ids, nick=nick)
        self.members[user.id] = member
        return member


__all__ = [
    "CATEGORY_CHANNEL",
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
    "DM_CHANNEL",
    "FORUM_CHANNEL",
    "NEWS_CHANNEL",
    "PUBLIC_THREAD",
    "TEXT_CHANNEL",
    "Channel",
    "Guild",
    "Member",
    "Role",
    "Snowflakes",
    "User",
]

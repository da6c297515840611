"""Discord permission bits and the channel permission algorithm.

The fake computes permissions itself (instead of trusting the bot's cache) so that a test which
denies the bot Send Messages in a channel gets the same 403 the real API would return.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal


class Perm(enum.IntFlag):
    """Permission bits as documented by Discord (the subset a text bot cares about, and more)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51


ALL_PERMISSIONS = Perm((1 << 52) - 1)

#: What @everyone gets in a freshly created guild (close to Discord's default).
DEFAULT_EVERYONE = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.STREAM
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.USE_VAD
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.USE_EXTERNAL_STICKERS
    | Perm.SEND_POLLS
    | Perm.USE_EXTERNAL_APPS
)

#: What the bot's managed role gets unless the test says otherwise: a news bot's invite scope.
DEFAULT_BOT = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
)


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: Literal[0, 1]
    allow: int = 0
    deny: int = 0

    @classmethod
    def for_role(cls, role_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
        """An overwrite for a role; the @everyone role's id is the guild id."""
        return cls(id=role_id, type=0, allow=int(allow), deny=int(deny))

    @classmethod
    def for_member(cls, user_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
        """An overwrite for one member."""
        return cls(id=user_id, type=1, allow=int(allow), deny=int(deny))

    def to_payload(self) -> dict[str, object]:
        """The overwrite as Discord sends it (bit sets are strings)."""
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


def compute_base_permissions(
    *,
    user_id: int,
    owner_id: int,
    everyone_permissions: int,
    role_permissions: list[int],
) -> int:
    """Guild-level permissions, as in Discord's documented algorithm."""
    if user_id == owner_id:
        return int(ALL_PERMISSIONS)
    perms = everyone_permissions
    for role_perms in role_permissions:
        perms |= role_perms
    if perms & Perm.ADMINISTRATOR:
        return int(ALL_PERMISSIONS)
    return perms


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    user_id: int,
    member_role_ids: set[int],
    overwrites: list[Overwrite],
) -> int:
    """Channel-level permissions: @everyone overwrite, then role overwrites, then member."""
    if base & Perm.ADMINISTRATOR:
        return int(ALL_PERMISSIONS)
    perms = base
    for ow in overwrites:
        if ow.type == 0 and ow.id == guild_id:
            perms &= ~ow.deny
            perms |= ow.allow
    allow = deny = 0
    for ow in overwrites:
        if ow.type == 0 and ow.id in member_role_ids:
            allow |= ow.allow
            deny |= ow.deny
    perms &= ~deny
    perms |= allow
    for ow in overwrites:
        if ow.type == 1 and ow.id == user_id:
            perms &= ~ow.deny
            perms |= ow.allow
    # Discord's implicit rules: no View Channel means nothing at all in that channel.
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    return perms

"""A loopback fake of Discord's REST API and gateway for end-to-end tests (see README.md)."""

from .failures import Failure, error_body, rate_limit_response
from .gateway import Intent
from .permissions import ALL_PERMISSIONS, DEFAULT_BOT, DEFAULT_EVERYONE, Overwrite, Perm
from .records import (
    CallbackRecord,
    CommandSync,
    FakeDiscordTimeout,
    InteractionHandle,
    Pings,
    RecordedMessage,
    RequestRecord,
    compute_pings,
)
from .server import FakeDiscord
from .state import Channel, Guild, Member, Role, User

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_BOT",
    "DEFAULT_EVERYONE",
    "CallbackRecord",
    "Channel",
    "CommandSync",
    "Failure",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "Guild",
    "Intent",
    "InteractionHandle",
    "Member",
    "Overwrite",
    "Perm",
    "Pings",
    "RecordedMessage",
    "RequestRecord",
    "Role",
    "User",
    "compute_pings",
    "error_body",
    "rate_limit_response",
]

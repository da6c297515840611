"""What the fake remembers, and bounded ways to wait for it.

Everything a test asserts on lives here: messages (with the exact request the bot sent), command
syncs, interaction responses, the raw request log. Waits never block forever: each takes a timeout
and fails with a `FakeDiscordTimeout` that says what was awaited and what was seen instead.
"""

# Bounded waits with an explicit `timeout=` are this API's contract (and read well in tests).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from .state import JSON, iso

T = TypeVar("T")

EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7

#: Longest a wait sleeps between checks of its predicate.
POLL_INTERVAL = 0.05

#: How long a wait gives up after by default: a wait returns as soon as what it waits for
#: happens, so a generous ceiling costs nothing, and a busy machine never fails a test by it.
WAIT_CEILING = 60.0


class FakeDiscordTimeout(AssertionError):
    """A bounded wait on the fake ran out; the message says what was expected."""


class Changes:
    """A broadcast "something changed" signal that waits can sleep on.

    Each notify() wakes every waiter, which then re-checks its own predicate; this keeps
    every wait a plain predicate over recorded state, with no per-kind bookkeeping. Waiters
    also re-check every POLL_INTERVAL, so predicates over outside state work too.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all current waiters."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float,
        what: str,
        seen: Callable[[], str] | None = None,
    ) -> T:
        """Return the first truthy `predicate()`; raise FakeDiscordTimeout after `timeout` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = f"; seen: {seen()}" if seen else ""
                raise FakeDiscordTimeout(f"timed out after {timeout}s waiting for {what}{detail}")
            event = self._event
            # Also re-check on a short tick: predicates may look at state the fake does not own
            # (the bot's cache, a subprocess, a database), which never calls notify().
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, POLL_INTERVAL))


@dataclass(frozen=True, slots=True)
class Pings:
    """Who a message would actually notify, given its content and allowed_mentions."""

    everyone: bool
    users: frozenset[int]
    roles: frozenset[int]

    @property
    def anyone(self) -> bool:
        """True if the message would ping anybody at all."""
        return self.everyone or bool(self.users) or bool(self.roles)


_MENTION = re.compile(r"<@!?(?P<user>\d+)>|<@&(?P<role>\d+)>|@(?P<everyone>everyone|here)")


def compute_pings(
    content: str,
    allowed_mentions: JSON | None,
    *,
    mentionable: Callable[[int], bool] | None = None,
    mention_everyone: bool = True,
) -> Pings:
    """Apply Discord's allowed_mentions rules to the mentions found in `content`.

    Without allowed_mentions Discord parses everything, which is exactly what a news bot that
    relays feed text must never do. On top of allowed_mentions Discord checks the author:
    ``@everyone``/``@here`` and a role that is not mentionable ping only when the author has
    Mention Everyone in the channel (``mention_everyone``); ``mentionable(role_id)`` says
    whether a role of the guild is mentionable (None: no such check, as in a DM).
    """
    users: set[int] = set()
    roles: set[int] = set()
    everyone = False
    for match in _MENTION.finditer(content or ""):
        if match.group("user"):
            users.add(int(match.group("user")))
        elif match.group("role"):
            roles.add(int(match.group("role")))
        else:
            everyone = True
    everyone = everyone and mention_everyone
    if mentionable is not None:
        roles = {r for r in roles if mention_everyone or mentionable(r)}
    if allowed_mentions is None:
        return Pings(everyone, frozenset(users), frozenset(roles))
    parse = set(allowed_mentions.get("parse") or [])
    allowed_users = {int(u) for u in allowed_mentions.get("users") or []}
    allowed_roles = {int(r) for r in allowed_mentions.get("roles") or []}
    return Pings(
        everyone=everyone and "everyone" in parse,
        users=frozenset(u for u in users if "users" in parse or u in allowed_users),
        roles=frozenset(r for r in roles if "roles" in parse or r in allowed_roles),
    )


MessageSource = Literal["channel", "interaction", "followup", "user"]


@dataclass(slots=True, eq=False)
class RecordedMessage:
    """A message as the fake stores it: the rendered message plus the request that made it."""

    id: int
    channel_id: int
    guild_id: int | None
    author: JSON
    content: str
    embeds: list[JSON]
    components: list[JSON]
    flags: int
    allowed_mentions: JSON | None
    nonce: str | int | None
    enforce_nonce: bool
    source: MessageSource
    created_at: datetime
    request: JSON
    attachments: list[JSON] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    tts: bool = False
    type: int = 0
    edited_at: datetime | None = None
    deleted: bool = False
    interaction_id: int | None = None
    interaction_metadata: JSON | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    message_reference: JSON | None = None
    history: list[JSON] = field(default_factory=list)
    #: Embeds Discord silently dropped because the bot lacked Embed Links.
    stripped_embeds: list[JSON] = field(default_factory=list)
    #: Who the message notified when it was created, with the author's Mention Everyone
    #: permission and the roles' mentionable flags of that moment (None: not a guild message).
    pinged: Pings | None = None

    @property
    def ephemeral(self) -> bool:
        """True for messages only the invoking user can see."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred "Bot is thinking..." placeholder."""
        return bool(self.flags & LOADING)

    @property
    def pings(self) -> Pings:
        """Who this message notified (for a guild message, as Discord decided at creation)."""
        if self.pinged is not None:
            return self.pinged
        return compute_pings(self.content, self.allowed_mentions)

    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message, in order (for clicking buttons)."""
        found: list[str] = []

        def walk(items: list[JSON]) -> None:
            for item in items:
                if "custom_id" in item:
                    found.append(str(item["custom_id"]))
                for key in ("components",):
                    if isinstance(item.get(key), list):
                        walk(item[key])
                for key in ("accessory", "component"):
                    if isinstance(item.get(key), dict):
                        walk([item[key]])

        walk(self.components)
        return found

    def find_component(self, custom_id: str) -> JSON | None:
        """The component with this custom_id, if the message has it."""

        def walk(items: list[JSON]) -> JSON | None:
            for item in items:
                if item.get("custom_id") == custom_id:
                    return item
                children: list[JSON] = list(item.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(item.get(key), dict):
                        children.append(item[key])
                hit = walk(children)
                if hit is not None:
                    return hit
            return None

        return walk(self.components)

    def to_payload(self) -> JSON:
        """The message object as Discord returns it."""
        pings = self.pings
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": self.type,
            "author": self.author,
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": self.tts,
            "mention_everyone": pings.everyone,
            "mentions": [],
            "mention_roles": [str(r) for r in sorted(pings.roles)],
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "reactions": [],
            "pinned": False,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data


@dataclass(frozen=True, slots=True)
class CommandSync:
    """One bulk overwrite (PUT) of application commands."""

    guild_id: int | None
    payload: list[JSON]
    at: datetime

    @property
    def names(self) -> list[str]:
        """Top-level command names in the sync, in order."""
        return [str(c["name"]) for c in self.payload]


@dataclass(slots=True)
class RequestRecord:
    """One HTTP request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: datetime
    status: int = 0
    outcome: str = ""
    #: Which client process sent it, as ``FakeDiscord.client_of`` named it (None: unnamed).
    client: str | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status or '?'} {self.outcome}".rstrip()


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """One interaction callback the bot made (accepted or not)."""

    type: int
    data: JSON | None
    status: int
    error: str | None = None


class InteractionHandle:
    """An interaction the fake dispatched, and everything the bot answered to it.

    Returned by `invoke_slash`, `invoke_autocomplete`, `click_button`, `select`, `submit_modal`.
    """

    def __init__(
        self,
        *,
        id: int,
        token: str,
        type: int,
        payload: JSON,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        changes: Changes,
        created: float,
        source_message: RecordedMessage | None = None,
    ) -> None:
        self.id = id
        self.token = token
        self.type = type
        self.payload = payload
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.user_id = user_id
        self.created = created
        self.source_message = source_message
        self.callbacks: list[CallbackRecord] = []
        self.original: RecordedMessage | None = None
        self.followups: list[RecordedMessage] = []
        self.modal: JSON | None = None
        self.choices_sent: list[JSON] | None = None
        self._changes = changes

    def __repr__(self) -> str:
        return (
            f"<InteractionHandle id={self.id} type={self.type} callbacks="
            f"{[c.type for c in self.callbacks]} followups={len(self.followups)}>"
        )

    @property
    def acknowledged(self) -> bool:
        """True once a callback was accepted."""
        return any(c.status < 300 for c in self.callbacks)

    @property
    def accepted_callback(self) -> CallbackRecord | None:
        """The callback Discord accepted, if any."""
        return next((c for c in self.callbacks if c.status < 300), None)

    @property
    def messages(self) -> list[RecordedMessage]:
        """The original response (if it is a message) and the follow-ups, not deleted ones."""
        found = [self.original] if self.original is not None else []
        found += [m for m in self.followups if m is not self.original]
        return [m for m in found if not m.deleted]

    def describe(self) -> str:
        """One line on what happened so far, for failure messages."""
        parts = [f"callbacks={[(c.type, c.status, c.error) for c in self.callbacks]}"]
        if self.original is not None:
            parts.append(f"original={self.original.content!r} flags={self.original.flags}")
        parts.append(f"followups={[m.content for m in self.followups]}")
        return " ".join(parts)

    async def wait_until(
        self,
        predicate: Callable[[InteractionHandle], T | None],
        *,
        timeout: float = WAIT_CEILING,
        what: str = "a condition on the interaction",
    ) -> T:
        """Wait until `predicate(self)` is truthy and return it."""
        return await self._changes.wait_until(
            lambda: predicate(self), timeout=timeout, what=what, seen=self.describe
        )

    async def response(self, *, timeout: float = WAIT_CEILING) -> CallbackRecord:
        """The accepted callback (type 4, 5, 6, 7, 8 or 9)."""
        return await self.wait_until(
            lambda h: h.accepted_callback, timeout=timeout, what="the interaction callback"
        )

    async def wait_original(
        self,
        predicate: Callable[[RecordedMessage], bool] | None = None,
        *,
        timeout: float = WAIT_CEILING,
    ) -> RecordedMessage:
        """The original response message once it exists and satisfies `predicate`.

        With no predicate, waits until it is no longer a deferred "thinking" placeholder.
        """
        check = predicate or (lambda m: not m.loading)

        def ready(h: InteractionHandle) -> RecordedMessage | None:
            message = h.original
            return message if message is not None and check(message) else None

        return await self.wait_until(ready, timeout=timeout, what="the original response")

    async def wait_followups(
        self, count: int = 1, *, timeout: float = WAIT_CEILING
    ) -> list[RecordedMessage]:
        """The first `count` follow-up messages."""
        return await self.wait_until(
            lambda h: h.followups[:count] if len(h.followups) >= count else None,
            timeout=timeout,
            what=f"{count} follow-up message(s)",
        )

    async def choices(self, *, timeout: float = WAIT_CEILING) -> list[JSON]:
        """The autocomplete choices the bot returned (type 8 callback)."""
        # Wrapped in a tuple: an empty choice list is a valid answer but falsy.
        (found,) = await self.wait_until(
            lambda h: (h.choices_sent,) if h.choices_sent is not None else None,
            timeout=timeout,
            what="autocomplete choices",
        )
        return found

    async def wait_modal(self, *, timeout: float = WAIT_CEILING) -> JSON:
        """The modal the bot opened (type 9 callback)."""
        return await self.wait_until(lambda h: h.modal, timeout=timeout, what="a modal")

"""Forum posts, threads and announcement publishing, as Discord documents them.

- ``POST /channels/{forum}/threads`` opens a forum post: a thread (type 11) whose first message
  has the thread's id. Needs Send Messages in the forum; ``name`` 1-100 characters; ``message``
  required; ``applied_tags`` at most 5, each one of the forum's ``available_tags``.
- ``POST /channels/{channel}/messages/{message}/threads`` starts a thread from a message (its id
  is the message's). Needs Create Public Threads; a message has one thread at most (160004);
  not in forums or threads (50024).
- Messages in a thread need Send Messages in Threads (not Send Messages); a forum itself takes
  no messages (50008). Those checks live in ``RestApi._post_message_unlimited``.
- ``GET /guilds/{guild}/threads/active``: the guild's threads that are not archived.
- ``PATCH /channels/{thread}`` renames a thread (a forum post's title): ``name`` 1-100
  characters; needs Manage Threads (Discord's Modify Channel, thread params: only unarchiving
  an unlocked thread needs no more than Send Messages); an archived thread refuses (50083)
  unless the request unarchives it; pushes THREAD_UPDATE. Other channels are not served.
- ``POST /channels/{channel}/messages/{message}/crosspost`` publishes a message of an
  announcement channel (type 5) to the channels following it. Needs Send Messages for the
  bot's own messages and Manage Messages for others'; a message is published once (40033);
  at most ``crosspost_rate_limit`` (10 an hour by default) per channel, past which Discord
  answers 429 with ``retry_after``.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .failures import rate_limit_response
from .permissions import Perm
from .records import RecordedMessage
from .rest import ApiRequest, ApiResponse, Route, error_response
from .state import FORUM_CHANNEL, JSON, NEWS_CHANNEL, TEXT_CHANNEL, THREAD_TYPES, Channel
from .validation import validate_message

if TYPE_CHECKING:
    from .server import FakeDiscord

CROSSPOSTED = 1 << 0
HAS_THREAD = 1 << 5
MAX_APPLIED_TAGS = 5


@dataclass(slots=True)
class Crosspost:
    """One message published to an announcement channel's followers."""

    channel_id: int
    message_id: int


@dataclass(slots=True)
class ThreadsApi:
    """The forum, thread and crosspost endpoints over a ``FakeDiscord``'s state."""

    fake: FakeDiscord
    _crosspost_buckets: dict[int, tuple[float, int]] = field(default_factory=dict)

    def routes(self) -> list[Route]:
        """Route table entries (method, path regex, handler, needs bot auth)."""
        chan = r"/channels/(?P<channel_id>\d+)"
        msg = chan + r"/messages/(?P<message_id>\d+)"
        return [
            Route("POST", re.compile(chan + r"/threads"), self._create_thread, True),
            Route("POST", re.compile(msg + r"/threads"), self._thread_from_message, True),
            Route(
                "GET", re.compile(r"/guilds/(?P<guild_id>\d+)/threads/active"), self._active, True
            ),
            Route("POST", re.compile(msg + r"/crosspost"), self._crosspost, True),
            Route("PATCH", re.compile(chan), self._modify_thread, True),
        ]

    # ------------------------------------------------------------------ forum posts

    async def _create_thread(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        found = self.fake.rest._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        parent, guild, perms = found
        if guild is None or parent.type != FORUM_CHANNEL:
            # Threads without a message are not something this fake serves.
            return error_response(400, 50024)
        if not perms & Perm.SEND_MESSAGES:
            return error_response(403, 50013)
        body: JSON = dict(req.json or {})
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            return _field_error(
                "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        message_payload = body.get("message")
        if not isinstance(message_payload, dict):
            return _field_error("message", "BASE_TYPE_REQUIRED", "This field is required")
        errors = validate_message(message_payload)
        if errors:
            return ApiResponse(400, errors.body())
        tag_ids = {int(t["id"]) for t in parent.available_tags}
        applied = [int(t) for t in body.get("applied_tags") or []]
        if len(applied) > MAX_APPLIED_TAGS:
            return _field_error(
                "applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."
            )
        if any(t not in tag_ids for t in applied):
            return _field_error("applied_tags", "BASE_TYPE_CHOICES", "Unknown tag.")
        thread_id = self.fake.ids.next()
        thread = guild.add_thread(
            parent, name, thread_id=thread_id, owner_id=self.fake.bot.id, applied_tags=applied
        )
        message = self.fake._create_message(
            channel=thread,
            guild=guild,
            author=self.fake.bot,
            payload=message_payload,
            source="channel",
            embed_links=bool(perms & Perm.EMBED_LINKS),
            message_id=thread_id,
        )
        if message is None:
            del guild.threads[thread_id]
            return error_response(400, 50006)
        parent.last_message_id = thread_id
        return ApiResponse(200, thread.to_payload() | {"message": message.to_payload()})

    async def _thread_from_message(
        self, req: ApiRequest, channel_id: str, message_id: str
    ) -> ApiResponse:
        found = self.fake.rest._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        parent, guild, perms = found
        if guild is None or parent.type not in (TEXT_CHANNEL, NEWS_CHANNEL):
            return error_response(400, 50024)
        if not perms & Perm.CREATE_PUBLIC_THREADS:
            return error_response(403, 50013)
        message = self.fake.rest._channel_message(channel_id, message_id)
        if message is None:
            return error_response(404, 10008)
        name = str((req.json or {}).get("name") or "")
        if not 1 <= len(name) <= 100:
            return _field_error(
                "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        if message.id in guild.threads:
            return error_response(400, 160004)
        thread = guild.add_thread(parent, name, thread_id=message.id, owner_id=self.fake.bot.id)
        message.flags |= HAS_THREAD
        self.fake._changes.notify()
        return ApiResponse(200, thread.to_payload())

    async def _modify_thread(self, req: ApiRequest, channel_id: str) -> ApiResponse:
        found = self.fake.rest._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        thread, guild, perms = found
        if guild is None or thread.type not in THREAD_TYPES:
            return error_response(400, 50024)  # guild channels' settings: not served here
        body: JSON = dict(req.json or {})
        if not perms & Perm.MANAGE_THREADS:
            return error_response(403, 50013)
        if thread.archived and body.get("archived") is not False:
            return error_response(400, 50083)
        if "name" in body:
            name = str(body.get("name") or "")
            if not 1 <= len(name) <= 100:
                return _field_error(
                    "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )
            thread.name = name
        if body.get("archived") is False:
            thread.archived = False
        self.fake.thread_renames.append((thread.id, thread.name))
        guild._emit("THREAD_UPDATE", thread.to_payload(), guild.id)
        self.fake._changes.notify()
        return ApiResponse(200, thread.to_payload())

    async def _active(self, req: ApiRequest, guild_id: str) -> ApiResponse:
        guild = self.fake.rest._guild_or_error(guild_id)
        if isinstance(guild, ApiResponse):
            return guild
        threads = [t.to_payload() for t in guild.threads.values() if not t.archived]
        return ApiResponse(200, {"threads": threads, "members": []})

    # ------------------------------------------------------------------ publishing

    async def _crosspost(self, req: ApiRequest, channel_id: str, message_id: str) -> ApiResponse:
        found = self.fake.rest._channel_or_error(channel_id)
        if isinstance(found, ApiResponse):
            return found
        channel, guild, perms = found
        if channel.type != NEWS_CHANNEL:
            return error_response(400, 50024)
        message = self.fake.rest._channel_message(channel_id, message_id)
        if message is None:
            return error_response(404, 10008)
        own = int(message.author["id"]) == self.fake.bot.id
        if not perms & (Perm.SEND_MESSAGES if own else Perm.MANAGE_MESSAGES):
            return error_response(403, 50013)
        if message.flags & CROSSPOSTED:
            return error_response(400, 40033)
        slot = self._take_slot(channel.id)
        if isinstance(slot, ApiResponse):
            return slot
        message.flags |= CROSSPOSTED
        self.fake.crossposts.append(Crosspost(channel.id, message.id))
        self.fake._dispatch_message("MESSAGE_UPDATE", message, guild)
        self.fake._changes.notify()
        return ApiResponse(200, message.to_payload(), slot)

    def _take_slot(self, channel_id: int) -> dict[str, str] | ApiResponse:
        """Count a crosspost against the channel's publish limit: no headers, or a 429.

        The hourly publish limit shows as a sub-limit, as Discord reports it: nothing in a
        successful answer's headers, then a 429 with the wait in ``retry_after``.
        """
        limit, per = self.fake.crosspost_rate_limit
        now = asyncio.get_running_loop().time()
        start, used = self._crosspost_buckets.get(channel_id, (now, 0))
        if now - start >= per:
            start, used = now, 0
        if used >= limit:
            body, headers = rate_limit_response(per - (now - start), bucket="fake-crosspost")
            return ApiResponse(429, body, headers)
        self._crosspost_buckets[channel_id] = (start, used + 1)
        return {}


def thread_messages(fake: FakeDiscord, thread: Channel | int) -> list[RecordedMessage]:
    """The messages of a thread (a forum post's first one included), oldest first."""
    return fake.messages_in(thread if isinstance(thread, int) else thread.id)


def _field_error(name: str, code: str, message: str) -> ApiResponse:
    return ApiResponse(
        400,
        {
            "message": "Invalid Form Body",
            "code": 50035,
            "errors": {name: {"_errors": [{"code": code, "message": message}]}},
        },
    )

"""Posting to Discord channels for the delivery sender (the ``Publisher`` port).

Messages go straight through discord.py's HTTP client so that ``enforce_nonce`` can be set:
with it, Discord answers a repeated nonce (a retry after a crash between "sent" and
"recorded") with the message it already created instead of posting a second one.
discord.py itself waits out 429s and retries 5xx a few times; what still fails is mapped to
an outcome the sender understands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import aiohttp
import discord
from discord.http import Route

from bot.long_waits import PUBLISH_WAIT_LIMIT, raise_after
from bot.news.model.vocabulary import DEFAULT_POST_FORMAT, Item, PostFormat, PostOutcome, PostResult
from bot.news.rules.story_posts import forum_tags
from bot.news.services.digests import DigestPost
from bot.post_styles import allowed_mentions, digest_message, item_message, roundup_message

log = logging.getLogger("shopwire.publisher")

# What the bot needs in a channel to post items there, with the names Discord's UI uses.
REQUIRED_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


def missing_in(permissions: discord.Permissions) -> list[str]:
    """The names of the permissions needed for posting that ``permissions`` lacks."""
    return [
        label for attribute, label in REQUIRED_PERMISSIONS if not getattr(permissions, attribute)
    ]


# How long one attempt of a request may take. discord.py's session waits up to 5 minutes for
# an answer, and a delivery run waits for every channel's post: one request left hanging held
# every other channel's next posts back for that long. Discord answers in well under a second;
# a post that timed out is retried with its nonce, so one Discord did create is not doubled.
SEND_TIMEOUT = 15.0


class DiscordPublisher:
    """Posts items and notices to channels through a logged-in discord.py client."""

    def __init__(self, client: discord.Client, *, send_timeout: float = SEND_TIMEOUT) -> None:
        self._client = client
        # Per attempt (discord.py passes it to aiohttp): waits for a rate limit come on top.
        self._timeout = aiohttp.ClientTimeout(total=send_timeout)

    async def post_item(
        self,
        channel_id: int,
        item: Item,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        """Post one item in the subscription's style, pinging only its role, if any."""
        message = item_message(item, post_format)
        return await self._send(channel_id, message.payload(), nonce, post_format)

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        """Post a short plain-text notice, never pinging anyone."""
        return await self._send(channel_id, {"content": text[:2000]}, nonce)

    async def post_roundup(
        self,
        channel_id: int,
        items: Sequence[Item],
        waiting: int,
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        """Post a flood's overflow as one message of linked headlines in the subscription's
        style, pinging only its role, if any."""
        message = roundup_message(items, waiting, post_format)
        return await self._send(channel_id, message.payload(), nonce, post_format)

    async def post_digest(self, channel_id: int, digest: DigestPost, nonce: str) -> PostResult:
        """Post a scheduled digest as one summary embed, pinging only the subscription's role."""
        message = digest_message(digest)
        return await self._send(channel_id, message.payload(), nonce, digest.post_format)

    def missing_permissions(self, channel_id: int) -> str | None:
        """Why the bot cannot post in the channel now, from the gateway cache (None: it can)."""
        channel = self._client.get_channel(channel_id)
        if channel is None or not isinstance(channel, discord.abc.GuildChannel):
            return "the channel no longer exists or the bot cannot see it"
        missing = missing_in(channel.permissions_for(channel.guild.me))
        return f"missing {', '.join(missing)}" if missing else None

    async def _send(
        self,
        channel_id: int,
        payload: dict[str, Any],
        nonce: str,
        post_format: PostFormat = DEFAULT_POST_FORMAT,
    ) -> PostResult:
        # allowed_mentions names the subscription's role and nobody else, whatever the text.
        mentions = allowed_mentions(post_format)
        body = {**payload, "nonce": nonce, "enforce_nonce": True, "allowed_mentions": mentions}
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        try:
            data = await self._client.http.request(route, json=body, timeout=self._timeout)
        except discord.Forbidden as exc:
            return PostResult(PostOutcome.FORBIDDEN, error=_describe(exc))
        except discord.NotFound as exc:
            return PostResult(PostOutcome.NOT_FOUND, error=_describe(exc))
        except discord.HTTPException as exc:
            # A 400 answers the message itself (AutoMod, code 200000; a form error, 50035),
            # so the same message would be refused on every try.
            refused = exc.status == HTTPStatus.BAD_REQUEST
            outcome = PostOutcome.REFUSED if refused else PostOutcome.RETRY
            return PostResult(outcome, error=_describe(exc))
        except discord.RateLimited as exc:  # longer than the client waits in line
            wait = timedelta(seconds=exc.retry_after)
            error = f"rate limited for {exc.retry_after:.0f} s"
            return PostResult(PostOutcome.RETRY, error=error, retry_after=wait)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return PostResult(PostOutcome.RETRY, error=f"network error: {type(exc).__name__}")
        except asyncio.CancelledError:
            raise
        return PostResult(PostOutcome.SENT, message_id=int(data["id"]))

    # ------------------------------------------------ forums, threads, edits, publishing

    async def post_forum(
        self, channel_id: int, title: str, item: Item, post_format: PostFormat
    ) -> PostResult:
        """Open a forum post: ``title``, the item as its first message, and the forum's tags
        that name the item's companies or topics. The post's id is its first message's."""
        message = {**item_message(item, post_format).payload()}
        message["allowed_mentions"] = allowed_mentions(post_format)
        body: dict[str, Any] = {"name": title, "message": message, "auto_archive_duration": 1440}
        channel = self._client.get_channel(channel_id)
        if isinstance(channel, discord.ForumChannel):
            tags = forum_tags([(t.id, t.name) for t in channel.available_tags], item)
            if tags:
                body["applied_tags"] = [str(t) for t in tags]
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=channel_id)
        data, failed = await self._request(route, body)
        if failed is not None:
            return failed
        thread_id = int(data["id"])
        return PostResult(PostOutcome.SENT, message_id=thread_id, thread_id=thread_id)

    async def find_forum_post(
        self, channel_id: int, title: str, since: datetime, known: set[int]
    ) -> PostResult:
        """The bot's active post in the forum titled ``title``, opened since ``since`` and not
        one of ``known`` (the oldest such): SENT with its id, or NOT_FOUND."""
        channel = self._client.get_channel(channel_id)
        me = self._client.user
        if not isinstance(channel, discord.abc.GuildChannel) or me is None:
            return PostResult(PostOutcome.NOT_FOUND, error="the forum is not in the cache")
        route = Route("GET", "/guilds/{guild_id}/threads/active", guild_id=channel.guild.id)
        data, failed = await self._request(route, None)
        if failed is not None:
            return failed
        found = sorted(
            int(thread["id"])
            for thread in data.get("threads", [])
            if str(thread.get("parent_id")) == str(channel_id)
            and str(thread.get("owner_id")) == str(me.id)
            and thread.get("name") == title
            and int(thread["id"]) not in known
            and discord.utils.snowflake_time(int(thread["id"])) >= since
        )
        if not found:
            return PostResult(PostOutcome.NOT_FOUND, error="no such forum post")
        return PostResult(PostOutcome.SENT, message_id=found[0], thread_id=found[0])

    async def open_thread(self, channel_id: int, message_id: int, title: str) -> PostResult:
        """Start a thread on a message; one that exists already (160004) is that thread."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/threads",
            channel_id=channel_id,
            message_id=message_id,
        )
        data, failed = await self._request(route, {"name": title, "auto_archive_duration": 1440})
        if failed is not None:
            if failed.error is not None and "code 160004" in failed.error:
                return PostResult(PostOutcome.SENT, thread_id=message_id)
            return failed
        return PostResult(PostOutcome.SENT, thread_id=int(data["id"]))

    async def post_in_thread(
        self, thread_id: int, item: Item, note: str, nonce: str, post_format: PostFormat
    ) -> PostResult:
        """Post an item in a thread, ``note`` on the line above it."""
        payload = _with_note(item_message(item, post_format).payload(), note)
        return await self._send(thread_id, payload, nonce, post_format)

    async def edit_item(
        self, channel_id: int, message_id: int, item: Item, note: str, post_format: PostFormat
    ) -> PostResult:
        """Rewrite a posted item's message to the item as it is now; an edit pings nobody."""
        payload = _with_note(item_message(item, post_format).payload(), note)
        body = {"content": "", "embeds": [], **payload, "allowed_mentions": {"parse": []}}
        route = Route(
            "PATCH",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel_id,
            message_id=message_id,
        )
        data, failed = await self._request(route, body)
        return failed or PostResult(PostOutcome.SENT, message_id=int(data["id"]))

    async def rename_thread(self, thread_id: int, title: str) -> PostResult:
        """Give a thread (a forum post) another title; Discord asks Manage Threads for it."""
        route = Route("PATCH", "/channels/{channel_id}", channel_id=thread_id)
        # Renames have a limit of minutes: a long wait is not slept through by the follow-ups.
        with raise_after(PUBLISH_WAIT_LIMIT):
            data, failed = await self._request(route, {"name": title[:100]})
        return failed or PostResult(PostOutcome.SENT, thread_id=int(data["id"]))

    async def crosspost(self, channel_id: int, message_id: int) -> PostResult:
        """Publish a message to the channels following its announcement channel. Past
        Discord's publish limit: RETRY with how long it asked to wait, never a wait here
        longer than ``PUBLISH_WAIT_LIMIT`` (other calls wait as discord.py does)."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/crosspost",
            channel_id=channel_id,
            message_id=message_id,
        )
        with raise_after(PUBLISH_WAIT_LIMIT):
            data, failed = await self._request(route, None)
        if failed is None:
            return PostResult(PostOutcome.SENT, message_id=int(data["id"]))
        error = failed.error or ""
        if "code 40033" in error:  # published already (an answer lost before a restart)
            return PostResult(PostOutcome.SENT, message_id=message_id)
        if "code 50024" in error:  # not an announcement channel (any more)
            return PostResult(PostOutcome.NOT_FOUND, error=error)
        return failed

    async def _request(
        self, route: Route, body: dict[str, Any] | None
    ) -> tuple[Any, PostResult | None]:
        """Discord's answer, or the failure as a PostResult (a 400 is RETRY with its code)."""
        try:
            if body is None:
                return await self._client.http.request(route, timeout=self._timeout), None
            return await self._client.http.request(route, json=body, timeout=self._timeout), None
        except discord.Forbidden as exc:
            return None, PostResult(PostOutcome.FORBIDDEN, error=_describe(exc))
        except discord.NotFound as exc:
            return None, PostResult(PostOutcome.NOT_FOUND, error=_describe(exc))
        except discord.HTTPException as exc:
            return None, PostResult(PostOutcome.RETRY, error=_describe(exc))
        except discord.RateLimited as exc:
            # Longer than the caller's limit (bot/long_waits.py): waited out by its queue.
            wait = timedelta(seconds=exc.retry_after)
            error = f"rate limited for {exc.retry_after:.0f} s"
            return None, PostResult(PostOutcome.RETRY, error=error, retry_after=wait)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, PostResult(PostOutcome.RETRY, error=f"network error: {type(exc).__name__}")


def _with_note(payload: dict[str, Any], note: str) -> dict[str, Any]:
    """The message's payload with ``note`` as its first line."""
    if not note:
        return payload
    content = "\n".join(part for part in (note, payload.get("content", "")) if part)
    return {**payload, "content": content[:2000]}


def _describe(exc: discord.HTTPException) -> str:
    """One readable line: what Discord said, with its status and error code."""
    text = (exc.text or exc.response.reason or "").strip().splitlines()
    reason = text[0] if text else "no reason given"
    return f"{reason} (HTTP {exc.status}, code {exc.code})"

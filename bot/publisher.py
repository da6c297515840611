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
from typing import Any

import aiohttp
import discord
from discord.http import Route

from bot.embeds import digest_embed, item_embed, roundup_embed
from bot.news.digests import DigestPost
from bot.news.models import Item, PostOutcome, PostResult

log = logging.getLogger("shopwire.publisher")

NO_MENTIONS: dict[str, Any] = {"parse": []}

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


class DiscordPublisher:
    """Posts items and notices to channels through a logged-in discord.py client."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post_item(self, channel_id: int, item: Item, nonce: str) -> PostResult:
        """Post one item as an embed, never pinging anyone."""
        payload = {"embeds": [item_embed(item).to_dict()]}
        return await self._send(channel_id, payload, nonce)

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        """Post a short plain-text notice, never pinging anyone."""
        return await self._send(channel_id, {"content": text[:2000]}, nonce)

    async def post_roundup(
        self, channel_id: int, items: Sequence[Item], waiting: int, nonce: str
    ) -> PostResult:
        """Post a flood's overflow as one embed of linked headlines, never pinging anyone."""
        payload = {"embeds": [roundup_embed(items, waiting).to_dict()]}
        return await self._send(channel_id, payload, nonce)

    async def post_digest(self, channel_id: int, digest: DigestPost, nonce: str) -> PostResult:
        """Post a scheduled digest as one summary embed, never pinging anyone."""
        embed = digest_embed(digest.title, digest.summary, digest.timezone)
        return await self._send(channel_id, {"embeds": [embed.to_dict()]}, nonce)

    def missing_permissions(self, channel_id: int) -> str | None:
        """Why the bot cannot post in the channel now, from the gateway cache (None: it can)."""
        channel = self._client.get_channel(channel_id)
        if channel is None or not isinstance(channel, discord.abc.GuildChannel):
            return "the channel no longer exists or the bot cannot see it"
        missing = missing_in(channel.permissions_for(channel.guild.me))
        return f"missing {', '.join(missing)}" if missing else None

    async def _send(self, channel_id: int, payload: dict[str, Any], nonce: str) -> PostResult:
        body = {**payload, "nonce": nonce, "enforce_nonce": True, "allowed_mentions": NO_MENTIONS}
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        try:
            data = await self._client.http.request(route, json=body)
        except discord.Forbidden as exc:
            return PostResult(PostOutcome.FORBIDDEN, error=_describe(exc))
        except discord.NotFound as exc:
            return PostResult(PostOutcome.NOT_FOUND, error=_describe(exc))
        except discord.HTTPException as exc:
            return PostResult(PostOutcome.RETRY, error=_describe(exc))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return PostResult(PostOutcome.RETRY, error=f"network error: {type(exc).__name__}")
        except asyncio.CancelledError:
            raise
        return PostResult(PostOutcome.SENT, message_id=int(data["id"]))


def _describe(exc: discord.HTTPException) -> str:
    """One readable line: what Discord said, with its status and error code."""
    text = (exc.text or exc.response.reason or "").strip().splitlines()
    reason = text[0] if text else "no reason given"
    return f"{reason} (HTTP {exc.status}, code {exc.code})"

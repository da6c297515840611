"""Where ``/subscribe`` puts posts: plain messages, a thread per story, a forum post per story;
and whether an announcement channel's posts are published. Checked against the channel's
kind and the bot's permissions there before anything is saved."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.news.model.errors import UserError
from bot.news.model.vocabulary import PostLayout, Subscription, SubscriptionMode
from commands.errors import join_words, permission_label

THREAD_CHOICES = [
    app_commands.Choice(name="none: every item its own message (default)", value="none"),
    app_commands.Choice(
        name="per-story: later reports in a thread on the first", value="per-story"
    ),
]

# What the bot needs besides View Channel, Send Messages and Embed Links, per layout.
_THREAD_PERMISSIONS = ("create_public_threads", "send_messages_in_threads")
_FORUM_PERMISSIONS = ("send_messages_in_threads",)

PostTarget = discord.TextChannel | discord.ForumChannel


def choose_layout(
    channel: PostTarget, thread: str | None, publish: bool | None, mode: SubscriptionMode
) -> PostLayout | None:
    """The layout the options and the channel ask for (None: left as it was), or a UserError
    saying what does not fit."""
    if isinstance(channel, discord.ForumChannel):
        if mode is not SubscriptionMode.REALTIME:
            raise UserError(
                f"{channel.mention} is a forum: it gets one post per story as items arrive, "
                "so digests (`mode: daily` or `weekly`) need a text channel."
            )
        if publish:
            raise UserError(f"{channel.mention} is a forum: only announcement channels publish.")
        return PostLayout.FORUM
    if publish and not channel.is_news():
        raise UserError(
            f"{channel.mention} is not an announcement channel: `publish` needs one "
            "(Channel settings → Announcement Channel)."
        )
    if thread is None:
        return None
    if thread == "per-story":
        if mode is not SubscriptionMode.REALTIME:
            raise UserError("Threads per story are for realtime posts, not digests.")
        return PostLayout.THREAD
    if thread == "none":
        return PostLayout.MESSAGE
    raise UserError("`thread` is per-story or none.")


def ensure_can_place(channel: PostTarget, layout: PostLayout | None) -> None:
    """Raise UserError naming what the bot lacks for threads or forum posts in ``channel``."""
    me = channel.guild.me
    if me is None or layout in (None, PostLayout.MESSAGE):
        return
    needed = _FORUM_PERMISSIONS if layout is PostLayout.FORUM else _THREAD_PERMISSIONS
    permissions = channel.permissions_for(me)
    missing = [permission_label(p) for p in needed if not getattr(permissions, p)]
    if missing:
        raise UserError(
            f"I can't post stories in {channel.mention}: I'm missing {join_words(missing)}."
        )


def placement_text(subscription: Subscription, unpublished: int) -> str:
    """Where a subscription's posts go and their publishing, for ``/subscriptions`` ("" for
    plain messages that are not published)."""
    parts = []
    if subscription.layout is PostLayout.FORUM:
        parts.append("a forum post per story")
    elif subscription.layout is PostLayout.THREAD:
        parts.append("threads per story")
    if subscription.publish:
        waiting = f", {unpublished} waiting to be published" if unpublished else ""
        parts.append(f"publishing: on{waiting}")
    return " · ".join(parts)

"""Digest subscriptions, /settings timezone and realtime roundups through real dispatch.

The bot runs in-process against the loopback fake Discord (see ``conftest.py``). Replies are
compared with what the core computes for the same inputs (``next_digest_at``), taken just
before and just after the command so that an hour boundary crossed mid-test cannot flake.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from bot.news.model.vocabulary import (
    FeedPollResult,
    FeedStatus,
    PlannedPost,
    SubscriptionMode,
    TaggedDraft,
)
from bot.news.services.delivery import DeliveryOptions, DeliverySender
from bot.news.services.digests import next_digest_at
from bot.publisher import DiscordPublisher
from tests.commands.conftest import App, draft

REFUSED = "You need the Manage Server permission to use this command."


def stamps(mode: SubscriptionMode, hour: int, zone: str, *moments: datetime) -> set[str]:
    """The ``<t:...:f>`` Discord timestamps of the next digest seen from each moment."""
    tz = zoneinfo.ZoneInfo(zone)
    return {f"<t:{int(next_digest_at(mode, hour, tz, m).timestamp())}:f>" for m in moments}


# /subscribe mode and hour -------------------------------------------------------------------


async def test_daily_subscription_at_an_hour_names_its_first_digest(app: App) -> None:
    world = app.world
    before = datetime.now(UTC)
    handle, reply = await app.answer(
        world.admin, "subscribe", channel=world.news, mode="daily", hour=7
    )
    after = datetime.now(UTC)
    assert (await handle.response()).type == 5
    assert reply.ephemeral
    assert not reply.pings.anyone

    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert subscription.mode is SubscriptionMode.DAILY
    assert subscription.post_hour == 7
    assert subscription.channel_id == world.news.id
    assert subscription.created_by == world.admin.user.id

    assert reply.content.startswith(
        f"Subscribed <#{world.news.id}> (#{subscription.id}): "
        "daily digest at 07:00 of all news. The first digest comes <t:"
    )
    first = re.search(r"<t:\d+:f>", reply.content)
    assert first is not None
    assert first.group(0) in stamps(SubscriptionMode.DAILY, 7, "UTC", before, after)
    assert "a period with no matching story posts nothing" in reply.content
    assert "/settings timezone" in reply.content

    _, listed = await app.answer(world.admin, "subscriptions list")
    [embed] = listed.embeds
    assert embed["title"] == "Subscriptions (1)"
    line = embed["description"]
    assert line.startswith(
        f"`#{subscription.id}` <#{world.news.id}> · daily digest at 07:00 of all news"
        " · style: embed · active · 0 posts waiting · next digest <t:"
    )
    listed_next = re.search(r"next digest (<t:\d+:f>) \(<t:\d+:R>\)", line)
    assert listed_next is not None
    assert listed_next.group(1) in stamps(
        SubscriptionMode.DAILY, 7, "UTC", before, datetime.now(UTC)
    )
    assert embed["footer"]["text"] == "Digest hours are in UTC (/settings timezone)"

    # The same order again is recognised, hour included; another hour is another subscription.
    _, again = await app.answer(world.admin, "subscribe", channel=world.news, mode="daily", hour=7)
    assert again.content.startswith(f"<#{world.news.id}> already has this subscription")
    _, weekly = await app.answer(
        world.admin, "subscribe", channel=world.news, mode="weekly", hour=18
    )
    assert "weekly (Mondays) digest at 18:00" in weekly.content
    subscriptions = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert [(s.mode, s.post_hour) for s in subscriptions] == [
        (SubscriptionMode.DAILY, 7),
        (SubscriptionMode.WEEKLY, 18),
    ]


async def test_an_hour_without_a_digest_mode_is_refused(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, hour=7)
    assert reply.ephemeral
    assert reply.content == (
        "A posting hour is for digests: add `mode: daily` or `mode: weekly`, "
        "or leave the hour out for realtime posts."
    )
    _, explicit = await app.answer(
        world.admin, "subscribe", channel=world.news, mode="realtime", hour=7
    )
    assert explicit.content == reply.content
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []


async def test_a_realtime_subscription_shows_no_next_digest(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, mode="realtime")
    assert reply.content.endswith("New items are posted as they arrive.")
    _, listed = await app.answer(world.admin, "subscriptions list")
    [embed] = listed.embeds
    assert "next digest" not in embed["description"]
    assert "footer" not in embed


# /settings timezone -------------------------------------------------------------------------


async def test_settings_timezone_sets_shows_and_refuses_unknown_names(app: App) -> None:
    world = app.world
    settings = app.newsroom.storage.guild_settings

    _, shown = await app.answer(world.admin, "settings timezone")
    assert shown.ephemeral
    assert shown.content.startswith("Digests here are scheduled in **UTC** (UTC now).")

    handle, reply = await app.answer(world.admin, "settings timezone", name="paris")
    assert (await handle.response()).type == 5
    assert reply.ephemeral
    assert not reply.pings.anyone
    assert reply.content.startswith("Time zone set to **Europe/Paris**")
    assert await settings.timezone(world.guild.id) == "Europe/Paris"

    _, shown = await app.answer(world.admin, "settings timezone")
    assert shown.content.startswith("Digests here are scheduled in **Europe/Paris** (UTC+0")

    _, unknown = await app.answer(world.admin, "settings timezone", name="Mars/Olympus")
    assert unknown.ephemeral
    assert unknown.content.startswith("Unknown time zone 'Mars/Olympus': use an IANA name")
    assert await settings.timezone(world.guild.id) == "Europe/Paris"

    # Another server's time zone is its own.
    _, theirs = await app.answer(world.other_admin, "settings timezone", guild=world.other)
    assert theirs.content.startswith("Digests here are scheduled in **UTC** (UTC now).")
    assert await settings.timezone(world.other.id) is None


async def test_digest_hours_follow_the_servers_time_zone(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "settings timezone", name="America/New_York")
    before = datetime.now(UTC)
    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, mode="daily", hour=7)
    after = datetime.now(UTC)
    first = re.search(r"<t:\d+:f>", reply.content)
    assert first is not None
    assert first.group(0) in stamps(SubscriptionMode.DAILY, 7, "America/New_York", before, after)
    assert first.group(0) not in stamps(SubscriptionMode.DAILY, 7, "UTC", before, after)
    _, listed = await app.answer(world.admin, "subscriptions list")
    footer = listed.embeds[0]["footer"]["text"]
    assert footer == "Digest hours are in America/New_York (/settings timezone)"


async def test_settings_timezone_is_for_admins_only(app: App) -> None:
    world = app.world
    with pytest.raises(PermissionError):  # the client hides the command from them
        await app.slash(world.member, "settings timezone", name="paris")

    _, refused = await app.answer(world.member, "settings timezone", name="paris", override=True)
    assert refused.ephemeral
    assert refused.content == REFUSED
    _, shown = await app.answer(world.member, "settings timezone", override=True)
    assert shown.content == REFUSED
    assert await app.newsroom.storage.guild_settings.timezone(world.guild.id) is None


async def test_timezone_autocomplete_finds_new_york(app: App) -> None:
    choices = await app.complete(app.world.admin, "settings timezone", "name", "new_y")
    assert {"name": "America/New_York", "value": "America/New_York"} in choices
    assert len(choices) <= 25
    everything = await app.complete(app.world.admin, "settings timezone", "name", "")
    assert len(everything) == 25


# Realtime overflow: one roundup message -------------------------------------------------------


async def test_a_flood_is_posted_as_single_posts_and_one_roundup(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news)
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    now = app.newsroom.clock.now()
    titles = [f"Flood headline {n}" for n in range(1, 8)]
    titles.append("@everyone [Temu](https://evil.example) <@&42> sale")
    drafts = [
        draft(f"flood-{n}", title, "Body.", now - timedelta(minutes=len(titles) - n))
        for n, title in enumerate(titles)
    ]
    await app.newsroom.storage.items.apply(
        FeedPollResult(
            feed_id=app.catalogue_feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=tuple(TaggedDraft(d, ()) for d in drafts),
            planned_posts=tuple(PlannedPost(subscription.id, d.key) for d in drafts),
        )
    )
    settings = app.newsroom.settings
    assert settings.max_posts_per_channel == 5
    sender = DeliverySender(
        outbox=app.newsroom.storage.outbox,
        subscriptions=app.newsroom.storage.subscriptions,
        publisher=DiscordPublisher(app.bot),
        clock=app.newsroom.clock,
        options=DeliveryOptions(max_posts_per_channel=settings.max_posts_per_channel),
    )
    report = await sender.drain()
    assert (report.sent, report.overflowed, report.retried) == (5, 3, 0)

    posts = app.fake.messages_in(world.news.id)
    assert len(posts) == 6
    for post in posts:
        assert post.allowed_mentions == {"parse": []}
        assert post.enforce_nonce and post.nonce
        assert not post.pings.anyone
        [_] = post.embeds
    assert [p.embeds[0]["title"] for p in posts[:5]] == titles[:5]

    roundup = posts[5].embeds[0]
    assert roundup["title"] == "3 more new items for this channel"
    assert "footer" not in roundup  # nothing left waiting
    lines = roundup["description"].split("\n")
    assert len(lines) == 3
    for line, d in zip(lines, drafts[5:], strict=True):
        assert line.startswith("• [")
        assert f"](https://news.example/{d.key})" in line
        assert line.endswith(" · Loopback News")
    assert lines[0].startswith(f"• [{titles[5]}](")
    # The hostile headline can neither ping nor become a link of its own: the only link on
    # its line is the item's.
    hostile = lines[2]
    assert "@everyone" not in hostile and "<@&42>" not in hostile
    assert "[Temu](" not in hostile
    assert hostile.count("](") == 1
    assert hostile.endswith(f"](https://news.example/{drafts[7].key}) · Loopback News")

    # Draining again posts nothing more: every item went out exactly once.
    again = await sender.drain()
    assert (again.sent, again.overflowed) == (0, 0)
    assert len(app.fake.messages_in(world.news.id)) == 6

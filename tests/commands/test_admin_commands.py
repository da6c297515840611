"""/subscribe, /unsubscribe, /subscriptions, /feeds and /help through real dispatch.

The admin commands carry ``default_member_permissions`` (Manage Server), so the fake, like the
Discord client, does not even offer them to a plain member. ``override=True`` emulates a server
that overrode that in its integration settings: then only the bot's own check stands between
the member and the command, which is what these tests prove.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.news.model.vocabulary import (
    DISABLED_MARK,
    FeedPollResult,
    FeedStatus,
    PlannedPost,
    TaggedDraft,
)
from tests.commands.conftest import App, World, draft, start_shopwire


async def test_admin_subscribes_a_channel(app: App) -> None:
    world = app.world
    handle, reply = await app.answer(
        world.admin, "subscribe", channel=world.news, companies="temu, shein", keywords="fees"
    )
    assert (await handle.response()).type == 5
    assert reply.ephemeral
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert reply.content == (
        f"Subscribed <#{world.news.id}> (#{subscription.id}): companies: Temu, SHEIN; "
        "keywords: fees. New items are posted as they arrive."
    )
    assert subscription.channel_id == world.news.id
    assert subscription.filter.companies == ("temu", "shein")
    assert subscription.created_by == world.admin.user.id
    assert not reply.pings.anyone

    _, again = await app.answer(
        world.admin, "subscribe", channel=world.news, companies="Temu,SHEIN", keywords="fees"
    )
    assert again.content.startswith(f"<#{world.news.id}> already has this subscription")


async def test_plain_member_is_refused_even_when_the_server_overrides_the_hint(app: App) -> None:
    world = app.world
    with pytest.raises(PermissionError):  # the client hides the command from them
        await app.slash(world.member, "subscribe", channel=world.news)

    _, reply = await app.answer(world.member, "subscribe", channel=world.news, override=True)
    assert reply.ephemeral
    assert reply.content == "You need the Manage Server permission to use this command."
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []

    for command in ("subscriptions list", "feeds list", "feeds status"):
        _, refused = await app.answer(world.member, command, override=True)
        assert refused.content == "You need the Manage Server permission to use this command."


async def test_the_admin_role_setting_lets_its_members_in(world: World, tmp_path: Path) -> None:
    # Set on the settings object: SHOPWIRE_ADMIN_ROLE is not read from the environment yet.
    async with start_shopwire(world, tmp_path, admin_role="News Admins") as app:
        _, ok = await app.answer(world.role_admin, "subscribe", channel=world.news, override=True)
        assert ok.content.startswith(f"Subscribed <#{world.news.id}>")
        _, refused = await app.answer(world.member, "subscriptions list", override=True)
        assert refused.content == (
            "You need the Manage Server permission (or the News Admins role) to use this command."
        )
        _, help_reply = await app.answer(world.member, "help")
        assert "News Admins role" in help_reply.embeds[0]["fields"][1]["name"]


async def test_subscribe_names_the_missing_permission(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.admin, "subscribe", channel=world.deals)
    assert reply.ephemeral
    assert reply.content == f"I can't post in <#{world.deals.id}>: I'm missing Embed Links."
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []


async def test_unknown_company_in_a_subscription_gets_a_suggestion(app: App) -> None:
    _, reply = await app.answer(
        app.world.admin, "subscribe", channel=app.world.news, companies="temu, sheen"
    )
    assert reply.ephemeral
    assert reply.content.startswith("Unknown company 'sheen'. Did you mean SHEIN")


async def test_subscribing_again_resumes_a_paused_subscription(app: App) -> None:
    world = app.world
    repository = app.newsroom.storage.subscriptions
    await app.answer(world.admin, "subscribe", channel=world.news, companies="temu")
    [subscription] = await repository.list_for_guild(world.guild.id)
    await repository.pause(subscription.id, "Missing Permissions", app.newsroom.clock.now())

    _, listed = await app.answer(world.admin, "subscriptions list")
    assert "paused" in listed.embeds[0]["description"]
    assert "Missing Permissions" in listed.embeds[0]["description"]

    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, companies="temu")
    assert reply.content.startswith(f"Resumed subscription #{subscription.id}")
    resumed = await repository.get(subscription.id)
    assert resumed is not None and resumed.paused_reason is None


async def test_a_disabled_subscription_is_listed_as_disabled_and_subscribing_resumes_it(
    app: App,
) -> None:
    world = app.world
    repository = app.newsroom.storage.subscriptions
    await app.answer(world.admin, "subscribe", channel=world.news, companies="temu")
    [subscription] = await repository.list_for_guild(world.guild.id)
    reason = f"{DISABLED_MARK}the channel was not found 3 times over 20 min"
    await repository.disable(subscription.id, reason, app.newsroom.clock.now())

    _, listed = await app.answer(world.admin, "subscriptions list")
    description = listed.embeds[0]["description"]
    assert "disabled" in description and "not found 3 times" in description
    assert "disabled: the channel" not in description  # the word once, not twice

    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, companies="temu")
    assert reply.content.startswith(f"Resumed subscription #{subscription.id}")
    resumed = await repository.get(subscription.id)
    assert resumed is not None and not resumed.disabled and resumed.paused_reason is None


async def test_subscriptions_lists_filters_status_and_pending_posts(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news, keywords="warehouse")
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    now = app.newsroom.clock.now()
    fresh = draft("wh-1", "Temu opens a warehouse", "In Poland.", now)
    await app.newsroom.storage.items.apply(
        FeedPollResult(
            feed_id=app.catalogue_feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=(TaggedDraft(fresh, ("temu",)),),
            planned_posts=(PlannedPost(subscription.id, fresh.key),),
        )
    )
    _, reply = await app.answer(world.admin, "subscriptions list")
    assert reply.ephemeral
    [embed] = reply.embeds
    assert embed["title"] == "Subscriptions (1)"
    assert embed["description"] == (
        f"`#{subscription.id}` <#{world.news.id}> · keywords: warehouse · style: embed"
        " · active · 1 post waiting"
    )

    # Another server sees none of it.
    _, other = await app.answer(world.other_admin, "subscriptions list", guild=world.other)
    assert other.embeds[0]["title"] == "Subscriptions (0)"


async def test_unsubscribe(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news, companies="temu")
    await app.answer(world.admin, "subscribe", channel=world.news, companies="shein")
    _, ambiguous = await app.answer(world.admin, "unsubscribe", channel=world.news)
    assert "say which one" in ambiguous.content

    choices = await app.complete(world.admin, "unsubscribe", "subscription", "shein")
    assert len(choices) >= 1 and "SHEIN" in choices[0]["name"]
    _, reply = await app.answer(
        world.admin, "unsubscribe", channel=world.news, subscription=choices[0]["value"]
    )
    assert reply.content == (
        f"Removed from <#{world.news.id}>: #{choices[0]['value']} (companies: SHEIN)."
    )
    remaining = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert [s.filter.companies for s in remaining] == [("temu",)]


async def test_companies_autocomplete_completes_the_last_term(app: App) -> None:
    choices = await app.complete(app.world.admin, "subscribe", "companies", "Temu, sh")
    assert choices[0]["value"] == "Temu, SHEIN"
    assert len(choices) <= 25


# /feeds -------------------------------------------------------------------------------------


async def test_feeds_add_refuses_a_private_address(app: App) -> None:
    handle, reply = await app.answer(
        app.world.admin, "feeds add", url="http://127.0.0.1:8080/feed.xml", name="Local"
    )
    assert (await handle.response()).type == 5
    assert reply.ephemeral
    assert reply.content == (
        "Feed URL resolves to 127.0.0.1, a loopback address; only feeds on the public internet "
        "can be added here."
    )
    assert [f.name for f in await app.newsroom.service.list_feeds(app.world.guild.id)] == [
        "Loopback News",
        "Secret Source",
    ]


async def test_feeds_add_with_private_urls_allowed_stays_in_its_server(
    world: World, tmp_path: Path
) -> None:
    async with start_shopwire(world, tmp_path, {"SHOPWIRE_ALLOW_PRIVATE_URLS": "1"}) as app:
        _, reply = await app.answer(
            world.admin, "feeds add", url="http://127.0.0.1:8080/feed.xml", name="Local @here"
        )
        assert reply.content.startswith("Added **Local @\u200bhere** (feed `")
        assert not reply.pings.anyone

        _, mine = await app.answer(world.admin, "feeds list")
        own, shared = mine.embeds
        assert own["title"] == "This server's feeds (2)"
        assert "Local" in own["description"] and "Secret Source" in own["description"]
        assert shared["title"] == "Shared catalogue (1)"
        assert "Loopback News" in shared["description"]

        _, theirs = await app.answer(world.other_admin, "feeds list", guild=world.other)
        own_b, shared_b = theirs.embeds
        assert own_b["title"] == "This server's feeds (0)"
        assert shared_b["title"] == "Shared catalogue (1)"
        assert "Local" not in str(theirs.embeds) and "Secret" not in str(theirs.embeds)

        choices = await app.complete(
            world.other_admin, "feeds remove", "feed", "", guild=world.other
        )
        assert choices == []
        mine_choices = await app.complete(world.admin, "feeds remove", "feed", "loc")
        assert mine_choices[0]["name"] == "Local @here (this server)"


async def test_feeds_remove_only_this_servers_own(app: App) -> None:
    world = app.world
    _, refused = await app.answer(world.admin, "feeds remove", feed=str(app.catalogue_feed.id))
    assert refused.ephemeral
    assert "shared catalogue" in refused.content
    assert await app.newsroom.storage.feeds.get(app.catalogue_feed.id) is not None

    _, elsewhere = await app.answer(
        world.other_admin, "feeds remove", guild=world.other, feed=str(app.private_feed.id)
    )
    assert elsewhere.content.startswith(f"No feed '{app.private_feed.id}'")

    _, removed = await app.answer(world.admin, "feeds remove", feed=str(app.private_feed.id))
    assert removed.content == (
        f"Removed **Secret Source** (feed `{app.private_feed.id}`) and the items it brought."
    )
    assert await app.newsroom.storage.feeds.get(app.private_feed.id) is None


async def test_feeds_status_shows_health(app: App) -> None:
    _, reply = await app.answer(app.world.admin, "feeds status")
    assert reply.ephemeral
    [embed] = reply.embeds
    assert embed["title"] == "Feed health"
    assert embed["description"].startswith("Shared catalogue: 1 feeds (1 ok).")
    [field] = embed["fields"]
    assert field["name"] == f"{app.private_feed.id} · Secret Source"
    assert "Status: ok" in field["value"]
    assert "Last success: <t:" in field["value"]
    assert "Next poll: <t:" in field["value"]


# /help --------------------------------------------------------------------------------------


async def test_help_is_private_and_names_the_permissions(app: App) -> None:
    handle, reply = await app.answer(app.world.member, "help")
    assert (await handle.response()).type == 4
    assert reply.ephemeral
    [embed] = reply.embeds
    assert "Shopwire" in embed["title"]
    names = [f["name"] for f in embed["fields"]]
    assert names == [
        "For everyone",
        "For admins (Manage Server permission)",
        "Threads, forums, announcements (admins)",
        "Checking subscriptions (admins)",
    ]
    assert "/subscribe" in embed["fields"][1]["value"]


async def test_subscribe_with_topics_names_them_and_rejects_unknown_ones(app: App) -> None:
    world = app.world
    _, reply = await app.answer(
        world.admin, "subscribe", channel=world.news, topics="fees, Legal & safety"
    )
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert subscription.filter.topics == ("fees", "legal")
    assert reply.content == (
        f"Subscribed <#{world.news.id}> (#{subscription.id}): topics: Fees & pricing, "
        "Legal & safety. New items are posted as they arrive."
    )
    _, typo = await app.answer(world.admin, "subscribe", channel=world.news, topics="feez")
    assert typo.content.startswith("Unknown topic 'feez'.")
    choices = await app.complete(world.admin, "subscribe", "topics", "fees, le")
    assert choices[0]["value"] == "fees, Legal & safety"


async def test_feeds_add_strips_bidi_controls_from_the_name(world: World, tmp_path: Path) -> None:
    # Issue 9: a name given to /feeds add kept U+202E, which reverses what Discord shows after it.
    async with start_shopwire(world, tmp_path, {"SHOPWIRE_ALLOW_PRIVATE_URLS": "1"}) as app:
        _, reply = await app.answer(
            world.admin,
            "feeds add",
            url="http://127.0.0.1:8080/feed.xml",
            name="Local \u202eswen\u202c\u200b \u2066news\u2069",
        )
        assert reply.content.startswith("Added **Local swen news** (feed `"), reply.content
        names = [f.name for f in await app.newsroom.service.list_feeds(world.guild.id)]
        assert "Local swen news" in names


# The admin role setting: an id matches ids only; a name is a per-server convention. ----------


async def test_an_admin_role_id_is_never_matched_by_a_role_name(
    world: World, tmp_path: Path
) -> None:
    # Issue 9: with SHOPWIRE_ADMIN_ROLE set to a role id, anyone who could create a role named
    # with those digits in another server became a bot admin there.
    role = next(r for r in world.guild.roles.values() if r.name == "News Admins")
    squatter_role = world.other.add_role(str(role.id), 0)
    squatter = world.other.add_member(world.fake.add_user("mallory"), roles=[squatter_role])
    async with start_shopwire(world, tmp_path, admin_role=str(role.id)) as app:
        _, refused = await app.answer(
            squatter, "subscribe", channel=world.other_news, guild=world.other, override=True
        )
        assert refused.content == "You need the Manage Server permission to use this command."
        _, settings = await app.answer(
            squatter, "settings timezone", name="Europe/Paris", guild=world.other, override=True
        )
        assert settings.content == "You need the Manage Server permission to use this command."
        assert await app.newsroom.storage.subscriptions.list_for_guild(world.other.id) == []

        _, ok = await app.answer(world.role_admin, "subscribe", channel=world.news, override=True)
        assert ok.content.startswith(f"Subscribed <#{world.news.id}>")

        # /help names the role that grants admin in each server, and says why.
        _, here = await app.answer(world.member, "help")
        admins = here.embeds[0]["fields"][1]
        assert admins["name"] == "For admins (Manage Server permission or the News Admins role)"
        assert admins["value"].endswith(
            "Admin role in this server: **News Admins** (chosen by id)."
        )
        _, there = await app.answer(squatter, "help", guild=world.other)
        admins = there.embeds[0]["fields"][1]
        assert admins["name"] == "For admins (Manage Server permission)"
        assert admins["value"].endswith(
            "Admin role in this server: none (the role the bot's operator chose, by id, "
            "is not in this server)."
        )


async def test_an_admin_role_name_is_a_convention_of_each_server(
    world: World, tmp_path: Path
) -> None:
    async with start_shopwire(world, tmp_path, admin_role="news admins") as app:
        _, here = await app.answer(world.member, "help")
        admins = here.embeds[0]["fields"][1]
        assert admins["name"] == "For admins (Manage Server permission or the News Admins role)"
        assert (
            "Admin role in this server: **News Admins** (the bot's operator made any role "
            in (admins["value"])
        )
        assert "whoever can create or rename roles here decides who holds it" in admins["value"]
        _, there = await app.answer(world.other_admin, "help", guild=world.other)
        admins = there.embeds[0]["fields"][1]
        assert admins["name"] == "For admins (Manage Server permission)"
        assert (
            "Admin role in this server: none yet (the bot's operator made any role named"
            in (admins["value"])
        )
        _, refused = await app.answer(world.member, "subscriptions list", override=True)
        assert "(or the News Admins role)" in refused.content

"""``/subscriptions edit`` through real dispatch: a subscription's style, ping, thread and
publishing changed by its number, checked against its channel, its filters kept; admins only,
and only this server's subscriptions."""

from __future__ import annotations

from bot.news.model.vocabulary import MessageStyle, PostFormat, PostLayout
from tests.commands.conftest import App
from tests.commands.test_pings_commands import role_known


async def test_a_ping_is_removed_and_the_style_changed_and_the_filters_stay(app: App) -> None:
    world = app.world
    role = world.guild.add_role("temu-news", mentionable=True)
    await role_known(app, role)
    await app.answer(world.admin, "subscribe", channel=world.news, companies="temu", ping=role)
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)

    _, reply = await app.answer(
        world.admin, "subscriptions edit", subscription=subscription.id, remove_ping=True
    )
    assert reply.ephemeral and not reply.pings.anyone
    assert reply.content == (
        f"Subscription #{subscription.id} in <#{world.news.id}> now posts with style: embed: "
        "companies: Temu."
    )
    edited = await app.newsroom.storage.subscriptions.get(subscription.id)
    assert edited is not None and edited.post_format == PostFormat()
    assert edited.filter == subscription.filter

    _, styled = await app.answer(
        world.admin,
        "subscriptions edit",
        subscription=subscription.id,
        style="compact",
        ping=role,
        thread="per-story",
    )
    assert f"style: compact · pings <@&{role.id}> · threads per story" in styled.content
    edited = await app.newsroom.storage.subscriptions.get(subscription.id)
    assert edited is not None
    assert edited.post_format == PostFormat(MessageStyle.COMPACT, role.id)
    assert edited.layout is PostLayout.THREAD
    assert len(await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)) == 1


async def test_what_the_channel_cannot_take_is_refused_and_nothing_changes(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news)
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    quiet = world.guild.add_role("staff")  # not mentionable
    loud = world.guild.add_role("news", mentionable=True)
    await role_known(app, quiet)
    await role_known(app, loud)
    cases: list[tuple[dict[str, object], str]] = [
        ({"publish": True}, "not an announcement channel"),
        ({"ping": quiet}, "I can't ping @staff in that channel"),
        ({"ping": loud, "remove_ping": True}, "not both"),
        ({}, "Nothing to change"),
        ({"style": "compact", "subscription": 9999}, "This server has no subscription #9999"),
    ]
    for options, refusal in cases:
        chosen = {"subscription": subscription.id, **options}
        _, refused = await app.answer(world.admin, "subscriptions edit", **chosen)
        assert refused.ephemeral and refusal in refused.content, (options, refused.content)
    assert await app.newsroom.storage.subscriptions.get(subscription.id) == subscription


async def test_another_servers_subscription_and_a_plain_member_are_refused(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news)
    [mine] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    _, refused = await app.answer(
        world.other_admin,
        "subscriptions edit",
        guild=world.other,
        subscription=mine.id,
        style="compact",
    )
    assert refused.content == (
        f"This server has no subscription #{mine.id}: see `/subscriptions list`."
    )
    _, member = await app.answer(
        world.member, "subscriptions edit", subscription=mine.id, style="compact", override=True
    )
    assert member.content == "You need the Manage Server permission to use this command."
    assert await app.newsroom.storage.subscriptions.get(mine.id) == mine
    offered = await app.complete(world.admin, "subscriptions edit", "subscription", "")
    assert [c["value"] for c in offered] == [mine.id]
    assert (
        await app.complete(
            world.other_admin, "subscriptions edit", "subscription", "", guild=world.other
        )
        == []
    )

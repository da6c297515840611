"""``/subscribe`` with forums, ``thread: per-story`` and ``publish`` through real discord.py
dispatch; ``/subscriptions list`` shows where posts go and what waits to be published."""

from __future__ import annotations

from bot.news.model.vocabulary import PostLayout
from tests.commands.conftest import App
from tests.fakediscord import Perm


async def test_a_forum_takes_a_post_per_story_and_refuses_digests_and_publishing(
    app: App,
) -> None:
    world = app.world
    forum = world.guild.add_forum_channel("stories", tags=["Temu"])
    await app.fake.wait_until(lambda: app.bot.get_channel(forum.id) is not None)
    _, reply = await app.answer(world.admin, "subscribe", channel=forum, companies="temu")
    assert reply.ephemeral
    assert "Posted as: a forum post per story." in reply.content, reply.content
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert subscription.layout is PostLayout.FORUM and not subscription.publish
    _, digest = await app.answer(world.admin, "subscribe", channel=forum, mode="daily")
    assert digest.ephemeral and "is a forum" in digest.content
    _, published = await app.answer(world.admin, "subscribe", channel=forum, publish=True)
    assert "only announcement channels publish" in published.content


async def test_threads_per_story_need_the_thread_permissions(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.admin, "subscribe", channel=world.news, thread="per-story")
    assert "threads per story" in reply.content, reply.content
    [subscription] = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
    assert subscription.layout is PostLayout.THREAD
    # The same subscription back to plain messages, by the option alone.
    _, back = await app.answer(world.admin, "subscribe", channel=world.news, thread="none")
    assert back.content.startswith(f"Subscription #{subscription.id}")
    stored = await app.newsroom.storage.subscriptions.get(subscription.id)
    assert stored is not None and stored.layout is PostLayout.MESSAGE

    quiet = world.guild.add_text_channel("quiet")
    world.guild.deny_bot(quiet, Perm.CREATE_PUBLIC_THREADS)
    await app.fake.wait_until(lambda: app.bot.get_channel(quiet.id) is not None)
    _, refused = await app.answer(world.admin, "subscribe", channel=quiet, thread="per-story")
    assert refused.ephemeral
    assert refused.content == (
        f"I can't post stories in <#{quiet.id}>: I'm missing Create Public Threads."
    )


async def test_publishing_needs_an_announcement_channel_and_shows_what_waits(app: App) -> None:
    world = app.world
    _, refused = await app.answer(world.admin, "subscribe", channel=world.news, publish=True)
    assert refused.ephemeral and "not an announcement channel" in refused.content
    announcements = world.guild.add_text_channel("announcements", news=True)
    await app.fake.wait_until(lambda: app.bot.get_channel(announcements.id) is not None)
    _, reply = await app.answer(world.admin, "subscribe", channel=announcements, publish=True)
    assert "publishing: on" in reply.content, reply.content
    _, listed = await app.answer(world.admin, "subscriptions list")
    assert "publishing: on" in listed.embeds[0]["description"]

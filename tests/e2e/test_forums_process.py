"""End to end (issue 11): forum posts per story, threads per story, publishing in announcement
channels and edits of corrected items, with the real `shopwire run` against the loopback
Discord (forums, threads, crossposts with their rate limit, edits and deleted messages)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.ceiling import CEILING
from tests.e2e.test_bot_process import START, WAIT, World, cli, reply, text_of
from tests.fakediscord import FakeDiscord, Perm, RecordedMessage
from tests.fakediscord.state import Channel
from tests.fakes.feedserver import FeedServer, rss

pytestmark = pytest.mark.slow

SECOND = "/second.xml"
# One event told by two outlets: the stories stage puts both reports in one story.
FIRST_REPORT = (
    "f-1",
    "Temu fined €200 million by EU regulators over fake discounts",
    "The European Commission fined Temu €200 million over fake discounts shown to shoppers.",
)
SECOND_REPORT = (
    "s-1",
    "EU regulators fine Temu €200 million over fake discounts",
    "Temu must pay €200 million, the European Commission said, over fake discounts.",
)


class ForumWorld(World):
    """The e2e world plus a second outlet's feed and channels of every kind."""

    def __init__(self, fake: FakeDiscord, feeds: FeedServer, tmp: Path) -> None:
        super().__init__(fake, feeds, tmp)
        self.forum = self.guild.add_forum_channel("stories", tags=["temu", "Fees", "Policy"])
        self.announcements = self.guild.add_text_channel("announcements", news=True)
        self.second_url = feeds.serve(SECOND, rss([], title="Second Wire"))

    def second(self, *items: tuple[str, str, str]) -> None:
        self.feeds.serve(SECOND, rss(list(items), title="Second Wire"))

    def threads_in(self, parent: Channel) -> list[Channel]:
        return [t for t in self.guild.threads.values() if t.parent_id == parent.id]

    def thread_posts(self, thread: Channel) -> list[RecordedMessage]:
        return self.fake.messages_in(thread.id)


@pytest.fixture
async def forum_world(tmp_path: Path) -> AsyncIterator[ForumWorld]:
    async with FakeDiscord() as fake, FeedServer() as feeds:
        w = ForumWorld(fake, feeds, tmp_path)
        await cli(w.env, "feeds", "add", w.feed_url, "--name", "Loopback Commerce")
        await cli(w.env, "feeds", "add", w.second_url, "--name", "Second Wire")
        try:
            yield w
        finally:
            if w.bot.process is not None and w.bot.process.returncode is None:
                w.bot.process.kill()
                await asyncio.wait_for(w.bot.process.wait(), CEILING)
            if os.environ.get("SHOPWIRE_E2E_LOG"):
                print(w.bot.log())


async def started(w: ForumWorld) -> None:
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)


async def test_a_forum_gets_a_tagged_post_per_story_and_a_reply_for_a_second_source(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    await started(w)
    answer = await reply(await w.slash(w.admin, "subscribe", channel=w.forum.id))
    assert "a forum post per story" in answer, answer
    refused = await reply(await w.slash(w.admin, "subscribe", channel=w.forum.id, mode="daily"))
    assert "is a forum" in refused

    w.add_items(FIRST_REPORT)
    [thread] = await w.until(lambda: w.threads_in(w.forum) or None)
    assert thread.name == FIRST_REPORT[1]
    temu = next(t for t in w.forum.available_tags if t["name"] == "temu")
    assert thread.applied_tags == [int(temu["id"])]
    [first] = w.thread_posts(thread)
    assert first.id == thread.id and FIRST_REPORT[1] in text_of(first)

    w.second(SECOND_REPORT)
    await w.until(lambda: len(w.thread_posts(thread)) >= 2)
    second = w.thread_posts(thread)[1]
    assert second.content.startswith("+1 source: Second Wire"), second.content
    assert SECOND_REPORT[1] in text_of(second)
    assert second.request["allowed_mentions"] == {"parse": []}
    await w.until(lambda: w.bot.log().count("poll feed_id=2") >= 3)
    assert len(w.threads_in(w.forum)) == 1
    assert len(w.thread_posts(thread)) == 2


async def test_threads_per_story_in_a_text_channel(forum_world: ForumWorld) -> None:
    w = forum_world
    await started(w)
    answer = await reply(await w.slash(w.admin, "subscribe", channel=w.news.id, thread="per-story"))
    assert "threads per story" in answer, answer
    w.add_items(FIRST_REPORT)
    [first] = await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    assert w.threads_in(w.news) == []  # no thread until a second report comes
    w.second(SECOND_REPORT)
    [thread] = await w.until(lambda: w.threads_in(w.news) or None)
    assert thread.id == first.id and thread.name == FIRST_REPORT[1]
    [later] = await w.fake.wait_for_messages(thread.id, 1, timeout=WAIT)
    assert later.content.startswith("+1 source: Second Wire")
    await w.until(lambda: w.bot.log().count("poll feed_id=2") >= 3)
    assert len(w.posts(w.news)) == 1


async def test_publishing_waits_out_a_429_and_publishes_every_post_once(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    await started(w)
    refused = await reply(await w.slash(w.admin, "subscribe", channel=w.news.id, publish=True))
    assert "not an announcement channel" in refused
    answer = await reply(
        await w.slash(w.admin, "subscribe", channel=w.announcements.id, publish=True)
    )
    assert "publishing: on" in answer, answer
    # Discord's publish limit answers the first crosspost with a wait longer than the bot
    # waits in line: the post is queued and published after it, never posted again.
    w.fake.rate_limit(times=1, retry_after=31.0, path=r"/channels/\d+/messages/\d+/crosspost")
    w.add_items(
        ("p-1", "Amazon cuts FBA fees for new sellers", "Fees fall in January."),
        ("p-2", "Etsy tightens handmade rules", "Resellers face removal."),
    )
    posts = await w.fake.wait_for_messages(w.announcements.id, 2, timeout=WAIT)
    await w.until(lambda: any(r.status == 429 for r in w.fake.requests_to("POST", r".*/crosspost")))
    listing = await reply(await w.slash(w.admin, "subscriptions list"))
    assert "waiting to be published" in listing, listing
    await w.until(lambda: len(w.fake.crossposts) >= 2, limit=WAIT + 35)
    assert sorted(c.message_id for c in w.fake.crossposts) == sorted(p.id for p in posts)
    assert len(w.posts(w.announcements)) == 2


async def test_a_corrected_item_edits_its_message_and_a_deleted_one_is_not_reposted(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    await started(w)
    assert "Subscribed" in await reply(await w.slash(w.admin, "subscribe", channel=w.news.id))
    typo = ("e-1", "Shein fnied in France", "Regulator fines the retailer.")
    w.add_items(typo)
    [post] = await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    w.add_items(("e-1", "Shein fined in France", "Regulator fines the retailer."))
    await w.until(lambda: "Shein fined in France" in text_of(w.fake.message(post.id)))
    assert w.fake.message(post.id).edited_at is not None
    # Deleted in Discord, then corrected again: the edit finds it gone and nothing is posted.
    w.fake._delete(w.fake.message(post.id), w.guild)
    w.add_items(("e-1", "Shein fined €40m in France", "Regulator fines the retailer."))
    await w.until(
        lambda: any(r.status == 404 for r in w.fake.requests_to("PATCH", rf".*/messages/{post.id}"))
    )
    await w.until(lambda: w.bot.log().count("poll feed_id=1") >= 6)
    assert w.posts(w.news) == []
    assert "edit skipped: message deleted" in w.bot.log()


async def test_killed_after_discord_created_the_forum_post_restart_makes_no_second(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    await started(w)
    assert "forum post" in await reply(await w.slash(w.admin, "subscribe", channel=w.forum.id))
    # Discord creates the post, its answer never arrives, and the bot is killed right then.
    w.fake.hang(w.forum.id, path=rf"/channels/{w.forum.id}/threads", commit=True)
    w.add_items(FIRST_REPORT)
    [thread] = await w.until(lambda: w.threads_in(w.forum) or None)
    assert await w.bot.stop(signal.SIGKILL) != 0
    w.fake.clear_failures()
    w.fake.release_hung()

    await w.bot.start()
    await w.until(lambda: "forum post found, not created again" in w.bot.log())
    # The story's next report goes into that post: the restart recorded it as the story's.
    w.second(SECOND_REPORT)
    await w.until(lambda: len(w.thread_posts(thread)) >= 2)
    assert len(w.threads_in(w.forum)) == 1
    assert w.thread_posts(thread)[1].content.startswith("+1 source: Second Wire")
    assert START  # the first poll's backlog was never posted anywhere
    assert all(not w.fake.messages_in(c.id) for c in (w.news, w.deals, w.announcements))


async def test_a_roundup_in_an_announcement_channel_is_published_too(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    w.env["SHOPWIRE_MAX_POSTS_PER_CHANNEL"] = "1"  # a flood of three: a post and a roundup
    await started(w)
    answer = await reply(
        await w.slash(w.admin, "subscribe", channel=w.announcements.id, publish=True)
    )
    assert "publishing: on" in answer, answer
    w.add_items(
        ("r-1", "Amazon cuts FBA fees for new sellers", "Fees fall in January."),
        ("r-2", "Etsy tightens handmade rules", "Resellers face removal."),
        ("r-3", "eBay adds a returns hub", "Sellers see returns in one place."),
    )
    post, roundup = await w.fake.wait_for_messages(w.announcements.id, 2, timeout=WAIT)
    assert "2 more new items" in text_of(roundup), text_of(roundup)
    await w.until(lambda: len(w.fake.crossposts) >= 2)
    assert sorted(c.message_id for c in w.fake.crossposts) == sorted((post.id, roundup.id))
    await w.until(lambda: w.bot.log().count("poll feed_id=1") >= 3)
    assert len(w.fake.crossposts) == 2 and len(w.posts(w.announcements)) == 2


async def test_a_corrected_item_retitles_the_forum_post_it_opened(
    forum_world: ForumWorld,
) -> None:
    w = forum_world
    w.guild.allow_bot(w.forum, Perm.MANAGE_THREADS)  # Discord asks it to rename a thread
    await started(w)
    assert "forum post" in await reply(await w.slash(w.admin, "subscribe", channel=w.forum.id))
    typo = ("t-1", "Temu fnied €200 million by EU regulators", "The Commission fined Temu.")
    w.add_items(typo)
    [thread] = await w.until(lambda: w.threads_in(w.forum) or None)
    assert thread.name == typo[1]
    fixed = "Temu fined €200 million by EU regulators" + " over fake discounts" * 5
    w.add_items(("t-1", fixed, typo[2]))
    await w.until(lambda: fixed in text_of(w.fake.message(thread.id)))
    await w.until(lambda: w.fake.thread_renames)
    [(renamed, title)] = w.fake.thread_renames
    assert renamed == thread.id and thread.name == title
    assert title.startswith("Temu fined €200 million") and len(title) <= 100
    assert len(w.threads_in(w.forum)) == 1 and len(w.thread_posts(thread)) == 1

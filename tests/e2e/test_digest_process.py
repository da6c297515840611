"""End to end: scheduled digests from the real `shopwire run` process, on the real clock.

The process cannot be given a fake clock, so the database is seeded before it starts so that
a digest period has just closed: items first seen 3 hours ago, and daily subscriptions (created
two days ago) whose posting hour is the previous UTC hour. The latest period then ended 1-2
hours ago and the next one ends about 22 hours from now, so no period boundary is crossed while
a test runs. The seeded feed points at the loopback feed server, which serves the very document
the items were parsed from with the stored ETag: every poll is a 304 and nothing new arrives.

Nothing leaves 127.0.0.1; every wait is bounded; every process and server is stopped.
Set SHOPWIRE_E2E_LOG=1 to print the bot's log after each test.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.news.adapters.feed_parse import parse_feed
from bot.news.model.vocabulary import (
    DigestEntry,
    DigestState,
    FeedPollResult,
    FeedStatus,
    MessageStyle,
    NewFeed,
    NewSubscription,
    PostFormat,
    PostLayout,
    SubscriptionFilter,
    SubscriptionMode,
    TaggedDraft,
)
from bot.news.tagging.company_tagger import Tagger
from storage.db import Database
from tests.e2e.test_bot_process import WAIT, BotProcess, text_of
from tests.fakediscord import Channel, FakeDiscord, Guild, RecordedMessage
from tests.fakediscord.state import NEWS_CHANNEL
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer

pytestmark = pytest.mark.slow

FEED = "/digest.xml"
# One story told by three publishers (Google News style <source>), and an unrelated item.
STORY = [
    ("s-1", "Temu pauses US shipments from China as de minimis ends", "Reuters"),
    ("s-2", "Temu pauses US shipments from China after de minimis ends", "Bloomberg"),
    ("s-3", "Temu pauses shipments from China to the US as de minimis ends", "The Verge"),
]
OTHER = ("o-1", "Etsy tightens its handmade rules for resellers", "Marketplace Pulse")


def rss_with_sources(items: list[tuple[str, str, str]], newest: datetime) -> str:
    """RSS 2.0 whose items name their publisher in <source>, a minute apart from ``newest``."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{escape(title)}</title>"
        f"<link>https://news.example/{guid}</link>"
        f"<description>{escape(title)}. Reported by {escape(source)}.</description>"
        f'<source url="https://{guid}.example/">{escape(source)}</source>'
        f"<pubDate>{format_datetime(newest - timedelta(minutes=n), usegmt=True)}</pubDate>"
        "</item>"
        for n, (guid, title, source) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Loopback Wire</title><link>https://news.example/</link>{entries}</channel></rss>"
    )


@dataclass
class Seeded:
    """What the database holds before the bot starts."""

    feed_id: int
    digest_subscription: int
    empty_subscription: int
    period_end: datetime


class DigestWorld:
    """A server with two channels on the fake Discord, a feed server and the bot's env."""

    def __init__(self, fake: FakeDiscord, feeds: FeedServer, tmp: Path) -> None:
        self.fake = fake
        self.feeds = feeds
        self.db_path = tmp / "shopwire.db"
        self.guild: Guild = fake.add_guild("Sellers Hub")
        self.digest: Channel = self.guild.add_text_channel("digest")
        self.quiet: Channel = self.guild.add_text_channel("quiet")
        self.env = {
            **clean_environ(),
            **fake.env(),
            "SHOPWIRE_DB": str(self.db_path),
            "SHOPWIRE_SEED_CATALOGUE": "0",
            "SHOPWIRE_POLL_INTERVAL": "5",
            "SHOPWIRE_DEV_GUILD_ID": str(self.guild.id),
            "SHOPWIRE_LOG_LEVEL": "INFO",
        }
        self.bot = BotProcess(self.env, tmp / "bot.log")

    async def seed(self, seen_ago: timedelta = timedelta(hours=3)) -> Seeded:
        """A shared feed with one three-source story first seen ``seen_ago`` (3 hours), and
        two daily subscriptions whose latest period closed an hour or two ago."""
        now = datetime.now(UTC)
        seen = now - seen_ago
        body = rss_with_sources([*STORY, OTHER], newest=seen)
        url = self.feeds.serve(FEED, body)
        document = self.feeds.documents[FEED]
        parsed = parse_feed(body.encode(), url=url, content_type="application/rss+xml", now=seen)
        assert len(parsed.items) == 4
        tagger = Tagger.default()
        drafts = tuple(
            TaggedDraft(d, tagger.tag(d.title, d.summary, d.publisher)) for d in parsed.items
        )
        assert [d.draft.publisher for d in drafts] == [
            "Reuters",
            "Bloomberg",
            "The Verge",
            "Marketplace Pulse",
        ]
        assert all("temu" in d.companies for d in drafts[:3])
        post_hour = (now - timedelta(hours=1)).hour
        db = await Database.open(self.db_path)
        try:
            feed = await db.feeds.add(
                NewFeed(url=url, name="Loopback Wire"), now - timedelta(days=2)
            )
            await db.items.apply(
                FeedPollResult(
                    feed_id=feed.id,
                    polled_at=seen,
                    status=FeedStatus.OK,
                    next_due=now,  # polled as soon as the bot starts: a 304
                    new_items=drafts,
                    etag=document.etag,
                    last_modified=format_datetime(document.modified, usegmt=True),
                )
            )
            created = now - timedelta(days=2)
            wanted = await db.subscriptions.add(
                NewSubscription(
                    guild_id=self.guild.id,
                    channel_id=self.digest.id,
                    filter=SubscriptionFilter(companies=("temu",)),
                    mode=SubscriptionMode.DAILY,
                    post_hour=post_hour,
                ),
                created,
            )
            unmatched = await db.subscriptions.add(
                NewSubscription(
                    guild_id=self.guild.id,
                    channel_id=self.quiet.id,
                    filter=SubscriptionFilter(keywords=("zzzunmatched",)),
                    mode=SubscriptionMode.DAILY,
                    post_hour=post_hour,
                ),
                created,
            )
        finally:
            await db.close()
        end = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        assert timedelta(hours=1) <= now - end < timedelta(hours=2)
        return Seeded(feed.id, wanted.id, unmatched.id, end)

    async def digest_rows(self, *subscription_ids: int) -> list[DigestEntry | None]:
        """The latest digest row of each subscription (read while the bot is stopped)."""
        db = await Database.open(self.db_path)
        try:
            return [await db.digests.latest(s) for s in subscription_ids]
        finally:
            await db.close()

    async def start_bot(self) -> None:
        """Start the bot and wait until it is connected and has polled the feed once."""
        polls = self.polls()
        await self.bot.start()
        await self.until(lambda: "shopwire starting" in self.run_log())
        await self.fake.wait_until_connected(timeout=WAIT)
        await self.until(lambda: self.polls() > polls)

    def run_log(self) -> str:
        """The log of the current (latest) run only: the file is appended across restarts."""
        log = self.bot.log()
        start = log.rfind("shopwire starting")
        return log[start:] if start >= 0 else ""

    def polls(self) -> int:
        """Polls of the seeded feed so far, all runs together (one per work-loop tick)."""
        return self.bot.log().count("poll feed_id=")

    async def ticks(self, count: int) -> None:
        """Wait (bounded) until the work loop has gone round ``count`` more times."""
        polls = self.polls()
        await self.until(lambda: self.polls() >= polls + count)

    async def until(self, predicate: Callable[[], Any], limit: float = WAIT) -> Any:
        try:
            return await self.fake.wait_until(predicate, timeout=limit)
        except Exception:
            print(self.bot.log())
            raise

    def posts(self, channel: Channel) -> list[RecordedMessage]:
        return self.fake.messages_in(channel.id)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[DigestWorld]:
    async with FakeDiscord() as fake, FeedServer() as feeds:
        w = DigestWorld(fake, feeds, tmp_path)
        try:
            yield w
        finally:
            if w.bot.process is not None and w.bot.process.returncode is None:
                w.bot.process.kill()
                await asyncio.wait_for(w.bot.process.wait(), WAIT)
            if os.environ.get("SHOPWIRE_E2E_LOG"):
                print(w.bot.log())


def assert_one_digest(post: RecordedMessage, period_end: datetime) -> None:
    """The message is the Temu story's daily digest of the period that ended at period_end."""
    [embed] = post.embeds
    assert embed["title"] == f"Daily digest · {period_end:%a} {period_end.day} {period_end:%b}"
    text = text_of(post)
    assert "Temu pauses" in text and "3 sources" in text
    assert "Etsy" not in text  # another company's story: filtered out
    since = period_end - timedelta(days=1)
    assert embed["footer"]["text"] == (f"{since:%Y-%m-%d %H:%M} – {period_end:%Y-%m-%d %H:%M} UTC")
    assert post.request["allowed_mentions"] == {"parse": []}
    assert not post.pings.anyone
    assert post.enforce_nonce and post.nonce


async def test_a_closed_period_is_posted_once_across_a_restart(world: DigestWorld) -> None:
    w = world
    seeded = await w.seed()
    await w.start_bot()
    [post] = await w.fake.wait_for_messages(w.digest.id, 1, timeout=WAIT)
    assert_one_digest(post, seeded.period_end)
    # One line, or two when the digests waited a tick for the stories stage to place the
    # seeded items.
    await w.until(lambda: all(f in w.run_log() for f in ("planned=2", "sent=1", "empty=1")))
    await w.ticks(3)  # more work-loop cycles: nothing more
    assert len(w.posts(w.digest)) == 1
    assert w.posts(w.quiet) == []  # nothing matched there: no "empty digest" message
    assert await w.bot.stop(signal.SIGTERM) == 0
    assert "shopwire stopped" in w.bot.log()

    # A restart plans the same period again (its rows exist) and posts nothing.
    await w.start_bot()
    await w.ticks(3)
    assert "digests planned=" not in w.run_log()
    assert "Traceback" not in w.bot.log()
    assert await w.bot.stop(signal.SIGTERM) == 0
    assert len(w.posts(w.digest)) == 1
    assert w.posts(w.quiet) == []
    assert w.fake.token not in w.bot.log()

    sent, empty = await w.digest_rows(seeded.digest_subscription, seeded.empty_subscription)
    assert sent is not None and empty is not None
    assert sent.state is DigestState.SENT
    assert sent.message_id == post.id
    assert (sent.period_start, sent.period_end) == (
        seeded.period_end - timedelta(days=1),
        seeded.period_end,
    )
    assert empty.state is DigestState.EMPTY
    assert empty.message_id is None and empty.last_error == "no matching stories"


async def test_a_server_error_on_the_digest_post_still_posts_it_once(world: DigestWorld) -> None:
    w = world
    seeded = await w.seed()
    failure = w.fake.server_error(w.digest.id, times=1, status=500)
    await w.start_bot()
    [post] = await w.fake.wait_for_messages(w.digest.id, 1, timeout=WAIT)
    assert failure.exhausted
    assert_one_digest(post, seeded.period_end)
    requests = w.fake.requests_to("POST", rf"/channels/{w.digest.id}/messages")
    assert [r.status for r in requests] == [500, 200]
    await w.ticks(3)
    assert len(w.posts(w.digest)) == 1
    assert await w.bot.stop(signal.SIGTERM) == 0
    [sent] = await w.digest_rows(seeded.digest_subscription)
    assert sent is not None and sent.state is DigestState.SENT and sent.message_id == post.id


async def test_killed_after_discord_accepted_the_digest_restart_posts_no_second(
    world: DigestWorld,
) -> None:
    w = world
    seeded = await w.seed()
    # Discord creates the digest message but its answer never arrives; the bot dies right then.
    w.fake.hang(w.digest.id, commit=True)
    await w.start_bot()
    [post] = await w.fake.wait_for_messages(w.digest.id, 1, timeout=WAIT)
    assert await w.bot.stop(signal.SIGKILL) != 0
    w.fake.clear_failures()
    w.fake.release_hung()
    [pending] = await w.digest_rows(seeded.digest_subscription)
    assert pending is not None and pending.state is DigestState.PENDING

    # The restart posts the same period's digest again with the same nonce: Discord answers
    # with the message it already created.
    hits = w.fake.nonce_hits
    await w.start_bot()
    # Nothing is planned anew; the pending digest is sent, and the empty one (never reached
    # before the kill) is finished too.
    await w.until(lambda: "digests planned=0 sent=1 empty=1" in w.run_log())
    await w.ticks(2)
    assert await w.bot.stop(signal.SIGTERM) == 0
    assert w.fake.nonce_hits == hits + 1
    assert [p.id for p in w.posts(w.digest)] == [post.id]
    assert_one_digest(post, seeded.period_end)
    [sent] = await w.digest_rows(seeded.digest_subscription)
    assert sent is not None and sent.state is DigestState.SENT and sent.message_id == post.id


async def test_a_compact_digest_in_an_announcement_channel_is_published_once(
    world: DigestWorld,
) -> None:
    w = world
    seeded = await w.seed()
    w.digest.type = NEWS_CHANNEL  # an announcement channel, before the bot caches it
    db = await Database.open(w.db_path)
    try:
        subscription = seeded.digest_subscription
        await db.subscriptions.set_post_format(subscription, PostFormat(MessageStyle.COMPACT))
        await db.subscriptions.set_layout(subscription, PostLayout.MESSAGE, True)
    finally:
        await db.close()
    await w.start_bot()
    [post] = await w.fake.wait_for_messages(w.digest.id, 1, timeout=WAIT)
    # The subscription's style: lines in the content, no embed and no link previews.
    assert post.embeds == [] and post.request["flags"] == 4
    lines = post.content.splitlines()
    assert lines[0] == (
        f"**Daily digest · {seeded.period_end:%a} {seeded.period_end.day} {seeded.period_end:%b}**"
    )
    assert "Temu pauses" in lines[1] and lines[1].endswith("· 3 sources")
    assert len(post.content) <= 2000 and not post.pings.anyone
    # Published to the channel's followers, once, in the same queue as the channel's posts.
    await w.until(lambda: len(w.fake.crossposts) >= 1)
    await w.ticks(3)
    assert [c.message_id for c in w.fake.crossposts] == [post.id]
    assert len(w.posts(w.digest)) == 1


async def test_a_digest_time_the_bot_was_down_for_is_in_the_next_digest(
    world: DigestWorld,
) -> None:
    # The story came 27 hours ago, in the period before the latest one, whose digest time the
    # bot was down for (no digest row): the latest period's digest takes it, marked.
    w = world
    seeded = await w.seed(seen_ago=timedelta(hours=27))
    await w.start_bot()
    [post] = await w.fake.wait_for_messages(w.digest.id, 1, timeout=WAIT)
    [embed] = post.embeds
    end = seeded.period_end
    assert embed["title"] == f"Daily digest · {end:%a} {end.day} {end:%b}"
    text = text_of(post)
    assert "Temu pauses" in text and "3 sources · from a digest not posted" in text
    await w.ticks(3)
    assert len(w.posts(w.digest)) == 1
    assert "Traceback" not in w.bot.log()
    assert await w.bot.stop(signal.SIGTERM) == 0

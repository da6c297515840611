"""The notice that polling disabled a server's own feed (issue 10): owed from the poll, whichever
process polled it, and posted once by the process serving the server's shard, not by every
process, and not only by `--role all`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import open_newsroom
from bot.news.model.vocabulary import FeedStatus, PostOutcome, PostResult
from bot.runner import announce_disabled
from bot.settings import Settings
from tests.storage.conftest import add_feed, add_subscription, poll

ON_1 = 1 << 22  # a guild on shard 1 of 2


class Notices:
    """A publisher that records notices (nothing else is posted here)."""

    def __init__(self, outcome: PostOutcome = PostOutcome.SENT) -> None:
        self.outcome = outcome
        self.posted: list[tuple[int, str, str]] = []

    async def post_notice(self, channel_id: int, text: str, nonce: str) -> PostResult:
        self.posted.append((channel_id, text, nonce))
        return PostResult(self.outcome, message_id=1 if self.outcome is PostOutcome.SENT else None)

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - nothing else is called
        raise AssertionError(f"unexpected publisher call: {name}")


async def announce(db: str, shard: int, outcome: PostOutcome = PostOutcome.SENT) -> Notices:
    """One delivery step's notices in a process serving ``shard`` of 2."""
    settings = Settings(db=db, seed_catalogue=False, shards=str(shard), shard_count=2)
    publisher = Notices(outcome)
    async with open_newsroom(settings) as newsroom:
        await announce_disabled(newsroom, publisher)
    return publisher


async def disable_a_servers_feed(db: str) -> None:
    """A poll (any process's) disables a feed of a guild on shard 1 that has a subscription."""
    async with open_newsroom(Settings(db=db, seed_catalogue=False)) as newsroom:
        feed = await add_feed(newsroom.storage, "Supplier *memos*", guild_id=ON_1)
        await add_subscription(newsroom.storage, ON_1, 7001)
        reason = "the server says the feed is gone for good (HTTP 410)"
        await newsroom.storage.items.apply(
            poll(feed, status=FeedStatus.DISABLED, error=reason, disable_reason=reason)
        )


async def test_the_process_serving_the_guilds_shard_posts_the_notice_once(tmp_path: Path) -> None:
    db = str(tmp_path / "shopwire.db")
    await disable_a_servers_feed(db)
    assert (await announce(db, 0)).posted == []  # another shard's process
    [(channel, text, nonce)] = (await announce(db, 1)).posted
    assert channel == 7001
    assert "Supplier \\*memos\\*" in text and "HTTP 410" in text and "/feeds status" in text
    assert len(nonce) == 25
    assert (await announce(db, 1)).posted == []  # given: once


async def test_a_notice_discord_failed_to_take_stays_owed(tmp_path: Path) -> None:
    db = str(tmp_path / "shopwire.db")
    await disable_a_servers_feed(db)
    failed = await announce(db, 1, PostOutcome.RETRY)
    again = await announce(db, 1)
    assert len(failed.posted) == len(again.posted) == 1
    assert failed.posted[0][2] == again.posted[0][2]  # the same nonce: never a second message
    assert (await announce(db, 1)).posted == []


async def test_a_feed_named_by_its_own_title_cannot_show_a_mention_in_the_notice(
    tmp_path: Path,
) -> None:
    # A feed added without a name is named by its title, and the error may quote its server.
    db = str(tmp_path / "shopwire.db")
    async with open_newsroom(Settings(db=db, seed_catalogue=False)) as newsroom:
        feed = await add_feed(newsroom.storage, "@everyone <@&5555> news", guild_id=ON_1)
        await add_subscription(newsroom.storage, ON_1, 7001)
        reason = "unexpected content type <@4444>/@here"
        await newsroom.storage.items.apply(
            poll(feed, status=FeedStatus.DISABLED, error=reason, disable_reason=reason)
        )
    [(_, text, _)] = (await announce(db, 1)).posted
    for mention in ("@everyone", "@here", "<@&5555>", "<@4444>"):
        assert mention not in text, text
    assert "everyone" in text and "5555" in text and "4444" in text

"""Delivery claimed per subscription (several gateways, issue 10): a subscription another
process holds is left to it, and only posts still pending after the claim are posted."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.news.services.delivery import DeliveryOptions, DeliverySender
from storage.db import Database
from tests.fakes.clock import FakeClock
from tests.news.test_delivery import RecordingPublisher, queue, subscribe


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "claims.db")
    try:
        yield database
    finally:
        await database.close()


class ScriptedClaims:
    """Claims as the database would answer them: some subscriptions held by another gateway,
    some posts sent by it meanwhile."""

    def __init__(self, held_elsewhere: set[int], sent_elsewhere: Iterable[int] = ()) -> None:
        self.held_elsewhere = held_elsewhere
        self.sent_elsewhere = set(sent_elsewhere)
        self.claimed: list[int] = []
        self.released: list[int] = []

    async def claim(
        self, subscription_id: int, entry_ids: Sequence[int], now: datetime
    ) -> set[int] | None:
        if subscription_id in self.held_elsewhere:
            return None
        self.claimed.append(subscription_id)
        return {entry_id for entry_id in entry_ids if entry_id not in self.sent_elsewhere}

    async def release(self, subscription_id: int) -> None:
        self.released.append(subscription_id)


def claiming_sender(
    db: Database, publisher: RecordingPublisher, clock: FakeClock, claims: ScriptedClaims
) -> DeliverySender:
    return DeliverySender(
        outbox=db.outbox,
        subscriptions=db.subscriptions,
        publisher=publisher,
        clock=clock,
        options=DeliveryOptions(max_posts_per_channel=5, max_age=timedelta(days=3)),
        claims=claims,
    )


async def test_a_subscription_another_gateway_holds_is_left_to_it(db: Database) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    ours = await subscribe(db, clock, channel_id=10)
    theirs = await subscribe(db, clock, channel_id=20)
    await queue(db, clock, ours, ["one"])
    await queue(db, clock, theirs, ["two"])
    claims = ScriptedClaims(held_elsewhere={theirs.id})
    report = await claiming_sender(db, publisher, clock, claims).drain()
    assert report.sent == 1
    assert publisher.titles(10) == ["one"] and publisher.titles(20) == []
    assert claims.claimed == claims.released == [ours.id]
    # Once free, it is delivered here.
    claims.held_elsewhere.clear()
    again = await claiming_sender(db, publisher, clock, claims).drain()
    assert again.sent == 1 and publisher.titles(20) == ["two"]


async def test_posts_sent_by_another_gateway_since_they_were_read_are_not_posted(
    db: Database,
) -> None:
    clock = FakeClock()
    publisher = RecordingPublisher()
    sub = await subscribe(db, clock, channel_id=10)
    await queue(db, clock, sub, ["one", "two"])
    due = await db.outbox.due(clock.now(), 10)
    first = min(due, key=lambda entry: entry.id)
    claims = ScriptedClaims(held_elsewhere=set(), sent_elsewhere={first.id})
    report = await claiming_sender(db, publisher, clock, claims).drain()
    assert report.sent == 1
    assert len(publisher.titles(10)) == 1
    assert claims.released == [sub.id]

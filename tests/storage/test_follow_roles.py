"""Follow roles and subscriptions' styles and pings, stored (SQLite)."""

from __future__ import annotations

from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    FollowKind,
    FollowRole,
    MessageStyle,
    NewSubscription,
    PostFormat,
    SubscriptionFilter,
)
from storage import Database
from tests.storage.conftest import T0, add_subscription

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


async def test_follow_roles_set_replace_list_and_remove_per_server(db: Database) -> None:
    temu = FollowRole(GUILD_A, FollowKind.COMPANY, "temu", 5)
    fees = FollowRole(GUILD_A, FollowKind.TOPIC, "fees", 6)
    other = FollowRole(GUILD_B, FollowKind.COMPANY, "temu", 9)
    for role in (fees, temu, other):
        await db.follow_roles.set(role, T0)
    assert await db.follow_roles.list_for_guild(GUILD_A) == [temu, fees]
    assert await db.follow_roles.get(GUILD_B, FollowKind.COMPANY, "temu") == other

    replaced = FollowRole(GUILD_A, FollowKind.COMPANY, "temu", 8)
    await db.follow_roles.set(replaced, T0)
    assert await db.follow_roles.get(GUILD_A, FollowKind.COMPANY, "temu") == replaced
    # A topic and a company may share an id without meeting.
    assert await db.follow_roles.get(GUILD_A, FollowKind.TOPIC, "temu") is None

    assert await db.follow_roles.remove(GUILD_A, FollowKind.COMPANY, "temu") == replaced
    assert await db.follow_roles.remove(GUILD_A, FollowKind.COMPANY, "temu") is None
    assert await db.follow_roles.list_for_guild(GUILD_A) == [fees]
    assert await db.follow_roles.list_for_guild(GUILD_B) == [other]


async def test_a_subscriptions_style_and_ping_are_stored_and_changed(db: Database) -> None:
    plain = await add_subscription(db)
    assert plain.post_format == DEFAULT_POST_FORMAT
    loud = await db.subscriptions.add(
        NewSubscription(
            guild_id=GUILD_A,
            channel_id=10,
            filter=SubscriptionFilter(companies=("temu",)),
            post_format=PostFormat(MessageStyle.COMPACT, ping_role_id=1_234_567_890_123_456_789),
        ),
        T0,
    )
    assert await db.subscriptions.get(loud.id) == loud
    assert loud.post_format == PostFormat(MessageStyle.COMPACT, 1_234_567_890_123_456_789)

    await db.subscriptions.set_post_format(loud.id, PostFormat(MessageStyle.HEADLINE))
    changed = await db.subscriptions.get(loud.id)
    assert changed is not None and changed.post_format == PostFormat(MessageStyle.HEADLINE)
    assert (await db.subscriptions.get(plain.id)) == plain

"""Which roles posts may ping and which roles /follow may give (bot/news/rules/roles.py)."""

from __future__ import annotations

import pytest

from bot.news.rules.roles import RoleFacts, assignment_refusal, ping_refusal

GUILD = 100


def role(
    *, id: int = 7, mentionable: bool = True, managed: bool = False, position: int = 1
) -> RoleFacts:
    return RoleFacts(
        id=id,
        guild_id=GUILD,
        name="temu-news",
        mentionable=mentionable,
        managed=managed,
        position=position,
    )


def test_a_mentionable_role_may_be_pinged_without_mention_everyone() -> None:
    assert ping_refusal(role(), bot_may_mention_everyone=False) is None


def test_a_role_that_is_not_mentionable_needs_mention_everyone() -> None:
    refusal = ping_refusal(role(mentionable=False), bot_may_mention_everyone=False)
    assert refusal is not None
    assert "@temu-news" in refusal and "Mention Everyone" in refusal
    assert "mention this role" in refusal  # says how to fix it
    assert ping_refusal(role(mentionable=False), bot_may_mention_everyone=True) is None


@pytest.mark.parametrize("may_mention_everyone", [False, True])
def test_everyone_is_never_pinged(may_mention_everyone: bool) -> None:
    everyone = role(id=GUILD, mentionable=True)
    refusal = ping_refusal(everyone, bot_may_mention_everyone=may_mention_everyone)
    assert refusal is not None and "never pings @everyone" in refusal


def test_a_role_below_the_bots_highest_is_given_with_manage_roles() -> None:
    assert (
        assignment_refusal(role(position=2), bot_can_manage_roles=True, bot_top_position=3) is None
    )


@pytest.mark.parametrize(
    ("facts", "manage", "top", "reason"),
    [
        (role(position=2), False, 3, "Manage Roles"),
        (role(position=3), True, 3, "not below my highest role"),
        (role(position=5), True, 3, "not below my highest role"),
        (role(managed=True, position=1), True, 3, "integration"),
        (role(id=GUILD, position=0), True, 3, "Everyone has @everyone"),
    ],
)
def test_roles_the_bot_cannot_give_are_refused_with_the_reason(
    facts: RoleFacts, manage: bool, top: int, reason: str
) -> None:
    refusal = assignment_refusal(facts, bot_can_manage_roles=manage, bot_top_position=top)
    assert refusal is not None and reason in refusal

"""The bot class, its command payload (snapshot) and the tree's error handler."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import discord
import pytest
from discord import app_commands

from bot.client import ShopwireBot
from bot.news.model.errors import InvalidQuery, UserError
from commands.checks import holds_role, role_label
from commands.errors import NotNewsAdmin, ShopwireTree, user_message
from commands.help import help_embed
from commands.services import BotServices
from tests.commands.conftest import App, World, start_shopwire

# The exact JSON that would be synced to Discord. After an intended change to the commands,
# regenerate it with:  SHOPWIRE_UPDATE_SNAPSHOTS=1 uv run pytest tests/commands/test_bot.py
# and review the diff like any other code change.
SNAPSHOT = Path(__file__).parent / "snapshots" / "commands.json"
ADMIN_COMMANDS = {"feeds", "settings", "subscribe", "subscriptions", "unsubscribe"}
COMMAND = cast(Any, SimpleNamespace(name="news"))  # what CommandInvokeError reads
ERROR_ID = re.compile(r"^Something went wrong \(error id ([0-9a-f]{8})\)\. The bot's operator")


def offline_bot() -> ShopwireBot:
    """A bot that is never started: the commands only need services when invoked."""
    services = BotServices(
        news=cast(Any, None),
        subscriptions=cast(Any, None),
        summaries=cast(Any, None),
        settings=cast(Any, None),
        follow_roles=cast(Any, None),
        explainer=cast(Any, None),
        previewer=cast(Any, None),
    )
    return ShopwireBot(services)


async def test_command_payload_matches_the_snapshot() -> None:
    bot = offline_bot()
    try:
        await bot.add_shopwire_cogs()
        payload = bot.command_payload()
    finally:
        await bot.close()
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("SHOPWIRE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run with SHOPWIRE_UPDATE_SNAPSHOTS=1"
    assert text == SNAPSHOT.read_text(encoding="utf-8"), (
        "the command payload changed; if intended, regenerate with SHOPWIRE_UPDATE_SNAPSHOTS=1"
    )

    names = [c["name"] for c in payload]
    assert names == [
        "feeds",
        "follow",
        "help",
        "news",
        "settings",
        "subscribe",
        "subscriptions",
        "unfollow",
        "unsubscribe",
    ]
    for command in payload:
        assert command["contexts"] == [0], command["name"]  # servers only
        assert 1 <= len(command["description"]) <= 100
        admin = command["name"] in ADMIN_COMMANDS
        assert (command["default_member_permissions"] == 32) is admin, command["name"]


def _usages(command: dict[str, Any], path: str = "") -> list[str]:
    """``/news search <query> [company] ...`` for every leaf command of a payload entry."""
    path = f"{path} {command['name']}".strip()
    options = command.get("options") or []
    groups = [o for o in options if o["type"] in (1, 2)]  # sub-commands and groups
    if groups:
        return [usage for group in groups for usage in _usages(group, path)]
    shown = [f"<{o['name']}>" if o.get("required") else f"[{o['name']}]" for o in options]
    return [" ".join([f"/{path}", *shown])]


async def test_help_names_every_command_with_its_options() -> None:
    # /news search's [topic] was missing from /help although Discord offered it.
    bot = offline_bot()
    try:
        await bot.add_shopwire_cogs()
        payload = bot.command_payload()
    finally:
        await bot.close()
    text = " ".join(field["value"] for field in help_embed(None).to_dict()["fields"])
    shown = set(re.findall(r"`(/[^`]+)`", text))
    assert shown == {usage for command in payload for usage in _usages(command)}


def test_help_shows_the_search_syntax() -> None:
    text = " ".join(field["value"] for field in help_embed(None).to_dict()["fields"])
    for syntax in ('`"exact phrase"`', "`-exclude`", "`a OR b`", "`amaz*`"):
        assert syntax in text


async def test_bot_asks_for_no_privileged_intents_and_never_pings() -> None:
    bot = offline_bot()
    try:
        assert bot.intents == discord.Intents(guilds=True)
        assert bot.allowed_mentions is not None
        # dict(): discord.py annotates to_dict() as the payload with every key; it returns only
        # those set, so mypy would call the comparison impossible.
        assert dict(bot.allowed_mentions.to_dict()) == {"parse": []}
        assert isinstance(bot.tree, ShopwireTree)
        assert bot.help_command is None
        assert bot.command_prefix == []  # no text commands: an empty prefix list never matches
    finally:
        await bot.close()


async def test_the_running_bot_identifies_with_the_guilds_intent_only(app: App) -> None:
    assert app.fake.gateway.identifies[0]["intents"] == discord.Intents(guilds=True).value
    [sync] = app.fake.syncs(None)
    assert sorted(sync.names) == [
        "feeds",
        "follow",
        "help",
        "news",
        "settings",
        "subscribe",
        "subscriptions",
        "unfollow",
        "unsubscribe",
    ]


async def test_unexpected_error_shows_only_an_error_id(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(app.newsroom.service, "resolve_company", broken)
    with caplog.at_level(logging.ERROR, logger="shopwire.commands"):
        _, reply = await app.answer(app.world.member, "news latest", company="temu")
    assert reply.ephemeral
    match = ERROR_ID.match(reply.content)
    assert match, reply.content
    assert "hunter2" not in reply.content
    [record] = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
    assert "command=news latest" in record.getMessage()


async def test_unexpected_error_after_deferring_is_a_follow_up(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.newsroom.service, "latest", broken)
    handle, reply = await app.answer(app.world.member, "news latest")
    assert (await handle.response()).type == 5
    assert ERROR_ID.match(reply.content), reply.content
    assert not reply.embeds


async def test_admin_role_by_id_is_named_in_the_refusal(world: World, tmp_path: Path) -> None:
    role = next(r for r in world.guild.roles.values() if r.name == "News Admins")
    async with start_shopwire(world, tmp_path, admin_role=str(role.id)) as app:
        _, ok = await app.answer(world.role_admin, "subscriptions list", override=True)
        assert ok.embeds[0]["title"] == "Subscriptions (0)"
        _, refused = await app.answer(world.member, "subscriptions list", override=True)
        assert "(or the News Admins role)" in refused.content


# The error handler's words, for errors that are awkward to provoke through the fake. -------


class _Transformer(app_commands.Transformer):
    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> Any:
        return value


def test_user_errors_are_shown_as_sentences() -> None:
    assert user_message(UserError("the feed URL is empty")) == "The feed URL is empty."
    assert user_message(InvalidQuery("Type a word.")) == "Type a word."
    wrapped = app_commands.CommandInvokeError(COMMAND, UserError("No such feed."))
    assert user_message(wrapped) == "No such feed."
    transformed = app_commands.TransformerError(
        "x", discord.AppCommandOptionType.string, _Transformer()
    )
    transformed.__cause__ = UserError("Pick a listed feed.")
    assert user_message(transformed) == "Pick a listed feed."


def test_permission_and_input_errors_get_short_explanations() -> None:
    assert user_message(NotNewsAdmin(None)) == (
        "You need the Manage Server permission to use this command."
    )
    assert user_message(NotNewsAdmin("Mods")) == (
        "You need the Manage Server permission (or the Mods role) to use this command."
    )
    assert user_message(app_commands.MissingPermissions(["manage_guild"])) == (
        "You need the Manage Server permission to use this command."
    )
    assert user_message(app_commands.NoPrivateMessage()) == "This command only works in a server."
    bad = app_commands.TransformerError(
        "@everyone", discord.AppCommandOptionType.channel, _Transformer()
    )
    assert (
        user_message(bad)
        == "I couldn't use “@\u200beveryone” as a channel here. Pick one from the list."
    )


def test_bugs_get_no_user_message() -> None:
    assert user_message(RuntimeError("boom")) is None
    wrapped = app_commands.CommandInvokeError(COMMAND, KeyError("x"))
    assert user_message(wrapped) is None


def test_role_helpers() -> None:
    assert role_label(None, None) is None
    assert role_label(None, "Mods") == "Mods"
    member = cast(
        Any, type("M", (), {"roles": [type("R", (), {"id": 7, "name": "News Admins"})()]})()
    )
    assert holds_role(member, "news admins")
    assert holds_role(member, "7")
    assert not holds_role(member, "8")

"""Outsider probes of the slash commands' error paths: every bad option gets a private, plain
answer that pings nobody, stores nothing, and is no error in the log (no "error id")."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.commands.conftest import App

# (command, options, words the answer must hold, or None: an odd value that is no mistake and
# gets an ordinary answer); "{news}" is the #news channel. Lengths stay within each option's
# max_length, which Discord itself enforces (the fake too).
_PROBES: list[tuple[str, dict[str, Any], str | None]] = [
    ("news search", {"query": "   "}, "word"),
    ("news search", {"query": '"'}, ""),
    ("news search", {"query": "-"}, ""),
    ("news search", {"query": "*"}, ""),
    ("news search", {"query": "a" * 200}, None),
    ("news search", {"query": "temu", "since": "yesterday"}, "24h"),
    ("news search", {"query": "temu", "since": "99999999d"}, ""),
    ("news search", {"query": "temu", "since": "0001-01-01"}, None),
    ("news search", {"query": "temu", "company": "nosuchco"}, "Unknown company"),
    ("news search", {"query": "temu", "topic": "nosuch"}, "Unknown topic"),
    ("news latest", {"company": "\u202e@everyone"}, "Unknown company"),
    ("news latest", {"source": "no such feed"}, ""),
    ("news summary", {"company": "x" * 500}, ""),
    ("news trend", {"companies": ",,,"}, None),
    ("news trend", {"companies": "temu " * 40}, None),
    # Before: subscribed to every item, as if no filter had been given.
    ("subscribe", {"channel": "{news}", "keywords": ",,,"}, "no keyword in it"),
    ("subscribe", {"channel": "{news}", "companies": " , "}, "no company in it"),
    ("subscribe", {"channel": "{news}", "exclude": ","}, "no excluded word in it"),
    ("subscriptions preview", {"topics": ",,"}, "no topic in it"),
    ("subscribe", {"channel": "{news}", "companies": "temu, nosuchco"}, "Unknown company"),
    ("subscribe", {"channel": "{news}", "topics": "nosuch"}, "Unknown topic"),
    ("subscribe", {"channel": "{news}", "keywords": "k," * 350}, None),
    ("subscriptions why", {"item": "no such item anywhere"}, ""),
    ("subscriptions why", {"item": "https://nowhere.example/x"}, ""),
    ("subscriptions edit", {"subscription": 999, "style": "compact"}, ""),
    ("unsubscribe", {"channel": "{news}"}, ""),
    ("unsubscribe", {"channel": "{news}", "subscription": 999}, ""),
    ("settings timezone", {"name": "Mars/Olympus_Mons"}, ""),
    ("settings timezone", {"name": "UTC+99"}, ""),
    ("settings timezone", {"name": "\x00"}, ""),
    ("feeds add", {"url": "notaurl"}, ""),
    ("feeds add", {"url": "file:///etc/passwd"}, ""),
    ("feeds add", {"url": "http://169.254.169.254/latest/meta-data/"}, "cloud metadata"),
    ("feeds add", {"url": "http://[::ffff:127.0.0.1]/feed"}, "loopback"),
    ("feeds add", {"url": "http://0x7f000001/feed"}, ""),
    ("feeds add", {"url": "http://" + "a" * 2_000 + ".example/"}, ""),
    ("feeds remove", {"feed": "no such feed"}, ""),
    ("follow", {"company": "temu"}, ""),
    ("unfollow", {"topic": "nosuch"}, ""),
]


@pytest.mark.parametrize(("command", "options", "words"), _PROBES)
async def test_a_bad_option_gets_a_private_plain_answer(
    app: App,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, Any],
    words: str | None,
) -> None:
    world = app.world
    given = {k: (world.news if v == "{news}" else v) for k, v in options.items()}
    before = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)

    with caplog.at_level(logging.INFO, logger="shopwire"):
        _, reply = await app.answer(world.admin, command, **given)

    assert "error id" not in reply.content, reply.content
    pinged = reply.pinged
    assert pinged is None or not (pinged.everyone or pinged.users or pinged.roles)
    if words is not None:
        assert reply.ephemeral, reply.content
        assert words in reply.content, reply.content
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    if command != "subscribe" or words:
        after = await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id)
        assert after == before

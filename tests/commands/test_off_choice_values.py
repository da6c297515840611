"""A value outside an option's choices (a raw API call, an old client) is refused with a clear
ephemeral line, and is no error in the log (issue 9 item 7)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.commands.conftest import App
from tests.fakediscord.interactions import InteractionFactory


@pytest.fixture
def unchecked_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake client sends any value, as a raw API call can: Discord's own client (and the
    fake) would refuse a value outside an option's choices before the bot sees it."""
    convert = InteractionFactory._convert_option

    def without_choices(self: InteractionFactory, spec: dict[str, Any], *args: Any) -> Any:
        return convert(self, {k: v for k, v in spec.items() if k != "choices"}, *args)

    monkeypatch.setattr(InteractionFactory, "_convert_option", without_choices)


@pytest.mark.parametrize(
    ("command", "options", "expected"),
    [
        (
            "subscribe",
            {"mode": "hourly"},
            "“hourly” is not a mode: pick realtime, daily or weekly.",
        ),
        ("news summary", {"period": "1y"}, "Unknown period '1y': use 24h, 7d, 30d."),
        ("news trend", {"period": "1y"}, "Unknown period '1y': use 24h, 7d, 30d."),
    ],
)
@pytest.mark.usefixtures("unchecked_choices")
async def test_an_off_choice_value_gets_a_clear_private_answer(
    app: App,
    caplog: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, str],
    expected: str,
) -> None:
    world = app.world
    if command == "subscribe":
        options = {"channel": world.news, **options}  # type: ignore[dict-item]

    with caplog.at_level(logging.INFO, logger="shopwire"):
        _, reply = await app.answer(world.admin, command, **options)

    assert reply.ephemeral
    assert reply.content == expected
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []

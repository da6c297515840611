"""Settings a user gets wrong on day one: refused with a clear line, never silently ignored,
and a value that may hold a secret is never echoed (issue 9 items 7 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.news.model.errors import ConfigError
from bot.settings import load_settings


def problems_of(**kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return list(caught.value.problems)


def test_settings_outside_the_shopwire_table_are_refused_by_name(tmp_path: Path) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_text('poll_interval = 60\npol_intervall = 5\n\n[shopwire]\ndb = "news.db"\n')

    problems = problems_of(config_file=config, environ={})

    assert len(problems) == 1, problems
    assert "'poll_interval', 'pol_intervall' outside the [shopwire] table" in problems[0]


def test_top_level_settings_alone_still_work(tmp_path: Path) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_text("poll_interval = 60\n")

    assert load_settings(config_file=config, environ={}).poll_interval == 60


@pytest.mark.parametrize(
    "token",
    ["abc.def\nghi", "abc.def.ghi\n", " abc.def.ghi", "abc.def\tghi", "abc\u200bdef"],
)
def test_a_token_with_a_line_break_or_space_is_refused_and_not_shown(token: str) -> None:
    problems = problems_of(environ={"DISCORD_TOKEN": token})

    assert len(problems) == 1, problems
    assert problems[0].startswith("DISCORD_TOKEN contains a line break, a space")
    assert "abc" not in problems[0]


def test_an_llm_key_with_a_line_break_is_refused_and_not_shown() -> None:
    problems = problems_of(environ={"SHOPWIRE_LLM_API_KEY": "sk-secret\n"})

    assert problems[0].startswith("SHOPWIRE_LLM_API_KEY contains a line break")
    assert "sk-secret" not in "\n".join(problems)


def test_a_plain_token_is_accepted() -> None:
    assert load_settings(environ={"DISCORD_TOKEN": "abc.def_-ghi"}).discord_token == "abc.def_-ghi"


def test_a_wrong_value_is_echoed_only_for_settings_that_cannot_hold_secrets(
    tmp_path: Path,
) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_text(
        "[shopwire]\nllm_base_url = 12345678\ndiscord_api_base = 87654321\nmax_per_host = 'x'\n"
    )

    problems = "\n".join(problems_of(config_file=config, environ={}))

    assert "12345678" not in problems and "87654321" not in problems
    assert "llm_base_url in" in problems and "is not a string" in problems
    assert "max_per_host in" in problems and "'x' is not a whole number" in problems


def test_a_config_file_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    # tomllib raises UnicodeDecodeError, not TOMLDecodeError, which used to be a traceback.
    config = tmp_path / "shopwire.toml"
    config.write_bytes(b'db = "caf\xe9.db"\n')

    problems = problems_of(config_file=config, environ={})

    assert problems == [f"config file {config}: not UTF-8 text (byte 10 of the file)"]


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        # Each passed the check and overflowed the date arithmetic: a traceback at the poll.
        ("POLL_INTERVAL", "99999999999999999999999", "must be at most 31536000"),
        ("MAX_BACKOFF", "99999999999999999", "must be at most 31536000"),
        ("DISABLE_AFTER_DAYS", "99999999999", "must be at most 3650"),
        ("MAX_POST_AGE_HOURS", "99999999999999", "must be at most 87600"),
        ("STORY_WINDOW_HOURS", "99999999999999", "must be at most 87600"),
        # Each passed and left a feed request without a time limit.
        ("TOTAL_TIMEOUT", "inf", "must be a finite number"),
        ("CONNECT_TIMEOUT", "1e309", "must be a finite number"),
    ],
)
def test_durations_too_long_for_dates_or_infinite_are_refused(
    variable: str, value: str, problem: str
) -> None:
    problems = problems_of(environ={f"SHOPWIRE_{variable}": value})

    assert len(problems) == 1 and problems[0].endswith(problem), problems


@pytest.mark.parametrize("value", ["-1", "0", str(2**66)])
def test_a_dev_guild_id_that_no_discord_server_can_have_is_refused(value: str) -> None:
    problems = problems_of(environ={"SHOPWIRE_DEV_GUILD_ID": value})

    assert len(problems) == 1, problems
    assert "dev_guild_id" in problems[0]


def test_a_real_dev_guild_id_is_taken() -> None:
    settings = load_settings(environ={"SHOPWIRE_DEV_GUILD_ID": "123456789012345678"})

    assert settings.dev_guild_id == 123456789012345678


def test_an_endless_or_huge_config_file_is_refused_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    # `--config /dev/zero` used to read until memory ran out.
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * 1_000_000 + b"\n")
    endless = Path("/dev/zero")
    for config in [huge, endless] if endless.exists() else [huge]:
        problems = problems_of(config_file=config, environ={})

        assert problems == [f"config file {config}: larger than 1 MB: not a settings file"]


def test_a_config_file_of_just_under_the_limit_is_read(tmp_path: Path) -> None:
    config = tmp_path / "shopwire.toml"
    config.write_bytes(b"max_items_per_poll = 50\n# " + b"x" * 999_000 + b"\n")

    assert load_settings(config_file=config, environ={}).max_items_per_poll == 50

"""The Dockerfile and the compose file name only commands and settings that exist.

No container runs here (no daemon): what can be checked without one is that every command a
service runs parses with the CLI's own parser, that every variable it sets is a setting (or
DISCORD_TOKEN), that the settings load, and that the image installs from the lock file and runs
as a user other than root.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.settings import ENV_PREFIX, SETTINGS, load_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
# Read from the environment only, not settings of their own.
SECRETS = {"DISCORD_TOKEN", f"{ENV_PREFIX}LLM_API_KEY"}


def _services() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(COMPOSE.read_text())
    services = document["services"]
    assert isinstance(services, dict)
    return services


def _shopwire_services() -> list[str]:
    return [name for name, s in _services().items() if s.get("image") == "shopwire:latest"]


def _filled(value: str) -> str:
    """A compose value with its ${NAME:?message} placeholders filled in."""
    return re.sub(r"\$\{([A-Z_]+)(:\?[^}]*)?\}", lambda m: f"test-{m.group(1).lower()}", value)


def test_the_compose_file_runs_postgresql_a_migration_two_gateways_and_two_pollers() -> None:
    services = _services()
    commands: dict[str, list[str]] = {
        name: services[name].get("command") or [] for name in _shopwire_services()
    }
    assert commands["migrate"] == ["migrate"]
    roles = sorted(c[c.index("--role") + 1] for c in commands.values() if "--role" in c)
    assert roles == ["gateway", "gateway", "poller", "poller"]
    assert services["postgres"]["image"].startswith("postgres:")


@pytest.mark.parametrize("service", _shopwire_services())
def test_each_service_runs_a_command_the_cli_parses(service: str) -> None:
    command = _services()[service].get("command")
    assert isinstance(command, list) and command
    build_parser().parse_args(command)  # an unknown command or flag exits


@pytest.mark.parametrize("service", _shopwire_services())
def test_each_service_sets_only_known_settings_and_they_load(service: str) -> None:
    environment = {k: _filled(str(v)) for k, v in _services()[service]["environment"].items()}
    known = {f"{ENV_PREFIX}{spec.name.upper()}" for spec in SETTINGS} | SECRETS
    assert set(environment) <= known, set(environment) - known
    settings = load_settings(environ=environment)
    assert settings.db.startswith("postgresql://shopwire:")
    assert "test-postgres_password" not in settings.db_shown


def test_secrets_come_from_the_environment_not_the_file() -> None:
    text = COMPOSE.read_text()
    for service in _services().values():
        for name, value in service.get("environment", {}).items():
            if name in SECRETS or "PASSWORD" in name:
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), name
    assert "postgresql://shopwire:${POSTGRES_PASSWORD" in text


def test_the_image_installs_from_the_lock_file_and_runs_as_a_user() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()]
    runs = [line for line in lines if line.startswith("RUN uv sync")]
    assert runs and all("--locked" in line for line in runs)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["shopwire"]' in lines
    assert 'CMD ["run"]' in lines
    for line in lines:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


def test_the_gateways_serve_every_shard_once() -> None:
    from bot.news.rules.shards import parse_shard_ids

    served: list[int] = []
    counts = set()
    for name in _shopwire_services():
        command = _services()[name].get("command") or []
        if "--shards" in command:
            count = int(command[command.index("--shard-count") + 1])
            counts.add(count)
            served += parse_shard_ids(command[command.index("--shards") + 1], count)
    [count] = counts
    assert sorted(served) == list(range(count))

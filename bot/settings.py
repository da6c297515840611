"""Settings: defaults, then an optional TOML file, then ``SHOPWIRE_<NAME>`` variables, then flags.

Every setting is declared once in ``SETTINGS`` below; the README's settings table mirrors it
(a test checks that every setting is documented). Loading collects every problem before
failing, so an operator fixes a bad configuration in one go.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.news.model.errors import ConfigError
from bot.news.model.vocabulary import ALL_SHARDS, Shards
from bot.news.rules.shards import parse_shard_ids

ENV_PREFIX = "SHOPWIRE_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration of one Shopwire process."""

    db: str = "shopwire.db"
    poll_interval: int = 900
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_concurrency: int = 16
    max_per_host: int = 2
    max_items_per_poll: int = 200
    max_backoff: int = 24 * 3600
    disable_after_days: float = 3.0
    parse_workers: int = 0
    parse_timeout: float = 10.0
    parse_memory_mb: int = 512
    story_text_at_ingest: bool = False
    seed_catalogue: bool = True
    allow_private_urls: bool = False
    log_level: str = "INFO"
    # Discord-side settings, used by `shopwire run`.
    dev_guild_id: int | None = None
    admin_role: str | None = None
    max_posts_per_channel: int = 5
    max_post_age_hours: float = 72.0
    max_guild_feeds: int = 10
    max_guild_subscriptions: int = 25
    story_threshold: float = 0.18  # StoryConfig's default (a test keeps them equal)
    story_window_hours: float = 72.0
    discord_api_base: str | None = None
    discord_gateway: str | None = None
    # Optional LLM-written summary lines (off unless llm_base_url is set).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_timeout: float = 10.0
    # /metrics and /healthz of `shopwire run` (0 = off), on loopback unless metrics_host says.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    # What `shopwire run` does: everything in one process, or one role of several processes
    # sharing a PostgreSQL database (ROLES).
    role: str = "all"
    # Seconds a poller process holds a feed it claimed; a killed poller's feeds wait this long.
    feed_lease_seconds: int = 120
    # The Discord shards this process serves (`--shards 0-7 --shard-count 32`); without a
    # shard count, one unsharded client.
    shards: str | None = None
    shard_count: int | None = None
    # Processes with a Discord connection: each takes its share of the global request limit.
    gateway_processes: int = 1
    # A secret: only ever read from the environment (DISCORD_TOKEN), never from a file or logged.
    discord_token: str | None = field(default=None, repr=False)
    # A secret too: only from SHOPWIRE_LLM_API_KEY, never from a file or logged.
    llm_api_key: str | None = field(default=None, repr=False)

    @property
    def served_shards(self) -> Shards:
        """The shards this process serves (every guild when it is not sharded)."""
        if self.shard_count is None:
            return ALL_SHARDS
        if not self.shards:
            return Shards(tuple(range(self.shard_count)), self.shard_count)
        return Shards(parse_shard_ids(self.shards, self.shard_count), self.shard_count)

    @property
    def db_shown(self) -> str:
        """The ``db`` setting as messages and logs show it: a database URL's password hidden."""
        return hide_password(self.db)


def hide_password(url: str) -> str:
    """``url`` with its ``user:password@`` part and any ``password=`` parameter as ``***``."""
    scheme, found, rest = url.partition("://")
    if not found:
        return url  # a file path
    address, question, query = rest.partition("?")
    # The last "@": a password may hold an unescaped "@" or "/".
    _credentials, at, host = address.rpartition("@")
    if at:
        address = f"***@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", query)
    return f"{scheme}://{address}{question}{query}"


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """How one setting is parsed and checked."""

    name: str
    kind: type
    help: str
    check: Callable[[Any], str | None] | None = None
    # False when a bad value may hold a secret and must not be echoed in the error.
    echo: bool = True


# Ceilings of the durations: far beyond any sensible value, well inside what dates can hold.
_HOUR_SECONDS = 3600
_YEAR_SECONDS = 365 * 24 * 3600
_TEN_YEARS_DAYS = 3650
_TEN_YEARS_HOURS = 3650 * 24
_SNOWFLAKE_MAX = 2**63 - 1


def _at_least(minimum: float, most: int | None = None) -> Callable[[Any], str | None]:
    """At least ``minimum``, finite, and for durations at most ``most``: a huge one overflowed
    the date arithmetic (a traceback at the first poll) and ``inf`` left a wait unbounded."""

    def check(value: Any) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if value < minimum:
            return f"must be at least {minimum:g}"
        if most is not None and value > most:
            return f"must be at most {most}"
        return None

    return check


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}"

    return check


def _http_url(value: Any) -> str | None:
    if str(value) == "":
        return None
    try:
        parts = urlsplit(str(value))
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        secret = parts.username is not None or parts.password is not None
    except ValueError:
        ok, secret = False, False
    if secret:
        return f"must not hold a user or password (the key goes in {ENV_PREFIX}LLM_API_KEY)"
    if ok and (parts.query or parts.fragment):
        return "must be the API's base URL, without a query or fragment"
    return None if ok else "must be an http:// or https:// URL (or empty for none)"


def _host(value: Any) -> str | None:
    text = str(value)
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", text):
        return None
    return "must be a host name or an IP address"


ROLES = ("all", "poller", "gateway")
"""`shopwire run --role`: all = one process does everything (SQLite or PostgreSQL); poller =
fetch, parse and store; gateway = Discord, commands, delivery and digests (PostgreSQL only)."""


def _role(value: Any) -> str | None:
    return None if value in ROLES else f"must be one of {', '.join(ROLES)}"


def _log_level(value: Any) -> str | None:
    levels = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
    return None if str(value).upper() in levels else f"must be one of {', '.join(sorted(levels))}"


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "db",
        str,
        "The database: a SQLite file path (created if missing), sqlite:///path"
        " (sqlite:////absolute/path) or postgresql://user:password@host:port/database"
        " (an existing database; its tables are created on first use).",
    ),
    SettingSpec(
        "poll_interval", int, "Seconds between polls of one feed.", _at_least(5, _YEAR_SECONDS)
    ),
    SettingSpec(
        "connect_timeout",
        float,
        "Seconds to wait for a feed server to accept a connection.",
        _at_least(0.1, _HOUR_SECONDS),
    ),
    SettingSpec(
        "total_timeout",
        float,
        "Seconds one feed request may take in all.",
        _at_least(0.1, _HOUR_SECONDS),
    ),
    SettingSpec(
        "max_body_bytes",
        int,
        "Largest feed accepted, in bytes, after decompression.",
        _at_least(1024),
    ),
    SettingSpec("max_concurrency", int, "Feed requests in flight at once.", _at_least(1)),
    SettingSpec("max_per_host", int, "Feed requests in flight at once to one host.", _at_least(1)),
    SettingSpec(
        "max_items_per_poll",
        int,
        "Items read from one feed document at most (newest first).",
        _at_least(1),
    ),
    SettingSpec(
        "max_backoff",
        int,
        "Longest wait, in seconds, between polls of a failing feed.",
        _at_least(5, _YEAR_SECONDS),
    ),
    SettingSpec(
        "disable_after_days",
        float,
        "A feed failing without a success for this many days is disabled.",
        _at_least(0.01, _TEN_YEARS_DAYS),
    ),
    SettingSpec(
        "parse_workers", int, "Processes that parse feeds; 0 = one per CPU core.", _at_least(0)
    ),
    SettingSpec(
        "parse_timeout",
        float,
        "Seconds one feed document may take to parse; a slower parse fails the feed.",
        _between(0.5, 600),
    ),
    SettingSpec(
        "parse_memory_mb",
        int,
        "Memory, in MB, a parser process may reach; a parse over it fails the feed.",
        _between(64, 65536),
    ),
    SettingSpec(
        "story_text_at_ingest",
        bool,
        "Parser processes also read each item's text for stories (the stories stage then only"
        " weighs it); costs the poll what it saves the stories stage.",
    ),
    SettingSpec(
        "seed_catalogue", bool, "Add the default catalogue of e-commerce feeds to a new database."
    ),
    SettingSpec(
        "allow_private_urls",
        bool,
        "Let feeds added through Discord reach private and loopback addresses.",
    ),
    SettingSpec("log_level", str, "DEBUG, INFO, WARNING or ERROR.", _log_level),
    SettingSpec(
        "dev_guild_id",
        int,
        "A Discord server id where slash commands are synced instantly (development).",
        # A Discord id is a positive 64-bit snowflake: anything else could only fail later,
        # at the first command sync, far from the setting that caused it.
        _at_least(1, _SNOWFLAKE_MAX),
    ),
    SettingSpec(
        "admin_role",
        str,
        "A role (id or name) whose members may manage feeds and subscriptions, besides "
        "members with Manage Server.",
    ),
    SettingSpec(
        "max_posts_per_channel",
        int,
        "New items posted to one channel per poll; the rest are announced in one line.",
        _at_least(1),
    ),
    SettingSpec(
        "max_post_age_hours",
        float,
        "Items older than this are never posted to channels.",
        _at_least(0.1, _TEN_YEARS_HOURS),
    ),
    SettingSpec("max_guild_feeds", int, "Private feeds one Discord server may add.", _at_least(0)),
    SettingSpec(
        "max_guild_subscriptions", int, "Subscriptions one Discord server may have.", _at_least(1)
    ),
    SettingSpec(
        "story_threshold",
        float,
        "How similar (0-1) an item must be to a story to join it; higher splits more.",
        _between(0.01, 0.99),
    ),
    SettingSpec(
        "story_window_hours",
        float,
        "Items join only stories with reports within this many hours of them.",
        _at_least(1, _TEN_YEARS_HOURS),
    ),
    SettingSpec(
        "discord_api_base",
        str,
        "Base URL of Discord's REST API (only for testing against a fake).",
        echo=False,  # a URL may carry credentials
    ),
    SettingSpec(
        "discord_gateway",
        str,
        "URL of Discord's gateway (only for testing against a fake).",
        echo=False,
    ),
    SettingSpec(
        "llm_base_url",
        str,
        "Base URL of an OpenAI-compatible API that writes summary lines; empty = off.",
        _http_url,
        echo=False,
    ),
    SettingSpec("llm_model", str, "The model the LLM API is asked for (needed with llm_base_url)."),
    SettingSpec(
        "llm_timeout",
        float,
        "Seconds one request to the LLM API may take in all.",
        _between(0.1, 300),
    ),
    SettingSpec(
        "metrics_port",
        int,
        "Port where `shopwire run` serves /metrics (Prometheus) and /healthz; 0 = off.",
        _between(0, 65535),
    ),
    SettingSpec(
        "metrics_host",
        str,
        "Address the metrics port listens on (loopback unless set, e.g. 0.0.0.0).",
        _host,
    ),
    SettingSpec(
        "role",
        str,
        "What `shopwire run` does: all (one process, the default), poller (fetch, parse, store;"
        " no Discord) or gateway (Discord, commands, delivery, digests); roles other than all"
        " need PostgreSQL.",
        _role,
    ),
    SettingSpec(
        "feed_lease_seconds",
        int,
        "Seconds a poller process holds a feed it claimed (longer than a poll takes); the"
        " feeds of a poller that died are taken over after this long.",
        _between(10, 3600),
    ),
    SettingSpec(
        "shards",
        str,
        "The Discord shards this process serves: a range or list (0-7, 0,2,5) within"
        " 0..shard_count-1; needs shard_count. Unset: every shard of shard_count.",
    ),
    SettingSpec(
        "shard_count",
        int,
        "How many shards the bot has in all, across its processes; unset: one unsharded"
        " connection.",
        _between(1, 65536),
    ),
    SettingSpec(
        "gateway_processes",
        int,
        "How many processes connect to Discord (role all or gateway): each sends at most"
        " its share of Discord's 50 requests per second.",
        _between(1, 50),
    ),
)

# Read only from the environment, like DISCORD_TOKEN.
LLM_API_KEY_VARIABLE = f"{ENV_PREFIX}LLM_API_KEY"

_SPECS = {spec.name: spec for spec in SETTINGS}


def _convert(spec: SettingSpec, raw: object, origin: str) -> tuple[object, str | None]:
    """Turn a raw value (TOML value or environment string) into the setting's type."""
    try:
        if spec.kind is bool:
            if isinstance(raw, bool):
                return raw, None
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True, None
            if text in _FALSE:
                return False, None
            raise ValueError
        if spec.kind is int:
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw), None  # type: ignore[call-overload]
        if spec.kind is float:
            if isinstance(raw, bool):
                raise ValueError
            return float(raw), None  # type: ignore[arg-type]
        if not isinstance(raw, str):
            raise ValueError
        return raw, None
    except (TypeError, ValueError):
        expected = {bool: "true or false", int: "a whole number", float: "a number"}.get(
            spec.kind, "a string"
        )
        shown = f"{raw!r} " if spec.echo else ""  # a value that may hold a secret is not shown
        return None, f"{origin}: {shown}is not {expected}"


def _shard_problems(values: Mapping[str, object]) -> list[str]:
    """What is wrong with the shards and shard count taken together."""
    shards, count = values.get("shards"), values.get("shard_count")
    if shards in (None, ""):
        return []
    if not isinstance(count, int):
        return ["shards: needs shard_count (how many shards the bot has in all)"]
    try:
        parse_shard_ids(str(shards), count)
    except ValueError as exc:
        return [f"shards: {shards!r}: {exc}"]
    return []


MAX_CONFIG_BYTES = 1_000_000
"""A config file is read up to this size; a larger one is refused (it is a few lines)."""


# SHOPWIRE_ variables that are not settings: read elsewhere (the config file's path, the LLM
# key) or by the test suite and benchmarks.
_OTHER_VARIABLES = frozenset(
    f"{ENV_PREFIX}{name}"
    for name in (
        "CONFIG",
        "LLM_API_KEY",
        "E2E_LOG",
        "TEST_POSTGRES_URL",
        "BENCH_POSTGRES_URL",
        "UPDATE_SNAPSHOTS",
        "PURE_PYTHON",
    )
)


def _closest(name: str, names: Sequence[str]) -> str | None:
    """The setting name ``name`` is most likely a typo of, if any."""
    import difflib  # only for a name that is wrong: every command would pay for it

    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return close[0] if close else None


def _did_you_mean(name: str, names: Sequence[str], prefix: str = "") -> str:
    close = _closest(name, names)
    return f" (did you mean {prefix}{close.upper() if prefix else close}?)" if close else ""


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A line for each ``SHOPWIRE_`` environment variable that is no setting (a typo, most
    likely: ``SHOPWIRE_POLL_INTERVL``), which would otherwise be ignored without a word."""
    env = os.environ if environ is None else environ
    names = [spec.name for spec in SETTINGS]
    known = {f"{ENV_PREFIX}{name.upper()}" for name in names}
    lines = []
    for variable in sorted(env):
        if not variable.startswith(ENV_PREFIX) or variable in known | _OTHER_VARIABLES:
            continue
        # Compared without the prefix, which every name shares.
        hint = _did_you_mean(variable.removeprefix(ENV_PREFIX).lower(), names, ENV_PREFIX)
        lines.append(f"{variable} is not a setting and is ignored{hint}")
    return lines


def load_settings(
    *,
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Build the effective settings; raise ConfigError listing every problem found."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    values: dict[str, object] = {}

    path = config_file if config_file is not None else env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        import tomllib  # only with a config file: importing it costs every command a few ms

        try:
            with Path(path).open("rb") as handle:
                # Bounded: `--config /dev/zero` (or a log file given by mistake) read whole
                # took all the memory there was. A pipe (`--config <(...)`) is still fine.
                data = handle.read(MAX_CONFIG_BYTES + 1)
            if len(data) > MAX_CONFIG_BYTES:
                raise OSError(
                    f"larger than {MAX_CONFIG_BYTES // 1_000_000} MB: not a settings file"
                )
            document = tomllib.loads(data.decode("utf-8"))
        except FileNotFoundError:
            problems.append(f"config file {path}: not found")
            document = {}
        except (OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"config file {path}: {exc}")
            document = {}
        except UnicodeDecodeError as exc:
            # tomllib decodes the whole file first and lets this escape: TOML is UTF-8 only.
            problems.append(
                f"config file {path}: not UTF-8 text (byte {exc.start + 1} of the file)"
            )
            document = {}
        section = document.get("shopwire", document)
        if "shopwire" in document and (outside := [key for key in document if key != "shopwire"]):
            # They would be ignored: a setting the operator believes in must not be.
            names = ", ".join(repr(key) for key in outside)
            problems.append(
                f"config file {path}: {names} outside the [shopwire] table: with that table, "
                "every setting goes in it"
            )
        if not isinstance(section, dict):
            problems.append(f"config file {path}: [shopwire] must be a table")
            section = {}
        for key, raw in section.items():
            spec = _SPECS.get(key)
            if spec is None:
                hint = (
                    " (the token is read only from the DISCORD_TOKEN variable)"
                    if "token" in key
                    else f" (the key is read only from the {LLM_API_KEY_VARIABLE} variable)"
                    if "key" in key
                    else _did_you_mean(str(key), list(_SPECS))
                )
                problems.append(f"config file {path}: unknown setting {key!r}{hint}")
                continue
            value, problem = _convert(spec, raw, f"{key} in {path}")
            if problem:
                problems.append(problem)
            else:
                values[key] = value

    for spec in SETTINGS:
        variable = f"{ENV_PREFIX}{spec.name.upper()}"
        if variable in env:
            value, problem = _convert(spec, env[variable], variable)
            if problem:
                problems.append(problem)
            else:
                values[spec.name] = value

    for key, raw in (overrides or {}).items():
        if raw is None:
            continue
        value, problem = _convert(_SPECS[key], raw, f"--{key.replace('_', '-')}")
        if problem:
            problems.append(problem)
        else:
            values[key] = value

    for key, value in values.items():
        check = _SPECS[key].check
        message = check(value) if check else None
        if message:
            problems.append(
                f"{key}: {value!r} {message}" if _SPECS[key].echo else f"{key} {message}"
            )

    if values.get("llm_base_url") and not values.get("llm_model"):
        problems.append("llm_model: must be set when llm_base_url is")
    problems.extend(_shard_problems(values))

    token = env.get("DISCORD_TOKEN") or None
    llm_api_key = env.get(LLM_API_KEY_VARIABLE) or None
    for variable, secret in (("DISCORD_TOKEN", token), (LLM_API_KEY_VARIABLE, llm_api_key)):
        # It goes into an HTTP header, where a line break is refused deep inside aiohttp.
        if secret and (not secret.isprintable() or any(c.isspace() for c in secret)):
            problems.append(
                f"{variable} contains a line break, a space or another invisible character "
                "(a copy-paste slip?): set it to the value alone (not shown here)"
            )
    if problems:
        raise ConfigError(problems)
    if "log_level" in values:
        values["log_level"] = str(values["log_level"]).upper()
    for optional in ("llm_base_url", "llm_model", "shards"):
        values[optional] = values.get(optional) or None  # empty means none
    return Settings(**values, discord_token=token, llm_api_key=llm_api_key)  # type: ignore[arg-type]

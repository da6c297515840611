"""The dependency rules of ARCHITECTURE.md, enforced."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / package).rglob("*.py")
    )


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DISCORD_TOKEN" and not k.startswith("SHOPWIRE_")
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_core_never_loads_discord_storage_or_sqlite(tmp_path: Path) -> None:
    modules = _modules("bot/news")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'discord', 'aiosqlite', 'asyncpg', 'storage', 'commands', 'prometheus_client'})\n"
        "print(','.join(bad))\n"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"bot.news pulled in: {result.stdout.strip()}"


def test_storage_imports_only_the_core_vocabulary() -> None:
    allowed_core = {
        "bot.news.model.vocabulary",
        "bot.news.model.errors",
        "bot.news.ports",
        "bot.news.stories",
    }
    for path in (ROOT / "storage").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in {"bot", "commands", "discord"}:
                assert name in allowed_core, f"{path.name} imports {name}"


def _core_imports(package: str) -> list[tuple[Path, str]]:
    return [
        (path, name)
        for path in (ROOT / "bot" / "news" / package).rglob("*.py")
        for name in _imports(path)
    ]


def test_the_model_imports_only_the_standard_library_and_itself() -> None:
    # The vocabulary crosses every boundary: importing it must never pull in a rule, an
    # adapter or a third-party library.
    for path, name in _core_imports("model"):
        top = name.split(".")[0]
        allowed = top in sys.stdlib_module_names or f"{name}.".startswith("bot.news.model.")
        assert allowed, f"{path.relative_to(ROOT)} imports {name}"


# Standard-library modules that reach the network, processes, files or the clock.
_IO_MODULES = (
    "asyncio",
    "concurrent",
    "http",
    "io",
    "multiprocessing",
    "os",
    "pathlib",
    "shutil",
    "socket",
    "sqlite3",
    "ssl",
    "subprocess",
    "threading",
    "time",
    "urllib.request",
)


def test_rules_and_tagging_do_no_io() -> None:
    # Every front end asks the same pure function with plain values; a rule or a tagger that
    # reached for the network, a file or the clock would belong in adapters/ or services/.
    pure = ("bot.news.model.", "bot.news.rules.", "bot.news.tagging.")
    for package in ("rules", "tagging"):
        for path, name in _core_imports(package):
            where = f"{path.relative_to(ROOT)} imports {name}"
            if name.split(".")[0] == "bot":
                assert f"{name}.".startswith(pure), where
                continue
            assert name.split(".")[0] in sys.stdlib_module_names, where
            assert not any(name == io or name.startswith(f"{io}.") for io in _IO_MODULES), where


def test_only_storage_renders_fts5() -> None:
    # Everything above storage passes the parsed ``SearchQuery``; FTS5 syntax is one backend's.
    # Only storage and its own tests (tests/storage/) may import the renderer.
    allowed = (ROOT / "storage", ROOT / "tests" / "storage")
    tops = [top for top in ROOT.iterdir() if top.is_dir() and not top.name.startswith(".")]
    for path in (path for top in tops for path in top.rglob("*.py")):
        if any(path.is_relative_to(place) for place in allowed):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            assert "storage.fts" not in names, f"{path.relative_to(ROOT)} imports storage.fts"


def test_only_the_metrics_adapter_knows_prometheus() -> None:
    # The core records through its Metrics port (bot/news/services/metrics.py); the Prometheus
    # vocabulary stays in one adapter, so another monitoring system replaces one file.
    for top in ("bot", "commands", "storage"):
        for path in (ROOT / top).rglob("*.py"):
            if path == ROOT / "bot" / "metrics.py":
                continue
            names = {name.split(".")[0] for name in _imports(path)}
            assert "prometheus_client" not in names, f"{path.relative_to(ROOT)} imports it"


def test_commands_never_touch_storage() -> None:
    for path in (ROOT / "commands").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in {"storage", "aiosqlite", "asyncpg"}, f"{path.name} imports {name}"


def test_commands_never_import_the_discord_client_or_the_runtime() -> None:
    # The cogs get their services as ``commands.services.BotServices``; importing the client
    # (which imports the cogs) was a loop.
    runtime = {"bot.client", "bot.runner", "bot.app", "bot.publisher", "bot.cli"}
    for path in (ROOT / "commands").rglob("*.py"):
        for name in _imports(path):
            assert name not in runtime, f"{path.name} imports {name}"


def test_only_the_composition_root_opens_storage() -> None:
    # Everything else gets its repositories from bot/app.py (``Newsroom.storage``, the port).
    for package in ("bot", "commands"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "bot" / "app.py":
                continue
            for name in _imports(path):
                top = name.split(".")[0]
                assert top not in {"storage", "aiosqlite", "asyncpg"}, f"{path.name} imports {name}"


def test_only_the_postgresql_package_knows_asyncpg() -> None:
    # The SQLite package (the default) never loads the PostgreSQL driver, and PostgreSQL's
    # rows and errors stay in storage/postgres/ (storage/connect.py imports it on demand).
    for path in (ROOT / "storage").rglob("*.py"):
        if path.is_relative_to(ROOT / "storage" / "postgres"):
            continue
        names = {name.split(".")[0] for name in _imports(path)}
        assert "asyncpg" not in names, f"{path.relative_to(ROOT)} imports asyncpg"


def test_importing_everything_needs_no_token_and_configures_nothing(tmp_path: Path) -> None:
    modules = _modules("bot") + _modules("storage") + _modules("commands")
    code = (
        "import importlib, logging\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(len(logging.getLogger().handlers))\n"
    )
    result = _run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0", "importing configured logging"
    assert list(tmp_path.iterdir()) == [], "importing created files"

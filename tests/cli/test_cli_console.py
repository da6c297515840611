"""Ctrl-C while ``shopwire`` is still loading is one line and status 130, never a traceback.

Loading the CLI (``bot.cli`` and its imports, argparse, the settings) takes a moment before a
command handles Ctrl-C itself; a probe that sent SIGINT 0.05-0.35 s after start got a
``KeyboardInterrupt`` traceback and status -2. The interrupt is raised here where a real one
would land, so the test needs no timing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import signal
import sys
from collections.abc import Iterator, Sequence
from types import ModuleType

import pytest

from bot import console


class _InterruptingImport(importlib.abc.MetaPathFinder):
    """Raises KeyboardInterrupt when ``bot.cli`` is imported, as Ctrl-C during its import."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "bot.cli":
            raise KeyboardInterrupt
        return None


@pytest.fixture(autouse=True)
def sigterm_handler_restored() -> Iterator[None]:
    # console.main installs its SIGTERM handler process-wide: pytest's own must come back.
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_the_console_script_is_the_guarded_entry_point() -> None:
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert scripts["shopwire"].value == "bot.console:main"


def test_ctrl_c_while_the_cli_is_imported_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "bot.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_InterruptingImport(), *sys.meta_path])

    assert console.main() == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_while_arguments_and_settings_are_read_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.cli

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.cli, "run_cli", interrupted)

    assert console.main() == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_sigterm_before_a_command_takes_it_is_one_line_like_ctrl_c(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It ended the process silently with status 143 (always for `latest` and `search`).
    import bot.cli

    def terminated(*args: object) -> int:
        signal.raise_signal(signal.SIGTERM)
        return 0

    monkeypatch.setattr(bot.cli, "run_cli", terminated)

    assert console.main() == 130
    assert capsys.readouterr().err == "interrupted\n"

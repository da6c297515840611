"""Every subcommand's --help says what it does and shows examples, like `gh`."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from bot.cli import build_parser
from bot.cli_help import HELP_PAGES


def subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every subcommand parser, at any depth, by its path ("feeds", "add")."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[(*path, name)] = sub
                found.update(subcommands(sub, (*path, name)))
    return found


ALL = subcommands(build_parser())


def test_every_help_page_belongs_to_a_subcommand() -> None:
    assert len(ALL) >= 15
    assert set(HELP_PAGES) == set(ALL)


@pytest.mark.parametrize("path", sorted(ALL), ids=" ".join)
def test_a_subcommands_help_has_a_description_and_examples(path: tuple[str, ...]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        build_parser().parse_args([*path, "--help"])
    assert done.value.code == 0
    text = out.getvalue()
    description = text.split("\n\n")[1]  # after the usage lines
    assert not description.startswith(("positional arguments", "options")), text
    assert len(description.split()) >= 5
    examples = text.split("\nexamples:\n", 1)[1].splitlines()
    assert examples and all(e.startswith(f"  $ shopwire {' '.join(path)}") for e in examples)

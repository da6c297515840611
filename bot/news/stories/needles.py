"""Needles: strings one of which any match of a regular expression must hold.

A pattern that starts with ``\\b`` (or a look-behind) has no literal prefix, so the regex
engine tries it at every position of a text; a few substring tests (C speed, and skipping
ahead) tell first whether it can match at all. Read from the pattern's parse tree, so the
needles stay right when the pattern changes: only consumed literal characters are taken, and
whatever the reading does not know ends a needle where it stands (a shorter needle is a
weaker test, never a wrong one).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# The standard library's own regex parser (what ``re.compile`` reads a pattern with): private,
# hence imported by name; any surprise in what it returns makes ``needles`` give up (None).
_PARSER: Any = importlib.import_module("re._parser")
_C: Any = importlib.import_module("re._constants")

_LIMIT = 64
"""At most this many needles: a pattern that spreads into more is read only this far."""

_Needles = tuple[set[str], set[str]]
"""Needles ended (``done``) and those still growing with the next character (``open``)."""


def needles(pattern: str) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` (compiled without flags) holds; None
    when some match may hold none of them (an empty needle) or the pattern cannot be read."""
    try:
        parsed = _PARSER.parse(pattern)
        if parsed.state.flags & _C.SRE_FLAG_IGNORECASE:
            return None  # (the needles would have to be read in every case)
        done, growing = _read(list(parsed), {""})
    except (re.error, TypeError, ValueError, AttributeError, IndexError, RecursionError):
        return None
    found = done | growing
    if not found or "" in found:
        return None
    return frozenset(found)


def _read(ops: list[Any], growing: set[str]) -> _Needles:
    """The needles of a sequence of parsed ops, each of ``growing`` extended as far as the
    sequence is read."""
    done: set[str] = set()
    for op, arg in ops:
        if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
            continue  # zero width: what the match consumes runs on unbroken
        if op is _C.LITERAL:
            growing = {needle + chr(arg) for needle in growing}
        elif op is _C.IN and arg and all(kind is _C.LITERAL for kind, _ in arg):
            growing = {needle + chr(code) for needle in growing for _, code in arg}
        elif op is _C.BRANCH:
            ended, opened = set(), set()
            for branch in arg[1]:
                more_done, more_growing = _read(list(branch), growing)
                ended |= more_done
                opened |= more_growing
            done |= ended
            growing = opened
        elif op is _C.SUBPATTERN and not arg[1] and not arg[2]:
            more_done, growing = _read(list(arg[3]), growing)
            done |= more_done
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and arg[0] == 0 and arg[1] == 1:
            # Optional: the needles both without it and with it.
            more_done, more_growing = _read(list(arg[2]), growing)
            done |= more_done
            growing = growing | more_growing
        else:
            return done | growing, set()
        if len(done) + len(growing) > _LIMIT:
            return done | growing, set()
    return done, growing

"""The suite stays green on a busy machine: no test asserts that something was quick, and no
wait on an event gives up after a few seconds (issue 9 item 13).

Read from the tests' syntax trees: an ``assert`` that bounds from above a value computed from a
clock (``time.perf_counter()``, ``loop.time()``, a fixture returning one), and a wait with a
literal ceiling under ``MIN_CEILING``. Lower bounds stay allowed: load only lengthens a sleep.
Figures that matter are measured by the scripts in ``benchmarks/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.fakediscord.records import WAIT_CEILING

TESTS = Path(__file__).resolve().parent
# The shortest literal ceiling a wait on an event may have, in seconds.
MIN_CEILING = 30
_CLOCKS = {"perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time"}
_WAITS = {"wait_for", "wait", "response", "choices"}


def _is_clock(node: ast.AST, timed: set[str]) -> bool:
    """Whether ``node`` reads a clock, directly or through a name or function that does."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in timed:
            return True
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            attribute = child.func.attr
            if attribute in _CLOCKS or (attribute == "time" and not child.args):
                return True
    return False


def _timed_names(tree: ast.Module) -> set[str]:
    """Names (variables, functions, fixtures) whose value comes from a clock."""
    timed: set[str] = set()
    while True:
        before = len(timed)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _is_clock(node.value, timed):
                timed |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif (  # timings.append(time.perf_counter() - started)
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr == "append"
                and any(_is_clock(arg, timed) for arg in node.args)
            ):
                timed.add(node.func.value.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                results = [
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Return | ast.Yield) and n.value is not None
                ]
                if any(_is_clock(value, timed) for value in results):
                    timed.add(node.name)
        if len(timed) == before:
            return timed


def _literal(node: ast.AST | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None


def findings(source: str, name: str) -> list[str]:
    """Each wall-clock upper bound and each short wait in one test module, as ``file:line``."""
    tree = ast.parse(source)
    timed = _timed_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
                left = compare.left
                for op, right in zip(compare.ops, compare.comparators, strict=True):
                    upper = (isinstance(op, ast.Lt | ast.LtE) and _is_clock(left, timed)) or (
                        isinstance(op, ast.Gt | ast.GtE) and _is_clock(right, timed)
                    )
                    if upper:
                        found.append(f"{name}:{node.lineno} asserts an elapsed time")
                    left = right
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if not (called in _WAITS or called.startswith("wait_")):
                continue
            ceilings = [_literal(k.value) for k in node.keywords if k.arg == "timeout"]
            if called == "wait_for" and len(node.args) >= 2:
                ceilings.append(_literal(node.args[1]))
            if any(c is not None and c < MIN_CEILING for c in ceilings):
                found.append(f"{name}:{node.lineno} waits less than {MIN_CEILING} s")
    return found


def test_no_test_asserts_elapsed_time_or_waits_briefly() -> None:
    found = [
        finding
        for path in sorted(TESTS.rglob("*.py"))
        if "fakediscord" not in path.parts  # the fake's own code, not tests
        for finding in findings(path.read_text(), str(path.relative_to(TESTS)))
    ]
    assert found == []


def test_the_fake_discords_waits_default_to_a_generous_ceiling() -> None:
    short = []
    for path in sorted((TESTS / "fakediscord").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.kwonlyargs
                for argument, default in zip(arguments, node.args.kw_defaults, strict=True):
                    ceiling = _literal(default)
                    if argument.arg == "timeout" and ceiling is not None and ceiling < MIN_CEILING:
                        short.append(f"{path.name}:{node.lineno} {node.name}")
    assert WAIT_CEILING >= MIN_CEILING
    assert short == []


def test_the_check_sees_elapsed_time_through_names_and_fixtures() -> None:
    source = """
import time
def timer():
    started = time.monotonic()
    yield lambda: time.monotonic() - started
def test_a(timer):
    assert timer() < 2
def test_b(loop):
    started = loop.time()
    took = loop.time() - started
    assert took < 0.45, took
    assert took >= 0.85
def test_c():
    started = time.perf_counter()
    assert 2.0 > time.perf_counter() - started
    timings = []
    timings.append(time.perf_counter() - started)
    assert max(timings) < 1
async def test_d(handle, fake):
    await handle.wait_original(timeout=5)
    await asyncio.wait_for(fake.stop(), 10)
    await asyncio.wait_for(fake.stop(), 60)
    await handle.wait_original()
"""
    assert findings(source, "t.py") == [
        "t.py:7 asserts an elapsed time",
        "t.py:11 asserts an elapsed time",
        "t.py:15 asserts an elapsed time",
        "t.py:18 asserts an elapsed time",
        "t.py:20 waits less than 30 s",
        "t.py:21 waits less than 30 s",
    ]


def test_hypothesis_examples_have_no_deadline() -> None:
    # A deadline is a wall-clock assertion; tests/conftest.py turns it off for every test.
    from hypothesis import settings

    assert settings().deadline is None

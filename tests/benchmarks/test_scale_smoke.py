"""Smoke test of ``benchmarks/scale.py``: its smallest run, on SQLite alone, goes through every
phase with the real `shopwire run` process and ends with its JSON line; without a PostgreSQL
server it says in one line what a PostgreSQL run needs. Figures are not checked (a busy machine
makes any of them flaky); the script measures them. Bounded waits; the process is reaped.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.ceiling import CEILING
from tests.fakes.environment import clean_environ

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scale.py"


async def run_scale(*args: str) -> tuple[int, str, str]:
    env = clean_environ()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Each of the script's own waits ends at --ceiling; a whole run is a few of them.
        out, err = await asyncio.wait_for(process.communicate(), 5 * CEILING)
    finally:
        if process.returncode is None:
            process.terminate()  # the script stops its bot process on SIGTERM
            await asyncio.wait_for(process.wait(), CEILING)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_smallest_sqlite_run_reports_every_phase(tmp_path: Path) -> None:
    code, out, err = await run_scale(
        "--runs", "sqlite", "--feeds", "4", "--channels", "2", "--items-per-feed", "1",
        "--samples", "2", "--per-round", "2", "--ceiling", "60", "--logs", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(out.splitlines()[-1])
    (run,) = report["runs"]
    assert (run["run"], run["backend"], run["items_stored"]) == ("sqlite", "sqlite", 4)
    assert run["cold"]["complete"] and run["stories"]["complete"]
    posts = run["feed_to_channel"]
    assert (posts["samples"], posts["missed"]) == (2, 0)
    assert run["exit_codes"] == {"all": 0}
    assert run["stage_failures"] == 0


async def test_a_postgresql_run_without_a_server_says_what_it_needs() -> None:
    code, out, err = await run_scale("--runs", "sqlite,pg-2", "--feeds", "4", "--channels", "2")
    assert code == 1 and not out
    assert err.count("\n") == 1
    assert "pg-2" in err and "SHOPWIRE_BENCH_POSTGRES_URL" in err and "--runs sqlite" in err

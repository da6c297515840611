"""Output redirected to a full disk is one line on stderr and status 1, not a traceback."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.fakes.environment import clean_environ

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")


@pytest.mark.parametrize(
    "args",
    [("feeds", "export-opml"), ("feeds", "list", "--json"), ("feeds", "list")],
)
async def test_a_full_disk_under_stdout_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    environment = clean_environ()
    # The seeded catalogue gives every command here something to write.
    environment.update({"SHOPWIRE_DB": str(tmp_path / "news.db")})
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=tmp_path,
            env=environment,
            stdout=full,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        os.close(full)

    assert process.returncode == 1
    assert err.decode() == "error: could not write the output: No space left on device\n"

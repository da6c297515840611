"""`feeds import-opml` reads at most one byte past the OPML limit, whatever it is given."""

from __future__ import annotations

import asyncio
import resource
import sys
from pathlib import Path

import pytest

from tests.fakes.environment import clean_environ


def _at_most_a_gigabyte() -> None:
    # A regression then fails with MemoryError instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
async def test_an_endless_opml_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    environment = clean_environ()
    environment.update({"SHOPWIRE_DB": str(tmp_path / "news.db"), "SHOPWIRE_SEED_CATALOGUE": "0"})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "feeds",
        "import-opml",
        "/dev/zero",
        cwd=tmp_path,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_at_most_a_gigabyte,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)

    assert process.returncode == 1
    assert err.decode() == "error: the OPML file is larger than 5 MB\n"

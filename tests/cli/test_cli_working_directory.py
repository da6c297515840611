"""Files in the directory where ``shopwire`` runs are never imported by its Python processes.

Multiprocessing's fork server (and so every parse worker) is a ``python -c`` process, which puts
its working directory first on the module path: an ``inspect.py`` beside the database was
imported in place of the standard module, every parse failed with tracebacks on the terminal,
and the file's code ran. The real console script, a loopback feed server; bounded waits.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli_end_to_end import SHEIN, TEMU
from tests.cli.test_cli_signals import stored_titles
from tests.fakes.environment import clean_environ
from tests.fakes.feedserver import FeedServer, rss

CONSOLE_SCRIPT = Path(sys.executable).with_name("shopwire")
CEILING = 120.0

# Each writes a marker beside itself when imported, then breaks the module it shadows.
IMPOSTOR = (
    "from pathlib import Path\n"
    "Path(__file__).with_suffix('.imported').touch()\n"
    "raise SystemExit('impostor module')\n"
)


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="the shopwire console script is needed")
async def test_modules_in_the_working_directory_are_not_imported_by_workers(
    tmp_path: Path,
) -> None:
    for name in ("inspect", "email", "html", "dataclasses"):
        (tmp_path / f"{name}.py").write_text(IMPOSTOR)
    db = tmp_path / "news.db"
    environment = clean_environ()
    environment.update({"SHOPWIRE_DB": str(db), "SHOPWIRE_SEED_CATALOGUE": "0"})
    environment.pop("PYTHONSAFEPATH", None)
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss([TEMU, SHEIN]))
        for args in (("feeds", "add", "--no-check", url), ("poll",)):
            process = await asyncio.create_subprocess_exec(
                str(CONSOLE_SCRIPT),
                *args,
                cwd=tmp_path,
                env=environment,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), CEILING)
            assert process.returncode == 0, err.decode()
            assert "Traceback" not in err.decode()

    assert "2 new" in out.decode()
    assert imported_impostors(tmp_path) == []
    assert stored_titles(db) == {TEMU[1], SHEIN[1]}


def imported_impostors(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.imported"))

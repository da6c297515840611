"""One `shopwire run` per SQLite file: a second is refused in one line, whoever holds the
lock, and a holder killed with SIGKILL leaves the file free (the kernel drops the lock)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.news.model.errors import StorageError
from storage.run_lock import SUFFIX, sole_run
from tests.ceiling import CEILING
from tests.fakes.environment import clean_environ


def test_a_second_holder_of_one_sqlite_file_is_refused_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "shopwire.db")
    with sole_run(db):
        for form in (db, f"sqlite:///{db}"):
            with pytest.raises(StorageError) as refused, sole_run(form):
                pass  # pragma: no cover - never reached
            line = str(refused.value)
            assert "another shopwire run already uses this SQLite file" in line
            assert "\n" not in line and "PostgreSQL" in line
    # Released with the block: the next run takes it.
    with sole_run(db):
        pass


def test_other_files_postgresql_and_memory_are_not_locked(tmp_path: Path) -> None:
    with sole_run(str(tmp_path / "a.db")), sole_run(str(tmp_path / "b.db")):
        pass
    with sole_run(":memory:"), sole_run(":memory:"):
        pass
    with sole_run("postgresql://u@127.0.0.1:1/db"), sole_run("postgresql://u@127.0.0.1:1/db"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db" + SUFFIX, "b.db" + SUFFIX]


def test_a_lock_file_that_cannot_be_created_lets_the_run_go_on(tmp_path: Path) -> None:
    db = str(tmp_path / "missing-folder" / "shopwire.db")
    with sole_run(db):
        pass


def test_a_holder_killed_with_sigkill_leaves_the_file_free(tmp_path: Path) -> None:
    db = str(tmp_path / "shopwire.db")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom storage.run_lock import sole_run\n"
            f"with sole_run({db!r}):\n    print('held', flush=True)\n    sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(StorageError), sole_run(db):
            pass  # pragma: no cover - never reached
        holder.send_signal(signal.SIGKILL)
        holder.wait(CEILING)
        with sole_run(db):
            pass
    finally:
        if holder.poll() is None:  # pragma: no cover - only when an assertion failed
            holder.kill()
            holder.wait(CEILING)


def test_shopwire_run_on_a_sqlite_file_another_run_holds_stops_with_one_line(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "shopwire.db")
    env = {
        **clean_environ(),
        "SHOPWIRE_DB": db,
        "DISCORD_TOKEN": "not-a-real-token",
        # Refused before connecting: nothing may reach past loopback even if it were not.
        "SHOPWIRE_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        "SHOPWIRE_DISCORD_GATEWAY": "ws://127.0.0.1:9/",
    }
    with sole_run(db):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            capture_output=True,
            timeout=CEILING,
            cwd=Path(__file__).resolve().parents[2],
        )
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "another shopwire run already uses this SQLite file" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert not Path(db).exists()  # refused before opening (and so creating) the database

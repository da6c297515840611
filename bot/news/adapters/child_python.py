"""A fresh Python interpreter that talks to this process over a pipe: the story worker and its
text reader each run in one.

A fresh interpreter (not multiprocessing's spawn, which re-runs the owner's main module)
imports only what its program asks for; the directory that holds the ``bot`` package is put on
its path so that it imports this checkout's code however the owner was started.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
"""The directory that holds the ``bot`` package, for the child's imports."""


def start_child(program: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Start ``python -c program`` with the child's end of a duplex pipe and this process's pid
    as its arguments (``sys.argv[1:]``); the process and this end of the pipe. Raises
    ``OSError`` (nothing left open) when it cannot start."""
    ours, theirs = multiprocessing.Pipe(duplex=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (_ROOT, env.get("PYTHONPATH"))))
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", program, str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
        )
    except OSError:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, ours


def stop_child(
    process: subprocess.Popen[bytes] | None, conn: Connection | None, timeout: float
) -> None:
    """Ask a child that ``start_child`` started to stop (``None`` down its pipe), and kill it
    if it has not exited within ``timeout`` seconds."""
    if conn is not None:
        with contextlib.suppress(OSError, ValueError):
            conn.send(None)
        conn.close()
    if process is not None:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

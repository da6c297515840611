"""The story clusterer in a process of its own (the bot's ``Placer``).

Placing stories is pure Python: run in the bot's process, even in a thread, it holds the
interpreter that answers Discord for most of each batch, and it cannot use the second core
while the database stores the batch before. In a worker process it does neither: the bot's
process only sends a batch and receives the placements.

The worker holds one ``StoryClusterer`` and answers one call at a time over a pipe. It ends
when told to, when its pipe closes, or when its owner dies however it dies (``parent_watch``).
A call that fails in the worker raises ``StoryWorkerError`` here, and a worker that died is
never reused: the assigner then closes this placer and rebuilds the clusterer from what was
stored, in a new worker.

The worker is a fresh interpreter that imports the clustering code and nothing else. It is
not started by multiprocessing's "spawn", which runs the owner's main module again in the
child (for ``shopwire run`` the whole bot: Discord, storage, the CLI): that was most of the
0.7 s a worker took to start. It starts when the placer is made, so that its start-up
overlaps the reads of what a restart rebuilds from.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
import subprocess
import sys
import traceback
from collections.abc import Awaitable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.news.adapters.child_python import start_child, stop_child
from bot.news.adapters.parent_watch import watch
from bot.news.adapters.text_reader import TextReader, warm
from bot.news.services.story_placing import (
    Placed,
    Placement,
    Restored,
    agrees,
    hold_items,
    load_clusterer,
    load_while,
    place_batch,
    rebuild_clusterer,
    state_encoder,
)
from bot.news.stories.model import PreparedItem, StoryConfig, StoryItem

if TYPE_CHECKING:
    from bot.news.services.story_placing import Placer
    from bot.news.stories.clusterer import StoryClusterer
    from bot.news.stories.snapshot import StateEncoder

_START_TIMEOUT = 60.0
"""Seconds a new worker may take to say it is ready (it imports the clustering code)."""
_STOP_TIMEOUT = 5.0
"""Seconds a worker told to stop may take before it is killed."""
_READER_WAIT = 10.0
"""Seconds a rebuild waits for the text reader to be ready before it answers (a reader that
is later still is used once it is)."""


class StoryWorkerError(RuntimeError):
    """The story worker failed a call, or is gone."""


_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "from bot.news.adapters.story_worker import serve; serve()"
)
"""The worker's program (``python -c``): Ctrl-C is ignored from its first line on."""


def serve() -> None:
    """The worker process's entry: its argv names the pipe's descriptor and the owner's pid;
    the first message on the pipe is the ``StoryConfig``."""
    conn = Connection(int(sys.argv[1]))
    owner = int(sys.argv[2])
    try:
        config = conn.recv()
        _worker_main(conn, owner, config)
    except (EOFError, OSError):
        # The owner's end of the pipe closed (it stopped, or died, even before the worker
        # said it was ready): nothing is left to answer, and nothing to say on its stderr.
        return


def _worker_main(conn: Connection, owner: int, config: StoryConfig) -> None:
    """The worker's life: answer calls until told to stop. Every call gets one reply:
    ("ok", result) or ("error", text)."""
    # Ctrl-C and SIGTERM are the owner's business: it stops the worker in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    watch(owner)
    # Most of a big batch's text is read in a second process (``text_reader``), a step ahead
    # of this one placing it: the same features, on the other core. It starts first, so
    # that its start-up runs beside this one's and is paid as the bot starts. (It started at
    # the first big batch, which the worker then read alone while the reader started: 0.3 s
    # of its CPU for that batch against 0.15-0.2 s for the later ones.)
    reader = TextReader(config)
    reader.start()
    try:
        # Imported before saying ready: meanwhile the owner reads what to rebuild from.
        importlib.import_module("bot.news.stories.clusterer")
        importlib.import_module("bot.news.stories.snapshot")
        from bot.news.stories.features import Featurizer

        warm(Featurizer(config))
        _answer_calls(conn, config, reader)
    finally:
        reader.close()


def _answer_calls(conn: Connection, config: StoryConfig, reader: TextReader) -> None:
    """Answer the owner's calls until told to stop (or its pipe closes)."""
    clusterer: StoryClusterer | None = None
    loaded: StoryClusterer | None = None  # decoded by "restore", kept if it "agrees"
    encoder: StateEncoder | None = None
    conn.send(("ready", None))
    while True:
        try:
            call = conn.recv()
        except (EOFError, OSError):
            return
        if call is None:
            return
        name, args = call
        reply: tuple[str, object]
        state: bytes | None = None
        try:
            # The saved state (megabytes) follows its call as raw bytes, never pickled: a
            # pickle would copy it twice more.
            state = conn.recv_bytes() if name == "restore" else None
        except (EOFError, OSError):
            return
        try:
            if name == "rebuild":
                held = list(map(PreparedItem, *args[0]))
                clusterer, restored = rebuild_clusterer(held, args[1], config)
                encoder = None
                reply = ("ok", restored)
                # A rebuilt clusterer is about to place a backlog (a new database's first
                # poll, or what came in since a crash): its first batch finds the reader
                # ready. Not when restored (a restart then answers at once), nor in "ready":
                # waiting there doubled a loaded machine's worker start-up (0.2-0.3 s -> 0.5-1.2 s).
                reader.wait_ready(_READER_WAIT)
            elif name == "restore":
                assert state is not None
                loaded = load_clusterer(state, args[0], config)
                reply = ("ok", loaded is not None)
            elif name == "agrees":
                found, loaded = loaded, None
                ok = found is not None and agrees(found, list(zip(*args, strict=True)))
                if ok:
                    clusterer, encoder = found, None
                reply = ("ok", ok)
            elif clusterer is None:
                raise RuntimeError("the worker's clusterer was never built")
            elif name == "hold":
                reply = ("ok", hold_items(clusterer, args[0], args[1]))
            elif name == "snapshot":
                encoder = encoder or state_encoder()
                state = encoder.encode(clusterer)
                reply = ("ok", None)
            else:
                texts = reader.stream(args[0], args[1])
                try:
                    reply = ("ok", place_batch(clusterer, args[0], args[1], args[2], texts))
                finally:
                    if texts is not None:
                        texts.finish()
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        conn.send(reply)
        if name == "snapshot" and reply[0] == "ok":
            assert state is not None
            conn.send_bytes(state)


async def _as_bool(call: Awaitable[object]) -> bool:
    result = await call
    assert isinstance(result, bool)
    return result


class ProcessPlacer:
    """A ``Placer`` whose clusterer lives in a worker process, started when the placer is
    made (and again at the first call after ``close``)."""

    def __init__(self, config: StoryConfig) -> None:
        self._config = config
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._broken = False
        self._start()

    async def rebuild(self, held: Sequence[PreparedItem], next_story_id: int) -> Restored:
        # As three columns: pickling 10,000 dataclasses costs four times as much.
        columns = ([r.item_id for r in held], [r.story_id for r in held], [r.data for r in held])
        result = await self._call("rebuild", columns, next_story_id)
        assert isinstance(result, Restored)
        return result

    async def restore(self, state: bytes, placed: Placed, next_story_id: int) -> bool:
        # The worker decodes the state while ``placed`` reads the stored placements.
        loading = self._call("restore", next_story_id, blob=state)
        pairs = await load_while(_as_bool(loading), placed)
        if pairs is None:
            return False
        # The pairs as two columns, as ``rebuild``'s rows.
        result = await self._call("agrees", [p[0] for p in pairs], [p[1] for p in pairs])
        assert isinstance(result, bool)
        return result

    async def snapshot(self) -> bytes:
        result = await self._call("snapshot")
        assert isinstance(result, bytes)
        return result

    async def ready(self) -> None:
        """Wait until the worker has started (it imports the clustering code): a restart's
        first run then finds it ready. Raises ``StoryWorkerError`` as a call does."""
        try:
            await asyncio.to_thread(self._running)
        except (EOFError, OSError) as exc:
            self._broken = True
            raise StoryWorkerError(
                f"the story worker stopped: {exc or type(exc).__name__}"
            ) from exc

    async def hold(
        self, items: Sequence[tuple[StoryItem, int]], now: datetime
    ) -> tuple[tuple[int, str], ...]:
        result = await self._call("hold", list(items), now)
        assert isinstance(result, tuple)
        return result

    async def place(self, batch: Sequence[StoryItem], now: datetime, first_id: int) -> Placement:
        result = await self._call("place", list(batch), now, first_id)
        assert isinstance(result, Placement)
        return result

    async def close(self) -> None:
        await asyncio.to_thread(self._stop)

    @property
    def pid(self) -> int | None:
        """The worker's process id, once started (for tests and logs)."""
        return None if self._process is None else self._process.pid

    # --- internals ----------------------------------------------------------------------------

    async def _call(self, name: str, *args: object, blob: bytes | None = None) -> object:
        if self._broken:
            raise StoryWorkerError("the story worker failed earlier; close and start again")
        # The pipe is used by one call at a time, in a thread: waiting for the worker must
        # not hold the event loop.
        try:
            return await asyncio.to_thread(self._exchange, name, args, blob)
        except BaseException:
            # A call given up half way (cancelled, or the worker died) leaves a reply that
            # nobody will read: the worker cannot be trusted with the next call.
            self._broken = True
            raise

    def _exchange(self, name: str, args: tuple[object, ...], blob: bytes | None) -> object:
        """One call and its reply; a ``blob`` (a saved state) follows the call as raw bytes,
        and a snapshot's state follows its reply the same way."""
        try:
            conn = self._running()
            conn.send((name, args))
            if blob is not None:
                conn.send_bytes(blob)
            kind, value = conn.recv()
            if kind == "ok" and name == "snapshot":
                value = conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise StoryWorkerError(
                f"the story worker stopped: {exc or type(exc).__name__}"
            ) from exc
        if kind != "ok":
            raise StoryWorkerError(f"the story worker failed: {value}")
        return value

    def _start(self) -> None:
        """Start the worker; ``_running`` waits for it to be ready."""
        try:
            process, ours = start_child(_BOOT)
        except OSError as exc:
            raise StoryWorkerError(f"the story worker could not start: {exc}") from exc
        self._process, self._conn, self._ready = process, ours, False
        # A few hundred bytes: the pipe's buffer takes them before the worker reads. A worker
        # that is gone already is found out when it does not say it is ready.
        with contextlib.suppress(OSError):
            ours.send(self._config)

    def _running(self) -> Connection:
        if self._conn is None:
            self._start()
        conn = self._conn
        assert conn is not None
        if not self._ready:
            if not conn.poll(_START_TIMEOUT):
                self._stop()
                raise StoryWorkerError(
                    f"the story worker did not start within {_START_TIMEOUT:g} s"
                )
            conn.recv()
            self._ready = True
        return conn

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        stop_child(process, conn, _STOP_TIMEOUT)
        self._ready = self._broken = False


if TYPE_CHECKING:

    def _implements_the_port(placer: ProcessPlacer) -> Placer:
        return placer

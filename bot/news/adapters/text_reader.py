"""A second process that reads items' text for the story worker, on the other core.

Reading an item's text (``Featurizer.extract``: tokens, stems, places, amounts, names) was
about half of what the story worker spent on a cold poll's items, and it needs nothing but
the item: the worker hands half of a big batch's texts to this reader, reads the other half
itself meanwhile, and weighs them all in order. What is read is the same wherever it is read,
so the stories are the same; only the time it takes changes, when a core is free.

The reader is a fresh interpreter (as the worker is: ``python -c``, not multiprocessing's
"spawn") that imports the feature code and nothing else. It starts with the worker (whose
rebuild of its clusterer waits a while for it) and is used once it says it is ready; a
reader that fails or is gone is never used again, and its share is read by the worker
itself. It ends when told to, when its pipe closes, or when the worker dies however it dies
(``parent_watch``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.news.adapters.child_python import start_child, stop_child
from bot.news.adapters.parent_watch import watch
from bot.news.stories.model import StoryConfig, StoryItem

if TYPE_CHECKING:
    from bot.news.stories.features import Featurizer, TextFeatures

SPLIT_FROM = 100
"""Items without stored text features from which a batch's reading is split in two: below
it, the round trip and the copies cost more than the half they save."""
_ANSWER_TIMEOUT = 60.0
"""Seconds the reader may take to answer a batch (half a cold poll's batch takes about 0.05 s
of CPU); past it the worker reads that half itself."""
_STOP_TIMEOUT = 5.0
"""Seconds a reader told to stop may take before it is killed."""

_BOOT = (
    "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "from bot.news.adapters.text_reader import serve; serve()"
)
"""The reader's program (``python -c``): Ctrl-C is ignored from its first line on."""


def serve() -> None:
    """The reader process's entry: its argv names the pipe's descriptor and the owner's pid;
    the first message on the pipe is the ``StoryConfig``. Each later message is a list of
    items' texts (``_Text``), answered with ("ok", what was read of each, in order: ``_Read``)
    or ("error", text); None ends it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn = Connection(int(sys.argv[1]))
    watch(int(sys.argv[2]))
    from bot.news.stories.features import Featurizer

    try:
        featurizer = Featurizer(conn.recv())
        warm(featurizer)
        conn.send(("ready", None))
        while (texts := conn.recv()) is not None:
            reply: tuple[str, object]
            try:
                reply = ("ok", [_read(featurizer, *text) for text in texts])
            except Exception as exc:
                reply = ("error", f"{type(exc).__name__}: {exc}")
            conn.send(reply)
    except (EOFError, OSError):
        return  # the worker's end of the pipe closed: nothing is left to answer


_Text = tuple[str, str, str]
"""What reading an item needs of it: its title, summary and source. (Plain tuples: pickling
dataclasses goes through Python code for every item, which is what the split saves.)"""
_Bag = dict[str, int]  # ``keyterms.Bag``
_Read = tuple[str, dict[str, float], _Bag, _Bag, _Bag, _Bag, bool]
"""``TextFeatures``' fields after ``check``, in order."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def warm(featurizer: Featurizer) -> None:
    """Read one made-up item: the first reading of a fresh process compiles the patterns and
    builds the tables every reading uses (0.04 s of CPU), which is better paid as the process
    starts than in the first batch it is given. Results do not depend on it."""
    featurizer.extract(
        StoryItem(
            0,
            "Amazon will raise seller fees in Germany by 5% from March - Reuters",
            "Amazon will raise seller fees in Germany by 5% from March. The change affects "
            "20,000 merchants, the company said on Tuesday.",
            "Reuters",
            _EPOCH,
        ),
        "",
    )


def _read(featurizer: Featurizer, title: str, summary: str, source: str) -> _Read:
    """As ``Featurizer.text_of`` reads an item with no stored features (the rest of the item
    is not read)."""
    text = featurizer.extract(StoryItem(0, title, summary, source, _EPOCH), "")
    return (
        text.title,
        text.counts,
        text.places,
        text.numbers,
        text.names,
        text.title_places,
        text.short,
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class TextReader:
    """The worker's side of one reader process (synchronous: the worker answers one call at a
    time). ``read`` gives a batch's text features, half of them read by the reader when it is
    ready, all of them here otherwise."""

    def __init__(self, config: StoryConfig, featurizer: Featurizer | None = None) -> None:
        """``featurizer`` reads the worker's half (one of ``config`` is made when first
        needed): nothing is imported here, so that the worker can start the reader before it
        imports the feature code itself, and both imports run side by side."""
        self._config = config
        self._featurizer = featurizer
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._ready = False
        # One core: the reader would only take turns with the worker, and cost the copies.
        self._broken = _cores() < 2

    def read(self, items: Sequence[StoryItem], wait: float = 0.0) -> dict[int, TextFeatures] | None:
        """The text features of ``items`` with no stored ones (item id -> features), or
        None when the batch is too small to split or no reader is ready (the clusterer then
        reads them as usual). ``wait``: seconds to wait for a reader that is starting."""
        todo = [item for item in items if item.text is None]
        if len(todo) < SPLIT_FROM or self._broken:
            return None
        conn = self._usable(wait)
        if conn is None:
            return None
        # The reader takes the second half: the worker reads the first meanwhile.
        half = len(todo) // 2
        theirs = todo[half:]
        sent: list[_Text] = [(item.title, item.summary, item.source) for item in theirs]
        try:
            conn.send(sent)
        except (OSError, ValueError):
            self._give_up()
            return None
        extract = self._reading().extract
        texts = {item.item_id: extract(item, "") for item in todo[:half]}
        answer = self._answer(conn, len(theirs))
        if answer is None:
            answer = [extract(item, "") for item in theirs]
        texts.update(zip((item.item_id for item in theirs), answer, strict=True))
        return texts

    def start(self) -> None:
        """Start the reader now, not waited for (the worker starts it as it starts itself,
        so that a first big batch, a cold poll's, finds the reader ready instead of reading
        all of its text itself while the reader starts). Nothing on one core."""
        if self._conn is None and not self._broken:
            self._start()

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the reader (started if it is not) to be ready;
        whether it is."""
        return not self._broken and self._usable(timeout) is not None

    def _reading(self) -> Featurizer:
        if self._featurizer is None:
            from bot.news.stories.features import Featurizer

            self._featurizer = Featurizer(self._config)
        return self._featurizer

    @property
    def pid(self) -> int | None:
        """The reader's process id while one runs (for tests)."""
        return self._process.pid if self._process is not None else None

    def _answer(self, conn: Connection, expected: int) -> list[TextFeatures] | None:
        """The reader's features for the ``expected`` items sent, or None (it is given up)."""
        try:
            if conn.poll(_ANSWER_TIMEOUT):
                kind, value = conn.recv()
                if kind == "ok" and isinstance(value, list) and len(value) == expected:
                    from bot.news.stories.features import TextFeatures as make

                    return [make("", *read) for read in value]
        except (EOFError, OSError):
            pass
        self._give_up()
        return None

    def _usable(self, wait: float) -> Connection | None:
        """The reader's pipe when it is ready within ``wait`` seconds; starts it the first
        time (the worker does not wait for it: that batch is read here while it starts)."""
        if self._conn is None:
            self._start()
        conn = self._conn
        if conn is None:
            return None
        if not self._ready:
            try:
                if not conn.poll(wait):
                    return None
                conn.recv()
            except (EOFError, OSError):
                self._give_up()
                return None
            self._ready = True
        return conn

    def _start(self) -> None:
        try:
            process, ours = start_child(_BOOT)
        except OSError:
            self._broken = True
            return
        self._process, self._conn = process, ours
        with contextlib.suppress(OSError):
            ours.send(self._config)

    def _give_up(self) -> None:
        """A reader that failed is stopped and never started again."""
        self.close()
        self._broken = True

    def close(self) -> None:
        """Stop the reader, if one runs."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._ready = False
        stop_child(process, conn, _STOP_TIMEOUT)

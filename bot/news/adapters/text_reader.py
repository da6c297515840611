"""A second process that reads items' text for the story worker, on the other core.

Reading an item's text (``Featurizer.extract``: tokens, stems, places, amounts, names) was
about half of what the story worker spent on a cold poll's items, and it needs nothing but
the item: the worker hands a big batch's texts to this reader but the first step's (which it
reads itself), and the reader answers a step (``CHUNK``) at a time while the worker places
the step before (``StreamedTexts``). It used to read half the batch, the worker the other
half, both before placing began: the worker then read about 250 items of each 500 itself,
now 50, and the reader's reading runs beside placing instead of before it. What is read is
the same wherever it is read, so the stories are the same; only the time it takes changes,
when a core is free.

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
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from bot.news.adapters.child_python import start_child, stop_child
from bot.news.adapters.parent_watch import watch
from bot.news.stories import batchplan
from bot.news.stories.model import StoryConfig, StoryItem

if TYPE_CHECKING:
    from bot.news.stories.features import Featurizer, TextFeatures, TitleFacts

SPLIT_FROM = 100
"""Items without stored text features from which a batch's reading is shared with the
reader: below it, the round trip and the copies cost more than they save."""
CHUNK = 50
"""Texts per answer of the reader: one step of placing (``batchplan.STEP``), so that the
worker places each step while the reader reads the next."""
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
            # One answer per ``CHUNK`` texts, each sent as soon as it is read: the worker
            # places the first while this reads the next.
            for start in range(0, len(texts), CHUNK):
                reply: tuple[str, object]
                try:
                    chunk = texts[start : start + CHUNK]
                    reply = ("ok", [_read(featurizer, *text) for text in chunk])
                except Exception as exc:
                    reply = ("error", f"{type(exc).__name__}: {exc}")
                conn.send(reply)
    except (EOFError, OSError):
        return  # the worker's end of the pipe closed: nothing is left to answer


_Text = tuple[str, str, str, tuple[str, ...]]
"""What reading an item needs of it: its title, summary, source and companies. (Plain
tuples: pickling dataclasses goes through Python code for every item, which is what the split
saves.)"""
_Bag = dict[str, int]  # ``keyterms.Bag``
_Read = tuple[str, dict[str, float], _Bag, _Bag, _Bag, _Bag, bool, _Bag, bool, bool, bool]
"""``TextFeatures``' fields after ``check``, in order, then its ``TitleFacts`` but ``tagged``
(what the worker sent)."""
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


def _read(
    featurizer: Featurizer, title: str, summary: str, source: str, companies: tuple[str, ...]
) -> _Read:
    """As ``Featurizer.text_of`` reads an item with no stored features (the rest of the item
    is not read), and what ``weigh`` reads of its headline besides (``title_facts``: a sixth
    of the worker's CPU on a cold poll, done here on the other core)."""
    text = featurizer.extract(StoryItem(0, title, summary, source, _EPOCH), "")
    facts = featurizer.title_facts(text, companies)
    # Bags go as plain dicts: a Counter pickles through Python code (``__reduce__``) and is
    # unpickled through it too (``Counter.__init__``, ``update``, an ABC check), a dict in C
    # both ways. The worker weighs them as plain dicts, as it weighs decoded stored features
    # (``TextFeatures.decode``, ``Prepared.decode``): the clusterer reads bags only as
    # mappings, so nothing it decides or stores changes.
    return (
        text.title,
        text.counts,
        dict(text.places),
        dict(text.numbers),
        dict(text.names),
        dict(text.title_places),
        text.short,
        dict(facts.companies),
        facts.roundup,
        facts.preview,
        facts.denial,
    )


def _features(
    make: type[TextFeatures], facts: type[TitleFacts], item: StoryItem, read: _Read
) -> TextFeatures:
    """What ``_read`` read of ``item``, as the clusterer reads it."""
    (title, counts, places, numbers, names, title_places, short, weights, *flags) = read
    roundup, preview, denial = flags
    # Keyed by the item's own strings, not their copies from the reader: the clusterer's saved
    # state (``marshal``) writes a string shared by many items once, so it stays byte for byte
    # what it was. (The same keys in the same order: ``company_weights`` keys by ``companies``.)
    # A plain dict, as the other bags (see ``_read``).
    companies = {company: weights[company] for company in item.companies}
    return make(
        "",
        title,
        counts,
        places,
        numbers,
        names,
        title_places,
        short,
        facts=facts(item.companies, companies, roundup, preview, denial),
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
        """``stream``'s features, all of them read before this returns (item id -> features),
        or None as ``stream`` gives."""
        streamed = self.stream(items, None, wait)
        return None if streamed is None else dict(streamed.items())

    def stream(
        self, items: Sequence[StoryItem], now: datetime | None, wait: float = 0.0
    ) -> StreamedTexts | None:
        """The text features of ``items`` with no stored ones, as the clusterer asks for them
        (``StreamedTexts``), or None when the batch is too small to share or no reader is
        ready (the clusterer then reads them as usual). ``now``: the placing's (the order in
        which it asks). ``wait``: seconds to wait for a reader that is starting.

        The first ``CHUNK`` items in the order the clusterer places them (``batchplan``) are
        read here as it asks for them; the reader reads the rest, a ``CHUNK`` at a time, while
        the clusterer places what came before. Call ``finish`` once placed."""
        todo = [item for item in items if item.text is None]
        if len(todo) < SPLIT_FROM or self._broken:
            return None
        conn = self._usable(wait)
        if conn is None:
            return None
        todo.sort(key=lambda item: (batchplan.when(item, now), item.item_id))
        theirs = todo[CHUNK:]
        sent: list[_Text] = [
            (item.title, item.summary, item.source, item.companies) for item in theirs
        ]
        try:
            conn.send(sent)
        except (OSError, ValueError):
            self._give_up()
            return None
        return StreamedTexts(self, todo[:CHUNK], theirs)

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

    def extract(self, item: StoryItem) -> TextFeatures:
        """``item``'s text features read here, as the clusterer reads them."""
        return self._reading().extract(item, "")

    def _reading(self) -> Featurizer:
        if self._featurizer is None:
            from bot.news.stories.features import Featurizer

            self._featurizer = Featurizer(self._config)
        return self._featurizer

    @property
    def pid(self) -> int | None:
        """The reader's process id while one runs (for tests)."""
        return self._process.pid if self._process is not None else None

    def answer(self, items: Sequence[StoryItem]) -> list[TextFeatures] | None:
        """The reader's next answer: the features of the next ``items`` sent (a ``CHUNK`` or
        what was left), or None when it failed (and is given up) or is gone."""
        conn = self._conn
        return None if conn is None or not self._ready else self._answer(conn, items)

    def _answer(self, conn: Connection, items: Sequence[StoryItem]) -> list[TextFeatures] | None:
        """The reader's features for the ``items`` sent, or None (it is given up)."""
        try:
            if conn.poll(_ANSWER_TIMEOUT):
                kind, value = conn.recv()
                if kind == "ok" and isinstance(value, list) and len(value) == len(items):
                    from bot.news.stories.features import TextFeatures as make
                    from bot.news.stories.features import TitleFacts as facts

                    pairs = zip(items, value, strict=True)
                    return [_features(make, facts, item, read) for item, read in pairs]
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


class StreamedTexts(Mapping[int, "TextFeatures"]):
    """A batch's text features (item id -> features) as ``TextReader.stream`` shares them:
    the first items read here when asked for, the rest answered by the reader a ``CHUNK`` at a
    time, received when first asked for (so the clusterer places the first items while the
    reader reads the next). A chunk the reader fails to answer is read here."""

    def __init__(
        self, reader: TextReader, mine: Sequence[StoryItem], theirs: Sequence[StoryItem]
    ) -> None:
        self._reader = reader
        self._mine = {item.item_id: item for item in mine}
        self._chunks = [theirs[start : start + CHUNK] for start in range(0, len(theirs), CHUNK)]
        self._received = 0  # chunks answered
        self._waiting = {item.item_id for item in theirs}
        self._texts: dict[int, TextFeatures] = {}
        self._ids = list(dict.fromkeys([*self._mine, *(item.item_id for item in theirs)]))

    def __getitem__(self, item_id: int) -> TextFeatures:
        found = self._texts.get(item_id)
        if found is not None:
            return found
        item = self._mine.get(item_id)
        if item is not None:
            text = self._texts[item_id] = self._reader.extract(item)
            return text
        if item_id not in self._waiting:
            raise KeyError(item_id)
        while item_id in self._waiting:
            self._receive(read_here=True)
        return self._texts[item_id]

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def finish(self) -> None:
        """Receive the answers nobody asked for (items the clusterer held already): the
        reader's next answer must be the next batch's. Not read here if the reader failed."""
        while self._received < len(self._chunks):
            if not self._receive(read_here=False):
                return

    def _receive(self, *, read_here: bool) -> bool:
        """The next chunk's features, from the reader or (when it failed, and ``read_here``)
        read here; whether the reader answered."""
        chunk = self._chunks[self._received]
        self._received += 1
        answer = self._reader.answer(chunk)
        if answer is None and read_here:
            answer = [self._reader.extract(item) for item in chunk]
        for item, text in zip(chunk, answer or (), strict=False):
            self._texts[item.item_id] = text
        self._waiting.difference_update(item.item_id for item in chunk)
        return answer is not None

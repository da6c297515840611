"""The hand-written story set: 24 events told by 10-16 outlets each in their own words, and
78 look-alike events (same template, another country, amount, company or date).

Written by hand, not generated (``tests/data/stories_holdout/part_a.jsonl`` and
``part_b.jsonl``, one JSON object per line: id, event, lookalike_of, title, summary, source,
published, link). It is split by event: odd-numbered events and their look-alikes are the
*tuning* half, even-numbered ones the *held-out* half. Defaults are tuned on the first only;
figures quoted as accuracy come from the second.

Items are numbered the way a poll stores them, in one of two orders:

- ``"published"``: by publication time (feeds polled as items come out);
- ``"feeds"``: grouped by outlet, each outlet's items by time (a cold first poll of every
  feed at once: items of one event arrive far apart, interleaved with every other event).

Extra tuning data, kept out of both halves: ``tests/data/stories_tuning/part_c.jsonl`` (same
format, written by hand; 15 events "t01".."t15" told by 12-14 outlets each, 71 look-alike
events, November 2026), loaded by :func:`load_extra_tuning`. Its events differ from every
event of part_a/part_b, so tuning on it never sees the held-out half. Labels follow part_a/b:
a follow-up that is news of its own (an appeal the day after a fine, a regulator's approval
of a filed IPO, a funding round first reported as talks) is another event, a look-alike of
the first; a roundup or a weekly newsletter issue is an event of its own, a look-alike of
every event it mentions (and of the previous issue).

A second extra tuning file, ``stories_tuning/part_d.jsonl`` (written by hand; 14 events
"d01".."d14" told by 10-12 outlets each, 69 look-alike events, 1-20 December 2026), is aimed at
precision: look-alikes share company, place and topic with their event in the same week (Temu
opens a warehouse in Poland / Temu fined in Poland; two Amazon announcements at one event;
Chewy's quarter / Chewy's CEO leaving that evening / Petco's quarter; Naver buys Kurly / Coupang
buys 29CM), and it has headlines in Polish, German, Spanish, Indonesian, Korean, Lithuanian,
Dutch and French, title-only posts and "Headline - Publisher" titles. Same labels as part_c,
plus, for both files: an analysis or opinion piece about an event's news published by the
next day is part of that event (part_c's "Why Shopify is spending nearly $7 billion", part_d's
"Why Temu needs warehouses in Europe now"); one published later, or one about a theme several
events share (two IPOs in a week), is an event of its own, a look-alike of what it discusses. A
price reaction on the day is part of the event; the next trading day's move is a follow-up.
``load_extra_tuning(order, parts)`` loads part_c (the default), part_d, or both
(``EXTRA_TUNING_PARTS``).

A second, fresh held-out set, ``tests/data/stories_holdout2/items.jsonl`` (written by hand after
the defaults were set, by someone who never ran the clusterer on it; 24 events "h01".."h24" of
one week in October 2026, told by 10-15 outlets each, and 95 look-alike events; labels as
above, its README lists them), is loaded by :func:`load_holdout2`. It is for reporting only:
nothing is tuned on it, and it shares no event, headline or link with the sets above.

A third held-out set, ``tests/data/stories_holdout3/items.jsonl`` (written by hand by someone who
never read or ran the clustering code; 24 events "k01".."k24" of 16-22 November 2026, told by
12-15 outlets each, and 124 look-alike events; labels as above, its README lists them), is
loaded by :func:`load_holdout3`. Report only, as for the second.

A fourth held-out set, ``tests/data/stories_holdout4/items.jsonl`` (written by hand, after the
third had been reported several times, by someone who never read or ran the clustering code;
24 events "m01".."m24" of 23-29 November 2026, told by 12-14 outlets each, and 125 look-alike
events; labels as above, its README lists them), is loaded by :func:`load_holdout4`. Report
only, as for the second and third.

A fifth held-out set, ``tests/data/stories_holdout5/items.jsonl`` (written by hand, after the
fourth had been scored, by someone who never read or ran the clustering code; 24 events
"p01".."p24" of 12-18 October 2026, told by 12-14 outlets each, and 125 look-alike events;
labels as above, its README lists them), is loaded by :func:`load_holdout5`. Report only, as
for the fourth. The second to fifth sets were each scored as held-out sets; all four are
training data for the pair models (``benchmarks/stories_pairmodel.py``) since.

A sixth set, ``tests/data/stories_holdout6/items.jsonl`` (written by hand, while the method
was being changed on the five above, by someone who never read or ran the clustering code; 24
events "q01".."q24" of 31 August - 6 September 2026, told by 12-13 outlets each, and 132
look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout6`. It was held out and scored once; since 2026-12-07 it is training data
for the pair models (``benchmarks/stories_pairmodel.py``).

A seventh held-out set, ``tests/data/stories_holdout7/items.jsonl`` (written by hand, after all
six above had been used to tune the method, by someone who never read or ran the clustering
code; 24 events "r01".."r24" of 13-19 July 2026, told by 12-13 outlets each, and 127 look-alike
events; labels as above, its README lists them), is loaded by :func:`load_holdout7`. It was
scored once on 2026-12-07; it is training data for the pair models since 2026-12-07, and
``stories_holdout8`` is the held-out set.

An eighth held-out set, ``tests/data/stories_holdout8/items.jsonl`` (written by hand, after the
seventh had been scored and become training data, by someone who never read or ran the
clustering code; 24 events "s01".."s24" of 8-14 June 2026, told by 12-13 outlets each, and 132
look-alike events; labels as above, its README lists them), is loaded by :func:`load_holdout8`.
It was scored once on 2026-12-07 and is training data since.

A ninth held-out set, ``tests/data/stories_holdout9/items.jsonl`` (written by hand, after the
eighth had been scored, by someone who never read or ran the clustering code; 24 events
"u01".."u24" of 20-26 April 2026, told by 12-13 outlets each, and 150 look-alike events;
labels as above, its README lists them), is loaded by :func:`load_holdout9`. It was scored
once on 2026-12-07 (after that day's last change to what is decided) and is training data
since.

A tenth held-out set, ``tests/data/stories_holdout10/items.jsonl`` (written by hand, while the
ninth was still unscored, by someone who never read or ran the clustering code; 24 events
"v01".."v24" of 16-22 March 2026, told by 12-13 outlets each, and 125 look-alike events;
labels as above, its README lists them), is loaded by :func:`load_holdout10`. It was scored
once on 2026-12-07 (after that day's second round of changes) and is training data since;
since.

An eleventh held-out set, ``tests/data/stories_holdout11/items.jsonl`` (written by hand, while the
tenth was still unscored, by someone who never read or ran the clustering code; 24 events
"w01".."w24" of 9-15 February 2026, told by 12-13 outlets each, and 145 look-alike events;
labels as above, its README lists them), is loaded by :func:`load_holdout11`. Held out
until scored once, on 2026-12-07 at 18:13 UTC; training data since.

A twelfth held-out set, ``tests/data/stories_holdout12/items.jsonl`` (written by hand, while the
eleventh was still unscored, by someone who never read or ran the clustering code; 24 events
"x01".."x24" of 4-10 May 2026, told by 12-13 outlets each, and 123 look-alike events; labels as
above, its README lists them), is loaded by :func:`load_holdout12`. Held out until scored once,
together with the thirteenth, on 2026-12-07 at 21:29 UTC; training data since.

A thirteenth held-out set, ``tests/data/stories_holdout13/items.jsonl`` (written by hand, while
the eleventh was still unscored, by someone who never read or ran the clustering code; 24
events "y01".."y24" of 12-18 January 2026, told by 12-13 outlets each, and 129 look-alike
events; labels as above, its README lists them), is loaded by :func:`load_holdout13`. Held out
until scored once, together with the twelfth, on 2026-12-07 at 21:29 UTC; training data since.

A fourteenth held-out set, ``tests/data/stories_holdout14/items.jsonl`` (written by hand, while
the twelfth and thirteenth were still unscored, by someone who never read or ran the clustering
code; 24 events "z01".."z24" of 18-24 May 2026, told by 12-13 outlets each, and 138 look-alike
events; labels as above, its README lists them), is loaded by :func:`load_holdout14`. Held
out until scored once, together with the fifteenth, on 2026-12-08 at 00:21 UTC; training data
since.

A fifteenth held-out set, ``tests/data/stories_holdout15/items.jsonl`` (written by hand, while
the twelfth and thirteenth were still unscored, by someone who never read or ran the clustering
code; 24 events "g01".."g24" of 27 July - 2 August 2026, told by 12-13 outlets each, and 151
look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout15`. Held out until scored once, together with the fourteenth, on 2026-12-08
at 00:21 UTC; training data since.

A sixteenth held-out set, ``tests/data/stories_holdout16/items.jsonl`` (written by hand, while
the fourteenth and fifteenth were still unscored, by someone who never read or ran the
clustering code; 24 events "f01".."f24" of 24 February - 2 March 2026, told by 12-13 outlets
each, and 151 look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout16`. Report only, to be scored once, with the other fresh sets, at a later
session; never tune on it.

A seventeenth held-out set, ``tests/data/stories_holdout17/items.jsonl`` (written by hand, while
the fourteenth and fifteenth were still unscored, by someone who never read or ran the clustering
code; 24 events "n01".."n24" of 30 March - 5 April 2026, told by 12-13 outlets each, and 145
look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout17`. Report only, to be scored once, with the other fresh sets, at a later
session; never tune on it.

An eighteenth held-out set, ``tests/data/stories_holdout18/items.jsonl`` (written by hand, while
the sixteenth and seventeenth were still unscored, by someone who never read or ran the
clustering code; 24 events "i01".."i24" of 25-31 May 2026, told by 12-13 outlets each, and
139 look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout18`. Report only, to be scored once, with the other fresh sets, at a later
session; never tune on it.

A nineteenth held-out set, ``tests/data/stories_holdout19/items.jsonl`` (written by hand, while
the sixteenth and seventeenth were still unscored, by someone who never read or ran the
clustering code; 24 events "j01".."j24" of 3-9 August 2026, told by 12-13 outlets each, and
look-alike events; labels as above, its README lists them), is loaded by
:func:`load_holdout19`. Report only, to be scored once, with the other fresh sets, at a later
session; never tune on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from bot.news.stories import StoryItem
from bot.news.tagging.company_tagger import Tagger
from tests.news.story_corpus import LabelledItem

HOLDOUT_DIR = Path(__file__).resolve().parents[1] / "data" / "stories_holdout"
TUNING_DIR = Path(__file__).resolve().parents[1] / "data" / "stories_tuning"
HOLDOUT2_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout2" / "items.jsonl"
HOLDOUT3_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout3" / "items.jsonl"
HOLDOUT4_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout4" / "items.jsonl"
HOLDOUT5_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout5" / "items.jsonl"
HOLDOUT6_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout6" / "items.jsonl"
HOLDOUT7_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout7" / "items.jsonl"
HOLDOUT8_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout8" / "items.jsonl"
HOLDOUT9_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout9" / "items.jsonl"
HOLDOUT10_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout10" / "items.jsonl"
HOLDOUT11_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout11" / "items.jsonl"
HOLDOUT12_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout12" / "items.jsonl"
HOLDOUT13_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout13" / "items.jsonl"
HOLDOUT14_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout14" / "items.jsonl"
HOLDOUT15_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout15" / "items.jsonl"
HOLDOUT16_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout16" / "items.jsonl"
HOLDOUT17_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout17" / "items.jsonl"
HOLDOUT18_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout18" / "items.jsonl"
HOLDOUT19_FILE = Path(__file__).resolve().parents[1] / "data" / "stories_holdout19" / "items.jsonl"
Half = Literal["tune", "test", "all"]
Order = Literal["published", "feeds"]
TuningPart = Literal["part_c", "part_d"]
EXTRA_TUNING_PARTS: tuple[TuningPart, ...] = ("part_c", "part_d")


# The first letters of the fresh held-out sets' events ("h01".."z24"): they report only.
_HELD_OUT_PREFIXES = (
    "h",
    "k",
    "m",
    "p",
    "q",
    "r",
    "s",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "g",
    "f",
    "n",
    "i",
    "j",
)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the hand-written set."""

    key: str
    event: str
    lookalike_of: tuple[str, ...]
    title: str
    summary: str
    source: str
    published: datetime
    link: str

    @property
    def main_event(self) -> str:
        """The main event this row belongs to or resembles ("e07" for "e07-l2")."""
        return self.event.split("-", 1)[0]

    @property
    def half(self) -> Literal["tune", "test"]:
        # The fresh held-out sets report only.
        if self.main_event.startswith(_HELD_OUT_PREFIXES):
            return "test"
        if not self.main_event.startswith("e"):  # the extra tuning sets (t.., d..) tune only
            return "tune"
        return "tune" if int(self.main_event[1:]) % 2 == 1 else "test"


def rows() -> list[Row]:
    """Every row of both files."""
    return _read(HOLDOUT_DIR)


def tuning_rows(parts: Sequence[TuningPart] = ("part_c",)) -> list[Row]:
    """Every row of the chosen extra tuning files (``stories_tuning/<part>.jsonl``).

    ``("part_c",)`` by default, as before part_d existed; ``EXTRA_TUNING_PARTS`` for both.
    """
    return _read(TUNING_DIR, parts)


def holdout2_rows() -> list[Row]:
    """Every row of the fresh held-out set (``stories_holdout2/items.jsonl``)."""
    return _read_files([HOLDOUT2_FILE])


def holdout3_rows() -> list[Row]:
    """Every row of the third held-out set (``stories_holdout3/items.jsonl``)."""
    return _read_files([HOLDOUT3_FILE])


def holdout4_rows() -> list[Row]:
    """Every row of the fourth held-out set (``stories_holdout4/items.jsonl``)."""
    return _read_files([HOLDOUT4_FILE])


def holdout5_rows() -> list[Row]:
    """Every row of the fifth held-out set (``stories_holdout5/items.jsonl``)."""
    return _read_files([HOLDOUT5_FILE])


def holdout6_rows() -> list[Row]:
    """Every row of the sixth set (``stories_holdout6/items.jsonl``), held out once."""
    return _read_files([HOLDOUT6_FILE])


def holdout7_rows() -> list[Row]:
    """Every row of the seventh set (``stories_holdout7/items.jsonl``), held out once."""
    return _read_files([HOLDOUT7_FILE])


def holdout8_rows() -> list[Row]:
    """Every row of the eighth held-out set (``stories_holdout8/items.jsonl``)."""
    return _read_files([HOLDOUT8_FILE])


def holdout9_rows() -> list[Row]:
    """Every row of the ninth held-out set (``stories_holdout9/items.jsonl``)."""
    return _read_files([HOLDOUT9_FILE])


def holdout10_rows() -> list[Row]:
    """Every row of the tenth held-out set (``stories_holdout10/items.jsonl``)."""
    return _read_files([HOLDOUT10_FILE])


def holdout11_rows() -> list[Row]:
    """Every row of the eleventh held-out set (``stories_holdout11/items.jsonl``)."""
    return _read_files([HOLDOUT11_FILE])


def holdout12_rows() -> list[Row]:
    """Every row of the twelfth held-out set (``stories_holdout12/items.jsonl``)."""
    return _read_files([HOLDOUT12_FILE])


def holdout13_rows() -> list[Row]:
    """Every row of the thirteenth held-out set (``stories_holdout13/items.jsonl``)."""
    return _read_files([HOLDOUT13_FILE])


def holdout14_rows() -> list[Row]:
    """Every row of the fourteenth held-out set (``stories_holdout14/items.jsonl``)."""
    return _read_files([HOLDOUT14_FILE])


def holdout15_rows() -> list[Row]:
    """Every row of the fifteenth held-out set (``stories_holdout15/items.jsonl``)."""
    return _read_files([HOLDOUT15_FILE])


def holdout16_rows() -> list[Row]:
    """Every row of the sixteenth held-out set (``stories_holdout16/items.jsonl``)."""
    return _read_files([HOLDOUT16_FILE])


def holdout17_rows() -> list[Row]:
    """Every row of the seventeenth held-out set (``stories_holdout17/items.jsonl``)."""
    return _read_files([HOLDOUT17_FILE])


def holdout18_rows() -> list[Row]:
    """Every row of the eighteenth held-out set (``stories_holdout18/items.jsonl``)."""
    return _read_files([HOLDOUT18_FILE])


def holdout19_rows() -> list[Row]:
    """Every row of the nineteenth held-out set (``stories_holdout19/items.jsonl``)."""
    return _read_files([HOLDOUT19_FILE])


TRAINING_ROWS: dict[str, Callable[[], list[Row]]] = {
    "tune": lambda: [r for r in rows() if r.half == "tune"],
    "test": lambda: [r for r in rows() if r.half == "test"],
    "part_c": lambda: tuning_rows(("part_c",)),
    "part_d": lambda: tuning_rows(("part_d",)),
    "holdout2": holdout2_rows,
    "holdout3": holdout3_rows,
    "holdout4": holdout4_rows,
    "holdout5": holdout5_rows,
    "holdout6": holdout6_rows,
    "holdout7": holdout7_rows,
    "holdout8": holdout8_rows,
    "holdout9": holdout9_rows,
    "holdout10": holdout10_rows,
    "holdout11": holdout11_rows,
    "holdout12": holdout12_rows,
    "holdout13": holdout13_rows,
    "holdout14": holdout14_rows,
    "holdout15": holdout15_rows,
}
"""Each labelled set that is training data (scored once, if it was ever held out), by name:
never a set still held out (holdout16, holdout17, holdout18, holdout19)."""


def _read(directory: Path, parts: Sequence[str] | None = None) -> list[Row]:
    paths = (
        sorted(directory.glob("part_*.jsonl"))
        if parts is None
        else [directory / f"{part}.jsonl" for part in parts]
    )
    return _read_files(paths)


def _read_files(paths: Sequence[Path]) -> list[Row]:
    out = []
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    raw = json.loads(line)
                    out.append(
                        Row(
                            key=str(raw["id"]),
                            event=str(raw["event"]),
                            lookalike_of=tuple(raw["lookalike_of"]),
                            title=str(raw["title"]),
                            summary=str(raw["summary"]),
                            source=str(raw["source"]),
                            published=datetime.fromisoformat(raw["published"]),
                            link=str(raw["link"]),
                        )
                    )
    return out


def load(half: Half = "all", order: Order = "published") -> list[LabelledItem]:
    """The rows of one half as labelled items, numbered in ``order`` (see the module doc).

    Companies come from the project's tagger, as at ingest. A look-alike's ``lookalikes`` are
    the events it resembles; a main event's are its look-alikes.
    """
    return _labelled([r for r in rows() if half == "all" or r.half == half], order)


def load_extra_tuning(
    order: Order = "published", parts: Sequence[TuningPart] = ("part_c",)
) -> list[LabelledItem]:
    """The chosen extra tuning files as labelled items, numbered in ``order`` as :func:`load`
    does: part_c alone by default, ``("part_d",)`` alone, or ``EXTRA_TUNING_PARTS`` together.

    Tuning data only, like the "tune" half; ``load`` never returns these rows.
    """
    return _labelled(tuning_rows(parts), order)


def load_holdout2(order: Order = "published") -> list[LabelledItem]:
    """The fresh held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Held out until it was scored; training data for the pair models since (see
    ``tests/data/stories_holdout2/README.md``).
    """
    return _labelled(holdout2_rows(), order)


def load_holdout3(order: Order = "published") -> list[LabelledItem]:
    """The third held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Held out until it was scored; training data for the pair models since (see
    ``tests/data/stories_holdout3/README.md``).
    """
    return _labelled(holdout3_rows(), order)


def load_holdout4(order: Order = "published") -> list[LabelledItem]:
    """The fourth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Held out until it was scored; training data for the pair models since (see
    ``tests/data/stories_holdout4/README.md``).
    """
    return _labelled(holdout4_rows(), order)


def load_holdout5(order: Order = "published") -> list[LabelledItem]:
    """The fifth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Held out until it was scored; training data for the pair models since (see
    ``tests/data/stories_holdout5/README.md``).
    """
    return _labelled(holdout5_rows(), order)


def load_holdout6(order: Order = "published") -> list[LabelledItem]:
    """The sixth set as labelled items, numbered in ``order`` as :func:`load` does.

    Held out until it was scored once; training data for the pair models since (see
    ``tests/data/stories_holdout6/README.md``).
    """
    return _labelled(holdout6_rows(), order)


def load_holdout7(order: Order = "published") -> list[LabelledItem]:
    """The seventh set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data for the pair models since (see
    ``tests/data/stories_holdout7/README.md``).
    """
    return _labelled(holdout7_rows(), order)


def load_holdout8(order: Order = "published") -> list[LabelledItem]:
    """The eighth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Report on it, once; never tune on it (see ``tests/data/stories_holdout8/README.md``).
    """
    return _labelled(holdout8_rows(), order)


def load_holdout9(order: Order = "published") -> list[LabelledItem]:
    """The ninth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data since.
    """
    return _labelled(holdout9_rows(), order)


def load_holdout10(order: Order = "published") -> list[LabelledItem]:
    """The tenth set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data since.
    """
    return _labelled(holdout10_rows(), order)


def load_holdout11(order: Order = "published") -> list[LabelledItem]:
    """The eleventh held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data since.
    """
    return _labelled(holdout11_rows(), order)


def load_holdout12(order: Order = "published") -> list[LabelledItem]:
    """The twelfth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data since.
    """
    return _labelled(holdout12_rows(), order)


def load_holdout13(order: Order = "published") -> list[LabelledItem]:
    """The thirteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-07; training data since.
    """
    return _labelled(holdout13_rows(), order)


def load_holdout14(order: Order = "published") -> list[LabelledItem]:
    """The fourteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-08; training data since.
    """
    return _labelled(holdout14_rows(), order)


def load_holdout15(order: Order = "published") -> list[LabelledItem]:
    """The fifteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Scored once on 2026-12-08; training data since.
    """
    return _labelled(holdout15_rows(), order)


def load_holdout16(order: Order = "published") -> list[LabelledItem]:
    """The sixteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Report on it, once; never tune on it (see ``tests/data/stories_holdout16/README.md``).
    """
    return _labelled(holdout16_rows(), order)


def load_holdout17(order: Order = "published") -> list[LabelledItem]:
    """The seventeenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Report on it, once; never tune on it (see ``tests/data/stories_holdout17/README.md``).
    """
    return _labelled(holdout17_rows(), order)


def load_holdout18(order: Order = "published") -> list[LabelledItem]:
    """The eighteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Report on it, once; never tune on it (see ``tests/data/stories_holdout18/README.md``).
    """
    return _labelled(holdout18_rows(), order)


def load_holdout19(order: Order = "published") -> list[LabelledItem]:
    """The nineteenth held-out set as labelled items, numbered in ``order`` as :func:`load` does.

    Report on it, once; never tune on it (see ``tests/data/stories_holdout19/README.md``).
    """
    return _labelled(holdout19_rows(), order)


def _labelled(chosen: list[Row], order: Order) -> list[LabelledItem]:
    if order == "published":
        chosen.sort(key=lambda r: (r.published, r.key))
    else:
        chosen.sort(key=lambda r: (r.source, r.published, r.key))
    resembles: dict[str, set[str]] = {}
    for r in chosen:
        for other in r.lookalike_of:
            resembles.setdefault(r.event, set()).add(other)
            resembles.setdefault(other, set()).add(r.event)
    tagger = Tagger.default()
    return [
        LabelledItem(
            StoryItem(
                item_id=number,
                title=r.title,
                summary=r.summary,
                source=r.source,
                published=r.published,
                companies=tagger.tag(r.title, r.summary),
            ),
            r.event,
            tuple(sorted(resembles.get(r.event, ()))),
        )
        for number, r in enumerate(chosen, start=1)
    ]


def events(items: Sequence[LabelledItem]) -> int:
    """How many distinct events ``items`` tell."""
    return len({li.story for li in items})

"""Which Discord shards a process serves, from what an operator typed (``--shards 0-7``).

Discord numbers a bot's shards 0..count-1; an operator gives a range (``0-7``), a list
(``0,2,5``) or both (``0-3,8``). Anything else is refused with one line saying why.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)(?:-(\d+))?")


def parse_shard_ids(text: str, count: int) -> tuple[int, ...]:
    """The shard ids ``text`` names, sorted and each once; ValueError (one line) when it names
    none, is not ranges and numbers, or names a shard outside 0..count-1."""
    ids: set[int] = set()
    parts = [part.strip() for part in text.split(",")]
    for part in parts:
        match = _PART.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a shard number or a range such as 0-7")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ValueError(f"the range {part!r} runs backwards")
        if last >= count:
            raise ValueError(
                f"shard {last} does not exist: with a shard count of {count} they are 0-{count - 1}"
            )
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))

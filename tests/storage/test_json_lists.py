"""``to_json_list`` writes what ``json.dumps`` writes, with or without its shortcut."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from storage._sql import from_json_list, to_json_list

# Control characters, quotes and backslashes (escaped), non-ASCII and lone surrogates (kept).
_TEXT = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x80)] + ["é", "\u2028", "\ud800", "\U0001d11e", "\ue000"]
    ),
    max_size=8,
)


@given(st.lists(_TEXT, max_size=5))
def test_the_same_text_as_the_json_encoder(values: list[str]) -> None:
    expected = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    assert to_json_list(values) == expected
    assert to_json_list(iter(values)) == expected
    assert from_json_list(to_json_list(values)) == tuple(values)

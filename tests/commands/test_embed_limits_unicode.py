"""Discord's length limits with emoji and astral-plane text, as a property of the builders.

Discord's API counts the Unicode code points of a string (it is Python 3: discord-api-docs
issue #1315, answered by Discord; discord.js dropped its stricter UTF-16 checks for that
reason, discord.js issue #2299), which is what Python's ``len`` counts: a title of 256
emoji is 256 characters to Discord, 512 UTF-16 code units to a JavaScript client. So every
limit is checked here by ``len``, on text made of what makes the two counts differ:
surrogate-pair emoji, ZWJ sequences, flags, skin tones, combining marks, CJK, markdown."""

from __future__ import annotations

import json

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.embeds import (
    AUTHOR_LIMIT,
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    MESSAGE_TOTAL_LIMIT,
    TITLE_LIMIT,
    item_embed,
    roundup_embed,
)
from bot.news.model.vocabulary import DEFAULT_POST_FORMAT, MessageStyle, PostFormat
from bot.post_styles import item_message, roundup_message
from tests.commands.test_embeds import make_item

PIECES = [
    "a",
    "Temu ",
    "\U0001f600",  # 😀, one code point, two UTF-16 units
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family: 5 code points, one glyph
    "\U0001f1e9\U0001f1ea",  # a flag: two regional indicators
    "\U0001f44d\U0001f3fd",  # a thumb with a skin tone
    "e\u0301",  # é as e and a combining accent
    "\U00020000",  # a CJK ideograph outside the BMP
    "日本",
    "*_`~|>\\",
    "@everyone ",
    "\ufe0f",
]

text = st.lists(st.sampled_from(PIECES), max_size=1200).map("".join)


def _check_embed(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= TITLE_LIMIT
    assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert len(embed.footer.text or "") <= FOOTER_LIMIT
    assert len(embed.author.name or "") <= AUTHOR_LIMIT
    for field in embed.fields:
        assert len(field.name or "") <= FIELD_NAME_LIMIT
        assert len(field.value or "") <= FIELD_VALUE_LIMIT
    assert len(embed) <= MESSAGE_TOTAL_LIMIT


def _check_payload(payload: dict[str, object]) -> None:
    content = payload.get("content")
    assert content is None or (isinstance(content, str) and len(content) <= CONTENT_LIMIT)
    json.dumps(payload)  # what discord.py sends: it must encode


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text, summary=text, source=text)
def test_an_item_post_stays_within_every_limit_in_code_points(
    title: str, summary: str, source: str
) -> None:
    item = make_item(title or "x", summary, source=source or "s")
    _check_embed(item_embed(item, extra_sources=3))
    for style in MessageStyle:
        message = item_message(item, PostFormat(style, 123))
        _check_payload(message.payload())
        for embed in message.embeds:
            _check_embed(embed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(titles=st.lists(text, min_size=1, max_size=25), waiting=st.integers(0, 10_000))
def test_a_roundup_stays_within_every_limit_in_code_points(titles: list[str], waiting: int) -> None:
    items = [make_item(title or "x", "") for title in titles]
    _check_embed(roundup_embed(items, waiting))
    for style in MessageStyle:
        message = roundup_message(items, waiting, PostFormat(style, None))
        _check_payload(message.payload())
        for embed in message.embeds:
            _check_embed(embed)
    assert DEFAULT_POST_FORMAT.style is MessageStyle.EMBED

"""A refusal to do what another did is read by its form (``stories/denials.py``) and never
joins the story of the doing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.news.stories import StoryClusterer, StoryItem
from bot.news.stories.denials import is_denial
from bot.news.stories.model import StoryConfig


@pytest.mark.parametrize(
    "title",
    [
        "Royal Mail rules out peak surcharge for business parcels this Christmas",
        "Royal Mail says no peak surcharge for business customers in 2026",
        "Bol keeps returns free: 'no plans to charge'",
        "UAE has no plans to change AED1,000 customs exemption on parcels, official says",
        "Meesho says it will not raise shipping charges this festive season",
        "Temu says New Zealand prices won't rise because of parcel levy",
    ],
)
def test_a_refusal_is_a_denial(title: str) -> None:
    assert is_denial(title)


@pytest.mark.parametrize(
    "title",
    [
        "Evri confirms 29p peak surcharge from October",
        # What stays the same within the event itself, or a refusal of something else.
        "Kogan restructure: marketplace sellers told fees will not change",
        "Amazon won't say how much it sold during its October Prime event",
        "THG's whey problem won't go away quickly",
        "Noon says no payment data compromised in cyber incident",
    ],
)
def test_other_news_is_no_denial(title: str) -> None:
    assert not is_denial(title)


def test_a_refusal_stays_apart_from_the_move_it_refuses() -> None:
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    titles = [
        ("Evri to introduce peak surcharge for business parcels this Christmas", "A"),
        ("Evri brings in peak surcharge for business parcels this Christmas", "B"),
        ("Evri adds peak surcharge for business parcels over Christmas", "C"),
        ("Royal Mail rules out peak surcharge for business parcels this Christmas", "D"),
    ]
    items = [
        StoryItem(n, title, "", source, start + timedelta(hours=n))
        for n, (title, source) in enumerate(titles, 1)
    ]
    placed = dict(StoryClusterer(StoryConfig()).assign(items))
    assert placed[1] == placed[2] == placed[3]
    assert placed[4] != placed[1]

"""A results preview is read by its form (``stories/previews.py``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.news.stories import previews


@pytest.mark.parametrize(
    "title",
    [
        "PDD Holdings Earnings Preview: What to Watch as Temu Faces Tariff Headwinds",
        "Adyen Q1 preview: volumes in focus",
        "What to expect from Asos's half-year results on Thursday",
        "Burberry expected to post further sales decline in Tuesday's Q1 update",
        "Zalando: qué esperar de los resultados del trimestre",
        "拼多多财报前瞻",
        # A date still to come: the results are not out yet.
        "Shopify Reports Earnings Tomorrow. The Bar Is High.",
        "Lululemon Reports Thursday. Here's Why the Bar Is So Low.",
        "Best Buy Earnings Are Next Week. Why Investors Are Watching PCs.",
        "American Express (AXP) to Report Q3 Earnings: What's in Store?",
        "Walmart shares hit record high ahead of results next week",
    ],
)
def test_a_preview_of_results_is_a_preview(title: str) -> None:
    assert previews.is_preview(title)


@pytest.mark.parametrize(
    "title",
    [
        "PDD Holdings Q4 revenue rises 24%, Temu losses narrow",
        "Amazon previews its new seller app",  # the verb, not a preview of results
        "What to watch as TikTok Shop opens in Brazil",  # no results
        "Adyen beats Q1 expectations as volumes jump",
        "Shopify reports Q4 results: revenue up 27%",  # "reports" without a date to come
        "Target Stock Craters As Retailer Guides Lower; Walmart Earnings Loom",
        "Chewy cuts 250 corporate jobs ahead of holiday season",  # "ahead of", no results
    ],
)
def test_results_and_other_news_are_not_previews(title: str) -> None:
    assert not previews.is_preview(title)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(previews._PREVIEW_RE))
def test_every_preview_phrase_passes_the_needle_gate(text: str) -> None:
    """The needles are read from the pattern: any text it matches holds one of them."""
    assert previews._NEEDLES is not None
    assert any(needle in text for needle in previews._NEEDLES)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(previews._DATED_RE))
def test_every_dated_preview_passes_its_needle_gate(text: str) -> None:
    assert previews._DATED_NEEDLES is not None
    assert any(needle in text for needle in previews._DATED_NEEDLES)

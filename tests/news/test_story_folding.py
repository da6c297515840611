"""One event, one entry in a summary's top stories (``services/story_folding.py``): what must
fold, and the look-alikes that must never."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.news.model.vocabulary import Company, StoryRecord
from bot.news.rules.summary_ranking import RankedStory, rank_stories
from bot.news.services.story_folding import fold_same_events

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def story(
    story_id: int,
    headline: str,
    sources: int,
    hours_ago: float,
    companies: tuple[str, ...] = (),
    line: str = "",
) -> StoryRecord:
    return StoryRecord(
        id=story_id,
        headline=headline,
        summary_line=line,
        first_seen=NOW - timedelta(hours=hours_ago + 1),
        last_seen=NOW - timedelta(hours=hours_ago),
        item_count=sources,
        sources=tuple(f"outlet {story_id}-{n}" for n in range(sources)),
        companies=tuple(Company(c, c.title()) for c in companies),
        links=(f"https://news.example/{story_id}",),
        topics=(),
    )


def top(stories: list[StoryRecord], limit: int = 10) -> list[RankedStory]:
    return fold_same_events(rank_stories(stories, now=NOW), limit)


def test_an_explainer_of_the_same_settlement_is_one_entry_and_the_next_story_moves_up() -> None:
    # tests/data stories_holdout e09: the wires' story and one outlet's explainer, which the
    # clusterer keeps apart (its words differ), both in the top ten.
    wires = story(
        1,
        "Amazon to pay $2.5 billion to settle FTC case over Prime subscriptions",
        sources=12,
        hours_ago=30,
        companies=("amazon",),
    )
    explainer = story(
        2,
        "What Amazon's $2.5 Billion Prime Settlement Means For Your Subscription",
        sources=1,
        hours_ago=2,
        companies=("amazon",),
    )
    other = story(3, "Etsy updates its seller app", sources=1, hours_ago=40, companies=("etsy",))
    entries = top([wires, explainer, other], limit=2)
    assert [e.story.id for e in entries] == [1, 3]
    first = entries[0]
    assert first.story.headline == wires.headline
    assert first.also == (explainer,)
    assert len(first.story.sources) == 13
    assert first.story.item_count == 13
    assert first.story.last_seen == explainer.last_seen
    # The stored stories are what they were: only the entry is one.
    assert wires.item_count == 12


def test_the_larger_story_gives_the_entry_its_headline_even_when_it_ranks_lower() -> None:
    small_fresh = story(
        1, "Whatnot valued at $11.5 billion", sources=2, hours_ago=0, companies=("whatnot",)
    )
    large_old = story(
        2,
        "Whatnot raises $400 million at $11.5 billion valuation",
        sources=3,
        hours_ago=40,
        companies=("whatnot",),
    )
    (entry,) = top([small_fresh, large_old])
    assert entry.story.headline == large_old.headline
    assert entry.story.id == 2
    assert entry.also == (small_fresh,)
    assert entry.score == rank_stories([small_fresh], now=NOW)[0].score


def test_fined_in_spain_and_fined_in_italy_never_fold() -> None:
    spain = story(
        1, "Amazon fined €10 million in Spain", sources=5, hours_ago=3, companies=("amazon",)
    )
    italy = story(
        2, "Amazon fined €10 million in Italy", sources=4, hours_ago=2, companies=("amazon",)
    )
    assert [e.also for e in top([spain, italy])] == [(), ()]


def test_two_earnings_reports_never_fold() -> None:
    mine = story(
        1,
        "Shopify revenue rises 26% to $2.8 billion",
        sources=6,
        hours_ago=3,
        companies=("shopify",),
        line="Revenue grew 26% in the quarter.",
    )
    theirs = story(
        2,
        "Etsy revenue rises 26% to $700 million",
        sources=5,
        hours_ago=2,
        companies=("etsy",),
        line="Revenue grew 26% in the quarter.",
    )
    same_company = story(
        3,
        "Shopify revenue rises 21% to $2.2 billion",
        sources=4,
        hours_ago=1,
        companies=("shopify",),
        line="Revenue grew 26% in the quarter a year ago.",
    )
    assert [e.also for e in top([mine, theirs, same_company])] == [(), (), ()]


def test_a_company_and_an_hour_in_common_are_not_one_event() -> None:
    # Two Temu stories the same hour, nothing else in common.
    shipping = story(
        1, "Temu ends direct China-to-US shipping", sources=8, hours_ago=3, companies=("temu",)
    )
    blocked = story(
        2, "Govt orders ISPs to block Temu website", sources=3, hours_ago=3, companies=("temu",)
    )
    assert [e.also for e in top([shipping, blocked])] == [(), ()]


def test_an_appeal_of_a_fine_is_not_the_fine() -> None:
    # The same company and amount in the lines, but the headlines name other figures.
    fine = story(
        1,
        "India fines Flipkart $131 million over seller favoritism",
        sources=9,
        hours_ago=50,
        companies=("walmart",),
        line="The CCI imposed a penalty of Rs 1,150 crore.",
    )
    appeal = story(
        2,
        "Flipkart appeals Rs 1,150 crore CCI order before tribunal",
        sources=3,
        hours_ago=2,
        companies=("walmart",),
        line="Flipkart seeks a stay on the Rs 1,150 crore penalty.",
    )
    assert [e.also for e in top([fine, appeal])] == [(), ()]


def test_stories_days_apart_or_round_ups_never_fold() -> None:
    fee = story(1, "Amazon raises FBA fee by 5%", sources=6, hours_ago=2, companies=("amazon",))
    later = story(
        2, "Amazon raises FBA fee by 5% again", sources=3, hours_ago=200, companies=("amazon",)
    )
    roundup = story(
        3,
        "Marketplace Pulse Weekly: Amazon raises FBA fee by 5%",
        sources=1,
        hours_ago=1,
        companies=("amazon",),
    )
    assert [e.also for e in top([fee, later, roundup])] == [(), (), ()]


def test_a_follow_up_that_recalls_the_figure_in_its_text_is_not_the_event() -> None:
    # stories_tuning part_c t07 / t07-l2.
    raise_ = story(
        1,
        "Whatnot raises $400 million at $11.5 billion valuation as live shopping booms",
        sources=12,
        hours_ago=60,
    )
    launch = story(
        2,
        "Whatnot launches in France and Spain",
        sources=2,
        hours_ago=10,
        line="Whatnot is opening in France and Spain, days after a funding round that valued it"
        " at $11.5 billion.",
    )
    assert [e.also for e in top([raise_, launch])] == [(), ()]


def test_a_percentage_in_common_is_not_one_event() -> None:
    # stories_holdout9 u22 / u22-l1: the same company, the same "15%", two days apart.
    layoffs = story(1, "Faire Lays Off About 15% of Staff", sources=12, hours_ago=50)
    fees = story(2, "Faire to switch brands to a flat 15% commission", sources=2, hours_ago=2)
    assert [e.also for e in top([layoffs, fees])] == [(), ()]


def test_an_occasion_both_headlines_name_is_not_their_subject() -> None:
    # stories_holdout4 m13-l3 / m05-l6: two firms' Black Friday records, both "14 million".
    evri = story(
        1, "Evri says it delivered record 14m parcels over Black Friday weekend", 2, hours_ago=2
    )
    allegro = story(
        2,
        "Allegro says it sold a record 14 million items on Black Friday",
        sources=2,
        hours_ago=30,
    )
    assert [e.also for e in top([evri, allegro])] == [(), ()]


def test_figures_read_alone_are_the_key_terms_figures() -> None:
    # ``_figures`` reads a headline's figures without ``keyterms`` (so that a summary with no
    # pair sharing one never loads it): it must read what ``key_terms`` reads, on every
    # training set's headline, with its text as the line and without.
    from bot.news.services.story_folding import _figures, _identifies
    from bot.news.stories.keyterms import key_terms
    from tests.news import story_holdout

    rows = [row for load in story_holdout.TRAINING_ROWS.values() for row in load()]
    assert len(rows) > 5000
    read = 0
    for row in rows:
        for line in (row.summary, ""):
            numbers = key_terms(row.title, line, ()).numbers
            expected = {k for k, w in numbers.items() if w >= 2 and _identifies(k)}
            assert _figures(row.title, line) == expected, (row.title, line)
            read += bool(expected)
    assert read > 1000  # figures are there to be read

"""Forum post titles, the "+1 source" note and forum tags by company and topic."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.news.model.vocabulary import Company, Item
from bot.news.rules.story_posts import MAX_FORUM_TAGS, forum_tags, source_note, story_title

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def item(title: str, *, companies: tuple[str, ...] = (), topics: tuple[str, ...] = ()) -> Item:
    return Item(
        id=1,
        feed_id=1,
        key="k",
        title=title,
        link="https://news.example/k",
        source="Reuters\n @everyone",
        author=None,
        published=T0,
        first_seen=T0,
        updated_at=T0,
        summary="",
        image_url=None,
        categories=(),
        companies=tuple(Company(c.lower(), c) for c in companies),
        content_hash="h",
        topics=topics,
    )


def test_a_story_title_is_one_line_within_discords_hundred_characters() -> None:
    assert story_title(item("Temu\n fined  in France")) == "Temu fined in France"
    long = story_title(item("word " * 40))
    assert len(long) == 100 and long.endswith("…")
    assert story_title(item("   ")) == "(untitled)"


def test_the_source_note_names_the_outlet_on_one_line() -> None:
    assert source_note(item("x")) == "+1 source: Reuters @everyone"


def test_forum_tags_match_companies_then_topics_case_insensitively_at_most_five() -> None:
    available = [(1, "fees"), (2, "TEMU"), (3, "Shein"), (4, "Fees & pricing"), (5, "other")]
    tagged = item("x", companies=("Temu", "Shein"), topics=("fees",))
    assert forum_tags(available, tagged) == (2, 3, 4, 1)
    assert forum_tags(available, item("x")) == ()
    many = [(n, f"c{n}") for n in range(10)]
    crowded = item("x", companies=tuple(f"C{n}" for n in range(10)))
    assert len(forum_tags(many, crowded)) == MAX_FORUM_TAGS

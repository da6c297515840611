"""Embeds from hostile feed text: limits honoured, markdown escaped, mentions defused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import discord
import pytest

from bot.embeds import (
    EMBEDS_PER_MESSAGE,
    MESSAGE_TOTAL_LIMIT,
    SUMMARY_LIMIT,
    ZWSP,
    clamp_embed,
    clean_markdown,
    clean_plain,
    clip,
    digest_embed,
    fit_embeds,
    fit_one_message,
    item_embed,
    neutralise_mentions,
    roundup_embed,
    safe_url,
)
from bot.news.model.vocabulary import Company, Item, StoryRecord
from bot.news.rules.summary_ranking import NewsSummary, RankedStory

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MENTIONS = ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>"]


def make_item(
    title: str = "Temu cuts fees",
    summary: str = "Sellers pay less.",
    *,
    source: str = "Loopback News",
    link: str | None = "https://news.example/a",
    companies: tuple[Company, ...] = (Company("temu", "Temu"),),
    image_url: str | None = None,
) -> Item:
    return Item(
        id=1,
        feed_id=1,
        key="a",
        title=title,
        link=link,
        source=source,
        author=None,
        published=T0,
        first_seen=T0,
        updated_at=T0,
        summary=summary,
        image_url=image_url,
        categories=(),
        companies=companies,
        content_hash="h",
    )


def visible_mentions(text: str) -> list[str]:
    """Mention syntax Discord would still parse in ``text``."""
    return [m for m in MENTIONS if m in text]


def test_plain_item() -> None:
    embed = item_embed(make_item())
    assert embed.title == "Temu cuts fees"
    assert embed.url == "https://news.example/a"
    assert embed.description == "Sellers pay less."
    assert embed.author.name == "Loopback News"
    assert embed.footer.text == "Temu"
    assert embed.timestamp == T0


def test_ten_thousand_character_title_and_summary_are_clipped() -> None:
    embed = item_embed(make_item("T" * 10_000, "S" * 10_000, source="N" * 10_000))
    assert embed.title is not None and len(embed.title) <= 256
    assert embed.title.endswith("…")
    assert embed.description is not None and len(embed.description) <= SUMMARY_LIMIT
    assert embed.author.name is not None and len(embed.author.name) <= 256
    assert len(embed) <= MESSAGE_TOTAL_LIMIT


@pytest.mark.parametrize("mention", MENTIONS)
def test_mentions_in_feed_text_are_defused(mention: str) -> None:
    hostile = f"{mention} Temu {mention}"
    embed = item_embed(
        make_item(hostile, hostile, source=hostile, companies=(Company("x", hostile),))
    )
    for text in (embed.title, embed.description, embed.author.name, embed.footer.text):
        assert text is not None
        assert visible_mentions(text) == [], text
        assert "@" + ZWSP in text


def test_markdown_in_feed_text_is_escaped() -> None:
    embed = item_embed(
        make_item("**bold** _it_ `code` ~~x~~ ||spoiler||", "[click me](https://evil.example) # h")
    )
    assert embed.title == r"\*\*bold\*\* \_it\_ \`code\` \~\~x\~\~ \|\|spoiler\|\|"
    assert embed.description is not None
    assert embed.description.startswith(r"\[click me](https://evil.example)")


def test_author_and_footer_are_not_escaped_because_discord_shows_them_verbatim() -> None:
    embed = item_embed(make_item(source="Tech_News *Daily*"))
    assert embed.author.name == "Tech_News *Daily*"


def test_clipping_never_leaves_a_dangling_escape() -> None:
    text = clean_markdown("a" * 254 + "**tail", 256)
    assert len(text) <= 256
    assert not text[:-1].endswith("\\")


def test_empty_and_invisible_text() -> None:
    embed = item_embed(make_item("\u200b \u200b\ufeff", "", source="", companies=()))
    assert embed.title == "(untitled)"
    assert embed.description is None
    assert embed.author.name is None
    assert embed.footer.text is None
    embed.to_dict()  # still a valid embed


def test_zero_width_characters_do_not_hide_mentions() -> None:
    # "@\u200beveryone" is already harmless; "@@everyone" must still be defused.
    embed = item_embed(make_item("@@everyone \u200b@here", "x"))
    assert embed.title is not None and visible_mentions(embed.title) == []


def test_bad_links_are_left_out() -> None:
    assert item_embed(make_item(link="javascript:alert(1)")).url is None
    assert item_embed(make_item(link="https://x.example/" + "a" * 3000)).url is None
    assert item_embed(make_item(link="https://x.example/a b")).url is None
    assert item_embed(make_item(link=None)).url is None
    assert safe_url("http://ok.example/feed") == "http://ok.example/feed"


def test_thumbnail_and_extra_sources() -> None:
    embed = item_embed(make_item(image_url="https://img.example/a.png"), extra_sources=2)
    assert embed.thumbnail.url == "https://img.example/a.png"
    assert embed.footer.text == "Temu · +2 more sources"


def test_helpers() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab…"
    assert clip("abcd", 0) == ""
    assert neutralise_mentions("@here") == "@\u200bhere"
    assert clean_plain("a\n\n  b", 10) == "a b"


def test_clamp_embed_honours_every_limit() -> None:
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    for _ in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000)
    embed.set_footer(text="f" * 3000)
    embed.set_author(name="a" * 300)
    clamped = clamp_embed(embed)
    assert len(clamped.title or "") <= 256
    assert len(clamped.description or "") <= 4096
    assert len(clamped.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in clamped.fields)
    assert len(clamped.footer.text or "") <= 2048
    assert len(clamped.author.name or "") <= 256
    assert len(clamped) <= MESSAGE_TOTAL_LIMIT
    assert len(embed.title or "") == 300  # the input is not modified


def test_fit_embeds_splits_by_count_and_by_size() -> None:
    small = [discord.Embed(title=f"item {n}") for n in range(23)]
    assert [len(m) for m in fit_embeds(small)] == [10, 10, 3]
    big = [discord.Embed(title="t", description="d" * 4000) for _ in range(3)]
    messages = fit_embeds(big)
    assert [len(m) for m in messages] == [1, 1, 1]
    for message in messages + fit_embeds(small):
        assert len(message) <= EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in message) <= MESSAGE_TOTAL_LIMIT
    assert fit_embeds([]) == []


def test_fit_embeds_keeps_order() -> None:
    embeds = [discord.Embed(title=str(n), description="x" * 2500) for n in range(5)]
    titles = [e.title for message in fit_embeds(embeds) for e in message]
    assert titles == ["0", "1", "2", "3", "4"]


def test_ten_hostile_items_fit_in_one_message() -> None:
    items = [make_item("T" * 10_000, "S" * 10_000, source="N" * 10_000) for _ in range(12)]
    page = fit_one_message([item_embed(i) for i in items])
    assert len(page) == EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in page) <= MESSAGE_TOTAL_LIMIT
    assert all(e.title for e in page)


def test_everyone_in_a_title_never_pings() -> None:
    """Two guards: the text is defused, and the client sends AllowedMentions.none()."""
    embed = item_embed(make_item("@everyone Temu is down", "@here <@&1>"))
    assert embed.title == "@\u200beveryone Temu is down"
    # dict(): discord.py annotates to_dict() as the payload with every key; it returns only
    # those set, so mypy would call the comparison impossible.
    assert dict(discord.AllowedMentions.none().to_dict()) == {"parse": []}


def test_a_roundup_lists_linked_headlines_within_limits() -> None:
    items = [
        make_item(f"Story {n} @everyone [Sale](https://evil.example) " + "x" * 300, link=None)
        if n == 3
        else make_item(f"Story {n}", link=f"https://news.example/{n}_(b)", source="<@&42> News")
        for n in range(20)
    ]
    embed = roundup_embed(items, waiting=7)
    assert embed.title == "20 more new items for this channel"
    assert embed.description is not None
    lines = embed.description.split("\n")
    assert lines[0] == f"• [Story 0](https://news.example/0_%28b%29) · <@{ZWSP}&42> News"
    # A headline without a usable link is shown unlinked; its text cannot make a link or ping.
    assert lines[3].startswith("• Story 3 @") and "[Sale]" not in lines[3]
    assert not visible_mentions(embed.description)
    assert len(embed) <= MESSAGE_TOTAL_LIMIT
    shown = len(lines)
    later = 7 + 20 - shown
    assert embed.footer.text == f"{later} more to follow"


def test_a_roundup_lists_every_item_even_with_long_links() -> None:
    # Delivery marks every item of a roundup as announced, so each must get a line: with
    # Google News-sized links only part of them fitted, and the rest were never shown.
    link = "https://news.google.com/rss/articles/CBMi" + "a" * 250 + "?oc=5"
    items = [
        make_item(
            f"Temu and SHEIN face new EU customs rules on low-value parcels {n:02} " + "y" * 60,
            link=f"{link}{n}",
            source="Reuters " + "z" * 95,
        )
        for n in range(20)
    ]
    embed = roundup_embed(items, waiting=0)
    assert embed.description is not None
    lines = embed.description.split("\n")
    assert len(lines) == 20
    assert all(f" {n:02} " in line for n, line in enumerate(lines))
    assert lines[0].startswith("• [Temu")  # linked while there is room
    assert not embed.footer.text
    assert len(embed) <= MESSAGE_TOTAL_LIMIT


def test_a_roundup_that_fits_has_no_footer() -> None:
    embed = roundup_embed([make_item("Only one")], waiting=0)
    assert embed.title == "1 more new item for this channel"
    assert embed.description == "• [Only one](https://news.example/a) · Loopback News"
    assert not embed.footer.text


def test_a_digest_embed_shows_its_title_and_period_in_the_servers_zone() -> None:
    start = datetime(2026, 11, 26, 8, tzinfo=UTC)
    story = StoryRecord(
        id=1,
        headline="Temu cuts seller fees",
        summary_line="Sellers pay less from December.",
        first_seen=start,
        last_seen=start,
        item_count=2,
        sources=("A", "B"),
        companies=(),
        links=("https://news.example/a",),
        topics=(),
    )
    summary = NewsSummary(
        period="24h",
        since=start,
        until=start + timedelta(days=1),
        company=None,
        topic=None,
        stories=(RankedStory(story, 1.0),),
        company_counts=((Company("temu", "Temu"), 1),),
        rising_terms=(),
    )
    embed = digest_embed("Daily digest · Fri 27 Nov", summary, "Europe/Paris")
    assert embed.title == "Daily digest · Fri 27 Nov"
    assert embed.description is not None and "Temu cuts seller fees" in embed.description
    assert embed.footer.text == "2026-11-26 09:00 – 2026-11-27 09:00 Europe/Paris"
    # A zone that tzdata no longer knows falls back to UTC rather than failing the post.
    assert digest_embed("D", summary, "Mars/Olympus").footer.text == (
        "2026-11-26 08:00 – 2026-11-27 08:00 Mars/Olympus"
    )
    # A story of the same event folded into the entry is named under it, once.
    explainer = replace(
        story, id=2, headline="What Temu's fee cut means for sellers", sources=("C",)
    )
    folded = replace(summary, stories=(RankedStory(story, 1.0, also=(explainer,)),))
    described = digest_embed("D", folded, "UTC").description
    assert described is not None and described.endswith(
        "\nalso reported as: What Temu's fee cut means for sellers (1 source)"
    )


BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"


def _hostile_items() -> list[Item]:
    # One as a feed delivers it today (cleaned by the parser at ingest), one as a row stored
    # before that cleaning existed.
    from bot.news.adapters.feed_parse import parse_feed

    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>Temu \u202eRTL override txet\u202c cuts fees</title>"
        "<link>https://news.example/b</link>"
        "<description>Sellers \u2066pay\u2069 less.</description>"
        '<source url="https://pub.example/">Pub \u200eNews\u200f</source></item>'
        "</channel></rss>"
    )
    [draft] = parse_feed(
        document.encode(), url="https://news.example/feed", content_type=None, now=T0
    ).items
    parsed = make_item(draft.title, draft.summary, source=draft.publisher or "")
    stored = make_item(
        "Temu \u202eRTL override txet\u202c cuts fees",
        "Sellers \u2066pay\u2069 less.",
        source="Pub \u200eNews\u200f",
    )
    return [parsed, stored]


def test_bidi_controls_reach_neither_an_embed_nor_a_roundup_line() -> None:
    # Issue 9: "... \u202eRTL override txet\u202c" was posted in an embed and a roundup line.
    items = _hostile_items()
    for item in items:
        embed = item_embed(item)
        assert embed.title == "Temu RTL override txet cuts fees"
        assert not set(str(embed.to_dict())) & set(BIDI)
    roundup = roundup_embed(items, waiting=0)
    assert roundup.description is not None
    assert not set(roundup.description) & set(BIDI)
    assert roundup.description.split("\n")[0] == (
        "• [Temu RTL override txet cuts fees](https://news.example/a) · Pub News"
    )

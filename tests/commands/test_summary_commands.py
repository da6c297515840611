"""/news summary and /news trend through real discord.py dispatch against the fake Discord.

The stories come from the real clusterer over the real SQLite database: a second shared feed
reports the catalogue's Temu item in other words (tagged with the fees topic), the shared
items are stored as a poll would store them, and ``StoryAssigner`` runs as after a poll.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from bot.embeds import DESCRIPTION_LIMIT, MESSAGE_TOTAL_LIMIT, TITLE_LIMIT, summary_embed
from bot.news.model.vocabulary import Company, FeedPollResult, FeedStatus, StoryRecord, TaggedDraft
from bot.news.rules.summary_ranking import NewsSummary, RankedStory
from bot.news.services.story_assigner import StoryAssigner
from tests.commands.conftest import PRIVATE_TITLE, App, draft
from tests.fakediscord.records import RecordedMessage

ZWSP = "\u200b"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SECOND_SOURCE = "Retail Daily"
RETOLD = (
    "Temu cuts its seller fees across Europe",
    "Sellers in Europe pay less from June, Temu said.",
)


async def tell_stories(app: App) -> None:
    """A second shared feed retells the Temu item; then stories are assigned as after a poll."""
    newsroom = app.newsroom
    feed = await newsroom.service.add_feed("https://retail.example/feed.xml", name=SECOND_SOURCE)
    now = newsroom.clock.now()
    title, summary = RETOLD
    item = TaggedDraft(draft(f"{feed.id}-0", title, summary, now), ("temu",), ("fees",))
    await newsroom.storage.items.apply(
        FeedPollResult(
            feed_id=feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=(item,),
        )
    )
    assigned = await StoryAssigner(stories=newsroom.storage.stories, clock=newsroom.clock).run()
    assert assigned == 11  # the ten catalogue items and the retelling; never the private one


def only_embed(message: RecordedMessage) -> dict[str, Any]:
    [embed] = message.embeds
    return embed


async def test_summary_merges_two_sources_into_one_story(app: App) -> None:
    await tell_stories(app)
    handle, reply = await app.answer(app.world.member, "news summary")
    assert (await handle.response()).type == 5  # deferred in public first
    assert not reply.ephemeral
    embed = only_embed(reply)
    assert embed["title"] == "E-commerce news, last 7 days"
    description = str(embed["description"])
    blocks = description.split("\n\n")
    # Each "Marketplace roundup" post is a story of its own (a round-up lists several events,
    # so it never joins one): the summary fills its five places.
    assert [b[: b.index(" ")] for b in blocks] == ["**1.**", "**2.**", "**3.**", "**4.**", "**5.**"]
    first = blocks[0].split("\n")
    assert first[0].startswith("**1.** [**Temu cuts")
    assert first[0].endswith(") · 2 sources")
    assert "](https://news.example/" in first[0] or "](https://retail.example/" in first[0]
    assert first[1] in {RETOLD[1], "Sellers pay less from June."}
    assert all(b.split("\n")[0].endswith(" · 1 source") for b in blocks[1:])
    # The hostile catalogue title is escaped; the private feed never reaches a summary.
    assert f"@{ZWSP}everyone \\*\\*Amazon\\*\\*" in description
    assert "Secret Temu memo" not in description and PRIVATE_TITLE not in description
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Stories per company"] == "Amazon 1 · SHEIN 1 · Temu 1"
    assert str(embed["footer"]["text"]).endswith(" UTC")
    assert reply.allowed_mentions == {"parse": []}
    assert not reply.pings.anyone


async def test_summary_filters_by_company_and_topic(app: App) -> None:
    await tell_stories(app)
    _, temu = await app.answer(app.world.member, "news summary", company="temu", period="24h")
    embed = only_embed(temu)
    assert embed["title"] == "E-commerce news, last 24 hours · Temu"
    description = str(embed["description"])
    assert "**1.**" in description and "**2.**" not in description
    assert "· 2 sources" in description

    _, fees = await app.answer(app.world.member, "news summary", topic="fees")
    embed = only_embed(fees)
    assert embed["title"] == "E-commerce news, last 7 days · Fees & pricing"
    assert "**2.**" not in str(embed["description"])


async def test_an_empty_period_is_said_plainly(app: App) -> None:
    # No poll ran, so there are no stories yet.
    _, reply = await app.answer(app.world.member, "news summary", period="24h")
    assert reply.content == "No stories in this period (last 24 hours)."
    assert not reply.embeds

    await tell_stories(app)
    _, vinted = await app.answer(app.world.member, "news summary", company="vinted")
    assert vinted.content == "No stories in this period (last 7 days · Vinted)."


async def test_mistakes_are_private_answers(app: App) -> None:
    handle, topic = await app.answer(app.world.member, "news summary", topic="zeppelins")
    assert (await handle.response()).type == 4  # answered at once, not deferred in public
    assert topic.ephemeral
    assert topic.content == "Unknown topic 'zeppelins'."

    _, near = await app.answer(app.world.member, "news summary", topic="logistcs")
    assert near.content == "Unknown topic 'logistcs'. Did you mean Logistics & fulfilment?"

    _, company = await app.answer(app.world.member, "news trend", companies="temu, temoo")
    assert company.ephemeral
    assert company.content == "Unknown company 'temoo'. Did you mean Temu?"


async def test_trend_sends_a_chart_as_an_attachment(app: App) -> None:
    await tell_stories(app)
    handle, reply = await app.answer(app.world.member, "news trend", companies="Temu, amazon")
    assert (await handle.response()).type == 5
    assert list(reply.files) == ["trend.png"]
    assert reply.files["trend.png"].startswith(PNG_MAGIC)
    embed = only_embed(reply)
    assert embed["image"]["url"] == "attachment://trend.png"
    lines = str(embed["description"]).split("\n")
    assert lines[0].startswith("Stories per day, last 30d · ")
    assert lines[1].startswith("Temu: 1 (peak 1 on ")
    assert lines[2].startswith("Amazon: 1 (peak 1 on ")
    assert reply.allowed_mentions == {"parse": []}

    # Without companies: the most active ones.
    _, busiest = await app.answer(app.world.member, "news trend", period="7d")
    assert "Temu: 1" in str(only_embed(busiest)["description"])


async def test_trend_without_stories_answers_in_text(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news trend")
    assert reply.content == "No stories in this period."
    assert not reply.embeds and not reply.files


async def test_topic_and_company_list_autocomplete(app: App) -> None:
    every = await app.complete(app.world.member, "news summary", "topic", "")
    assert [c["value"] for c in every] == [
        "fees",
        "policy",
        "logistics",
        "earnings",
        "launches",
        "legal",
    ]
    tariffs = await app.complete(app.world.member, "news summary", "topic", "tar")
    assert tariffs[0] == {"name": "Policy, tariffs & de minimis", "value": "policy"}

    companies = await app.complete(app.world.member, "news summary", "company", "tem")
    assert companies[0] == {"name": "Temu", "value": "temu"}

    listed = await app.complete(app.world.member, "news trend", "companies", "temu, ama")
    assert listed[0] == {"name": "temu, Amazon", "value": "temu, Amazon"}
    assert all(len(c["value"]) <= 100 for c in listed)


# The embed on its own: Discord's limits under the worst feed text ----------------------------


def hostile_story(n: int) -> StoryRecord:
    now = datetime(2025, 6, 10, 12, tzinfo=UTC)
    return StoryRecord(
        id=n,
        headline=f"@everyone [Sale](https://evil.example) **{n}** " + "very long headline " * 30,
        summary_line="<@&42> " + "and a summary that goes on " * 30,
        first_seen=now,
        last_seen=now,
        item_count=3,
        sources=("A", "B", "C"),
        companies=(),
        links=("https://news.example/" + "x" * 2000, "https://news.example/a_(b)"),
        topics=(),
    )


def test_summary_embed_stays_within_discord_limits() -> None:
    start = datetime(2025, 6, 3, 12, tzinfo=UTC)
    summary = NewsSummary(
        period="7d",
        since=start,
        until=start + timedelta(days=7),
        company=Company("temu", "Temu"),
        topic="fees",
        stories=tuple(RankedStory(hostile_story(n), 1.0) for n in range(5)),
        company_counts=tuple((Company(f"c{n}", "@here " + "Co" * 80), n) for n in range(12)),
        rising_terms=tuple("term " * 40 for _ in range(5)),
    )
    embed = summary_embed(summary, topic_name="Fees & pricing")
    assert embed.title == "E-commerce news, last 7 days · Temu · Fees & pricing"
    assert len(embed.title) <= TITLE_LIMIT
    assert embed.description is not None and len(embed.description) <= DESCRIPTION_LIMIT
    assert len(embed) <= MESSAGE_TOTAL_LIMIT
    assert embed.footer.text == "2025-06-03 12:00 – 2025-06-10 12:00 UTC"
    blocks = embed.description.split("\n\n")
    assert len(blocks) == 5
    for block in blocks:
        headline, summary_line = block.split("\n")
        # The too-long link is skipped for the next one, whose ")" cannot close the link.
        assert headline.endswith("](https://news.example/a_%28b%29) · 3 sources")
        assert "[Sale]" not in headline and "(Sale)" in headline
        assert f"@{ZWSP}everyone" in headline and "\\*\\*" in headline
        assert summary_line.startswith(f"<@{ZWSP}&42>") and len(summary_line) <= 160
    assert [f.name for f in embed.fields] == ["Stories per company", "Rising"]
    assert embed.fields[0].value is not None and f"@{ZWSP}here" in embed.fields[0].value
    assert embed.fields[0].value.count(" · ") == 7  # the top eight companies


def test_summary_embed_without_links_or_summary_lines() -> None:
    start = datetime(2025, 6, 3, 12, tzinfo=UTC)
    story = StoryRecord(
        id=1,
        headline="Temu cuts seller fees",
        summary_line="",
        first_seen=start,
        last_seen=start,
        item_count=1,
        sources=("Loopback News",),
        companies=(),
        links=("javascript:alert(1)",),
        topics=(),
    )
    summary = NewsSummary(
        period="24h",
        since=start,
        until=start + timedelta(hours=24),
        company=None,
        topic=None,
        stories=(RankedStory(story, 1.0),),
        company_counts=(),
        rising_terms=(),
    )
    embed = summary_embed(summary, topic_name=None)
    assert isinstance(embed, discord.Embed)
    assert embed.description == "**1.** **Temu cuts seller fees** · 1 source"
    assert not embed.fields


def folded_summary(*folded: StoryRecord) -> NewsSummary:
    """A 7-day summary whose one entry shows ``hostile_story(0)`` with ``folded`` folded in."""
    start = datetime(2025, 6, 3, 12, tzinfo=UTC)
    return NewsSummary(
        period="7d",
        since=start,
        until=start + timedelta(days=7),
        company=None,
        topic=None,
        stories=(RankedStory(hostile_story(0), 1.0, also=folded),),
        company_counts=(),
        rising_terms=(),
    )


def test_a_folded_story_is_named_in_one_escaped_line_under_its_entry() -> None:
    other = replace(hostile_story(1), sources=("A",))
    embed = summary_embed(folded_summary(other), topic_name=None)
    assert embed.description is not None
    headline, summary_line, also = embed.description.split("\n")
    assert headline.startswith("**1.** ") and summary_line.startswith(f"<@{ZWSP}&42>")
    assert also.startswith(f"also reported as: @{ZWSP}everyone (Sale)(https://evil.example)")
    assert "\\*\\*1\\*\\*" in also  # markdown escaped
    assert also.endswith("… (1 source)")
    assert "[" not in also  # never a masked link
    assert len(also) <= len("also reported as: ") + 80 + len(" (1 source)")
    assert len(embed) <= MESSAGE_TOTAL_LIMIT


def test_several_folded_stories_are_counted_and_ten_entries_fit() -> None:
    folded = (replace(hostile_story(1), headline="Temu fined"), hostile_story(2))
    embed = summary_embed(folded_summary(*folded), topic_name=None)
    assert embed.description is not None
    assert embed.description.endswith("also reported as: Temu fined (3 sources) and 1 more")
    summary = folded_summary(*folded)
    crowded = replace(summary, stories=summary.stories * 10)
    embed = summary_embed(crowded, topic_name=None)
    assert embed.description is not None and len(embed.description) <= DESCRIPTION_LIMIT
    assert len(embed) <= MESSAGE_TOTAL_LIMIT

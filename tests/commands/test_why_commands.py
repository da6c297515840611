"""``/subscriptions preview``, ``/subscribe ... preview: true`` and ``/subscriptions why``
through real dispatch against the fake Discord."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.embeds import DESCRIPTION_LIMIT, MESSAGE_TOTAL_LIMIT
from bot.news.model.vocabulary import (
    Company,
    DigestEntry,
    DigestState,
    FeedPollResult,
    FeedStatus,
    Item,
    NewSubscription,
    PlannedPost,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
    TaggedDraft,
)
from bot.news.rules.explain import Explanation, Outcome
from bot.news.rules.filters import FilterKind, FilterMiss
from bot.news.rules.planning import PlanVerdict, Skip
from bot.news.rules.preview import Preview
from bot.news.services.why import FoundBy, WhyReport
from commands.why import preview_embed, why_embed
from tests.commands.conftest import PRIVATE_TITLE, App, draft
from tests.commands.test_embeds import make_item


def embed_size(embed: dict[str, object]) -> int:
    footer = embed.get("footer") or {}
    assert isinstance(footer, dict)
    return sum(len(str(embed.get(k) or "")) for k in ("title", "description")) + len(
        str(footer.get("text") or "")
    )


async def test_preview_counts_the_week_privately_and_saves_nothing(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.admin, "subscriptions preview", companies="temu")
    assert reply.ephemeral and not reply.pings.anyone
    [embed] = reply.embeds
    # The catalogue's Temu item and Shop Talk's own private Temu memo.
    assert embed["title"] == "Preview: 2 item(s) in the last 7 days"
    assert "**By company:** Temu 2" in embed["description"]
    assert "Temu cuts seller fees in Europe" in embed["description"]
    assert "Secret Temu memo seen by Shop Talk only" in embed["description"]
    assert "Nothing was saved" in embed["footer"]["text"]
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []

    # Another server never sees Shop Talk's private feed.
    _, other = await app.answer(
        world.other_admin, "subscriptions preview", guild=world.other, companies="temu"
    )
    assert other.embeds[0]["title"] == "Preview: 1 item(s) in the last 7 days"
    assert PRIVATE_TITLE not in other.embeds[0]["description"]


async def test_subscribe_with_preview_shows_it_and_subscribes_nothing(app: App) -> None:
    world = app.world
    _, reply = await app.answer(
        world.admin, "subscribe", channel=world.news, keywords="roundup", preview=True
    )
    assert reply.ephemeral
    [embed] = reply.embeds
    assert embed["title"] == "Preview: 7 item(s) in the last 7 days"
    # The five newest, then nothing more: the count says the rest.
    assert embed["description"].count("Marketplace roundup") == 5
    assert "As a digest" not in embed["description"]
    _, digest = await app.answer(
        world.admin, "subscribe", channel=world.news, mode="daily", preview=True
    )
    assert "As a digest, each day's or week's top stories" in digest.embeds[0]["description"]
    assert await app.newsroom.storage.subscriptions.list_for_guild(world.guild.id) == []


async def test_preview_with_a_typo_gets_a_suggestion(app: App) -> None:
    _, reply = await app.answer(app.world.admin, "subscriptions preview", companies="sheen")
    assert reply.ephemeral
    assert reply.content.startswith("Unknown company 'sheen'. Did you mean SHEIN")


async def test_why_links_the_posted_message_and_explains_the_others(app: App) -> None:
    world = app.world
    storage = app.newsroom.storage
    clock = app.newsroom.clock
    everything = await storage.subscriptions.add(
        NewSubscription(world.guild.id, world.news.id, SubscriptionFilter()), clock.now()
    )
    shein = await storage.subscriptions.add(
        NewSubscription(world.guild.id, world.news.id, SubscriptionFilter(companies=("shein",))),
        clock.now(),
    )
    now = clock.now()
    fresh = draft("why-1", "Temu opens a warehouse", "In Poland.", now)
    await storage.items.apply(
        FeedPollResult(
            feed_id=app.catalogue_feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=(TaggedDraft(fresh, ("temu",)),),
            planned_posts=(PlannedPost(everything.id, fresh.key),),
        )
    )
    [entry] = await storage.outbox.due(now, 10)
    await storage.outbox.mark_sent(entry.id, 4242, now)

    _, reply = await app.answer(world.admin, "subscriptions why", item="https://news.example/why-1")
    assert reply.ephemeral and not reply.pings.anyone
    [embed] = reply.embeds
    assert embed["title"] == "Temu opens a warehouse"
    assert embed["url"] == "https://news.example/why-1"
    text = embed["description"]
    assert text.startswith("Found by its link.")
    jump = f"https://discord.com/channels/{world.guild.id}/{world.news.id}/4242"
    assert (
        f"`#{everything.id}` <#{world.news.id}> · ✅ posted: [jump to the message]({jump})" in text
    )
    assert f"`#{shein.id}` <#{world.news.id}> · ❌ not posted: the company filter" in text
    assert "it is not about **SHEIN**" in text

    # By words from the title: the best hit, and it says so.
    _, by_words = await app.answer(world.admin, "subscriptions why", item="warehouse poland")
    assert by_words.embeds[0]["description"].startswith("Best match for “warehouse poland”.")


async def test_why_an_older_item_was_not_posted_by_a_newer_subscription(app: App) -> None:
    world = app.world
    await app.answer(world.admin, "subscribe", channel=world.news)
    _, reply = await app.answer(world.admin, "subscriptions why", item="Temu cuts seller fees")
    text = reply.embeds[0]["description"]
    assert "❌ not posted: the subscription was created" in text
    assert "after the item arrived" in text


async def test_why_refuses_clearly(app: App) -> None:
    world = app.world
    _, none_yet = await app.answer(world.admin, "subscriptions why", item="Temu")
    assert none_yet.ephemeral
    assert none_yet.content.startswith("This server has no subscriptions yet")

    await app.answer(world.admin, "subscribe", channel=world.news)
    _, unknown = await app.answer(
        world.admin, "subscriptions why", item="https://news.example/nothing-here"
    )
    assert unknown.ephemeral and unknown.content.startswith("No stored item has that link")
    _, typo = await app.answer(world.admin, "subscriptions why", item="zqxjv")
    assert typo.ephemeral and typo.content.startswith("No stored item matches that")

    # Another server's private item is unknown here.
    await app.answer(world.other_admin, "subscribe", channel=world.other_news, guild=world.other)
    _, private = await app.answer(
        world.other_admin, "subscriptions why", guild=world.other, item="Secret Temu memo"
    )
    assert PRIVATE_TITLE not in str(private.embeds) + private.content


async def test_why_for_many_subscriptions_stays_within_discords_limits(app: App) -> None:
    world = app.world
    storage = app.newsroom.storage
    long_words = tuple(f"{'x' * 50}{n}" for n in range(10))
    subscriptions: list[Subscription] = [
        await storage.subscriptions.add(
            NewSubscription(world.guild.id, world.news.id, SubscriptionFilter(keywords=long_words)),
            app.newsroom.clock.now(),
        )
        for _ in range(25)
    ]
    _, reply = await app.answer(world.admin, "subscriptions why", item="Temu cuts seller fees")
    [embed] = reply.embeds
    assert len(embed["description"]) <= DESCRIPTION_LIMIT
    assert embed_size(embed) <= MESSAGE_TOTAL_LIMIT
    assert f"`#{subscriptions[0].id}`" in embed["description"]


async def test_members_may_not_ask_why(app: App) -> None:
    _, refused = await app.answer(app.world.member, "subscriptions why", item="Temu", override=True)
    assert refused.content == "You need the Manage Server permission to use this command."


def test_every_outcome_reads_as_one_line_and_feed_text_never_pings() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    item = Item(
        id=1,
        feed_id=1,
        key="k",
        title="@everyone <@&42> **Temu** " + "x" * 400,
        link="https://news.example/k",
        source="@here Wire",
        author=None,
        published=now,
        first_seen=now,
        updated_at=now,
        summary="",
        image_url=None,
        categories=(),
        companies=(Company("temu", "Temu"),),
        content_hash="h",
    )
    realtime = Subscription(1, 5, 6, SubscriptionFilter(), SubscriptionMode.REALTIME, now)
    daily = Subscription(2, 5, 7, SubscriptionFilter(), SubscriptionMode.DAILY, now)
    digest = DigestEntry(1, daily, now - timedelta(days=1), now, DigestState.SENT, message_id=3)
    verdict = PlanVerdict(
        (Skip.FILTER, Skip.CREATED_LATER, Skip.FIRST_POLL, Skip.TOO_OLD),
        (FilterMiss(FilterKind.EXCLUDE, ("@everyone",)),),
    )
    explanations = [
        Explanation(
            daily if outcome.value.startswith("digest") else realtime,
            outcome,
            verdict,
            message_id=9,
            next_attempt_at=now,
            reason="@everyone broke it",
            digest=digest,
            digest_at=now,
        )
        for outcome in Outcome
    ]
    report = WhyReport(item, FoundBy.SEARCH, "Feed", tuple(explanations), timedelta(hours=72))
    embed = why_embed(
        report,
        query="@everyone",
        guild_id=5,
        companies=str,
        topics=str,
    ).to_dict()
    text = embed["description"]
    lines = text.split("\n\n", 1)[1].split("\n")
    assert len(lines) == len(Outcome)
    by_outcome = dict(zip(Outcome, lines, strict=True))
    stamp = f"<t:{int(now.timestamp())}:f>"
    assert f"goes in the digest of {stamp}" in by_outcome[Outcome.DIGEST_LATER]
    assert f"closed {stamp}, before the subscription's first" in by_outcome[Outcome.DIGEST_BEFORE]
    assert "jump to it" in by_outcome[Outcome.DIGEST_POSTED]
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert len(embed["title"]) <= 256 and len(text) <= DESCRIPTION_LIMIT


def test_a_post_in_a_thread_links_into_the_thread() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    item = Item(
        id=1,
        feed_id=1,
        key="k",
        title="Temu",
        link=None,
        source="Wire",
        author=None,
        published=now,
        first_seen=now,
        updated_at=now,
        summary="",
        image_url=None,
        categories=(),
        companies=(),
        content_hash="h",
    )
    forum = Subscription(1, 5, 6, SubscriptionFilter(), SubscriptionMode.REALTIME, now)
    posted = Explanation(forum, Outcome.POSTED, PlanVerdict(()), message_id=9, thread_id=88)
    report = WhyReport(item, FoundBy.LINK, "Feed", (posted,), timedelta(hours=72))
    embed = why_embed(report, query="", guild_id=5, companies=str, topics=str).to_dict()
    assert "(https://discord.com/channels/5/88/9)" in embed["description"]


def test_a_previewed_items_link_and_title_cannot_break_the_line_or_show_a_mention() -> None:
    item = make_item(title="Temu [sale] ends", link="https://news.example/a)<@333333333333333333>")
    now = datetime(2026, 11, 8, tzinfo=UTC)
    result = Preview(now - timedelta(days=7), now, 1, (), (), (item,), 0, 1)
    embed = preview_embed(result, described="all news", companies=str, topics=str)
    assert embed.description is not None
    assert "<@" not in embed.description
    assert "[Temu (sale) ends](https://news.example/a%29%3C@333333333333333333%3E)" in (
        embed.description
    )

"""/news latest and /news search through real discord.py dispatch against the fake Discord."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.news.model.vocabulary import FeedPollResult, FeedStatus, TaggedDraft
from commands.news import NewsCog
from tests.commands.conftest import PRIVATE_TITLE, App, draft
from tests.fakediscord.records import RecordedMessage

ZWSP = "\u200b"


def titles(message: RecordedMessage) -> list[str]:
    return [str(e["title"]) for e in message.embeds]


def button(message: RecordedMessage, custom_id: str) -> dict[str, object]:
    found = message.find_component(custom_id)
    assert found is not None, message.components
    return found


async def test_latest_answers_with_item_embeds_after_deferring(app: App) -> None:
    handle, reply = await app.answer(app.world.member, "news latest")
    assert (await handle.response()).type == 5  # deferred first, as Discord's 3 s rule wants
    assert not reply.ephemeral
    assert reply.content == "Latest news"
    assert len(reply.embeds) == 5  # the default count
    first = reply.embeds[0]
    assert first["title"] == "Temu cuts seller fees in Europe"
    assert first["url"].startswith("https://news.example/")
    assert first["author"]["name"] == "Loopback News"
    assert first["footer"]["text"] == "Temu"
    assert first["description"] == "Sellers pay less from June."
    assert "timestamp" in first
    assert reply.allowed_mentions == {"parse": []}
    assert not reply.pings.anyone


async def test_hostile_feed_text_is_escaped_and_pings_nobody(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news latest", company="amazon")
    [embed] = reply.embeds
    assert embed["title"] == f"@{ZWSP}everyone \\*\\*Amazon\\*\\* Prime Day dates <@{ZWSP}&42>"
    assert embed["description"] == f"Leaked @{ZWSP}here for <@{ZWSP}123>."
    assert reply.allowed_mentions == {"parse": []}
    assert not reply.pings.anyone


async def test_latest_with_a_company_and_a_count(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news latest", company="temu")
    assert reply.content == "Latest news about Temu"
    # This server sees its own private feed's item too.
    assert titles(reply) == ["Temu cuts seller fees in Europe", PRIVATE_TITLE]

    _, two = await app.answer(app.world.member, "news latest", count=2)
    assert len(two.embeds) == 2


async def test_latest_from_one_source(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news latest", source=str(app.private_feed.id))
    assert reply.content == "Latest news from Secret Source"
    assert titles(reply) == [PRIVATE_TITLE]


async def test_unknown_company_is_a_private_answer_with_a_suggestion(app: App) -> None:
    handle, reply = await app.answer(app.world.member, "news latest", company="temoo")
    assert (await handle.response()).type == 4  # answered at once, not deferred in public
    assert reply.ephemeral
    assert reply.content == "Unknown company 'temoo'. Did you mean Temu?"
    assert not reply.embeds


async def test_nothing_found_is_said_plainly(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news latest", company="vinted")
    assert reply.content == "No news about Vinted yet."
    assert not reply.embeds

    _, search = await app.answer(app.world.member, "news search", query="zeppelin")
    assert search.content == "No results for “zeppelin”."


async def test_private_feed_is_invisible_in_another_server(app: App) -> None:
    world = app.world
    _, reply = await app.answer(world.other_admin, "news latest", guild=world.other, count=10)
    assert PRIVATE_TITLE not in titles(reply)
    assert len(reply.embeds) == 10

    _, temu = await app.answer(world.other_admin, "news latest", guild=world.other, company="temu")
    assert titles(temu) == ["Temu cuts seller fees in Europe"]

    _, by_id = await app.answer(
        world.other_admin, "news latest", guild=world.other, source=str(app.private_feed.id)
    )
    assert by_id.ephemeral
    assert by_id.content.startswith(f"No feed '{app.private_feed.id}'")

    _, searched = await app.answer(
        world.other_admin, "news search", guild=world.other, query="memo"
    )
    assert searched.content == "No results for “memo”."

    choices = await app.complete(world.other_admin, "news latest", "source", "", guild=world.other)
    assert [c["name"] for c in choices] == ["Loopback News"]
    mine = await app.complete(world.member, "news latest", "source", "")
    assert [c["name"] for c in mine] == ["Loopback News", "Secret Source (this server)"]


async def test_company_autocomplete_is_fuzzy_and_at_most_25(app: App) -> None:
    everything = await app.complete(app.world.member, "news latest", "company", "")
    assert len(everything) == 25  # 28 companies are known; Discord takes 25 at most
    typed = await app.complete(app.world.member, "news search", "company", "tem")
    assert typed[0] == {"name": "Temu", "value": "temu"}
    assert len(typed) <= 25


async def test_source_autocomplete_is_fuzzy_and_at_most_25(app: App) -> None:
    for n in range(30):
        await app.newsroom.service.add_feed(
            f"https://feeds{n}.example/rss", name=f"Retail Wire {n}"
        )
    choices = await app.complete(app.world.member, "news latest", "source", "")
    assert len(choices) == 25
    typo = await app.complete(app.world.member, "news latest", "source", "secrte")
    assert typo[0]["name"] == "Secret Source (this server)"
    assert typo[0]["value"] == str(app.private_feed.id)
    wire = await app.complete(app.world.member, "news latest", "source", "wire 2")
    assert wire[0]["name"] == "Retail Wire 2"


async def test_search_pages_forward_and_back_for_the_searcher_only(app: App) -> None:
    world = app.world
    handle, page1 = await app.answer(world.member, "news search", query="roundup", count=3)
    assert (await handle.response()).type == 5
    assert page1.content == "Results for “roundup”: page 1 (results 1–3)"
    assert titles(page1) == [f"Marketplace roundup {n}" for n in (1, 2, 3)]
    assert button(page1, "search:previous").get("disabled") is True
    assert not button(page1, "search:next").get("disabled")

    click = await app.fake.click_button(page1, "search:next", user_id=world.member.user.id)
    await click.response()
    await click.wait_until(lambda h: page1.content.endswith("(results 4–6)"))
    assert titles(page1) == [f"Marketplace roundup {n}" for n in (4, 5, 6)]
    assert not button(page1, "search:previous").get("disabled")

    # Someone else cannot turn the pages; the message stays as it is.
    stranger = await app.fake.click_button(page1, "search:next", user_id=world.admin.user.id)
    refusal = await stranger.wait_original()
    assert refusal.ephemeral
    assert refusal.content == "Only the person who searched can turn pages."
    assert page1.content.endswith("(results 4–6)")

    back = await app.fake.click_button(page1, "search:previous", user_id=world.member.user.id)
    await back.wait_until(lambda h: page1.content.endswith("(results 1–3)"))
    assert titles(page1) == [f"Marketplace roundup {n}" for n in (1, 2, 3)]

    # Two quick clicks move two pages (turns are taken one at a time).
    for _ in range(2):
        await app.fake.click_button(page1, "search:next", user_id=world.member.user.id)
    await app.fake.wait_until(lambda: page1.content.endswith("(results 7–7)"), what="page 3")
    assert titles(page1) == ["Marketplace roundup 7"]
    assert button(page1, "search:next").get("disabled") is True
    assert not page1.pings.anyone


async def test_search_buttons_are_disabled_when_the_view_times_out(app: App) -> None:
    cog = app.bot.get_cog("NewsCog")
    assert isinstance(cog, NewsCog)
    cog.page_timeout = 0.3
    _, page = await app.answer(app.world.member, "news search", query="roundup", count=3)
    await app.fake.wait_until(
        lambda: all(button(page, c).get("disabled") for c in ("search:previous", "search:next")),
        what="the buttons to be disabled",
    )
    with pytest.raises(ValueError, match="disabled"):
        await app.fake.click_button(page, "search:next", user_id=app.world.member.user.id)


async def test_single_page_of_results_has_no_buttons(app: App) -> None:
    _, reply = await app.answer(app.world.member, "news search", query="seller fees")
    assert titles(reply) == ["Temu cuts seller fees in Europe"]
    assert reply.components == []


async def test_search_mistakes_are_private_messages(app: App) -> None:
    _, empty = await app.answer(app.world.member, "news search", query="-temu")
    assert empty.ephemeral
    assert "only of excluded words" in empty.content

    _, since = await app.answer(app.world.member, "news search", query="temu", since="yesterdayish")
    assert since.ephemeral
    assert "yesterdayish" in since.content


async def test_search_by_prefix_and_stem(app: App) -> None:
    _, prefix = await app.answer(app.world.member, "news search", query="marketpl*", count=3)
    assert titles(prefix) == [f"Marketplace roundup {n}" for n in (1, 2, 3)]
    _, stem = await app.answer(app.world.member, "news search", query="roundups", count=3)
    assert titles(stem) == titles(prefix)

    _, short = await app.answer(app.world.member, "news search", query="temu s*")
    assert short.ephemeral
    assert short.content.startswith("Put at least 2 letters or digits before a `*`")
    _, bare = await app.answer(app.world.member, "news search", query="*")
    assert bare.ephemeral
    assert "`amaz*` finds amazon" in bare.content


async def test_search_filters_by_topic(app: App) -> None:
    # The fixture's items carry no topics; tag the fees story the way a poll would.
    now = app.newsroom.clock.now()
    tagged = TaggedDraft(
        draft("topic-1", "Temu seller roundup: fees fall", "Commissions drop.", now),
        ("temu",),
        ("fees",),
    )
    await app.newsroom.storage.items.apply(
        FeedPollResult(
            feed_id=app.catalogue_feed.id,
            polled_at=now,
            status=FeedStatus.OK,
            next_due=now + timedelta(minutes=15),
            new_items=(tagged,),
        )
    )
    _, reply = await app.answer(app.world.member, "news search", query="roundup", topic="fees")
    assert titles(reply) == ["Temu seller roundup: fees fall"]
    assert reply.content.startswith("Results for “roundup” on Fees & pricing: page 1")

    _, none = await app.answer(app.world.member, "news search", query="roundup", topic="legal")
    assert none.content == "No results for “roundup” on Legal & safety."

    _, typo = await app.answer(app.world.member, "news search", query="roundup", topic="feez")
    assert typo.ephemeral
    assert typo.content.startswith("Unknown topic 'feez'.")

    choices = await app.complete(app.world.member, "news search", "topic", "fe")
    assert choices[0]["value"] == "fees"

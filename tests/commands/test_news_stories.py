"""/news latest and /news search show a story once, with "+N more sources" in its footer."""

from __future__ import annotations

from datetime import timedelta

from bot.news.stories import StorySummary
from tests.commands.conftest import PRIVATE_TITLE, App, store_items
from tests.commands.test_news_commands import titles
from tests.fakediscord import InteractionHandle

HEADLINE = "Temu cuts seller fees in Europe"
# Other sources' reports of the catalogue's top story, an hour or more older.
REPORTS = {
    "Trade Wire": "Temu lowers seller fees across Europe",
    "Retail Daily": "Europe: Temu trims fees for sellers",
    "Parcel Post": "Seller fees fall at Temu in Europe",
}


async def _one_story(app: App) -> None:
    """Store the other sources' reports and put them in one story with the headline item."""
    service = app.newsroom.service
    for n, (source, title) in enumerate(REPORTS.items()):
        feed = await service.add_feed(f"https://source{n}.example/feed.xml", name=source)
        await store_items(
            app.newsroom,
            feed,
            [(title, "Sellers pay less.", ("temu",))],
            age=timedelta(minutes=30 + 10 * n),
        )
    page = await service.latest(limit=100, all_guilds=True, collapse=False)
    members = tuple(sorted(i.id for i in page.items if i.title in {HEADLINE, *REPORTS.values()}))
    assert len(members) == 4
    now = app.newsroom.clock.now()
    summary = StorySummary(
        story_id=1,
        item_ids=members,
        sources=("Loopback News", *sorted(REPORTS)),
        first_seen=now - timedelta(hours=1),
        last_seen=now,
        companies=("temu",),
        headline=HEADLINE,
        summary_line="",
    )
    await app.newsroom.storage.stories.save([(i, 1) for i in members], [summary], now)


async def test_latest_shows_a_story_once_with_its_other_sources(app: App) -> None:
    await _one_story(app)
    _, reply = await app.answer(app.world.member, "news latest", company="temu")
    assert titles(reply) == [HEADLINE, PRIVATE_TITLE]
    story, private = reply.embeds
    assert story["footer"]["text"] == "Temu · +3 more sources"
    assert private["footer"]["text"] == "Temu"  # a server's own item is never collapsed

    # The page is still full: the story's other items do not take places.
    _, five = await app.answer(app.world.member, "news latest")
    assert len(five.embeds) == 5
    assert not set(titles(five)) & set(REPORTS.values())


async def test_search_pages_show_a_story_once(app: App) -> None:
    await _one_story(app)
    _, reply = await app.answer(app.world.member, "news search", query="temu seller fees")
    [embed] = reply.embeds  # the best-ranked of the story's four reports stands for it
    assert embed["title"] in {HEADLINE, *REPORTS.values()}
    assert embed["footer"]["text"] == "Temu · +3 more sources"
    assert reply.content == "Results for “temu seller fees”: page 1 (results 1–1)"
    assert reply.components == []

    # Paging counts stories: the story's other reports never come up on a later page.
    _, page = await app.answer(app.world.member, "news search", query="temu OR roundup", count=3)
    pages = [titles(page)]
    while not page.find_component("search:next").get("disabled"):  # type: ignore[union-attr]
        before = page.content
        click = await app.fake.click_button(page, "search:next", user_id=app.world.member.user.id)

        def turned(_: InteractionHandle, before: str = before) -> bool:
            return page.content != before

        await click.wait_until(turned)
        pages.append(titles(page))
    assert [len(p) for p in pages] == [3, 3, 3]  # the story, 7 roundups, the private memo
    seen = [title for p in pages for title in p]
    assert len(set(seen)) == 9
    assert len(set(seen) & {HEADLINE, *REPORTS.values()}) == 1
    assert page.content.endswith("page 3 (results 7–9)")

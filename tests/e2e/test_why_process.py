"""End to end: previews and ``/subscriptions why`` in the real `shopwire run` process against
the loopback fake of Discord and a loopback feed server. Nothing leaves 127.0.0.1; every wait
is bounded; the process is stopped."""

from __future__ import annotations

import signal

import pytest

from tests.e2e.test_bot_process import WAIT, World, reply, text_of, world

pytestmark = pytest.mark.slow

__all__ = ["world"]  # the fixture, shared with test_bot_process


async def test_why_links_the_real_message_explains_a_filtered_item_and_previews_save_nothing(
    world: World,
) -> None:
    w = world
    await w.start_bot()
    await w.fake.wait_for_command_sync(w.guild.id, timeout=WAIT)
    subscribed = await w.slash(w.admin, "subscribe", channel=w.news.id, companies="Temu")
    assert "Subscribed" in await reply(subscribed)

    w.add_items(
        ("a-4", "Temu opens EU warehouses", "Local fulfilment for European sellers."),
        ("a-5", "Walmart raises marketplace fees", "Sellers pay more from January."),
    )
    [post] = await w.fake.wait_for_messages(w.news.id, 1, timeout=WAIT)
    assert "Temu opens EU warehouses" in text_of(post)
    # Discord holds the message before the bot has recorded it as sent (the drain's log line
    # comes after): asked in between, "why" rightly says queued.
    await w.until(lambda: "delivery sent=1 " in w.bot.log())

    posted = await (
        await w.slash(w.admin, "subscriptions why", item="https://news.example/a-4")
    ).wait_original()
    assert posted.ephemeral
    jump = f"https://discord.com/channels/{w.guild.id}/{w.news.id}/{post.id}"
    assert f"posted: [jump to the message]({jump})" in text_of(posted)

    filtered = await reply(await w.slash(w.admin, "subscriptions why", item="Walmart fees"))
    assert "Best match for" in filtered and "Walmart raises marketplace fees" in filtered
    assert "not posted: the company filter: it is not about **Temu**" in filtered

    backlog = await reply(await w.slash(w.admin, "subscriptions why", item="Temu pauses"))
    assert "first poll" in backlog

    preview = await w.slash(
        w.admin, "subscribe", channel=w.deals.id, companies="Temu", preview=True
    )
    shown = await preview.wait_original()
    assert shown.ephemeral
    assert "Preview: 1 item(s) in the last 7 days" in text_of(shown)
    assert "Temu opens EU warehouses" in text_of(shown)
    other = await reply(await w.slash(w.admin, "subscriptions preview", keywords="fees"))
    assert "Preview: 1 item(s)" in other and "Walmart raises marketplace fees" in other

    # The previews saved nothing: still one subscription, and #deals got no post.
    listing = await reply(await w.slash(w.admin, "subscriptions list"))
    assert "Subscriptions (1)" in listing
    assert w.posts(w.deals) == []

    assert await w.bot.stop(signal.SIGTERM) == 0

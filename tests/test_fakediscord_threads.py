"""The fake Discord's forums, threads, edits and crossposts, over raw HTTP (see threads.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord, Perm


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


class Api:
    def __init__(self, fake: FakeDiscord, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.fake.token}"}
        async with self.session.request(
            method, self.fake.api_base + path, json=body, headers=headers
        ) as response:
            data = await response.json() if response.status != 204 else None
            return response.status, data


@pytest.fixture
async def api(fake: FakeDiscord) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(fake, session)


EMBED = {"embeds": [{"title": "Temu fined", "url": "https://example.com/a"}]}


async def test_a_forum_post_is_a_thread_whose_first_message_has_its_id(
    fake: FakeDiscord, api: Api
) -> None:
    guild = fake.add_guild("g")
    forum = guild.add_forum_channel("news", tags=["Temu", "Fees"])
    temu = int(forum.available_tags[0]["id"])
    status, post = await api.call(
        "POST",
        f"/channels/{forum.id}/threads",
        {"name": "Temu fined", "message": EMBED, "applied_tags": [str(temu)]},
    )
    assert status == 200
    thread_id = int(post["id"])
    assert post["type"] == 11 and post["parent_id"] == str(forum.id)
    assert post["applied_tags"] == [str(temu)]
    assert int(post["message"]["id"]) == thread_id
    assert [m.id for m in fake.messages_in(thread_id)] == [thread_id]
    # A reply in the post needs Send Messages in Threads.
    status, _ = await api.call("POST", f"/channels/{thread_id}/messages", {"content": "+1"})
    assert status == 200
    guild.deny_bot(forum, Perm.SEND_MESSAGES_IN_THREADS)
    status, body = await api.call("POST", f"/channels/{thread_id}/messages", {"content": "+1"})
    assert (status, body["code"]) == (403, 50013)
    # The forum itself takes no messages; six tags, an unknown tag or no name are refused.
    status, body = await api.call("POST", f"/channels/{forum.id}/messages", {"content": "x"})
    assert (status, body["code"]) == (400, 50008)
    too_many = {"name": "x", "message": EMBED, "applied_tags": [str(temu)] * 6}
    assert (await api.call("POST", f"/channels/{forum.id}/threads", too_many))[0] == 400
    unknown = {"name": "x", "message": EMBED, "applied_tags": ["1"]}
    assert (await api.call("POST", f"/channels/{forum.id}/threads", unknown))[0] == 400
    unnamed = {"name": "", "message": EMBED}
    assert (await api.call("POST", f"/channels/{forum.id}/threads", unnamed))[0] == 400
    status, active = await api.call("GET", f"/guilds/{guild.id}/threads/active")
    assert status == 200 and [t["id"] for t in active["threads"]] == [str(thread_id)]
    guild.deny_bot(forum, Perm.SEND_MESSAGES)
    assert (
        await api.call("POST", f"/channels/{forum.id}/threads", {"name": "y", "message": EMBED})
    )[0] == 403


async def test_one_thread_per_message_and_edits_of_deleted_messages_are_unknown(
    fake: FakeDiscord, api: Api
) -> None:
    guild = fake.add_guild("g")
    news = guild.add_text_channel("news")
    _, message = await api.call("POST", f"/channels/{news.id}/messages", EMBED)
    path = f"/channels/{news.id}/messages/{message['id']}/threads"
    status, thread = await api.call("POST", path, {"name": "Temu fined"})
    assert status == 200 and thread["id"] == message["id"]
    status, again = await api.call("POST", path, {"name": "Temu fined"})
    assert (status, again["code"]) == (400, 160004)
    status, edited = await api.call(
        "PATCH", f"/channels/{news.id}/messages/{message['id']}", {"content": "corrected"}
    )
    assert status == 200 and edited["edited_timestamp"] is not None
    await api.call("DELETE", f"/channels/{news.id}/messages/{message['id']}")
    status, gone = await api.call(
        "PATCH", f"/channels/{news.id}/messages/{message['id']}", {"content": "again"}
    )
    assert (status, gone["code"]) == (404, 10008)
    other = guild.add_text_channel("other")
    guild.deny_bot(other, Perm.CREATE_PUBLIC_THREADS)
    _, message = await api.call("POST", f"/channels/{other.id}/messages", EMBED)
    status, _ = await api.call(
        "POST", f"/channels/{other.id}/messages/{message['id']}/threads", {"name": "x"}
    )
    assert status == 403


async def test_crossposts_are_limited_per_channel_and_happen_once(
    fake: FakeDiscord, api: Api
) -> None:
    fake.crosspost_rate_limit = (2, 3600.0)
    guild = fake.add_guild("g")
    announcements = guild.add_text_channel("announcements", news=True)
    plain = guild.add_text_channel("plain")
    ids = []
    for _ in range(3):
        _, message = await api.call("POST", f"/channels/{announcements.id}/messages", EMBED)
        ids.append(message["id"])
    first = f"/channels/{announcements.id}/messages/{ids[0]}/crosspost"
    status, published = await api.call("POST", first)
    assert status == 200 and published["flags"] & 1
    status, again = await api.call("POST", first)
    assert (status, again["code"]) == (400, 40033)
    assert (await api.call("POST", f"/channels/{announcements.id}/messages/{ids[1]}/crosspost"))[
        0
    ] == 200
    status, limited = await api.call(
        "POST", f"/channels/{announcements.id}/messages/{ids[2]}/crosspost"
    )
    assert status == 429 and limited["retry_after"] > 0
    assert [c.message_id for c in fake.crossposts] == [int(ids[0]), int(ids[1])]
    _, message = await api.call("POST", f"/channels/{plain.id}/messages", EMBED)
    status, body = await api.call(
        "POST", f"/channels/{plain.id}/messages/{message['id']}/crosspost"
    )
    assert (status, body["code"]) == (400, 50024)
    # Someone else's message needs Manage Messages.
    member = guild.add_member(fake.add_user("alice"))
    theirs = fake.post_user_message(announcements.id, member.id, "hello")
    guild.deny_bot(announcements, Perm.MANAGE_MESSAGES)
    status, _ = await api.call(
        "POST", f"/channels/{announcements.id}/messages/{theirs.id}/crosspost"
    )
    assert status == 403


async def test_a_thread_is_renamed_with_manage_threads_within_100_characters(
    fake: FakeDiscord, api: Api
) -> None:
    guild = fake.add_guild("g")
    forum = guild.add_forum_channel("news")
    status, post = await api.call(
        "POST", f"/channels/{forum.id}/threads", {"name": "Temu fnied", "message": EMBED}
    )
    thread_id = int(post["id"])
    # Discord's Modify Channel for a thread: renaming needs Manage Threads.
    status, body = await api.call("PATCH", f"/channels/{thread_id}", {"name": "Temu fined"})
    assert (status, body["code"]) == (403, 50013)
    guild.allow_bot(forum, Perm.MANAGE_THREADS)
    status, body = await api.call("PATCH", f"/channels/{thread_id}", {"name": "Temu fined"})
    assert status == 200 and body["name"] == "Temu fined"
    assert guild.threads[thread_id].name == "Temu fined"
    assert fake.thread_renames == [(thread_id, "Temu fined")]
    for bad in ("", "x" * 101):
        status, body = await api.call("PATCH", f"/channels/{thread_id}", {"name": bad})
        assert (status, body["code"]) == (400, 50035)
    # An archived post is not renamed unless the same request unarchives it.
    guild.threads[thread_id].archived = True
    status, body = await api.call("PATCH", f"/channels/{thread_id}", {"name": "Later"})
    assert (status, body["code"]) == (400, 50083)
    # Not a thread: the fake serves thread settings only.
    status, body = await api.call("PATCH", f"/channels/{forum.id}", {"name": "x"})
    assert (status, body["code"]) == (400, 50024)
    assert guild.threads[thread_id].name == "Temu fined"

"""Posts in a subscription's style (bot/post_styles.py): within Discord's limits, feed text
escaped, and only the subscription's role pinged."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.embeds import ZWSP
from bot.news.model.vocabulary import DEFAULT_POST_FORMAT, MessageStyle, PostFormat, StoryRecord
from bot.news.rules.summary_ranking import NewsSummary, RankedStory
from bot.news.services.digests import DigestPost
from bot.post_styles import (
    SUPPRESS_EMBEDS,
    StyledMessage,
    allowed_mentions,
    digest_message,
    item_message,
    roundup_message,
)
from tests.commands.test_embeds import make_item
from tests.fakediscord import compute_pings
from tests.fakediscord.validation import validate_message

ROLE = 1_111_111_111_111_111_111
HOSTILE = "@everyone <@&222222222222222222> <@333333333333333333> @here **bold** [x](https://evil.example)"
ALL_STYLES = list(MessageStyle)


def pings_of(content: str, post_format: PostFormat) -> tuple[bool, frozenset[int], frozenset[int]]:
    """Who Discord would ping for this content, the roles mentionable and the bot allowed."""
    pings = compute_pings(
        content, allowed_mentions(post_format), mentionable=lambda _: True, mention_everyone=True
    )
    return pings.everyone, pings.users, pings.roles


@pytest.mark.parametrize("style", ALL_STYLES)
def test_a_ping_reaches_exactly_its_role_whatever_the_feed_text_says(style: MessageStyle) -> None:
    post_format = PostFormat(style, ping_role_id=ROLE)
    message = item_message(make_item(title=HOSTILE, summary=HOSTILE, source=HOSTILE), post_format)
    payload = {**message.payload(), "allowed_mentions": allowed_mentions(post_format)}
    assert not validate_message(payload)
    assert message.content.startswith(f"<@&{ROLE}>")
    assert pings_of(message.content, post_format) == (False, frozenset(), frozenset({ROLE}))
    assert allowed_mentions(post_format) == {"parse": [], "roles": [str(ROLE)]}


@pytest.mark.parametrize("style", ALL_STYLES)
def test_without_a_ping_nobody_is_pinged(style: MessageStyle) -> None:
    post_format = PostFormat(style)
    message = item_message(make_item(title=HOSTILE, source=HOSTILE), post_format)
    assert pings_of(message.content, post_format) == (False, frozenset(), frozenset())
    assert allowed_mentions(post_format) == {"parse": []}
    assert not message.content.startswith("<@&")


def test_compact_is_one_line_with_the_title_linked_and_the_source_without_previews() -> None:
    item = make_item(
        title="Temu [cuts] *fees*", source="Retail_Dive", link="https://n.example/a(1)"
    )
    message = item_message(item, PostFormat(MessageStyle.COMPACT))
    assert message.embeds == () and message.suppress_embeds
    assert message.payload()["flags"] == SUPPRESS_EMBEDS
    assert "\n" not in message.content
    # Brackets cannot end the link text early, markdown is escaped, ")" cannot end the link.
    assert message.content == (
        r"[Temu (cuts) \*fees\*](<https://n.example/a%281%29>) · Retail\_Dive"
    )


def test_a_link_cannot_end_the_angle_brackets_that_suppress_its_preview() -> None:
    item = make_item(title="Temu", source="", link="https://n.example/a>b<c")
    message = item_message(item, PostFormat(MessageStyle.COMPACT))
    assert message.content == "[Temu](<https://n.example/a%3Eb%3Cc>)"


def test_compact_without_a_usable_link_keeps_the_title() -> None:
    message = item_message(make_item(link="javascript:alert(1)"), PostFormat(MessageStyle.COMPACT))
    assert message.content == "Temu cuts fees · Loopback News"


def test_headline_is_the_title_and_its_bare_link_which_discord_previews() -> None:
    message = item_message(make_item(), PostFormat(MessageStyle.HEADLINE))
    assert message.content == "**Temu cuts fees**\nhttps://news.example/a"
    assert message.embeds == () and not message.suppress_embeds


def test_embed_is_todays_card_and_the_ping_alone_in_the_content() -> None:
    assert item_message(make_item(), DEFAULT_POST_FORMAT).content == ""
    message = item_message(make_item(), PostFormat(MessageStyle.EMBED, ping_role_id=ROLE))
    assert message.content == f"<@&{ROLE}>"
    assert message.embeds[0].title == "Temu cuts fees"


@pytest.mark.parametrize("style", ALL_STYLES)
def test_the_longest_feed_text_stays_within_discords_limits(style: MessageStyle) -> None:
    item = make_item(
        title="T" * 10_000 + "@everyone", source="S" * 5_000, link="https://n.example/" + "a" * 1900
    )
    message = item_message(item, PostFormat(style, ping_role_id=ROLE))
    assert len(message.content) <= 2000
    assert not validate_message(message.payload())


@pytest.mark.parametrize("style", [MessageStyle.COMPACT, MessageStyle.HEADLINE])
def test_a_roundup_in_lines_shows_every_item_within_2000_characters(style: MessageStyle) -> None:
    items = [
        make_item(
            title=f"Story {n} " + "long words " * 30,
            source="Source " * 10,
            link=f"https://news.example/{n}/" + "x" * 250,
        )
        for n in range(20)
    ]
    message = roundup_message(items, 3, PostFormat(style, ping_role_id=ROLE))
    assert len(message.content) <= 2000 and message.suppress_embeds
    assert not validate_message(message.payload())
    lines = message.content.splitlines()
    assert lines[0] == f"<@&{ROLE}> **20 more new items for this channel**"
    shown = [line for line in lines if line.startswith("• ")]
    later = re.fullmatch(r"(\d+) more to follow", lines[-1])
    assert later is not None
    # Every item is shown or counted: none is lost.
    assert len(shown) + int(later.group(1)) == 20 + 3
    assert pings_of(message.content, PostFormat(style, ROLE))[2] == {ROLE}
    has_source = any("· Source" in line for line in shown)
    assert has_source is (style is MessageStyle.COMPACT)


def test_an_embed_roundup_keeps_its_embed_and_pings_from_the_content() -> None:
    message = roundup_message([make_item()], 0, PostFormat(ping_role_id=ROLE))
    assert message.content == f"<@&{ROLE}>"
    assert message.embeds[0].title == "1 more new item for this channel"


def digest(stories: int, *, headline: str = "Temu cuts seller fees", link: str = "") -> DigestPost:
    start = datetime(2026, 11, 26, 8, tzinfo=UTC)
    records = tuple(
        RankedStory(
            StoryRecord(
                id=n,
                headline=f"{headline} {n}",
                summary_line="Sellers pay less.",
                first_seen=start,
                last_seen=start,
                item_count=2,
                sources=("A", "B"),
                companies=(),
                links=(link or f"https://news.example/{n}",),
                topics=(),
            ),
            1.0,
        )
        for n in range(1, stories + 1)
    )
    summary = NewsSummary("24h", start, start + timedelta(days=1), None, None, records, (), ())
    return DigestPost("Daily digest · Fri 27 Nov", summary)


@pytest.mark.parametrize("style", ALL_STYLES)
def test_a_digest_follows_the_subscriptions_style_and_pings_only_its_role(
    style: MessageStyle,
) -> None:
    post_format = PostFormat(style, ping_role_id=ROLE)
    post = digest(3, headline=HOSTILE)
    message = digest_message(DigestPost(post.title, post.summary, post_format=post_format))
    assert not validate_message(message.payload())
    assert message.content.startswith(f"<@&{ROLE}>")
    assert pings_of(message.content, post_format) == (False, frozenset(), frozenset({ROLE}))
    assert bool(message.embeds) is (style is MessageStyle.EMBED)
    assert message.suppress_embeds is (style is MessageStyle.COMPACT)


def test_a_compact_digest_is_a_line_per_story_linked_without_previews() -> None:
    post = digest(2)
    message = digest_message(
        DigestPost(post.title, post.summary, post_format=PostFormat(MessageStyle.COMPACT))
    )
    assert message.content.splitlines() == [
        "**Daily digest · Fri 27 Nov**",
        "**1.** [Temu cuts seller fees 1](<https://news.example/1>) · 2 sources",
        "**2.** [Temu cuts seller fees 2](<https://news.example/2>) · 2 sources",
    ]


def test_a_headline_digest_shows_bare_links_that_discord_previews() -> None:
    post = digest(1)
    message = digest_message(
        DigestPost(post.title, post.summary, post_format=PostFormat(MessageStyle.HEADLINE))
    )
    assert message.content.splitlines()[1:] == [
        "**1.** **Temu cuts seller fees 1** · 2 sources",
        "https://news.example/1",
    ]
    assert not message.suppress_embeds
    # A story of the same event that the summary folded into the entry is named under it.
    [entry] = post.summary.stories
    other = replace(entry.story, headline="What @everyone [pays] now", sources=("C",))
    folded = replace(post.summary, stories=(replace(entry, also=(other,)),))
    message = digest_message(
        DigestPost(post.title, folded, post_format=PostFormat(MessageStyle.HEADLINE))
    )
    assert message.content.splitlines()[3] == (
        f"also reported as: What @{ZWSP}everyone (pays) now (1 source)"
    )


def test_a_compact_digest_names_the_stories_folded_into_an_entry() -> None:
    # As the full digest, `shopwire summary` and `/news summary` do (embeds.also_line).
    post = digest(2)
    first, second = post.summary.stories
    other = replace(first.story, headline="What @everyone [pays] now", sources=("C",))
    more = replace(first.story, headline="Temu recap", sources=("D", "E"))
    folded = replace(post.summary, stories=(replace(first, also=(other, more)), second))
    message = digest_message(
        DigestPost(post.title, folded, post_format=PostFormat(MessageStyle.COMPACT))
    )
    assert not validate_message(message.payload())
    assert message.content.splitlines() == [
        "**Daily digest · Fri 27 Nov**",
        "**1.** [Temu cuts seller fees 1](<https://news.example/1>) · 2 sources",
        f"also reported as: What @{ZWSP}everyone (pays) now (1 source) and 1 more",
        "**2.** [Temu cuts seller fees 2](<https://news.example/2>) · 2 sources",
    ]


@pytest.mark.parametrize("style", [MessageStyle.COMPACT, MessageStyle.HEADLINE])
def test_a_long_digest_with_folded_stories_keeps_whole_entries_within_2000_characters(
    style: MessageStyle,
) -> None:
    post = digest(40, headline="Very long words " * 20, link="https://news.example/" + "x" * 250)
    other = replace(post.summary.stories[0].story, headline="Also " * 40, sources=("C",))
    stories = tuple(replace(ranked, also=(other,)) for ranked in post.summary.stories)
    folded = replace(post.summary, stories=stories)
    message = digest_message(
        DigestPost(post.title, folded, post_format=PostFormat(style, ping_role_id=ROLE))
    )
    assert len(message.content) <= 2000 and not validate_message(message.payload())
    lines = message.content.splitlines()
    numbered = [line for line in lines if re.match(r"\*\*\d+\.\*\*", line)]
    also = [line for line in lines if line.startswith("also reported as: ")]
    assert len(also) == len(numbered) > 0  # an entry is never shown without its fold
    left = re.fullmatch(r"\+(\d+) more stories", lines[-1])
    assert left is not None and len(numbered) + int(left.group(1)) == 40


@pytest.mark.parametrize("style", [MessageStyle.COMPACT, MessageStyle.HEADLINE])
def test_a_long_digest_keeps_whole_lines_within_2000_characters_and_counts_the_rest(
    style: MessageStyle,
) -> None:
    post = digest(40, headline="Very long words " * 20, link="https://news.example/" + "x" * 250)
    message = digest_message(
        DigestPost(post.title, post.summary, post_format=PostFormat(style, ping_role_id=ROLE))
    )
    assert len(message.content) <= 2000 and not validate_message(message.payload())
    lines = message.content.splitlines()
    numbered = [line for line in lines if re.match(r"\*\*\d+\.\*\*", line)]
    left = re.fullmatch(r"\+(\d+) more stories", lines[-1])
    assert left is not None and len(numbered) + int(left.group(1)) == 40
    assert all(line.endswith("· 2 sources") for line in numbered)  # no line was cut


# A link is feed text too: "<" ends Discord's reading of a bare address, so what follows it
# would show as a mention (a user's or a role's name, highlighted) under the headline.
MENTION_LINKS = [
    "https://news.example/a<@333333333333333333>",
    "https://news.example/a?r=<@&222222222222222222>&x=1",
    "https://news.example/a)<@!333333333333333333>",
]


def message_text(message: StyledMessage) -> str:
    """Every text of a message Discord renders mentions in: content, descriptions, fields."""
    parts = [message.content]
    for embed in message.embeds:
        parts.append(embed.description or "")
        parts += [str(field.value) for field in embed.fields]
    return "\n".join(parts)


@pytest.mark.parametrize("link", MENTION_LINKS)
@pytest.mark.parametrize("style", ALL_STYLES)
def test_a_link_never_shows_a_mention_in_a_post_roundup_or_digest(
    style: MessageStyle, link: str
) -> None:
    post_format = PostFormat(style)
    item = make_item(link=link)
    post = digest(1, link=link)
    messages = [
        item_message(item, post_format),
        roundup_message([item, item], 0, post_format),
        digest_message(DigestPost(post.title, post.summary, post_format=post_format)),
    ]
    for message in messages:
        text = message_text(message)
        assert "<@" not in text, text
        # The link is still there: encoded in the text, or as an embed's own address.
        assert "news.example/a" in text or message.embeds[0].url == link
        assert not validate_message(message.payload())


def test_a_headline_link_keeps_its_address_percent_encoded() -> None:
    message = item_message(make_item(link=MENTION_LINKS[0]), PostFormat(MessageStyle.HEADLINE))
    assert message.content.splitlines()[1] == "https://news.example/a%3C@333333333333333333%3E"


@pytest.mark.parametrize("link", ["https://:80/a", "https://@/a", "http://[::1/a"])
def test_an_address_without_a_host_is_left_off(link: str) -> None:
    message = item_message(make_item(link=link), PostFormat(MessageStyle.HEADLINE))
    assert message.content == "**Temu cuts fees**"
    assert item_message(make_item(link=link), DEFAULT_POST_FORMAT).embeds[0].url is None

"""A subscription's posts as Discord messages, in its style, with only its own role pinged.

``embed`` is the item's embed; ``compact`` one line (the title linked, the source) with link
previews suppressed, for busy channels; ``headline`` the title and its bare link, which Discord
previews. Roundups and digests follow the style too (one embed, or lines in the message's
content). The ping is the first thing in the content, and the only mention in
it that is not neutralised: feed text goes through ``clean_markdown``, which breaks every ``@``
and escapes markdown, and ``allowed_mentions`` names that one role besides.

All functions here are pure: they build messages and never send anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.embeds import (
    CONTENT_LIMIT,
    SOURCE_LIMIT,
    TITLE_LIMIT,
    also_line,
    clean_markdown,
    digest_embed,
    is_blank,
    item_embed,
    link_address,
    roundup_embed,
    story_mark,
)
from bot.news.model.vocabulary import Item, MessageStyle, PostFormat, StoryRecord
from bot.news.services.digests import DigestPost

SUPPRESS_EMBEDS = 1 << 2
"""Message flag: Discord shows no link previews for the message."""

# A link longer than this is left off a compact line or a roundup line (the title stays,
# unlinked): nobody reads a masked link's address, and twenty 2 KB links would not fit.
LINE_URL_LIMIT = 300
ROUNDUP_TITLE_LIMIT = 120
ROUNDUP_SHORT_TITLE_LIMIT = 60
ROUNDUP_SOURCE_LIMIT = 40


@dataclass(frozen=True, slots=True)
class StyledMessage:
    """What one post sends: its content, embeds and whether link previews are suppressed."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = ()
    suppress_embeds: bool = False

    def payload(self) -> dict[str, Any]:
        """The JSON body fields of the message (without nonce and allowed_mentions)."""
        body: dict[str, Any] = {}
        if self.content:
            body["content"] = self.content
        if self.embeds:
            body["embeds"] = [embed.to_dict() for embed in self.embeds]
        if self.suppress_embeds:
            body["flags"] = SUPPRESS_EMBEDS
        return body


def allowed_mentions(post_format: PostFormat) -> dict[str, Any]:
    """Discord's allowed_mentions for a post: exactly the subscription's role, or nobody."""
    if post_format.ping_role_id is None:
        return {"parse": []}
    return {"parse": [], "roles": [str(post_format.ping_role_id)]}


def ping_prefix(post_format: PostFormat) -> str:
    """The role mention a post starts with ("" when it pings nobody)."""
    return f"<@&{post_format.ping_role_id}> " if post_format.ping_role_id is not None else ""


def link_target(url: str | None, limit: int = LINE_URL_LIMIT) -> str | None:
    """``url`` as the target of a masked link, or None when it is doubtful or too long."""
    return link_address(url, limit)


def _title(item: Item, limit: int) -> str:
    # Square brackets inside a masked link's text would end it early.
    title = clean_markdown(item.title.replace("[", "(").replace("]", ")"), limit)
    return "(untitled)" if is_blank(title) else title


def _linked(title: str, url: str | None) -> str:
    target = link_target(url)
    # The angle brackets keep Discord from previewing the link under a compact line.
    return f"[{title}](<{target}>)" if target else title


def compact_line(item: Item) -> str:
    """One item on one line: its title linked to the story, then its source."""
    line = _linked(_title(item, TITLE_LIMIT), item.link)
    if not is_blank(item.source):
        line += " · " + clean_markdown(item.source, SOURCE_LIMIT)
    return line


def headline_text(item: Item) -> str:
    """An item's title in bold and its bare link (Discord shows the link's preview)."""
    title = f"**{_title(item, TITLE_LIMIT)}**"
    url = link_address(item.link, CONTENT_LIMIT)
    if url is None or len(url) > CONTENT_LIMIT - 200 - len(title):
        return title
    return f"{title}\n{url}"


def item_message(item: Item, post_format: PostFormat) -> StyledMessage:
    """One item's post in the subscription's style, its role mentioned first."""
    ping = ping_prefix(post_format)
    if post_format.style is MessageStyle.COMPACT:
        return StyledMessage(content=ping + compact_line(item), suppress_embeds=True)
    if post_format.style is MessageStyle.HEADLINE:
        return StyledMessage(content=ping + headline_text(item))
    return StyledMessage(content=ping.strip(), embeds=(item_embed(item),))


def _roundup_lines(items: Sequence[Item], style: MessageStyle) -> tuple[list[str], list[str]]:
    """Each item's roundup line linked, and a shorter unlinked one for when room runs out."""
    full: list[str] = []
    short: list[str] = []
    for item in items:
        linked = "• " + _linked(_title(item, ROUNDUP_TITLE_LIMIT), item.link)
        plain = "• " + _title(item, ROUNDUP_SHORT_TITLE_LIMIT)
        if style is MessageStyle.COMPACT and not is_blank(item.source):
            linked += " · " + clean_markdown(item.source, ROUNDUP_SOURCE_LIMIT)
            plain += " · " + clean_markdown(item.source, ROUNDUP_SOURCE_LIMIT)
        full.append(linked)
        short.append(plain)
    return full, short


def roundup_message(items: Sequence[Item], waiting: int, post_format: PostFormat) -> StyledMessage:
    """A flood's overflow as one message in the subscription's style.

    Every item gets a line when it can (delivery records the whole roundup as announced): a
    linked line while the rest still fit as short ones, else its short line; only when even
    the short lines cannot all fit are the last ones counted as still to follow.
    """
    ping = ping_prefix(post_format)
    if post_format.style is MessageStyle.EMBED:
        return StyledMessage(content=ping.strip(), embeds=(roundup_embed(items, waiting),))
    count = len(items)
    header = f"{ping}**{count} more new item{'s' if count != 1 else ''} for this channel**"
    footer_room = len("\n999 more to follow")
    budget = CONTENT_LIMIT - len(header) - footer_room
    full, short = _roundup_lines(items, post_format.style)
    reserve = sum(len(line) + 1 for line in short)
    if reserve > budget:
        reserve = 0  # they cannot all fit: fill greedily, the rest are counted
    lines: list[str] = []
    used = 0
    for linked, plain in zip(full, short, strict=True):
        reserve = max(0, reserve - len(plain) - 1)
        if used + len(linked) + 1 + reserve <= budget:
            line = linked
        elif used + len(plain) + 1 + reserve <= budget:
            line = plain
        else:
            break
        lines.append(line)
        used += len(line) + 1
    text = "\n".join([header, *lines])
    later = waiting + count - len(lines)
    if later > 0:
        text += f"\n{later} more to follow"
    return StyledMessage(content=text[:CONTENT_LIMIT], suppress_embeds=True)


def digest_message(digest: DigestPost) -> StyledMessage:
    """A digest in the subscription's style, its role mentioned first: the summary embed, or
    its stories as lines of the message's content (compact: linked, previews suppressed;
    headline: bare links, which Discord previews), whole lines within the content limit."""
    ping = ping_prefix(digest.post_format)
    style = digest.post_format.style
    if style is MessageStyle.EMBED:
        embed = digest_embed(digest.title, digest.summary, digest.timezone)
        return StyledMessage(content=ping.strip(), embeds=(embed,))
    header = f"{ping}**{clean_markdown(digest.title, TITLE_LIMIT)}**"
    lines = [
        _digest_line(
            number, ranked.story, style, ranked.also, late=ranked.late, missed=ranked.missed
        )
        for number, ranked in enumerate(digest.summary.stories, 1)
    ]
    return StyledMessage(
        content=_fit_lines(header, lines, "story", "stories"),
        suppress_embeds=style is MessageStyle.COMPACT,
    )


def _digest_line(
    number: int,
    story: StoryRecord,
    style: MessageStyle,
    also: Sequence[StoryRecord] = (),
    *,
    late: bool = False,
    missed: bool = False,
) -> str:
    """A story of a digest in the compact style (one linked line) or the headline style (the
    headline and its bare link), then the other stories of its event the summary folded into
    it, as the full digest and the summaries name them (one entry: ``_fit_lines`` keeps or
    leaves off the whole of it)."""
    headline = clean_markdown(story.headline.replace("[", "(").replace("]", ")"), TITLE_LIMIT)
    headline = "(untitled)" if is_blank(headline) else headline
    url = next((u for u in story.links if link_target(u) is not None), None)
    count = len(story.sources)
    sources = f"{count} source{'s' if count != 1 else ''}{story_mark(late=late, missed=missed)}"
    if style is MessageStyle.COMPACT:
        lines = [f"**{number}.** {_linked(headline, url)} · {sources}"]
    else:
        bare = link_address(url, LINE_URL_LIMIT)
        lines = [f"**{number}.** **{headline}** · {sources}", *([bare] if bare is not None else [])]
    return "\n".join([*lines, *([also_line(also)] if also else [])])


def _fit_lines(header: str, lines: Sequence[str], one: str, many: str) -> str:
    """``header`` and as many whole ``lines`` as fit in a message's content, then how many
    were left off (a cut line could end inside a link)."""
    room = CONTENT_LIMIT - len(f"\n+{len(lines)} more {many}")
    text = header[:room]
    shown = 0
    for line in lines:
        if len(text) + 1 + len(line) > room:
            break
        text += "\n" + line
        shown += 1
    left = len(lines) - shown
    if left:
        text += f"\n+{left} more {one if left == 1 else many}"
    return text

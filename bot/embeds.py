"""Rendering items as Discord embeds, within Discord's limits, with feed text made harmless.

Feed text is written by strangers: a title may hold ``@everyone``, ``<@&role>``, masked links
or 10 000 characters. Every piece of it goes through :func:`clean_markdown` (for fields Discord
renders as markdown) or :func:`clean_plain` (author and footer, which it shows verbatim), and
every message is sent with ``AllowedMentions.none()`` as well: the escaping keeps mentions from
*looking* like mentions, the allowed-mentions setting keeps them from pinging.

All functions here are pure: they build new embeds and never send anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord

from bot.news.models import Item

# Discord's documented limits for embeds and messages.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
URL_LIMIT = 2048
MESSAGE_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000

# How much of an item's summary a news embed shows: enough to judge the story, short enough
# that ten items fit in one message.
SUMMARY_LIMIT = 350
SOURCE_LIMIT = 100
FOOTER_ITEM_LIMIT = 200

COLOUR = discord.Colour(0x2B7A78)
ZWSP = "\u200b"
ELLIPSIS = "…"

_WHITESPACE = re.compile(r"\s+")
# Characters that render as nothing; a title made only of these would look empty.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e]+")


def neutralise_mentions(text: str) -> str:
    """Break every ``@`` so that ``@everyone``, ``<@123>`` and ``<@&456>`` cannot mention.

    A zero-width space after the ``@`` is invisible to readers but stops Discord from
    parsing a mention; ``AllowedMentions.none()`` is the second, independent guard.
    """
    return text.replace("@", "@" + ZWSP)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    # A backslash left at the end would escape the ellipsis (or a character after it).
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + ELLIPSIS


def _squash(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def is_blank(text: str | None) -> bool:
    """Whether ``text`` would show as nothing (empty, spaces, zero-width characters)."""
    return not text or not _INVISIBLE.sub("", text)


def clean_markdown(text: str, limit: int) -> str:
    """Feed or user text for a place Discord renders as markdown: escaped, mention-proof, clipped.

    The raw text is clipped first (no need to escape 10 000 characters to show 256), and the
    escaped result again, since escapes add characters.
    """
    raw = clip(_squash(text), limit)
    escaped = discord.utils.escape_markdown(neutralise_mentions(raw))
    return clip(escaped, limit)


def clean_plain(text: str, limit: int) -> str:
    """Feed text for a place Discord shows verbatim (author, footer): mention-proof, clipped.

    Markdown is not rendered there, so escaping would show stray backslashes.
    """
    return clip(neutralise_mentions(_squash(text)), limit)


def safe_url(url: str | None) -> str | None:
    """``url`` if Discord will accept it in an embed (http/https, short, no spaces), else None.

    One bad URL makes Discord refuse the whole message, so doubtful links are left out.
    """
    if not url or len(url) > URL_LIMIT:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def item_embed(item: Item, *, extra_sources: int = 0) -> discord.Embed:
    """One news item as an embed: linked title, short summary, source, companies, date.

    ``extra_sources`` is how many other sources carried the same story; it is mentioned in
    the footer.
    """
    title = clean_markdown(item.title, TITLE_LIMIT)
    if is_blank(title):
        title = "(untitled)"
    summary = clean_markdown(item.summary, SUMMARY_LIMIT) if not is_blank(item.summary) else ""
    embed = discord.Embed(
        title=title,
        url=safe_url(item.link),
        description=summary or None,
        colour=COLOUR,
        timestamp=item.published,
    )
    if not is_blank(item.source):
        embed.set_author(name=clean_plain(item.source, SOURCE_LIMIT))
    footer = _footer_text(item, extra_sources)
    if footer:
        embed.set_footer(text=footer)
    thumbnail = safe_url(item.image_url)
    if thumbnail:
        embed.set_thumbnail(url=thumbnail)
    return embed


def _footer_text(item: Item, extra_sources: int) -> str:
    parts = []
    names = [c.name for c in item.companies if not is_blank(c.name)]
    if names:
        parts.append(", ".join(names))
    if extra_sources > 0:
        parts.append(f"+{extra_sources} more source{'s' if extra_sources != 1 else ''}")
    return clean_plain(" · ".join(parts), FOOTER_ITEM_LIMIT)


def item_embeds(items: Iterable[Item]) -> list[discord.Embed]:
    """One embed per item, in order."""
    return [item_embed(item) for item in items]


# Limits ---------------------------------------------------------------------------------------


def clamp_embed(embed: discord.Embed, *, total: int = MESSAGE_TOTAL_LIMIT) -> discord.Embed:
    """A copy of ``embed`` within every per-embed limit and no longer than ``total`` characters.

    Over-long parts are clipped; fields beyond 25 are dropped; when the whole is still too long,
    fields are dropped from the end, then the description is shortened, then the title.
    """
    data = embed.to_dict()
    if "title" in data:
        data["title"] = clip(data["title"], TITLE_LIMIT)
    if "description" in data:
        data["description"] = clip(data["description"], DESCRIPTION_LIMIT)
    if "footer" in data and "text" in data["footer"]:
        data["footer"]["text"] = clip(data["footer"]["text"], FOOTER_LIMIT)
    if "author" in data and "name" in data["author"]:
        data["author"]["name"] = clip(data["author"]["name"], AUTHOR_LIMIT)
    if "fields" in data:
        data["fields"] = [
            {
                **f,
                "name": clip(f["name"], FIELD_NAME_LIMIT) or ZWSP,
                "value": clip(f["value"], FIELD_VALUE_LIMIT) or ZWSP,
            }
            for f in data["fields"][:FIELDS_LIMIT]
        ]
    clamped = discord.Embed.from_dict(data)
    excess = len(clamped) - total
    if excess <= 0:
        return clamped
    while excess > 0 and clamped.fields:
        last = clamped.fields[-1]
        excess -= len(last.name or "") + len(last.value or "")
        clamped.remove_field(len(clamped.fields) - 1)
    if excess > 0 and clamped.description:
        before = len(clamped.description)
        clamped.description = clip(clamped.description, before - excess) or None
        excess -= before - len(clamped.description or "")
    if excess > 0 and clamped.title:
        clamped.title = clip(clamped.title, len(clamped.title) - excess) or None
    return clamped


def fit_embeds(embeds: Iterable[discord.Embed]) -> list[list[discord.Embed]]:
    """Split embeds into messages that Discord accepts, keeping their order.

    Each embed is first brought within the per-embed limits (:func:`clamp_embed`); then
    messages are filled greedily with at most 10 embeds and 6000 characters each.
    """
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        clamped = clamp_embed(embed)
        length = len(clamped)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + length > MESSAGE_TOTAL_LIMIT):
            messages.append(current)
            current, size = [], 0
        current.append(clamped)
        size += length
    if current:
        messages.append(current)
    return messages


def fit_one_message(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """At most 10 embeds, shortened to fit in one message (for a page that is edited in place).

    Descriptions are shortened evenly first; only if that is not enough are embeds dropped
    from the end. (``len(embed)`` is what Discord counts: title, description, fields, footer
    text and author name.)
    """
    chosen = [clamp_embed(e) for e in embeds[:EMBEDS_PER_MESSAGE]]
    budget = MESSAGE_TOTAL_LIMIT
    total = sum(len(e) for e in chosen)
    if total <= budget:
        return chosen
    others = total - sum(len(e.description or "") for e in chosen)
    if others < budget:
        # The same cap for every description: fair, and ten small items stay readable.
        cap = (budget - others) // len(chosen)
        for embed in chosen:
            if embed.description and len(embed.description) > cap:
                embed.description = clip(embed.description, cap) or None
    while chosen and sum(len(e) for e in chosen) > budget:
        chosen.pop()
    return chosen

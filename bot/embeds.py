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
from datetime import UTC, datetime
from urllib.parse import urlsplit

import discord

from bot.news.model.vocabulary import Item, StoryRecord
from bot.news.rules.plain_text import strip_invisible
from bot.news.rules.summary_ranking import NewsSummary
from bot.news.services.digests import zone

# Discord's documented limits for embeds and messages. Its API counts a string's Unicode code
# points (discord-api-docs issue #1315), as ``len`` does: an emoji is one character here and
# there, though two UTF-16 units in a JavaScript client (tests/commands/test_embed_limits_unicode).
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
    # Feed text is cleaned at ingest; rows stored before that may still hold a U+202E that
    # would reverse the rest of an embed's line.
    return _WHITESPACE.sub(" ", strip_invisible(text)).strip()


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
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    # "https://:80/" or "https://@/" passes the checks above but is no address Discord takes.
    return url if host else None


# "(" and ")" would end a markdown link's target early; at "<" Discord's reading of a bare
# address stops, so "https://x/<@123>" would show a user mention after it (and a masked
# link's target would not parse, showing its text raw). Percent-encoded, an address means
# the same, and "<" and ">" may not appear raw in one anyway.
_LINK_ESCAPES = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E"})


def link_address(url: str | None, limit: int) -> str | None:
    """``url`` as it may stand in a message's text (a masked link's target, a bare link):
    doubtful or longer than ``limit`` gives None, and nothing in it can read as a mention or
    end the link early."""
    url = safe_url(url)
    if url is None or len(url) > limit:
        return None
    return url.translate(_LINK_ESCAPES)


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


# Summaries ------------------------------------------------------------------------------------

# A story's headline and summary line in a summary: a phone shows about 40 characters a line,
# so these are three and four lines at most.
STORY_HEADLINE_LIMIT = 120
STORY_LINE_LIMIT = 160
# Longer links are left off (the headline stays, unlinked): five 2 KB tracking URLs would not
# fit in one description, and nobody sees a masked link's address anyway.
STORY_URL_LIMIT = 300
# Room for the stories in the description, leaving the fields, title and footer their share of
# the 6000 characters a message may hold.
STORIES_BUDGET = 3200
COMPANY_COUNTS_SHOWN = 8

PERIOD_WORDS = {"24h": "24 hours", "7d": "7 days", "30d": "30 days"}


def period_words(period: str) -> str:
    """A period name as a reader says it: ``7d`` -> "7 days"."""
    return PERIOD_WORDS.get(period, period)


def summary_scope(summary: NewsSummary, *, topic_name: str | None) -> str:
    """What a summary covers, escaped: "last 7 days · Temu · Fees & pricing"."""
    parts = [f"last {period_words(summary.period)}"]
    if summary.company is not None:
        parts.append(summary.company.name)
    if topic_name:
        parts.append(topic_name)
    return clean_markdown(" · ".join(parts), TITLE_LIMIT)


def _link_text(text: str) -> str:
    # Square brackets inside a masked link's text would end it early; round ones are harmless.
    return text.replace("[", "(").replace("]", ")")


def _link_target(url: str | None) -> str | None:
    return link_address(url, STORY_URL_LIMIT)


# A folded story's headline under the entry it was folded into: one phone line or two, since
# the entry's own headline already says what the event is.
ALSO_HEADLINE_LIMIT = 80


def _sources(count: int) -> str:
    return f"{count} source{'s' if count != 1 else ''}"


def also_line(also: Sequence[StoryRecord]) -> str:
    """The line that says which other stories an entry shows (a summary's fold of two stories
    of one event), escaped: "also reported as: <headline> (N sources)", and how many more."""
    first = also[0]
    # Brackets as in a linked headline: nothing in the line may read as a masked link.
    headline = clean_markdown(_link_text(first.headline), ALSO_HEADLINE_LIMIT)
    if is_blank(headline):
        headline = "(untitled)"
    line = f"also reported as: {headline} ({_sources(len(first.sources))})"
    if len(also) > 1:
        line += f" and {len(also) - 1} more"
    return line


LATE_MARK = " · reported late"
"""After a digest story's sources when it is dated before the digest's period but was first
reported after the digest before it was made (``RankedStory.late``)."""

MISSED_MARK = " · from a digest not posted"
"""After a digest story's sources when it is dated in an earlier period whose digest was never
posted (dropped, or the bot was down at its time: ``RankedStory.missed``)."""


def story_mark(*, late: bool = False, missed: bool = False) -> str:
    """What follows a digest story's sources: why a story of an earlier period is shown."""
    return MISSED_MARK if missed else LATE_MARK if late else ""


def story_line(
    number: int,
    story: StoryRecord,
    also: Sequence[StoryRecord] = (),
    *,
    late: bool = False,
    missed: bool = False,
) -> str:
    """One story of a summary: a numbered, bold, linked headline, its sources (and whether
    it came late, in a digest), its summary, and the other stories of its event the summary
    folded into it (``also``), if any."""
    headline = clean_markdown(_link_text(story.headline), STORY_HEADLINE_LIMIT)
    if is_blank(headline):
        headline = "(untitled)"
    target = next((t for t in map(_link_target, story.links) if t), None)
    shown = f"[**{headline}**]({target})" if target else f"**{headline}**"
    count = len(story.sources)
    # "**1.**" rather than "1." at the start of the line: Discord would make a list of it and
    # then restart the numbering at every summary line.
    line = f"**{number}.** {shown} · {_sources(count)}{story_mark(late=late, missed=missed)}"
    if not is_blank(story.summary_line) and story.summary_line.strip() != story.headline.strip():
        line += "\n" + clean_markdown(story.summary_line, STORY_LINE_LIMIT)
    if also:
        line += "\n" + also_line(also)
    return line


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def summary_embed(summary: NewsSummary, *, topic_name: str | None) -> discord.Embed:
    """A period's news in one embed that reads well on a phone and fits Discord's limits.

    Up to five numbered stories in the description (whole stories only, so no link is ever
    cut in half), then the stories per company and the rising terms as fields, and the period
    in UTC in the footer. ``topic_name`` is the display name of the topic filter, if any.
    """
    title = f"E-commerce news, {summary_scope(summary, topic_name=topic_name)}"
    lines: list[str] = []
    used = 0
    for number, ranked in enumerate(summary.stories, 1):
        line = story_line(number, ranked.story, ranked.also, late=ranked.late, missed=ranked.missed)
        if lines and used + len(line) + 2 > STORIES_BUDGET:
            break
        lines.append(line)
        used += len(line) + 2
    embed = discord.Embed(
        title=clip(title, TITLE_LIMIT),
        description="\n\n".join(lines) or None,
        colour=COLOUR,
    )
    counts = [
        f"{clean_markdown(company.name, 60)} {n}"
        for company, n in summary.company_counts[:COMPANY_COUNTS_SHOWN]
    ]
    if counts:
        embed.add_field(name="Stories per company", value=" · ".join(counts), inline=False)
    if summary.rising_terms:
        terms = ", ".join(clean_markdown(term, 60) for term in summary.rising_terms)
        embed.add_field(name="Rising", value=terms, inline=False)
    embed.set_footer(text=f"{_utc(summary.since)} – {_utc(summary.until)} UTC")
    return clamp_embed(embed)


def roundup_embed(items: Sequence[Item], waiting: int) -> discord.Embed:
    """Several items in one embed, one linked headline and source per line (a flood's overflow).

    Every item gets a line: delivery records the whole roundup as announced, so an item left
    off here would never reach the channel. Room is kept for each later item's short unlinked
    line, and an item whose linked line does not fit in what is left gets its short line
    instead. Only when even the short lines cannot all fit (far more items than a roundup
    holds) are the last ones counted in the footer, with the ``waiting`` items still queued
    for this channel (in later roundups or posts).
    """
    full = [_roundup_line(item, compact=False) for item in items]
    short = [_roundup_line(item, compact=True) for item in items]
    budget = DESCRIPTION_LIMIT
    reserve = sum(len(line) + 1 for line in short)
    if reserve > budget:
        reserve = 0  # they cannot all fit: fill greedily, the rest are counted in the footer
    lines: list[str] = []
    used = 0
    for linked, plain in zip(full, short, strict=True):
        reserve = max(0, reserve - len(plain) - 1)
        if not lines or used + len(linked) + 1 + reserve <= budget:
            line = linked
        elif used + len(plain) + 1 + reserve <= budget:
            line = plain
        else:
            break
        lines.append(line)
        used += len(line) + 1
    count = len(items)
    title = f"{count} more new item{'s' if count != 1 else ''} for this channel"
    embed = discord.Embed(title=title, description="\n".join(lines) or None, colour=COLOUR)
    later = waiting + count - len(lines)
    if later > 0:
        embed.set_footer(text=f"{later} more to follow")
    return clamp_embed(embed)


ROUNDUP_SHORT_HEADLINE_LIMIT = 80
ROUNDUP_SHORT_SOURCE_LIMIT = 30


def _roundup_line(item: Item, *, compact: bool) -> str:
    """A roundup's line for ``item``: its linked headline and source, or (``compact``) a
    shorter headline and source without the link."""
    headline_limit = ROUNDUP_SHORT_HEADLINE_LIMIT if compact else STORY_HEADLINE_LIMIT
    title = clean_markdown(_link_text(item.title), headline_limit)
    if is_blank(title):
        title = "(untitled)"
    target = None if compact else _link_target(item.link)
    line = f"• [{title}]({target})" if target else f"• {title}"
    if not is_blank(item.source):
        source_limit = ROUNDUP_SHORT_SOURCE_LIMIT if compact else SOURCE_LIMIT
        line += " · " + clean_markdown(item.source, source_limit)
    return line


def digest_embed(title: str, summary: NewsSummary, timezone: str) -> discord.Embed:
    """A scheduled digest: the summary embed under the digest's own title, its period shown in
    the server's time zone."""
    embed = summary_embed(summary, topic_name=None)
    embed.title = clip(clean_markdown(title, TITLE_LIMIT), TITLE_LIMIT)
    since = summary.since.astimezone(zone(timezone))
    until = summary.until.astimezone(zone(timezone))
    embed.set_footer(text=f"{since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} {timezone}")
    return clamp_embed(embed)


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

"""What ``/subscriptions why`` and the subscription previews show: embeds within Discord's
limits, every piece of feed or user text escaped and mention-proof."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import discord

from bot.embeds import (
    COLOUR,
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    URL_LIMIT,
    clean_markdown,
    clip,
    link_address,
    safe_url,
)
from bot.news.model.vocabulary import Item, SubscriptionMode
from bot.news.rules.explain import Explanation, Outcome
from bot.news.rules.filters import FilterKind, FilterMiss
from bot.news.rules.planning import Skip
from bot.news.rules.preview import Preview, PreviewCount
from bot.news.services.digests import DROPPED_LATE, MISSED_LOOKBACK
from bot.news.services.why import FoundBy, WhyReport
from commands.feeds import lines_within

Names = Callable[[str], str]
"""A company's or topic's display name from its id."""

SHOWN_COUNTS = 8
"""Companies (and topics) a preview names, the busiest first."""


def jump_link(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link Discord opens a message with."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _when(moment: datetime, style: str = "R") -> str:
    return discord.utils.format_dt(moment, style)  # type: ignore[arg-type]


def _terms(terms: Sequence[str], names: Names) -> str:
    shown = [f"**{clean_markdown(names(t), 60)}**" for t in terms]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def miss_text(miss: FilterMiss, companies: Names, topics: Names) -> str:
    """One failed filter in words."""
    if miss.kind is FilterKind.EXCLUDE:
        return f"it contains the excluded {_terms(miss.terms, str)}"
    if miss.kind is FilterKind.COMPANY:
        return f"the company filter: it is not about {_terms(miss.terms, companies)}"
    if miss.kind is FilterKind.TOPIC:
        return f"the topic filter: it is not on {_terms(miss.terms, topics)}"
    return f"the keyword filter: it has none of {_terms(miss.terms, str)}"


def skip_text(skip: Skip, explanation: Explanation, item: Item, max_age: timedelta) -> str | None:
    """One of the planner's reasons in words (None for the filters, told one by one)."""
    if skip is Skip.OTHER_SERVER:
        return "it comes from another server's private feed"
    if skip is Skip.CREATED_LATER:
        created = explanation.subscription.created_at
        return (
            f"the subscription was created {_when(created)}, after the item arrived "
            f"({_when(item.first_seen)}): subscriptions never post what came before them"
        )
    if skip is Skip.FIRST_POLL:
        return (
            "it came with its feed's first poll, which is stored without posting "
            "(no flood of old news when a feed is added)"
        )
    if skip is Skip.DISABLED:
        reason = explanation.subscription.paused_reason or "disabled"
        return f"the subscription is {clean_markdown(reason, 200)}"
    if skip is Skip.TOO_OLD:
        hours = int(max_age.total_seconds() // 3600)
        return f"it was already older than the maximum age ({hours} h) when it arrived"
    return None


def reasons_text(
    explanation: Explanation, item: Item, max_age: timedelta, companies: Names, topics: Names
) -> str:
    """Every reason the planner gave, the filters first."""
    verdict = explanation.verdict
    parts = [miss_text(m, companies, topics) for m in verdict.misses]
    for skip in verdict.skips:
        text = skip_text(skip, explanation, item, max_age)
        if text is not None:
            parts.append(text)
    return "; ".join(parts) or "no reason recorded"


def outcome_text(
    explanation: Explanation, report: WhyReport, guild_id: int, companies: Names, topics: Names
) -> str:
    """What happened to the item for one subscription, and why."""
    e = explanation
    channel = e.subscription.channel_id
    reason = clean_markdown(e.reason or "no reason recorded", 200)
    o = e.outcome
    if o is Outcome.POSTED and e.message_id:
        # A forum post's or a story thread's message lives in its thread.
        where = e.thread_id or channel
        return f"✅ posted: [jump to the message]({jump_link(guild_id, where, e.message_id)})"
    if o is Outcome.POSTED:
        return "✅ posted"
    if o is Outcome.ROUNDUP and e.message_id:
        link = jump_link(guild_id, channel, e.message_id)
        return (
            f"✅ rolled into a [roundup message]({link}) (a flood passed the channel's post limit)"
        )
    if o is Outcome.ROUNDUP:
        return "✅ rolled into a roundup message (a flood passed the channel's post limit)"
    if o is Outcome.QUEUED:
        return "⏳ queued: it goes out with the next delivery round"
    if o is Outcome.RETRYING and e.next_attempt_at is not None:
        return (
            f"⏳ waiting: posting failed {e.attempts}× ({reason}); "
            f"next try {_when(e.next_attempt_at)}"
        )
    if o is Outcome.PAUSED:
        return f"⏸️ queued, but the subscription is paused: {reason}"
    if o is Outcome.DROPPED:
        return f"🚫 dropped, never posted: {reason}"
    if o is Outcome.NOT_QUEUED:
        why = reasons_text(e, report.item, report.max_age, companies, topics)
        return f"❌ not posted: {why}"
    if o is Outcome.NOT_QUEUED_THEN:
        if e.changed:
            return (
                "❌ not posted: it did not match when it arrived; it was corrected since, "
                "and a corrected item is never posted anew"
            )
        return (
            "❌ not posted: nothing was queued when it arrived, though it would be now (the "
            "subscription was created while the item's feed was being polled, or the maximum "
            "age was different then)"
        )
    return _digest_text(e, guild_id)


def _digest_text(e: Explanation, guild_id: int) -> str:
    kind = "daily" if e.subscription.mode is SubscriptionMode.DAILY else "weekly"
    o = e.outcome
    at = e.digest_at
    if o is Outcome.DIGEST_PRIVATE:
        return (
            f"📰 {kind} digest: digests summarise the shared feeds' stories; "
            "this server's own feeds are not in them"
        )
    among = "it is there if its story is among the period's top stories"
    if o is Outcome.DIGEST_LATER:
        if at is None:
            return f"📰 {kind} digest: no digest covers its date yet (its period is still open)"
        return f"📰 {kind} digest: it goes in the digest of {_when(at, 'f')} ({_when(at)}); {among}"
    closed = f" {_when(at, 'f')}" if at is not None else ""
    if o is Outcome.DIGEST_DUE:
        return f"⏳ {kind} digest: its period closed{closed}; the digest is posted shortly"
    if o is Outcome.DIGEST_BEFORE:
        return (
            f"❌ not in a digest: its period closed{closed}, before the subscription's first "
            f"digest (created {_when(e.subscription.created_at, 'f')}); digests never cover "
            "what came before them"
        )
    digest = e.digest
    period = f"of {_when(digest.period_end, 'f')}" if digest is not None else ""
    if o is Outcome.DIGEST_POSTED and e.message_id:
        link = jump_link(guild_id, e.subscription.channel_id, e.message_id)
        sent = f" {_when(at)}" if at is not None else ""
        return f"📰 {kind} digest {period} posted{sent}: [jump to it]({link}); {among}"
    if o is Outcome.DIGEST_POSTED:
        return f"📰 {kind} digest {period} posted; {among}"
    if o is Outcome.DIGEST_WAITING:
        reason = f" ({clean_markdown(e.reason, 200)})" if e.reason else ""
        when = f", next try {_when(e.next_attempt_at)}" if e.next_attempt_at else ""
        return f"⏳ {kind} digest {period} is waiting to be posted{reason}{when}"
    if o is Outcome.DIGEST_LATE:
        return (
            f"📰 {kind} digest: it came after the digest {period} was made, so its story goes "
            "in the next digest, marked “reported late” (unless that one could already show "
            f"it); {among}"
        )
    if o is Outcome.DIGEST_EMPTY:
        return f"📰 {kind} digest {period}: no story of the period matched, so nothing was posted"
    # Its own reason (Discord refused it, its channel was deleted), else the usual one.
    why = digest.last_error if digest is not None else None
    told = (
        clean_markdown(why, 200)
        if why and why != DROPPED_LATE
        else "the next one was due before it could post"
    )
    # The next digest posted takes its stories (digests.py), unless none will come (the
    # channel is gone).
    back = MISSED_LOOKBACK[e.subscription.mode].days
    carried = (
        ""
        if e.subscription.disabled
        else f"; its stories go in the next digest posted (up to {back} days back), marked "
        "“from a digest not posted”"
    )
    return f"🚫 {kind} digest {period} was dropped: {told}{carried}"


def why_embed(
    report: WhyReport, *, query: str, guild_id: int, companies: Names, topics: Names
) -> discord.Embed:
    """``/subscriptions why``: the item picked, then one line per subscription."""
    item = report.item
    embed = discord.Embed(
        title=clean_markdown(item.title, TITLE_LIMIT) or "(untitled)",
        url=safe_url(item.link),
        colour=COLOUR,
    )
    picked = (
        "Found by its link."
        if report.found_by is FoundBy.LINK
        else f"Best match for “{clean_markdown(query, 100)}”."
    )
    header = (
        f"{picked} {clean_markdown(item.source, 100)} · {_when(item.published, 'd')} · "
        f"arrived {_when(item.first_seen)} in feed {clean_markdown(report.feed_name, 100)}"
    )
    if report.same_link:
        header += f" (also stored from {report.same_link} other feed(s))"
    lines = [
        f"`#{e.subscription.id}` <#{e.subscription.channel_id}> · "
        + outcome_text(e, report, guild_id, companies, topics)
        for e in report.explanations
    ]
    body = lines_within(lines, DESCRIPTION_LIMIT - len(header) - 2)
    embed.description = clip(f"{header}\n\n{body}", DESCRIPTION_LIMIT)
    return embed


def _count_lines(counts: Sequence[PreviewCount], names: Names) -> str:
    shown = [f"{clean_markdown(names(c.key), 60)} {c.count}" for c in counts[:SHOWN_COUNTS]]
    if len(counts) > SHOWN_COUNTS:
        shown.append(f"+{len(counts) - SHOWN_COUNTS} more")
    return ", ".join(shown)


def preview_embed(
    result: Preview, *, described: str, companies: Names, topics: Names, digest: bool = False
) -> discord.Embed:
    """A preview: the total, counts per company and topic, the newest items; says that
    nothing was saved. ``digest``: for a daily or weekly digest, which posts the top stories
    among these items instead of each one."""
    days = round((result.until - result.since) / timedelta(days=1))
    embed = discord.Embed(
        title=clip(f"Preview: {result.total} item(s) in the last {days} days", TITLE_LIMIT),
        colour=COLOUR,
    )
    lines = [f"Filters: {clean_markdown(described, 300)}"]
    if result.companies:
        lines.append(f"**By company:** {_count_lines(result.companies, companies)}")
    if result.topics:
        lines.append(f"**By topic:** {_count_lines(result.topics, topics)}")
    if result.unannounced:
        lines.append(
            f"{result.unannounced} more matched but would not have been posted (they came with "
            "a feed's first poll, or were already older than the maximum age)."
        )
    if digest:
        lines.append(
            "As a digest, each day's or week's top stories among these are posted in one "
            "message (shared feeds only), not each item."
        )
    if not result.complete:
        lines.append(f"More items than a preview reads: counted the newest {result.read}.")
    if result.items:
        lines.append("**Newest:**")
        for item in result.items:
            # Square brackets in the title would end the masked link's text early.
            title = clean_markdown(item.title.replace("[", "(").replace("]", ")"), 150)
            link = link_address(item.link, URL_LIMIT)
            shown = f"[{title or '(untitled)'}]({link})" if link else title or "(untitled)"
            lines.append(
                f"• {shown} · {clean_markdown(item.source, 60)} · {_when(item.published, 'd')}"
            )
    else:
        lines.append("Nothing would have been posted: try wider filters.")
    embed.description = lines_within(lines, DESCRIPTION_LIMIT)
    embed.set_footer(
        text="Nothing was saved. Counted as delivery would have, had the subscription existed "
        "all along; /subscribe without preview starts it."
    )
    return embed

"""``/subscribe``, ``/unsubscribe``, ``/subscriptions``: channels' standing orders (admins only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import COLOUR, DESCRIPTION_LIMIT, clean_markdown, clip
from bot.news.model.errors import UserError
from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    DISABLED_MARK,
    MessageStyle,
    PostFormat,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from bot.news.services.digests import next_digest_at, zone
from bot.news.services.news import NewsService
from bot.news.services.subscriptions import SubscriptionService, SubscriptionStatus, split_terms
from bot.news.tagging.topics import TopicTagger
from commands.checks import is_news_admin
from commands.errors import NO_MENTIONS, join_words, permission_label
from commands.feeds import lines_within
from commands.placement import THREAD_CHOICES, choose_layout, ensure_can_place, placement_text
from commands.roles import ensure_can_ping
from commands.subscription_edit import edit_subscription
from commands.suggest import fuzzy_choices, split_last_term
from commands.why import preview_embed, why_embed

if TYPE_CHECKING:
    from commands.services import BotServices


def _topic_name(topic_id: str) -> str:
    topic = TopicTagger.default().topic(topic_id)
    return topic.name if topic is not None else topic_id


def company_choices(news: NewsService, current: str) -> list[app_commands.Choice[str]]:
    """Completions of the last of comma-separated company names."""
    settled, typing = split_last_term(current)
    try:
        chosen = {t.casefold() for t in split_terms(settled, "company")}
    except UserError:
        return []
    companies = news.suggest_companies(typing, limit=25)
    candidates = [
        (f"{settled}{c.name}", f"{settled}{c.name}")
        for c in companies
        if c.name.casefold() not in chosen
    ]
    return fuzzy_choices("", candidates)


def topic_choices(current: str) -> list[app_commands.Choice[str]]:
    """Completions of the last of comma-separated topic names."""
    settled, typing = split_last_term(current)
    try:
        chosen = {t.casefold() for t in split_terms(settled, "topic")}
    except UserError:
        return []
    topics = TopicTagger.default().suggest(typing, limit=25)
    candidates = [
        (f"{settled}{t.name}", f"{settled}{t.name}")
        for t in topics
        if t.name.casefold() not in chosen and t.id.casefold() not in chosen
    ]
    return fuzzy_choices("", candidates)


STYLE_CHOICES = [
    app_commands.Choice(name="embed: a card per item (default)", value="embed"),
    app_commands.Choice(name="compact: one line, title linked and source", value="compact"),
    app_commands.Choice(name="headline: the title and its link", value="headline"),
]

MODE_CHOICES = [
    app_commands.Choice(name="realtime: each item as it arrives", value="realtime"),
    app_commands.Choice(name="daily digest", value="daily"),
    app_commands.Choice(name="weekly digest (Mondays)", value="weekly"),
]


def subscription_mode(value: str) -> SubscriptionMode:
    """The mode ``/subscribe`` was given. Discord's client offers only MODE_CHOICES, but a raw
    API call can send any string: that is a user's mistake, not a crash."""
    try:
        return SubscriptionMode(value)
    except ValueError:
        shown = clean_markdown(value, 40)
        raise UserError(f"“{shown}” is not a mode: pick realtime, daily or weekly.") from None


def message_style(value: str | None) -> MessageStyle | None:
    """The style ``/subscribe`` was given (None: left out); a raw API call's other string is
    a user's mistake, not a crash."""
    if value is None:
        return None
    try:
        return MessageStyle(value)
    except ValueError:
        shown = clean_markdown(value, 40)
        raise UserError(f"“{shown}” is not a style: pick embed, compact or headline.") from None


def format_text(post_format: PostFormat) -> str:
    """How a subscription's posts look and whom they ping, for ``/subscriptions``."""
    text = f"style: {post_format.style.value}"
    if post_format.ping_role_id is not None:
        text += f" · pings <@&{post_format.ping_role_id}>"
    return text


# What the bot needs in a channel to post news there, in the order a user would fix them.
POSTING_PERMISSIONS = ("view_channel", "send_messages", "embed_links")


def missing_posting_permissions(permissions: discord.Permissions) -> list[str]:
    """The permissions (as Discord names them) the bot lacks to post embeds in a channel."""
    return [permission_label(p) for p in POSTING_PERMISSIONS if not getattr(permissions, p)]


def ensure_can_post(channel: discord.abc.GuildChannel) -> None:
    """Raise UserError naming exactly what the bot is missing to post news in ``channel``."""
    me = channel.guild.me
    if me is None:  # not cached yet (just joined): delivery will find out and pause
        return
    missing = missing_posting_permissions(channel.permissions_for(me))
    if missing:
        raise UserError(f"I can't post in {channel.mention}: I'm missing {join_words(missing)}.")


def describe(subscription: Subscription, service: SubscriptionService) -> str:
    """What a subscription posts, safe to show (keywords are user text)."""
    return clean_markdown(service.describe(subscription), 300)


def status_text(status: SubscriptionStatus) -> str:
    """Active, or paused with the reason and since when."""
    subscription = status.subscription
    if subscription.paused_reason is None:
        state = "active"
    else:
        since = (
            f" since {discord.utils.format_dt(subscription.paused_at, 'R')}"
            if subscription.paused_at
            else ""
        )
        reason = subscription.paused_reason.removeprefix(DISABLED_MARK)
        word = "disabled" if subscription.disabled else "paused"
        state = f"{word}{since}: {clean_markdown(reason, 200)}"
    pending = f"{status.pending} post{'s' if status.pending != 1 else ''} waiting"
    return f"{state} · {pending}"


def next_digest_text(subscription: Subscription, timezone: str) -> str:
    """When the subscription's next digest is due, as Discord shows times ("in 5 hours")."""
    moment = next_digest_at(
        subscription.mode, subscription.post_hour, zone(timezone), discord.utils.utcnow()
    )
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


def subscription_line(
    status: SubscriptionStatus, service: SubscriptionService, timezone: str = "UTC"
) -> str:
    """One line of ``/subscriptions``."""
    s = status.subscription
    line = f"`#{s.id}` <#{s.channel_id}> · {describe(s, service)} · {format_text(s.post_format)}"
    placed = placement_text(s, status.unpublished)
    if placed:
        line += f" · {placed}"
    line += f" · {status_text(status)}"
    if s.mode is not SubscriptionMode.REALTIME and s.paused_reason is None:
        line += f" · next digest {next_digest_text(s, timezone)}"
    return line


async def subscription_choices(
    service: SubscriptionService, interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    """Completions of a subscription option: this server's, the chosen channel's first."""
    if interaction.guild_id is None:
        return []
    channel = getattr(interaction.namespace, "channel", None)
    channel_id = getattr(channel, "id", None)
    statuses = await service.list_for_guild(interaction.guild_id)
    statuses.sort(key=lambda s: s.subscription.channel_id != channel_id)
    candidates = []
    for status in statuses:
        s = status.subscription
        where = interaction.guild.get_channel(s.channel_id) if interaction.guild else None
        place = f"#{where.name}" if where is not None else f"channel {s.channel_id}"
        label = f"#{s.id} {place}: {service.describe(s)}"
        candidates.append((label, s.id))
    return fuzzy_choices(current, candidates)


class SubscriptionsCog(commands.Cog, name="Subscriptions"):
    """Top-level admin commands; each is checked with :func:`is_news_admin`."""

    def __init__(self, services: BotServices) -> None:
        self.services = services

    @property
    def subscriptions(self) -> SubscriptionService:
        """The subscription service."""
        return self.services.subscriptions

    @app_commands.command(name="subscribe")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Where to post new items",
        companies="Only items about these companies, comma-separated (default: all)",
        keywords="Only items with one of these words or phrases, comma-separated",
        exclude="Never items with one of these words, comma-separated",
        topics="Only items on these topics, comma-separated: fees, policy, ...",
        mode="realtime: each item as it arrives (default); daily or weekly: one digest",
        hour="When a digest is posted, 0-23 in the server's time zone (default 9)",
        style="How posts look: embed (default), compact (one line) or headline (title, link)",
        ping="A role to ping with each post (and digest); it must be mentionable by the bot",
        preview="Only show what these filters would have posted in the last 7 days; save nothing",
        thread="per-story: a story's later reports go in a thread on its first (text channels)",
        publish="Announcement channels: publish each post to the servers following the channel",
    )
    @app_commands.choices(mode=MODE_CHOICES, style=STYLE_CHOICES, thread=THREAD_CHOICES)
    @is_news_admin()
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        companies: app_commands.Range[str, 1, 700] | None = None,
        keywords: app_commands.Range[str, 1, 700] | None = None,
        exclude: app_commands.Range[str, 1, 700] | None = None,
        topics: app_commands.Range[str, 1, 700] | None = None,
        mode: str = SubscriptionMode.REALTIME.value,
        hour: app_commands.Range[int, 0, 23] | None = None,
        style: str | None = None,
        ping: discord.Role | None = None,
        preview: bool = False,
        thread: str | None = None,
        publish: bool | None = None,
    ) -> None:
        """Post e-commerce news to a channel as it arrives, or as a daily or weekly digest."""
        assert interaction.guild_id is not None  # guild_only
        chosen_mode = subscription_mode(mode)
        chosen_style = message_style(style)
        await interaction.response.defer(ephemeral=True, thinking=True)
        subscription_filter = self.subscriptions.build_filter(companies, keywords, exclude, topics)
        ensure_can_post(channel)
        layout = choose_layout(channel, thread, publish, chosen_mode)
        ensure_can_place(channel, layout)
        if ping is not None:
            ensure_can_ping(ping, channel)
        if preview:
            await self._send_preview(interaction, subscription_filter, chosen_mode)
            return
        result = await self.subscriptions.subscribe(
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            subscription_filter=subscription_filter,
            created_by=interaction.user.id,
            mode=chosen_mode,
            post_hour=hour,
            style=chosen_style,
            ping_role_id=ping.id if ping is not None else None,
            layout=layout,
            publish=publish,
        )
        # The bot can post there now, so whatever was paused in this channel may go on.
        others = await self.subscriptions.resume_channel(interaction.guild_id, channel.id)
        subscription = result.subscription
        if result.created:
            text = (
                f"Subscribed {channel.mention} (#{subscription.id}): "
                f"{describe(subscription, self.subscriptions)}. "
            )
            if subscription.post_format != DEFAULT_POST_FORMAT:
                text += f"Posts: {format_text(subscription.post_format)}. "
            if placement_text(subscription, 0):
                text += f"Posted as: {placement_text(subscription, 0)}. "
            if subscription.mode is SubscriptionMode.REALTIME:
                text += "New items are posted as they arrive."
            else:
                timezone = await self.subscriptions.timezone(interaction.guild_id)
                text += (
                    f"The first digest comes {next_digest_text(subscription, timezone)}; "
                    "a period with no matching story posts nothing. "
                    "Change the time zone with `/settings timezone`."
                )
        elif result.reformatted and not result.resumed:
            placed = placement_text(subscription, 0)
            text = (
                f"Subscription #{subscription.id} in {channel.mention} now posts with "
                f"{format_text(subscription.post_format)}{' · ' + placed if placed else ''}: "
                f"{describe(subscription, self.subscriptions)}."
            )
        elif result.resumed:
            text = (
                f"Resumed subscription #{subscription.id} in {channel.mention}: "
                f"{describe(subscription, self.subscriptions)}. Posts that waited are sent now."
            )
        else:
            text = (
                f"{channel.mention} already has this subscription "
                f"(#{subscription.id}): {describe(subscription, self.subscriptions)}."
            )
        if others:
            text += " Also resumed " + join_words([f"#{s.id}" for s in others]) + "."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @subscribe.autocomplete("companies")
    async def companies_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last of the comma-separated company names."""
        return company_choices(self.services.news, current)

    @subscribe.autocomplete("topics")
    async def topics_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last of the comma-separated topic names."""
        return topic_choices(current)

    @app_commands.command(name="unsubscribe")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        channel="The channel to stop posting to",
        subscription="Which subscription, when the channel has several",
    )
    @is_news_admin()
    async def unsubscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        subscription: int | None = None,
    ) -> None:
        """Stop posting news to a channel."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        removed = await self.subscriptions.unsubscribe(
            guild_id=interaction.guild_id, channel_id=channel.id, subscription_id=subscription
        )
        lines = [f"#{s.id} ({describe(s, self.subscriptions)})" for s in removed]
        await interaction.followup.send(
            f"Removed from {channel.mention}: {join_words(lines)}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @unsubscribe.autocomplete("subscription")
    async def subscription_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """This server's subscriptions, those of the chosen channel first."""
        return await subscription_choices(self.subscriptions, interaction, current)

    subscriptions_group = app_commands.Group(
        name="subscriptions",
        description=(
            "This server's subscriptions: list, edit, preview filters, why an item was posted"
        ),
        guild_only=True,
        # Servers only, as the other commands (guild_only alone leaves contexts unset).
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        default_permissions=discord.Permissions(manage_guild=True),
    )

    @subscriptions_group.command(name="preview")
    @app_commands.describe(
        companies="Only items about these companies, comma-separated (default: all)",
        keywords="Only items with one of these words or phrases, comma-separated",
        exclude="Never items with one of these words, comma-separated",
        topics="Only items on these topics, comma-separated: fees, policy, ...",
    )
    @is_news_admin()
    async def preview_subscription(
        self,
        interaction: discord.Interaction[Any],
        companies: app_commands.Range[str, 1, 700] | None = None,
        keywords: app_commands.Range[str, 1, 700] | None = None,
        exclude: app_commands.Range[str, 1, 700] | None = None,
        topics: app_commands.Range[str, 1, 700] | None = None,
    ) -> None:
        """What these filters would have posted in the last 7 days; nothing is saved."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        subscription_filter = self.subscriptions.build_filter(companies, keywords, exclude, topics)
        await self._send_preview(interaction, subscription_filter)

    @preview_subscription.autocomplete("companies")
    async def preview_companies_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last of the comma-separated company names."""
        return company_choices(self.services.news, current)

    @preview_subscription.autocomplete("topics")
    async def preview_topics_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Complete the last of the comma-separated topic names."""
        return topic_choices(current)

    async def _send_preview(
        self,
        interaction: discord.Interaction[Any],
        subscription_filter: SubscriptionFilter,
        mode: SubscriptionMode = SubscriptionMode.REALTIME,
    ) -> None:
        assert interaction.guild_id is not None  # guild_only
        result = await self.services.previewer.preview(interaction.guild_id, subscription_filter)
        described = self.subscriptions.describe(
            Subscription(
                id=0,
                guild_id=interaction.guild_id,
                channel_id=0,
                filter=subscription_filter,
                mode=SubscriptionMode.REALTIME,
                created_at=result.until,
            )
        )
        embed = preview_embed(
            result,
            described=described,
            companies=self._company_name,
            topics=_topic_name,
            digest=mode is not SubscriptionMode.REALTIME,
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @subscriptions_group.command(name="edit")
    @app_commands.describe(
        subscription="Which subscription (its number in /subscriptions list)",
        style="How posts look: embed, compact (one line) or headline (title, link)",
        ping="A role to ping with each post (and digest) instead; it must be mentionable",
        remove_ping="True: ping nobody any more",
        thread="per-story: a story's later reports in a thread on its first; none: messages",
        publish="Announcement channels: publish each post to the servers following the channel",
    )
    @app_commands.choices(style=STYLE_CHOICES, thread=THREAD_CHOICES)
    @is_news_admin()
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        subscription: int,
        style: str | None = None,
        ping: discord.Role | None = None,
        remove_ping: bool = False,
        thread: str | None = None,
        publish: bool | None = None,
    ) -> None:
        """Change how a subscription posts (style, ping, thread, publishing); filters stay."""
        chosen_style = message_style(style)
        await interaction.response.defer(ephemeral=True, thinking=True)
        edited, channel = await edit_subscription(
            self.subscriptions,
            interaction,
            subscription,
            style=chosen_style,
            ping=ping,
            remove_ping=remove_ping,
            thread=thread,
            publish=publish,
        )
        placed = placement_text(edited, 0)
        text = (
            f"Subscription #{edited.id} in {channel.mention} now posts with "
            f"{format_text(edited.post_format)}{' · ' + placed if placed else ''}: "
            f"{describe(edited, self.subscriptions)}."
        )
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @edit.autocomplete("subscription")
    async def edit_subscription_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """This server's subscriptions."""
        return await subscription_choices(self.subscriptions, interaction, current)

    @subscriptions_group.command(name="why")
    @app_commands.describe(item="The item's link, or words from its title")
    @is_news_admin()
    async def why(
        self, interaction: discord.Interaction[Any], item: app_commands.Range[str, 1, 500]
    ) -> None:
        """Whether an item was posted by each subscription here, and if not, why."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.services.explainer.why(interaction.guild_id, item)
        embed = why_embed(
            report,
            query=item,
            guild_id=interaction.guild_id,
            companies=self._company_name,
            topics=_topic_name,
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _company_name(self, company_id: str) -> str:
        names = {c.id: c.name for c in self.services.news.companies()}
        return names.get(company_id, company_id)

    @subscriptions_group.command(name="list")
    @is_news_admin()
    async def list_subscriptions(self, interaction: discord.Interaction[Any]) -> None:
        """List this server's subscriptions: channel, filters, status, posts waiting."""
        assert interaction.guild_id is not None  # guild_only
        await interaction.response.defer(ephemeral=True, thinking=True)
        statuses = await self.subscriptions.list_for_guild(interaction.guild_id)
        timezone = await self.subscriptions.timezone(interaction.guild_id)
        embed = discord.Embed(title=f"Subscriptions ({len(statuses)})", colour=COLOUR)
        if statuses:
            embed.description = lines_within(
                [subscription_line(s, self.subscriptions, timezone) for s in statuses],
                DESCRIPTION_LIMIT,
            )
            if any(s.subscription.mode is not SubscriptionMode.REALTIME for s in statuses):
                embed.set_footer(text=f"Digest hours are in {timezone} (/settings timezone)")
        else:
            embed.description = "None yet. Start one with `/subscribe`."
        embed.description = clip(embed.description, DESCRIPTION_LIMIT)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

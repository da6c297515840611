"""``/feeds``: a server's own feeds beside the shared catalogue (admins only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import (
    COLOUR,
    DESCRIPTION_LIMIT,
    MESSAGE_TOTAL_LIMIT,
    clean_markdown,
    clip,
)
from bot.news.model.errors import UserError
from bot.news.model.vocabulary import Feed, FeedStatus
from bot.news.services.news import NewsService
from commands.checks import is_news_admin
from commands.errors import NO_MENTIONS
from commands.news import feed_choices

if TYPE_CHECKING:
    from commands.services import BotServices

MAX_FEED_FIELDS = 24  # of Discord's 25, one is kept for "…and N more"
OWN_LIST_LIMIT = 2000  # of a message's 6000 characters; the catalogue gets the rest


def feed_state(feed: Feed) -> str:
    """A feed's health in a few words."""
    if not feed.enabled or feed.status is FeedStatus.DISABLED:
        return "disabled"
    if feed.status is FeedStatus.ERROR:
        errors = f" ({feed.error_count} errors in a row)" if feed.error_count > 1 else ""
        return f"failing{errors}"
    if feed.status is FeedStatus.NEW:
        return "not polled yet"
    return "ok"


def _when(moment: Any) -> str:
    return discord.utils.format_dt(moment, "R") if moment is not None else "never"


def feed_line(feed: Feed) -> str:
    """One line of ``/feeds list``: id, name, item count, health."""
    items = f"{feed.item_count} item{'s' if feed.item_count != 1 else ''}"
    return f"`{feed.id}` {clean_markdown(feed.name, 80)} · {items} · {feed_state(feed)}"


def lines_within(lines: Sequence[str], limit: int) -> str:
    """As many lines as fit in ``limit`` characters, then "…and N more"."""
    shown: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = len(f"\n…and {rest} more")
        if size + len(line) + 1 + tail > limit:
            return "\n".join([*shown, f"…and {rest} more"])
        shown.append(line)
        size += len(line) + 1
    return "\n".join(shown)


def feeds_list_embeds(feeds: Sequence[Feed], guild_id: int) -> list[discord.Embed]:
    """``/feeds list``: this server's own feeds, then the shared catalogue."""
    own = [f for f in feeds if f.guild_id == guild_id]
    shared = [f for f in feeds if f.guild_id is None]
    mine = discord.Embed(title=f"This server's feeds ({len(own)})", colour=COLOUR)
    mine.description = (
        lines_within([feed_line(f) for f in own], OWN_LIST_LIMIT)
        if own
        else "None yet. Add one with `/feeds add`."
    )
    catalogue = discord.Embed(title=f"Shared catalogue ({len(shared)})", colour=COLOUR)
    catalogue.set_footer(text="Shared feeds are managed by the bot's operator.")
    # Both embeds share one message's 6000 characters.
    room = min(DESCRIPTION_LIMIT, MESSAGE_TOTAL_LIMIT - len(mine) - len(catalogue) - 20)
    catalogue.description = (
        lines_within([feed_line(f) for f in shared], room)
        if shared
        else "Empty: the bot's operator has not added shared feeds."
    )
    return [mine, catalogue]


def feed_health(feed: Feed) -> str:
    """The health details of one feed, for ``/feeds status``."""
    lines = [
        f"Status: {feed_state(feed)}",
        f"Last success: {_when(feed.last_success)}",
    ]
    if feed.last_error:
        lines.append(f"Last error: {clean_markdown(feed.last_error, 300)}")
    if feed.enabled:
        lines.append(f"Next poll: {_when(feed.next_due) if feed.next_due else 'soon'}")
    if feed.disabled_reason:
        lines.append(f"Disabled: {clean_markdown(feed.disabled_reason, 200)}")
    return "\n".join(lines)


def catalogue_summary(shared: Sequence[Feed]) -> str:
    """How the shared catalogue is doing, in a few lines."""
    if not shared:
        return "The shared catalogue is empty."
    counts: dict[str, int] = {}
    for feed in shared:
        state = feed_state(feed).split(" (")[0]
        counts[state] = counts.get(state, 0) + 1
    parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    successes = [f.last_success for f in shared if f.last_success is not None]
    latest = f" Latest success {_when(max(successes))}." if successes else ""
    failing = [f for f in shared if feed_state(f).startswith(("failing", "disabled"))]
    text = f"Shared catalogue: {len(shared)} feeds ({parts}).{latest}"
    if failing:
        names = ", ".join(clean_markdown(f.name, 60) for f in failing[:5])
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        text += f"\nNot working: {names}{more}."
    return text


def feeds_status_embed(feeds: Sequence[Feed], guild_id: int) -> discord.Embed:
    """``/feeds status``: each of this server's feeds in detail, the catalogue in summary."""
    own = [f for f in feeds if f.guild_id == guild_id]
    shared = [f for f in feeds if f.guild_id is None]
    embed = discord.Embed(title="Feed health", colour=COLOUR)
    embed.description = clip(catalogue_summary(shared), DESCRIPTION_LIMIT)
    if not own:
        embed.add_field(name="This server's feeds", value="None. Add one with `/feeds add`.")
    for feed in own[:MAX_FEED_FIELDS]:
        embed.add_field(
            name=clean_markdown(f"{feed.id} · {feed.name}", 256),
            value=clip(feed_health(feed), 1024),
            inline=False,
        )
    if len(own) > MAX_FEED_FIELDS:
        embed.add_field(name="…", value=f"and {len(own) - MAX_FEED_FIELDS} more feeds")
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(
    commands.GroupCog,
    group_name="feeds",
    group_description="The feeds this server reads: add, remove, list, status (admins)",
):
    """The ``/feeds`` group; every subcommand is checked with :func:`is_news_admin`."""

    def __init__(self, services: BotServices) -> None:
        self.services = services
        super().__init__()

    @property
    def news(self) -> NewsService:
        """The newsroom's service."""
        return self.services.news

    def _guild_id(self, interaction: discord.Interaction[Any]) -> int:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return interaction.guild_id

    @app_commands.command(name="add")
    @app_commands.describe(
        url="The RSS or Atom feed's address", name="A short name for it (default: its host)"
    )
    @is_news_admin()
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 1, 2048],
        name: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Add a feed that only this server reads."""
        guild_id = self._guild_id(interaction)
        # Resolving the host name (to refuse private addresses) and fetching the feed once
        # (to refuse what is not a readable feed, as `shopwire feeds add` does) take seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        added = await self.news.add_and_check_feed(url, name=name, guild_id=guild_id, trusted=False)
        feed, preview = added.feed, added.preview
        found = ""
        if preview is not None:
            count = f"{preview.item_count} item{'s' if preview.item_count != 1 else ''}"
            found = f"It has {count} now. "
        await interaction.followup.send(
            f"Added **{clean_markdown(feed.name, 100)}** (feed `{feed.id}`) for this server: "
            f"<{feed.url}>\n{found}It is polled within minutes; `/feeds status` shows how it "
            "goes.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="remove")
    @app_commands.describe(feed="One of this server's own feeds")
    @is_news_admin()
    async def remove(self, interaction: discord.Interaction[Any], feed: str) -> None:
        """Remove one of this server's own feeds and the items it brought."""
        guild_id = self._guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.news.find_feed(feed, guild_id=guild_id)
        if found.guild_id != guild_id:
            raise UserError(
                f"“{clean_markdown(found.name, 100)}” is in the shared catalogue, which only the "
                "bot's operator can change. From Discord you can remove this server's own feeds."
            )
        removed = await self.news.remove_feed(str(found.id), guild_id=guild_id)
        await interaction.followup.send(
            f"Removed **{clean_markdown(removed.name, 100)}** (feed `{removed.id}`) "
            "and the items it brought.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @remove.autocomplete("feed")
    async def own_feed_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's own feeds matching what is typed."""
        return await feed_choices(self.news, interaction.guild_id, current, own_only=True)

    @app_commands.command(name="list")
    @is_news_admin()
    async def list_feeds(self, interaction: discord.Interaction[Any]) -> None:
        """List the shared catalogue and this server's own feeds."""
        guild_id = self._guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await self.news.list_feeds(guild_id)
        await interaction.followup.send(
            embeds=feeds_list_embeds(feeds, guild_id),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="status")
    @is_news_admin()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Health of this server's feeds and of the shared catalogue."""
        guild_id = self._guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await self.news.list_feeds(guild_id)
        await interaction.followup.send(
            embed=feeds_status_embed(feeds, guild_id),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

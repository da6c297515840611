"""``/news latest`` and ``/news search``: reading the newsroom from Discord."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.embeds import clean_markdown, fit_embeds, fit_one_message, item_embeds
from bot.news.models import Company, Feed, ItemPage
from bot.news.query import build_fts_query
from bot.news.service import NewsService
from bot.news.timeparse import parse_since
from commands.errors import NO_MENTIONS, report_error
from commands.suggest import fuzzy_choices

if TYPE_CHECKING:
    from bot.client import BotServices

PAGE_TIMEOUT = 300.0  # seconds a search's page buttons keep working
NOT_YOURS = "Only the person who searched can turn pages."


async def company_choices(news: NewsService, current: str) -> list[app_commands.Choice[str]]:
    """Companies matching what the user typed (value: the company id)."""
    return [
        app_commands.Choice(name=c.name, value=c.id)
        for c in news.suggest_companies(current, limit=25)
    ]


async def feed_choices(
    news: NewsService, guild_id: int | None, current: str, *, own_only: bool = False
) -> list[app_commands.Choice[str]]:
    """Feeds visible in this server matching what the user typed (value: the feed id)."""
    feeds = await news.list_feeds(guild_id)
    if own_only:
        feeds = [f for f in feeds if guild_id is not None and f.guild_id == guild_id]
    candidates = [(feed_label(f, guild_id), str(f.id)) for f in feeds]
    return fuzzy_choices(current, candidates)


def feed_label(feed: Feed, guild_id: int | None) -> str:
    """A feed's name as offered in autocomplete, marking this server's own feeds."""
    mine = " (this server)" if feed.guild_id is not None and feed.guild_id == guild_id else ""
    return f"{feed.name}{mine}"


def _about(company: Company | None, feed: Feed | None) -> str:
    parts = []
    if company is not None:
        parts.append(f" about {clean_markdown(company.name, 100)}")
    if feed is not None:
        parts.append(f" from {clean_markdown(feed.name, 100)}")
    return "".join(parts)


class SearchPager(discord.ui.View):
    """Previous/Next buttons over a search's results, for the person who searched only.

    Each page is queried again (offset = page x page size), so nothing is held in memory but
    the query. When the view times out its buttons are disabled on the message.
    """

    def __init__(
        self,
        *,
        news: NewsService,
        owner_id: int,
        query: str,
        company: Company | None,
        since: str | None,
        page_size: int,
        guild_id: int | None,
        timeout: float = PAGE_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        self.news = news
        self.owner_id = owner_id
        self.query = query
        self.company = company
        self.since = since
        self.page_size = page_size
        self.guild_id = guild_id
        self.page = 0
        self.message: discord.Message | None = None
        self._turning = asyncio.Lock()

    async def load(self, page: int) -> ItemPage:
        """The results of page ``page`` (0-based)."""
        return await self.news.search(
            self.query,
            company=self.company.id if self.company else None,
            since=self.since,
            limit=self.page_size,
            offset=page * self.page_size,
            guild_id=self.guild_id,
        )

    def render(self, results: ItemPage) -> tuple[str, list[discord.Embed]]:
        """The message content and embeds for the current page; sets the buttons' state."""
        self.previous_page.disabled = self.page == 0
        self.next_page.disabled = not results.has_more
        first = self.page * self.page_size + 1
        last = first + len(results.items) - 1
        shown = clean_markdown(self.query, 100)
        content = (
            f"Results for “{shown}”{_about(self.company, None)}: page {self.page + 1} "
            f"(results {first}–{last})"
        )
        return content, fit_one_message(item_embeds(results.items))

    @property
    def paged(self) -> bool:
        """Whether there is anything to page to (else the message needs no buttons)."""
        return not (self.previous_page.disabled and self.next_page.disabled)

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the person who searched may turn the pages."""
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            NOT_YOURS, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return False

    @discord.ui.button(
        label="Previous", style=discord.ButtonStyle.secondary, custom_id="search:previous"
    )
    async def previous_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchPager]
    ) -> None:
        """Show the page before."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary, custom_id="search:next")
    async def next_page(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[SearchPager]
    ) -> None:
        """Show the page after."""
        await self._turn(interaction, +1)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        # Acknowledge first: the query is quick, but a busy database must not cost the click.
        await interaction.response.defer()
        # One turn at a time: a double click must move two pages, not read the same page twice.
        async with self._turning:
            target = max(0, self.page + step)
            results = await self.load(target)
            if not results.items and target > 0:
                # The results shrank since the last page (feeds removed): stay where we are.
                results = await self.load(self.page)
            else:
                self.page = target
            content, embeds = self.render(results)
            await interaction.edit_original_response(
                content=content, embeds=embeds, view=self, allowed_mentions=NO_MENTIONS
            )

    async def on_timeout(self) -> None:
        """Disable the buttons on the message, so nobody clicks a dead control."""
        for child in self.children:
            if isinstance(child, discord.ui.Button):
                child.disabled = True
        if self.message is not None:
            # Deleted, or the interaction token expired: then there is nothing left to disable.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        """Failures of a page turn are reported like the commands' own."""
        await report_error(interaction, error)


@app_commands.guild_only()
class NewsCog(
    commands.GroupCog,
    group_name="news",
    group_description="E-commerce news: the newest items and search",
):
    """The ``/news`` group; open to everyone in the server."""

    def __init__(self, services: BotServices, *, page_timeout: float = PAGE_TIMEOUT) -> None:
        self.services = services
        self.page_timeout = page_timeout
        super().__init__()

    @property
    def news(self) -> NewsService:
        """The newsroom's service."""
        return self.services.news

    @app_commands.command(name="latest")
    @app_commands.describe(
        company="Only news about this company",
        source="Only news from this feed",
        count="How many items (1-10)",
    )
    async def latest(
        self,
        interaction: discord.Interaction[Any],
        company: str | None = None,
        source: str | None = None,
        count: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        """The newest e-commerce news, optionally about one company or from one source."""
        # Checked before deferring so that a typo is answered privately, not in the channel
        # (after a public deferral every answer is public). Both are quick: the company table
        # is in memory and the feed list is one small read.
        chosen = self.news.resolve_company(company) if company else None
        feed = await self.news.find_feed(source, guild_id=interaction.guild_id) if source else None
        await interaction.response.defer(thinking=True)
        page = await self.news.latest(
            company=chosen.id if chosen else None,
            feed=str(feed.id) if feed else None,
            limit=count,
            guild_id=interaction.guild_id,
        )
        if not page.items:
            await interaction.followup.send(
                f"No news{_about(chosen, feed)} yet.", allowed_mentions=NO_MENTIONS
            )
            return
        for n, embeds in enumerate(fit_embeds(item_embeds(page.items))):
            content = f"Latest news{_about(chosen, feed)}" if n == 0 else discord.utils.MISSING
            await interaction.followup.send(
                content=content, embeds=embeds, allowed_mentions=NO_MENTIONS
            )

    @app_commands.command(name="search")
    @app_commands.describe(
        query='Words to look for; "quoted phrase", -excluded, a OR b',
        company="Only news about this company",
        since="Only news since: 7d, 24h, 2w, 2025-06-01",
        count="Results per page (1-10)",
    )
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200],
        company: str | None = None,
        since: str | None = None,
        count: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        """Search stored news by words, optionally about one company or since a date."""
        # Cheap checks first, so that a mistake is answered privately, not in the channel.
        build_fts_query(query)
        chosen = self.news.resolve_company(company) if company else None
        if since and since.strip():
            parse_since(since, discord.utils.utcnow())
        await interaction.response.defer(thinking=True)
        pager = SearchPager(
            news=self.news,
            owner_id=interaction.user.id,
            query=query,
            company=chosen,
            since=since,
            page_size=count,
            guild_id=interaction.guild_id,
            timeout=self.page_timeout,
        )
        results = await pager.load(0)
        if not results.items:
            shown = clean_markdown(query, 100)
            await interaction.followup.send(
                f"No results for “{shown}”{_about(chosen, None)}.", allowed_mentions=NO_MENTIONS
            )
            return
        content, embeds = pager.render(results)
        if not pager.paged:
            await interaction.followup.send(
                content=content, embeds=embeds, allowed_mentions=NO_MENTIONS
            )
            pager.stop()
            return
        pager.message = await interaction.followup.send(
            content=content, embeds=embeds, view=pager, allowed_mentions=NO_MENTIONS, wait=True
        )

    @latest.autocomplete("company")
    @search.autocomplete("company")
    async def company_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Companies matching what is typed."""
        return await company_choices(self.news, current)

    @latest.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Feeds visible in this server matching what is typed."""
        return await feed_choices(self.news, interaction.guild_id, current)

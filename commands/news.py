"""``/news latest``, ``/news search``, ``/news summary`` and ``/news trend``: reading the
newsroom from Discord."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import (
    NO_DATA_TEXT,
    TrendChart,
    TrendSeries,
    has_data,
    render_trend_png,
    trend_text,
)
from bot.embeds import (
    COLOUR,
    DESCRIPTION_LIMIT,
    clean_markdown,
    clip,
    fit_embeds,
    fit_one_message,
    item_embed,
    summary_embed,
    summary_scope,
)
from bot.news.model.vocabulary import Company, Feed, ItemPage
from bot.news.rules.search_query import parse_query
from bot.news.rules.summary_ranking import TrendData, period_window
from bot.news.rules.timeparse import parse_since
from bot.news.services.news import NewsService
from bot.news.services.summaries import SummaryService
from bot.news.tagging.topics import Topic, TopicTagger
from commands.errors import NO_MENTIONS, report_error
from commands.suggest import fuzzy_choices

if TYPE_CHECKING:
    from commands.services import BotServices

PAGE_TIMEOUT = 300.0  # seconds a search's page buttons keep working
NOT_YOURS = "Only the person who searched can turn pages."
CHART_FILE = "trend.png"
CHOICE_LIMIT = 100  # Discord's limit for an autocomplete choice's name and value

SUMMARY_PERIODS = [
    app_commands.Choice(name="Last 24 hours", value="24h"),
    app_commands.Choice(name="Last 7 days", value="7d"),
    app_commands.Choice(name="Last 30 days", value="30d"),
]


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


def company_list_choices(news: NewsService, current: str) -> list[app_commands.Choice[str]]:
    """Completions of the last name in a comma-separated company list ("temu, am")."""
    head, comma, last = current.rpartition(",")
    prefix = f"{head.strip()}, " if comma and head.strip() else ""
    choices = []
    for company in news.suggest_companies(last.strip(), limit=25):
        text = prefix + company.name
        # A list too long for one choice is still accepted as typed; only offering stops.
        if len(text) <= CHOICE_LIMIT:
            choices.append(app_commands.Choice(name=text, value=text))
    return choices


def topic_choices(current: str) -> list[app_commands.Choice[str]]:
    """Topics matching what the user typed (value: the topic id)."""
    return [
        app_commands.Choice(name=t.name, value=t.id)
        for t in TopicTagger.default().suggest(current, limit=25)
    ]


def trend_chart(data: TrendData) -> TrendChart:
    """The chart of a trend's daily counts, one line per company."""
    return TrendChart(
        title=data.title,
        days=data.days,
        series=tuple(TrendSeries(label, counts) for label, counts in data.series),
    )


def feed_label(feed: Feed, guild_id: int | None) -> str:
    """A feed's name as offered in autocomplete, marking this server's own feeds."""
    mine = " (this server)" if feed.guild_id is not None and feed.guild_id == guild_id else ""
    return f"{feed.name}{mine}"


def page_embeds(page: ItemPage) -> list[discord.Embed]:
    """One embed per item of a (collapsed) page, "+N more sources" in each story's footer."""
    return [item_embed(hit.item, extra_sources=hit.extra_sources) for hit in page.hits]


def _about(company: Company | None, feed: Feed | None, topic: Topic | None = None) -> str:
    parts = []
    if company is not None:
        parts.append(f" about {clean_markdown(company.name, 100)}")
    if topic is not None:
        parts.append(f" on {clean_markdown(topic.name, 100)}")
    if feed is not None:
        parts.append(f" from {clean_markdown(feed.name, 100)}")
    return "".join(parts)


class SearchPager(discord.ui.View):
    """Previous/Next buttons over a search's results, for the person who searched only.

    Each page is queried again (offset = page x page size), so nothing is held in memory but
    the query. Results are collapsed to stories (the offset counts stories), so a story shows
    on one page only, with "+N more sources". When the view times out its buttons are disabled
    on the message.
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
        topic: Topic | None = None,
    ) -> None:
        super().__init__(timeout=timeout)
        self.news = news
        self.owner_id = owner_id
        self.query = query
        self.company = company
        self.since = since
        self.page_size = page_size
        self.guild_id = guild_id
        self.topic = topic
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
            topic=self.topic.id if self.topic else None,
        )

    def render(self, results: ItemPage) -> tuple[str, list[discord.Embed]]:
        """The message content and embeds for the current page; sets the buttons' state."""
        self.previous_page.disabled = self.page == 0
        self.next_page.disabled = not results.has_more
        first = self.page * self.page_size + 1
        last = first + len(results.items) - 1
        shown = clean_markdown(self.query, 100)
        content = (
            f"Results for “{shown}”{_about(self.company, None, self.topic)}: page {self.page + 1} "
            f"(results {first}–{last})"
        )
        return content, fit_one_message(page_embeds(results))

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
    group_description="E-commerce news: the newest items, search, summaries and trends",
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

    @property
    def summaries(self) -> SummaryService:
        """Summaries and trends over the shared catalogue's stories."""
        return self.services.summaries

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
        for n, embeds in enumerate(fit_embeds(page_embeds(page))):
            content = f"Latest news{_about(chosen, feed)}" if n == 0 else discord.utils.MISSING
            await interaction.followup.send(
                content=content, embeds=embeds, allowed_mentions=NO_MENTIONS
            )

    @app_commands.command(name="search")
    @app_commands.describe(
        query='Words to look for; "quoted phrase", -excluded, a OR b, amaz* (words starting amaz)',
        company="Only news about this company",
        since="Only news since: 7d, 24h, 2w, 2025-06-01",
        count="Results per page (1-10)",
        topic="Only news on this topic: fees, policy, logistics, ...",
    )
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 200],
        company: str | None = None,
        since: str | None = None,
        count: app_commands.Range[int, 1, 10] = 5,
        topic: str | None = None,
    ) -> None:
        """Search stored news by words, optionally about one company or topic, or since a date."""
        # Cheap checks first, so that a mistake is answered privately, not in the channel.
        parse_query(query)
        chosen = self.news.resolve_company(company) if company else None
        picked = self.news.resolve_topic(topic) if topic else None
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
            topic=picked,
        )
        results = await pager.load(0)
        if not results.items:
            shown = clean_markdown(query, 100)
            await interaction.followup.send(
                f"No results for “{shown}”{_about(chosen, None, picked)}.",
                allowed_mentions=NO_MENTIONS,
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

    @app_commands.command(name="summary")
    @app_commands.describe(
        company="Only stories about this company",
        period="How far back (default: the last 7 days)",
        topic="Only stories on this topic: fees, policy, logistics, ...",
    )
    @app_commands.choices(period=SUMMARY_PERIODS)
    async def summary(
        self,
        interaction: discord.Interaction[Any],
        company: str | None = None,
        period: str = "7d",
        topic: str | None = None,
    ) -> None:
        """The period's top stories, the busiest companies and the rising terms."""
        # Checked before deferring so that a mistake is answered privately (see latest).
        period_window(period, discord.utils.utcnow())
        chosen = self.news.resolve_company(company) if company else None
        picked = self.news.resolve_topic(topic) if topic else None
        await interaction.response.defer(thinking=True)
        summary = await self.summaries.summary(
            period=period,
            company=chosen.id if chosen else None,
            topic=picked.id if picked else None,
        )
        topic_name = picked.name if picked else None
        if summary.empty:
            scope = summary_scope(summary, topic_name=topic_name)
            await interaction.followup.send(
                f"No stories in this period ({scope}).", allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.followup.send(
            embed=summary_embed(summary, topic_name=topic_name), allowed_mentions=NO_MENTIONS
        )

    @app_commands.command(name="trend")
    @app_commands.describe(
        companies="Companies to compare, separated by commas (default: the most active)",
        period="How far back (default: the last 30 days)",
    )
    @app_commands.choices(period=SUMMARY_PERIODS)
    async def trend(
        self,
        interaction: discord.Interaction[Any],
        companies: app_commands.Range[str, 1, 200] | None = None,
        period: str = "30d",
    ) -> None:
        """A chart of stories per day for the most active companies, or the ones you name."""
        period_window(period, discord.utils.utcnow())
        names = [n.strip() for n in (companies or "").split(",") if n.strip()]
        # Ids, deduplicated in the order given: "Temu, temu" is one line, not two.
        ids = list(dict.fromkeys(self.news.resolve_company(n).id for n in names))
        await interaction.response.defer(thinking=True)
        data = await self.summaries.trend(period=period, companies=",".join(ids) or None)
        chart = trend_chart(data)
        if not has_data(chart):
            await interaction.followup.send(NO_DATA_TEXT, allowed_mentions=NO_MENTIONS)
            return
        # About 0.1 s of matplotlib (a second on the first chart): never on the event loop.
        png = await asyncio.to_thread(render_trend_png, chart)
        text = "\n".join(clean_markdown(line, 200) for line in trend_text(chart).splitlines())
        embed = discord.Embed(description=clip(text, DESCRIPTION_LIMIT), colour=COLOUR)
        embed.set_image(url=f"attachment://{CHART_FILE}")
        await interaction.followup.send(
            embed=embed,
            file=discord.File(io.BytesIO(png), filename=CHART_FILE),
            allowed_mentions=NO_MENTIONS,
        )

    @latest.autocomplete("company")
    @search.autocomplete("company")
    @summary.autocomplete("company")
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

    @search.autocomplete("topic")
    @summary.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Topics matching what is typed."""
        return topic_choices(current)

    @trend.autocomplete("companies")
    async def companies_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The typed company list with its last name completed."""
        return company_list_choices(self.news, current)

"""The composition root: the only place that knows every concrete class.

``open_newsroom(settings)`` opens the storage the ``db`` setting names (``storage.open_storage``),
the HTTP fetcher, the parser pool and the tagger, wires the services, seeds the catalogue on a
new database, and closes everything on exit. Front ends get services and ports from the
``Newsroom``, never a concrete storage class; the bot gets its deliverer and digest scheduler
from it too (``delivery_sender``, ``digest_scheduler``).

The fetcher and the parser pool are opened on first use (``bot.lazy``), and the taggers compile
their tables on the first item tagged; aiohttp, feedparser and the LLM client are imported only
then. ``shopwire latest`` and ``search`` use ``open_reader_now`` (or ``open_reader``): the
database and ``ItemQueries``, nothing else, without an event loop on an up-to-date SQLite file;
this module imports the other services only when it builds them, so those commands answer at
once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.lazy import LazyCompanies, LazyFetcher, LazyParser, LazyTopics, OnFirstUse
from bot.news.adapters.system_clock import SystemClock
from bot.news.services.item_queries import ItemQueries
from bot.news.services.metrics import NO_METRICS, Metrics
from bot.settings import Settings
from storage import SchemaMigration, migrate_storage, open_query_only, open_storage

# Only what `shopwire latest` and `search` need (open_reader) is imported with this module; the
# services of the bot and of polling are imported by what builds them (tests/cli/test_cli_imports).
if TYPE_CHECKING:
    from bot.news.adapters.http_fetcher import FetchConfig, HttpFetcher
    from bot.news.adapters.llm_prose import ProseWriter
    from bot.news.adapters.parsing_pool import PoolParser
    from bot.news.ports import (
        Clock,
        Coordination,
        DeliveryClaims,
        Fetcher,
        Storage,
        StoryPublisher,
    )
    from bot.news.rules.poll_policy import PollPolicy
    from bot.news.services.delivery import DeliverySender
    from bot.news.services.digests import DigestPublisher, DigestScheduler
    from bot.news.services.feed_notices import FeedNotices
    from bot.news.services.feed_updater import FeedUpdater
    from bot.news.services.follow_roles import FollowRoleService
    from bot.news.services.news import NewsService
    from bot.news.services.preview import SubscriptionPreviewer
    from bot.news.services.story_assigner import StoryAssigner
    from bot.news.services.story_placing import Placer
    from bot.news.services.subscriptions import SubscriptionService
    from bot.news.services.summaries import SummaryService
    from bot.news.services.why import DeliveryExplainer
    from bot.news.stories import StoryConfig
    from bot.news.tagging.company_tagger import Tagger
    from bot.sharding import IdentifyQueue
    from storage.copy import CopyReport


@dataclass(frozen=True, slots=True)
class Newsroom:
    """Everything a front end (CLI or bot) needs, opened and wired."""

    settings: Settings
    # The port, never the concrete SQLite class: front ends and tests read repositories
    # through it; the services were handed theirs here.
    storage: Storage
    service: NewsService
    subscriptions: SubscriptionService
    summaries: SummaryService
    updater: FeedUpdater
    tagger: Tagger
    clock: Clock
    # The bot runs story assignment as its own stage beside delivery; the CLI's poll runs it
    # after the poll through NewsService's after_poll hook.
    assigner: StoryAssigner
    notices: FeedNotices
    # What the updater and the deliverer record (Prometheus when `shopwire run` serves metrics).
    metrics: Metrics = NO_METRICS
    # The parser pool, started by the first parse unless ``start_parser`` started it before.
    parsers: OnFirstUse[PoolParser] | None = None

    async def start_parser(self) -> None:
        """Start the parser pool (fork server, tag tables, workers) now, if not yet started.

        The bot's poller stage calls it in the background as it starts, so that its first poll
        finds the workers up instead of waiting for them at its first parse (0.7-1 s of
        start-up). A failure raises here and leaves the start to the next parse.
        """
        if self.parsers is not None:
            await self.parsers.get()

    def delivery_sender(
        self, publisher: StoryPublisher, *, claims: DeliveryClaims | None = None
    ) -> DeliverySender:
        """The outbox's deliverer, posting through ``publisher`` (the bot's, once logged in):
        messages, forum posts and threads by story, edits of corrected items, publishing;
        only for guilds on this process's shards, and with ``claims`` (several gateways), each
        subscription only while claimed (new posts and follow-ups alike)."""
        from bot.news.services.delivery import DeliveryOptions, DeliverySender
        from bot.news.services.followups import FollowUpSender
        from bot.news.services.story_posts import StoryPoster

        return DeliverySender(
            claims=claims,
            shards=self.settings.served_shards,
            outbox=self.storage.outbox,
            subscriptions=self.storage.subscriptions,
            publisher=publisher,
            clock=self.clock,
            options=DeliveryOptions(
                max_posts_per_channel=self.settings.max_posts_per_channel,
                max_age=timedelta(hours=self.settings.max_post_age_hours),
            ),
            metrics=self.metrics,
            stories=StoryPoster(
                threads=self.storage.story_threads,
                outbox=self.storage.outbox,
                publisher=publisher,
                clock=self.clock,
            ),
            followups=FollowUpSender(
                followups=self.storage.followups,
                publisher=publisher,
                clock=self.clock,
                digests=self.storage.digests,
                claims=claims,
                threads=self.storage.story_threads,
                shards=self.settings.served_shards,
            ),
        )

    def follow_role_service(self) -> FollowRoleService:
        """The follow roles members take with /follow, per server."""
        from bot.news.services.follow_roles import FollowRoleService
        from bot.news.tagging.topics import TopicTagger

        return FollowRoleService(
            follow_roles=self.storage.follow_roles,
            companies=self.tagger,
            topics=TopicTagger.default(),
            clock=self.clock,
        )

    def digest_scheduler(self, publisher: DigestPublisher) -> DigestScheduler:
        """Plans and posts the digests, through ``publisher``."""
        from bot.news.services.digests import DigestScheduler

        return DigestScheduler(
            subscriptions=self.storage.subscriptions,
            digests=self.storage.digests,
            guild_settings=self.storage.guild_settings,
            summaries=self.summaries,
            publisher=publisher,
            clock=self.clock,
            shards=self.settings.served_shards,
            stories=self.storage.stories,
        )

    def identify_queue(self) -> IdentifyQueue:
        """Turns for this process's shards to IDENTIFY: shared with the bot's other processes
        on PostgreSQL, kept in memory on a SQLite file (one process's); close it when done."""
        from bot.sharding import IdentifyQueue, LocalIdentifyLocks
        from storage.identify_locks import open_identify_locks

        return IdentifyQueue(open_identify_locks(self.settings.db) or LocalIdentifyLocks())

    @property
    def shared(self) -> bool:
        """Whether other processes may work on this database (PostgreSQL): a ``--role all``
        process then claims the feeds it polls, as pollers do, instead of reading them."""
        from storage.coordination import shared

        return shared(self.settings.db)

    def coordination(self) -> Coordination:
        """How this process and the others of its roles on the same PostgreSQL database
        coordinate (the lead, announcing queued posts); close it when done."""
        from storage.coordination import open_coordination

        return open_coordination(self.storage, self.settings.db)

    def delivery_explainer(self) -> DeliveryExplainer:
        """What became of an item for each of a server's subscriptions (/subscriptions why)."""
        from bot.news.services.why import DeliveryExplainer

        return DeliveryExplainer(
            history=self.storage.history,
            feeds=self.storage.feeds,
            items=self.storage.items,
            subscriptions=self.storage.subscriptions,
            clock=self.clock,
            max_age=timedelta(hours=self.settings.max_post_age_hours),
            guild_settings=self.storage.guild_settings,
        )

    def subscription_previewer(self) -> SubscriptionPreviewer:
        """What a subscription's filters would have posted lately (previews)."""
        from bot.news.services.preview import SubscriptionPreviewer

        return SubscriptionPreviewer(
            history=self.storage.history,
            feeds=self.storage.feeds,
            clock=self.clock,
            max_age=timedelta(hours=self.settings.max_post_age_hours),
        )


@dataclass(frozen=True, slots=True)
class Reader:
    """What ``shopwire latest`` and ``search`` need: the stored items, and nothing that polls."""

    storage: Storage
    items: ItemQueries


def poll_policy(settings: Settings) -> PollPolicy:
    """The polling cadence and failure handling the settings ask for."""
    from bot.news.rules.poll_policy import PollPolicy

    return PollPolicy(
        interval=timedelta(seconds=settings.poll_interval),
        max_backoff=timedelta(seconds=settings.max_backoff),
        disable_after=timedelta(days=settings.disable_after_days),
    )


def fetch_config(settings: Settings) -> FetchConfig:
    """The fetcher's limits from the settings."""
    from bot.news.adapters.http_fetcher import FetchConfig

    return FetchConfig(
        connect_timeout=settings.connect_timeout,
        total_timeout=settings.total_timeout,
        max_body_bytes=settings.max_body_bytes,
        max_concurrency=settings.max_concurrency,
        max_per_host=settings.max_per_host,
    )


def sole_run(settings: Settings) -> AbstractContextManager[None]:
    """Held while ``shopwire run`` serves: on a SQLite file, StorageError (one line) when
    another process already runs on it; nothing to hold on PostgreSQL (its shards are held)."""
    from storage.run_lock import sole_run as hold

    return hold(settings.db)


def role_refusal(settings: Settings) -> str | None:
    """Why ``settings.role`` cannot run on the database ``settings.db`` names (a role other
    than ``all`` on a SQLite file), in one line; None when it can."""
    from storage.coordination import refusal

    return refusal(settings.db, settings.role)


async def migrate_database(settings: Settings) -> SchemaMigration:
    """Create or bring up to date the schema of the database the ``db`` setting names, and
    close it (``shopwire migrate``); StorageError with one line when it cannot be opened."""
    return await migrate_storage(settings.db)


async def copy_database(source: str, target: str) -> CopyReport:
    """Copy the SQLite database ``source`` whole into the empty PostgreSQL database ``target``
    (``shopwire db copy``); StorageError with one line when it cannot."""
    from storage.copy import copy_database as copy

    return await copy(source, target)


@asynccontextmanager
async def open_newsroom(
    settings: Settings,
    *,
    clock: Clock | None = None,
    fetcher: Fetcher | None = None,
    read_only: bool = False,
    metrics: Metrics = NO_METRICS,
    story_process: bool = False,
    parser_ahead: bool = False,
) -> AsyncIterator[Newsroom]:
    """Open and wire the newsroom; everything opened here is closed on exit.

    ``read_only``: the caller only reads (``shopwire latest``...), so opening an existing
    database writes nothing: company names are not registered and the catalogue is not seeded
    (a read-only file works). A SQLite file in a folder that does not exist is refused, not
    created; a new file, or a new (empty) PostgreSQL database, is still migrated and seeded, as
    by any other command.
    ``story_process``: keep the story clusterer in a worker process (the bot: placing stories
    would otherwise hold the interpreter that answers Discord); the CLI keeps it in process.
    ``parser_ahead`` (``shopwire poll``): when a feed is due that was never polled (its first
    poll parses whatever it fetches), start the parser pool in the background now, before the
    rest is opened; a start still under way on exit is abandoned, its processes killed rather
    than waited for. Otherwise the first parse starts it: a poll of known feeds may find them
    all unchanged, and then needs no pool at all.
    """
    the_clock: Clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        database = await open_storage(settings.db, read_only=read_only)
        stack.push_async_callback(database.close)
        pool = OnFirstUse(lambda: _start_parser(settings, the_clock), _close_parser)
        stack.push_async_callback(pool.close)
        if parser_ahead and await _first_polls_due(database, the_clock):
            # Before the rest is opened, so that the pool's start (about a second, in other
            # processes) overlaps the imports below, then the first fetches.
            from bot.early_parser import parser_starting

            await stack.enter_async_context(parser_starting(pool.get))
        parser = LazyParser(pool.get)

        from bot.news.services.feed_check import FeedChecker
        from bot.news.services.feed_notices import FeedNotices
        from bot.news.services.feed_updater import FeedUpdater, UpdaterOptions
        from bot.news.services.news import NewsService
        from bot.news.services.story_assigner import StoryAssigner
        from bot.news.services.story_placing import InlinePlacer
        from bot.news.services.subscriptions import SubscriptionService
        from bot.news.services.summaries import SummaryService
        from bot.news.stories import StoryConfig
        from bot.news.tagging.company_tagger import Tagger
        from bot.news.tagging.topics import TopicTagger

        if fetcher is None:
            http = OnFirstUse(lambda: _open_fetcher(settings, the_clock), _close_fetcher)
            stack.push_async_callback(http.close)
            fetcher = LazyFetcher(http.get)
        tagger = Tagger.default()
        if not read_only:
            await database.items.register_companies(tagger.companies())
        updater = FeedUpdater(
            feeds=database.feeds,
            items=database.items,
            fetcher=fetcher,
            parser=parser,
            tagger=tagger,
            clock=the_clock,
            policy=poll_policy(settings),
            options=UpdaterOptions(
                max_items_per_poll=settings.max_items_per_poll,
                allow_private_urls=settings.allow_private_urls,
                max_post_age=timedelta(hours=settings.max_post_age_hours),
                story_text_at_ingest=settings.story_text_at_ingest,
            ),
            subscriptions=database.subscriptions,
            topics=TopicTagger.default(),
            metrics=metrics,
        )
        placer: Callable[[StoryConfig], Placer] = InlinePlacer
        if story_process:
            from bot.news.adapters.story_worker import ProcessPlacer

            placer = ProcessPlacer
        stories = StoryAssigner(
            stories=database.stories,
            clock=the_clock,
            config=StoryConfig(
                threshold=settings.story_threshold,
                window=timedelta(hours=settings.story_window_hours),
            ),
            placer=placer,
        )
        stack.push_async_callback(stories.close)
        writer: ProseWriter | None = None
        if settings.llm_base_url:  # optional LLM-written summary lines, verified, one request each
            from bot.news.adapters.llm_prose import ProseConfig, ProseWriter

            writer = ProseWriter(
                ProseConfig(
                    base_url=settings.llm_base_url,
                    model=settings.llm_model or "",
                    api_key=settings.llm_api_key,
                    timeout=settings.llm_timeout,
                ),
                stories=database.stories,
            )
            stack.push_async_callback(writer.close)
        summaries = SummaryService(
            stories=database.stories, companies=tagger, clock=the_clock, writer=writer
        )
        service = NewsService(
            feeds=database.feeds,
            items=database.items,
            meta=database.meta,
            updater=updater,
            companies=tagger,
            clock=the_clock,
            allow_private_urls=settings.allow_private_urls,
            max_guild_feeds=settings.max_guild_feeds,
            after_poll=stories.run,
            topics=TopicTagger.default(),
            checker=FeedChecker(fetcher, parser, max_items=settings.max_items_per_poll),
        )
        subscriptions = SubscriptionService(
            subscriptions=database.subscriptions,
            outbox=database.outbox,
            companies=tagger,
            clock=the_clock,
            max_per_guild=settings.max_guild_subscriptions,
            topics=TopicTagger.default(),
            guild_settings=database.guild_settings,
            followups=database.followups,
        )
        if settings.seed_catalogue and (database.created or not read_only):
            await service.seed_catalogue()
        yield Newsroom(
            settings,
            database,
            service,
            subscriptions,
            summaries,
            updater,
            tagger,
            the_clock,
            stories,
            FeedNotices(feeds=database.feeds, subscriptions=database.subscriptions),
            metrics,
            pool,
        )


async def _first_polls_due(database: Storage, clock: Clock) -> bool:
    """Whether a feed is due that was never polled: its first poll parses what it fetches."""
    return any(feed.last_polled is None for feed in await database.feeds.due(clock.now()))


def open_reader_now(settings: Settings, *, clock: Clock | None = None) -> Reader | None:
    """``open_reader`` without an event loop (nor asyncio imported): for an up-to-date SQLite
    file, a Reader whose reads finish at once (run them with ``bot.loopless.run_now``, and
    close its storage the same way); None for anything else (then use ``open_reader``)."""
    database = open_query_only(settings.db)
    if database is None:
        return None
    return _reader(database, clock or SystemClock())


def _reader(database: Storage, clock: Clock) -> Reader:
    return Reader(
        database,
        ItemQueries(
            feeds=database.feeds,
            items=database.items,
            companies=LazyCompanies(),
            clock=clock,
            topics=LazyTopics(),
        ),
    )


@asynccontextmanager
async def open_reader(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[Reader]:
    """Open the database to read items, and close it on exit (``shopwire latest``, ``search``).

    What ``open_newsroom(settings, read_only=True)`` does for these commands, without importing
    or building the services that poll, deliver or group stories, or the tag tables (imported
    only for ``--company`` and ``--topic``): an existing database is only read; a SQLite file
    in a folder that does not exist is refused (StorageError), not created.
    """
    the_clock: Clock = clock or SystemClock()
    database = await open_storage(settings.db, read_only=True)
    try:
        if settings.seed_catalogue and database.created:
            from bot.news.services.catalogue_seeding import seed_catalogue

            await seed_catalogue(database.feeds, database.meta, the_clock)
        yield _reader(database, the_clock)
    finally:
        await database.close()


async def _open_fetcher(settings: Settings, clock: Clock) -> HttpFetcher:
    from bot.news.adapters.http_fetcher import HttpFetcher

    http = HttpFetcher(fetch_config(settings), clock=clock)
    await http.start()
    return http


async def _close_fetcher(fetcher: HttpFetcher) -> None:
    await fetcher.close()


async def _start_parser(settings: Settings, clock: Clock) -> PoolParser:
    from bot.news.adapters.parsing_pool import PoolParser

    # The workers tag items with the same shipped tables the updater holds (Tagger.default(),
    # TopicTagger.default()), so tagging leaves the event loop.
    parser = PoolParser(
        clock,
        workers=settings.parse_workers or None,
        time_limit=settings.parse_timeout,
        memory_limit_mb=settings.parse_memory_mb,
        tag=True,
    )
    try:
        await parser.start()
    except BaseException:  # a pool half started (a worker failed to come up) is not left behind
        await parser.close()
        raise
    return parser


async def _close_parser(parser: PoolParser) -> None:
    await parser.close()

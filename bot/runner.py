"""``shopwire run``: one process that polls feeds, answers slash commands and posts updates.

::

    open_newsroom(settings)             database, fetcher, parser pool, tagger, services
    | bot.login(token)                  REST only; cogs added in setup_hook
    | sync commands if changed          a hash of the payload is kept in the database
    | bot.connect()                     gateway, in the background
    | stages, side by side, none waiting for another:
    |   poller                          due feeds in flight as they fall due, each in its own
    |                                   slot; a stored result wakes delivery and stories
    |   delivery (once ready)           disabled-feed notices, then drain the outbox; woken by
    |                                   the poller, else every few seconds
    |   stories                         assign stored items to stories; woken, else a tick
    |   digests (once ready)            plan and post the digests that are due, every tick
    SIGINT / SIGTERM                    stages finish the step in flight (polls get a short
                                        grace, then roll back), close Discord, the database
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TextIO

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot import keepalive, signals
from bot.app import Newsroom, open_newsroom, role_refusal, sole_run
from bot.client import ShardedShopwireBot, ShopwireBot
from bot.early_parser import with_parser_starting
from bot.embeds import clean_markdown
from bot.metrics import MetricsServer, MetricsUnavailable, PrometheusMetrics
from bot.news.adapters.system_clock import SystemClock
from bot.news.model.errors import (
    ShardCountMismatch,
    StorageError,
    UnshardedGatewayConflict,
    database_error_line,
)
from bot.news.model.vocabulary import PostOutcome, Shards, UpdateReport, UpdateStatus
from bot.news.ports import Coordination, MetaStore, Publisher
from bot.news.services.delivery import DeliverySender
from bot.news.services.digests import DigestScheduler
from bot.news.services.metrics import NO_METRICS
from bot.news.services.poller import FeedLeasing, FeedPoller
from bot.news.services.stage import CrashLog, Stage
from bot.publisher import DiscordPublisher
from bot.rate_limit import pace, share_of_global_limit
from bot.roles import DELIVERY_LEASE, lease_owner, led, run_poller
from bot.settings import Settings
from bot.sharding import IdentifyQueue, ShardsInUse, ShardsLost, shard_refusal
from commands.services import BotServices

log = logging.getLogger("shopwire")

COMMANDS_HASH = "commands_hash"
# How long a shutdown waits for the stages' steps in flight before cancelling them.
SHUTDOWN_GRACE = 20.0
# Longest wait between two runs of a stage nobody woke (delivery retries, digests, stories).
TICK = 5.0
# Discord's error code for a guild (or channel) the bot cannot see.
MISSING_ACCESS = 50001


def version() -> str:
    """The installed package's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("shopwire")
    except PackageNotFoundError:
        return "0+unknown"


def point_at_discord(settings: Settings) -> None:
    """Use another Discord endpoint (a loopback fake in tests) when the settings say so."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway)


def run_bot(settings: Settings, err: TextIO) -> int:
    """Run the bot (or the role ``settings.role`` names) until SIGINT/SIGTERM; returns the
    exit code."""
    if (refused := role_refusal(settings) or shard_refusal(settings)) is not None:
        print(f"error: {refused}", file=err)
        return 2
    if settings.role == "poller":  # no Discord at all: no token needed
        return run_poller(settings, err)
    if not settings.discord_token:
        print(
            "error: DISCORD_TOKEN is not set: create a bot at "
            "https://discord.com/developers/applications and export its token.",
            file=err,
        )
        return 2
    point_at_discord(settings)
    # The gateway's latency measured from the heartbeat an ACK answers (bot/keepalive.py).
    keepalive.install()

    async def serve() -> int:
        await _serve(settings)
        return 0

    try:
        return _with_discord(settings, err, serve)
    except KeyboardInterrupt:
        return 0


def _with_discord(
    settings: Settings, err: TextIO, main: Callable[[], Coroutine[Any, Any, int]]
) -> int:
    """Run ``main`` and turn what Discord, the network or the database refuse into one line."""
    try:
        # SIGTERM cancels ``main`` like Ctrl-C (``run`` stops on it in order by itself).
        return signals.run(main())
    except discord.LoginFailure:
        print("error: Discord rejected the token in DISCORD_TOKEN.", file=err)
    except discord.PrivilegedIntentsRequired:
        print("error: Discord refused the gateway intents the bot asked for.", file=err)
    except discord.HTTPException as exc:
        log.debug("Discord refused a request", exc_info=True)
        print(refused_by_discord(exc), file=err)
    except (aiohttp.ClientError, OSError) as exc:
        print(f"error: cannot reach Discord: {exc}", file=err)
    except StorageError as exc:
        print(database_error_line(settings.db_shown, exc), file=err)
    except MetricsUnavailable as exc:
        print(f"error: {exc}", file=err)
    except (ShardsInUse, ShardsLost, ShardCountMismatch, UnshardedGatewayConflict) as exc:
        print(f"error: {exc}", file=err)
    return 1


def refused_by_discord(exc: discord.HTTPException) -> str:
    """One line for an error status from Discord's API (never the request, so never the token)."""
    line = f"error: Discord answered {exc.status} {exc.response.reason}"
    text = exc.text.strip()
    if exc.code and text and "\n" not in text:
        line += f" (error code {exc.code}: {text[:200]})"
    if exc.code == MISSING_ACCESS:
        line += "; is the bot in the server given by --guild or SHOPWIRE_DEV_GUILD_ID?"
    return line


def sync_commands(settings: Settings, err: TextIO, guild_id: int | None) -> int:
    """``shopwire sync-commands``: push the slash commands to Discord now."""
    if not settings.discord_token:
        print("error: DISCORD_TOKEN is not set.", file=err)
        return 2
    point_at_discord(settings)

    async def sync() -> int:
        async with open_newsroom(settings) as newsroom:
            bot = ShopwireBot(_services(newsroom))
            async with bot:
                await bot.login(settings.discord_token or "")
                if guild_id is not None:
                    target = discord.Object(id=guild_id)
                    bot.tree.copy_global_to(guild=target)
                    synced = await bot.tree.sync(guild=target)
                else:
                    synced = await bot.tree.sync()
                    await newsroom.storage.meta.set(COMMANDS_HASH, payload_hash(bot))
                print(f"Synced {len(synced)} commands.", file=err)
        return 0

    return _with_discord(settings, err, sync)


def payload_hash(bot: ShopwireBot) -> str:
    """A hash of the command payload, to sync only when the commands changed."""
    document = json.dumps(bot.command_payload(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


async def sync_if_changed(bot: ShopwireBot, meta: MetaStore, settings: Settings) -> None:
    """Sync to the dev guild on every start; globally only when the payload changed."""
    if settings.dev_guild_id is not None:
        guild = discord.Object(id=settings.dev_guild_id)
        bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
        log.info("commands synced scope=guild guild_id=%s count=%d", guild.id, len(synced))
    current = payload_hash(bot)
    if await meta.get(COMMANDS_HASH) == current:
        log.info("commands unchanged, not synced")
        return
    synced = await bot.tree.sync()
    await meta.set(COMMANDS_HASH, current)
    log.info("commands synced scope=global count=%d", len(synced))


def _services(newsroom: Newsroom) -> BotServices:
    return BotServices(
        news=newsroom.service,
        subscriptions=newsroom.subscriptions,
        summaries=newsroom.summaries,
        settings=newsroom.settings,
        follow_roles=newsroom.follow_role_service(),
        explainer=newsroom.delivery_explainer(),
        previewer=newsroom.subscription_previewer(),
    )


async def _serve(settings: Settings) -> None:
    # On a SQLite file nothing else keeps a second `shopwire run` from serving beside this one.
    with sole_run(settings):
        await _serve_held(settings)


async def _serve_held(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    clock = SystemClock()
    # Recorded only when served: without a metrics port the core records into NO_METRICS.
    recorder = PrometheusMetrics(clock) if settings.metrics_port else None
    async with open_newsroom(
        settings, clock=clock, metrics=recorder or NO_METRICS, story_process=True
    ) as newsroom:
        feeds, items = await newsroom.service.feed_counts()
        subscriptions = await newsroom.subscriptions.count_all()
        log.info(
            "shopwire starting version=%s db=%s feeds=%d items=%d subscriptions=%d",
            version(),
            settings.db_shown,
            feeds,
            items,
            subscriptions,
        )
        # 429s counted when served; every request to Discord paced to this process's share.
        trace = recorder.http_trace() if recorder is not None else aiohttp.TraceConfig()
        pace(trace, share_of_global_limit(settings.gateway_processes))
        identify = newsroom.identify_queue() if settings.shard_count is not None else None
        bot = _new_bot(_services(newsroom), settings, identify, trace)
        publisher = DiscordPublisher(bot)
        # On PostgreSQL every process connected to Discord holds its shards (every server when
        # unsharded) against the others, --role all too: two would post for the same guilds.
        holder = newsroom.coordination() if newsroom.shared else None
        if holder is not None:
            await _hold_shards(holder, settings)
        # --role gateway: no poller here; a subscription is delivered by the gateway that
        # claims it; stories and digests run only while this one leads.
        coordination = holder if settings.role == "gateway" else None
        claims = None
        if coordination is not None:
            claims = coordination.delivery_claims(lease_owner(), DELIVERY_LEASE)
        # Wired by the composition root; only the publisher is Discord's.
        sender = newsroom.delivery_sender(publisher, claims=claims)
        digests = newsroom.digest_scheduler(publisher)
        # Listening before login: a port in use stops the start with one line.
        async with (
            contextlib.AsyncExitStack() as stack,
            bot,
            _serving_metrics(newsroom, recorder, bot) as metrics_server,
        ):
            if holder is not None:  # closed last, however the process stops
                stack.push_async_callback(holder.close)

            async def log_in() -> None:
                await bot.login(settings.discord_token or "")
                if identify is not None and isinstance(bot, ShardedShopwireBot):
                    stack.push_async_callback(identify.close)
                    limits = await bot.fetch_session_start_limits()
                    identify.allow(limits.max_concurrency)
                    log.info(
                        "shards=%s of %d max_concurrency=%d session_starts_remaining=%d",
                        settings.served_shards.ids,
                        settings.served_shards.count,
                        limits.max_concurrency,
                        limits.remaining,
                    )
                await sync_if_changed(bot, newsroom.storage.meta, settings)

            # A Discord that does not answer must not keep SIGTERM waiting (aiohttp's own
            # timeout is five minutes): a stop while logging in ends the process at once.
            if not await _unless_stopped(stop, log_in()):
                log.info("shopwire stopped before connecting")
                return
            gateway = asyncio.create_task(bot.connect(reconnect=True), name="gateway")
            stages = _start_stages(newsroom, bot, sender, digests, publisher, stop, coordination)
            if holder is not None:
                shards = settings.served_shards if settings.shard_count is not None else None
                watch = _watch_shards(holder, shards, stop)
                stages.append(asyncio.create_task(watch, name="shards-watch"))
            if metrics_server is not None:
                metrics_server.watch([gateway, *stages])
            stopping: asyncio.Task[Any] = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait(
                {gateway, stopping, *stages}, return_when=asyncio.FIRST_COMPLETED
            )
            stop.set()
            log.info("shopwire stopping")
            _, late = await asyncio.wait(stages, timeout=SHUTDOWN_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*stages, return_exceptions=True)
            await bot.close()
            gateway.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gateway
            # The gateway or a stage ended on its own: that is an error worth exiting with.
            for task in done - {stopping}:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error
    log.info("shopwire stopped")


async def _hold_shards(coordination: Coordination, settings: Settings) -> None:
    """Make this process's shards (every server, unsharded) its own before it connects:
    ShardsInUse, ShardCountMismatch or UnshardedGatewayConflict when another live process
    serves one of them (two sessions on one shard would both post for its guilds)."""
    try:
        if settings.shard_count is None:
            await coordination.hold_unsharded()
            return
        busy = await coordination.hold_shards(settings.served_shards)
    except BaseException:
        await coordination.close()
        raise
    if busy:
        await coordination.close()
        raise ShardsInUse(busy, settings.served_shards.count)


async def _watch_shards(
    coordination: Coordination, shards: Shards | None, stop: asyncio.Event
) -> None:
    """End with ShardsLost when the hold on this gateway's shards (None: every server,
    unsharded) ends before ``stop``.

    Stopping, not taking the locks again: in the gap another gateway may have taken the
    shards and be posting for their guilds; a gateway that stops leaves them to it, and one
    started again goes through the whole check (count, busy shards, a dead holder's claims)."""
    lost: str | None = None

    async def watch() -> None:
        nonlocal lost
        lost = await coordination.shards_lost()

    await _unless_stopped(stop, watch())
    if lost is not None:
        if shards is None:
            log.error("lost the hold on every server (unsharded): %s; stopping", lost)
        else:
            listed = ",".join(str(shard) for shard in shards.ids)
            log.error("lost the hold on shards %s of %d: %s; stopping", listed, shards.count, lost)
        raise ShardsLost(shards, lost)


def _new_bot(
    services: BotServices,
    settings: Settings,
    identify: IdentifyQueue | None,
    trace: aiohttp.TraceConfig,
) -> ShopwireBot:
    """Today's single client, or discord.py's sharded one on the shards the settings name."""
    if identify is None or settings.shard_count is None:
        return ShopwireBot(services, http_trace=trace)
    return ShardedShopwireBot(
        services,
        shard_ids=list(settings.served_shards.ids),
        shard_count=settings.shard_count,
        identify=identify,
        http_trace=trace,
    )


def _latencies(bot: ShopwireBot) -> list[tuple[int, float]]:
    """Each shard's gateway latency (shard 0 alone for an unsharded client)."""
    if isinstance(bot, ShardedShopwireBot):
        return list(bot.latencies)
    return [(bot.shard_id or 0, bot.latency)]


@contextlib.asynccontextmanager
async def _serving_metrics(
    newsroom: Newsroom, recorder: PrometheusMetrics | None, bot: ShopwireBot
) -> AsyncIterator[MetricsServer | None]:
    """/metrics and /healthz on the metrics port while the bot runs (nothing when off)."""
    if recorder is None:
        yield None
        return
    settings = newsroom.settings
    server = MetricsServer(
        recorder,
        newsroom.storage.backlog,
        newsroom.clock,
        stories_window=timedelta(hours=settings.story_window_hours),
        latencies=lambda: _latencies(bot),
        shards=settings.served_shards,
    )
    await server.start(settings.metrics_host, settings.metrics_port)
    try:
        yield server
    finally:
        await server.stop()


async def _unless_stopped(stop: asyncio.Event, work: Coroutine[Any, Any, None]) -> bool:
    """Run ``work`` unless ``stop`` is set first, which cancels it; whether it ran to its end."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    task.result()  # its error, if it failed
    return True


def _start_stages(
    newsroom: Newsroom,
    bot: ShopwireBot,
    sender: DeliverySender,
    digests: DigestScheduler,
    publisher: Publisher,
    stop: asyncio.Event,
    coordination: Coordination | None = None,
) -> list[asyncio.Task[None]]:
    """Start the poller, delivery, story assignment and digests as tasks that run side by side.

    Nothing waits for stories or for a slow feed: the poller wakes delivery (and story
    assignment) the moment a feed's result is stored; each stage also runs on its own tick.
    """
    tick = min(TICK, float(newsroom.settings.poll_interval))

    notice_crashes = CrashLog(log)

    async def deliver() -> None:
        # Owed since the poll that disabled the feed, whichever process polled it.
        try:
            await announce_disabled(newsroom, publisher)
        except Exception as exc:  # a notice that keeps failing must not hold back the posts
            notice_crashes.crashed(exc, "disabled-feed notices failed")
        await sender.drain()

    delivery = Stage("delivery", deliver, tick=tick)
    assign: Callable[[], Awaitable[object]] = newsroom.assigner.run
    plan_and_post: Callable[[], Awaitable[object]] = digests.run
    if coordination is not None:  # a gateway among several processes
        coordination.on_posts(delivery.wake)  # the pollers' announcements
        assign = led(coordination, assign)
        # Each gateway plans and posts its own shards' digests; all of them, only the leader.
        if newsroom.settings.served_shards.everything:
            plan_and_post = led(coordination, plan_and_post)
    # Assignment works through a backlog in bounded runs: go again at once while it finds work.
    stories = Stage("stories", assign, tick=tick, again=lambda n: isinstance(n, int) and n > 0)
    digest_stage = Stage("digests", plan_and_post, tick=tick)

    def stored(report: UpdateReport) -> None:
        if report.status is UpdateStatus.DISABLED:  # a notice is owed
            delivery.wake()
        if report.new_items:  # only new items have planned posts
            delivery.wake()
        if report.new_items or report.updated_items:
            stories.wake()

    poller = FeedPoller(
        newsroom.updater, newsroom.clock, on_stored=stored, leasing=feed_leasing(newsroom)
    )
    polling = (
        []
        if coordination is not None
        else [with_parser_starting(newsroom, lambda: poller.run(stop))]
    )  # pollers poll
    return [
        *(asyncio.create_task(run, name="poller") for run in polling),
        asyncio.create_task(stories.run(stop), name="stories"),
        # Delivery and digests need the gateway's cache of channels and permissions.
        asyncio.create_task(_when_ready(bot, stop, delivery.run), name="delivery"),
        asyncio.create_task(_when_ready(bot, stop, digest_stage.run), name="digests"),
    ]


def feed_leasing(newsroom: Newsroom) -> FeedLeasing | None:
    """How ``--role all`` claims the feeds it polls: with leases, as pollers do, on a database
    other processes may share (pollers beside it never poll a feed it polls); None on a SQLite
    file, which is this process's alone."""
    if not newsroom.shared:
        return None
    return FeedLeasing(lease_owner(), timedelta(seconds=newsroom.settings.feed_lease_seconds))


async def _when_ready(
    bot: ShopwireBot,
    stop: asyncio.Event,
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
) -> None:
    """Run a stage once the gateway's cache is filled (unless the bot stops first)."""
    waits = [asyncio.create_task(bot.wait_until_ready()), asyncio.create_task(stop.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiting in waits:
        waiting.cancel()
    await asyncio.gather(*waits, return_exceptions=True)
    if not stop.is_set():
        await run(stop)


async def announce_disabled(newsroom: Newsroom, publisher: Publisher) -> None:
    """Tell each server on this process's shards once, in one subscribed channel, that polling
    disabled one of its feeds. A post that may succeed later stays owed; its fixed nonce makes
    a repeat after a crash Discord's first message."""
    for notice in await newsroom.notices.owed(newsroom.settings.served_shards):
        feed = notice.feed
        # The name may be the feed's own title and the error quote its server: feed text,
        # made mention-proof as every post's is (allowed_mentions is the second guard).
        text = (
            f"The feed **{clean_markdown(feed.name, 200)}** was disabled: "
            f"{clean_markdown(feed.last_error or 'it kept failing', 300)}. "
            "See `/feeds status`; an admin can remove it or add a working URL."
        )
        nonce = hashlib.sha256(f"disabled:{feed.id}:{feed.last_polled}".encode()).hexdigest()[:25]
        result = await publisher.post_notice(notice.channel_id, text, nonce)
        log.info(
            "feed disabled notice feed_id=%s guild_id=%s outcome=%s",
            feed.id,
            feed.guild_id,
            result.outcome.value,
        )
        if result.outcome is not PostOutcome.RETRY:
            await newsroom.notices.given(feed.id)

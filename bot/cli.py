"""The ``shopwire`` command: the operator's CLI and the bot's entry point.

User mistakes print one line on stderr and exit 1 (2 for bad settings or usage); never a
traceback. Query commands take ``--json`` and then print exactly one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.cli_help import add_help_pages
from bot.news.model.errors import (
    ConfigError,
    FeedCheckFailed,
    ShopwireError,
    StorageError,
    UserError,
    database_error_line,
)
from bot.news.model.vocabulary import (
    Feed,
    Item,
    ItemHit,
    StoryRecord,
    UpdateReport,
    UpdateStatus,
)
from bot.settings import Settings, load_settings, unknown_variables

# Only what every command needs is imported here: `latest` and `search` should answer at once.
# bot.app (the database and services) is imported when a command runs; asyncio only by commands
# that need an event loop (`latest` and `search` on an up-to-date SQLite file do not); Discord,
# aiohttp, feedparser and matplotlib only by the commands that use them
# (see tests/cli/test_cli_imports.py).
if TYPE_CHECKING:
    from bot.app import Newsroom, Reader
    from bot.news.rules.summary_ranking import NewsSummary

log = logging.getLogger("shopwire")

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_CONFIG_ERROR = 2


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shopwire")
    except PackageNotFoundError:
        return "0+unknown"


class _VersionAction(argparse.Action):
    """``--version``: reads the installed version only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"shopwire {_version()}")  # on stdout, as argparse's own version action does
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: global options work before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help=(
            "the database: a file path, sqlite:///path, sqlite:////absolute/path or"
            " postgresql://user:password@host:port/database (env SHOPWIRE_DB;"
            " default shopwire.db)"
        ),
    )
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="TOML settings file (env SHOPWIRE_CONFIG)",
    )
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON document")

    parser = argparse.ArgumentParser(
        prog="shopwire",
        description="Shopwire: an e-commerce newsroom for Discord, and its operator CLI.",
        parents=[common],
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", parents=[common], help="run the Discord bot (needs DISCORD_TOKEN)"
    )
    run.add_argument(
        "--role",
        default=argparse.SUPPRESS,
        help=(
            "all (default: one process does everything), poller (fetch, parse, store; no"
            " Discord) or gateway (Discord, commands, delivery, digests); poller and gateway"
            " need PostgreSQL (env SHOPWIRE_ROLE)"
        ),
    )
    run.add_argument(
        "--shards",
        default=argparse.SUPPRESS,
        help="the Discord shards this process serves: 0-7 or 0,2,5 (env SHOPWIRE_SHARDS)",
    )
    run.add_argument(
        "--shard-count",
        default=argparse.SUPPRESS,
        help="how many shards the bot has in all (env SHOPWIRE_SHARD_COUNT)",
    )
    sync = commands.add_parser(
        "sync-commands",
        parents=[common],
        help="register the slash commands with Discord now (needs DISCORD_TOKEN)",
    )
    sync.add_argument(
        "--guild", type=int, help="sync to this server only (instant), instead of globally"
    )
    commands.add_parser(
        "migrate", parents=[common], help="create or update the database's tables, then exit"
    )
    poll = commands.add_parser(
        "poll", parents=[common, as_json], help="poll every due feed once and report"
    )
    poll.add_argument("--all", action="store_true", help="poll every enabled feed, due or not")

    latest = commands.add_parser("latest", parents=[common, as_json], help="the newest items")
    latest.add_argument("--company", help="only items about this company (e.g. Temu)")
    latest.add_argument("--feed", help="only items of this feed (id, URL or name)")
    latest.add_argument("--topic", help="only items of this topic (fees, policy, ...)")
    latest.add_argument("--limit", type=int, default=10, help="how many items (1-100)")
    latest.add_argument(
        "--all",
        action="store_true",
        help="list every item: do not collapse a story's items into one line",
    )

    search = commands.add_parser(
        "search", parents=[common, as_json], help="full-text search of stored items"
    )
    search.add_argument("query", help='words, "a phrase", -exclude, a OR b')
    search.add_argument("--company", help="only items about this company")
    search.add_argument("--feed", help="only items of this feed (id, URL or name)")
    search.add_argument("--topic", help="only items of this topic (fees, policy, ...)")
    search.add_argument("--since", help="only items newer than this: 24h, 7d, 2w or 2026-11-01")
    search.add_argument("--until", help="only items older than this (same forms as --since)")
    search.add_argument("--limit", type=int, default=10, help="how many items (1-100)")
    search.add_argument(
        "--all",
        action="store_true",
        help="list every item: do not collapse a story's items into one line",
    )

    summary = commands.add_parser(
        "summary", parents=[common, as_json], help="the top stories of a period, in one screen"
    )
    summary.add_argument("--company", help="only stories about this company")
    summary.add_argument("--topic", help="only stories of this topic (fees, policy, ...)")
    summary.add_argument("--period", default="7d", choices=("24h", "7d", "30d"))

    trend = commands.add_parser(
        "trend", parents=[common], help="a PNG chart of daily stories per company"
    )
    trend.add_argument("--out", required=True, help="where to write the PNG")
    trend.add_argument("--period", default="30d", choices=("24h", "7d", "30d"))
    trend.add_argument(
        "--companies", help="comma-separated companies (default: the most active ones)"
    )

    feeds = commands.add_parser("feeds", parents=[common], help="manage the feed catalogue")
    feed_commands = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    add = feed_commands.add_parser("add", parents=[common, as_json], help="add a feed")
    add.add_argument("url", help="the RSS or Atom feed's http(s) address")
    add.add_argument("--name", help="display name (default: the feed's title, else its host)")
    add.add_argument(
        "--company",
        action="append",
        default=[],
        help="tag every item of this feed with a company (repeatable)",
    )
    add.add_argument(
        "--no-check",
        action="store_true",
        help="add it without fetching it first (a feed that is down for now)",
    )
    feed_commands.add_parser("list", parents=[common, as_json], help="every feed with its health")
    for action, text in (
        ("remove", "remove a feed and its items"),
        ("enable", "enable a feed (and poll it at the next run)"),
        ("disable", "stop polling a feed"),
    ):
        sub = feed_commands.add_parser(action, parents=[common], help=text)
        sub.add_argument("feed", help="the feed's id, URL or exact name")
    imp = feed_commands.add_parser(
        "import-opml", parents=[common, as_json], help="add every feed of an OPML file"
    )
    imp.add_argument("file", help="OPML file ('-' for standard input)")
    exp = feed_commands.add_parser(
        "export-opml", parents=[common], help="print the catalogue as OPML"
    )
    exp.add_argument("--out", help="write to this file instead of standard output")
    database = commands.add_parser("db", help="move the database to another backend")
    db_commands = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = db_commands.add_parser(
        "copy", help="copy a SQLite database whole into an empty PostgreSQL database"
    )
    copy.add_argument(
        "--from", dest="source", required=True, help="the SQLite database: a path or sqlite:///path"
    )
    copy.add_argument(
        "--to", dest="target", required=True, help="an empty database: postgresql://user@host/db"
    )
    add_help_pages(
        {
            **{(name,): sub for name, sub in commands.choices.items()},
            **{("feeds", name): sub for name, sub in feed_commands.choices.items()},
            **{("db", name): sub for name, sub in db_commands.choices.items()},
        }
    )
    return parser


@dataclass(frozen=True, slots=True)
class Console:
    """Where a command writes; tests pass their own streams."""

    out: TextIO
    err: TextIO


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``shopwire`` console script."""
    _no_imports_from_the_working_directory()
    try:
        code = run_cli(argv, Console(sys.stdout, sys.stderr))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`shopwire latest | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.errno not in _FULL_OUTPUT_ERRNOS:
            raise
        # Output redirected to a full disk (`> /dev/full`, a quota): one line, not a traceback.
        # Whatever stdout still buffers would fail again at exit: it goes nowhere instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"error: could not write the output: {exc.strerror}", file=sys.stderr)
        return 1
    return code


# Errors of a write that found no room: a full disk, a quota, a file size limit, a dead device.
_FULL_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _no_imports_from_the_working_directory() -> None:
    """Keep the Python processes this one starts from importing the working directory's files.

    Multiprocessing's fork server (so every parse worker) and the story worker are ``python -c``
    processes, which put the working directory first on their module path: an ``inspect.py`` or
    ``email.py`` where ``shopwire`` runs was imported in place of the real module, so every parse
    failed, with tracebacks, and that file's code ran. PYTHONSAFEPATH (3.11) leaves it off; they
    import this package as this process does (it is installed).
    """
    os.environ["PYTHONSAFEPATH"] = "1"


def run_cli(argv: Sequence[str] | None, console: Console) -> int:
    """Parse arguments, load settings and run one command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(
            config_file=getattr(args, "config", None),
            overrides={
                "db": getattr(args, "db", None),
                "role": getattr(args, "role", None),
                "shards": getattr(args, "shards", None),
                "shard_count": getattr(args, "shard_count", None),
            },
        )
    except ConfigError as exc:
        print("error: invalid settings:", file=console.err)
        for problem in exc.problems:
            print(f"  - {problem}", file=console.err)
        return EXIT_CONFIG_ERROR
    for line in unknown_variables():
        print(f"warning: {line}", file=console.err)

    _configure_logging(settings, args.command in ("run", "sync-commands"), console.err)
    if args.command == "run":
        from bot.runner import run_bot

        return run_bot(settings, console.err)
    if args.command == "sync-commands":
        from bot.runner import sync_commands

        try:
            return sync_commands(settings, console.err, args.guild)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (bot.signals)
            print("interrupted", file=console.err)
            return 130

    try:
        return _run_command(settings, args, console)
    except UserError as exc:
        print(f"error: {exc}", file=console.err)
        return EXIT_USER_ERROR
    except StorageError as exc:
        print(database_error_line(settings.db_shown, exc), file=console.err)
        return EXIT_USER_ERROR
    except ShopwireError as exc:
        print(f"error: {exc}", file=console.err)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=console.err)
        return 130


def _run_command(settings: Settings, args: argparse.Namespace, console: Console) -> int:
    if args.command in _READERS:
        done = _read_now(settings, args, console, _READERS[args.command])
        if done is not None:
            return done
    from bot import signals  # asyncio: only for the commands that need an event loop

    command: Coroutine[Any, Any, int]
    if args.command == "migrate":
        command = _migrate(settings, console)
    elif args.command == "db":
        command = _db_copy(args, console)
    elif args.command in _READERS:
        command = _with_reader(settings, args, console, _READERS[args.command])
    else:
        handler = _HANDLERS[(args.command, getattr(args, "feeds_command", None))]
        command = _with_newsroom(settings, args, console, handler)
    # SIGTERM cancels the command like Ctrl-C: what finished is stored, workers stopped.
    return signals.run(command)


def _read_now(
    settings: Settings, args: argparse.Namespace, console: Console, handler: ReaderHandler
) -> int | None:
    """Run a read-only command without an event loop when the database allows it (an
    up-to-date SQLite file: ``bot.app.open_reader_now``); None when it does not."""
    from bot.app import open_reader_now
    from bot.loopless import run_now

    reader = open_reader_now(settings)
    if reader is None:
        return None
    with _sigterm_as_ctrl_c():
        try:
            return run_now(handler(reader, args, console))
        finally:
            run_now(reader.storage.close())


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    # What bot.signals does for the commands on an event loop: exit 130 with "interrupted".
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (a test calling run_cli): nothing to catch
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _configure_logging(settings: Settings, is_bot: bool, stream: TextIO) -> None:
    # The CLI's own output is the report; its logs stay quiet unless asked for.
    level = settings.log_level if is_bot or settings.log_level == "DEBUG" else "WARNING"
    # discord.py is chatty at INFO (every gateway event); its warnings and errors still show.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.WARNING))
    logging.basicConfig(
        level=level,
        stream=stream,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )


Handler = Callable[["Newsroom", argparse.Namespace, Console], Coroutine[Any, Any, int]]
ReaderHandler = Callable[["Reader", argparse.Namespace, Console], Coroutine[Any, Any, int]]


async def _with_newsroom(
    settings: Settings, args: argparse.Namespace, console: Console, handler: Handler
) -> int:
    from bot.app import open_newsroom

    # A poll of feeds never polled before parses every document: its parser pool starts at
    # once, beside the opening and the fetches, not at the first parse (about a second of a
    # cold poll). A poll of known feeds starts it at the first parse, if one is needed.
    async with open_newsroom(
        settings, read_only=handler in _READ_ONLY, parser_ahead=handler is _cmd_poll
    ) as newsroom:
        return await handler(newsroom, args, console)


async def _with_reader(
    settings: Settings, args: argparse.Namespace, console: Console, handler: ReaderHandler
) -> int:
    # Reading items needs the database and nothing else: no services that poll or deliver.
    from bot.app import open_reader

    async with open_reader(settings) as reader:
        return await handler(reader, args, console)


# Commands --------------------------------------------------------------------------------


async def _migrate(settings: Settings, console: Console) -> int:
    # The schema only: no newsroom (no catalogue seeding, no company names), so a deployment's
    # migrate job leaves the data to the processes it starts.
    from bot.app import migrate_database

    done = await migrate_database(settings)
    where = f"{done.backend} database {settings.db_shown}"
    if done.found == done.reached and done.by_other:
        said = f"schema version {done.reached}, migrated by another process while this one waited"
    elif done.found == done.reached:
        said = f"schema version {done.reached}, up to date"
    elif done.found == 0:
        said = f"created at schema version {done.reached}"
    else:
        said = f"migrated from schema version {done.found} to {done.reached}"
    print(f"{where}: {said}.", file=console.out)
    return EXIT_OK


async def _db_copy(args: argparse.Namespace, console: Console) -> int:
    # Neither database is the db setting's, so a failure names neither by it.
    from bot.app import copy_database

    try:
        report = await copy_database(args.source, args.target)
    except StorageError as exc:
        print(f"error: {exc}", file=console.err)
        return EXIT_USER_ERROR
    for table, rows in report.counts:
        print(f"{table}: {rows} rows", file=console.out)
    print(
        "copied; point the db setting at the new database before starting the bot.",
        file=console.out,
    )
    return EXIT_OK


async def _cmd_poll(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    progress = _Progress(console.err) if console.err.isatty() and not args.json else None
    started = time.perf_counter()
    if progress is not None:
        progress.start(
            len(await room.service.list_feeds(all_guilds=True))
            if args.all
            else len(await room.service.due_feeds())
        )
    reports: list[UpdateReport] = await room.service.poll(
        include_not_due=args.all, progress=progress.step if progress else None
    )
    if progress is not None:
        progress.finish()
    elapsed = time.perf_counter() - started
    if args.json:
        _print_json(console, [_report_json(r) for r in reports])
        return EXIT_OK
    if not reports:
        await _print_nothing_polled(room, console.out)
        return EXIT_OK
    _print_poll_summary(console.out, reports, elapsed)
    return EXIT_OK


async def _print_nothing_polled(room: Newsroom, out: TextIO) -> None:
    """Why a poll polled nothing, and what to do: "Polled 0 feeds" alone says neither."""
    feeds: list[Feed] = await room.service.list_feeds(all_guilds=True)
    enabled = [f for f in feeds if f.enabled]
    if not feeds:
        print("No feeds to poll. Add one with `shopwire feeds add URL`.", file=out)
        return
    if not enabled:
        print(
            f"No feed polled: all {len(feeds)} are disabled "
            "(`shopwire feeds enable FEED` turns one back on).",
            file=out,
        )
        return
    now = room.clock.now()
    # Enabled feeds without a time are due now and would have been polled; none are left here.
    soonest = min(enabled, key=lambda f: f.next_due or now)
    when = soonest.next_due or now
    print(
        f"No feed is due: the next is {soonest.name}, at {_when(when)} ({_from_now(when, now)}).",
        file=out,
    )
    print("`shopwire poll --all` polls every enabled feed now.", file=out)


async def _cmd_latest(room: Reader, args: argparse.Namespace, console: Console) -> int:
    page = await room.items.latest(
        company=args.company,
        feed=args.feed,
        limit=args.limit,
        all_guilds=True,
        topic=args.topic,
        collapse=not args.all,
    )
    if page.hits or args.json:
        return _print_items(console, page.hits, args.json, empty="")
    _, stored = await room.items.feed_counts()
    if not stored:
        print("No items stored yet. `shopwire poll` fetches the feeds.", file=console.out)
        return EXIT_OK
    # Items are stored, none of them match: say which filter left nothing.
    wanted = []
    if args.company:
        wanted.append(f"about {room.items.resolve_company(args.company).name}")
    if args.topic:
        wanted.append(f"in the {room.items.resolve_topic(args.topic).name} topic")
    if args.feed:
        wanted.append(f"from {(await room.items.find_feed(args.feed, all_guilds=True)).name}")
    what = f"is {' and '.join(wanted)}" if wanted else "can be shown"
    print(f"None of the {stored} stored item{'s' if stored != 1 else ''} {what}.", file=console.out)
    return EXIT_OK


async def _cmd_search(room: Reader, args: argparse.Namespace, console: Console) -> int:
    page = await room.items.search(
        args.query,
        company=args.company,
        feed=args.feed,
        since=args.since,
        until=args.until,
        limit=args.limit,
        all_guilds=True,
        topic=args.topic,
        collapse=not args.all,
    )
    return _print_items(console, page.hits, args.json, empty="No items match.")


async def _cmd_feeds_add(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    try:
        added = await room.service.add_and_check_feed(
            args.url, name=args.name, companies=args.company, check=not args.no_check
        )
    except FeedCheckFailed as exc:
        raise UserError(f"{exc} (--no-check adds it without fetching)") from None
    feed, preview = added.feed, added.preview
    if args.json:
        checked = None
        if preview is not None:
            checked = {
                "title": preview.title,
                "items": preview.item_count,
                "warning": preview.warning,
            }
        _print_json(console, {**_feed_json(feed), "check": checked})
        return EXIT_OK
    print(f"Added feed {feed.id}: {feed.name} <{feed.url}>", file=console.out)
    if preview is not None:
        count = f"{preview.item_count} item{'s' if preview.item_count != 1 else ''}"
        what = f"“{_clip(preview.title, 80)}”" if preview.title else "The feed (no title)"
        print(f"Checked: {what} has {count} now.", file=console.out)
        if preview.warning:
            print(f"warning: {preview.warning}", file=console.out)
    print("It is polled at the next `shopwire poll` (or by the running bot).", file=console.out)
    return EXIT_OK


async def _cmd_feeds_list(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    feeds: list[Feed] = await room.service.list_feeds(all_guilds=True)
    if args.json:
        _print_json(console, [_feed_json(f) for f in feeds])
        return EXIT_OK
    if not feeds:
        print("No feeds. Add one with `shopwire feeds add URL`.", file=console.out)
        return EXIT_OK
    now = room.clock.now()
    rows = [
        (
            str(f.id),
            _clip(f.name, 36),
            f.status.value if f.enabled else "disabled",
            _when(f.last_success),
            str(f.item_count),
            _next_poll(f, now),
            _clip(f.disabled_reason or f.last_error or "", 60),
        )
        for f in feeds
    ]
    _print_table(
        console.out,
        ("ID", "NAME", "STATUS", "LAST SUCCESS", "ITEMS", "NEXT DUE", "LAST ERROR"),
        rows,
    )
    return EXIT_OK


async def _cmd_feeds_remove(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    feed: Feed = await room.service.remove_feed(args.feed, all_guilds=True)
    items = f"{feed.item_count} item{'s' if feed.item_count != 1 else ''}"
    print(f"Removed feed {feed.id}: {feed.name} and its {items}.", file=console.out)
    return EXIT_OK


async def _cmd_feeds_enable(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    feed: Feed = await room.service.set_feed_enabled(args.feed, True, all_guilds=True)
    print(f"Enabled feed {feed.id}: {feed.name}", file=console.out)
    return EXIT_OK


async def _cmd_feeds_disable(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    feed: Feed = await room.service.set_feed_enabled(args.feed, False, all_guilds=True)
    print(f"Disabled feed {feed.id}: {feed.name}", file=console.out)
    return EXIT_OK


def _read_at_most(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit)


async def _cmd_feeds_import(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    from bot.news.rules.opml import MAX_OPML_BYTES

    # One byte past the limit is enough for import_opml to refuse it: `import-opml /dev/zero`
    # read until memory ran out.
    if args.file == "-":
        document = sys.stdin.buffer.read(MAX_OPML_BYTES + 1)
    else:
        try:
            import asyncio

            document = await asyncio.to_thread(_read_at_most, Path(args.file), MAX_OPML_BYTES + 1)
        except OSError as exc:
            raise UserError(f"can't read {args.file}: {exc.strerror or exc}") from None
    report = await room.service.import_opml(document)
    if args.json:
        _print_json(
            console,
            {
                "added": [_feed_json(f) for f in report.added],
                "skipped": [{"url": u, "reason": r} for u, r in report.skipped],
            },
        )
        return EXIT_OK
    print(f"Imported {len(report.added)} feeds, skipped {len(report.skipped)}.", file=console.out)
    for url, reason in report.skipped:
        print(f"  skipped {url}: {reason}", file=console.out)
    return EXIT_OK


async def _cmd_feeds_export(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    document: str = await room.service.export_opml()
    if args.out:
        try:
            import asyncio

            await asyncio.to_thread(Path(args.out).write_text, document, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"can't write {args.out}: {exc.strerror or exc}") from None
    else:
        console.out.write(document)
    return EXIT_OK


def _also_text(also: Sequence[StoryRecord]) -> str:
    """The other stories of an entry's event (a summary's fold), in one line:
    "also reported as: <headline> (N sources)", and how many more."""
    first = also[0]
    count = len(first.sources)
    text = f"also reported as: {first.headline} ({count} source{'s' if count != 1 else ''})"
    return text + (f" and {len(also) - 1} more" if len(also) > 1 else "")


async def _cmd_summary(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    summary = await room.summaries.summary(
        period=args.period, company=args.company, topic=args.topic
    )
    if args.json:
        _print_json(console, summary_json(summary))
        return EXIT_OK
    about = f" about {summary.company.name}" if summary.company else ""
    out = console.out
    print(
        f"E-commerce news{about}, last {summary.period} "
        f"({_when(summary.since)} – {_when(summary.until)})",
        file=out,
    )
    if summary.empty:
        print("No stories in this period.", file=out)
        return EXIT_OK
    for n, ranked in enumerate(summary.stories, 1):
        story = ranked.story
        count = len(story.sources)
        print(f"{n}. {story.headline}  ({count} source{'s' if count != 1 else ''})", file=out)
        if story.summary_line:
            print(f"   {story.summary_line}", file=out)
        for link in story.links[:1]:
            print(f"   {link}", file=out)
        if ranked.also:
            print(f"   {_also_text(ranked.also)}", file=out)
    if summary.company_counts:
        counts = " · ".join(f"{c.name} {n}" for c, n in summary.company_counts[:8])
        print(f"Stories per company: {counts}", file=out)
    if summary.rising_terms:
        print(f"Rising: {', '.join(summary.rising_terms)}", file=out)
    return EXIT_OK


async def _cmd_trend(room: Newsroom, args: argparse.Namespace, console: Console) -> int:
    from bot.charts import TrendChart, TrendSeries, has_data, render_trend_png, trend_text

    data = await room.summaries.trend(period=args.period, companies=args.companies)
    chart = TrendChart(
        title=data.title,
        days=data.days,
        series=tuple(TrendSeries(label, counts) for label, counts in data.series),
    )
    if not has_data(chart):
        print(trend_text(chart), file=console.out)
        return EXIT_OK
    import asyncio

    png = await asyncio.to_thread(render_trend_png, chart)
    try:
        await asyncio.to_thread(Path(args.out).write_bytes, png)
    except OSError as exc:
        raise UserError(f"can't write {args.out}: {exc.strerror or exc}") from None
    print(trend_text(chart), file=console.out)
    print(f"Wrote {args.out} ({len(png) // 1024} KB).", file=console.out)
    return EXIT_OK


_HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("poll", None): _cmd_poll,
    ("summary", None): _cmd_summary,
    ("trend", None): _cmd_trend,
    ("feeds", "add"): _cmd_feeds_add,
    ("feeds", "list"): _cmd_feeds_list,
    ("feeds", "remove"): _cmd_feeds_remove,
    ("feeds", "enable"): _cmd_feeds_enable,
    ("feeds", "disable"): _cmd_feeds_disable,
    ("feeds", "import-opml"): _cmd_feeds_import,
    ("feeds", "export-opml"): _cmd_feeds_export,
}

# Commands that only read items: they open the database alone (bot.app.open_reader).
_READERS: dict[str, ReaderHandler] = {"latest": _cmd_latest, "search": _cmd_search}

# Commands that only read: they work on a read-only database file and never write to one.
_READ_ONLY: frozenset[Handler] = frozenset(
    {_cmd_summary, _cmd_trend, _cmd_feeds_list, _cmd_feeds_export}
)


# Rendering -------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _when(moment: datetime | None) -> str:
    # Stored times are UTC; saying so keeps a reader from taking them for local time.
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _next_poll(feed: Feed, now: datetime) -> str:
    """A feed's next poll for `feeds list`: a new feed (no time yet) is due now, not "never"."""
    if not feed.enabled:
        return "-"
    if feed.next_due is None or feed.next_due <= now:
        return "due now"
    return _when(feed.next_due)


def _from_now(moment: datetime, now: datetime) -> str:
    """How far ahead ``moment`` is, roughly: "in 12 min", "in 3 h 5 min", "in 2 days"."""
    minutes = max(0, round((moment - now).total_seconds() / 60))
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"in {minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"in {hours} h {rest} min" if rest else f"in {hours} h"
    return f"in {minutes // (24 * 60)} days"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def item_json(item: Item, extra_sources: int = 0) -> dict[str, object]:
    """The JSON shape of an item for scripts (stable field names).

    ``extra_sources``: how many other sources reported the item's story (0 with ``--all``).
    """
    return {
        "id": item.id,
        "title": item.title,
        "link": item.link,
        "source": item.source,
        "published": _iso(item.published),
        "first_seen": _iso(item.first_seen),
        "companies": [c.name for c in item.companies],
        "company_ids": [c.id for c in item.companies],
        "summary": item.summary,
        "author": item.author,
        "categories": list(item.categories),
        "image_url": item.image_url,
        "feed_id": item.feed_id,
        "story_id": item.story_id,
        "extra_sources": extra_sources,
    }


def summary_json(summary: NewsSummary) -> dict[str, object]:
    """The JSON shape of a summary for scripts."""
    return {
        "period": summary.period,
        "since": _iso(summary.since),
        "until": _iso(summary.until),
        "company": summary.company.name if summary.company else None,
        "topic": summary.topic,
        "stories": [
            {
                "id": r.story.id,
                "headline": r.story.headline,
                "summary": r.story.summary_line,
                "sources": list(r.story.sources),
                "source_count": len(r.story.sources),
                "items": r.story.item_count,
                "first_seen": _iso(r.story.first_seen),
                "last_seen": _iso(r.story.last_seen),
                "companies": [c.name for c in r.story.companies],
                "topics": list(r.story.topics),
                "links": list(r.story.links),
                "score": round(r.score, 4),
                # Other stories of the same event, shown as this one entry (its sources and
                # items above count theirs).
                "also": [
                    {"id": s.id, "headline": s.headline, "source_count": len(s.sources)}
                    for s in r.also
                ],
            }
            for r in summary.stories
        ],
        "company_counts": [{"company": c.name, "stories": n} for c, n in summary.company_counts],
        "rising_terms": list(summary.rising_terms),
    }


def _feed_json(feed: Feed) -> dict[str, object]:
    return {
        "id": feed.id,
        "name": feed.name,
        "url": feed.url,
        "enabled": feed.enabled,
        "status": feed.status.value,
        "last_success": _iso(feed.last_success),
        "last_polled": _iso(feed.last_polled),
        "last_error": feed.last_error,
        "error_count": feed.error_count,
        "next_due": _iso(feed.next_due),
        "disabled_reason": feed.disabled_reason,
        "item_count": feed.item_count,
        "guild_id": feed.guild_id,
        "companies": list(feed.companies),
    }


def _report_json(report: UpdateReport) -> dict[str, object]:
    return {
        "feed_id": report.feed_id,
        "feed": report.feed_name,
        "url": report.url,
        "status": report.status.value,
        "new_items": report.new_items,
        "updated_items": report.updated_items,
        "error": report.error,
        "warning": report.warning,
    }


def _print_json(console: Console, document: object) -> None:
    json.dump(document, console.out, ensure_ascii=False, indent=2)
    console.out.write("\n")


def _print_items(console: Console, hits: Sequence[ItemHit], as_json: bool, *, empty: str) -> int:
    if as_json:
        _print_json(console, [item_json(h.item, h.extra_sources) for h in hits])
        return EXIT_OK
    if not hits:
        print(empty, file=console.out)
        return EXIT_OK
    for hit in hits:
        item = hit.item
        details = [item.source]
        if item.companies:
            details.append(", ".join(c.name for c in item.companies))
        if hit.extra_sources:
            details.append(
                f"+{hit.extra_sources} more source{'s' if hit.extra_sources != 1 else ''}"
            )
        print(f"{_when(item.published)}  {item.title}", file=console.out)
        print(f"{'':20}  {' · '.join(details)}", file=console.out)  # under the title
        if item.link:
            print(f"{'':20}  {item.link}", file=console.out)
    return EXIT_OK


def _print_table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for row in (header, *rows):
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out
        )


def _print_poll_summary(out: TextIO, reports: Sequence[UpdateReport], elapsed: float) -> None:
    by_status = {s: [r for r in reports if r.status is s] for s in UpdateStatus}
    new_items = sum(r.new_items for r in reports)
    print(
        f"Polled {len(reports)} feeds in {elapsed:.1f} s: "
        f"{len(by_status[UpdateStatus.OK])} ok ({new_items} new items), "
        f"{len(by_status[UpdateStatus.NOT_MODIFIED])} not modified, "
        f"{len(by_status[UpdateStatus.ERROR])} errors, "
        f"{len(by_status[UpdateStatus.DISABLED])} disabled.",
        file=out,
    )
    for report in reports:
        detail = {
            UpdateStatus.OK: f"{report.new_items} new, {report.updated_items} updated",
            UpdateStatus.NOT_MODIFIED: "not modified",
        }.get(report.status, report.error or "")
        if report.warning:
            detail += f" (warning: {report.warning})"
        print(
            f"  {report.status.value:<13} {report.feed_id:>4}  {report.feed_name}: {detail}",
            file=out,
        )


class _Progress:
    """A one-line progress bar on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._total = 0
        self._done = 0

    def start(self, total: int) -> None:
        self._total = total
        self._draw()

    def step(self, report: UpdateReport) -> None:
        self._done += 1
        self._draw()

    def finish(self) -> None:
        self._stream.write("\r\033[K")
        self._stream.flush()

    def _draw(self) -> None:
        width = 30
        filled = width * self._done // self._total if self._total else width
        bar = "#" * filled + "-" * (width - filled)
        self._stream.write(f"\rpolling [{bar}] {self._done}/{self._total} feeds")
        self._stream.flush()

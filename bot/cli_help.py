"""The ``--help`` page of every ``shopwire`` subcommand: what it does in a line or two, then
examples to copy (as ``gh`` does). Kept apart from bot/cli.py so that the parser stays readable;
tests/cli/test_cli_help.py checks that every subcommand has a page."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HelpPage:
    """A subcommand's description and examples (command lines without the ``shopwire``)."""

    description: str
    examples: tuple[str, ...]


HELP_PAGES: Mapping[tuple[str, ...], HelpPage] = {
    ("run",): HelpPage(
        "Run the Discord bot: poll the feeds as they fall due, post new items to subscribed "
        "channels and answer slash commands, until Ctrl-C or SIGTERM. Needs DISCORD_TOKEN. "
        "On PostgreSQL, --role poller (no Discord, no token) or --role gateway runs one part "
        "of it; start as many of each as needed.",
        (
            "run",
            "run --config shopwire.toml --db /var/lib/shopwire/shopwire.db",
            "run --role poller --db postgresql://shopwire@db.internal/shopwire",
            "run --role gateway --db postgresql://shopwire@db.internal/shopwire",
        ),
    ),
    ("sync-commands",): HelpPage(
        "Register the slash commands with Discord now: globally (Discord may take up to an "
        "hour to show them) or in one server (at once). Needs DISCORD_TOKEN.",
        ("sync-commands", "sync-commands --guild 123456789012345678"),
    ),
    ("migrate",): HelpPage(
        "Create the database's tables, or bring them up to this version's schema, then exit "
        "and print the schema version reached. Every command does this on opening; run it on "
        "its own before starting several processes against one PostgreSQL database.",
        ("migrate", "migrate --db postgresql://shopwire:secret@db.internal:5432/shopwire"),
    ),
    ("poll",): HelpPage(
        "Poll every feed that is due once, store what is new and print a line per feed. Exits "
        "0 even when feeds failed: failures are listed and stored with the feed.",
        ("poll", "poll --all", "poll --json"),
    ),
    ("latest",): HelpPage(
        "The newest stored items, newest first. A story told by several sources is one entry "
        "(+N more sources) unless --all is given. Times are UTC.",
        ("latest --company temu", "latest --topic fees --limit 20", "latest --feed 3 --all"),
    ),
    ("search",): HelpPage(
        "Full-text search of stored items, most relevant and recent first: words, "
        '"a phrase", -exclude, a OR b, amaz* for a prefix.',
        (
            "search '\"de minimis\" tariff -india' --since 7d",
            "search 'seller fees' --company amazon --until 2026-11-01",
            "search -- '-amazon temu'",
        ),
    ),
    ("summary",): HelpPage(
        "The top stories of the last 24 hours, 7 days or 30 days in one screen: headlines, "
        "source counts, stories per company and the terms that rose most.",
        ("summary", "summary --period 24h --company shein", "summary --topic policy --json"),
    ),
    ("trend",): HelpPage(
        "Write a PNG line chart of stories per day per company, and print the totals.",
        ("trend --out trend.png", "trend --out temu.png --companies 'Temu, SHEIN' --period 7d"),
    ),
    ("feeds",): HelpPage(
        "Manage the shared feed catalogue: add, list, remove, enable, disable, and import or "
        "export OPML. `shopwire feeds ACTION --help` shows each action.",
        ("feeds list", "feeds add https://www.modernretail.co/feed/"),
    ),
    ("feeds", "add"): HelpPage(
        "Add a feed to the shared catalogue after fetching it once: prints the feed's title "
        "and item count, or why it can't be added (not found, not a feed, timed out, ...) and "
        "stores nothing.",
        (
            "feeds add https://www.modernretail.co/feed/",
            "feeds add https://blog.example.com/rss --name 'Temu blog' --company temu",
            "feeds add https://down-for-now.example.com/feed.xml --no-check",
        ),
    ),
    ("feeds", "list"): HelpPage(
        "Every feed with its health: status, last success, item count, next poll and last "
        "error. Times are UTC.",
        ("feeds list", "feeds list --json"),
    ),
    ("feeds", "remove"): HelpPage(
        "Remove a feed and the items it brought. FEED is its id, URL or exact name.",
        ("feeds remove 12", "feeds remove 'Modern Retail'"),
    ),
    ("feeds", "enable"): HelpPage(
        "Poll a feed again: clears its error count and makes it due now.",
        ("feeds enable 12", "feeds enable https://www.modernretail.co/feed/"),
    ),
    ("feeds", "disable"): HelpPage(
        "Stop polling a feed. Its items stay; `feeds enable` turns it back on.",
        ("feeds disable 12",),
    ),
    ("feeds", "import-opml"): HelpPage(
        "Add every feed of an OPML file (a feed reader's export) to the shared catalogue, "
        "without fetching them first; lists what was skipped and why.",
        ("feeds import-opml subscriptions.opml", "feeds import-opml - < subscriptions.opml"),
    ),
    ("feeds", "export-opml"): HelpPage(
        "Write the shared catalogue as OPML, for a feed reader or another Shopwire.",
        ("feeds export-opml", "feeds export-opml --out feeds.opml"),
    ),
    ("db",): HelpPage(
        "Move the database to another backend: `shopwire db copy` copies a SQLite database "
        "into PostgreSQL. `shopwire db ACTION --help` shows each action.",
        ("db copy --from shopwire.db --to postgresql://shopwire@db.internal/shopwire",),
    ),
    ("db", "copy"): HelpPage(
        "Copy a SQLite database whole into an empty PostgreSQL database, ids kept: feeds, "
        "items, stories, subscriptions, the outbox with what was already posted, digests and "
        "settings, so nothing is posted twice. Prints the rows copied per table; refuses a "
        "database that holds data. Stop the bot first, then point its db setting at the copy.",
        (
            "db copy --from shopwire.db --to postgresql://shopwire:secret@db.internal/shopwire",
            "db copy --from sqlite:////var/lib/shopwire/shopwire.db --to postgresql://localhost/sw",
        ),
    ),
}


def add_help_pages(subcommands: Mapping[tuple[str, ...], argparse.ArgumentParser]) -> None:
    """Give each subcommand parser its description and examples (those in ``HELP_PAGES``)."""
    for path, parser in subcommands.items():
        page = HELP_PAGES.get(path)
        if page is None:  # tests/cli/test_cli_help.py fails for it; the command still works
            continue
        # Raw: argparse would otherwise join the example lines into one paragraph.
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.description = textwrap.fill(page.description, 78)
        parser.epilog = "examples:\n" + "\n".join(f"  $ shopwire {e}" for e in page.examples)

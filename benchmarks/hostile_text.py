"""How long hostile markup takes to read: ``html_to_text`` and ``parse_feed`` on broken tags.

Run: ``uv run python benchmarks/hostile_text.py [--scale 1 4 16] [--repeat 3]``

The tests only check that these inputs are read at all (under a generous ceiling that a
quadratic scan would blow); the figures live here, where a busy machine cannot fail a build.
For each input and scale: characters, the median CPU time (``time.process_time``, so other
processes' load barely moves it) and microseconds per 1,000 characters, which stays flat when
the work is linear. Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.news.adapters.feed_parse import parse_feed
from bot.news.rules.plain_text import html_to_text

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)

# The inputs of tests/news/test_text.py and tests/news/test_parse.py, at scale 1.
BROKEN_MARKUP = {
    "<a": "<a" * 50_000,
    "<!": "<!" * 50_000,
    '<a x="': '<a x="' * 50_000,
    "<": "<" * 100_000,
    'x="1"': "<a " + 'x="1" ' * 50_000,
    "<script>": "<script>" * 50_000,
    "<b>&amp;": "<b>" * 50_000 + "&amp;" * 50_000,
}


def escaped_tags_feed(scale: int) -> bytes:
    evil = ("&lt;img " * 20_000 + "&lt;a" * 20_000 + "&lt;!--" * 5_000) * scale
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>t</title><guid>g</guid><description>{evil}</description></item>"
        "</channel></rss>"
    ).encode()


def cpu_seconds(call: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.process_time()
        call()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--scale", type=int, nargs="+", default=[1, 4, 16])
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()

    rows: list[dict[str, object]] = []
    for scale in args.scale:
        for name, markup in BROKEN_MARKUP.items():
            text = markup * scale
            seconds = cpu_seconds(partial(html_to_text, text), args.repeat)
            rows.append(
                {
                    "what": f"html_to_text {name}",
                    "scale": scale,
                    "chars": len(text),
                    "cpu_s": seconds,
                }
            )
        document = escaped_tags_feed(scale)
        read = partial(
            parse_feed,
            document,
            url="https://feeds.example.com/feed.xml",
            content_type=None,
            now=NOW,
        )
        seconds = cpu_seconds(read, args.repeat)
        rows.append(
            {
                "what": "parse_feed escaped tags",
                "scale": scale,
                "chars": len(document),
                "cpu_s": seconds,
            }
        )

    print(f"{'input':32} {'scale':>5} {'chars':>10} {'cpu ms':>9} {'us/1k chars':>12}")
    for row in rows:
        chars = int(str(row["chars"]))
        seconds = float(str(row["cpu_s"]))
        row["us_per_1k_chars"] = round(seconds * 1e6 / (chars / 1000), 2)
        print(
            f"{row['what']:32} {row['scale']:>5} {chars:>10} {seconds * 1000:>9.1f}"
            f" {row['us_per_1k_chars']:>12}"
        )
    print(json.dumps({"hostile_text": rows}))


if __name__ == "__main__":
    main()

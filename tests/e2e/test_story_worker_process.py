"""The real ``shopwire run`` places stories in a worker process of its own, and that worker
never outlives the bot, however the bot ends."""

from __future__ import annotations

import signal

from bot.news.adapters.parent_watch import alive
from tests.cli.test_cli_signals import descendants
from tests.e2e.test_bot_process import World, world  # noqa: F401 (the fixture)


def _story_workers(pid: int) -> list[int]:
    # The story worker's command line names its entry (the parse workers are forked from
    # the forkserver and never run it).
    return [p for p, command in descendants(pid).items() if "story_worker import serve" in command]


async def test_the_bot_places_stories_in_a_worker_that_dies_with_it(
    world: World,  # noqa: F811 (the fixture imported above)
) -> None:
    w = world
    await w.start_bot()
    await w.until(lambda: "stories assigned=" in w.bot.log())
    assert w.bot.process is not None
    bot_pid = w.bot.process.pid
    workers = await w.until(lambda: _story_workers(bot_pid))
    assert len(workers) == 1

    assert await w.bot.stop(signal.SIGKILL) != 0
    # The worker's watch looks at its owner twice a second.
    await w.until(lambda: not any(alive(p) for p in workers))

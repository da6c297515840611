"""The gateway's stages under a leader (issue 10): story assignment and digests run only in the
process that leads, and a process that does not lead asks again at its next run; `--role all`
leases the feeds it polls where pollers may run beside it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import open_newsroom
from bot.roles import lease_owner, led
from bot.runner import feed_leasing
from bot.settings import Settings
from tests.storage.conftest import BACKENDS, fresh_storage_url


class ScriptedLead:
    """A Coordination whose lead the test hands out."""

    def __init__(self, leading: bool) -> None:
        self.leading = leading
        self.asked = 0

    async def lead(self) -> bool:
        self.asked += 1
        return self.leading

    async def announce_posts(self) -> None:  # pragma: no cover - not used here
        pass

    def delivery_claims(self, owner: str, lease: timedelta) -> object:  # pragma: no cover
        raise NotImplementedError

    def on_posts(self, wake: Callable[[], None]) -> None:  # pragma: no cover
        pass

    async def hold_shards(self, shards: object) -> tuple[int, ...]:  # pragma: no cover
        return ()

    async def hold_unsharded(self) -> None:  # pragma: no cover
        pass

    async def shards_lost(self) -> str | None:  # pragma: no cover
        return None

    async def close(self) -> None:  # pragma: no cover
        pass


async def test_a_step_runs_only_while_its_process_leads() -> None:
    runs: list[int] = []

    async def assign() -> int:
        runs.append(1)
        return 7

    coordination = ScriptedLead(leading=False)
    step = led(coordination, assign)  # type: ignore[arg-type]
    assert await step() is None and runs == []
    coordination.leading = True  # the leader died: this one took over at its next try
    assert await step() == 7 and runs == [1]
    assert coordination.asked == 2


def test_lease_owners_differ_between_processes_and_restarts() -> None:
    first, second = lease_owner(), lease_owner()
    assert first != second  # a restarted process with the same pid is not the dead one
    host, pid, _ = first.split("/")
    assert host and pid.isdigit()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_role_all_claims_its_feeds_with_leases_where_pollers_may_run_beside_it(
    backend: str, tmp_path: Path
) -> None:
    # On PostgreSQL, `--role all` may run beside `--role poller` processes: it leases the feeds
    # it polls as they do (so no feed is polled by two); a SQLite file is one process's.
    async with fresh_storage_url(backend, tmp_path) as url:
        settings = Settings(db=url, seed_catalogue=False, feed_lease_seconds=45)
        async with open_newsroom(settings) as newsroom:
            leasing = feed_leasing(newsroom)
            if backend == "sqlite":
                assert leasing is None
                return
            assert leasing is not None
            assert leasing.lease == timedelta(seconds=45)
            feed = await newsroom.service.add_feed("http://127.0.0.1:9/feed.xml", name="Here")
            taken = await newsroom.updater.claim_due("a poller", timedelta(minutes=2), 10)
            assert [f.id for f in taken] == [feed.id]
            assert await newsroom.updater.claim_due(leasing.owner, leasing.lease, 10) == []

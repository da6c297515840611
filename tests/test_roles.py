"""The gateway's stages under a leader (issue 10): story assignment and digests run only in the
process that leads, and a process that does not lead asks again at its next run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.roles import lease_owner, led


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

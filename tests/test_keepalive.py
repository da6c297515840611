"""The keep-alive thread's latency: an ACK read before the thread runs again answers the
heartbeat just sent, not the one before (bot/keepalive.py).

discord.py's own ``KeepAliveHandler.run`` runs in its own thread against a stand-in socket on a
real loop; the clock and the thread's interval sleep are fake, so an interval is 41.25 s of
fake time and nothing waits for real.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from types import SimpleNamespace
from typing import Any

import discord.gateway
import pytest

from bot import keepalive
from tests.ceiling import CEILING

INTERVAL = 41.25
BEATS = 3


class Clock:
    """``time.perf_counter`` in fake seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Intervals:
    """Stands in for the handler's stop event: each wait is one interval of fake time, and the
    handler stops after ``BEATS`` heartbeats."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.left = BEATS
        self.stopped = False

    def wait(self, timeout: float) -> bool:
        if self.stopped or not self.left:
            return True
        self.left -= 1
        self.clock.now += timeout
        return False

    def set(self) -> None:
        self.stopped = True


class LoopbackSocket:
    """The parts of DiscordWebSocket the keep-alive thread uses. Its gateway answers at once:
    the ACK is read on the loop before ``send_heartbeat`` returns, so always before the
    keep-alive thread hears that the send is done (the order a loopback Discord, or a busy
    process, gives now and then)."""

    HEARTBEAT = discord.gateway.DiscordWebSocket.HEARTBEAT

    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Clock) -> None:
        self.loop = loop
        self.clock = clock
        self.thread_id = threading.get_ident()
        self.sequence = 42
        self._max_heartbeat_timeout = 60.0
        self.handler: discord.gateway.KeepAliveHandler | None = None
        self.sent: list[dict[str, Any]] = []

    async def send_heartbeat(self, data: dict[str, Any]) -> None:
        assert self.handler is not None
        self.sent.append(data)
        self.clock.now += 0.0005  # the frame goes out, the ACK comes back
        self.handler.tick()
        self.handler.ack()


async def beat_three_times(
    handler_class: type[discord.gateway.KeepAliveHandler], monkeypatch: pytest.MonkeyPatch
) -> tuple[discord.gateway.KeepAliveHandler, LoopbackSocket]:
    clock = Clock()
    fake_time = SimpleNamespace(perf_counter=clock, time=time.time)
    monkeypatch.setattr(discord.gateway, "time", fake_time)
    monkeypatch.setattr(keepalive, "time", fake_time)
    socket = LoopbackSocket(asyncio.get_running_loop(), clock)
    handler = handler_class(ws=socket, interval=INTERVAL, shard_id=None)  # type: ignore[arg-type]
    handler._stop_ev = Intervals(clock)  # type: ignore[assignment]
    socket.handler = handler
    handler.start()
    # Joined in a worker thread: the loop must stay free to run the heartbeats' sends.
    await asyncio.to_thread(handler.join, CEILING)
    assert not handler.is_alive(), "the keep-alive thread did not finish"
    return handler, socket


async def test_an_ack_read_at_once_is_measured_from_the_heartbeat_it_answers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="discord.gateway")
    handler, socket = await beat_three_times(keepalive.KeepAliveHandler, monkeypatch)

    assert [beat["op"] for beat in socket.sent] == [socket.HEARTBEAT] * BEATS
    assert handler.latency == pytest.approx(0.0005)
    assert not [r for r in caplog.records if "Can't keep up" in r.getMessage()]


async def test_discord_py_alone_measures_such_an_ack_from_the_previous_heartbeat(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What bot/keepalive.py works around (discord.py 2.7.1): if a discord.py release fixes it,
    this fails, and the workaround can go."""
    caplog.set_level(logging.WARNING, logger="discord.gateway")
    # The class discord.py ships, whether or not install() already replaced the module's name.
    library_handler = keepalive.KeepAliveHandler.__mro__[1]
    assert library_handler.__module__ == "discord.gateway"
    handler, _ = await beat_three_times(library_handler, monkeypatch)

    assert handler.latency == pytest.approx(INTERVAL + 0.0005)
    assert any("Can't keep up" in r.getMessage() for r in caplog.records)


def test_install_makes_the_gateway_use_the_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.gateway, "KeepAliveHandler", discord.gateway.KeepAliveHandler)
    keepalive.install()
    assert discord.gateway.KeepAliveHandler is keepalive.KeepAliveHandler

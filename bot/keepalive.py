"""The gateway heartbeat's latency, measured from the heartbeat the ACK answers.

discord.py (2.7.1) sends each heartbeat from its keep-alive thread: the thread hands the send
to the event loop, waits for it, and only then records when it sent. The loop is free as soon
as the frame is written, so when the ACK comes back fast (a loopback Discord answers in well
under a millisecond) the loop can read it before the keep-alive thread has run again: that
thread has to be woken and get the GIL back from the loop, or from a worker thread busy with
pure-Python work (story clustering). ``ack()`` then measures the latency from the previous
heartbeat, one whole interval earlier, and logs "Can't keep up, shard ID None websocket is
41.3s behind" although the heartbeat went out on time and the ACK came straight back. The
warning is noise that hides a real one, and ``bot.latency`` shows 41 s.

Fixed upstream after 2.7.1 (Rapptz/discord.py f9c66a6: the send time is recorded before the
send); until a release has it, ``install`` puts a handler that does the same in its place.
With a discord.py that has the fix, it changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import discord.gateway


class KeepAliveHandler(discord.gateway.KeepAliveHandler):
    """discord.py's keep-alive thread, recording the send time before it hands the send over."""

    def get_payload(self) -> dict[str, Any]:
        # The thread takes the payload right before it hands the heartbeat to the loop (and the
        # loop takes it for HELLO's first heartbeat): from here on an ACK can only answer this
        # heartbeat. The library's own update after the send stays, and only moves it later.
        self._last_send = time.perf_counter()
        return super().get_payload()


def install() -> None:
    """Make discord.py's gateway use ``KeepAliveHandler`` for every connection from now on."""
    # DiscordWebSocket looks the class up in its module each time a HELLO starts a handler.
    discord.gateway.KeepAliveHandler = KeepAliveHandler  # type: ignore[misc]

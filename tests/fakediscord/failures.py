"""Injected failures: rate limits, permission errors, server errors, hangs and dropped connections.

A `Failure` matches requests by method, path regex and/or channel id, and fires a number of
times (or until cleared). Response bodies and headers copy what Discord sends, because
discord.py branches on them (a 429 without `Via` is taken as a Cloudflare ban, for example).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Literal

from .state import JSON

Action = Literal["respond", "hang", "drop", "commit_then_hang", "commit_then_drop"]

#: Messages Discord uses for the JSON error codes the fake emits.
ERROR_MESSAGES: dict[int, str] = {
    0: "",
    10003: "Unknown Channel",
    10004: "Unknown Guild",
    10008: "Unknown Message",
    10013: "Unknown User",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    10063: "Unknown application command",
    40060: "Interaction has already been acknowledged.",
    50001: "Missing Access",
    50006: "Cannot send an empty message",
    40033: "This message has already been crossposted.",
    50008: "Cannot send messages in a non-text channel",
    50013: "Missing Permissions",
    50024: "Cannot execute action on this channel type",
    50035: "Invalid Form Body",
    50083: "Operation cannot be performed on an archived thread.",
    160004: "A thread has already been created for this message",
}


def error_body(code: int, message: str | None = None) -> JSON:
    """A Discord JSON error body."""
    return {
        "message": message if message is not None else ERROR_MESSAGES.get(code, ""),
        "code": code,
    }


def rate_limit_response(
    retry_after: float, *, is_global: bool = False, bucket: str = "fake-bucket"
) -> tuple[JSON, dict[str, str]]:
    """Body and headers of a 429 as Discord sends it (Via marks it as not-Cloudflare)."""
    body: JSON = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Scope": "global" if is_global else "user",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    return body, headers


@dataclass(slots=True, eq=False)
class Failure:
    """One injection rule. `times=None` fires until `FakeDiscord.clear_failures()`."""

    method: str | None = None
    path: str | None = None
    channel_id: int | None = None
    times: int | None = 1
    status: int = 500
    body: JSON | None = None
    headers: dict[str, str] = field(default_factory=dict)
    action: Action = "respond"
    hits: int = 0

    def matches(self, method: str, path: str, channel_id: int | None) -> bool:
        """True if this rule applies to the request and still has shots left."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.channel_id is not None and self.channel_id != channel_id:
            return False
        return self.path is None or re.fullmatch(self.path, path) is not None

    @property
    def exhausted(self) -> bool:
        """True once it has fired `times` times."""
        return self.times is not None and self.hits >= self.times

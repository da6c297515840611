"""Only the guilds on some of Discord's shards, as a SQLite condition (a sharded process).

``(guild_id >> 22) % count`` is Discord's formula for a guild's shard; guild ids are below
2**63, so SQLite's 64-bit shift gives the same value.
"""

from __future__ import annotations

import json

from bot.news.model.vocabulary import Shards


def on_shards(shards: Shards, column: str = "s.guild_id") -> tuple[str, dict[str, object]]:
    """A condition true for rows whose ``column`` is a guild on ``shards``, and its named
    parameters (``1`` and none when the process serves every shard)."""
    if shards.everything:
        return "1", {}
    condition = f"(({column} >> 22) % :shard_count) IN (SELECT value FROM json_each(:shard_ids))"
    return condition, {"shard_count": shards.count, "shard_ids": json.dumps(list(shards.ids))}

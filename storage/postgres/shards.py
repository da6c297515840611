"""Only the guilds on some of Discord's shards, as a PostgreSQL condition (a sharded process).

``(guild_id >> 22) % count`` is Discord's formula for a guild's shard (``BIGINT`` arithmetic).
"""

from __future__ import annotations

from bot.news.model.vocabulary import Shards


def on_shards(shards: Shards, first: int, column: str = "s.guild_id") -> tuple[str, list[object]]:
    """A condition true for rows whose ``column`` is a guild on ``shards``, with its
    parameters numbered from ``$first`` (``TRUE`` and none when every shard is served)."""
    if shards.everything:
        return "TRUE", []
    condition = f"(({column} >> 22) % ${first}) = ANY(${first + 1}::bigint[])"
    return condition, [shards.count, list(shards.ids)]

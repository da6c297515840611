"""Seeding a new database with the default feed catalogue, once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.news.model.default_catalogue import DEFAULT_FEEDS
from bot.news.model.errors import DuplicateFeed

if TYPE_CHECKING:
    from bot.news.ports import Clock, FeedRepository, MetaStore

log = logging.getLogger("shopwire.service")

CATALOGUE_SEEDED = "catalogue_seeded"


async def seed_catalogue(feeds: FeedRepository, meta: MetaStore, clock: Clock) -> int:
    """Add the default catalogue once per database; returns how many feeds were added.

    Runs only on a database that was never seeded, so feeds the operator removed do not
    come back on the next start, and that has no feeds yet: a database made with seeding
    off and given its own feeds is never topped up with the catalogue later.
    """
    if await meta.get(CATALOGUE_SEEDED):
        return 0
    now = clock.now()
    if await feeds.count() > 0:
        await meta.set(CATALOGUE_SEEDED, f"skipped {now.isoformat()}: it had feeds")
        return 0
    added = 0
    for feed in DEFAULT_FEEDS:
        try:
            await feeds.add(feed, now)
            added += 1
        except DuplicateFeed:
            pass
    await meta.set(CATALOGUE_SEEDED, now.isoformat())
    log.info("catalogue seeded feeds=%d", added)
    return added

"""The open PostgreSQL database and its repositories (the ``Storage`` port)."""

from __future__ import annotations

from types import TracebackType

from storage.postgres.backlog import PostgresBacklog
from storage.postgres.digests import PostgresDigestRepository, PostgresGuildSettings
from storage.postgres.feeds import PostgresFeedRepository
from storage.postgres.follow_roles import PostgresFollowRoleRepository
from storage.postgres.followups import PostgresFollowUpRepository
from storage.postgres.history import PostgresDeliveryHistory
from storage.postgres.items import PostgresItemRepository
from storage.postgres.meta import PostgresMeta
from storage.postgres.outbox import PostgresOutboxRepository
from storage.postgres.pool import Pool
from storage.postgres.stories import PostgresStoryRepository
from storage.postgres.story_threads import PostgresStoryThreadRepository
from storage.postgres.subscriptions import PostgresSubscriptionRepository


class PostgresStorage:
    """One PostgreSQL database behind an ``asyncpg.Pool`` (implements ``Storage``); open it
    with ``storage.postgres.open_postgres(url)``.

    Each repository takes the pool and runs each call on a connection of its own, so several
    tasks (and processes) read and write side by side; transactions are per call.
    """

    def __init__(self, pool: Pool, *, created: bool = False) -> None:
        self._pool = pool
        self._created = created
        self._feeds = PostgresFeedRepository(pool)
        self._meta = PostgresMeta(pool)
        self._subscriptions = PostgresSubscriptionRepository(pool)
        self._outbox = PostgresOutboxRepository(pool)
        self._digests = PostgresDigestRepository(pool)
        self._guild_settings = PostgresGuildSettings(pool)
        self._items = PostgresItemRepository(pool)
        self._stories = PostgresStoryRepository(pool)
        self._backlog = PostgresBacklog(pool)
        self._history = PostgresDeliveryHistory(pool)
        self._follow_roles = PostgresFollowRoleRepository(pool)
        self._story_threads = PostgresStoryThreadRepository(pool)
        self._followups = PostgresFollowUpRepository(pool)

    @property
    def pool(self) -> Pool:
        """The connection pool (tests and ``shopwire db copy`` run their own statements)."""
        return self._pool

    @property
    def created(self) -> bool:
        """True when opening created the schema (a new database gets the catalogue)."""
        return self._created

    @property
    def feeds(self) -> PostgresFeedRepository:
        return self._feeds

    @property
    def items(self) -> PostgresItemRepository:
        return self._items

    @property
    def meta(self) -> PostgresMeta:
        return self._meta

    @property
    def subscriptions(self) -> PostgresSubscriptionRepository:
        return self._subscriptions

    @property
    def outbox(self) -> PostgresOutboxRepository:
        return self._outbox

    @property
    def stories(self) -> PostgresStoryRepository:
        return self._stories

    @property
    def digests(self) -> PostgresDigestRepository:
        return self._digests

    @property
    def guild_settings(self) -> PostgresGuildSettings:
        return self._guild_settings

    @property
    def backlog(self) -> PostgresBacklog:
        return self._backlog

    @property
    def history(self) -> PostgresDeliveryHistory:
        return self._history

    @property
    def follow_roles(self) -> PostgresFollowRoleRepository:
        return self._follow_roles

    @property
    def story_threads(self) -> PostgresStoryThreadRepository:
        return self._story_threads

    @property
    def followups(self) -> PostgresFollowUpRepository:
        return self._followups

    async def close(self) -> None:
        """Close the pool once every connection in use has been released."""
        await self._pool.close()

    async def __aenter__(self) -> PostgresStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

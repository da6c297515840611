"""Follow roles: an admin ties a role to a company or topic, and members take it themselves.

The roles are Discord's; this service keeps which role stands for what in each server and turns
what a user typed into a company or topic. Giving the role (and checking that the bot may) is
the command's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.news.model.errors import LimitReached, UserError
from bot.news.model.vocabulary import FollowKind, FollowRole
from bot.news.ports import Clock, CompanyDirectory, FollowRoleRepository, TopicDirectory
from bot.news.rules.name_lookup import resolve_or_explain

MAX_FOLLOW_ROLES = 50
"""Per server: enough for every company and topic a community follows, and a bounded list."""


@dataclass(frozen=True, slots=True)
class FollowSubject:
    """A company or topic as a user picked it: its kind, id and display name."""

    kind: FollowKind
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class NamedFollowRole:
    """A follow role with the display name of its company or topic."""

    role: FollowRole
    name: str


class FollowRoleService:
    """Set, remove, list and find the follow roles of a server."""

    def __init__(
        self,
        *,
        follow_roles: FollowRoleRepository,
        companies: CompanyDirectory,
        topics: TopicDirectory,
        clock: Clock,
    ) -> None:
        self._roles = follow_roles
        self._companies = companies
        self._topics = topics
        self._clock = clock

    def subject(self, company: str | None, topic: str | None) -> FollowSubject:
        """The one company or topic a user named (exactly one of the two)."""
        if (company is None) == (topic is None):
            raise UserError("Name one company or one topic.")
        if company is not None:
            found = resolve_or_explain(self._companies, company.strip(), "company")
            return FollowSubject(FollowKind.COMPANY, found.id, found.name)
        assert topic is not None
        chosen = resolve_or_explain(self._topics, topic.strip(), "topic")
        return FollowSubject(FollowKind.TOPIC, chosen.id, chosen.name)

    async def set_role(self, guild_id: int, subject: FollowSubject, role_id: int) -> FollowRole:
        """Make ``role_id`` the role members take to follow ``subject`` in this server."""
        existing = await self._roles.list_for_guild(guild_id)
        replacing = any(r.kind is subject.kind and r.subject == subject.id for r in existing)
        if not replacing and len(existing) >= MAX_FOLLOW_ROLES:
            raise LimitReached(
                f"This server has {len(existing)} follow roles, the most allowed. Remove one "
                "with `/settings follow-role-remove` first."
            )
        role = FollowRole(guild_id, subject.kind, subject.id, role_id)
        await self._roles.set(role, self._clock.now())
        return role

    async def remove(self, guild_id: int, subject: FollowSubject) -> FollowRole:
        """Stop offering a role for ``subject``; members keep the Discord role itself."""
        removed = await self._roles.remove(guild_id, subject.kind, subject.id)
        if removed is None:
            raise UserError(f"{subject.name} has no follow role here.")
        return removed

    async def find(self, guild_id: int, subject: FollowSubject) -> FollowRole:
        """The role to give a member who follows ``subject``, or why there is none."""
        role = await self._roles.get(guild_id, subject.kind, subject.id)
        if role is None:
            raise UserError(
                f"Nobody can follow {subject.name} here yet: an admin chooses its role with "
                f"`/settings follow-role {subject.kind.value}: {subject.name} role: …`."
            )
        return role

    async def list_for_guild(self, guild_id: int) -> list[NamedFollowRole]:
        """A server's follow roles with the names of their companies and topics."""
        return [
            NamedFollowRole(role, self._name(role))
            for role in await self._roles.list_for_guild(guild_id)
        ]

    async def names(self, guild_id: int, kind: FollowKind) -> list[str]:
        """The names of the companies (or topics) members can follow here (autocomplete)."""
        return [
            named.name for named in await self.list_for_guild(guild_id) if named.role.kind is kind
        ]

    def _name(self, role: FollowRole) -> str:
        # An id an older release stored may be gone from the tables: show it as it is.
        if role.kind is FollowKind.COMPANY:
            company = self._companies.resolve(role.subject)
            return company.name if company is not None else role.subject
        topic = self._topics.topic(role.subject)
        return topic.name if topic is not None else role.subject

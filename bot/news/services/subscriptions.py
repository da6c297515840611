"""SubscriptionService: channels' standing orders for news, as the Discord commands see them."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.news.model.errors import LimitReached, UserError
from bot.news.model.vocabulary import (
    DEFAULT_POST_FORMAT,
    MessageStyle,
    NewSubscription,
    PostFormat,
    PostLayout,
    Subscription,
    SubscriptionFilter,
    SubscriptionMode,
)
from bot.news.ports import (
    Clock,
    CompanyDirectory,
    FollowUpRepository,
    GuildSettingsRepository,
    OutboxRepository,
    SubscriptionRepository,
    TopicDirectory,
)
from bot.news.rules.name_lookup import resolve_or_explain
from bot.news.services.digests import DEFAULT_TIMEZONE, resolve_timezone

MAX_TERMS = 10
DEFAULT_POST_HOUR = 9
"""When digests are posted unless the subscription says otherwise (the server's time zone)."""
MAX_TERM_LENGTH = 60


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """A subscription with what is still waiting to be posted for it."""

    subscription: Subscription
    pending: int
    # Posts sent and waiting to be published (Discord's publish limit, a failure).
    unpublished: int = 0


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """What ``subscribe`` did: created a subscription, or found (and resumed) the same one."""

    subscription: Subscription
    created: bool
    resumed: bool = False
    # An existing subscription given another style or ping role (it keeps its filters).
    reformatted: bool = False


def split_terms(text: str | None, what: str) -> tuple[str, ...]:
    """Comma-separated terms as typed by a user, cleaned, deduplicated (case-insensitive)."""
    if not text:
        return ()
    seen: dict[str, str] = {}
    for raw in text.split(","):
        term = " ".join(raw.split())
        if not term:
            continue
        if len(term) > MAX_TERM_LENGTH:
            raise UserError(f"A {what} may be at most {MAX_TERM_LENGTH} characters: {term[:20]}…")
        seen.setdefault(term.casefold(), term)
    if len(seen) > MAX_TERMS:
        raise UserError(f"At most {MAX_TERMS} {what}s per subscription.")
    return tuple(seen.values())


def filter_terms(text: str | None, what: str) -> tuple[str, ...]:
    """``split_terms`` for a filter option, refusing one that was given but names nothing
    (``,,,`` or blanks): left empty it would mean no filter at all, and the channel would get
    every item."""
    terms = split_terms(text, what)
    if text is not None and not terms:
        raise UserError(
            f"The {what} filter has no {what} in it: give one or more, separated by commas."
        )
    return terms


def describe_subscription(subscription: Subscription) -> str:
    """A one-line description of what a subscription posts."""
    parts = []
    f = subscription.filter
    if f.companies:
        parts.append("companies: " + ", ".join(f.companies))
    if f.topics:
        parts.append("topics: " + ", ".join(f.topics))
    if f.keywords:
        parts.append("keywords: " + ", ".join(f.keywords))
    if f.exclude:
        parts.append("excluding: " + ", ".join(f.exclude))
    if subscription.mode is SubscriptionMode.REALTIME:
        return "; ".join(parts) or "every new item"
    what = "; ".join(parts) or "all news"
    when = "daily" if subscription.mode is SubscriptionMode.DAILY else "weekly (Mondays)"
    return f"{when} digest at {subscription.post_hour:02}:00 of {what}"


def _post_format(
    current: PostFormat, style: MessageStyle | None, ping_role_id: int | None
) -> PostFormat:
    """``current`` with what a user chose instead; what they left out stays."""
    return PostFormat(
        style=style or current.style,
        ping_role_id=ping_role_id if ping_role_id is not None else current.ping_role_id,
    )


class SubscriptionService:
    """Create, list and remove subscriptions within one server's limits."""

    def __init__(
        self,
        *,
        subscriptions: SubscriptionRepository,
        outbox: OutboxRepository,
        companies: CompanyDirectory,
        clock: Clock,
        max_per_guild: int = 25,
        topics: TopicDirectory | None = None,
        guild_settings: GuildSettingsRepository | None = None,
        followups: FollowUpRepository | None = None,
    ) -> None:
        self._subscriptions = subscriptions
        self._outbox = outbox
        self._companies = companies
        self._clock = clock
        self._max_per_guild = max_per_guild
        # Optional for callers that never filter by topic; a topic filter without it fails.
        self._topics = topics
        self._guild_settings = guild_settings
        self._followups = followups

    def build_filter(
        self,
        companies: str | None,
        keywords: str | None,
        exclude: str | None,
        topics: str | None = None,
    ) -> SubscriptionFilter:
        """Validate what a user typed into a filter; unknown companies or topics are a clear
        error."""
        company_ids: list[str] = []
        for name in filter_terms(companies, "company"):
            company = resolve_or_explain(self._companies, name, "company")
            if company.id not in company_ids:
                company_ids.append(company.id)
        return SubscriptionFilter(
            companies=tuple(company_ids),
            keywords=filter_terms(keywords, "keyword"),
            exclude=filter_terms(exclude, "excluded word"),
            topics=self._topic_ids(topics),
        )

    def _topic_ids(self, text: str | None) -> tuple[str, ...]:
        """Comma-separated topic names or ids as topic ids, in the order given."""
        names = filter_terms(text, "topic")
        if not names:
            return ()
        if self._topics is None:
            raise RuntimeError("SubscriptionService was built without a topic directory")
        topic_ids: list[str] = []
        for name in names:
            topic = resolve_or_explain(self._topics, name, "topic")
            if topic.id not in topic_ids:
                topic_ids.append(topic.id)
        return tuple(topic_ids)

    async def subscribe(
        self,
        *,
        guild_id: int,
        channel_id: int,
        subscription_filter: SubscriptionFilter,
        created_by: int | None,
        mode: SubscriptionMode = SubscriptionMode.REALTIME,
        post_hour: int | None = None,
        style: MessageStyle | None = None,
        ping_role_id: int | None = None,
        layout: PostLayout | None = None,
        publish: bool | None = None,
    ) -> SubscribeResult:
        """Subscribe a channel; subscribing again with the same filters (and mode and hour)
        resumes a paused one, and gives it the ``style`` and ``ping_role_id`` given (what is
        left out stays as it was; a new subscription posts embeds and pings nobody).
        ``post_hour`` (0-23, the server's time zone) is when a digest is posted; realtime
        subscriptions take none. Whether the bot may ping the role is the caller's check."""
        if mode is SubscriptionMode.REALTIME:
            if post_hour is not None:
                raise UserError(
                    "A posting hour is for digests: add `mode: daily` or `mode: weekly`, "
                    "or leave the hour out for realtime posts."
                )
            hour = DEFAULT_POST_HOUR
        else:
            hour = DEFAULT_POST_HOUR if post_hour is None else post_hour
            if not 0 <= hour <= 23:
                raise UserError(f"The posting hour is 0 to 23, not {hour}.")
        existing = await self._subscriptions.list_for_guild(guild_id)
        for subscription in existing:
            if (
                subscription.channel_id == channel_id
                and subscription.filter == subscription_filter
                and subscription.mode is mode
                and (mode is SubscriptionMode.REALTIME or subscription.post_hour == hour)
            ):
                wanted = _post_format(subscription.post_format, style, ping_role_id)
                reformatted = wanted != subscription.post_format
                if reformatted:
                    await self._subscriptions.set_post_format(subscription.id, wanted)
                # Where posts go and publishing change the same way (left out: as it was).
                placed = (
                    layout or subscription.layout,
                    subscription.publish if publish is None else publish,
                )
                if placed != (subscription.layout, subscription.publish):
                    await self._subscriptions.set_layout(subscription.id, *placed)
                    reformatted = True
                if subscription.paused_reason is None and not reformatted:
                    return SubscribeResult(subscription, created=False)
                paused = subscription.paused_reason is not None
                if paused:
                    await self._subscriptions.resume(subscription.id)
                current = await self._subscriptions.get(subscription.id)
                assert current is not None
                return SubscribeResult(
                    current, created=False, resumed=paused, reformatted=reformatted
                )
        if len(existing) >= self._max_per_guild:
            raise LimitReached(
                f"This server has {len(existing)} subscriptions, the most allowed. "
                "Remove one with /unsubscribe first."
            )
        created = await self._subscriptions.add(
            NewSubscription(
                guild_id=guild_id,
                channel_id=channel_id,
                filter=subscription_filter,
                mode=mode,
                created_by=created_by,
                post_hour=hour,
                post_format=_post_format(DEFAULT_POST_FORMAT, style, ping_role_id),
                layout=layout or PostLayout.MESSAGE,
                publish=bool(publish),
            ),
            self._clock.now(),
        )
        return SubscribeResult(created, created=True)

    async def edit(
        self,
        subscription: Subscription,
        *,
        style: MessageStyle | None = None,
        ping_role_id: int | None = None,
        remove_ping: bool = False,
        layout: PostLayout | None = None,
        publish: bool | None = None,
    ) -> Subscription:
        """Change how one of a server's subscriptions posts (style, ping, layout, publishing)
        and nothing else: its filters, queue and log stay. What is left out stays as it was;
        ``remove_ping`` stops its pings. Whether the bot may ping the role, and whether the
        channel takes the layout, are the caller's checks."""
        if remove_ping and ping_role_id is not None:
            raise UserError("Give a `ping` role or `remove_ping`, not both.")
        if (style, ping_role_id, layout, publish) == (None, None, None, None) and not remove_ping:
            raise UserError(
                "Nothing to change: give `style`, `ping`, `remove_ping`, `thread` or `publish`."
            )
        wanted = _post_format(subscription.post_format, style, ping_role_id)
        if remove_ping:
            wanted = PostFormat(style=wanted.style, ping_role_id=None)
        if wanted != subscription.post_format:
            await self._subscriptions.set_post_format(subscription.id, wanted)
        placed = (
            layout or subscription.layout,
            subscription.publish if publish is None else publish,
        )
        if placed != (subscription.layout, subscription.publish):
            await self._subscriptions.set_layout(subscription.id, *placed)
        current = await self._subscriptions.get(subscription.id)
        if current is None:
            raise UserError(f"Subscription #{subscription.id} was removed meanwhile.")
        return current

    async def resume_channel(self, guild_id: int, channel_id: int) -> list[Subscription]:
        """Resume every paused subscription of a channel (after an admin fixed permissions)."""
        resumed = []
        for subscription in await self._subscriptions.list_for_guild(guild_id):
            if subscription.channel_id == channel_id and subscription.paused_reason is not None:
                await self._subscriptions.resume(subscription.id)
                resumed.append(subscription)
        return resumed

    async def unsubscribe(
        self, *, guild_id: int, channel_id: int, subscription_id: int | None = None
    ) -> list[Subscription]:
        """Remove a channel's subscription (or all of them when there is only one choice)."""
        in_channel = [
            s
            for s in await self._subscriptions.list_for_guild(guild_id)
            if s.channel_id == channel_id
        ]
        if subscription_id is not None:
            chosen = [s for s in in_channel if s.id == subscription_id]
            if not chosen:
                raise UserError(f"This channel has no subscription #{subscription_id}.")
        elif len(in_channel) > 1:
            ids = ", ".join(f"#{s.id}" for s in in_channel)
            raise UserError(
                f"This channel has {len(in_channel)} subscriptions ({ids}): "
                "say which one with the `subscription` option."
            )
        else:
            chosen = in_channel
        if not chosen:
            raise UserError("This channel has no subscription.")
        for subscription in chosen:
            await self._subscriptions.remove(subscription.id)
        return chosen

    async def count_all(self) -> int:
        """How many subscriptions there are in every server, paused ones included."""
        return len(await self._subscriptions.list_all())

    async def list_for_guild(self, guild_id: int) -> list[SubscriptionStatus]:
        """The server's subscriptions with their queued posts."""
        return [
            SubscriptionStatus(
                s,
                await self._outbox.pending_count(s.id),
                await self._followups.waiting_to_publish(s.id)
                if self._followups is not None and s.publish
                else 0,
            )
            for s in await self._subscriptions.list_for_guild(guild_id)
        ]

    def describe(self, subscription: Subscription) -> str:
        """What a subscription posts, in words, with companies and topics by their display
        names."""
        names = tuple(
            company.name if (company := self._companies.resolve(c)) else c
            for c in subscription.filter.companies
        )
        topic_names = tuple(self._topic_name(t) for t in subscription.filter.topics)
        return describe_subscription(
            replace(
                subscription,
                filter=replace(subscription.filter, companies=names, topics=topic_names),
            )
        )

    def _topic_name(self, topic_id: str) -> str:
        # A topic id stored by an older release may be gone from the table: show it as is.
        topic = self._topics.topic(topic_id) if self._topics is not None else None
        return topic.name if topic is not None else topic_id

    async def timezone(self, guild_id: int) -> str:
        """The time zone the server's digests are scheduled in (UTC unless set)."""
        if self._guild_settings is None:
            return DEFAULT_TIMEZONE
        return await self._guild_settings.timezone(guild_id) or DEFAULT_TIMEZONE

    async def set_timezone(self, guild_id: int, text: str) -> str:
        """Set the server's time zone from what a user typed; returns the IANA name stored."""
        if self._guild_settings is None:
            raise RuntimeError("SubscriptionService was built without guild settings")
        name = resolve_timezone(text)
        await self._guild_settings.set_timezone(guild_id, name, self._clock.now())
        return name

    async def get(self, guild_id: int, subscription_id: int) -> Subscription | None:
        """One of this server's subscriptions (None for another server's)."""
        subscription = await self._subscriptions.get(subscription_id)
        if subscription is None or subscription.guild_id != guild_id:
            return None
        return subscription

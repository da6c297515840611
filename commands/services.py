"""What the slash commands are given: the services they call (``BotServices``).

Owned by the commands, so they never import the Discord client that carries it
(``bot.client.ShopwireBot.services``); the runner fills it from the newsroom.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.news.services.follow_roles import FollowRoleService
from bot.news.services.news import NewsService
from bot.news.services.preview import SubscriptionPreviewer
from bot.news.services.subscriptions import SubscriptionService
from bot.news.services.summaries import SummaryService
from bot.news.services.why import DeliveryExplainer
from bot.settings import Settings


@dataclass(frozen=True)
class BotServices:
    """What the commands need from the newsroom."""

    news: NewsService
    subscriptions: SubscriptionService
    summaries: SummaryService
    settings: Settings
    follow_roles: FollowRoleService
    explainer: DeliveryExplainer
    previewer: SubscriptionPreviewer

"""Use cases and the long-running stages of the bot process, which orchestrate the ports.

The front ends call the use cases (``news.NewsService``, ``subscriptions.SubscriptionService``,
``summaries.SummaryService``, ...). The stages never wait for each other: ``poller.FeedPoller``
keeps due feeds in flight (each poll is ``feed_updater.FeedUpdater``'s); ``stage.Stage`` runs
one step (delivery, story assignment, digests) whenever it is woken or its tick comes round.
Discord-free, like the rest of ``bot.news``.
"""

"""Long-running stages of the bot process that never wait for each other.

``poller.FeedPoller`` keeps due feeds in flight; ``stage.Stage`` runs one step (delivery, story
assignment, digests) whenever it is woken or its tick comes round. Discord-free, like the rest
of ``bot.news``.
"""

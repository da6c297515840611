"""The core's exceptions: a small hierarchy, translated to user messages at the boundaries."""

from __future__ import annotations


class ShopwireError(Exception):
    """Base of every error Shopwire raises on purpose."""


class UserError(ShopwireError):
    """A mistake the user can fix; its message is shown to them as is (one line)."""


class InvalidQuery(UserError):
    """A search text that cannot become a useful query (empty, only stop characters...)."""


class FeedNotFound(UserError):
    """No feed matches the id, name or URL the user gave."""


class DuplicateFeed(UserError):
    """The feed URL is already in the catalogue (or in this server's feeds)."""


class UnknownCompany(UserError):
    """A company name that the tagging table does not know."""


class UnsafeURL(UserError):
    """A URL that must not be fetched: bad scheme, or a private/loopback/reserved address."""


class LimitReached(UserError):
    """A per-server limit (feeds, subscriptions) is reached."""


class FeedCheckFailed(UserError):
    """A feed URL that was fetched once before being added and is not a readable feed."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"The feed at {url} was not added: {reason}")


class ConfigError(ShopwireError):
    """Settings that cannot be used; the message lists every problem, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


class FeedParseError(ShopwireError):
    """The document is not a feed at all, or nothing usable came out of it.

    The message is one readable line, e.g. "not an RSS/Atom feed (looks like HTML)". Defined
    here, not beside the parser that raises it, so that the process that only hands documents
    to parser workers catches it without importing the parser (feedparser and its tables).
    """


class StorageError(ShopwireError):
    """The database could not be opened or migrated."""


class DatabaseNotOpened(StorageError):
    """The database could not be opened, in a message that names it already ("Cannot open
    the database shopwire.db: ..."): a caller that names the database says it once."""


def database_error_line(shown: str, exc: StorageError) -> str:
    """The one line for a database error: named by ``shown`` (the db setting, password
    hidden) unless the message names the database itself."""
    if isinstance(exc, DatabaseNotOpened):
        return f"error: {exc}"
    return f"error: database {shown}: {exc}"


class ShardCountMismatch(ShopwireError):
    """Gateways that split one bot's shards must agree on how many there are: a guild's shard
    is its id modulo the count, so two counts would deliver some guilds twice and others
    never. Raised for a gateway started with a count the running gateways do not use."""

    def __init__(self, running: int, asked: int) -> None:
        self.running = running
        self.asked = asked
        super().__init__(
            f"--shard-count {asked} differs from the running gateways' --shard-count {running}:"
            f" give every gateway --shard-count {running}, or stop them all to change it"
        )


class UnshardedGatewayConflict(ShopwireError):
    """A process connected to Discord without ``--shard-count`` serves every guild, so no other
    may serve any beside it: two would both post for every guild. Raised for the second one,
    whichever of the two (``unsharded``: the one refused is unsharded itself)."""

    def __init__(self, *, unsharded: bool) -> None:
        self.unsharded = unsharded
        if unsharded:
            line = (
                "another running process already serves this bot's Discord gateway: a gateway"
                " without --shard-count serves every server, so it must be the only one; to run"
                " several, give each its own --shards and the same --shard-count"
            )
        else:
            line = (
                "a running process serves this bot's Discord gateway without --shard-count"
                " (every server): stop it, or start it again with --shards and --shard-count"
                " like this one"
            )
        super().__init__(line)


class LeaseLost(ShopwireError):
    """A poll's result came back after its poller's lease on the feed ran out or passed to
    another poller: it is dropped (the other poll's result counts), never stored."""

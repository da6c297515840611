"""Numbered, forward-only schema migrations tracked in ``PRAGMA user_version``.

``MIGRATIONS[n - 1]`` takes a database from version ``n - 1`` to ``n``. Each one runs in its own
``BEGIN IMMEDIATE`` transaction together with the ``user_version`` bump, so a failed migration
leaves the database at the previous version. Migrations are never edited once released: a change
is a new entry at the end.

Conventions that later migrations can rely on:

- ``STRICT`` tables; booleans are INTEGER 0/1 with a CHECK; datetimes are INTEGER unix
  microseconds UTC; small lists (categories, feed companies) are JSON text.
- ``feeds.id`` and ``items.id`` are ``AUTOINCREMENT``: ids are never reused after a delete, so a
  delivery log keyed by item id can never mistake a new item for one already posted, and item
  ids grow with insertion time (search uses that as a cheap recency order).
- Child rows reference their parent with ``ON DELETE CASCADE``: removing a feed removes its items,
  their company tags and (through the FTS triggers) their search index entries.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from bot.news.model.errors import StorageError
from storage._sql import finish
from storage.search_tokenizer import fold_sql, tokenize_option

if TYPE_CHECKING:  # annotations only: the read-only CLI never imports aiosqlite
    import aiosqlite

_V1_INIT = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    url                TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    guild_id           INTEGER,            -- NULL: the shared catalogue
    trusted            INTEGER NOT NULL DEFAULT 1 CHECK (trusted IN (0, 1)),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at         INTEGER NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'new'
                       CHECK (status IN ('new', 'ok', 'not_modified', 'error', 'disabled')),
    etag               TEXT,
    last_modified      TEXT,
    last_polled        INTEGER,
    last_success       INTEGER,
    last_error         TEXT,
    error_count        INTEGER NOT NULL DEFAULT 0 CHECK (error_count >= 0),
    next_due           INTEGER,
    disabled_reason    TEXT,
    max_items_per_poll INTEGER CHECK (max_items_per_poll IS NULL OR max_items_per_poll > 0),
    companies          TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(companies)),
    item_count         INTEGER NOT NULL DEFAULT 0   -- kept exact by the items_count triggers
) STRICT;

-- One URL per scope: the shared catalogue (guild_id NULL, i.e. 0 here; Discord ids are never 0)
-- and each guild separately.
CREATE UNIQUE INDEX feeds_scope_url ON feeds (coalesce(guild_id, 0), url);
CREATE INDEX feeds_guild ON feeds (guild_id);
CREATE INDEX feeds_due ON feeds (next_due) WHERE enabled = 1;

-- Display names of the company ids items are tagged with. Storage inserts unknown ids with
-- their id as name; the composition root can register the real names from the tagging table.
CREATE TABLE companies (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    link         TEXT,
    source       TEXT    NOT NULL,
    author       TEXT,
    published    INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    summary      TEXT    NOT NULL,
    image_url    TEXT,
    categories   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(categories)),
    content_hash TEXT    NOT NULL,
    backlog      INTEGER NOT NULL DEFAULT 0 CHECK (backlog IN (0, 1)),
    -- Filter tokens for the search index, written by storage (storage/items.py): U+E000 then
    -- "f<feed id>", "c<hex of company id>" per company, "m<YYYYMM>" of published. Kept here
    -- (not computed in a view) so that the FTS delete trigger removes exactly what was indexed.
    tags         TEXT    NOT NULL DEFAULT '',
    UNIQUE (feed_id, key)
) STRICT;

CREATE INDEX items_published ON items (published, id);
CREATE INDEX items_feed_published ON items (feed_id, published, id);

CREATE TABLE item_companies (
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    company_id TEXT    NOT NULL REFERENCES companies (id),
    position   INTEGER NOT NULL,   -- the tagger's order, kept for display
    -- A copy of items.published (kept by the trigger below), so that "latest items about a
    -- company" walks one index in date order instead of probing every item for its tags.
    published  INTEGER NOT NULL,
    PRIMARY KEY (item_id, company_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX item_companies_latest ON item_companies (company_id, published, item_id);

CREATE TRIGGER items_published_copy AFTER UPDATE OF published ON items
WHEN old.published IS NOT new.published BEGIN
    UPDATE item_companies SET published = new.published WHERE item_id = new.id;
END;

-- External-content full-text index over title + summary (what users search) and tags (what
-- filters by feed, company and month use: FTS5 intersects doclists far faster than SQL can
-- post-filter 100k matches); the triggers below keep it in sync. detail=full is needed for
-- phrase queries; remove_diacritics 2 makes "cafe" find "café".
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title,
    summary,
    tags,
    content = 'items',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Feed.item_count without counting: listing 200 feeds over a million items stays instant.
CREATE TRIGGER items_count_insert AFTER INSERT ON items BEGIN
    UPDATE feeds SET item_count = item_count + 1 WHERE id = new.feed_id;
END;

CREATE TRIGGER items_count_delete AFTER DELETE ON items BEGIN
    UPDATE feeds SET item_count = item_count - 1 WHERE id = old.feed_id;
END;

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, summary, tags)
    VALUES (new.id, new.title, new.summary, new.tags);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, tags)
    VALUES ('delete', old.id, old.title, old.summary, old.tags);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, tags ON items
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.tags IS NOT new.tags
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, tags)
    VALUES ('delete', old.id, old.title, old.summary, old.tags);
    INSERT INTO items_fts (rowid, title, summary, tags)
    VALUES (new.id, new.title, new.summary, new.tags);
END;
"""

_V2_SUBSCRIPTIONS_OUTBOX = """
-- A channel's standing order for news. Filters are JSON arrays of strings (company ids,
-- keywords, excluded words); a subscription is paused exactly when paused_reason is set.
CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: outbox rows key on it
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    companies     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(companies)),
    keywords      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(keywords)),
    exclude       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(exclude)),
    mode          TEXT    NOT NULL DEFAULT 'realtime'
                  CHECK (mode IN ('realtime', 'daily', 'weekly')),
    post_hour     INTEGER NOT NULL DEFAULT 9 CHECK (post_hour BETWEEN 0 AND 23),
    created_at    INTEGER NOT NULL,
    created_by    INTEGER,
    paused_reason TEXT,
    paused_at     INTEGER,
    CHECK ((paused_reason IS NULL) = (paused_at IS NULL))
) STRICT;

CREATE INDEX subscriptions_guild ON subscriptions (guild_id);

-- The outbox and the delivery log in one: a row is queued (pending) in the same transaction
-- that stores its item, and stays after delivery (sent, overflow, dropped) as the record that
-- this subscription has had this item. UNIQUE (subscription_id, item_id) is what makes a post
-- happen at most once ever: re-applying a poll, or planning the same item twice, finds the row.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    item_id         INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'overflow', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,            -- NULL: as soon as possible
    sent_at         INTEGER,
    message_id      INTEGER,
    last_error      TEXT,               -- the last failure, or why the row was dropped
    UNIQUE (subscription_id, item_id)
) STRICT;

-- Pending rows only, so it stays small while the log grows. It serves due() (walked in
-- subscription order, the order due() returns, with next_attempt_at checked in the index) and
-- pending_count() (a prefix), neither reading a subscription's delivered history.
CREATE INDEX outbox_pending ON outbox (subscription_id, next_attempt_at) WHERE state = 'pending';
-- Removing a feed cascades items -> outbox; without this each deleted item scans the outbox.
CREATE INDEX outbox_item ON outbox (item_id);
"""

_V3_STORIES_TOPICS = """
-- Stories: items of the shared catalogue about one event, grouped by the story clusterer
-- (bot/news/stories.py), which also allocates their ids (hence no AUTOINCREMENT). A row is the
-- story's latest summary as a whole; what one period saw of it is computed from its items.
CREATE TABLE stories (
    id           INTEGER PRIMARY KEY,
    headline     TEXT    NOT NULL,
    summary_line TEXT    NOT NULL DEFAULT '',
    first_seen   INTEGER NOT NULL,   -- earliest publication date of its items
    last_seen    INTEGER NOT NULL,   -- latest publication date of its items
    item_count   INTEGER NOT NULL CHECK (item_count >= 0),
    source_count INTEGER NOT NULL CHECK (source_count >= 0),
    sources      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
    companies    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(companies)),
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX stories_last_seen ON stories (last_seen);

-- NULL until the clusterer has placed the item; always NULL for private (guild) feeds' items.
-- Deleting a story sends its items back to the clusterer.
ALTER TABLE items ADD COLUMN story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL;

-- A story's items (and the foreign key's ON DELETE SET NULL).
CREATE INDEX items_story ON items (story_id) WHERE story_id IS NOT NULL;
-- What the clusterer has still to place, oldest first; rows leave it as they are placed.
-- feed_id skips private feeds' items (never placed) without reading their rows.
CREATE INDEX items_unassigned ON items (first_seen, feed_id) WHERE story_id IS NULL;
-- Periods of first_seen (summaries, trend charts); story_id and feed_id let the period
-- queries filter before reading the rows.
CREATE INDEX items_first_seen ON items (first_seen, story_id, feed_id);

-- Topic ids (bot/news/topics.py) of each item, written by SqliteItemRepository.apply with the
-- item. Search filters by topic through a hidden token in items.tags ("t<hex of topic id>").
CREATE TABLE item_topics (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    topic   TEXT    NOT NULL,
    PRIMARY KEY (item_id, topic)
) STRICT, WITHOUT ROWID;

CREATE INDEX item_topics_topic ON item_topics (topic, item_id);
"""

_V4_SUBSCRIPTION_TOPICS = """
-- Topic ids (bot/news/topics.py) a subscription wants, any of them; empty: no topic filter.
ALTER TABLE subscriptions ADD COLUMN topics TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(topics));
"""

_V5_DIGESTS_GUILD_SETTINGS = """
-- Per-server settings; a server without a row uses the defaults (UTC).
CREATE TABLE guild_settings (
    guild_id   INTEGER PRIMARY KEY,
    timezone   TEXT    NOT NULL DEFAULT 'UTC',  -- an IANA name, validated by the core
    updated_at INTEGER NOT NULL
) STRICT;

-- The digest log, like the outbox for realtime posts: one row per (subscription, period)
-- ever (UNIQUE), created when the period closes, so a digest is posted at most once whatever
-- restarts or retries happen. The summary is computed when the digest is sent.
CREATE TABLE digests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    period_start    INTEGER NOT NULL,
    period_end      INTEGER NOT NULL CHECK (period_end > period_start),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'empty', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER,            -- NULL: as soon as possible
    sent_at         INTEGER,
    message_id      INTEGER,
    last_error      TEXT,
    UNIQUE (subscription_id, period_start)
) STRICT;

CREATE INDEX digests_pending ON digests (subscription_id) WHERE state = 'pending';
"""

_V6_OUTBOX_ROUNDUPS = """
-- The roundup (by its nonce) a pending outbox row was put in when a flood passed the
-- per-channel cap. It is written before the roundup is posted, so a retry or a restart posts
-- the same items with the same nonce (one message), never some of them again one by one.
ALTER TABLE outbox ADD COLUMN roundup TEXT;
"""

_V7_STORY_FEATURES_MERGES = """
-- Each placed item's features as the story clusterer prepared them (its own text encoding), so
-- a restart rebuilds the clusterer from these rows instead of re-reading and re-preparing two
-- windows of items. Deleting an item deletes its row.
CREATE TABLE story_features (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    data    TEXT    NOT NULL
) STRICT;

-- Stories found to tell one event and merged: story_id's items moved to into_id, and its row
-- was deleted. Kept so that an id shown before (say, in --json output) can still be followed.
CREATE TABLE story_merges (
    story_id  INTEGER PRIMARY KEY,
    into_id   INTEGER NOT NULL,
    merged_at INTEGER NOT NULL
) STRICT;

-- The item a story's headline and summary line were taken from: its link is the story's link.
ALTER TABLE stories ADD COLUMN headline_item_id INTEGER;
"""

_V8_STEMMED_SEARCH = """
-- Search matches English words by their stem ("returns" finds "return") and supports prefixes
-- on those stems: the same index, tokenized by porter over the unicode61 options it had. The
-- triggers on items name the table, so they keep feeding the new one. Hidden tag tokens go
-- through porter too: it can only drop a final "e" from a hex id (an id's last UTF-8 byte is
-- never 0xED, so no "-ed" to strip; no other suffix is spelt with hex letters), which keeps
-- every tag distinct (tests/storage/test_stemmed_search.py checks it on generated ids).
DROP TABLE items_fts;

CREATE VIRTUAL TABLE items_fts USING fts5 (
    title,
    summary,
    tags,
    content = 'items',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- Reads every stored item again, inside this migration's transaction.
INSERT INTO items_fts (items_fts) VALUES ('rebuild');
"""

_V9_FEED_DOCUMENTS = """
-- The fingerprint (sha256 of the document and of what its parse depends on) of the last
-- document each feed parsed successfully, written with the poll's other results: the same bytes
-- in a later 200 answer are not parsed again. A table of its own, not a feeds column, so that
-- nothing that reads feeds has to know about it.
CREATE TABLE feed_documents (
    feed_id   INTEGER PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
    body_hash TEXT    NOT NULL
) STRICT;
"""

_V10_PINGS_STYLES_FOLLOW_ROLES = """
-- The role a subscription's posts ping (NULL: none; the core refuses @everyone, whose role id is
-- the guild's id) and how its posts look. Existing subscriptions keep today's embeds, no ping.
ALTER TABLE subscriptions ADD COLUMN ping_role_id INTEGER;
ALTER TABLE subscriptions ADD COLUMN style TEXT NOT NULL DEFAULT 'embed'
    CHECK (style IN ('embed', 'compact', 'headline'));

-- Roles an admin lets members give themselves with /follow: one role per company or topic per
-- server. subject is a company id (kind 'company') or a topic id (kind 'topic').
CREATE TABLE follow_roles (
    guild_id   INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('company', 'topic')),
    subject    TEXT    NOT NULL,
    role_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, kind, subject)
) STRICT, WITHOUT ROWID;
"""

_V11_THREADS_PUBLISHING_EDITS = """
-- How a subscription lays out its posts: each item a message ('message'), a story's later
-- reports in a thread on its first message ('thread'), or one forum post per story ('forum');
-- and whether its posts in an announcement channel are published to the servers following it.
ALTER TABLE subscriptions ADD COLUMN layout TEXT NOT NULL DEFAULT 'message'
    CHECK (layout IN ('message', 'thread', 'forum'));
ALTER TABLE subscriptions ADD COLUMN publish INTEGER NOT NULL DEFAULT 0 CHECK (publish IN (0, 1));

-- The thread a sent post's message is in (a forum post, a story's thread); NULL: the
-- subscription's channel itself. Edits and crossposts address the message there.
ALTER TABLE outbox ADD COLUMN thread_id INTEGER;
-- An edit owed to a sent post whose item the publisher corrected: 'pending', then 'done', or
-- 'gone' (the message was deleted in Discord: never posted again) or 'failed' (not allowed).
ALTER TABLE outbox ADD COLUMN edit_state TEXT
    CHECK (edit_state IN ('pending', 'done', 'gone', 'failed'));
ALTER TABLE outbox ADD COLUMN edit_after INTEGER;
-- Publishing to followers: 'waiting' from the moment the message exists, then 'published', or
-- 'gone' (the message was deleted). publish_after: not before (Discord's publish rate limit).
ALTER TABLE outbox ADD COLUMN publish_state TEXT
    CHECK (publish_state IN ('waiting', 'published', 'gone'));
ALTER TABLE outbox ADD COLUMN publish_after INTEGER;
CREATE INDEX outbox_edits ON outbox (edit_after) WHERE edit_state = 'pending';
CREATE INDEX outbox_publishing ON outbox (subscription_id, publish_after)
    WHERE publish_state = 'waiting';

-- The thread of each story a 'thread' or 'forum' subscription has posted. A forum post's row is
-- written (with its title) before the post is created: a crash between Discord creating it and
-- thread_id being recorded is mended by finding that post, never by creating a second.
CREATE TABLE story_threads (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    story_id        INTEGER,             -- NULL: the item is in no story, its thread its own
    outbox_id       INTEGER NOT NULL UNIQUE REFERENCES outbox (id) ON DELETE CASCADE,
    title           TEXT    NOT NULL,
    thread_id       INTEGER,             -- NULL: not created, or not known to be yet
    message_id      INTEGER,             -- the story's first message
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX story_threads_story ON story_threads (subscription_id, story_id);
"""

_V12_LEASES = """
-- Several pollers and deliverers over one database (run on PostgreSQL; SQLite keeps the same
-- meaning under its one writer). A feed's lease: the poller that claimed it and until when; a
-- result is stored only while its poller still holds the lease. A subscription's delivery
-- lease: the one process posting for its channel, so two never post for one channel at once.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until INTEGER;
ALTER TABLE subscriptions ADD COLUMN lease_owner TEXT;
ALTER TABLE subscriptions ADD COLUMN lease_until INTEGER;
"""

_V13_DIGEST_PUBLISHING = """
-- Publishing a publishing subscription's digests to the announcement channel's followers, in
-- the same queue as its posts: 'waiting' from the moment the digest's message exists, then
-- 'published' or 'gone' (deleted). publish_after: not before (Discord's publish rate limit).
ALTER TABLE digests ADD COLUMN publish_state TEXT
    CHECK (publish_state IN ('waiting', 'published', 'gone'));
ALTER TABLE digests ADD COLUMN publish_after INTEGER;
CREATE INDEX digests_publishing ON digests (subscription_id, publish_after)
    WHERE publish_state = 'waiting';
"""

_V14_DISABLED_NOTICES = """
-- A server's own feed that polling disabled owes the server a notice, posted by the process
-- serving its guild's shard (a poller process has no Discord): set in the poll's transaction,
-- cleared once posted or when the feed is enabled again. Feeds disabled before are not owed one.
ALTER TABLE feeds ADD COLUMN notice_owed INTEGER NOT NULL DEFAULT 0 CHECK (notice_owed IN (0, 1));
CREATE INDEX feeds_notice_owed ON feeds (guild_id) WHERE notice_owed = 1;
"""

_V15_STORY_STATE = """
-- The story clusterer's whole state (bot/news/stories/snapshot.py), written after each run
-- that placed items: a restart restores it in one read instead of rebuilding it from every
-- recent item's story_features row. One row; a snapshot that disagrees with the items'
-- stories is ignored (the rebuild then runs as before).
CREATE TABLE story_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    data     BLOB    NOT NULL,
    saved_at INTEGER NOT NULL
) STRICT;
"""

# Words of scripts that write vowels as combining marks (Devanagari, Bengali, Tamil, ...) are
# read whole instead of as runs of bare consonants ("सेवा" was "स" "व"): the index of
# migration 8 again, its tokenizer with those marks as token characters
# (storage/search_tokenizer.py, whose set this migration fixed: a later change is a new
# migration). Every other option as it was; the triggers name the table, so they feed the new
# one. The rebuild reads every stored item again, inside this migration's transaction.
_V16_WHOLE_INDIC_WORDS = f"""
DROP TABLE items_fts;

CREATE VIRTUAL TABLE items_fts USING fts5 (
    title,
    summary,
    tags,
    content = 'items',
    content_rowid = 'id',
    {tokenize_option()}
);

INSERT INTO items_fts (items_fts) VALUES ('rebuild');
"""

# Search folds the letters remove_diacritics leaves alone (đ, ł, ø, ı: "Da Nang" finds
# "Đà Nẵng") and drops Arabic harakat and the tatweel, so pointed and unpointed spellings match
# (storage/search_tokenizer.py, whose set this migration fixes). FTS5 has no such tokenizer
# option, so the text is folded before it reaches the index, in plain SQL: the index's content
# is a view of the folded columns (what 'rebuild' and 'integrity-check' read), and the
# triggers write and delete the same folded values. Queries are folded in Python
# (storage/fts.py). One transaction, like every migration: a process stopped in the middle
# leaves version 16 whole, and the next start does it again.
_V17_FOLDED_SEARCH = f"""
DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_delete;
DROP TRIGGER items_fts_update;
DROP TABLE items_fts;

CREATE VIEW items_search (id, title, summary, tags) AS
SELECT id, {fold_sql("title")}, {fold_sql("summary")}, tags FROM items;

CREATE VIRTUAL TABLE items_fts USING fts5 (
    title,
    summary,
    tags,
    content = 'items_search',
    content_rowid = 'id',
    {tokenize_option()}
);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, summary, tags)
    VALUES (new.id, {fold_sql("new.title")}, {fold_sql("new.summary")}, new.tags);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, tags)
    VALUES ('delete', old.id, {fold_sql("old.title")}, {fold_sql("old.summary")}, old.tags);
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, tags ON items
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.tags IS NOT new.tags
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, summary, tags)
    VALUES ('delete', old.id, {fold_sql("old.title")}, {fold_sql("old.summary")}, old.tags);
    INSERT INTO items_fts (rowid, title, summary, tags)
    VALUES (new.id, {fold_sql("new.title")}, {fold_sql("new.summary")}, new.tags);
END;

INSERT INTO items_fts (items_fts) VALUES ('rebuild');
"""

_V18_NOT_FOUND_STRIKES = """
-- A subscription's channel answering 404 (Unknown Channel) in a row: how many times, the first
-- and the last (bot/news/services/refusals.py). Kept here, not in the process: a bot restarted
-- more often than the rule's 20 minutes never disabled a deleted channel. Cleared by a success
-- and when the subscription is disabled.
ALTER TABLE subscriptions ADD COLUMN not_found_count INTEGER NOT NULL DEFAULT 0
    CHECK (not_found_count >= 0);
ALTER TABLE subscriptions ADD COLUMN not_found_first INTEGER;
ALTER TABLE subscriptions ADD COLUMN not_found_last INTEGER;
"""

_V19_DIGEST_COVERED_UNTIL = """
-- When a digest's summary was read (sent or found empty): a story that appeared after it (an
-- item first seen late, published in that period) was in no digest, and the next digest takes
-- it although it was published before its own period. NULL for digests made before.
ALTER TABLE digests ADD COLUMN covered_until INTEGER;
"""

_V20_DIGEST_SHOWN_STORIES = """
-- The stories a sent digest showed (a JSON array of story ids): the next digest's late reports
-- are read from a little before its summary was read (a poll begun before then may store its
-- items after), so one it showed could otherwise be shown again. NULL for digests made before.
ALTER TABLE digests ADD COLUMN shown_stories TEXT;
"""

MIGRATIONS: tuple[str, ...] = (
    _V1_INIT,
    _V2_SUBSCRIPTIONS_OUTBOX,
    _V3_STORIES_TOPICS,
    _V4_SUBSCRIPTION_TOPICS,
    _V5_DIGESTS_GUILD_SETTINGS,
    _V6_OUTBOX_ROUNDUPS,
    _V7_STORY_FEATURES_MERGES,
    _V8_STEMMED_SEARCH,
    _V9_FEED_DOCUMENTS,
    _V10_PINGS_STYLES_FOLLOW_ROLES,
    _V11_THREADS_PUBLISHING_EDITS,
    _V12_LEASES,
    _V13_DIGEST_PUBLISHING,
    _V14_DISABLED_NOTICES,
    _V15_STORY_STATE,
    _V16_WHOLE_INDIC_WORDS,
    _V17_FOLDED_SEARCH,
    _V18_NOT_FOUND_STRIKES,
    _V19_DIGEST_COVERED_UNTIL,
    _V20_DIGEST_SHOWN_STORIES,
)
"""Every migration's SQL, in order; the schema version is the length of this tuple."""

SCHEMA_VERSION = len(MIGRATIONS)


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (triggers keep their inner semicolons).

    Python's ``executescript`` commits any open transaction first, so migrations run their
    statements one by one inside the caller's transaction instead.
    """
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if _strip_comments(pending).strip(" \n\t;"):
                statements.append(pending.strip())
            pending = ""
    if _strip_comments(pending).strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending!r}")
    return statements


_ADD_COLUMN_RE = re.compile(
    r"ALTER\s+TABLE\s+(?P<table>\w+)\s+ADD\s+COLUMN\s+(?P<column>\w+)", re.IGNORECASE
)


async def _has_column(connection: aiosqlite.Connection, table: str, column: str) -> bool:
    async with connection.execute(
        "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column)
    ) as cursor:
        return await cursor.fetchone() is not None


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


async def migrate(connection: aiosqlite.Connection) -> int:
    """Bring the database to ``SCHEMA_VERSION``, one transaction per migration.

    Returns the version reached. Raises StorageError when the database is newer than this code
    (a downgrade is never attempted: forward-only). Safe against another process migrating the
    same file at the same time: the version is read again under each write lock.
    """
    # An up-to-date database (every start but the first after an upgrade) takes no write
    # lock: a read-only command must not write, nor wait behind the bot's writes.
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    if row is not None and int(row[0]) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    while True:
        try:
            await finish(connection, "BEGIN IMMEDIATE")
            async with connection.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            version = int(row[0]) if row is not None else 0
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"The database has schema version {version}, newer than the {SCHEMA_VERSION}"
                    " this Shopwire knows: upgrade Shopwire, or use another database file."
                )
            if version == SCHEMA_VERSION:
                await finish(connection, "COMMIT")
                return version
            for statement in split_statements(MIGRATIONS[version]):
                added = _ADD_COLUMN_RE.match(_strip_comments(statement).strip())
                if added and await _has_column(connection, added["table"], added["column"]):
                    # Already there: an earlier edition of a migration added it (migration 5
                    # held outbox.roundup for a while; it is migration 6 now).
                    continue
                await connection.execute(statement)
            # PRAGMA takes no parameters; the value is our own integer.
            await connection.execute(f"PRAGMA user_version = {version + 1}")
            await finish(connection, "COMMIT")
        except BaseException:
            if connection.in_transaction:
                await finish(connection, "ROLLBACK")
            raise

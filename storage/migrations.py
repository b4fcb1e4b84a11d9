"""Schema migrations, in order. Migration N brings ``PRAGMA user_version`` from N-1 to N.

Append new steps at the end; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable

import aiosqlite

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]


async def execute_script(conn: aiosqlite.Connection, script: str) -> None:
    """Run statements one by one inside the caller's transaction.

    ``executescript`` would COMMIT first and so break the one-transaction-per-migration rule.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            await conn.execute(pending)
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]}")


async def _v1_core(conn: aiosqlite.Connection) -> None:
    """Articles, chats, subscriptions, reading positions and deliveries."""
    await execute_script(
        conn,
        """
        CREATE TABLE articles (
            id           INTEGER PRIMARY KEY,
            title        TEXT NOT NULL CHECK (length(title) > 0),
            body         TEXT NOT NULL,
            url          TEXT,
            source       TEXT,
            category     TEXT,
            published_at TEXT,            -- as given, ISO 8601 with its offset
            sort_at      TEXT NOT NULL,   -- UTC ISO 8601: publication order
            created_at   TEXT NOT NULL,
            dedup_key    TEXT NOT NULL UNIQUE,  -- 'url:…' or 'hash:…'
            title_key    TEXT NOT NULL,   -- normalised title, to resolve site neighbours
            prev_title   TEXT,            -- the site's "Read Previous"
            next_title   TEXT             -- the site's "Read Next"
        );
        CREATE INDEX articles_by_order ON articles (sort_at, id);
        CREATE INDEX articles_by_title ON articles (title_key);

        CREATE TABLE chats (
            id         INTEGER PRIMARY KEY,   -- Telegram chat id
            kind       TEXT NOT NULL CHECK (kind IN ('private', 'group', 'supergroup', 'channel')),
            title      TEXT,
            username   TEXT,
            language   TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE subscriptions (
            chat_id            INTEGER PRIMARY KEY
                               REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
            active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            -- articles with a larger id are queued for this chat; starts at the newest id
            -- when it subscribes, so a new subscriber is not flooded with the back catalogue
            enqueued_through   INTEGER NOT NULL DEFAULT 0,
            subscribed_by      INTEGER,
            inactive_reason    TEXT,
            created_at         TEXT NOT NULL,
            updated_at         TEXT NOT NULL
        );
        CREATE INDEX subscriptions_active ON subscriptions (active);

        CREATE TABLE reading_positions (
            user_id    INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE deliveries (
            article_id      INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            chat_id         INTEGER NOT NULL
                            REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
            state           TEXT NOT NULL DEFAULT 'pending'
                            CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
            message_id      INTEGER,
            error           TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            priority        INTEGER NOT NULL DEFAULT 0,  -- urgent posts go first
            doubtful        INTEGER NOT NULL DEFAULT 0,  -- resent after a send was in flight
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            PRIMARY KEY (article_id, chat_id)
        );
        CREATE INDEX deliveries_by_state ON deliveries (state, chat_id, article_id);

        -- a /search query behind a "more results" button: callback data holds only its id
        CREATE TABLE saved_queries (
            id    INTEGER PRIMARY KEY,
            query TEXT NOT NULL UNIQUE
        );
        """,
    )


async def _v2_search(conn: aiosqlite.Connection) -> None:
    """The Arabic search index (see storage.search), filled with the articles already there."""
    # Imported here: storage.search is a user of the database, not part of its bootstrap.
    from storage import search

    await execute_script(
        conn,
        """
        -- Deleting an article unindexes it, whoever deletes it.
        CREATE TRIGGER articles_unindex AFTER DELETE ON articles BEGIN
            DELETE FROM article_search WHERE rowid = old.id;
        END;
        -- Covers the "newer first" tie-break of search ranking without reading article rows.
        CREATE INDEX articles_search_order ON articles (id, sort_at);
        -- What the index was built with (search.index_stamp); a change means re-index at start.
        CREATE TABLE search_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )
    # Creates the FTS5 table article_search (search.FTS_TABLE) and indexes existing articles.
    await search.rebuild_in(conn)


async def _v3_ingestion(conn: aiosqlite.Connection) -> None:
    """Feeds, every key a story is known by, the push policy, digests and edits in the outbox."""
    from storage import articles  # the identity rules live there, as for every new article

    await execute_script(
        conn,
        """
        -- How the article arrived: 'file' (load, SEEDS_DIR), 'archive' (load --archive),
        -- 'feed', 'editor'. Editors' posts go ahead of imports in a push.
        ALTER TABLE articles ADD COLUMN origin TEXT NOT NULL DEFAULT 'file';
        -- 0: stored and searchable but never pushed (an archive, a feed's first fetch, or
        -- first seen more than FRESH_HOURS after its publication).
        ALTER TABLE articles ADD COLUMN pushable INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE articles ADD COLUMN image TEXT;
        ALTER TABLE articles ADD COLUMN guid TEXT;
        -- The feed it came from (NULL: a file or an editor). Only that source corrects it:
        -- the same story in another feed, with its own headline, is not a correction.
        ALTER TABLE articles ADD COLUMN feed_id INTEGER;
        ALTER TABLE articles ADD COLUMN updated_at TEXT;
        ALTER TABLE articles ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

        -- Every key a story is known by: its canonical url, the urls it was seen under, its
        -- feed GUID, the hash of its text, and the fingerprint of each feed entry that
        -- carried it ('fp:…': the same entry again is skipped without fetching its page).
        CREATE TABLE article_keys (
            key        TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX article_keys_by_article ON article_keys (article_id);

        CREATE TABLE feeds (
            id              INTEGER PRIMARY KEY,
            url             TEXT NOT NULL UNIQUE,   -- as given
            from_settings   INTEGER NOT NULL DEFAULT 0,  -- listed in FEEDS (else /feeds add)
            added_by        INTEGER,
            created_at      TEXT NOT NULL,
            -- 1 after the first successful fetch: what was there then is never pushed
            primed          INTEGER NOT NULL DEFAULT 0,
            etag            TEXT,
            last_modified   TEXT,
            ttl_seconds     INTEGER,
            last_fetch_at   TEXT,
            last_success_at TEXT,
            last_outcome    TEXT,     -- new | updated | unchanged | error
            last_error      TEXT,
            last_new        INTEGER NOT NULL DEFAULT 0,
            total_new       INTEGER NOT NULL DEFAULT 0,
            failures        INTEGER NOT NULL DEFAULT 0,  -- in a row
            alerted         INTEGER NOT NULL DEFAULT 0,  -- editors were told it is failing
            next_fetch_at   TEXT
        );

        -- Files of SEEDS_DIR already loaded, so that a folder is watched cheaply.
        CREATE TABLE loaded_files (
            path      TEXT PRIMARY KEY,
            size      INTEGER NOT NULL,
            mtime_ns  INTEGER NOT NULL,
            loaded_at TEXT NOT NULL
        );

        -- Rows of one chat sharing a digest id go out as one message listing them.
        ALTER TABLE deliveries ADD COLUMN digest INTEGER;
        -- Articles of that push the digest names only by their number (past DIGEST_SIZE).
        ALTER TABLE deliveries ADD COLUMN digest_more INTEGER NOT NULL DEFAULT 0;
        -- Corrections owed to a delivered copy (bumped by each change of the article).
        ALTER TABLE deliveries ADD COLUMN edit_due INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN edit_error TEXT;
        CREATE INDEX deliveries_edits_due ON deliveries (chat_id) WHERE edit_due > 0;
        CREATE INDEX deliveries_by_message ON deliveries (chat_id, message_id);
        """,
    )
    rows = await conn.execute_fetchall(
        "SELECT id, title, body, url, dedup_key, published_at, created_at FROM articles"
    )
    keys: list[tuple[str, int]] = []
    stale: list[tuple[int]] = []
    for article_id, title, body, url, dedup_key, published_at, created_at in rows:
        keys.append((str(dedup_key), int(article_id)))
        keys.extend(
            (k, int(article_id)) for k in articles.identity_keys(str(title), str(body), url, None)
        )
        if not articles.is_fresh(published_at, str(created_at), articles.DEFAULT_FRESH_HOURS):
            stale.append((int(article_id),))
    await conn.executemany("INSERT OR IGNORE INTO article_keys VALUES (?, ?)", keys)
    await conn.executemany("UPDATE articles SET pushable = 0 WHERE id = ?", stale)
    # An archive loaded before this policy existed must not keep flooding readers.
    await conn.execute(
        "UPDATE deliveries SET state = 'skipped', error = 'not fresh news'"
        " WHERE state = 'pending' AND article_id IN (SELECT id FROM articles WHERE pushable = 0)"
    )


#: ``PRAGMA application_id`` of a newsbot database: "NEWS" in ASCII, at offset 68 of the header.
APPLICATION_ID = 0x4E455753


async def _v4_application_id(conn: aiosqlite.Connection) -> None:
    """Mark the file as newsbot's, so that another program's database is never taken for one."""
    # PRAGMA takes no parameters; the value is our constant. It is rolled back with the step.
    await conn.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")


async def _v5_withdrawals(conn: aiosqlite.Connection) -> None:
    """An editor may withdraw an article: its delivered copies owe a deletion."""
    await execute_script(
        conn,
        """
        -- Set when an editor withdrew it (/delete): out of /latest, search and navigation.
        ALTER TABLE articles ADD COLUMN withdrawn_at TEXT;
        -- A delivered copy owes a deletion; once done, deleted = 1, or delete_error says why not.
        ALTER TABLE deliveries ADD COLUMN delete_due INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN delete_error TEXT;
        CREATE INDEX deliveries_deletes_due ON deliveries (chat_id) WHERE delete_due > 0;
        """,
    )


async def _v6_audit(conn: aiosqlite.Connection) -> None:
    """The editors' audit trail: who published, edited and withdrew what, and when."""
    await execute_script(
        conn,
        """
        CREATE TABLE audit (
            id         INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL,   -- kept after a withdrawal: no foreign key
            action     TEXT NOT NULL,      -- published | urgent | edited | deleted
            user_id    INTEGER,
            user_name  TEXT,
            at         TEXT NOT NULL,
            detail     TEXT
        );
        CREATE INDEX audit_by_article ON audit (article_id, id);
        """,
    )


async def _v7_drafts(conn: aiosqlite.Connection) -> None:
    """Editors' drafts and scheduled posts (issue 8): nothing reaches readers before Publish."""
    await execute_script(
        conn,
        """
        -- A /post (or /urgent) waiting for its editor's decision. It becomes an article only
        -- when Publish or Urgent is pressed (or, scheduled, when its time comes).
        CREATE TABLE drafts (
            id           INTEGER PRIMARY KEY,
            editor_id    INTEGER NOT NULL,   -- who wrote it
            editor_name  TEXT,
            chat_id      INTEGER NOT NULL,   -- where its preview was sent
            title        TEXT NOT NULL CHECK (length(title) > 0),
            body         TEXT NOT NULL,
            url          TEXT,
            image        TEXT,               -- the editor's photo: a Telegram file_id
            urgent       INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
            publish_at   TEXT,               -- UTC ISO 8601; NULL: when a button is pressed
            state        TEXT NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'scheduled', 'published', 'cancelled',
                                          'duplicate')),
            article_id   INTEGER,            -- once published (or the article it duplicates)
            decided_by   INTEGER,            -- who pressed Publish, Urgent or Cancel
            decided_name TEXT,
            decided_at   TEXT,
            created_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL
        );
        CREATE INDEX drafts_due ON drafts (publish_at) WHERE state = 'scheduled';
        """,
    )


async def _v8_follows(conn: aiosqlite.Connection) -> None:
    """Chats' followed keywords and topics, with their analysed terms (issue 9)."""
    await execute_script(
        conn,
        """
        -- 1: the chat gets every new article; 0: only those its follows match (storage.follows).
        ALTER TABLE subscriptions ADD COLUMN everything INTEGER NOT NULL DEFAULT 1
            CHECK (everything IN (0, 1));
        CREATE TABLE follows (
            id         INTEGER PRIMARY KEY,
            chat_id    INTEGER NOT NULL
                       REFERENCES chats (id) ON UPDATE CASCADE ON DELETE CASCADE,
            kind       TEXT NOT NULL CHECK (kind IN ('words', 'topic')),
            label      TEXT NOT NULL,      -- as the reader typed it, shown by /following
            key        TEXT NOT NULL,      -- canonical form: the same key is the same follow
            slots      INTEGER NOT NULL,   -- follow_keys slots that must all match
            phrases    TEXT,               -- JSON stems of its phrases (adjacency), or NULL
            created_at TEXT NOT NULL,
            UNIQUE (chat_id, key)
        );
        -- The inverted index: a key an article may hold -> the follows waiting for it, with
        -- their chat. need = 0: the follow's only key set (one word, a topic), nothing more
        -- to check; else the number of slots that must all match (and its phrases, if any).
        CREATE TABLE follow_keys (
            key       TEXT NOT NULL,
            need      INTEGER NOT NULL,
            chat_id   INTEGER NOT NULL,
            follow_id INTEGER NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
            slot      INTEGER NOT NULL,
            PRIMARY KEY (key, need, chat_id, follow_id, slot)
        ) WITHOUT ROWID;
        CREATE INDEX follow_keys_by_follow ON follow_keys (follow_id);
        -- A group that became a supergroup takes its follows along (chats.migrate_chat).
        CREATE TRIGGER follows_moved AFTER UPDATE OF chat_id ON follows BEGIN
            UPDATE follow_keys SET chat_id = new.chat_id WHERE follow_id = new.id;
        END;
        -- Every change of follow_keys, in order: the process keeps the index in memory
        -- (storage.follows), applies what it has not seen, and prunes what it has.
        CREATE TABLE follow_log (
            seq       INTEGER PRIMARY KEY AUTOINCREMENT,
            key       TEXT NOT NULL,
            need      INTEGER NOT NULL,
            chat_id   INTEGER NOT NULL,
            follow_id INTEGER NOT NULL,
            slot      INTEGER NOT NULL,
            delta     INTEGER NOT NULL CHECK (delta IN (-1, 1))
        );
        CREATE TRIGGER follow_keys_added AFTER INSERT ON follow_keys BEGIN
            INSERT INTO follow_log (key, need, chat_id, follow_id, slot, delta)
            VALUES (new.key, new.need, new.chat_id, new.follow_id, new.slot, 1);
        END;
        CREATE TRIGGER follow_keys_removed AFTER DELETE ON follow_keys BEGIN
            INSERT INTO follow_log (key, need, chat_id, follow_id, slot, delta)
            VALUES (old.key, old.need, old.chat_id, old.follow_id, old.slot, -1);
        END;
        CREATE TRIGGER follow_keys_moved AFTER UPDATE OF chat_id ON follow_keys BEGIN
            INSERT INTO follow_log (key, need, chat_id, follow_id, slot, delta)
            VALUES (old.key, old.need, old.chat_id, old.follow_id, old.slot, -1);
            INSERT INTO follow_log (key, need, chat_id, follow_id, slot, delta)
            VALUES (new.key, new.need, new.chat_id, new.follow_id, new.slot, 1);
        END;
        -- /topics lists the categories without reading every article.
        CREATE INDEX articles_by_category ON articles (category, withdrawn_at);
        """,
    )


async def _v9_chat_settings(conn: aiosqlite.Connection) -> None:
    """A chat's own choices: language, quiet hours, digest period, pause (issue 9)."""
    await execute_script(
        conn,
        """
        CREATE TABLE chat_settings (
            chat_id     INTEGER PRIMARY KEY,   -- chats.id; moved along when a group migrates
            language    TEXT CHECK (language IN ('ar', 'en')),  -- /language; NULL: automatic
            quiet_start TEXT,                  -- 'HH:MM' in TIMEZONE; NULL: no quiet hours
            quiet_end   TEXT,                  -- 'HH:MM'; the window may cross midnight
            digest      TEXT NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'hourly', 'daily')),
            digest_at   TEXT,                  -- 'HH:MM' of a daily digest
            paused      INTEGER NOT NULL DEFAULT 0,  -- 1: nothing is queued for the chat
            updated_at  TEXT NOT NULL
        );
        """,
    )


async def _v10_opens(conn: aiosqlite.Connection) -> None:
    """Opens of articles, once per reader per article, for /popular (issue 9)."""
    await execute_script(
        conn,
        """
        -- A reader's first open of an article (a button, a deep link, a chosen inline result);
        -- opening it again counts nothing. Kept after the window so a reader never counts twice.
        CREATE TABLE article_opens (
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            user_id    INTEGER NOT NULL,
            opened_at  TEXT NOT NULL,   -- UTC ISO 8601, as utcnow() writes it
            PRIMARY KEY (article_id, user_id)
        ) WITHOUT ROWID;
        -- /popular counts the opens of a window: a range scan that never reads the rows.
        CREATE INDEX article_opens_by_time ON article_opens (opened_at, article_id);
        """,
    )


async def _v11_sent_at(conn: aiosqlite.Connection) -> None:
    """When each copy was sent, for the editors' chart of messages per hour."""
    await execute_script(
        conn,
        """
        ALTER TABLE deliveries ADD COLUMN sent_at TEXT;
        UPDATE deliveries SET sent_at = updated_at WHERE state = 'sent';
        CREATE INDEX deliveries_by_sent_at ON deliveries (sent_at) WHERE sent_at IS NOT NULL;
        """,
    )


MIGRATIONS: list[Migration] = [
    _v1_core,
    _v2_search,
    _v3_ingestion,
    _v4_application_id,
    _v5_withdrawals,
    _v6_audit,
    _v7_drafts,
    _v8_follows,
    _v9_chat_settings,
    _v10_opens,
    _v11_sent_at,
]

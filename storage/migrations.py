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


MIGRATIONS: list[Migration] = [_v1_core, _v2_search]

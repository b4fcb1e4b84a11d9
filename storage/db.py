"""The one connection of a process, its pragmas and its migrations.

Migrations are ordered functions keyed by ``PRAGMA user_version``; each runs in its own
transaction together with its version bump, so a crash leaves the database at a known version.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from storage import search
from storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)


#: How long a statement waits for another connection's write lock before "database is locked".
BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """The current time as the ISO 8601 UTC text stored in every ``*_at`` column."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Database:
    """One aiosqlite connection with a transaction helper.

    aiosqlite runs every statement on one worker thread, so statements never interleave;
    ``transaction()`` also takes an asyncio lock so that two coroutines never share one
    ``BEGIN … COMMIT``.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error).

        Never await Telegram inside: the write lock would be held across the network.
        """
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    async def close(self) -> None:
        await self.conn.close()


_HEADER = b"SQLite format 3\0"


def _check_file(path: Path) -> None:
    """Refuse what is plainly no database before aiosqlite starts its thread.

    aiosqlite's worker may still be answering a failed connect after the caller's event loop
    closed, and then prints a traceback; this check keeps those cases out of it.
    """
    if path.is_dir():
        raise sqlite3.OperationalError("unable to open database file: it is a folder")
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if f.read(len(_HEADER)) != _HEADER:
                raise sqlite3.DatabaseError("file is not a database")


async def open_database(path: Path | str) -> Database:
    """Open (creating the folder and file as needed), set pragmas, migrate to the latest."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _check_file(Path(path))
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    db = Database(conn)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        # Another process (a load beside the running bot) may hold the write lock a while.
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await migrate(db)
        await search.ensure_index(db)  # re-index when the Arabic analyser has changed
    except BaseException:
        await conn.close()
        raise
    return db


async def schema_version(db: Database) -> int:
    async with db.conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def migrate(db: Database) -> None:
    """Apply every migration above the database's ``user_version``, each in one transaction."""
    current = await schema_version(db)
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        async with db.transaction() as conn:
            await step(conn)
            # PRAGMA takes no parameters; version is an int we control.
            await conn.execute(f"PRAGMA user_version = {version:d}")
        logger.info("database migrated to version %d", version)

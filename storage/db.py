"""The one connection of a process, its pragmas and its migrations.

Migrations are ordered functions keyed by ``PRAGMA user_version``; each runs in its own
transaction together with its version bump, so a crash leaves the database at a known version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from storage import search
from storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)


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


async def open_database(path: Path | str) -> Database:
    """Open (creating the folder and file as needed), set pragmas, migrate to the latest."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    db = Database(conn)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
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

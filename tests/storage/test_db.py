"""The connection's pragmas and migrations by user_version."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage import Database, open_database
from storage.db import schema_version
from storage.migrations import MIGRATIONS


async def test_fresh_database_is_at_the_latest_version_with_wal_and_foreign_keys(
    db: Database,
) -> None:
    assert await schema_version(db) == len(MIGRATIONS)
    async with db.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
    async with db.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]


async def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "n.db"  # folders are created
    db = await open_database(path)
    await db.conn.execute("INSERT INTO saved_queries (query) VALUES ('x')")
    await db.close()
    db = await open_database(path)
    async with db.conn.execute("SELECT count(*) FROM saved_queries") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    await db.close()


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO saved_queries (query) VALUES ('x')")
            await conn.execute("INSERT INTO saved_queries (query) VALUES ('x')")  # UNIQUE
    except aiosqlite.IntegrityError:
        pass
    async with db.conn.execute("SELECT count(*) FROM saved_queries") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]

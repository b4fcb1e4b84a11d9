"""Search queries saved behind "more results" buttons.

Callback data is limited to 64 bytes, too short for most Arabic queries, so a button carries
the id of the saved query instead; saved in SQLite, the button still works after a restart.
"""

from __future__ import annotations

from storage.db import Database


async def remember(db: Database, query: str) -> int:
    async with db.transaction() as conn:
        await conn.execute("INSERT OR IGNORE INTO saved_queries (query) VALUES (?)", (query,))
        async with conn.execute("SELECT id FROM saved_queries WHERE query = ?", (query,)) as cur:
            row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def recall(db: Database, query_id: int) -> str | None:
    async with db.conn.execute("SELECT query FROM saved_queries WHERE id = ?", (query_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])

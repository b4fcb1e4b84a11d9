"""Who did what to an article, and when: the editors' audit trail (``/history N``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from storage.db import Database, utcnow

#: "drafted" and "scheduled" are written when the draft becomes the article (it has no number
#: before), each with the time it happened.
Action = Literal["drafted", "scheduled", "published", "urgent", "edited", "deleted"]


@dataclass(frozen=True)
class Entry:
    article_id: int
    action: str
    user_id: int | None
    user_name: str | None
    at: str
    detail: str | None


async def record(
    db: Database,
    article_id: int,
    action: Action,
    user_id: int | None,
    user_name: str | None = None,
    detail: str | None = None,
) -> None:
    async with db.transaction() as conn:
        await record_in(conn, article_id, action, user_id, user_name, detail)


async def record_in(
    conn: aiosqlite.Connection,
    article_id: int,
    action: Action,
    user_id: int | None,
    user_name: str | None = None,
    detail: str | None = None,
    at: str | None = None,
) -> None:
    """``record`` inside a transaction the caller holds; ``at`` defaults to now."""
    await conn.execute(
        "INSERT INTO audit (article_id, action, user_id, user_name, at, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (article_id, action, user_id, user_name, at or utcnow(), detail),
    )


async def history(db: Database, article_id: int) -> list[Entry]:
    """The article's trail, oldest first."""
    rows = await db.conn.execute_fetchall(
        "SELECT article_id, action, user_id, user_name, at, detail FROM audit"
        " WHERE article_id = ? ORDER BY id",
        (article_id,),
    )
    return [Entry(*row) for row in rows]

"""Who did what to an article, and when: the editors' audit trail (``/history N``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storage.db import Database, utcnow

Action = Literal["published", "urgent", "edited", "deleted"]


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
        await conn.execute(
            "INSERT INTO audit (article_id, action, user_id, user_name, at, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (article_id, action, user_id, user_name, utcnow(), detail),
        )


async def history(db: Database, article_id: int) -> list[Entry]:
    """The article's trail, oldest first."""
    rows = await db.conn.execute_fetchall(
        "SELECT article_id, action, user_id, user_name, at, detail FROM audit"
        " WHERE article_id = ? ORDER BY id",
        (article_id,),
    )
    return [Entry(*row) for row in rows]

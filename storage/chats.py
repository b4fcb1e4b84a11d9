"""Chats, their subscriptions and each reader's reading position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storage.db import Database, utcnow

ChatKind = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class Chat:
    id: int
    kind: str
    title: str | None
    username: str | None
    language: str | None


@dataclass(frozen=True)
class Subscription:
    chat_id: int
    kind: str
    active: bool
    language: str | None
    inactive_reason: str | None


async def upsert_chat(
    db: Database,
    chat_id: int,
    kind: str,
    *,
    title: str | None = None,
    username: str | None = None,
    language: str | None = None,
) -> None:
    """Record a chat, or refresh what we know of it (a known language is never erased)."""
    now = utcnow()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO chats (id, kind, title, username, language, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,"
            " username = excluded.username,"
            " language = coalesce(excluded.language, chats.language),"
            " updated_at = excluded.updated_at",
            (chat_id, kind, title, username, language, now, now),
        )


async def get_chat(db: Database, chat_id: int) -> Chat | None:
    async with db.conn.execute(
        "SELECT id, kind, title, username, language FROM chats WHERE id = ?", (chat_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else Chat(*row)


async def subscribe(db: Database, chat_id: int, by_user: int | None) -> bool:
    """Activate a chat's subscription; return False when it was already active.

    A new or renewed subscription starts after the newest article, so the chat receives what
    arrives from now on, not the back catalogue.
    """
    now = utcnow()
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT active, everything FROM subscriptions WHERE chat_id = ?", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is not None and row[0]:
            if row[1]:
                return False
            # A chat that only followed keywords (storage.follows) now takes everything.
            await conn.execute(
                "UPDATE subscriptions SET everything = 1, updated_at = ? WHERE chat_id = ?",
                (now, chat_id),
            )
            return True
        async with conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
            newest = await cur.fetchone()
        assert newest is not None
        await conn.execute(
            "INSERT INTO subscriptions (chat_id, active, enqueued_through, subscribed_by,"
            " created_at, updated_at) VALUES (?, 1, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET active = 1, everything = 1,"
            " enqueued_through = excluded.enqueued_through,"
            " subscribed_by = excluded.subscribed_by, inactive_reason = NULL,"
            " updated_at = excluded.updated_at",
            (chat_id, int(newest[0]), by_user, now, now),
        )
        # Whatever was still queued from an earlier subscription is not owed any more.
        await conn.execute(
            "UPDATE deliveries SET state = 'skipped', updated_at = ?"
            " WHERE chat_id = ? AND state IN ('pending', 'sending')",
            (now, chat_id),
        )
    return True


async def unsubscribe(db: Database, chat_id: int, reason: str = "unsubscribed") -> bool:
    """Deactivate a chat's subscription and drop what it was still owed.

    Return False when there was no active subscription.
    """
    now = utcnow()
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE subscriptions SET active = 0, inactive_reason = ?, updated_at = ?"
            " WHERE chat_id = ? AND active = 1",
            (reason, now, chat_id),
        )
        changed = cur.rowcount > 0
        await conn.execute(
            "UPDATE deliveries SET state = 'skipped', error = ?, updated_at = ?"
            " WHERE chat_id = ? AND state IN ('pending', 'sending')",
            (reason, now, chat_id),
        )
    return changed


async def subscription(db: Database, chat_id: int) -> Subscription | None:
    async with db.conn.execute(
        "SELECT s.chat_id, c.kind, s.active, c.language, s.inactive_reason"
        " FROM subscriptions s JOIN chats c ON c.id = s.chat_id WHERE s.chat_id = ?",
        (chat_id,),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return Subscription(row[0], row[1], bool(row[2]), row[3], row[4])


async def migrate_chat(db: Database, old_id: int, new_id: int) -> None:
    """Follow a group that became a supergroup: its subscription and outbox move to the new id."""
    now = utcnow()
    async with db.transaction() as conn:
        # The chat's own choices (no foreign key) come along; ones made in the new chat win.
        await conn.execute(
            "UPDATE OR IGNORE chat_settings SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
        )
        await conn.execute("DELETE FROM chat_settings WHERE chat_id = ?", (old_id,))
        async with conn.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,)) as cur:
            exists = await cur.fetchone() is not None
        if not exists:
            # ON UPDATE CASCADE carries subscriptions and deliveries along.
            await conn.execute(
                "UPDATE chats SET id = ?, kind = 'supergroup', updated_at = ? WHERE id = ?",
                (new_id, now, old_id),
            )
            return
        # The new chat is already known: move what the old one had, then forget it.
        await conn.execute(
            "INSERT OR IGNORE INTO subscriptions (chat_id, active, enqueued_through,"
            " subscribed_by, created_at, updated_at, everything)"
            " SELECT ?, active, enqueued_through, subscribed_by, created_at, ?, everything"
            " FROM subscriptions WHERE chat_id = ?",
            (new_id, now, old_id),
        )
        await conn.execute(
            "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
        )
        # Its follows too (a trigger moves their index keys); ones the new chat has win.
        await conn.execute(
            "UPDATE OR IGNORE follows SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
        )
        await conn.execute("DELETE FROM chats WHERE id = ?", (old_id,))


async def count_active_by_kind(db: Database) -> dict[str, int]:
    async with db.conn.execute(
        "SELECT c.kind, count(*) FROM subscriptions s JOIN chats c ON c.id = s.chat_id"
        " WHERE s.active = 1 GROUP BY c.kind"
    ) as cur:
        return {str(kind): int(n) for kind, n in await cur.fetchall()}


async def set_position(db: Database, user_id: int, article_id: int) -> None:
    """Remember the article this reader last opened (survives restarts)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO reading_positions (user_id, article_id, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET article_id = excluded.article_id,"
            " updated_at = excluded.updated_at",
            (user_id, article_id, utcnow()),
        )


async def get_position(db: Database, user_id: int) -> int | None:
    async with db.conn.execute(
        "SELECT article_id FROM reading_positions WHERE user_id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else int(row[0])

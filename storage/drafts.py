"""Editors' drafts: a /post waits here until Publish, Urgent or Cancel (or its scheduled time).

A draft is not an article: nothing of it is queued, searchable or listed until it is
published, and publishing is one transaction (the article stored as the editor's, its audit
trail written, urgent news queued), so a draft becomes one article at most, however often and
by however many editors its buttons are pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from storage import articles, audit, deliveries
from storage.articles import Arrival, NewArticle
from storage.db import Database, utcnow

State = Literal["draft", "scheduled", "published", "cancelled", "duplicate"]
#: What happened when a button was pressed (or the time came).
Outcome = Literal[
    "published",  # the article is stored (and, urgent, queued)
    "scheduled",  # it will be published at ``publish_at``
    "cancelled",
    "duplicate",  # the same story is already an article: nothing stored
    "already",  # decided before (a second press): see ``Decision.draft.state``
    "missing",  # no such draft
]


@dataclass(frozen=True)
class Draft:
    id: int
    editor_id: int
    editor_name: str | None
    chat_id: int
    title: str
    body: str
    url: str | None
    image: str | None
    #: Drafted with /urgent (its preview carries the breaking-news mark).
    urgent: bool
    #: UTC ISO 8601; None: published when a button is pressed.
    publish_at: str | None
    state: State
    article_id: int | None
    decided_by: int | None
    decided_name: str | None
    decided_at: str | None
    created_at: str

    def article(self, published_at: str) -> NewArticle:
        """The article this draft becomes, dated ``published_at``."""
        return NewArticle(
            title=self.title,
            body=self.body,
            url=self.url,
            image=self.image,
            published_at=published_at,
        )


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    draft: Draft | None
    #: How many subscriptions urgent news was queued for (0 otherwise).
    queued: int = 0


_COLUMNS = (
    "id, editor_id, editor_name, chat_id, title, body, url, image, urgent, publish_at, state,"
    " article_id, decided_by, decided_name, decided_at, created_at"
)


def _draft(row: aiosqlite.Row) -> Draft:
    values = list(row)
    values[8] = bool(values[8])
    return Draft(*values)


async def create(
    db: Database,
    article: NewArticle,
    *,
    editor_id: int,
    editor_name: str | None,
    chat_id: int,
    urgent: bool = False,
    publish_at: str | None = None,
) -> Draft:
    """Store a checked article as a draft (see ``storage.importers.check_article``)."""
    now = utcnow()
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO drafts (editor_id, editor_name, chat_id, title, body, url, image,"
            " urgent, publish_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                editor_id,
                editor_name,
                chat_id,
                article.title,
                article.body,
                article.url,
                article.image,
                int(urgent),
                publish_at,
                now,
                now,
            ),
        )
        draft_id = cur.lastrowid
        assert draft_id is not None
        found = await _get_in(conn, draft_id)
    assert found is not None
    return found


async def _get_in(conn: aiosqlite.Connection, draft_id: int) -> Draft | None:
    rows = list(
        await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM drafts WHERE id = ?", (draft_id,))
    )
    return _draft(rows[0]) if rows else None


async def get(db: Database, draft_id: int) -> Draft | None:
    return await _get_in(db.conn, draft_id)


async def decide(
    db: Database,
    draft_id: int,
    action: Literal["publish", "urgent", "cancel"],
    user_id: int,
    user_name: str | None,
) -> Decision:
    """An editor pressed a draft's button. Publish or Urgent publishes it now, or schedules it
    when it has a time; Cancel drops it (a scheduled one too). Only the first decision counts:
    any later press gets ``already`` with the draft as it stands."""
    now = utcnow()
    async with db.transaction() as conn:
        draft = await _get_in(conn, draft_id)
        if draft is None:
            return Decision("missing", None)
        if action == "cancel":
            if draft.state not in ("draft", "scheduled"):
                return Decision("already", draft)
            await _set_state(conn, draft, "cancelled", user_id, user_name, now)
            return Decision("cancelled", await _get_in(conn, draft_id))
        if draft.state != "draft":
            return Decision("already", draft)
        urgent = action == "urgent"
        if draft.publish_at is not None and draft.publish_at > now:
            await conn.execute(
                "UPDATE drafts SET state = 'scheduled', urgent = ?, decided_by = ?,"
                " decided_name = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                (int(urgent), user_id, user_name, now, now, draft_id),
            )
            return Decision("scheduled", await _get_in(conn, draft_id))
        return await _publish_in(conn, draft, urgent, user_id, user_name, now)


async def _set_state(
    conn: aiosqlite.Connection,
    draft: Draft,
    state: State,
    user_id: int | None,
    user_name: str | None,
    now: str,
) -> None:
    await conn.execute(
        "UPDATE drafts SET state = ?, decided_by = coalesce(?, decided_by),"
        " decided_name = coalesce(?, decided_name), decided_at = coalesce(decided_at, ?),"
        " updated_at = ? WHERE id = ?",
        (state, user_id, user_name, now, now, draft.id),
    )


async def _publish_in(
    conn: aiosqlite.Connection,
    draft: Draft,
    urgent: bool,
    user_id: int | None,
    user_name: str | None,
    now: str,
) -> Decision:
    """The one way a draft becomes an article: stored as the editor's (ahead of imports in a
    push, never folded into a list), its trail written, urgent news queued at once."""
    article_id, added = await articles.add_in(
        conn, draft.article(now), Arrival(origin="editor", update=False)
    )
    if not added:
        await conn.execute(
            "UPDATE drafts SET state = 'duplicate', article_id = ?, updated_at = ? WHERE id = ?",
            (article_id, now, draft.id),
        )
        return Decision("duplicate", await _get_in(conn, draft.id))
    await audit.record_in(
        conn, article_id, "drafted", draft.editor_id, draft.editor_name, at=draft.created_at
    )
    if draft.publish_at is not None and draft.decided_at is not None:
        await audit.record_in(
            conn,
            article_id,
            "scheduled",
            draft.decided_by,
            draft.decided_name,
            detail=draft.publish_at,
            at=draft.decided_at,
        )
    await audit.record_in(
        conn, article_id, "urgent" if urgent else "published", user_id, user_name
    )
    queued = 0
    if urgent:
        queued = await deliveries.enqueue_article_in(conn, article_id, deliveries.PRIORITY_URGENT)
    await conn.execute(
        "UPDATE drafts SET state = 'published', urgent = ?, article_id = ?,"
        " decided_by = coalesce(decided_by, ?), decided_name = coalesce(decided_name, ?),"
        " decided_at = coalesce(decided_at, ?), updated_at = ? WHERE id = ?",
        (int(urgent), article_id, user_id, user_name, now, now, draft.id),
    )
    return Decision("published", await _get_in(conn, draft.id), queued)


async def publish_due(db: Database) -> list[Decision]:
    """Publish every scheduled draft whose time has come (one transaction each), oldest time
    first; a time that passed while the bot was down counts as come."""
    now = utcnow()
    rows = await db.conn.execute_fetchall(
        "SELECT id FROM drafts WHERE state = 'scheduled' AND publish_at <= ?"
        " ORDER BY publish_at, id",
        (now,),
    )
    done: list[Decision] = []
    for (draft_id,) in rows:
        async with db.transaction() as conn:
            draft = await _get_in(conn, int(draft_id))
            if draft is None or draft.state != "scheduled":
                continue  # cancelled meanwhile
            # Published in the name of the editor who scheduled it.
            decision = await _publish_in(
                conn, draft, draft.urgent, draft.decided_by, draft.decided_name, utcnow()
            )
        done.append(decision)
    return done


async def scheduled(db: Database) -> list[Draft]:
    """Drafts waiting for their time, the soonest first."""
    rows = await db.conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM drafts WHERE state = 'scheduled' ORDER BY publish_at, id"
    )
    return [_draft(r) for r in rows]

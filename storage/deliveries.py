"""The outbox: one row per (article, chat), written before the send and finished after it.

States: pending → sending → sent | failed | skipped. A row found in ``sending`` at start-up
was in flight when the process died; it goes back to pending marked doubtful, since Telegram
has no idempotency key and the message may or may not have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storage.db import Database, utcnow


@dataclass(frozen=True)
class Due:
    """A delivery that may be attempted now."""

    article_id: int
    chat_id: int
    kind: str
    language: str | None
    attempts: int
    priority: int
    #: Not to be sent before this UTC ISO time (a retry's wait), or None.
    not_before: str | None = None


async def enqueue_new(db: Database) -> int:
    """Queue every article that arrived since each active subscription's last enqueue."""
    now = utcnow()
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO deliveries (article_id, chat_id, state, created_at, updated_at)"
            " SELECT a.id, s.chat_id, 'pending', ?, ? FROM subscriptions s"
            " JOIN articles a ON a.id > s.enqueued_through WHERE s.active = 1",
            (now, now),
        )
        added = cur.rowcount
        await conn.execute(
            "UPDATE subscriptions SET enqueued_through ="
            " (SELECT coalesce(max(id), 0) FROM articles)"
            " WHERE active = 1 AND enqueued_through < (SELECT coalesce(max(id), 0) FROM articles)"
        )
    return max(added, 0)


async def enqueue_article(db: Database, article_id: int, priority: int = 0) -> int:
    """Queue one article now for every active subscription (urgent posts)."""
    now = utcnow()
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO deliveries (article_id, chat_id, state, priority,"
            " created_at, updated_at)"
            " SELECT ?, s.chat_id, 'pending', ?, ?, ? FROM subscriptions s"
            " WHERE s.active = 1 AND s.enqueued_through < ?",
            (article_id, priority, now, now, article_id),
        )
        return max(cur.rowcount, 0)


async def recover_in_flight(db: Database) -> int:
    """At start-up: sends that were in flight at a crash go back to pending, marked doubtful."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE deliveries SET state = 'pending', doubtful = 1, updated_at = ?"
            " WHERE state = 'sending'",
            (utcnow(),),
        )
        return max(cur.rowcount, 0)


async def pending(db: Database, limit: int = 100_000) -> list[Due]:
    """Every pending delivery of an active subscription: urgent first, then oldest article.

    Rows waiting for a retry come too, with ``not_before``; the sender keeps their time.
    """
    async with db.conn.execute(
        "SELECT d.article_id, d.chat_id, c.kind, c.language, d.attempts, d.priority,"
        " d.next_attempt_at"
        " FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " JOIN subscriptions s ON s.chat_id = d.chat_id AND s.active = 1"
        " WHERE d.state = 'pending'"
        " ORDER BY d.priority DESC, d.article_id, d.chat_id LIMIT ?",
        (limit,),
    ) as cur:
        return [Due(*row) for row in await cur.fetchall()]


async def due(db: Database, limit: int = 100_000) -> list[Due]:
    """Pending deliveries whose time has come."""
    now = utcnow()
    return [d for d in await pending(db, limit) if d.not_before is None or d.not_before <= now]


async def _set(db: Database, article_id: int, chat_id: int, sql: str, *args: object) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            f"UPDATE deliveries SET {sql}, updated_at = ? WHERE article_id = ? AND chat_id = ?",
            (*args, utcnow(), article_id, chat_id),
        )


async def mark_sending(db: Database, article_id: int, chat_id: int) -> bool:
    """Claim a pending row for sending; False when it is no longer pending (say, the chat
    unsubscribed meanwhile), and then it must not be sent."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ?"
            " WHERE article_id = ? AND chat_id = ? AND state = 'pending'",
            (utcnow(), article_id, chat_id),
        )
        return cur.rowcount > 0


async def mark_sent(db: Database, article_id: int, chat_id: int, message_id: int) -> None:
    await _set(db, article_id, chat_id, "state = 'sent', message_id = ?, error = NULL", message_id)


async def mark_failed(db: Database, article_id: int, chat_id: int, error: str) -> None:
    await _set(db, article_id, chat_id, "state = 'failed', error = ?", error)


async def mark_retry(
    db: Database,
    article_id: int,
    chat_id: int,
    error: str,
    next_attempt_at: str,
    *,
    doubtful: bool = False,
) -> None:
    """Back to pending, not before ``next_attempt_at`` (UTC ISO text).

    ``doubtful``: the failed send may have arrived all the same (a time-out).
    """
    await _set(
        db,
        article_id,
        chat_id,
        "state = 'pending', error = ?, next_attempt_at = ?, doubtful = max(doubtful, ?)",
        error,
        next_attempt_at,
        int(doubtful),
    )


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int
    failed: int
    pending: int
    skipped: int
    doubtful: int


async def counts(db: Database) -> DeliveryCounts:
    async with db.conn.execute(
        "SELECT"
        " coalesce(sum(state = 'sent'), 0), coalesce(sum(state = 'failed'), 0),"
        " coalesce(sum(state IN ('pending', 'sending')), 0), coalesce(sum(state = 'skipped'), 0),"
        " coalesce(sum(doubtful), 0) FROM deliveries"
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return DeliveryCounts(*(int(v) for v in row))


async def recently_sent(db: Database, seconds: int) -> list[tuple[int, str]]:
    """(chat, kind) of the chats sent to, or being sent to, in the last ``seconds``.

    After a restart the sender spaces its first message to these as if it had just sent.
    """
    since = (datetime.now(UTC) - timedelta(seconds=seconds)).replace(microsecond=0).isoformat()
    async with db.conn.execute(
        "SELECT DISTINCT d.chat_id, c.kind FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " WHERE d.updated_at >= ? AND (d.state = 'sent' OR d.doubtful = 1)",
        (since,),
    ) as cur:
        return [(int(chat_id), str(kind)) for chat_id, kind in await cur.fetchall()]


async def recent_outcomes(db: Database, chat_id: int, n: int) -> list[str]:
    """The states of a chat's last ``n`` finished deliveries, newest first."""
    async with db.conn.execute(
        "SELECT state FROM deliveries WHERE chat_id = ? AND state IN ('sent', 'failed')"
        " ORDER BY updated_at DESC, article_id DESC LIMIT ?",
        (chat_id, n),
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def sent_in_last(db: Database, seconds: int) -> int:
    """How many deliveries were sent in the last ``seconds`` (for the send rate)."""
    since = (datetime.now(UTC) - timedelta(seconds=seconds)).replace(microsecond=0).isoformat()
    async with db.conn.execute(
        "SELECT count(*) FROM deliveries WHERE state = 'sent' AND updated_at >= ?", (since,)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


@dataclass(frozen=True)
class ArticleReport:
    """What happened to one article's deliveries."""

    article_id: int
    title: str
    sent: int
    pending: int
    failed: dict[str, int] = field(default_factory=dict)


async def latest_reports(db: Database, limit: int = 5) -> list[ArticleReport]:
    """For the newest articles that were queued: chats reached, pending, failed by reason."""
    async with db.conn.execute(
        "SELECT a.id, a.title,"
        " coalesce(sum(d.state = 'sent'), 0), coalesce(sum(d.state IN ('pending', 'sending')), 0)"
        " FROM articles a JOIN deliveries d ON d.article_id = a.id"
        " GROUP BY a.id ORDER BY a.id DESC LIMIT ?",
        (limit,),
    ) as cur:
        rows = await cur.fetchall()
    reports = []
    for article_id, title, sent, waiting in rows:
        async with db.conn.execute(
            "SELECT coalesce(error, 'unknown'), count(*) FROM deliveries"
            " WHERE article_id = ? AND state = 'failed' GROUP BY 1 ORDER BY 2 DESC",
            (article_id,),
        ) as cur:
            failed = {str(reason): int(n) for reason, n in await cur.fetchall()}
        reports.append(ArticleReport(int(article_id), str(title), int(sent), int(waiting), failed))
    return reports

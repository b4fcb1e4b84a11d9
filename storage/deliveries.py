"""The outbox: one row per (article, chat), written before the send and finished after it.

States: pending → sending → sent | failed | skipped. A row found in ``sending`` at start-up
was in flight when the process died; it goes back to pending marked doubtful, since Telegram
has no idempotency key and the message may or may not have arrived.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

import aiosqlite

from storage import chat_settings
from storage.db import Database, utcnow


@dataclass(frozen=True)
class Due:
    """A delivery that may be attempted now: a send, or (``edit_due`` > 0) a correction."""

    article_id: int
    chat_id: int
    kind: str
    language: str | None
    attempts: int
    priority: int
    #: Not to be sent before this UTC ISO time (a retry's wait), or None.
    not_before: str | None = None
    #: The article's place in publication order (UTC ISO).
    sort_at: str = ""
    #: Rows of one chat with the same digest id go out as one message listing them.
    digest: int | None = None
    #: Corrections owed to the delivered copy; > 0 makes this an edit of ``message_id``.
    edit_due: int = 0
    message_id: int | None = None
    #: For a digest: the articles of its push it names only by their number.
    digest_more: int = 0
    #: > 0: the article was withdrawn and this delivered copy is to be deleted.
    delete_due: int = 0

    @property
    def is_delete(self) -> bool:
        return self.delete_due > 0

    @property
    def is_edit(self) -> bool:
        return self.edit_due > 0 and not self.is_delete

    @property
    def is_send(self) -> bool:
        return not (self.is_edit or self.is_delete)

    @property
    def job(self) -> str:
        """What the sender does with the row: send, edit or delete."""
        return "delete" if self.is_delete else "edit" if self.is_edit else "send"

    def order(self) -> tuple[int, str, int]:
        """Urgent and editors' articles first, then publication order (older first)."""
        return (-self.priority, self.sort_at, self.article_id)


#: Priorities in the outbox: an editor's article never waits behind an import.
PRIORITY_IMPORT = 0
PRIORITY_EDITOR = 1
PRIORITY_URGENT = 2
#: At most this many articles are listed, a button each, in a digest message (its length and
#: its keyboard stay readable on a phone).
DIGEST_SIZE = 20


@dataclass(frozen=True)
class PushPolicy:
    """What one push may send a chat (the settings PUSH_BATCH_MAX and FRESH_HOURS)."""

    batch_max: int = 5
    fresh_hours: float = 24.0
    #: Chats whose rows are written in one transaction: the write lock is held briefly.
    chunk: int = 200


@dataclass(frozen=True)
class Planned:
    article_id: int
    priority: int
    digest: int | None
    #: For a digest: how many more articles of the push it names only by their number.
    more: int = 0


def plan_push(new: Sequence[tuple[int, str]], batch_max: int) -> list[Planned]:
    """How a chat receives the ``new`` (id, origin) articles of one push, in publication order.

    At most ``batch_max`` go as their own messages: editors' first, then the newest. The rest
    are listed in one digest message: the newest ``DIGEST_SIZE`` of them with a button each,
    and, past that, their number (an archive-sized burst is one message, not hundreds).
    """
    editors = [i for i, origin in new if origin == "editor"]
    others = [i for i, origin in new if origin != "editor"]
    own = set(editors[-batch_max:])
    room = batch_max - len(own)
    if room > 0:
        own.update(others[-room:])
    rest = [i for i, _ in new if i not in own]
    listed = set(rest[-DIGEST_SIZE:])
    more = len(rest) - len(listed)
    digest = min(listed) if listed else None
    origins = dict(new)
    return [
        Planned(
            i,
            PRIORITY_EDITOR if origins[i] == "editor" else PRIORITY_IMPORT,
            None if i in own else digest,
            0 if i in own else more,
        )
        for i, _ in new
        if i in own or i in listed
    ]


async def enqueue_new(db: Database, policy: PushPolicy | None = None) -> int:
    """Queue the fresh articles that arrived since each active subscription's last push.

    Only articles marked as news (``articles.pushable``) and still fresh are queued. Chats
    are written ``policy.chunk`` at a time, each chunk in a short transaction, so a load or
    another process never waits long for the write lock.
    """
    from storage import follows  # a user of the outbox, as storage.search is of articles

    policy = policy or PushPolicy()
    [(upper,)] = await db.conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM articles")
    # A paused chat (chat_settings.paused) gets nothing: it is moved on past these articles.
    subs = await db.conn.execute_fetchall(
        "SELECT s.chat_id, s.enqueued_through, s.everything, coalesce(cs.paused, 0)"
        " FROM subscriptions s LEFT JOIN chat_settings cs ON cs.chat_id = s.chat_id"
        " WHERE s.active = 1 AND s.enqueued_through < ?",
        (upper,),
    )
    since = (datetime.now(UTC) - timedelta(hours=policy.fresh_hours)).isoformat()
    lowest = min((int(r[1]) for r in subs), default=int(upper))
    news = [
        (int(i), str(o))
        for i, o in await db.conn.execute_fetchall(
            "SELECT id, origin FROM articles WHERE id > ? AND id <= ? AND pushable = 1"
            " AND sort_at >= ? ORDER BY sort_at, id",
            (lowest, upper, since),
        )
    ]
    # Who follows what matters only for the chats that do not take everything.
    matched = (
        await follows.matching_chats(db, [i for i, _ in news])
        if any(not r[2] and not r[3] for r in subs)
        else {}
    )
    # Chats that get the same articles share one plan: (through, article ids) -> chats.
    groups: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    for chat_id, through, everything, paused in subs:
        ids: tuple[int, ...] = ()
        if not paused:
            ids = tuple(
                i for i, _ in news if i > through and (everything or chat_id in matched.get(i, ()))
            )
        groups.setdefault((int(through), ids), []).append(int(chat_id))
    origins = dict(news)
    added = 0
    for (through, ids), chat_ids in sorted(groups.items()):
        plan = plan_push([(i, origins[i]) for i in ids], policy.batch_max)
        for start in range(0, len(chat_ids), policy.chunk):
            added += await _enqueue_chunk(
                db, chat_ids[start : start + policy.chunk], through, int(upper), plan
            )
    return added


async def _enqueue_chunk(
    db: Database, chat_ids: Sequence[int], through: int, upper: int, plan: Sequence[Planned]
) -> int:
    now = utcnow()
    marks = ",".join("?" * len(chat_ids))
    async with db.transaction() as conn:
        # Still where we read them (a chat may have re-subscribed or left meanwhile).
        rows = await conn.execute_fetchall(
            f"SELECT chat_id FROM subscriptions WHERE chat_id IN ({marks})"
            " AND active = 1 AND enqueued_through = ?",
            (*chat_ids, through),
        )
        ready = [int(r[0]) for r in rows]
        if not ready:
            return 0
        cur = await conn.executemany(
            "INSERT OR IGNORE INTO deliveries (article_id, chat_id, state, priority, digest,"
            " digest_more, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)",
            [
                (p.article_id, c, p.priority, p.digest, p.more, now, now)
                for c in ready
                for p in plan
            ],
        )
        marks = ",".join("?" * len(ready))
        await conn.execute(
            f"UPDATE subscriptions SET enqueued_through = ? WHERE chat_id IN ({marks})",
            (upper, *ready),
        )
        return max(cur.rowcount, 0)


async def corrections_owed(db: Database) -> bool:
    """Whether a delivered copy in an active chat still owes an edit."""
    rows = list(
        await db.conn.execute_fetchall(
            "SELECT 1 FROM deliveries d JOIN subscriptions s"
            " ON s.chat_id = d.chat_id AND s.active = 1"
            " WHERE d.edit_due > 0 AND d.state = 'sent' LIMIT 1"
        )
    )
    return bool(rows)


async def enqueue_article(db: Database, article_id: int, priority: int = PRIORITY_URGENT) -> int:
    """Queue one article now for every active subscription (urgent posts)."""
    async with db.transaction() as conn:
        return await enqueue_article_in(conn, article_id, priority)


async def enqueue_article_in(
    conn: aiosqlite.Connection, article_id: int, priority: int = PRIORITY_URGENT
) -> int:
    """``enqueue_article`` inside a transaction the caller holds (a draft published urgent).

    The chats that take everything and those whose follows the article matches; never a
    paused one.
    """
    from storage import follows

    matched = await follows.matching_chats_in(conn, [article_id])
    followers = json.dumps(sorted(matched.get(article_id, ())))
    now = utcnow()
    cur = await conn.execute(
        "INSERT OR IGNORE INTO deliveries (article_id, chat_id, state, priority,"
        " created_at, updated_at)"
        " SELECT ?, s.chat_id, 'pending', ?, ?, ? FROM subscriptions s"
        " WHERE s.active = 1 AND s.enqueued_through < ?"
        " AND (s.everything = 1 OR s.chat_id IN (SELECT value FROM json_each(?)))"
        " AND NOT EXISTS (SELECT 1 FROM chat_settings cs"
        " WHERE cs.chat_id = s.chat_id AND cs.paused = 1)",
        (article_id, priority, now, now, article_id, followers),
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


#: A chat's /language wins over the language its reader's Telegram speaks.
_LANGUAGE = "coalesce(cs.language, c.language)"


async def pending(
    db: Database,
    limit: int = 100_000,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[Due]:
    """What the sender owes active subscriptions: pending sends, and corrections of delivered
    copies (``Due.is_edit``). Rows waiting for a retry come too, with ``not_before``; the
    sender keeps their time and their order (``Due.order``).

    Ordinary sends that a chat's quiet hours or digest period hold at ``now`` (``TIMEZONE``
    ``tz``) are left out, and a paused chat's sends; urgent ones and corrections never wait.
    """
    held = await chat_settings.holds(db, now or datetime.now(UTC), tz or UTC)
    sends = await db.conn.execute_fetchall(
        f"SELECT d.article_id, d.chat_id, c.kind, {_LANGUAGE}, d.attempts, d.priority,"
        " d.next_attempt_at, a.sort_at, d.digest, 0, NULL, d.digest_more, d.created_at"
        " FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " JOIN subscriptions s ON s.chat_id = d.chat_id AND s.active = 1"
        " JOIN articles a ON a.id = d.article_id"
        " LEFT JOIN chat_settings cs ON cs.chat_id = d.chat_id"
        # A paused chat is sent nothing (what an urgent post queued meanwhile is dropped
        # when it resumes).
        " WHERE d.state = 'pending' AND coalesce(cs.paused, 0) = 0"
        " ORDER BY d.priority DESC, a.sort_at, d.article_id, d.chat_id LIMIT ?",
        (limit,),
    )
    edits = await db.conn.execute_fetchall(
        f"SELECT d.article_id, d.chat_id, c.kind, {_LANGUAGE}, 0, d.priority,"
        " NULL, a.sort_at, d.digest, d.edit_due, d.message_id, d.digest_more"
        " FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " JOIN subscriptions s ON s.chat_id = d.chat_id AND s.active = 1"
        " JOIN articles a ON a.id = d.article_id"
        " LEFT JOIN chat_settings cs ON cs.chat_id = d.chat_id"
        " WHERE d.edit_due > 0 AND d.delete_due = 0 AND d.state = 'sent'"
        " AND d.message_id IS NOT NULL LIMIT ?",
        (limit,),
    )
    deletes = await db.conn.execute_fetchall(
        f"SELECT d.article_id, d.chat_id, c.kind, {_LANGUAGE}, 0, d.priority,"
        " NULL, a.sort_at, d.digest, 0, d.message_id, d.digest_more, d.delete_due"
        " FROM deliveries d JOIN chats c ON c.id = d.chat_id"
        " JOIN subscriptions s ON s.chat_id = d.chat_id AND s.active = 1"
        " JOIN articles a ON a.id = d.article_id"
        " LEFT JOIN chat_settings cs ON cs.chat_id = d.chat_id"
        " WHERE d.delete_due > 0 AND d.state = 'sent' AND d.message_id IS NOT NULL LIMIT ?",
        (limit,),
    )
    # Ordinary sends held by the chat's quiet hours or digest period stay pending, not due.
    owed = [
        Due(*row[:-1])
        for row in sends
        if int(row[5]) >= PRIORITY_URGENT
        or (hold := held.get(int(row[1]))) is None
        or not hold.holds(str(row[-1]))
    ]
    return [*owed, *(Due(*row) for row in (*edits, *deletes))]


async def due(
    db: Database,
    limit: int = 100_000,
    *,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> list[Due]:
    """Pending deliveries whose time has come."""
    now = now or datetime.now(UTC)
    stamp = now.astimezone(UTC).replace(microsecond=0).isoformat()
    return [
        d
        for d in await pending(db, limit, now=now, tz=tz)
        if d.not_before is None or d.not_before <= stamp
    ]


async def _held_sends(
    db: Database, chat_ids: Sequence[int]
) -> list[tuple[int, int, str, int | None, int]]:
    """(chat, article, created_at, digest, digest_more) of the chats' waiting ordinary sends,
    in publication order."""
    rows = await db.conn.execute_fetchall(
        "SELECT d.chat_id, d.article_id, d.created_at, d.digest, d.digest_more"
        " FROM deliveries d JOIN articles a ON a.id = d.article_id"
        " WHERE d.state = 'pending' AND d.priority < ?"
        " AND d.chat_id IN (SELECT value FROM json_each(?))"
        " ORDER BY d.chat_id, a.sort_at, a.id",
        (PRIORITY_URGENT, json.dumps(list(chat_ids))),
    )
    return [
        (int(c), int(a), str(t), None if g is None else int(g), int(m)) for c, a, t, g, m in rows
    ]


async def group_held(
    db: Database, *, now: datetime | None = None, tz: tzinfo | None = None
) -> int:
    """Gather what a chat's quiet hours or digest period hold into one digest message.

    Each chat's waiting ordinary sends become one digest (released together when the hold
    ends); in digest mode, so do those whose period has ended. A digest lists the newest
    ``DIGEST_SIZE`` with a button each and counts the rest (their rows are skipped), as
    ``plan_push`` does. Held digests have negative ids, so that they are told apart (their
    message says what waited). Idempotent; returns the rows changed.
    """
    held = await chat_settings.holds(db, now or datetime.now(UTC), tz or UTC)
    if not held:
        return 0
    by_chat: dict[int, list[tuple[int, str, int | None, int]]] = {}
    for chat_id, article_id, created_at, digest, more in await _held_sends(db, list(held)):
        by_chat.setdefault(chat_id, []).append((article_id, created_at, digest, more))
    regroup: list[tuple[int | None, int, int, int]] = []  # (digest, more, chat, article)
    dropped: list[tuple[int, int]] = []
    for chat_id, rows in by_chat.items():
        hold = held[chat_id]
        waiting = [r for r in rows if hold.holds(r[1])]
        batches = [waiting]
        if hold.digest_mode:  # a period that ended goes as one message too
            batches.append([r for r in rows if not hold.holds(r[1])])
        for batch in batches:
            if not batch:
                continue
            listed, rest = batch[-DIGEST_SIZE:], batch[:-DIGEST_SIZE]
            # Articles earlier digests only counted, once per digest, and those cut now.
            counted = {g: m for _, _, g, m in batch if g is not None}
            more = sum(counted.values()) + len(rest)
            digest = -min(r[0] for r in listed) if len(listed) > 1 or more else None
            regroup += [
                (digest, more, chat_id, r[0]) for r in listed if (r[2], r[3]) != (digest, more)
            ]
            dropped += [(chat_id, r[0]) for r in rest]
    if not regroup and not dropped:
        return 0
    now_text = utcnow()
    async with db.transaction() as conn:
        # Still pending: the sender may have claimed a row meanwhile.
        await conn.executemany(
            "UPDATE deliveries SET digest = ?, digest_more = ?"
            " WHERE chat_id = ? AND article_id = ? AND state = 'pending'",
            regroup,
        )
        await conn.executemany(
            "UPDATE deliveries SET state = 'skipped', error = 'counted in a digest',"
            " updated_at = ? WHERE chat_id = ? AND article_id = ? AND state = 'pending'",
            [(now_text, c, a) for c, a in dropped],
        )
    return len(regroup) + len(dropped)


async def released(db: Database, *, now: datetime | None = None, tz: tzinfo | None = None) -> bool:
    """Whether a chat with quiet hours or a digest has ordinary sends that are due now (its
    quiet hours or digest period ended): the push tick then wakes the sender."""
    held = await chat_settings.holds(db, now or datetime.now(UTC), tz or UTC)
    # A digest gathered while a hold lasted, in a chat that no longer has one (/quiet off,
    # /digest off): nothing else would wake the sender for it.
    orphans = await db.conn.execute_fetchall(
        "SELECT 1 FROM deliveries WHERE state = 'pending' AND digest < 0"
        " AND chat_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1",
        (json.dumps(list(held)),),
    )
    if orphans:
        return True
    return any(
        not held[chat_id].holds(created_at)
        for chat_id, _, created_at, _, _ in await _held_sends(db, list(held))
    )


Ids = int | Sequence[int]


def _ids(article_ids: Ids) -> list[int]:
    return [article_ids] if isinstance(article_ids, int) else list(article_ids)


async def _set(db: Database, article_ids: Ids, chat_id: int, sql: str, *args: object) -> None:
    ids = _ids(article_ids)
    marks = ",".join("?" * len(ids))
    async with db.transaction() as conn:
        await conn.execute(
            f"UPDATE deliveries SET {sql}, updated_at = ?"
            f" WHERE chat_id = ? AND article_id IN ({marks})",
            (*args, utcnow(), chat_id, *ids),
        )


async def claim(db: Database, article_ids: Ids, chat_id: int) -> list[int]:
    """Claim pending rows for sending; only the ids returned may be sent (the others are no
    longer pending: say, the chat unsubscribed meanwhile)."""
    ids = _ids(article_ids)
    marks = ",".join("?" * len(ids))
    async with db.transaction() as conn:
        rows = await conn.execute_fetchall(
            f"UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ?"
            f" WHERE chat_id = ? AND state = 'pending' AND article_id IN ({marks})"
            " RETURNING article_id",
            (utcnow(), chat_id, *ids),
        )
    claimed = {int(r[0]) for r in rows}
    return [i for i in ids if i in claimed]


async def mark_sending(db: Database, article_id: int, chat_id: int) -> bool:
    """``claim`` of one row: False when it must not be sent."""
    return bool(await claim(db, article_id, chat_id))


async def mark_sent(db: Database, article_ids: Ids, chat_id: int, message_id: int) -> None:
    await _set(
        db,
        article_ids,
        chat_id,
        "state = 'sent', message_id = ?, error = NULL, sent_at = ?",
        message_id,
        utcnow(),
    )


async def mark_failed(db: Database, article_ids: Ids, chat_id: int, error: str) -> None:
    await _set(db, article_ids, chat_id, "state = 'failed', error = ?", error)


async def mark_retry(
    db: Database,
    article_ids: Ids,
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
        article_ids,
        chat_id,
        "state = 'pending', error = ?, next_attempt_at = ?, doubtful = max(doubtful, ?)",
        error,
        next_attempt_at,
        int(doubtful),
    )


async def mark_edited(
    db: Database, article_id: int, chat_id: int, seen: int, error: str | None = None
) -> None:
    """A correction is finished: done (``error`` None), or given up with its reason.

    ``seen`` is the ``edit_due`` the edit was made for: a change that came meanwhile is
    still owed.
    """
    await _set(
        db,
        article_id,
        chat_id,
        "edit_due = max(edit_due - ?, 0), edits = edits + ?, edit_error = ?",
        seen,
        int(error is None),
        error,
    )


async def mark_deleted(
    db: Database, article_id: int, chat_id: int, error: str | None = None
) -> None:
    """A withdrawn article's copy is deleted (``error`` None), or stays, with the reason."""
    await _set(
        db,
        article_id,
        chat_id,
        "delete_due = 0, deleted = ?, delete_error = ?",
        int(error is None),
        error,
    )


@dataclass(frozen=True)
class DeleteReport:
    """Where the deletion of one withdrawn article's copies stands."""

    owed: int
    deleted: int
    #: Copies that stay, by reason (older than 48 hours, no right to delete, …).
    stayed: dict[str, int]


async def delete_report(db: Database, article_id: int) -> DeleteReport:
    rows = await db.conn.execute_fetchall(
        # Owed: the copies to delete, and the lists (digests) that named it, to edit.
        "SELECT coalesce(sum((d.delete_due > 0 OR (d.digest IS NOT NULL AND d.edit_due > 0))"
        " AND d.state = 'sent' AND s.active = 1), 0),"
        " coalesce(sum(d.deleted), 0) FROM deliveries d"
        " LEFT JOIN subscriptions s ON s.chat_id = d.chat_id WHERE d.article_id = ?",
        (article_id,),
    )
    [(owed, deleted)] = list(rows)
    stayed = await db.conn.execute_fetchall(
        "SELECT delete_error, count(*) FROM deliveries"
        " WHERE article_id = ? AND delete_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
        (article_id,),
    )
    return DeleteReport(int(owed), int(deleted), {str(r): int(n) for r, n in stayed})


@dataclass(frozen=True)
class EditReport:
    """Where the corrections of one article stand."""

    #: Copies in active chats still waiting for their edit.
    owed: int
    #: Edits made to its copies so far (all corrections).
    edits: int
    #: Copies whose last correction could not be made, by reason.
    failed: dict[str, int]


async def edit_report(db: Database, article_id: int) -> EditReport:
    rows = await db.conn.execute_fetchall(
        "SELECT coalesce(sum(d.edit_due > 0 AND d.state = 'sent' AND s.active = 1), 0),"
        " coalesce(sum(d.edits), 0) FROM deliveries d"
        " LEFT JOIN subscriptions s ON s.chat_id = d.chat_id WHERE d.article_id = ?",
        (article_id,),
    )
    [(owed, edits)] = list(rows)
    failed = await db.conn.execute_fetchall(
        "SELECT edit_error, count(*) FROM deliveries"
        " WHERE article_id = ? AND edit_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
        (article_id,),
    )
    return EditReport(int(owed), int(edits), {str(r): int(n) for r, n in failed})


async def message_articles(db: Database, chat_id: int, message_id: int) -> list[int]:
    """The articles one delivered message shows (several for a digest), in its order."""
    rows = await db.conn.execute_fetchall(
        "SELECT d.article_id FROM deliveries d JOIN articles a ON a.id = d.article_id"
        " WHERE d.chat_id = ? AND d.message_id = ? AND d.state = 'sent'"
        " ORDER BY a.sort_at, a.id",
        (chat_id, message_id),
    )
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class DeliveryCounts:
    sent: int
    failed: int
    pending: int
    skipped: int
    doubtful: int
    #: Corrections made to delivered copies.
    edited: int = 0


async def counts(db: Database) -> DeliveryCounts:
    async with db.conn.execute(
        "SELECT"
        " coalesce(sum(state = 'sent'), 0), coalesce(sum(state = 'failed'), 0),"
        " coalesce(sum(state IN ('pending', 'sending')), 0), coalesce(sum(state = 'skipped'), 0),"
        " coalesce(sum(doubtful), 0), coalesce(sum(edits), 0) FROM deliveries"
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

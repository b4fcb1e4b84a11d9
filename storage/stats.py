"""What the editors' /stats shows: messages sent per hour, subscribers over time, and what
became of each of the latest articles (its reach)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storage.db import Database

#: When a copy was sent (``sent_at``, migration 11). Rows sent before it existed carry their
#: last update then.
_SENT_AT = "sent_at"


def _iso(moment: datetime) -> str:
    """The stored form of a time (``storage.db.utcnow``)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def sent_per_hour(
    db: Database, hours: int = 48, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Messages sent in each of the last ``hours`` hours (UTC hours, the current one last),
    zeros included. A digest listing several articles is one message."""
    now = now or datetime.now(UTC)
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    rows = await db.conn.execute_fetchall(
        f"SELECT substr({_SENT_AT}, 1, 13), count(DISTINCT chat_id || ':' || message_id)"
        f" FROM deliveries WHERE sent_at >= ? GROUP BY 1",
        (_iso(start),),
    )
    counts = {str(hour): int(n) for hour, n in rows}
    slots = [start + timedelta(hours=i) for i in range(hours)]
    return [(slot, counts.get(slot.strftime("%Y-%m-%dT%H"), 0)) for slot in slots]


async def subscribers_over_time(
    db: Database, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Active subscriptions after each change, oldest first, ending with the count now; []
    when no chat ever subscribed.

    A subscription counts from its ``created_at``; an inactive one stops counting at its
    ``updated_at`` (when it was deactivated). A chat that left and came back counts from its
    first subscription.
    """
    rows = await db.conn.execute_fetchall(
        "SELECT created_at, 1 FROM subscriptions"
        " UNION ALL SELECT updated_at, -1 FROM subscriptions WHERE active = 0"
        " ORDER BY 1, 2 DESC"  # in the same second, joins before leaves
    )
    points: list[tuple[datetime, int]] = []
    count = 0
    for at, step in rows:
        count += int(step)
        moment = _parse(str(at))
        if points and points[-1][0] == moment:
            points[-1] = (moment, count)
        else:
            points.append((moment, count))
    if points:
        points.append((now or datetime.now(UTC), count))
    return points


@dataclass(frozen=True)
class Reach:
    """What became of one article's copies."""

    article_id: int
    title: str
    #: Copies Telegram accepted.
    delivered: int
    #: Copies still to be sent (retries included).
    pending: int
    #: Copies that could not be sent, by reason (Telegram's words).
    failed: dict[str, int] = field(default_factory=dict)
    #: Delivered copies corrected in place (/edit, a feed's update).
    edited: int = 0
    #: Delivered copies deleted after the article was withdrawn.
    deleted: int = 0
    #: An editor withdrew it (/delete).
    withdrawn: bool = False


async def latest_reach(db: Database, limit: int = 5) -> list[Reach]:
    """The reach of the newest ``limit`` articles that were queued to any chat, newest first."""
    rows = list(
        await db.conn.execute_fetchall(
            "SELECT a.id, a.title, a.withdrawn_at IS NOT NULL,"
            " coalesce(sum(d.state = 'sent'), 0),"
            " coalesce(sum(d.state IN ('pending', 'sending')), 0),"
            " coalesce(sum(d.edits > 0), 0), coalesce(sum(d.deleted), 0)"
            " FROM articles a JOIN deliveries d ON d.article_id = a.id"
            # The newest queued ids first, by the outbox's primary key: no full scan.
            " WHERE a.id IN (SELECT DISTINCT article_id FROM deliveries"
            " ORDER BY article_id DESC LIMIT ?)"
            " GROUP BY a.id ORDER BY a.id DESC",
            (limit,),
        )
    )
    if not rows:
        return []
    ids = [int(r[0]) for r in rows]
    marks = ",".join("?" * len(ids))
    failures = await db.conn.execute_fetchall(
        f"SELECT article_id, coalesce(error, 'unknown'), count(*) FROM deliveries"
        f" WHERE article_id IN ({marks}) AND state = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC",
        ids,
    )
    failed: dict[int, dict[str, int]] = {}
    for article_id, reason, n in failures:
        failed.setdefault(int(article_id), {})[str(reason)] = int(n)
    return [
        Reach(
            article_id=int(article_id),
            title=str(title),
            delivered=int(sent),
            pending=int(waiting),
            failed=failed.get(int(article_id), {}),
            edited=int(edited),
            deleted=int(deleted),
            withdrawn=bool(withdrawn),
        )
        for article_id, title, withdrawn, sent, waiting, edited, deleted in rows
    ]

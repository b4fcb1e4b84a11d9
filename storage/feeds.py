"""The feeds the bot follows, and each one's health: validators, failures, back-off, alerts.

A feed comes from the FEEDS setting or from an editor's ``/feeds add``. Its row remembers
what the next conditional GET sends, whether its first fetch happened (what a feed holds then
is the archive, never pushed), and how it has been doing, for ``/feeds`` and the alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.urls import clean_url, url_key

#: Failures in a row after which the editors are told (once) that a feed is failing.
ALERT_AFTER = 3
#: The back-off never waits longer than this (unless the interval itself is longer).
MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    from_settings: bool
    primed: bool
    etag: str | None
    last_modified: str | None
    ttl_seconds: int | None
    last_fetch_at: str | None
    last_success_at: str | None
    last_outcome: str | None
    last_error: str | None
    #: Articles the last fetch added as news (0 for the first fetch: that is the archive).
    last_new: int
    #: Articles this feed has brought in all.
    total_new: int
    failures: int
    alerted: bool
    next_fetch_at: str | None

    def is_due(self, now: datetime, slack: float = 0.0) -> bool:
        """Its time has come (``slack`` seconds early counts: a tick lands a little before)."""
        if self.next_fetch_at is None:
            return True
        return datetime.fromisoformat(self.next_fetch_at) <= now + timedelta(seconds=slack)


_COLUMNS = (
    "id, url, from_settings, primed, etag, last_modified, ttl_seconds, last_fetch_at,"
    " last_success_at, last_outcome, last_error, last_new, total_new, failures, alerted,"
    " next_fetch_at"
)


def _feed(row: Sequence[object]) -> Feed:
    values = list(row)
    for i in (2, 3, 14):
        values[i] = bool(values[i])
    return Feed(*values)  # type: ignore[arg-type]


def _now() -> datetime:
    return datetime.now(UTC)


async def list_all(db: Database) -> list[Feed]:
    rows = await db.conn.execute_fetchall(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")
    return [_feed(r) for r in rows]


async def get(db: Database, feed_id: int) -> Feed | None:
    rows = list(
        await db.conn.execute_fetchall(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))
    )
    return _feed(rows[0]) if rows else None


async def find(db: Database, url: str) -> Feed | None:
    """The feed at ``url``, as given or as any variant of the same address."""
    key = url_key(url)
    for feed in await list_all(db):
        if feed.url == url.strip() or (key is not None and url_key(feed.url) == key):
            return feed
    return None


async def add(
    db: Database, url: str, *, added_by: int | None = None, from_settings: bool = False
) -> tuple[Feed, bool]:
    """Follow a feed; (feed, False) when it is already followed. ValueError: not http(s)."""
    if clean_url(url) is None:
        raise ValueError("not an http(s) address")
    known = await find(db, url)
    if known is not None:
        return known, False
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO feeds (url, from_settings, added_by, created_at) VALUES (?, ?, ?, ?)",
            (url.strip(), int(from_settings), added_by, _now().isoformat()),
        )
        feed_id = cur.lastrowid
    assert feed_id is not None
    feed = await get(db, feed_id)
    assert feed is not None
    return feed, True


async def remove(db: Database, url: str) -> bool:
    """Stop following a feed (its articles stay). False when it was not followed."""
    feed = await find(db, url)
    if feed is None:
        return False
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))
    return True


async def sync_settings(db: Database, urls: Sequence[str]) -> None:
    """Make the feeds that came from FEEDS what FEEDS says now; editors' feeds stay."""
    wanted = {url_key(u): u for u in urls}
    for feed in await list_all(db):
        if feed.from_settings and url_key(feed.url) not in wanted:
            await remove(db, feed.url)
    for url in urls:
        feed, added = await add(db, url, from_settings=True)
        if not added and not feed.from_settings:
            async with db.transaction() as conn:
                await conn.execute("UPDATE feeds SET from_settings = 1 WHERE id = ?", (feed.id,))


async def due(db: Database, slack: float = 0.0) -> list[Feed]:
    now = _now()
    return [f for f in await list_all(db) if f.is_due(now, slack)]


async def record_success(
    db: Database,
    feed: Feed,
    *,
    outcome: str,
    new: int,
    etag: str | None,
    last_modified: str | None,
    ttl_seconds: int | None,
    interval: float,
) -> bool:
    """A fetch that worked (a 304 too); True when the editors had been told it was failing."""
    now = _now()
    wait = max(interval, float(ttl_seconds or 0))
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET primed = 1, etag = ?, last_modified = ?, ttl_seconds = ?,"
            " last_fetch_at = ?, last_success_at = ?, last_outcome = ?, last_error = NULL,"
            " last_new = ?, total_new = total_new + ?, failures = 0, alerted = 0,"
            " next_fetch_at = ? WHERE id = ?",
            (
                etag,
                last_modified,
                ttl_seconds,
                now.isoformat(),
                now.isoformat(),
                outcome,
                new if feed.primed else 0,  # a first fetch is the archive, not news
                new,
                (now + timedelta(seconds=wait)).isoformat(),
                feed.id,
            ),
        )
    return feed.alerted


def backoff(failures: int, interval: float) -> float:
    """Seconds to wait after ``failures`` in a row: the interval, doubling, up to an hour."""
    ceiling = max(MAX_BACKOFF_SECONDS, interval)
    return min(interval * 2.0 ** min(max(failures - 1, 0), 30), ceiling)


async def record_failure(db: Database, feed: Feed, error: str, interval: float) -> bool:
    """A fetch that failed; True when this is the time to tell the editors (once)."""
    now = _now()
    failures = feed.failures + 1
    alert = failures >= ALERT_AFTER and not feed.alerted
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET last_fetch_at = ?, last_outcome = 'error', last_error = ?,"
            " failures = ?, alerted = max(alerted, ?), next_fetch_at = ? WHERE id = ?",
            (
                now.isoformat(),
                error[:300],
                failures,
                int(alert),
                (now + timedelta(seconds=backoff(failures, interval))).isoformat(),
                feed.id,
            ),
        )
    return alert

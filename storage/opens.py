"""Who opened which article: counted once per reader per article, for /popular ("most read").

An open is a reader's first view of an article, however it came (an "open" button, a
``/start a<id>`` deep link, an inline result chosen). Opening it again changes nothing, so one
eager reader cannot lift an article; the first open's time decides the window it counts in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage import articles
from storage.articles import Article
from storage.db import Database, utcnow

#: /popular's windows, in hours: the last day, and the last week.
DAY_HOURS = 24
WEEK_HOURS = 7 * 24


@dataclass(frozen=True)
class Popular:
    article: Article
    readers: int


async def record(db: Database, user_id: int, article_id: int, at: str | None = None) -> bool:
    """Count ``user_id``'s open of the article; False when it was counted already or there is
    no such article (a stale inline result, a forged id): nothing is stored then."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT OR IGNORE INTO article_opens (article_id, user_id, opened_at)"
            " SELECT id, ?, ? FROM articles WHERE id = ? AND withdrawn_at IS NULL",
            (user_id, at or utcnow(), article_id),
        )
        return cur.rowcount == 1


async def most_read(
    db: Database, hours: int, limit: int = 10, now: datetime | None = None
) -> list[Popular]:
    """The articles most readers opened in the last ``hours``, most read first (ties: the
    most recently opened first). Withdrawn articles are left out."""
    since = (now or datetime.now(UTC)) - timedelta(hours=hours)
    since_text = since.astimezone(UTC).replace(microsecond=0).isoformat()
    async with db.conn.execute(
        "SELECT o.article_id, count(*) AS readers, max(o.opened_at) AS last"
        " FROM article_opens AS o JOIN articles AS a ON a.id = o.article_id"
        " WHERE o.opened_at >= ? AND a.withdrawn_at IS NULL"
        " GROUP BY o.article_id ORDER BY readers DESC, last DESC, o.article_id DESC LIMIT ?",
        (since_text, limit),
    ) as cur:
        rows = await cur.fetchall()
    out: list[Popular] = []
    for article_id, readers, _ in rows:
        article = await articles.get(db, int(article_id))
        if article is not None:  # withdrawn meanwhile
            out.append(Popular(article, int(readers)))
    return out


async def readers(db: Database, article_id: int) -> int:
    """How many readers ever opened the article."""
    async with db.conn.execute(
        "SELECT count(*) FROM article_opens WHERE article_id = ?", (article_id,)
    ) as cur:
        row = await cur.fetchone()
    return 0 if row is None else int(row[0])

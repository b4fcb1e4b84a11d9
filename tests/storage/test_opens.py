"""Opens counted once per reader per article; the most read of a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Database, articles, opens
from storage.articles import NewArticle

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).replace(microsecond=0).isoformat()


async def _article(db: Database, n: int) -> int:
    article_id, _ = await articles.add(db, NewArticle(title=f"خبر {n}", body=f"نص الخبر {n}"))
    return article_id


async def test_a_reader_counts_once_per_article(db: Database) -> None:
    a = await _article(db, 1)
    assert await opens.record(db, 10, a)
    assert not await opens.record(db, 10, a)  # the same reader again
    assert await opens.record(db, 11, a)
    assert await opens.readers(db, a) == 2


async def test_no_such_article_stores_nothing(db: Database) -> None:
    assert not await opens.record(db, 10, 999_999)
    a = await _article(db, 1)
    assert await articles.withdraw(db, a)
    assert not await opens.record(db, 10, a)
    assert await opens.readers(db, 999_999) == 0
    assert await opens.readers(db, a) == 0


async def test_most_read_ranks_by_readers_within_the_window(db: Database) -> None:
    a, b, c, old = [await _article(db, n) for n in range(4)]
    for user in (1, 2, 3):
        await opens.record(db, user, b, at=_ago(1))
    for user in (1, 2):
        await opens.record(db, user, a, at=_ago(2))
    await opens.record(db, 1, c, at=_ago(3))
    for user in range(10, 20):  # read a lot, but three days ago
        await opens.record(db, user, old, at=_ago(72))
    day = await opens.most_read(db, opens.DAY_HOURS, now=NOW)
    assert [(p.article.id, p.readers) for p in day] == [(b, 3), (a, 2), (c, 1)]
    week = await opens.most_read(db, opens.WEEK_HOURS, now=NOW)
    assert [p.article.id for p in week] == [old, b, a, c]
    assert len(await opens.most_read(db, opens.WEEK_HOURS, limit=2, now=NOW)) == 2


async def test_ties_go_to_the_most_recently_opened(db: Database) -> None:
    a, b = await _article(db, 1), await _article(db, 2)
    await opens.record(db, 1, a, at=_ago(5))
    await opens.record(db, 1, b, at=_ago(1))
    assert [p.article.id for p in await opens.most_read(db, 24, now=NOW)] == [b, a]


async def test_withdrawn_articles_leave_the_list(db: Database) -> None:
    a, b = await _article(db, 1), await _article(db, 2)
    await opens.record(db, 1, a, at=_ago(1))
    await opens.record(db, 1, b, at=_ago(1))
    await articles.withdraw(db, a)
    assert [p.article.id for p in await opens.most_read(db, 24, now=NOW)] == [b]


async def test_empty_without_opens(db: Database) -> None:
    await _article(db, 1)
    assert await opens.most_read(db, opens.WEEK_HOURS, now=NOW) == []

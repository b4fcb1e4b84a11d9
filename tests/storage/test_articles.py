"""Articles in publication order, and the site's own Read Previous / Read Next."""

from __future__ import annotations

from storage import Database, articles
from storage.articles import NewArticle


async def _add(
    db: Database,
    title: str,
    when: str | None,
    prev_title: str | None = None,
    next_title: str | None = None,
) -> int:
    article = NewArticle(
        title=title,
        body=f"نص {title}",
        published_at=when,
        prev_title=prev_title,
        next_title=next_title,
    )
    article_id, added = await articles.add(db, article)
    assert added
    return article_id


async def test_neighbours_follow_publication_order_not_arrival(db: Database) -> None:
    late = await _add(db, "ج", "2018-03-01T10:00:00+00:00")
    early = await _add(db, "أ", "2018-01-01T10:00:00+00:00")
    middle = await _add(db, "ب", "2018-02-01T12:00:00+03:00")
    assert await articles.neighbours(db, early) == (None, middle)
    assert await articles.neighbours(db, middle) == (early, late)
    assert await articles.neighbours(db, late) == (middle, None)
    assert [a.id for a in await articles.latest(db, 2)] == [late, middle]


async def test_offsets_are_compared_in_utc(db: Database) -> None:
    # 23:00 at +04:00 is 19:00 UTC: earlier than 20:00 UTC.
    a = await _add(db, "أ", "2018-01-01T23:00:00+04:00")
    b = await _add(db, "ب", "2018-01-01T20:00:00+00:00")
    assert await articles.neighbours(db, a) == (None, b)


async def test_site_neighbours_win_once_loaded(db: Database) -> None:
    page = await _add(
        db, "الصفحة", "2018-05-01T00:00:00+00:00", prev_title="السابق", next_title="التالي"
    )
    other = await _add(db, "خبر آخر", "2018-06-01T00:00:00+00:00")
    assert await articles.neighbours(db, page) == (None, other)
    prev_id = await _add(db, "السابق", "2017-01-01T00:00:00+00:00")
    next_id = await _add(db, "التالي ", "2010-01-01T00:00:00+00:00")  # title key ignores spaces
    assert await articles.neighbours(db, page) == (prev_id, next_id)


async def test_unknown_article_has_no_neighbours(db: Database) -> None:
    assert await articles.neighbours(db, 999) == (None, None)
    assert await articles.get(db, 999) is None

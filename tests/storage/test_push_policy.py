"""What counts as news and how much of it one push sends a chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from storage import Database, articles, chats, deliveries, open_database, search
from storage.articles import Arrival, NewArticle
from storage.deliveries import DIGEST_SIZE, PushPolicy, plan_push
from storage.migrations import MIGRATIONS

ARCHIVE = Arrival(origin="archive", news=False)


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def _story(n: int, hours_ago: float | None = 0.1) -> NewArticle:
    when = None if hours_ago is None else _ago(hours_ago)
    return NewArticle(
        title=f"خبر رقم {n}",
        body=f"نص الخبر رقم {n} عن طرطوس.",
        url=f"https://news.example/{n}",
        published_at=when,
    )


async def _store(db: Database, batch: list[NewArticle], arrival: Arrival | None = None) -> None:
    async with db.transaction() as conn:
        await articles.store_many_in(conn, batch, arrival or Arrival())


async def _readers(db: Database, *ids: int) -> None:
    for chat_id in ids:
        await chats.upsert_chat(db, chat_id, "private")
        await chats.subscribe(db, chat_id, chat_id)


async def test_an_archive_loaded_with_subscribers_queues_nothing_yet_is_searchable(
    db: Database,
) -> None:
    await _readers(db, 1, 2, 3)
    await _store(db, [_story(n) for n in range(50)], ARCHIVE)
    assert await deliveries.enqueue_new(db) == 0
    assert (await search.search(db, "طرطوس")).total == 50
    # What comes after the archive is news again.
    await _store(db, [_story(99)])
    assert await deliveries.enqueue_new(db) == 3


async def test_only_articles_first_seen_within_fresh_hours_are_pushed(db: Database) -> None:
    await _readers(db, 1)
    await _store(db, [_story(1, hours_ago=30), _story(2, hours_ago=23), _story(3, hours_ago=None)])
    due = await deliveries.due(db)
    assert due == []  # nothing before a push
    await deliveries.enqueue_new(db, PushPolicy(fresh_hours=24))
    titles = [(await articles.get(db, d.article_id)).title for d in await deliveries.due(db)]  # type: ignore[union-attr]
    assert sorted(titles) == ["خبر رقم 2", "خبر رقم 3"]


async def test_an_undated_article_is_dated_when_it_arrives(db: Database) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    article_id, _ = await articles.add(db, NewArticle(title="بلا تاريخ", body="نص"))
    article = await articles.get(db, article_id)
    assert article is not None
    assert article.published_at is not None
    assert articles.parse_published_at(article.published_at) >= before


def test_a_burst_is_five_messages_and_one_list_editors_first() -> None:
    new = [(i, "feed") for i in range(1, 9)]
    plan = plan_push(new, batch_max=5)
    own = [p.article_id for p in plan if p.digest is None]
    listed = [p.article_id for p in plan if p.digest is not None]
    assert own == [4, 5, 6, 7, 8]  # the newest go as their own messages
    assert listed == [1, 2, 3]
    assert {p.digest for p in plan if p.digest} == {1}
    with_editor = plan_push([*new, (9, "editor")], batch_max=5)
    own = [p.article_id for p in with_editor if p.digest is None]
    assert own == [5, 6, 7, 8, 9]  # the editor's and the four newest
    assert [p.priority for p in with_editor if p.article_id == 9] == [deliveries.PRIORITY_EDITOR]
    assert plan_push([(1, "feed")], batch_max=5)[0].digest is None


def test_an_archive_sized_burst_is_one_list_that_counts_the_rest() -> None:
    plan = plan_push([(i, "file") for i in range(1, 101)], batch_max=5)
    own = [p.article_id for p in plan if p.digest is None]
    listed = [p for p in plan if p.digest is not None]
    assert own == [96, 97, 98, 99, 100]
    assert [p.article_id for p in listed] == list(range(76, 96))  # the newest of the rest
    assert len(listed) == DIGEST_SIZE
    assert {p.digest for p in listed} == {76}  # one message
    assert {p.more for p in listed} == {75}  # the others are counted, not dropped silently


async def test_a_push_orders_a_chat_by_publication_with_the_editor_first(db: Database) -> None:
    await _readers(db, 1)
    # Arrival order differs from publication order.
    await _store(db, [_story(n, hours_ago=1 + (n % 3) / 10 + n / 100) for n in range(7)])
    await _store(
        db,
        [NewArticle(title="مقال المحرر", body="نص المحرر", published_at=_ago(0.01))],
        Arrival(origin="editor", update=False),
    )
    await deliveries.enqueue_new(db, PushPolicy(batch_max=5))
    due = await deliveries.due(db)
    first = await articles.get(db, due[0].article_id)
    assert first is not None
    assert first.title == "مقال المحرر"
    rest = due[1:]
    sort_keys = [d.sort_at for d in rest]
    assert sort_keys == sorted(sort_keys)  # older first
    assert sum(d.digest is None for d in due) == 5  # 5 messages, the editor's among them
    assert len({d.digest for d in rest if d.digest is not None}) == 1


async def test_a_thousand_subscribers_are_queued_in_short_chunks_without_loss(
    db: Database,
) -> None:
    await _readers(db, *range(1000, 2000))
    await _store(db, [_story(n) for n in range(3)])
    assert await deliveries.enqueue_new(db, PushPolicy(chunk=150)) == 3000
    assert await deliveries.enqueue_new(db, PushPolicy(chunk=150)) == 0
    assert len(await deliveries.due(db)) == 3000


async def test_a_story_that_comes_back_changed_is_updated_and_its_copies_owe_an_edit(
    db: Database,
) -> None:
    await _readers(db, 1)
    await _store(db, [_story(1)])
    await deliveries.enqueue_new(db)
    [item] = await deliveries.due(db)
    await deliveries.claim(db, item.article_id, 1)
    await deliveries.mark_sent(db, item.article_id, 1, 77)
    changed = NewArticle(
        title="خبر رقم 1 (محدّث)", body="نص جديد", url="https://m.news.example/1?utm_source=x"
    )
    async with db.transaction() as conn:
        [stored] = await articles.store_many_in(conn, [changed], Arrival())
    assert stored.status == "updated"
    article = await articles.get(db, item.article_id)
    assert article is not None
    assert article.title == "خبر رقم 1 (محدّث)"
    assert article.revision == 1
    assert (await search.search(db, "محدّث")).total == 1
    [edit] = await deliveries.pending(db)
    assert (edit.is_edit, edit.message_id) == (True, 77)
    assert await deliveries.enqueue_new(db) == 0  # never pushed again as new
    # The old text arriving again (a stale copy elsewhere) does not revert it.
    async with db.transaction() as conn:
        [again] = await articles.store_many_in(conn, [_story(1)], Arrival())
    assert again.status == "present"
    assert (await articles.get(db, item.article_id)).title == "خبر رقم 1 (محدّث)"  # type: ignore[union-attr]
    await deliveries.mark_edited(db, item.article_id, 1, edit.edit_due)
    assert await deliveries.pending(db) == []
    assert (await deliveries.counts(db)).edited == 1


async def test_pages_with_equal_words_at_different_addresses_stay_two(db: Database) -> None:
    a = NewArticle(title="عنوان", body="نص", url="https://a.example/1")
    b = NewArticle(title="عنوان", body="نص", url="https://b.example/1")
    c = NewArticle(title="عنوان", body="نص")  # no address: its words identify it
    async with db.transaction() as conn:
        results = await articles.store_many_in(conn, [a, b, c], Arrival())
    assert [r.status for r in results] == ["added", "added", "present"]


async def test_upgrading_a_database_stops_an_archive_flood_already_queued(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = await aiosqlite.connect(path, isolation_level=None)
    for version, step in enumerate(MIGRATIONS[:2], start=1):
        await conn.execute("BEGIN")
        await step(conn)
        await conn.execute(f"PRAGMA user_version = {version}")
        await conn.execute("COMMIT")
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    rows = [
        (1, "قديم", "نص قديم", "http://old.example/1", "2018-02-18T21:35:43+04:00"),
        (2, "جديد", "نص جديد", None, _ago(1)),
    ]
    for article_id, title, body, url, when in rows:
        await conn.execute(
            "INSERT INTO articles (id, title, body, url, published_at, sort_at, created_at,"
            " dedup_key, title_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, title, body, url, when, when, now, f"k{article_id}", title),
        )
    await conn.execute(
        "INSERT INTO chats (id, kind, created_at, updated_at) VALUES (5, 'private', ?, ?)",
        (now, now),
    )
    await conn.execute(
        "INSERT INTO subscriptions (chat_id, created_at, updated_at) VALUES (5, ?, ?)", (now, now)
    )
    for article_id in (1, 2):
        await conn.execute(
            "INSERT INTO deliveries (article_id, chat_id, created_at, updated_at)"
            " VALUES (?, 5, ?, ?)",
            (article_id, now, now),
        )
    await conn.close()
    db = await open_database(path)
    try:
        assert [d.article_id for d in await deliveries.due(db)] == [2]
        # The old row's address is now known in every variant.
        async with db.transaction() as c:
            [again] = await articles.store_many_in(
                c,
                [NewArticle(title="قديم", body="نص قديم", url="https://old.example/1/")],
                ARCHIVE,
            )
        assert (again.id, again.status) == (1, "present")
    finally:
        await db.close()

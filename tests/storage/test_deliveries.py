"""The outbox: written before the send, finished after; a crash leaves nothing lost."""

from __future__ import annotations

from storage import Database, articles, chats, deliveries, open_database
from storage.articles import NewArticle


async def _setup(db: Database) -> tuple[int, int]:
    for chat_id in (1, 2):
        await chats.upsert_chat(db, chat_id, "private")
        await chats.subscribe(db, chat_id, chat_id)
    a, _ = await articles.add(db, NewArticle(title="أ", body="نص أ"))
    b, _ = await articles.add(db, NewArticle(title="ب", body="نص ب"))
    assert await deliveries.enqueue_new(db) == 4
    assert await deliveries.enqueue_new(db) == 0
    return a, b


async def test_due_is_oldest_first_and_urgent_before_all(db: Database) -> None:
    a, b = await _setup(db)
    assert [(d.article_id, d.chat_id) for d in await deliveries.due(db)] == [
        (a, 1),
        (a, 2),
        (b, 1),
        (b, 2),
    ]
    c, _ = await articles.add(db, NewArticle(title="عاجل", body="نص عاجل"))
    assert await deliveries.enqueue_article(db, c, priority=1) == 2
    assert [d.article_id for d in await deliveries.due(db)][:2] == [c, c]
    assert await deliveries.enqueue_new(db) == 0  # already queued, not twice


async def test_states_and_counts(db: Database) -> None:
    a, b = await _setup(db)
    await deliveries.mark_sending(db, a, 1)
    await deliveries.mark_sent(db, a, 1, 555)
    await deliveries.mark_sending(db, a, 2)
    await deliveries.mark_failed(db, a, 2, "message is too long")
    await deliveries.mark_retry(db, b, 1, "retry after", "2999-01-01T00:00:00+00:00")
    due = [(d.article_id, d.chat_id) for d in await deliveries.due(db)]
    assert due == [(b, 2)]  # (b, 1) waits for its time
    waiting = [d for d in await deliveries.pending(db) if d.not_before]
    assert [(d.article_id, d.chat_id, d.not_before) for d in waiting] == [
        (b, 1, "2999-01-01T00:00:00+00:00")
    ]
    counts = await deliveries.counts(db)
    assert (counts.sent, counts.failed, counts.pending) == (1, 1, 2)


async def test_in_flight_at_a_crash_is_resent_and_marked_doubtful(tmp_path: object) -> None:
    path = f"{tmp_path}/crash.db"
    db = await open_database(path)
    a, _ = await _setup(db)
    await deliveries.mark_sending(db, a, 1)
    await db.close()  # the process dies here
    db = await open_database(path)
    assert await deliveries.recover_in_flight(db) == 1
    assert (a, 1) in [(d.article_id, d.chat_id) for d in await deliveries.due(db)]
    assert (await deliveries.counts(db)).doubtful == 1
    await db.close()

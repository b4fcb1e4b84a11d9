"""Subscriptions start at the newest article; migrations carry the outbox along."""

from __future__ import annotations

from storage import Database, articles, chats, deliveries, follows
from storage.articles import NewArticle


async def _article(db: Database, n: int) -> int:
    article_id, _ = await articles.add(db, NewArticle(title=f"خبر {n}", body=f"نص {n}"))
    return article_id


async def test_new_subscriber_gets_only_what_arrives_later(db: Database) -> None:
    await _article(db, 1)
    await chats.upsert_chat(db, 10, "private")
    assert await chats.subscribe(db, 10, 10)
    assert not await chats.subscribe(db, 10, 10)
    assert await deliveries.enqueue_new(db) == 0
    new = await _article(db, 2)
    assert await deliveries.enqueue_new(db) == 1
    assert [(d.article_id, d.chat_id) for d in await deliveries.due(db)] == [(new, 10)]


async def test_unsubscribe_drops_what_was_owed_and_resubscribe_starts_fresh(db: Database) -> None:
    await chats.upsert_chat(db, 10, "private")
    await chats.subscribe(db, 10, 10)
    await _article(db, 1)
    await deliveries.enqueue_new(db)
    assert await chats.unsubscribe(db, 10)
    assert not await chats.unsubscribe(db, 10)
    assert await deliveries.due(db) == []
    await _article(db, 2)
    assert await chats.subscribe(db, 10, 10)
    assert await deliveries.enqueue_new(db) == 0
    sub = await chats.subscription(db, 10)
    assert sub is not None
    assert sub.active


async def test_migrated_group_keeps_subscription_and_outbox(db: Database) -> None:
    await chats.upsert_chat(db, -5, "group", title="مجموعة")
    await chats.subscribe(db, -5, 1)
    article = await _article(db, 1)
    await deliveries.enqueue_new(db)
    await chats.migrate_chat(db, -5, -1005)
    assert await chats.subscription(db, -5) is None
    sub = await chats.subscription(db, -1005)
    assert sub is not None
    assert sub.active
    assert sub.kind == "supergroup"
    assert [(d.article_id, d.chat_id) for d in await deliveries.due(db)] == [(article, -1005)]


async def test_migration_into_a_known_chat_merges(db: Database) -> None:
    await chats.upsert_chat(db, -5, "group")
    await chats.upsert_chat(db, -1005, "supergroup")
    await chats.subscribe(db, -5, 1)
    await chats.migrate_chat(db, -5, -1005)
    assert await chats.get_chat(db, -5) is None
    sub = await chats.subscription(db, -1005)
    assert sub is not None
    assert sub.active


async def test_reading_position_and_language_are_kept(db: Database) -> None:
    a = await _article(db, 1)
    b = await _article(db, 2)
    assert await chats.get_position(db, 7) is None
    await chats.set_position(db, 7, a)
    await chats.set_position(db, 7, b)
    assert await chats.get_position(db, 7) == b
    await chats.upsert_chat(db, 7, "private", language="en")
    await chats.upsert_chat(db, 7, "private", language=None)
    chat = await chats.get_chat(db, 7)
    assert chat is not None
    assert chat.language == "en"


async def test_active_subscriptions_are_counted_by_kind(db: Database) -> None:
    for chat_id, kind in [(1, "private"), (2, "private"), (-3, "group"), (-1004, "channel")]:
        await chats.upsert_chat(db, chat_id, kind)
        await chats.subscribe(db, chat_id, None)
    await chats.unsubscribe(db, 2)
    assert await chats.count_active_by_kind(db) == {"private": 1, "group": 1, "channel": 1}


async def test_migration_into_a_known_chat_keeps_its_follows_and_their_matches(
    db: Database,
) -> None:
    await chats.upsert_chat(db, -5, "group")
    await chats.upsert_chat(db, -1005, "supergroup")
    added = await follows.add(db, -5, "طرطوس")
    assert added.new
    await chats.migrate_chat(db, -5, -1005)
    assert [f.label for f in await follows.list_follows(db, -1005)] == ["طرطوس"]
    assert await follows.receiving(db, -1005) == "follows"
    article = await _article_titled(db, "سفن في ميناء طرطوس")
    assert await follows.matching_chats(db, [article]) == {article: {-1005}}
    assert await deliveries.enqueue_new(db) == 1
    assert [d.chat_id for d in await deliveries.due(db)] == [-1005]


async def _article_titled(db: Database, title: str) -> int:
    article_id, _ = await articles.add(db, NewArticle(title=title, body=title + "."))
    return article_id

"""Drafts in SQLite: one decision each, however many presses; published once; scheduled ones
published when due, in their editor's name."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import articles, audit, chats, deliveries, drafts
from storage.articles import NewArticle
from storage.db import Database

EDITOR = 1001
OTHER_EDITOR = 1002


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).replace(microsecond=0).isoformat()


async def _draft(db: Database, title: str = "عنوان", publish_at: str | None = None) -> int:
    draft = await drafts.create(
        db,
        NewArticle(title=title, body=f"نص {title}.", url="https://example.com/a"),
        editor_id=EDITOR,
        editor_name="المحرر",
        chat_id=EDITOR,
        publish_at=publish_at,
    )
    assert draft.state == "draft"
    return draft.id


async def test_a_draft_is_no_article_until_published(db: Database) -> None:
    draft_id = await _draft(db)
    assert await articles.count(db) == 0
    decision = await drafts.decide(db, draft_id, "publish", OTHER_EDITOR, "محرر آخر")
    assert decision.outcome == "published"
    assert decision.draft is not None
    assert decision.draft.article_id is not None
    article = await articles.get(db, decision.draft.article_id)
    assert article is not None
    assert (article.title, article.url, article.origin) == (
        "عنوان",
        "https://example.com/a",
        "editor",
    )
    trail = await audit.history(db, article.id)
    assert [(e.action, e.user_id) for e in trail] == [
        ("drafted", EDITOR),
        ("published", OTHER_EDITOR),
    ]


async def test_presses_at_the_same_time_publish_once(db: Database) -> None:
    draft_id = await _draft(db)
    decisions = await asyncio.gather(
        *(drafts.decide(db, draft_id, a, EDITOR, None) for a in ("publish", "urgent", "cancel"))
    )
    assert sorted(d.outcome for d in decisions).count("already") == 2
    assert await articles.count(db) <= 1


async def test_urgent_is_queued_with_the_article(db: Database) -> None:
    await chats.upsert_chat(db, 2002, "private")
    await chats.subscribe(db, 2002, 2002)
    draft_id = await _draft(db)
    decision = await drafts.decide(db, draft_id, "urgent", EDITOR, None)
    assert decision.queued == 1
    [due] = await deliveries.due(db)
    assert due.priority == deliveries.PRIORITY_URGENT


async def test_cancel_then_nothing(db: Database) -> None:
    draft_id = await _draft(db)
    assert (await drafts.decide(db, draft_id, "cancel", EDITOR, None)).outcome == "cancelled"
    again = await drafts.decide(db, draft_id, "publish", EDITOR, None)
    assert again.outcome == "already"
    assert again.draft is not None
    assert again.draft.state == "cancelled"
    assert await articles.count(db) == 0
    assert (await drafts.decide(db, 999, "publish", EDITOR, None)).outcome == "missing"


async def test_scheduled_drafts_wait_for_their_time(db: Database) -> None:
    later = await _draft(db, "لاحقاً", _iso(timedelta(hours=2)))
    soon = await _draft(db, "قريباً", _iso(timedelta(hours=1)))
    for draft_id in (later, soon):
        decision = await drafts.decide(db, draft_id, "publish", OTHER_EDITOR, "محرر آخر")
        assert decision.outcome == "scheduled"
    assert [d.title for d in await drafts.scheduled(db)] == ["قريباً", "لاحقاً"]
    assert await drafts.publish_due(db) == []
    assert await articles.count(db) == 0

    async with db.transaction() as conn:  # an hour and a half goes by
        await conn.execute(
            "UPDATE drafts SET publish_at = ? WHERE id = ?", (_iso(-timedelta(minutes=30)), soon)
        )
    [decision] = await drafts.publish_due(db)
    assert decision.draft is not None
    assert decision.draft.title == "قريباً"
    assert decision.draft.article_id is not None
    trail = await audit.history(db, decision.draft.article_id)
    assert [(e.action, e.user_id) for e in trail] == [
        ("drafted", EDITOR),
        ("scheduled", OTHER_EDITOR),
        ("published", OTHER_EDITOR),
    ]
    assert await drafts.publish_due(db) == []  # once
    assert [d.title for d in await drafts.scheduled(db)] == ["لاحقاً"]


async def test_the_same_story_becomes_no_second_article(db: Database) -> None:
    first = await _draft(db)
    second = await _draft(db)
    published = await drafts.decide(db, first, "publish", EDITOR, None)
    duplicate = await drafts.decide(db, second, "publish", EDITOR, None)
    assert duplicate.outcome == "duplicate"
    assert duplicate.draft is not None
    assert published.draft is not None
    assert duplicate.draft.article_id == published.draft.article_id
    assert await articles.count(db) == 1

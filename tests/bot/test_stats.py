"""/stats: the numbers and each latest article's reach as text, then the chart as a PNG."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from bot import charts
from bot.render import bare
from bot.standin import Fault, SentMessage, wait_until
from storage import articles, chats, deliveries
from storage import stats as stats_store
from storage.articles import NewArticle
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHANNEL = -1001234567890


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data.startswith(PNG_MAGIC)
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


async def _chart(bot: Harness) -> SentMessage:
    """The photo /stats sends after its text (drawn in a worker thread)."""
    await wait_until(lambda: any(m.photo for m in bot.tg.messages(ADMIN)), 20)
    [photo] = [m for m in bot.tg.messages(ADMIN) if m.photo]
    return photo


async def _article(bot: Harness, n: int) -> int:
    article_id, _ = await articles.add(
        bot.deps.db, NewArticle(title=f"خبر الإحصاءات {n}", body=f"نص الخبر {n}.")
    )
    return article_id


async def test_a_fresh_bot_answers_clearly_without_a_chart(bot: Harness) -> None:
    [answer] = await bot.send(ADMIN, "/stats")
    assert "المقالات: 1" in bare(answer.text)
    assert "لم يُرسل أي مقال إلى المشتركين بعد" in bare(answer.text)
    assert "لا رسم بياني بعد" in bare(answer.text)
    assert [m for m in bot.tg.sent if m.photo] == []
    [english] = await bot.send(ADMIN, "/stats", lang="en")
    assert "No article has been sent to subscribers yet." in english.text
    assert "No chart yet" in english.text


async def test_stats_give_each_articles_reach_and_a_png_chart(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await chats.upsert_chat(bot.deps.db, CHANNEL, "channel", title="قناة")
    await chats.subscribe(bot.deps.db, CHANNEL, None)
    second = await _article(bot, 2)
    first = await _article(bot, 1)
    # Telegram refuses the older one's copy to the channel (a formatting it rejects).
    refused = Fault("bad", status=400, description="Bad Request: can't parse entities: x")
    bot.tg.inject("sendMessage", refused, chat_id=CHANNEL, times=2)
    await bot.push()
    # The first is corrected everywhere, then the second withdrawn.
    corrected = NewArticle(title="خبر الإحصاءات 1 مصحح", body="نص مصحح.")
    assert await articles.correct(bot.deps.db, first, corrected) == 3
    await bot.push()
    assert await articles.withdraw(bot.deps.db, second)
    await bot.push()

    [text] = await bot.send(ADMIN, "/stats")
    assert f"#{first} خبر الإحصاءات 1 مصحح\nوصل إلى 3، بالانتظار 0، فشل 0، صُحّحت 3" in bare(
        text.text
    )
    assert f"#{second} خبر الإحصاءات 2 (مسحوب)\nوصل إلى 2" in bare(text.text)
    assert "فشل 1 (تنسيق رفضه تيليغرام: 1)، حُذفت 2" in bare(text.text)
    assert "الرسائل في آخر 48 ساعة: 5" in bare(text.text)  # 3 + 2 copies; edits are no new message
    assert "الرسم البياني في الرسالة التالية" in bare(text.text)
    assert "Bad Request" not in bare(text.text)  # Telegram's English stays out of the Arabic

    chart = await _chart(bot)
    assert chart.photo_upload is not None
    width, height = _png_size(chart.photo_upload)
    assert width >= 600
    assert height >= 400
    assert bare(chart.text).startswith("📈 فوق: الرسائل المرسلة في كل ساعة")
    assert bot.tg.messages(ADMIN)[-1] is chart  # after the numbers


async def test_an_english_editor_gets_english_and_readers_get_nothing(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await _article(bot, 1)
    await bot.push()
    [refusal] = await bot.send(READER, "/stats")
    assert "للمحررين فقط" in refusal.text
    [text] = await bot.send(ADMIN, "/stats", lang="en")
    assert "reached 1, pending 0, failed 0" in bare(text.text)
    assert "Messages in the last 48 hours: 1 (busiest hour: 1)" in bare(text.text)
    chart = await _chart(bot)
    assert bare(chart.text).startswith("📈 Top: messages sent each hour")
    assert [m for m in bot.tg.messages(READER) if m.photo] == []


async def test_a_chart_telegram_refuses_is_reported_plainly(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.inject("sendPhoto", Fault.server_error(500), chat_id=ADMIN)
    await bot.send(ADMIN, "/stats")
    await wait_until(lambda: "تعذّر رسم المخطط" in bare(bot.tg.last(ADMIN).text), 20)


async def test_sent_per_hour_counts_messages_in_their_hour(bot: Harness) -> None:
    db = bot.deps.db
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    for n in range(7):  # beyond PUSH_BATCH_MAX: five messages and one list to each reader
        await _article(bot, n)
    await bot.push()
    hours = await stats_store.sent_per_hour(db)
    assert len(hours) == 48
    assert [n for _, n in hours][-1] == 12  # 2 × (5 + 1 list): a list is one message
    assert sum(n for _, n in hours) == 12
    # Sends from three hours ago land in that hour; older than 48 hours, nowhere.
    three_hours_ago = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    await db.conn.execute(
        "UPDATE deliveries SET sent_at = ? WHERE chat_id = ?",
        (three_hours_ago.isoformat(), READER),
    )
    await db.conn.execute(
        "UPDATE deliveries SET sent_at = '2020-01-01T00:00:00+00:00' WHERE chat_id = ?",
        (EN_READER,),
    )
    await db.conn.commit()
    counts = [n for _, n in await stats_store.sent_per_hour(db)]
    assert counts[-4] == 6
    assert sum(counts) == 6
    # A later correction of a copy leaves it in the hour it was sent.
    await db.conn.execute("UPDATE deliveries SET edits = 1, updated_at = ?", (_iso_now(),))
    await db.conn.commit()
    assert [n for _, n in await stats_store.sent_per_hour(db)] == counts


async def test_subscribers_over_time_follow_joins_and_leaves(bot: Harness) -> None:
    db = bot.deps.db
    assert await stats_store.subscribers_over_time(db) == []
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    await bot.send(READER, "/unsubscribe")
    now = datetime.now(UTC).replace(microsecond=0)
    hours_ago = [(now - timedelta(hours=h)).isoformat() for h in (3, 2, 1)]
    await db.conn.execute(
        "UPDATE subscriptions SET created_at = ?, updated_at = ? WHERE chat_id = ?",
        (hours_ago[0], hours_ago[2], READER),
    )
    await db.conn.execute(
        "UPDATE subscriptions SET created_at = ? WHERE chat_id = ?", (hours_ago[1], EN_READER)
    )
    await db.conn.commit()
    points = await stats_store.subscribers_over_time(db, now=now)
    assert [(at.isoformat(), n) for at, n in points] == [
        (hours_ago[0], 1),
        (hours_ago[1], 2),
        (hours_ago[2], 1),
        (now.isoformat(), 1),
    ]
    assert not charts.worth_drawing([], [])
    assert charts.worth_drawing([], points)


async def test_reach_counts_every_outcome(bot: Harness) -> None:
    db = bot.deps.db
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    article_id = await _article(bot, 1)
    await deliveries.enqueue_new(db)
    await deliveries.mark_failed(db, article_id, EN_READER, "Bad Request: message is too long")
    [reach] = await stats_store.latest_reach(db)
    assert (reach.article_id, reach.delivered, reach.pending) == (article_id, 0, 1)
    assert reach.failed == {"Bad Request: message is too long": 1}
    assert (reach.edited, reach.deleted, reach.withdrawn) == (0, 0, False)


def _iso_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()

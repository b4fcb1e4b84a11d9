"""Quiet hours and digests as a reader meets them: silence at night, one digest in the morning.

The sender's clock is set by the test (``Sender.clock``): the night passes without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery import JOB_NAME
from bot.render import bare
from bot.standin import wait_until
from storage import articles, chat_settings, deliveries
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

NIGHT = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
MORNING = datetime(2026, 12, 3, 7, 5, tzinfo=UTC)
TITLES = ["انفجار في ميناء طرطوس", "افتتاح معرض الكتاب في دمشق", "أمطار غزيرة في اللاذقية"]


async def _store(bot: Harness, titles: list[str]) -> list[int]:
    ids = []
    for title in titles:
        article_id, _ = await articles.add(bot.deps.db, NewArticle(title=title, body=title + "."))
        ids.append(article_id)
    return ids


def _at(bot: Harness, moment: datetime) -> None:
    bot.deps.sender.clock = lambda: moment


async def test_the_night_is_quiet_and_the_morning_brings_one_digest(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [answer] = await bot.send(READER, "/quiet 23:00-07:00")
    assert "23:00" in bare(answer.text)
    assert "07:00" in bare(answer.text)
    _at(bot, NIGHT)
    await _store(bot, TITLES)
    assert await bot.push() == 0
    assert await bot.push() == 0

    # Breaking news rings through the quiet hours.
    [urgent] = await _store(bot, ["زلزال يضرب المنطقة"])
    await deliveries.enqueue_article(bot.deps.db, urgent)
    assert await bot.push() == 1
    breaking = bot.tg.last(READER)
    assert "🔴" in breaking.text
    assert not breaking.disable_notification

    _at(bot, MORNING)
    assert await bot.push() == 1
    digest = bot.tg.last(READER)
    assert "موجز الأخبار" in digest.text
    for title in TITLES:
        assert title in digest.text
    assert len(digest.buttons()) == len(TITLES)
    assert digest.disable_notification
    # Nothing is left to send twice.
    assert await bot.push() == 0
    assert (await deliveries.counts(bot.deps.db)).pending == 0


async def test_quiet_off_releases_what_waited_at_the_next_push(bot: Harness) -> None:
    await bot.send(EN_READER, "/subscribe", lang="en")
    await bot.send(EN_READER, "/quiet 22:00-06:00", lang="en")
    _at(bot, NIGHT)
    await _store(bot, TITLES[:2])
    assert await bot.push() == 0
    [off] = await bot.send(EN_READER, "/quiet off", lang="en")
    assert "Quiet hours are off" in off.text
    assert await bot.push() == 1
    digest = bot.tg.last(EN_READER)
    assert "News digest: 2 articles" in digest.text
    assert digest.button_texts() == [f"1. {TITLES[0]}", f"2. {TITLES[1]}"]


async def test_an_hourly_digest_is_one_message_per_hour(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [answer] = await bot.send(READER, "/digest hourly")
    assert "كل ساعة" in answer.text
    await _store(bot, TITLES)
    await deliveries.enqueue_new(bot.deps.db, bot.settings.push_policy())
    [(queued,)] = await bot.deps.db.conn.execute_fetchall("SELECT max(created_at) FROM deliveries")
    hour = datetime.fromisoformat(str(queued))
    _at(bot, hour)
    assert await bot.push() == 0
    _at(bot, hour + timedelta(hours=1))
    assert await bot.push() == 1
    assert all(title in bot.tg.last(READER).text for title in TITLES)


async def test_a_daily_digest_comes_at_its_time(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [answer] = await bot.send(READER, "/digest daily 08:30")
    assert "08:30" in bare(answer.text)
    stored = await chat_settings.get(bot.deps.db, READER)
    assert (stored.digest, stored.digest_at) == ("daily", "08:30")
    await _store(bot, TITLES[:2])
    await deliveries.enqueue_new(bot.deps.db, bot.settings.push_policy())
    [(queued,)] = await bot.deps.db.conn.execute_fetchall("SELECT max(created_at) FROM deliveries")
    at = datetime.fromisoformat(str(queued))
    _at(bot, at)
    assert await bot.push() == 0
    _at(bot, at + timedelta(days=1))
    assert await bot.push() == 1


async def test_corrections_reach_delivered_copies_during_quiet_hours(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [article_id] = await _store(bot, TITLES[:1])
    assert await bot.push() == 1
    copy = bot.tg.last(READER)
    await bot.send(READER, "/quiet 23:00-07:00")
    _at(bot, NIGHT)
    owed = await articles.correct(bot.deps.db, article_id, NewArticle("عنوان مصحح", "نص مصحح."))
    assert owed == 1
    await bot.deps.sender.drain()
    assert copy.edits == 1
    assert "عنوان مصحح" in copy.text


async def test_the_push_tick_wakes_the_sender_when_the_quiet_hours_end(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(READER, "/quiet 23:00-07:00")
    _at(bot, NIGHT)
    await _store(bot, TITLES)
    assert await bot.push() == 0
    _at(bot, MORNING)
    before = len(bot.tg.messages(READER))
    assert bot.app.job_queue is not None
    [tick] = bot.app.job_queue.get_jobs_by_name(JOB_NAME)
    await tick.run(bot.app)  # nothing new to queue: only the end of the quiet hours
    await wait_until(lambda: len(bot.tg.messages(READER)) == before + 1, 10)
    assert "موجز الأخبار" in bot.tg.last(READER).text


async def test_the_push_tick_sends_what_waited_once_quiet_hours_are_switched_off(
    bot: Harness,
) -> None:
    await bot.send(EN_READER, "/subscribe", lang="en")
    await bot.send(EN_READER, "/quiet 22:00-06:00", lang="en")
    _at(bot, NIGHT)
    await _store(bot, TITLES[:2])
    assert await bot.push() == 0
    await bot.send(EN_READER, "/quiet off", lang="en")
    before = len(bot.tg.messages(EN_READER))
    assert bot.app.job_queue is not None
    [tick] = bot.app.job_queue.get_jobs_by_name(JOB_NAME)
    await tick.run(bot.app)  # nothing new arrived: only the switched-off hold wakes it
    await wait_until(lambda: len(bot.tg.messages(EN_READER)) == before + 1, 10)
    assert "News digest: 2 articles" in bot.tg.last(EN_READER).text

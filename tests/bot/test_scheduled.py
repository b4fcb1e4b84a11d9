"""Scheduled posts: a time after /post, Publish schedules it, it goes out on time (a time that
passed while the bot was down, at start), /scheduled lists and cancels; bad times refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import schedule
from bot.render import bare
from bot.standin import wait_until
from storage import articles, audit, drafts
from storage.importers import RecordError
from tests.bot.conftest import ADMIN, READER, Harness

DAMASCUS = ZoneInfo("Asia/Damascus")  # UTC+3
SENT = datetime(2026, 12, 2, 16, 0, 7, tzinfo=UTC)  # 19:00:07 in Damascus


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("18:30", datetime(2026, 12, 3, 15, 30, tzinfo=UTC)),  # today's has passed: tomorrow
        ("21:05", datetime(2026, 12, 2, 18, 5, tzinfo=UTC)),
        ("2026-12-03 08:00", datetime(2026, 12, 3, 5, 0, tzinfo=UTC)),
        ("2026-12-03T08:00", datetime(2026, 12, 3, 5, 0, tzinfo=UTC)),
        ("+15m", SENT + timedelta(minutes=15)),  # from the command, to the second
        ("+2h", SENT + timedelta(hours=2)),
        ("+ 2 h", SENT + timedelta(hours=2)),
        ("+١٥د", SENT + timedelta(minutes=15)),  # Arabic digits and unit
        ("+٢ ساعة", SENT + timedelta(hours=2)),
        ("٢٠:٠٠", datetime(2026, 12, 2, 17, 0, tzinfo=UTC)),
    ],
)
def test_times_an_editor_writes(spec: str, expected: datetime) -> None:
    assert schedule.parse_when(spec, SENT, DAMASCUS, now=SENT) == expected


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("25:00", "time_bad"),
        ("18:5", "time_bad"),
        ("18:30:00:00", "time_bad"),
        ("+15x", "time_bad"),
        ("+m", "time_bad"),
        ("2026-02-30 08:00", "time_bad"),
        ("2026-12-03", "time_bad"),
        ("2026-12-02 08:00", "time_past"),
        ("2020-01-01 00:00", "time_past"),
        ("+0m", "time_past"),
        ("+9999h", "time_far"),
        ("+999999d", "time_far"),
    ],
)
def test_times_refused(spec: str, code: str) -> None:
    with pytest.raises(RecordError) as refused:
        schedule.parse_when(spec, SENT, DAMASCUS, now=SENT)
    assert refused.value.code == code


def test_what_is_a_time_and_what_is_a_title() -> None:
    for spec in ("18:30", "2026-12-03 08:00", "+2h", "+2 ساعة", "+15x", "25:99", "١٨:٣٠", "+"):
        assert schedule.looks_like_time(spec), spec
    for title in ("2026", "عاجل", "18 قتيلاً", "Budget 2026: the vote", "+500 قتيل", "+1 مليون"):
        assert not schedule.looks_like_time(title)


async def _time_passes(bot: Harness, draft_id: int) -> None:
    """The draft's time comes (its time moved an hour back, as if an hour had gone by)."""
    draft = await drafts.get(bot.deps.db, draft_id)
    assert draft is not None
    assert draft.publish_at is not None
    past = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
    async with bot.deps.db.transaction() as conn:
        await conn.execute("UPDATE drafts SET publish_at = ? WHERE id = ?", (past, draft_id))


def _draft_id(preview_buttons: list[list[dict[str, object]]]) -> int:
    data = str(preview_buttons[0][0]["callback_data"])
    return int(data.split(":")[1])


async def test_scheduled_post_goes_out_on_time_across_a_restart(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    update = bot.tg.message_update(ADMIN, ADMIN, "/post +2h\nموعد الاجتماع\nنص الخبر.")
    sent_at = datetime.fromtimestamp(update["message"]["date"], UTC)
    intro, preview = await bot.feed(update)
    assert "مسودة مجدولة" in intro.text
    draft_id = _draft_id(preview.buttons())
    draft = await drafts.get(bot.deps.db, draft_id)
    assert draft is not None
    assert draft.publish_at == (sent_at + timedelta(hours=2)).isoformat()
    before = await articles.count(bot.deps.db)

    [answer] = await bot.press(preview, "publish")
    assert "جُدول النشر" in answer.text
    assert await articles.count(bot.deps.db) == before  # not yet an article
    assert await bot.push() == 0
    [listed] = await bot.send(ADMIN, "/scheduled")
    assert "موعد الاجتماع" in listed.text
    assert listed.button_texts() == ["إلغاء 1"]

    # The bot is down when the time comes (moved back while it runs, as the next check is
    # 30 s away); it publishes at start.
    await _time_passes(bot, draft_id)
    await bot.restart()
    await wait_until(lambda: bool(bot.tg.messages(READER)) and "موعد" in bot.tg.last(READER).text)
    assert bot.tg.last(READER).bold()[0] == "موعد الاجتماع"
    assert bot.tg.last(READER).disable_notification
    published = await drafts.get(bot.deps.db, draft_id)
    assert published is not None
    assert published.state == "published"
    assert any(
        f"#{published.article_id}" in bare(m.text) for m in bot.tg.messages(ADMIN)
    )  # the editor is told it went out
    assert published.article_id is not None
    trail = await audit.history(bot.deps.db, published.article_id)
    assert [e.action for e in trail] == ["drafted", "scheduled", "published"]
    [empty] = await bot.send(ADMIN, "/scheduled")
    assert "لا منشورات مجدولة" in empty.text
    assert await bot.push() == 0  # once only


async def test_the_job_publishes_while_running(bot: Harness) -> None:
    assert bot.app.job_queue is not None
    assert bot.app.job_queue.get_jobs_by_name(schedule.JOB_NAME)
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft("/post 23:59\nخبر مجدول\nنصه.")
    draft_id = _draft_id(preview.buttons())
    [answer] = await bot.press(preview, "urgent")
    assert "خبراً عاجلاً" in answer.text
    [listed] = await bot.send(ADMIN, "/scheduled")
    assert "🔴" in listed.text
    await _time_passes(bot, draft_id)
    [job] = bot.app.job_queue.get_jobs_by_name(schedule.JOB_NAME)
    await job.run(bot.app)
    await wait_until(lambda: any(m.bold()[:1] == ["خبر مجدول"] for m in bot.tg.messages(READER)))
    assert not bot.tg.last(READER).disable_notification  # scheduled as urgent: it rings


async def test_cancel_a_scheduled_post(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft("/post +1h\nلن يُنشر\nنصه.")
    draft_id = _draft_id(preview.buttons())
    await bot.press(preview, "publish")
    [listed] = await bot.send(ADMIN, "/scheduled")
    [answer] = await bot.click(listed, "إلغاء 1")
    assert "أُلغيت المسودة" in answer.text
    assert "لا منشورات مجدولة" in listed.text  # the list is drawn again in place
    await _time_passes(bot, draft_id)
    await bot.restart()
    await bot.push()
    assert not any("لن يُنشر" in m.text for m in bot.tg.messages(READER))
    assert await drafts.scheduled(bot.deps.db) == []


async def test_publish_pressed_after_the_time_publishes_now(bot: Harness) -> None:
    _, preview = await bot.draft("/post +15m\nتأخر المحرر\nنصه.")
    await _time_passes(bot, _draft_id(preview.buttons()))
    [answer] = await bot.press(preview, "publish")
    assert re.search("#[0-9]+", answer.text)
    assert "الدفعة التالية" in answer.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/post 25:99\nعنوان\nنص.", "لم أفهم الموعد"),
        ("/post +15x\nعنوان\nنص.", "لم أفهم الموعد"),
        ("/post 2020-01-01 08:00\nعنوان\nنص.", "مضى"),
        ("/post +9999h\nعنوان\nنص.", "بعيد جداً"),
        ("/post 18:30\n\u200b\u200f\nنص.", "العنوان فارغ أو غير مرئي"),
        ("/post 18:30", "العنوان والنص فارغان"),
    ],
)
async def test_bad_schedules_are_refused_with_the_reason(
    bot: Harness, text: str, reason: str
) -> None:
    refusal, _usage = await bot.send(ADMIN, text, lang="ar")
    assert reason in refusal.text
    assert "لم يُحفظ" in refusal.text
    assert await drafts.get(bot.deps.db, 1) is None


async def test_a_past_time_is_shown_in_the_editors_language(bot: Harness) -> None:
    refusal, _ = await bot.send(ADMIN, "/post 2020-01-01 08:00\nTitle\nBody.", lang="en")
    assert "the time 1 Jan 2020, 08:00 has already passed" in refusal.text


async def test_non_editors_cannot_schedule(bot: Harness) -> None:
    [answer] = await bot.send(READER, "/post +2h\nعنوان\nنص.")
    assert "لمحرري الموقع فقط" in answer.text
    assert await drafts.get(bot.deps.db, 1) is None

"""A chat's choices, and what its quiet hours, digest and pause hold in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import Database, articles, chat_settings, chats, deliveries
from storage.articles import NewArticle
from storage.chat_settings import ChatSettings

NIGHT = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
MORNING = datetime(2026, 12, 3, 7, 5, tzinfo=UTC)


def test_times_and_windows_as_people_type_them() -> None:
    assert chat_settings.parse_hhmm("7:05") == "07:05"
    assert chat_settings.parse_hhmm("٠٧:٣٠") == "07:30"
    assert chat_settings.parse_window("23:00-07:00") == ("23:00", "07:00")
    assert chat_settings.parse_window("٢٣:٠٠ – ٠٦:٤٥") == ("23:00", "06:45")
    for bad in ("25:00-99:99", "23:00-24:00", "23:60-07:00", "08:00-08:00", "23-07", "soon"):
        assert chat_settings.parse_window(bad) is None, bad
    for bad in ("24:00", "7", "07:5", "²3:00"):
        assert chat_settings.parse_hhmm(bad) is None, bad


def test_a_window_may_cross_midnight() -> None:
    for inside in (time(23, 0), time(23, 59), time(0, 0), time(6, 59)):
        assert chat_settings.in_window("23:00", "07:00", inside)
    for outside in (time(7, 0), time(12, 0), time(22, 59)):
        assert not chat_settings.in_window("23:00", "07:00", outside)
    assert chat_settings.in_window("13:00", "14:00", time(13, 30))
    assert not chat_settings.in_window("13:00", "14:00", time(14, 0))


def test_quiet_hours_are_local_time() -> None:
    quiet = ChatSettings(1, quiet_start="23:00", quiet_end="07:00")
    damascus = ZoneInfo("Asia/Damascus")  # UTC+3
    # 21:30 UTC is 00:30 in Damascus: quiet there, not in UTC.
    evening = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    assert quiet.hold(evening, damascus) == chat_settings.Hold(quiet=True, cutoff=None)
    assert quiet.hold(evening, UTC) == chat_settings.Hold(quiet=False, cutoff=None)
    assert ChatSettings(1).hold(evening, UTC) is None


def test_digest_periods_end_at_the_hour_and_at_the_chosen_time() -> None:
    hourly = ChatSettings(1, digest="hourly").hold(datetime(2026, 12, 2, 9, 40, tzinfo=UTC), UTC)
    assert hourly is not None
    assert hourly.cutoff == "2026-12-02T09:00:00+00:00"
    assert hourly.holds("2026-12-02T09:10:00+00:00")
    assert not hourly.holds("2026-12-02T08:59:59+00:00")
    daily = ChatSettings(1, digest="daily", digest_at="08:00")
    before = daily.hold(datetime(2026, 12, 3, 7, 59, tzinfo=UTC), UTC)
    after = daily.hold(datetime(2026, 12, 3, 8, 0, tzinfo=UTC), UTC)
    assert before is not None
    assert before.cutoff == "2026-12-02T08:00:00+00:00"
    assert after is not None
    assert after.cutoff == "2026-12-03T08:00:00+00:00"


async def _reader(db: Database, chat_id: int = 10) -> None:
    await chats.upsert_chat(db, chat_id, "private")
    await chats.subscribe(db, chat_id, chat_id)


async def _articles(db: Database, n: int, prefix: str = "خبر") -> list[int]:
    ids = []
    for i in range(n):
        article_id, _ = await articles.add(db, NewArticle(title=f"{prefix} {i}", body=f"نص {i}"))
        ids.append(article_id)
    return ids


async def test_settings_are_stored_and_defaults_read_back(db: Database) -> None:
    assert await chat_settings.get(db, 10) == ChatSettings(10)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    await chat_settings.set_digest(db, 10, "daily")
    await chat_settings.set_language(db, 10, "en")
    stored = await chat_settings.get(db, 10)
    assert stored.quiet == ("23:00", "07:00")
    assert (stored.digest, stored.digest_at) == ("daily", chat_settings.DEFAULT_DIGEST_AT)
    assert await chat_settings.languages(db) == {10: "en"}
    await chat_settings.set_digest(db, 10, "hourly", "09:00")
    await chat_settings.set_quiet(db, 10, None)
    stored = await chat_settings.get(db, 10)
    assert (stored.quiet, stored.digest, stored.digest_at) == (None, "hourly", None)


async def test_quiet_hours_hold_ordinary_sends_and_release_one_digest(db: Database) -> None:
    await _reader(db)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    ids = await _articles(db, 3)
    assert await deliveries.enqueue_new(db) == 3
    await deliveries.group_held(db, now=NIGHT, tz=UTC)
    assert await deliveries.pending(db, now=NIGHT, tz=UTC) == []
    assert not await deliveries.released(db, now=NIGHT, tz=UTC)
    # Breaking news comes all the same.
    [urgent] = await _articles(db, 1, "عاجل")
    await deliveries.enqueue_article(db, urgent)
    assert [d.article_id for d in await deliveries.due(db, now=NIGHT, tz=UTC)] == [urgent]
    # Morning: what waited is one digest, listing all three.
    assert await deliveries.released(db, now=MORNING, tz=UTC)
    await deliveries.group_held(db, now=MORNING, tz=UTC)
    due = [d for d in await deliveries.due(db, now=MORNING, tz=UTC) if d.article_id != urgent]
    assert sorted(d.article_id for d in due) == ids
    assert {d.digest for d in due} == {-min(ids)}
    assert {d.digest_more for d in due} == {0}


async def test_switching_quiet_hours_off_releases_what_waited(db: Database) -> None:
    await _reader(db)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    await _articles(db, 2)
    await deliveries.enqueue_new(db)
    assert await deliveries.group_held(db, now=NIGHT, tz=UTC) == 2
    assert await deliveries.group_held(db, now=NIGHT, tz=UTC) == 0  # idempotent
    await chat_settings.set_quiet(db, 10, None)
    due = await deliveries.due(db, now=NIGHT, tz=UTC)
    assert len(due) == 2
    assert len({d.digest for d in due}) == 1


async def test_a_long_night_is_one_digest_of_the_newest_with_a_count(db: Database) -> None:
    await _reader(db)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    ids = await _articles(db, deliveries.DIGEST_SIZE + 5)
    await deliveries.enqueue_new(db)
    await deliveries.group_held(db, now=NIGHT, tz=UTC)
    due = await deliveries.due(db, now=MORNING, tz=UTC)
    assert sorted(d.article_id for d in due) == ids[-deliveries.DIGEST_SIZE :]
    assert {d.digest_more for d in due} == {5}
    assert (await deliveries.counts(db)).skipped == 5


async def test_a_single_held_article_goes_as_itself(db: Database) -> None:
    await _reader(db)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    [only] = await _articles(db, 1)
    await deliveries.enqueue_new(db)
    await deliveries.group_held(db, now=NIGHT, tz=UTC)
    [item] = await deliveries.due(db, now=MORNING, tz=UTC)
    assert (item.article_id, item.digest) == (only, None)


async def test_hourly_digest_waits_for_the_hour(db: Database) -> None:
    await _reader(db)
    await chat_settings.set_digest(db, 10, "hourly")
    await _articles(db, 2)
    await deliveries.enqueue_new(db)
    # "Now" is when they were queued (not the wall clock, which may have passed the hour).
    [(queued,)] = await db.conn.execute_fetchall("SELECT max(created_at) FROM deliveries")
    now = datetime.fromisoformat(str(queued))
    await deliveries.group_held(db, now=now, tz=UTC)
    assert await deliveries.due(db, now=now, tz=UTC) == []
    later = now + timedelta(hours=1)
    assert await deliveries.released(db, now=later, tz=UTC)
    await deliveries.group_held(db, now=later, tz=UTC)
    due = await deliveries.due(db, now=later, tz=UTC)
    assert len(due) == 2
    assert len({d.digest for d in due}) == 1


async def test_corrections_of_delivered_copies_are_never_held(db: Database) -> None:
    await _reader(db)
    [article] = await _articles(db, 1)
    await deliveries.enqueue_new(db)
    await deliveries.claim(db, article, 10)
    await deliveries.mark_sent(db, article, 10, 77)
    await chat_settings.set_quiet(db, 10, ("23:00", "07:00"))
    await db.conn.execute("UPDATE deliveries SET edit_due = 1")
    await db.conn.commit()
    [edit] = await deliveries.due(db, now=NIGHT, tz=UTC)
    assert edit.is_edit
    assert edit.message_id == 77


async def test_pause_drops_the_queue_and_resume_does_not_flood(db: Database) -> None:
    await _reader(db)
    await _articles(db, 2)
    await deliveries.enqueue_new(db)
    assert await chat_settings.set_paused(db, 10, True)
    assert not await chat_settings.set_paused(db, 10, True)
    assert await deliveries.due(db) == []
    await _articles(db, 3, "أثناء التوقف")
    await deliveries.enqueue_new(db)
    [urgent] = await _articles(db, 1, "عاجل")
    await deliveries.enqueue_article(db, urgent)
    assert await deliveries.due(db) == []
    assert await chat_settings.set_paused(db, 10, False)
    assert await deliveries.enqueue_new(db) == 0
    assert await deliveries.due(db) == []
    [fresh] = await _articles(db, 1, "بعد الاستئناف")
    await deliveries.enqueue_new(db)
    assert [d.article_id for d in await deliveries.due(db)] == [fresh]


async def test_the_chat_language_wins_in_pushes(db: Database) -> None:
    await chats.upsert_chat(db, 10, "private", language="ar")
    await chats.subscribe(db, 10, 10)
    await chat_settings.set_language(db, 10, "en")
    await _articles(db, 1)
    await deliveries.enqueue_new(db)
    [item] = await deliveries.due(db)
    assert item.language == "en"


@pytest.mark.parametrize("known", [False, True])
async def test_settings_follow_a_group_that_became_a_supergroup(db: Database, known: bool) -> None:
    await chats.upsert_chat(db, -4001, "group")
    await chat_settings.set_quiet(db, -4001, ("22:00", "06:00"))
    if known:
        await chats.upsert_chat(db, -1004001, "supergroup")
    await chats.migrate_chat(db, -4001, -1004001)
    assert (await chat_settings.get(db, -1004001)).quiet == ("22:00", "06:00")
    assert (await chat_settings.get(db, -4001)).quiet is None

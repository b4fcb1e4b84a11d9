"""The sender at Telegram's limits: every outcome of a send, order, fairness, crash safety."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import Settings, load_settings
from bot.delivery import deliver
from bot.pacing import Limits, Pacer
from bot.render import bare
from bot.sender import Sender
from bot.standin import FakeTelegram, Fault, SentMessage, wait_until
from storage import Database, articles, chats, deliveries, open_database
from storage.articles import NewArticle

ADMIN = 1001
FAST = Limits(private_per_second=50, group_per_minute=3000, global_per_second=500, margin=0)


# --- the pacer alone ---------------------------------------------------------------------


def test_pacer_spaces_each_kind_of_chat() -> None:
    pacer = Pacer(Limits(margin=0))
    pacer.finished(1, "private", now=10.0)
    pacer.finished(-100, "channel", now=10.0)
    assert pacer.chat_ready_at(1) == 11.0
    assert pacer.chat_ready_at(-100) == 13.0  # 20 a minute
    assert pacer.chat_ready_at(2) == 0.0


def test_pacer_keeps_the_overall_window_and_spreads_starts() -> None:
    pacer = Pacer(Limits(global_per_second=4, margin=0))
    assert pacer.global_ready_at(0.0) <= 0.0
    pacer.started(0.0)
    assert pacer.global_ready_at(0.0) == 0.25  # evenly spread, not a burst
    for t in (0.25, 0.5, 0.75):
        pacer.started(t)
    # The whole budget is in flight: nothing may start until an answer comes.
    assert pacer.global_ready_at(0.8) == float("inf")
    pacer.answered(0.9)  # Telegram has it by now; it counts for one more second
    assert pacer.global_ready_at(0.95) == 1.9
    for t in (0.95, 1.0, 1.1):
        pacer.answered(t)
    assert pacer.global_ready_at(1.9) <= 1.9  # one answer has left the window


def test_pacer_pauses_one_chat_or_everything() -> None:
    pacer = Pacer(Limits(margin=0))
    pacer.pause_chat(5, until=30.0)
    pacer.finished(5, "private", now=1.0)  # a pause is never shortened
    assert pacer.chat_ready_at(5) == 30.0
    pacer.pause_all(until=50.0)
    assert pacer.global_ready_at(0.0) == 50.0


# --- the sender against the stand-in -----------------------------------------------------


@dataclass
class World:
    tg: FakeTelegram
    db: Database
    settings: Settings
    bot: Bot
    senders: list[Sender] = field(default_factory=list)

    def sender(self, limits: Limits = FAST, concurrency: int = 4) -> Sender:
        sender = Sender(
            self.bot, self.db, self.settings, limits=limits, concurrency=concurrency,
            retry_base=0.05, deliver=deliver,
        )  # fmt: skip
        self.senders.append(sender)
        sender.start()
        return sender

    async def private(self, *ids: int) -> None:
        for chat_id in ids:
            self.tg.add_chat(chat_id, "private")
            await chats.upsert_chat(self.db, chat_id, "private")
            await chats.subscribe(self.db, chat_id, chat_id)

    async def channel(self, chat_id: int, kind: str = "channel") -> None:
        self.tg.add_chat(chat_id, kind, title=f"chat {chat_id}")
        if kind == "channel":
            self.tg.set_member(chat_id, self.tg.bot_id, "administrator", can_post_messages=True)
        await chats.upsert_chat(self.db, chat_id, kind, title=f"chat {chat_id}")
        await chats.subscribe(self.db, chat_id, ADMIN)

    async def articles(self, n: int, start: int = 0) -> list[int]:
        ids = []
        for i in range(start, start + n):
            article_id, _ = await articles.add(
                self.db, NewArticle(title=f"خبر {i}", body=f"نص الخبر {i}.")
            )
            ids.append(article_id)
            # One push each: a backlog built over several pushes, none over PUSH_BATCH_MAX.
            await deliveries.enqueue_new(self.db)
        return ids

    def titles(self, chat_id: int) -> list[str]:
        return [
            bare(m.bold()[0] if m.bold() else m.text.split("\n")[0])
            for m in self.tg.messages(chat_id)
        ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    tg = FakeTelegram()
    await tg.start()
    tg.add_chat(ADMIN, "private")
    db = await open_database(tmp_path / "news.db")
    settings = load_settings(
        bot_token=tg.token,
        telegram_api_url=tg.base_url,
        database_path=tmp_path / "news.db",
        admin_ids=str(ADMIN),
        _env_file=None,
    )
    bot = Bot(
        tg.token,
        base_url=tg.base_url,
        request=HTTPXRequest(connection_pool_size=16, read_timeout=0.5),
    )
    await bot.initialize()
    w = World(tg, db, settings, bot)
    yield w
    for sender in w.senders:
        await sender.stop()
    await bot.shutdown()
    await db.close()
    await tg.stop()


async def _state(db: Database, chat_id: int) -> bool:
    sub = await chats.subscription(db, chat_id)
    return sub is not None and sub.active


async def test_every_subscriber_gets_every_article_once_in_order(world: World) -> None:
    await world.private(11, 12, 13)
    await world.channel(-1001)
    await world.articles(4)
    sender = world.sender()
    await sender.drain()
    for chat_id in (11, 12, 13, -1001):
        assert world.titles(chat_id) == ["خبر 0", "خبر 1", "خبر 2", "خبر 3"]
    counts = await deliveries.counts(world.db)
    assert (counts.sent, counts.pending, counts.failed, counts.doubtful) == (16, 0, 0, 0)


async def test_limits_as_telegram_enforces_them_give_no_429(world: World) -> None:
    world.tg.enforce_limits(private_per_second=10, group_per_minute=300, overall_per_second=15)
    limits = Limits(private_per_second=10, group_per_minute=300, global_per_second=15)
    await world.private(*range(21, 31))
    await world.channel(-1002)
    await world.articles(3)
    started = time.monotonic()
    await world.sender(limits=limits, concurrency=8).drain()
    elapsed = time.monotonic() - started
    assert world.tg.throttled == 0
    assert len(world.tg.sent) == 33
    assert elapsed > 33 / 15 - 1.1  # it did have to wait for the overall window


async def test_retry_after_pauses_only_that_chat(world: World) -> None:
    await world.private(31, 32)
    world.tg.inject("sendMessage", Fault.retry_after(1), chat_id=31)
    await world.articles(2)
    sender = world.sender()
    await asyncio.sleep(0.5)
    assert world.titles(32) == ["خبر 0", "خبر 1"]  # not held up by 31's pause
    assert world.titles(31) == []
    await sender.drain()
    assert world.titles(31) == ["خبر 0", "خبر 1"]
    assert sender.throttled == 1


async def test_many_429s_at_once_pause_everything(world: World) -> None:
    await world.private(41, 42, 43, 44)
    for chat_id in (41, 42, 43):
        world.tg.inject("sendMessage", Fault.retry_after(1), chat_id=chat_id)
    await world.articles(1)
    sender = world.sender(concurrency=3)
    await sender.drain()
    assert all(world.titles(c) == ["خبر 0"] for c in (41, 42, 43, 44))
    # 44 was held back by the global pause, so it arrived after the pause, not first.
    assert sender.pacer.global_ready_at(0) > 0


async def test_forbidden_and_chat_not_found_deactivate(world: World) -> None:
    await world.private(51, 52, 53)
    await world.channel(-1003)
    world.tg.block_bot(51)
    world.tg.inject("sendMessage", Fault.chat_not_found(), chat_id=52)
    world.tg.set_member(-1003, world.tg.bot_id, "left")
    await world.articles(2)
    await world.sender().drain()
    assert not await _state(world.db, 51)
    assert not await _state(world.db, 52)
    assert not await _state(world.db, -1003)
    assert await _state(world.db, 53)
    assert world.titles(53) == ["خبر 0", "خبر 1"]
    # The editors hear about the channel, not about the readers.
    [notice] = world.tg.messages(ADMIN)
    assert "chat -1003" in notice.text
    counts = await deliveries.counts(world.db)
    assert (counts.sent, counts.pending, counts.failed, counts.skipped) == (2, 0, 0, 6)


async def test_migrated_group_is_followed(world: World) -> None:
    await world.channel(-61, kind="group")
    world.tg.migrate_chat(-61, -1000061)
    await world.articles(3)
    await world.sender().drain()
    assert world.titles(-1000061) == ["خبر 0", "خبر 1", "خبر 2"]
    assert await _state(world.db, -1000061)
    assert (await deliveries.counts(world.db)).sent == 3


async def test_refused_message_is_repaired_once_as_plain_text(world: World) -> None:
    await world.private(71, 72)
    entities = Fault("bad", status=400, description="Bad Request: can't parse entities: x")
    world.tg.inject("sendMessage", entities, chat_id=71)
    weird = Fault("bad", status=400, description="Bad Request: MESSAGE_WEIRD")
    world.tg.inject("sendMessage", weird, chat_id=72)
    await world.articles(2)
    await world.sender().drain()
    first = world.tg.messages(71)[0]
    assert first.parse_mode is None
    assert bare(first.text).startswith("خبر 0")  # the plain text, tags gone
    assert world.titles(71)[1:] == ["خبر 1"]
    assert world.titles(72) == ["خبر 1"]  # the refused one failed alone, never retried
    reports = await deliveries.latest_reports(world.db)
    assert reports[-1].failed == {"Message_weird": 1}  # PTB's capitalisation


async def test_network_errors_retry_with_backoff(world: World) -> None:
    await world.private(81)
    world.tg.inject("sendMessage", Fault.server_error(502), chat_id=81, times=2)
    await world.articles(1)
    await world.sender().drain()
    assert world.titles(81) == ["خبر 0"]
    attempts = [r for r in world.tg.requests if r.method == "sendMessage"]
    assert [r.status for r in attempts] == [502, 502, 200]


async def test_time_out_after_telegram_stored_it_is_resent_and_counted(world: World) -> None:
    await world.private(91)
    world.tg.inject("sendMessage", Fault.timeout_after_store(1.0), chat_id=91)
    await world.articles(1)
    await world.sender().drain()
    assert world.titles(91) == ["خبر 0", "خبر 0"]  # Telegram has no idempotency key
    assert (await deliveries.counts(world.db)).doubtful == 1


async def test_a_chat_that_keeps_failing_is_deactivated_and_editors_told(world: World) -> None:
    await world.channel(-1004)
    weird = Fault("bad", status=400, description="Bad Request: MESSAGE_WEIRD")
    world.tg.inject("sendMessage", weird, chat_id=-1004, times=None)
    await world.articles(7)
    await world.sender().drain()
    sub = await chats.subscription(world.db, -1004)
    assert sub is not None
    assert not sub.active
    assert "failed" in (sub.inactive_reason or "")
    assert "chat -1004" in world.tg.last(ADMIN).text
    counts = await deliveries.counts(world.db)
    assert (counts.failed, counts.skipped) == (5, 2)


async def test_every_fault_at_once_in_one_fan_out(world: World) -> None:
    healthy = list(range(101, 111))
    await world.private(*healthy, 121, 122, 123, 124)
    await world.channel(-71, kind="group")
    world.tg.block_bot(121)
    world.tg.inject("sendMessage", Fault.retry_after(1), chat_id=122)
    world.tg.inject("sendMessage", Fault.server_error(503), chat_id=123)
    world.tg.inject("sendMessage", Fault.latency(0.3), chat_id=124, times=None)
    world.tg.migrate_chat(-71, -1000071)
    for chat_id in healthy[:3]:
        world.tg.inject("sendMessage", Fault.latency(0.2), chat_id=chat_id)
    await world.articles(3)
    await world.sender().drain()
    for chat_id in [*healthy, 122, 123, 124, -1000071]:
        assert world.titles(chat_id) == ["خبر 0", "خبر 1", "خبر 2"], chat_id
    assert world.tg.messages(121) == []
    counts = await deliveries.counts(world.db)
    assert (counts.sent, counts.pending, counts.failed) == (14 * 3, 0, 0)


async def test_urgent_overtakes_the_queue(world: World) -> None:
    await world.private(131)
    await world.articles(5)
    sender = world.sender(limits=Limits(private_per_second=5, margin=0))
    await asyncio.sleep(0.1)
    urgent, _ = await articles.add(world.db, NewArticle(title="عاجل", body="نص عاجل"))
    await deliveries.enqueue_article(world.db, urgent, priority=1)
    sender.wake()
    await sender.drain()
    titles = world.titles(131)
    assert titles[0] == "خبر 0"
    assert titles[1] == "عاجل"
    assert titles[2:] == ["خبر 1", "خبر 2", "خبر 3", "خبر 4"]


async def test_a_busy_channel_does_not_starve_private_readers(world: World) -> None:
    await world.channel(-1005)
    await world.articles(6)  # the channel's backlog, 1 a second here
    readers = list(range(141, 151))
    await world.private(*readers)
    await world.articles(1, start=6)
    limits = Limits(private_per_second=10, group_per_minute=60, global_per_second=20, margin=0)
    sender = world.sender(limits=limits)
    await asyncio.sleep(1.0)
    # Every reader already has the new article while the channel is still working through its own.
    assert all(world.titles(r) == ["خبر 6"] for r in readers)
    assert 1 <= len(world.titles(-1005)) < 7
    await sender.drain()
    assert world.titles(-1005) == [f"خبر {i}" for i in range(7)]


async def test_a_crash_in_the_middle_loses_nothing(world: World) -> None:
    readers = list(range(161, 181))
    await world.private(*readers)
    for chat_id in readers:
        world.tg.inject("sendMessage", Fault.latency(0.2), chat_id=chat_id, times=None)
    await world.articles(2)
    first = world.sender(concurrency=4)
    await asyncio.sleep(0.7)
    assert 0 < len(world.tg.sent) < 40
    # The process dies: no clean stop, the in-flight sends are cut off where they are.
    assert first._task is not None
    first._task.cancel()
    for task in list(first._tasks):
        task.cancel()
    await asyncio.sleep(0.3)
    world.senders.remove(first)
    doubtful = await deliveries.recover_in_flight(world.db)
    assert 0 < doubtful <= 4
    second = world.sender(concurrency=4)
    await asyncio.sleep(0.05)
    # The chats sent to just before the crash keep their pace across the restart, and the
    # overall window the first process may have filled is left to pass.
    assert second.pacer.chat_ready_at(readers[0]) > 0
    assert second.pacer.global_ready_at(time.monotonic()) > time.monotonic()
    await second.drain()
    received: dict[tuple[int, str], int] = {}
    for m in world.tg.sent:
        key = (m.chat_id, _title(m))
        received[key] = received.get(key, 0) + 1
    expected = {(c, f"خبر {i}") for c in readers for i in range(2)}
    assert set(received) == expected  # nothing lost
    assert sum(n - 1 for n in received.values()) <= 4  # duplicates within the concurrency
    for chat_id in readers:
        titles = world.titles(chat_id)
        assert titles == sorted(titles)  # and still in order


def _title(message: SentMessage) -> str:
    return bare(message.bold()[0])


async def test_a_stop_waits_for_the_sends_in_flight_and_records_them(world: World) -> None:
    readers = list(range(191, 199))
    await world.private(*readers)
    world.tg.inject("sendMessage", Fault.latency(0.3), times=None)
    await world.articles(2)
    sender = world.sender(concurrency=4)
    await wait_until(lambda: len(sender._tasks) == 4, 2)
    await sender.stop()
    # The four in flight were answered and recorded; nothing new was started.
    assert len(world.tg.sent) == 4
    counts = await deliveries.counts(world.db)
    assert (counts.sent, counts.pending, counts.doubtful) == (4, 12, 0)
    assert await deliveries.recover_in_flight(world.db) == 0  # none was left 'sending'


async def test_a_send_the_stop_cuts_off_is_left_pending_and_doubtful(world: World) -> None:
    await world.private(201)
    world.tg.inject("sendMessage", Fault.latency(0.4), chat_id=201)
    await world.articles(1)
    sender = world.sender()
    await wait_until(lambda: bool(sender._tasks), 2)
    await sender.stop(within=0.05)
    counts = await deliveries.counts(world.db)
    assert (counts.sent, counts.pending, counts.doubtful) == (0, 1, 1)
    await asyncio.sleep(0.5)  # Telegram took it all the same: the resend will be counted
    assert world.titles(201) == ["خبر 0"]


async def test_a_stop_ends_the_loop_even_as_an_answer_wakes_it(world: World) -> None:
    sender = world.sender()
    await sender.drain()
    nap = asyncio.create_task(sender._sleep(5.0))  # the loop waiting for a chat's pace
    await asyncio.sleep(0.01)
    sender._wake.set()  # an answer wakes it in the very tick the stop cancels it
    nap.cancel()
    with pytest.raises(asyncio.CancelledError):
        await nap  # the cancel is not lost, so the stop does not wait forever
    await asyncio.wait_for(sender.stop(), 1.0)

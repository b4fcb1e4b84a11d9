"""A stop that repeats nothing: SIGTERM in the middle of a fan-out, then a restart.

A real ``python -m bot run`` process against the stand-in, every sendMessage answered after a
second, so that a whole batch of sends is always in flight. SIGTERM comes when about half of the
readers have the article: the bot must finish and record what is in flight, exit cleanly and
quickly, and after a restart send the rest, so that every reader gets the article exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import cast

from aiohttp import web

from bot.context import AnyContext, Jobs
from bot.standin import FakeTelegram, Fault, SentMessage, wait_until
from storage import articles, chats, deliveries, open_database
from storage.articles import NewArticle

ADMIN = 1001
READERS = list(range(500_001, 500_301))
TITLE = "خبر قبل التوقف"
#: The sender's own bound on waiting for the sends in flight is 10 s; the exit comes well after.
EXIT_WITHIN = 15.0


async def _subscribe_readers_then_publish(database: Path, tg: FakeTelegram) -> None:
    """Every reader subscribed before the article arrives: it is owed to all of them."""
    db = await open_database(database)
    try:
        for chat_id in READERS:
            tg.add_chat(chat_id, "private")
            await chats.upsert_chat(db, chat_id, "private")
            await chats.subscribe(db, chat_id, chat_id)
        await articles.add(db, NewArticle(title=TITLE, body="نص الخبر كاملاً."))
    finally:
        await db.close()


async def _start(tmp_path: Path, tg: FakeTelegram, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(tmp_path / "news.db"),
        ADMIN_IDS=str(ADMIN),
        SEEDS_DIR=str(seeds),
        PUSH_INTERVAL_SECONDS="1",
        PRIVATE_PER_SECOND="100",
        GLOBAL_PER_SECOND="1000",
        SEND_CONCURRENCY="32",
    )
    with log.open("wb") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


async def _terminate(process: asyncio.subprocess.Process) -> float:
    """SIGTERM, as a service manager stops the bot; the seconds until it exited."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), EXIT_WITHIN)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the bot did not exit within {EXIT_WITHIN} s of SIGTERM") from None
    return time.monotonic() - started


def _articles(tg: FakeTelegram) -> Counter[int]:
    """How many copies of the article each reader received."""
    return Counter(m.chat_id for m in tg.sent if _title(m) == TITLE)


def _title(message: SentMessage) -> str:
    bold = message.bold()
    return bold[0] if bold else ""


async def test_sigterm_mid_fan_out_then_restart_delivers_each_article_once(
    tmp_path: Path,
) -> None:
    tg = FakeTelegram()
    await tg.start()
    try:
        tg.add_chat(ADMIN, "private")
        await _subscribe_readers_then_publish(tmp_path / "news.db", tg)
        tg.inject("sendMessage", Fault.latency(1.0), times=None)

        first = await _start(tmp_path, tg, tmp_path / "first.log")
        try:
            await wait_until(lambda: len(_articles(tg)) >= len(READERS) // 2, 40)
        except AssertionError:
            first.kill()
            await first.wait()
            raise
        at_sigterm = len(_articles(tg))
        exit_seconds = await _terminate(first)
        after_stop = len(_articles(tg))
        first_log = (tmp_path / "first.log").read_text()
        assert first.returncode == 0, first_log
        assert at_sigterm < len(READERS)  # the stop did come in the middle of the fan-out

        second = await _start(tmp_path, tg, tmp_path / "second.log")
        try:
            await wait_until(lambda: len(_articles(tg)) == len(READERS), 40)
        finally:
            await _terminate(second)
        second_log = (tmp_path / "second.log").read_text()
        assert second.returncode == 0, second_log
    finally:
        await tg.stop()

    received = _articles(tg)
    lost = [c for c in READERS if received[c] == 0]
    duplicated = {c: n for c, n in received.items() if n > 1}
    print(
        f"\nSIGTERM after {at_sigterm}/{len(READERS)} readers had the article;"
        f" {after_stop - at_sigterm} more answered before the exit, {exit_seconds:.2f} s"
        f" after SIGTERM; lost {len(lost)}, duplicated {len(duplicated)}"
    )
    assert lost == []
    assert duplicated == {}
    db = await open_database(tmp_path / "news.db")
    try:
        counts = await deliveries.counts(db)
    finally:
        await db.close()
    print(f"outbox: {counts}")
    assert (counts.sent, counts.pending, counts.failed) == (len(READERS), 0, 0)
    assert counts.doubtful == 0
    for log in (first_log, second_log):
        assert "Traceback" not in log
        assert "in flight at the last stop" not in log  # nothing was left 'sending'


async def test_a_stop_waits_for_a_running_job_and_starts_no_other() -> None:
    """PTB cancels (but cannot stop) a job that began while it was stopping: the guard waits."""
    jobs = Jobs()
    runs: list[str] = []

    async def tick(context: AnyContext) -> None:
        runs.append("started")
        await asyncio.sleep(0.2)
        runs.append("finished")

    guarded = jobs.guard(tick)
    context = cast(AnyContext, None)
    running = asyncio.create_task(guarded(context))
    await asyncio.sleep(0.05)
    await jobs.close(within=5)
    assert runs == ["started", "finished"]  # close returned only once the tick was done
    await guarded(context)  # the JobQueue's next tick, after the stop
    assert runs == ["started", "finished"]
    await running


async def test_a_detached_tick_returns_at_once_and_the_stop_bounds_it() -> None:
    """A slow feed poll must not hold up PTB's stop: it runs apart, and close cuts it off."""
    jobs = Jobs()
    runs: list[str] = []

    async def slow_tick(context: AnyContext) -> None:
        runs.append("started")
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            runs.append("cancelled")
            raise

    guarded = jobs.guard(slow_tick, detached=True)
    context = cast(AnyContext, None)
    await asyncio.wait_for(guarded(context), 1)  # the JobQueue's callback returns at once
    await asyncio.sleep(0.05)
    await guarded(context)  # the next tick while the first still runs: skipped
    await asyncio.sleep(0.05)
    assert runs == ["started"]
    started = asyncio.get_running_loop().time()
    await jobs.close(within=0.3)
    assert asyncio.get_running_loop().time() - started < 2
    assert runs == ["started", "cancelled"]
    await guarded(context)  # after the stop nothing starts
    await asyncio.sleep(0.05)
    assert runs == ["started", "cancelled"]


async def test_a_feed_that_never_answers_does_not_delay_the_stop(tmp_path: Path) -> None:
    """A SIGTERM while a feed is being fetched (its site hangs) still stops within 15 s."""
    asked = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        asked.set()
        await asyncio.sleep(60)
        return web.Response(text="too late")

    app = web.Application()
    app.router.add_get("/rss", hang)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tg = FakeTelegram()
    await tg.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(tmp_path / "news.db"),
        SEEDS_DIR=str(tmp_path / "none"),
        FEEDS=f"http://127.0.0.1:{runner.addresses[0][1]}/rss",
        FEED_INTERVAL_SECONDS="1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await asyncio.wait_for(asked.wait(), 20)
        await asyncio.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
        took = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
        await tg.stop()
        await runner.cleanup()
    assert process.returncode == 0, err.decode()
    assert took < 5, took  # the fetch is cut off, not waited for
    assert "Traceback" not in err.decode()

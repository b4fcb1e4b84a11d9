"""Loading beside the running bot, as an operator does: a real ``newsbot run`` process, the
stand-in, and ``newsbot load`` in another process on the same database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.standin import FakeTelegram, wait_until
from storage import chats, open_database
from tests.bot.conftest import publish_in_process

ADMIN = 1001


def _articles(path: Path, n: int, *, published: str, prefix: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            record = {
                "title": f"{prefix} رقم {i}",
                "body": f"نص {prefix} رقم {i} عن الميناء والاقتصاد.",
                "url": f"https://news.example/{prefix}/{i}",
                "published_at": published,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@dataclass
class Running:
    tg: FakeTelegram
    env: dict[str, str]
    tmp_path: Path
    process: asyncio.subprocess.Process

    async def load(self, *args: str) -> tuple[int, str, str]:
        """``newsbot load ARGS`` in its own process, beside the bot."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "load", *args, cwd=self.tmp_path, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()


async def _start(tmp_path: Path, tg: FakeTelegram, readers: range, **extra: str) -> Running:
    db_path = tmp_path / "news.db"
    db = await open_database(db_path)
    for reader in readers:
        tg.add_chat(reader, "private")
        await chats.upsert_chat(db, reader, "private")
        await chats.subscribe(db, reader, reader)
    await db.close()
    tg.add_chat(ADMIN, "private")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(db_path),
        ADMIN_IDS=str(ADMIN),
        PUSH_INTERVAL_SECONDS="1",
        FEED_INTERVAL_SECONDS="1",
        SEEDS_DIR=str(tmp_path / "incoming"),
        PRIVATE_PER_SECOND="100",
        GLOBAL_PER_SECOND="1000",
        SEND_CONCURRENCY="32",
        **extra,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await wait_until(lambda: tg.my_commands(language_code="") != [], 20)
    return Running(tg, env, tmp_path, process)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


async def _stop(running: Running) -> str:
    running.process.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(running.process.communicate(), 30)
    stderr = err.decode()
    assert running.process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


async def test_an_archive_loaded_beside_the_running_bot_reaches_no_reader(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    readers = range(5001, 5021)
    running = await _start(tmp_path, tg, readers)
    try:
        fresh = datetime.now(UTC).replace(microsecond=0).isoformat()
        archive = _articles(tmp_path / "archive.jsonl", 300, published=fresh, prefix="أرشيف")
        old = _articles(
            tmp_path / "old.jsonl", 300, published="2018-03-01T10:00:00+00:00", prefix="قديم"
        )
        status, out, _ = await running.load("--archive", str(archive))
        assert status == 0
        assert "added 300" in out
        status, out, _ = await running.load(str(old))  # years old: stored, not news
        assert "added 300" in out
        await asyncio.sleep(3)  # three push ticks
        assert all(tg.messages(r) == [] for r in readers)
        # An editor's post still goes out at the next push, to everyone, once.
        await publish_in_process(tg, "/post اجتماع طارئ\nنص الخبر العاجل.")
        await wait_until(lambda: all(len(tg.messages(r)) == 1 for r in readers), 15)
        assert {tg.messages(r)[0].bold()[0] for r in readers} == {"اجتماع طارئ"}
    finally:
        await _stop(running)


async def test_load_beside_a_bot_with_a_thousand_subscribers_completes(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    readers = range(10_000, 11_000)
    # One message and one list a push, so the pushes stay short to watch.
    running = await _start(tmp_path, tg, readers, PUSH_BATCH_MAX="1")
    try:
        fresh = datetime.now(UTC) - timedelta(minutes=5)
        for n in range(2):  # one load after another, while the bot pushes the earlier one
            path = _articles(
                tmp_path / f"fresh{n}.jsonl",
                1000,
                published=(fresh + timedelta(seconds=n)).isoformat(),
                prefix=f"دفعة{n}",
            )
            status, out, err = await running.load(str(path))
            assert status == 0, err
            assert "added 1000" in out
            assert "locked" not in err
        await wait_until(lambda: all(len(tg.messages(r)) >= 2 for r in readers), 120)
        await asyncio.sleep(1.5)
        # No reader is flooded: each push (one per 500-article batch at most) is at most
        # PUSH_BATCH_MAX messages and one list.
        assert max(len(tg.messages(r)) for r in readers) <= 2 * 4
        assert len(tg.sent) == sum(len(tg.messages(r)) for r in readers)
    finally:
        stderr = await _stop(running)
    assert "locked" not in stderr

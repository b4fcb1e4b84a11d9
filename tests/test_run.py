"""``newsbot run`` as deployed: a real process polling the stand-in, the JobQueue pushing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.standin import FakeTelegram, wait_until
from tests.bot.conftest import publish_in_process
from tests.conftest import SEEDS

ADMIN = 1001
READER = 2002


async def test_run_polls_subscribes_posts_and_pushes(tmp_path: Path) -> None:
    tg = FakeTelegram()
    await tg.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(tmp_path / "news.db"),
        ADMIN_IDS=str(ADMIN),
        PUSH_INTERVAL_SECONDS="1",
        SEEDS_DIR=str(SEEDS),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        tg.message_update(READER, READER, "/subscribe")
        await wait_until(lambda: any("تم الاشتراك" in m.text for m in tg.messages(READER)), 20)
        answer = await publish_in_process(tg, "/post خبر من المحرر\nنص الخبر كاملاً.")
        assert "#" in answer.text
        await wait_until(lambda: len(tg.messages(READER)) >= 2, 10)
        pushed = tg.messages(READER)[1]
        assert pushed.bold()[0] == "خبر من المحرر"
        assert tg.my_commands(language_code="")[0]["command"] == "latest"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
        await tg.stop()
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert tg.token.split(":")[1] not in stderr  # the token never reaches the log
    assert "seeds: 1 added" in stderr
    await asyncio.sleep(0)
    assert len([m for m in tg.messages(READER) if m.bold()[:1] == ["خبر من المحرر"]]) == 1


async def test_run_with_a_refused_token_says_so_in_one_line(tmp_path: Path) -> None:
    tg = FakeTelegram()
    await tg.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    env.update(
        BOT_TOKEN="999:WRONG-TOKEN",
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(tmp_path / "news.db"),
        SEEDS_DIR=str(SEEDS),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    await tg.stop()
    stderr = stderr_bytes.decode()
    assert process.returncode == 2
    assert "Telegram refused BOT_TOKEN" in stderr
    assert "Traceback" not in stderr
    assert "WRONG-TOKEN" not in stderr

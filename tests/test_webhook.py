"""Deployment: webhook mode behind a TLS proxy, the update kinds the bot asks Telegram for,
and the container (Dockerfile, compose.yaml)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from telegram import Update
from telegram.ext import ContextTypes, ShippingQueryHandler

from bot.__main__ import allowed_updates
from bot.config import load_settings
from bot.standin import JSON, FakeTelegram, Fault, wait_until
from tests.conftest import ROOT, SEEDS
from tests.test_settings_errors import newsbot

READER = 2002
INTRUDER = 3003
ANONYMOUS = 4004
SECRET = "s3cr3t_-TOKEN-for-the-webhook"
PATH = "/tg/hook-7f3a"
URL = f"https://bot.example.com{PATH}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_update(update_id: int, user_id: int) -> JSON:
    """A reader sends /start in the private chat, as Telegram POSTs it to the webhook."""
    user = {"id": user_id, "is_bot": False, "first_name": "Reader", "language_code": "ar"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Reader"},
            "date": int(time.time()),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def _post(
    session: aiohttp.ClientSession, url: str, update: JSON, headers: dict[str, str]
) -> int:
    """POST like Telegram does; retried while the listener is not up yet."""
    deadline = time.monotonic() + 20
    while True:
        try:
            async with session.post(url, json=update, headers=headers) as response:
                return response.status
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def _environment(tg: FakeTelegram, tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_", "WEBHOOK"))}
    env.update(
        BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.base_url,
        DATABASE_PATH=str(tmp_path / "news.db"),
        SEEDS_DIR=str(SEEDS),
        WEBHOOK_URL=URL,
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
    )
    return env


async def _newsbot_run(tg: FakeTelegram, tmp_path: Path, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=_environment(tg, tmp_path, port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_webhook_mode_sets_the_webhook_and_answers_only_requests_with_the_secret(
    tmp_path: Path,
) -> None:
    tg = FakeTelegram()
    await tg.start()
    for user in (READER, INTRUDER, ANONYMOUS):
        tg.add_chat(user, "private", first_name="Reader")
    port = _free_port()
    process = await _newsbot_run(tg, tmp_path, port)
    local = f"http://127.0.0.1:{port}{PATH}"
    try:
        await wait_until(lambda: any(r.method == "setWebhook" for r in tg.requests), 20)
        [set_webhook] = [r for r in tg.requests if r.method == "setWebhook"]
        assert set_webhook.params["url"] == URL
        assert set_webhook.params["secret_token"] == SECRET
        assert set(set_webhook.params["allowed_updates"]) >= {"message", "callback_query"}
        async with aiohttp.ClientSession() as session:
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"}
            assert await _post(session, local, _start_update(1, INTRUDER), wrong) == 403
            assert await _post(session, local, _start_update(2, ANONYMOUS), {}) == 403
            right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            assert await _post(session, local, _start_update(3, READER), right) == 200
        await wait_until(lambda: bool(tg.messages(READER)), 20)
        assert "/latest" in tg.messages(READER)[0].text  # the welcome
        await asyncio.sleep(0.5)  # updates are handled in order: the refused ones would be done
        assert tg.messages(INTRUDER) == []
        assert tg.messages(ANONYMOUS) == []
        assert not any(r.method == "getUpdates" for r in tg.requests)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
        await tg.stop()
    stderr = stderr_bytes.decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert SECRET not in stderr
    assert tg.token.split(":")[1] not in stderr


async def test_a_webhook_url_telegram_refuses_is_one_line_naming_webhook_url(
    tmp_path: Path,
) -> None:
    tg = FakeTelegram()
    refusal = "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
    tg.inject("setWebhook", Fault("bad_webhook", status=400, description=refusal))
    await tg.start()
    process = await _newsbot_run(tg, tmp_path, _free_port())
    _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    await tg.stop()
    stderr = stderr_bytes.decode()
    assert process.returncode == 2, stderr
    # the start-up's own INFO log comes first; the failure is one line, said once
    [line] = [x for x in stderr.splitlines() if x.strip() and " INFO " not in x]
    assert line.startswith("newsbot: WEBHOOK_URL: Telegram refused it: Bad webhook:")
    assert "failed to resolve host" in line.lower()
    assert SECRET not in stderr


def _settings() -> Any:
    return load_settings(bot_token="123456:TEST-TOKEN", _env_file=None)


async def _nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A handler that does nothing."""


def test_allowed_updates_come_from_the_registered_handlers() -> None:
    from bot.app import build_application

    application = build_application(_settings())
    kinds = allowed_updates(application)
    assert {
        "message",
        "channel_post",
        "callback_query",
        "my_chat_member",
        "inline_query",
        "chosen_inline_result",
    } <= set(kinds)
    # every handler asks for new messages only: an edit must not run a command twice
    assert "edited_message" not in kinds
    assert "shipping_query" not in kinds

    application.add_handler(ShippingQueryHandler(_nothing))
    assert "shipping_query" in allowed_updates(application)


# -- the container -------------------------------------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), " ".join(rest.split())))
    return instructions


def _health_check_command() -> list[str]:
    [health] = [rest for keyword, rest in _dockerfile() if keyword == "HEALTHCHECK"]
    command: list[str] = json.loads(health.split(" CMD ", 1)[1])
    return command


def test_the_image_installs_the_bot_and_runs_it_as_a_user_of_its_own() -> None:
    instructions = _dockerfile()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert any(k == "RUN" and "pip install ." in rest for k, rest in instructions)
    [user] = [rest for keyword, rest in instructions if keyword == "USER"]
    assert user not in ("root", "0", "0:0")
    [command] = [rest for keyword, rest in instructions if keyword == "CMD"]
    assert json.loads(command) == ["newsbot", "run"]
    assert keywords.index("USER") < keywords.index("CMD")
    assert "HEALTHCHECK" in keywords


def test_the_health_check_opens_the_bots_database(tmp_path: Path) -> None:
    program, flag, code = _health_check_command()
    assert (program, flag) == ("python", "-c")
    assert newsbot(tmp_path, "load", str(SEEDS)).returncode == 0
    stranger = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(stranger)) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    outcomes = {}
    for name, path in (
        ("the bot's", tmp_path / "data" / "news.db"),
        ("missing", tmp_path / "nowhere" / "news.db"),
        ("another program's", stranger),
    ):
        env = {**os.environ, "DATABASE_PATH": str(path)}
        checked = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, timeout=30
        )
        outcomes[name] = checked.returncode == 0
    assert outcomes == {"the bot's": True, "missing": False, "another program's": False}


def test_compose_keeps_the_database_in_a_volume_and_restarts_the_bot() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "env_file: .env" in compose
    assert "DATABASE_PATH: /data/newsbot.db" in compose
    assert "- newsbot-data:/data" in compose
    assert "\nvolumes:\n  newsbot-data:" in compose
    assert "restart: unless-stopped" in compose
    assert '#   - "127.0.0.1:8080:8080"' in compose  # the webhook port, for the proxy
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv/", "data/", ".git/"} <= set(ignored)


async def test_a_busy_webhook_port_is_one_line_and_no_webhook_is_set(tmp_path: Path) -> None:
    tg = FakeTelegram()
    await tg.start()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _environment(tg, tmp_path, port)
        env["WEBHOOK_LISTEN"] = "127.0.0.1"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    await tg.stop()
    stderr = stderr_bytes.decode()
    assert process.returncode == 1, stderr  # the machine's state, not a setting to fix
    [line] = [x for x in stderr.splitlines() if x.strip() and " INFO " not in x]
    assert line.startswith(f"newsbot: WEBHOOK_PORT: cannot listen on 127.0.0.1:{port}"), line
    assert not any(r.method == "setWebhook" for r in tg.requests)  # Telegram was not told
    assert "Traceback" not in stderr

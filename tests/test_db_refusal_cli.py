"""Every command refuses a database that is not for it: one line, exit 2, the file untouched."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bot.standin import FakeTelegram
from storage import open_database
from tests.conftest import SEED_FILE

SIDE = ("-wal", "-shm", "-journal")

#: What each kind of file is, and a word its refusal must say.
KINDS = {
    "newer": "written by a newer newsbot (schema 99, this one knows",
    "foreign": "another application's SQLite database (tables: moz_bookmarks, moz_places)",
}
COMMANDS = {
    "latest": ("latest",),
    "search": ("search", "x"),
    "load": ("load", str(SEED_FILE)),
    "feeds": ("feeds",),
    "feeds poll": ("feeds", "poll"),
    "backup": ("backup", "copy.db"),
}


async def make(path: Path, kind: str) -> None:
    """A newsbot database that a newer newsbot took to schema 99, or a browser's database: both
    in WAL mode and closed cleanly, so with no file beside them."""
    if kind == "newer":
        db = await open_database(path)
        await db.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        if kind == "newer":
            conn.execute("ALTER TABLE articles ADD COLUMN a_newer_column TEXT")
            conn.execute("PRAGMA user_version = 99")
        else:
            conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
            conn.execute("CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER)")
    assert side_files(path) == []


def snapshot(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def side_files(path: Path) -> list[str]:
    return [suffix for suffix in SIDE if Path(f"{path}{suffix}").exists()]


def environment(database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_"))}
    env.pop("FEEDS", None)
    env.update(DATABASE_PATH=str(database), **extra)
    return env


def assert_refused_in_one_line(
    database: Path, before: tuple[str, int], returncode: int | None, stderr: str, kind: str
) -> None:
    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    [line] = lines
    assert line.startswith(f"newsbot: DATABASE_PATH: cannot use {database} as the database (")
    assert KINDS[kind] in line
    assert snapshot(database) == before
    assert side_files(database) == []


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_a_command_refuses_the_file_and_leaves_it_as_it_was(
    tmp_path: Path, command: str, kind: str
) -> None:
    database = tmp_path / "data" / "news.db"
    await make(database, kind)
    before = snapshot(database)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *COMMANDS[command], cwd=tmp_path, env=environment(database),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert stdout == b""
    assert_refused_in_one_line(database, before, process.returncode, stderr.decode(), kind)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_run_refuses_the_file_and_stops_with_one_line(tmp_path: Path, kind: str) -> None:
    """``run`` opens the database in PTB's post_init, inside run_polling: the refusal still
    reaches ``main`` and the process stops by itself, before polling Telegram for updates."""
    database = tmp_path / "data" / "news.db"
    await make(database, kind)
    before = snapshot(database)
    tg = FakeTelegram()
    await tg.start()
    try:
        env = environment(database, BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.base_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), 60)
        finally:
            if process.returncode is None:  # it kept running: the refusal did not stop it
                process.kill()
                await process.wait()
    finally:
        await tg.stop()
    text = stderr.decode()
    assert tg.token.split(":")[1] not in text
    assert_refused_in_one_line(database, before, process.returncode, text, kind)

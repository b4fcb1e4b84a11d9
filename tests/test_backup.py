"""``newsbot backup PATH``: a consistent, self-contained copy while articles are being written."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import aiosqlite

from storage import Database, articles, open_database, search
from storage.articles import NewArticle
from tests.conftest import SEEDS
from tests.test_settings_errors import newsbot

WORD = "الزنجبيل"  # in every article the writer adds


def _article(n: int) -> NewArticle:
    return NewArticle(
        title=f"خبر عاجل رقم {n}",
        body=f"تقرير اليوم رقم {n} عن أسعار {WORD} في الأسواق، مع تفاصيل أخرى كثيرة.",
    )


async def _write_until(db: Database, stop: asyncio.Event, written: list[int]) -> None:
    """Add articles one transaction each, as the running bot does, until told to stop."""
    n = len(written)
    while not stop.is_set():
        n += 1
        await articles.add(db, _article(n))
        written.append(n)
        await asyncio.sleep(0)


async def _read_only(path: Path) -> Database:
    conn = await aiosqlite.connect(f"{path.as_uri()}?mode=ro", uri=True)
    conn.row_factory = aiosqlite.Row
    return Database(conn)


async def test_backup_while_articles_are_written_is_consistent_and_self_contained(
    tmp_path: Path,
) -> None:
    source = tmp_path / "data" / "news.db"
    db = await open_database(source)
    written: list[int] = []
    stop = asyncio.Event()
    try:
        async with db.transaction() as conn:
            for n in range(1, 201):
                await articles.add_in(conn, _article(n))
                written.append(n)
            # Bulk (the test's own table) so that copying takes a while, beside the writes.
            await conn.execute("CREATE TABLE test_bulk (data BLOB)")
            await conn.executemany("INSERT INTO test_bulk VALUES (zeroblob(1000000))", [()] * 40)
        writer = asyncio.create_task(_write_until(db, stop, written))
        await asyncio.sleep(0.2)
        before = len(written)
        copy = tmp_path / "backups" / "news-copy.db"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "backup", str(copy), cwd=tmp_path,
            env={**os.environ, "DATABASE_PATH": str(source)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout_bytes, stderr_bytes = await asyncio.wait_for(process.communicate(), 60)
        after = len(written)
        stop.set()
        await writer  # the writer never waited on the backup, nor failed
    finally:
        stop.set()
        await db.close()
    stdout, stderr = stdout_bytes.decode(), stderr_bytes.decode()
    assert process.returncode == 0, stderr
    assert after > before  # articles were being written the whole time
    # One file, in rollback-journal mode: nothing else is needed beside it.
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
    assert copy.read_bytes()[18:20] == b"\x01\x01"
    with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        [(count, last)] = check.execute("SELECT count(*), max(id) FROM articles").fetchall()
    check.close()
    assert before <= count <= after
    assert last == count  # a snapshot of whole transactions: no article missing in between
    assert stdout.strip() == f"backup written to {copy} ({count} articles, integrity ok)"
    copied = await _read_only(copy)
    try:
        found = await search.search(copied, WORD)
    finally:
        await copied.close()
    assert found.total == count  # every article in the copy has its search index row
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]


def test_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    assert newsbot(tmp_path, "load", str(SEEDS)).returncode == 0
    existing = tmp_path / "precious.db"
    existing.write_bytes(b"yesterday's backup")
    result = newsbot(tmp_path, "backup", str(existing))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert f"{existing} already exists" in line
    assert existing.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "precious.db"]  # no temp left


def test_backup_without_a_database_names_database_path(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "DATABASE_PATH: no database at" in line
    assert not (tmp_path / "copy.db").exists()
    assert not (tmp_path / "data").exists()  # a backup creates no database either


def test_a_restored_backup_is_the_database(tmp_path: Path) -> None:
    """README's restore: stop the bot, copy the backup over DATABASE_PATH, start."""
    assert newsbot(tmp_path, "load", str(SEEDS)).returncode == 0
    copy = tmp_path / "copy.db"
    assert newsbot(tmp_path, "backup", str(copy)).returncode == 0
    restored = tmp_path / "elsewhere" / "newsbot.db"
    restored.parent.mkdir()
    restored.write_bytes(copy.read_bytes())
    result = newsbot(tmp_path, "search", "طرطوس", DATABASE_PATH=str(restored))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 result(s)")


def test_backup_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "newsbot backup" in readme
    assert "-wal" in readme  # how to restore: the stale -wal and -shm go

"""``open_database`` never damages a file that is not for this code, and still opens its own.

A refused file keeps every byte and its mtime, and gets no -wal, -shm or -journal beside it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import aiosqlite
import pytest

import storage.db
from storage import open_database
from storage.db import DatabaseRefused, schema_version
from storage.migrations import APPLICATION_ID, MIGRATIONS

LATEST = len(MIGRATIONS)
SIDE = ("-wal", "-shm", "-journal")
GEOPACKAGE = 0x47504B47  # another application's registered application_id


def snapshot(path: Path) -> tuple[str, int, int]:
    """What must not change: the bytes, the size and the mtime."""
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def side_files(path: Path) -> list[str]:
    return [suffix for suffix in SIDE if Path(f"{path}{suffix}").exists()]


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection, closed (and so its -wal checkpointed and removed) on leaving."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        yield conn


async def build(path: Path, version: int = LATEST, *, journal: str = "wal") -> None:
    """A newsbot database at ``version``, made as open_database makes it: MIGRATIONS[:version]."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute(f"PRAGMA journal_mode={journal}")
        for number, step in enumerate(MIGRATIONS[:version], start=1):
            await conn.execute("BEGIN")
            await step(conn)
            await conn.execute(f"PRAGMA user_version = {number:d}")
            await conn.execute("COMMIT")
    assert side_files(path) == []


def cut_short_write(path: Path, table: str) -> Path:
    """A write into ``table`` of a rollback-journal database, killed before its commit after
    it overwrote pages of the file: the hot -journal that a crash leaves."""
    crash = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN')\n"
        f"c.execute('INSERT INTO {table} SELECT NULL, hex(randomblob(900))"
        " FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 300)"
        " SELECT i FROM r)')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", crash, str(path)], check=True, timeout=60)
    journal = Path(f"{path}-journal")
    assert journal.stat().st_size > 0
    return journal


def foreign(path: Path, *, journal: str = "wal") -> None:
    """Another program's database: its own tables, no user_version, no application_id."""
    with raw(path) as conn:
        conn.execute(f"PRAGMA journal_mode={journal}")
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("CREATE TABLE moz_bookmarks (id INTEGER PRIMARY KEY, fk INTEGER)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.org/')")
    assert side_files(path) == []


async def assert_refused(path: Path, *words: str) -> str:
    """open_database refuses ``path`` with a one-line reason, and nothing changed on disk."""
    before = snapshot(path)
    with pytest.raises(DatabaseRefused) as caught:
        await open_database(path)
    reason = str(caught.value)
    assert "\n" not in reason
    for word in words:
        assert word in reason
    assert snapshot(path) == before
    assert side_files(path) == []
    return reason


@pytest.mark.parametrize("journal", ["wal", "delete"])
async def test_a_newer_schema_is_refused_and_left_as_it_was(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "news.db"
    await build(path, journal=journal)
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    await assert_refused(
        path,
        f"written by a newer newsbot (schema 99, this one knows {LATEST})",
        "upgrade newsbot or use another DATABASE_PATH",
    )


@pytest.mark.parametrize("journal", ["wal", "delete"])
async def test_another_applications_database_is_refused_and_left_as_it_was(
    tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "places.sqlite"
    foreign(path, journal=journal)
    reason = await assert_refused(path, "another application's SQLite database")
    assert "(tables: moz_bookmarks, moz_places)" in reason
    assert reason.endswith("choose another DATABASE_PATH")
    with raw(path) as conn:  # newsbot's tables were not added
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 2


async def test_a_newsbot_database_with_a_renamed_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    await build(path)
    with raw(path) as conn:
        conn.execute("ALTER TABLE articles RENAME TO articles_old")
    await assert_refused(path, "damaged or not newsbot's: table articles is missing")


async def test_an_earlier_schema_with_a_missing_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    await build(path, 1)
    with raw(path) as conn:
        conn.execute("DROP TABLE saved_queries")
    await assert_refused(path, "table saved_queries is missing (schema 1)")


@pytest.mark.parametrize("version", [0, LATEST, 99])
async def test_another_application_id_is_refused_whatever_the_schema(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "news.db"
    await build(path, min(version, LATEST))
    with raw(path) as conn:
        conn.execute(f"PRAGMA application_id = {GEOPACKAGE:d}")
        conn.execute(f"PRAGMA user_version = {version:d}")
    await assert_refused(path, "another application's SQLite database (application_id 0x47504b47)")


async def test_a_refused_name_with_control_characters_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with raw(path) as conn:
        conn.execute('CREATE TABLE "evil\nname" (x)')
    reason = await assert_refused(path, "another application's")
    assert "evil\\nname" in reason


async def test_a_refusal_inside_the_wal_is_seen_and_nothing_is_checkpointed(
    tmp_path: Path,
) -> None:
    """A WAL database whose newest commits are only in its -wal (another process has it open,
    or crashed): the inspection reads them, and neither the file nor its -wal is changed."""
    source = tmp_path / "live.db"
    await build(source)
    with raw(source) as conn:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA user_version = 99")  # committed to the -wal only
        copy = tmp_path / "copy" / "news.db"
        copy.parent.mkdir()
        shutil.copy(source, copy)
        shutil.copy(f"{source}-wal", f"{copy}-wal")  # as a crash leaves it: no -shm
    before, wal_before = snapshot(copy), snapshot(Path(f"{copy}-wal"))
    with pytest.raises(DatabaseRefused, match="schema 99"):
        await open_database(copy)
    assert snapshot(copy) == before
    assert snapshot(Path(f"{copy}-wal")) == wal_before
    # A reader of a WAL database needs its -shm: this one case may leave one (never a -journal).
    assert "-journal" not in side_files(copy)


async def test_a_hot_journal_of_a_foreign_database_is_neither_rolled_back_nor_used(
    tmp_path: Path,
) -> None:
    """A read-only connection cannot recover a cut-short write: the main file alone is judged,
    and file and journal stay as they were."""
    path = tmp_path / "crashed.db"
    foreign(path, journal="delete")
    journal = cut_short_write(path, "moz_places")
    before, journal_before = snapshot(path), snapshot(journal)
    with pytest.raises(DatabaseRefused, match="another application's"):
        await open_database(path)
    assert snapshot(path) == before
    assert snapshot(journal) == journal_before
    assert side_files(path) == ["-journal"]


async def test_a_hot_journal_of_a_newsbot_database_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    await build(path, journal="delete")
    with raw(path) as conn:
        conn.execute("INSERT INTO saved_queries (query) VALUES ('committed')")
    cut_short_write(path, "saved_queries")
    db = await open_database(path)
    try:
        rows = await db.conn.execute_fetchall("SELECT query FROM saved_queries")
        assert [r[0] for r in rows] == ["committed"]
    finally:
        await db.close()


async def test_the_check_is_repeated_through_the_connection_before_any_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the file replaced between the inspection and the connection, the connection's own
    look at it refuses it before the switch to WAL or any migration."""
    path = tmp_path / "news.db"
    await build(path, journal="delete")
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    stale = storage.db._Facts(user_version=LATEST, application_id=0, tables=frozenset())
    monkeypatch.setattr(storage.db, "_inspect", lambda _path: stale)
    monkeypatch.setattr(storage.db, "_tables_by_version", _no_tables)
    await assert_refused(path, "schema 99")


async def _no_tables() -> dict[int, frozenset[str]]:
    return dict.fromkeys(range(LATEST + 1), frozenset())


@pytest.mark.parametrize("kind", ["new path", "empty file", "empty SQLite database"])
async def test_a_new_or_empty_file_becomes_a_newsbot_database(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "data" / "news.db"
    if kind != "new path":
        path.parent.mkdir()
        path.touch()
    if kind == "empty SQLite database":
        with raw(path) as conn:
            conn.execute("CREATE TABLE t (x)")
            conn.execute("DROP TABLE t")
        assert path.stat().st_size > 0
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST
        async with db.conn.execute("PRAGMA application_id") as cur:
            assert (await cur.fetchone())[0] == APPLICATION_ID  # type: ignore[index]
    finally:
        await db.close()


async def test_a_current_database_reopens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    db = await open_database(path)
    await db.conn.execute("INSERT INTO saved_queries (query) VALUES ('kept')")
    await db.close()
    assert side_files(path) == []
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST
        rows = await db.conn.execute_fetchall("SELECT query FROM saved_queries")
        assert [r[0] for r in rows] == ["kept"]
    finally:
        await db.close()


async def test_a_wal_database_with_pending_wal_content_opens_and_keeps_it(
    tmp_path: Path,
) -> None:
    source = tmp_path / "live.db"
    await build(source)
    with raw(source) as conn:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("INSERT INTO saved_queries (query) VALUES ('only in the wal')")
        copy = tmp_path / "copy" / "news.db"
        copy.parent.mkdir()
        shutil.copy(source, copy)
        shutil.copy(f"{source}-wal", f"{copy}-wal")
    assert snapshot(Path(f"{copy}-wal"))[1] > 0
    db = await open_database(copy)
    try:
        rows = await db.conn.execute_fetchall("SELECT query FROM saved_queries")
        assert [r[0] for r in rows] == ["only in the wal"]
        assert await schema_version(db) == LATEST
    finally:
        await db.close()


async def test_a_path_with_uri_characters_is_inspected_and_opened(tmp_path: Path) -> None:
    folder = tmp_path / "a b?c#d%20ع"
    folder.mkdir()
    path = folder / "news.db"
    db = await open_database(path)
    await db.close()
    db = await open_database(path)  # inspected through a file: URI
    await db.close()
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    await assert_refused(path, "schema 99")
    assert not (tmp_path / "a b").exists()  # the URI named no other file


@pytest.mark.parametrize("version", range(LATEST))
async def test_a_database_of_every_earlier_version_migrates_to_the_latest(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "news.db"
    await build(path, version)
    if version >= 1:
        with raw(path) as conn:
            conn.execute("INSERT INTO saved_queries (query) VALUES ('from before')")
    reference = tmp_path / "fresh.db"
    await build(reference)
    db = await open_database(path)
    try:
        assert await schema_version(db) == LATEST
        async with db.conn.execute("PRAGMA application_id") as cur:
            assert (await cur.fetchone())[0] == APPLICATION_ID  # type: ignore[index]
        rows = await db.conn.execute_fetchall("SELECT query FROM saved_queries")
        assert [r[0] for r in rows] == (["from before"] if version >= 1 else [])
        schema = "SELECT type, name FROM sqlite_master ORDER BY type, name"
        with raw(reference) as conn:
            expected = conn.execute(schema).fetchall()
        assert [tuple(r) for r in await db.conn.execute_fetchall(schema)] == expected
    finally:
        await db.close()


async def test_check_database_judges_without_opening(tmp_path: Path) -> None:
    """The check on its own, for a command that reads the file without open_database."""
    path = tmp_path / "news.db"
    assert await storage.db.check_database(path) is False
    assert not path.exists()
    await build(path)
    assert await storage.db.check_database(path) is True
    foreign(tmp_path / "places.sqlite")
    before = snapshot(tmp_path / "places.sqlite")
    with pytest.raises(DatabaseRefused, match="another application's"):
        await storage.db.check_database(tmp_path / "places.sqlite")
    assert snapshot(tmp_path / "places.sqlite") == before
    assert side_files(path) == side_files(tmp_path / "places.sqlite") == []

"""A consistent copy of the database while the bot runs and writes: ``backup(source, target)``.

SQLite's online backup API copies every page in one step, under one read transaction: in WAL
mode that is a snapshot of the last committed state (writers go on meanwhile), with nothing
half-written. The copy is written to a temporary file beside ``target``, switched from WAL to
a rollback journal (so it is one self-contained file: no ``-wal`` or ``-shm`` beside it),
checked (``PRAGMA integrity_check`` and every FTS5 index's own integrity check), and only then
given ``target``'s name. An existing ``target`` is never overwritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storage.db import BUSY_TIMEOUT_MS, check_database

_HEADER = b"SQLite format 3\0"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """The backup was not written; the message is one line saying why."""


class NoDatabase(BackupError):
    """There is no database at the source path."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    articles: int


async def backup(source: Path, target: Path) -> BackupReport:
    """Copy the database at ``source`` into the new file ``target`` (on a worker thread).

    Only newsbot's own database, at a schema this version knows: another file is refused
    (``storage.db.DatabaseRefused``) before anything is read from it.
    """
    await check_database(source)  # False (and nothing checked) when there is no file yet
    return await asyncio.to_thread(backup_file, source, target)


def backup_file(source: Path, target: Path) -> BackupReport:
    """``backup``, blocking: raises BackupError (or sqlite3.Error for an unusable source)."""
    if target.exists() or target.is_symlink():
        raise BackupError(f"{target} already exists; a backup never overwrites a file")
    _check_source(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        articles = _copy(source, temporary)
        _fsync(temporary)
        _publish(temporary, target)
    finally:
        for path in (temporary, *(Path(f"{temporary}{side}") for side in _SIDE_FILES)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return BackupReport(path=target, articles=articles)


def _check_source(source: Path) -> None:
    if not source.is_file():
        raise NoDatabase(f"no database at {source}")
    with source.open("rb") as f:
        if f.read(len(_HEADER)) != _HEADER:
            raise sqlite3.DatabaseError("file is not a database")


def _copy(source: Path, temporary: Path) -> int:
    """Copy, make the copy self-contained, check it; return its number of articles."""
    timeout = BUSY_TIMEOUT_MS / 1000
    src = sqlite3.connect(source, timeout=timeout, isolation_level=None)
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchall()  # the source's own errors
        dst = sqlite3.connect(temporary, isolation_level=None)
        try:
            src.backup(dst)  # pages=-1: all pages in one step, one consistent snapshot
            # The copy carries the source's WAL mode; a rollback journal makes it one file.
            dst.execute("PRAGMA journal_mode=DELETE")
            _verify(dst)
            [(articles,)] = dst.execute("SELECT count(*) FROM articles").fetchall()
        except sqlite3.Error as exc:
            raise BackupError(f"the copy failed ({exc}); nothing was written") from None
        finally:
            dst.close()
    finally:
        src.close()
    return int(articles)


def _verify(conn: sqlite3.Connection) -> None:
    problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"the copy failed its integrity check: {'; '.join(problems)[:300]}")
    fts_tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        " AND lower(sql) LIKE '%using fts5%'"
    ).fetchall()
    for (table,) in fts_tables:
        quoted = '"' + str(table).replace('"', '""') + '"'
        try:
            conn.execute(f"INSERT INTO {quoted}({quoted}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the copy's search index {table} is inconsistent ({exc})") from None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(temporary: Path, target: Path) -> None:
    """Give the finished copy its name, never replacing a file that appeared meanwhile."""
    try:
        os.link(temporary, target)  # fails if target exists, unlike a rename
    except FileExistsError:
        raise BackupError(f"{target} already exists; a backup never overwrites a file") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if target.exists():  # a file system without hard links: check, then rename
            raise BackupError(
                f"{target} already exists; a backup never overwrites a file"
            ) from None
        temporary.rename(target)
    with contextlib.suppress(OSError):  # make the new name itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

"""The one connection of a process, its pragmas and its migrations.

Migrations are ordered functions keyed by ``PRAGMA user_version``; each runs in its own
transaction together with its version bump, so a crash leaves the database at a known version.

An existing file is inspected read-only before anything writes to it (``_inspect``): a schema
newer than this code, another application's database or a newsbot database with tables missing
is refused with ``DatabaseRefused`` and left exactly as it was, with no side file created
(save the -shm any reader needs beside a -wal that a crash left without one).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from storage import search
from storage.migrations import APPLICATION_ID, MIGRATIONS

logger = logging.getLogger(__name__)


#: How long a statement waits for another connection's write lock before "database is locked".
BUSY_TIMEOUT_MS = 30_000


def utcnow() -> str:
    """The current time as the ISO 8601 UTC text stored in every ``*_at`` column."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Database:
    """One aiosqlite connection with a transaction helper.

    aiosqlite runs every statement on one worker thread, so statements never interleave;
    ``transaction()`` also takes an asyncio lock so that two coroutines never share one
    ``BEGIN … COMMIT``.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error).

        Never await Telegram inside: the write lock would be held across the network.
        """
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    async def close(self) -> None:
        await self.conn.close()


_HEADER = b"SQLite format 3\0"


class DatabaseRefused(sqlite3.DatabaseError):
    """An existing file newsbot must not use: a newer schema, another application's database,
    or a newsbot database with tables missing. The message is one line: the reason.

    A ``sqlite3.DatabaseError``, so that callers reporting database errors report this one too.
    """


def _check_file(path: Path) -> None:
    """Refuse what is plainly no database before aiosqlite starts its thread.

    aiosqlite's worker may still be answering a failed connect after the caller's event loop
    closed, and then prints a traceback; this check keeps those cases out of it.
    """
    if path.is_dir():
        raise sqlite3.OperationalError("unable to open database file: it is a folder")
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if f.read(len(_HEADER)) != _HEADER:
                raise sqlite3.DatabaseError("file is not a database")


async def open_database(path: Path | str) -> Database:
    """Open (creating the folder and file as needed), set pragmas, migrate to the latest.

    Raises ``DatabaseRefused`` before anything is written when the file is not for this code.
    """
    existing = False
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        existing = await check_database(Path(path))
    # isolation_level=None: we issue BEGIN/COMMIT ourselves.
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    db = Database(conn)
    try:
        # Another process (a load beside the running bot) may hold the write lock a while.
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
        if existing:
            # Again through this connection, before its first write: the file may have changed
            # since the inspection (or been recovered from a crash's journal by this read).
            await _judge(await _facts_of(conn))
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await migrate(db)
        await search.ensure_index(db)  # re-index when the Arabic analyser has changed
    except BaseException:
        await conn.close()
        raise
    return db


# --- knowing an existing file before writing to it ------------------------------------------


async def check_database(path: Path) -> bool:
    """Raise ``DatabaseRefused`` if the file at ``path`` is a database newsbot must not use
    (``sqlite3.DatabaseError`` if it is no database at all), reading it without writing to it.

    Returns whether there is a database there: False for a missing or empty file.
    """
    _check_file(path)
    facts = _inspect(path)
    if facts is None:
        return False
    await _judge(facts)
    return True


#: Offset and value of the "file format write version" byte of the header: 2 means WAL mode.
_WRITE_VERSION_AT, _WAL_FORMAT = 18, 2

_OBJECTS = (
    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)


@dataclass(frozen=True)
class _Facts:
    """What decides whether a file may be used: its header pragmas and its tables."""

    user_version: int
    application_id: int
    tables: frozenset[str]


def _read_facts(conn: sqlite3.Connection) -> _Facts:
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = frozenset(str(row[0]) for row in conn.execute(_OBJECTS))
    return _Facts(int(user_version), int(application_id), tables)


async def _facts_of(conn: aiosqlite.Connection) -> _Facts:
    values = []
    for pragma in ("user_version", "application_id"):
        async with conn.execute(f"PRAGMA {pragma}") as cur:
            row = await cur.fetchone()
        assert row is not None
        values.append(int(row[0]))
    tables = frozenset(str(row[0]) for row in await conn.execute_fetchall(_OBJECTS))
    return _Facts(values[0], values[1], tables)


def _read_only(path: Path, *, immutable: bool) -> _Facts:
    """The facts through a read-only connection (``mode=ro``: it never creates the file).

    ``immutable=1`` also turns off locking and change detection, so SQLite opens no side file
    at all; it sees the main file only, which is the whole database when no -wal exists.
    """
    uri = path.absolute().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    with closing(conn):
        return _read_facts(conn)


def _inspect(path: Path) -> _Facts | None:
    """Read an existing database's facts without writing to it or creating any file beside it.

    None for a file that does not exist yet or is empty (a new database). The method depends on
    the file, as SQLite's read-only connections differ (each checked by tests):

    * a rollback-journal database: ``mode=ro`` takes a shared lock and creates nothing;
    * a WAL database with no -wal file: ``mode=ro`` would create -wal and -shm (and leave them),
      so it is read ``immutable``: with no -wal, the main file holds every committed change;
    * a WAL database with its -wal file (in use by another process, or left by a crash):
      ``mode=ro``, which reads the -wal; it uses the -shm there (creating it if a crash left
      none), as any reader must, and never checkpoints;
    * a rollback-journal database with a hot -journal (a write cut short): ``mode=ro`` cannot
      recover it, so the main file is read ``immutable``; the connection that then opens it
      recovers it and is checked again (``open_database``).
    """
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return None
    if not header:
        return None
    wal_mode = len(header) > _WRITE_VERSION_AT and header[_WRITE_VERSION_AT] == _WAL_FORMAT
    if wal_mode and not Path(f"{path}-wal").exists():
        return _read_only(path, immutable=True)
    try:
        return _read_only(path, immutable=False)
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_READONLY_ROLLBACK:
            raise
        return _read_only(path, immutable=True)


#: The tables (and views) a newsbot database has at each schema version, from the migrations.
_SCHEMA_TABLES: dict[int, frozenset[str]] = {}


async def _tables_by_version() -> dict[int, frozenset[str]]:
    """Apply the migrations one by one to an in-memory database, noting the tables after each
    (once per process): no list to keep up to date by hand when a migration is added."""
    if len(_SCHEMA_TABLES) == len(MIGRATIONS) + 1:
        return _SCHEMA_TABLES
    tables: dict[int, frozenset[str]] = {0: frozenset()}
    async with aiosqlite.connect(":memory:", isolation_level=None) as conn:
        for version, step in enumerate(MIGRATIONS, start=1):
            await conn.execute("BEGIN")
            await step(conn)
            await conn.execute("COMMIT")
            tables[version] = (await _facts_of(conn)).tables
    _SCHEMA_TABLES.update(tables)
    return _SCHEMA_TABLES


def _names(names: Iterable[str], most: int = 8) -> str:
    """Names for a one-line message: sorted, at most ``most``, control characters escaped."""
    shown = [n if n.isprintable() else ascii(n)[1:-1] for n in sorted(names)]
    return ", ".join(shown[:most]) + (", …" if len(shown) > most else "")


async def _judge(facts: _Facts) -> None:
    """Raise ``DatabaseRefused`` unless a file with these facts is a newsbot database this code
    can use (or an empty SQLite database, which becomes one)."""
    known = len(MIGRATIONS)
    if facts.application_id not in (0, APPLICATION_ID):
        raise DatabaseRefused(
            f"it is another application's SQLite database (application_id"
            f" {facts.application_id & 0xFFFFFFFF:#010x}): choose another DATABASE_PATH"
        )
    if facts.user_version < 0:
        raise DatabaseRefused(
            f"it is another application's SQLite database (user_version {facts.user_version}):"
            f" choose another DATABASE_PATH"
        )
    if facts.user_version > known:
        raise DatabaseRefused(
            f"the database was written by a newer newsbot (schema {facts.user_version},"
            f" this one knows {known}): upgrade newsbot or use another DATABASE_PATH"
        )
    if facts.user_version == 0:
        if facts.tables:
            raise DatabaseRefused(
                f"it is another application's SQLite database (tables: {_names(facts.tables)}):"
                f" choose another DATABASE_PATH"
            )
        return
    missing = (await _tables_by_version())[facts.user_version] - facts.tables
    if missing:
        what = "table" if len(missing) == 1 else "tables"
        verb = "is" if len(missing) == 1 else "are"
        raise DatabaseRefused(
            f"it is damaged or not newsbot's: {what} {_names(missing)} {verb} missing"
            f" (schema {facts.user_version})"
        )


async def schema_version(db: Database) -> int:
    async with db.conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def migrate(db: Database) -> None:
    """Apply every migration above the database's ``user_version``, each in one transaction."""
    current = await schema_version(db)
    for version, step in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        async with db.transaction() as conn:
            await step(conn)
            # PRAGMA takes no parameters; version is an int we control.
            await conn.execute(f"PRAGMA user_version = {version:d}")
        logger.info("database migrated to version %d", version)

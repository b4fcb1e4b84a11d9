"""Articles: adding them once, reading them, and their order for Previous / Next."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage import search
from storage.db import Database, utcnow


@dataclass(frozen=True)
class NewArticle:
    """An article as an importer or an editor hands it in, before it has an id."""

    title: str
    body: str
    url: str | None = None
    source: str | None = None
    category: str | None = None
    published_at: str | None = None
    prev_title: str | None = None
    next_title: str | None = None


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    body: str
    url: str | None
    source: str | None
    category: str | None
    published_at: str | None
    created_at: str


def _key_text(text: str) -> str:
    """Text reduced for identity: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def title_key(title: str) -> str:
    """The key under which a title is found when another page names it as a neighbour."""
    return _key_text(title)


def dedup_key(article: NewArticle) -> str:
    """The url when there is one, else a hash of the normalised title and body."""
    if article.url:
        return "url:" + article.url.strip()
    digest = hashlib.sha256(
        (_key_text(article.title) + "\n" + _key_text(article.body)).encode()
    ).hexdigest()
    return "hash:" + digest


def parse_published_at(value: str) -> datetime:
    """Parse an ISO 8601 date; a date without an offset is taken as UTC. Raises ValueError."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _sort_at(published_at: str | None, created_at: str) -> str:
    if published_at:
        return parse_published_at(published_at).astimezone(UTC).isoformat()
    return created_at


_COLUMNS = "id, title, body, url, source, category, published_at, created_at"


def _row_to_article(row: aiosqlite.Row) -> Article:
    return Article(*row)


async def add(db: Database, article: NewArticle) -> tuple[int, bool]:
    """Store an article unless it is already there; return (id, added)."""
    async with db.transaction() as conn:
        return await add_in(conn, article)


async def add_in(conn: aiosqlite.Connection, article: NewArticle) -> tuple[int, bool]:
    """``add`` inside a transaction the caller holds."""
    [result] = await add_many_in(conn, [article])
    return result


#: SQLite's default limit on parameters is 32,766; stay far below it.
_KEYS_PER_QUERY = 500


async def add_many_in(
    conn: aiosqlite.Connection, batch: Sequence[NewArticle]
) -> list[tuple[int, bool]]:
    """Store each article unless already there; (id, added) for each, in order.

    Inside a transaction the caller holds. A batch costs a handful of statements whatever its
    size: each aiosqlite call is a hop to its worker thread, and per-article hops were most of
    an import's time.
    """
    keys = [dedup_key(a) for a in batch]
    wanted = list(dict.fromkeys(keys))
    known: dict[str, int] = {}
    for start in range(0, len(wanted), _KEYS_PER_QUERY):
        chunk = wanted[start : start + _KEYS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        rows = await conn.execute_fetchall(
            f"SELECT dedup_key, id FROM articles WHERE dedup_key IN ({marks})", chunk
        )
        known.update((str(k), int(i)) for k, i in rows)
    [(last_id,)] = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM articles")
    next_id = int(last_id)
    now = utcnow()
    results: list[tuple[int, bool]] = []
    rows_to_insert: list[tuple[object, ...]] = []
    to_index: list[tuple[int, str, str]] = []
    for article, key in zip(batch, keys, strict=True):
        if key in known:
            results.append((known[key], False))
            continue
        next_id += 1
        known[key] = next_id
        results.append((next_id, True))
        to_index.append((next_id, article.title, article.body))
        rows_to_insert.append(
            (
                next_id,
                article.title,
                article.body,
                article.url,
                article.source,
                article.category,
                article.published_at,
                _sort_at(article.published_at, now),
                now,
                key,
                title_key(article.title),
                article.prev_title,
                article.next_title,
            )
        )
    if rows_to_insert:
        await conn.executemany(
            "INSERT INTO articles (id, title, body, url, source, category, published_at,"
            " sort_at, created_at, dedup_key, title_key, prev_title, next_title)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows_to_insert,
        )
        await search.index_articles(conn, to_index)
    return results


async def get(db: Database, article_id: int) -> Article | None:
    async with db.conn.execute(
        f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else _row_to_article(row)


async def latest(db: Database, limit: int) -> list[Article]:
    """The newest articles by publication date, newest first."""
    async with db.conn.execute(
        f"SELECT {_COLUMNS} FROM articles ORDER BY sort_at DESC, id DESC LIMIT ?", (limit,)
    ) as cur:
        return [_row_to_article(r) for r in await cur.fetchall()]


async def _by_title(db: Database, title: str | None) -> int | None:
    if not title:
        return None
    async with db.conn.execute(
        "SELECT id FROM articles WHERE title_key = ? ORDER BY id LIMIT 1", (title_key(title),)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else int(row[0])


async def neighbours(db: Database, article_id: int) -> tuple[int | None, int | None]:
    """(previous, next) of an article.

    The site's own Read Previous / Read Next win when those articles are loaded; otherwise
    publication order (older is previous, newer is next).
    """
    async with db.conn.execute(
        "SELECT sort_at, prev_title, next_title FROM articles WHERE id = ?", (article_id,)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None, None
    sort_at, prev_title, next_title = row
    prev_id = await _by_title(db, prev_title)
    next_id = await _by_title(db, next_title)
    if prev_id is None:
        async with db.conn.execute(
            "SELECT id FROM articles WHERE (sort_at, id) < (?, ?)"
            " ORDER BY sort_at DESC, id DESC LIMIT 1",
            (sort_at, article_id),
        ) as cur:
            r = await cur.fetchone()
        prev_id = None if r is None else int(r[0])
    if next_id is None:
        async with db.conn.execute(
            "SELECT id FROM articles WHERE (sort_at, id) > (?, ?) ORDER BY sort_at, id LIMIT 1",
            (sort_at, article_id),
        ) as cur:
            r = await cur.fetchone()
        next_id = None if r is None else int(r[0])
    return (
        None if prev_id == article_id else prev_id,
        None if next_id == article_id else next_id,
    )


async def newest_id(db: Database) -> int:
    """The largest id: articles that arrive later have larger ids."""
    async with db.conn.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def count(db: Database) -> int:
    async with db.conn.execute("SELECT count(*) FROM articles") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])

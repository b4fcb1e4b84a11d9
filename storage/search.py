"""Keyword search over the archive.

Interface used by the bot and the command line: ``search()`` returns a ``SearchResult``;
``index_article()`` is called by ``articles.add_in`` inside the insert's transaction.
This first version matches every word as a substring (no index); the Arabic engine replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.db import Database

SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Hit:
    """One matching article, with an excerpt of its original text."""

    id: int
    title: str
    url: str | None
    published_at: str | None
    snippet: str
    #: (start, end) spans of ``snippet`` that matched, for highlighting.
    marks: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]


async def index_article(
    conn: aiosqlite.Connection, article_id: int, title: str, body: str
) -> None:
    """Add an article to the search index (nothing to do for substring search)."""


def _words(query: str) -> list[str]:
    return [w for w in query.replace('"', " ").split() if w.strip("*-()")][:16]


def _snippet(text: str, words: list[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    positions = [text.find(w) for w in words]
    found = [p for p in positions if p >= 0]
    start = max(0, min(found) - SNIPPET_CHARS // 3) if found else 0
    snippet = text[start : start + SNIPPET_CHARS]
    marks: list[tuple[int, int]] = []
    for w in words:
        i = snippet.find(w)
        while i >= 0:
            marks.append((i, i + len(w)))
            i = snippet.find(w, i + len(w))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
    shift = len(prefix)
    return prefix + snippet + suffix, tuple(sorted((a + shift, b + shift) for a, b in marks))


async def search(db: Database, query: str, *, limit: int = 5, offset: int = 0) -> SearchResult:
    """Articles containing every word of ``query``, newest first. Never raises on any input."""
    words = [w.strip("*-()") for w in _words(query)]
    if not words:
        return SearchResult(query=query, total=0, hits=[])
    cond = " AND ".join("instr(title || ' ' || body, ?) > 0" for _ in words)
    async with db.conn.execute(f"SELECT count(*) FROM articles WHERE {cond}", words) as cur:
        row = await cur.fetchone()
    total = int(row[0]) if row else 0
    async with db.conn.execute(
        f"SELECT id, title, url, published_at, body FROM articles WHERE {cond}"
        " ORDER BY sort_at DESC, id DESC LIMIT ? OFFSET ?",
        [*words, limit, offset],
    ) as cur:
        rows = await cur.fetchall()
    hits = []
    for r in rows:
        snippet, marks = _snippet(r[4], words)
        hits.append(Hit(r[0], r[1], r[2], r[3], snippet, marks))
    return SearchResult(query=query, total=total, hits=hits)

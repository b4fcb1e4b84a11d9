"""Articles: adding them once, reading them, and their order for Previous / Next."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import aiosqlite

from storage import search
from storage.db import Database, utcnow
from storage.urls import url_key


@dataclass(frozen=True)
class NewArticle:
    """An article as an importer, a feed or an editor hands it in, before it has an id."""

    title: str
    body: str
    url: str | None = None
    source: str | None = None
    category: str | None = None
    published_at: str | None = None
    prev_title: str | None = None
    next_title: str | None = None
    image: str | None = None
    #: The feed's GUID, when it came from a feed.
    guid: str | None = None
    #: The feed entry as fetched (see storage.ingest.feeds); None for files and editors.
    fingerprint: str | None = None
    #: Other addresses of the same page (a feed's link when the page names its canonical one).
    aliases: tuple[str, ...] = ()
    #: The body is only a teaser (a feed's summary whose page could not be read): it never
    #: replaces a longer text already stored.
    partial: bool = False


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
    image: str | None = None
    origin: str = "file"
    revision: int = 0


#: Articles first seen more than this many hours after their publication are not news.
DEFAULT_FRESH_HOURS = 24.0


@dataclass(frozen=True)
class Arrival:
    """How a batch of articles arrives, which decides whether they are news to push."""

    #: 'file' (load, SEEDS_DIR), 'archive' (load --archive), 'feed' or 'editor'.
    origin: str = "file"
    #: False: stored and searchable, never pushed (an archive, what a feed held at its first
    #: fetch). True: pushed when fresh.
    news: bool = True
    fresh_hours: float = DEFAULT_FRESH_HOURS
    #: A known story whose title or body changed is updated in place (and its delivered copies
    #: edited). Editors' posts say "already published" instead.
    update: bool = True
    #: The feed the batch comes from; a story is corrected only by the source it came from.
    feed_id: int | None = None


Status = Literal["added", "updated", "present"]


@dataclass(frozen=True)
class Stored:
    id: int
    status: Status


def _key_text(text: str) -> str:
    """Text reduced for identity: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def title_key(title: str) -> str:
    """The key under which a title is found when another page names it as a neighbour."""
    return _key_text(title)


def content_key(title: str, body: str) -> str:
    """The identity of a text: a hash of the normalised title and body."""
    digest = hashlib.sha256((_key_text(title) + "\n" + _key_text(body)).encode()).hexdigest()
    return "hash:" + digest


def identity_keys(
    title: str,
    body: str,
    url: str | None,
    guid: str | None,
    aliases: Sequence[str] = (),
    fingerprint: str | None = None,
) -> list[str]:
    """Every key the story is known by, the strongest first.

    Its canonical url (and those of its other addresses), else the feed's GUID, else the hash
    of its text; all of them are remembered, so a story that comes back under any one of them,
    from any feed or file, is the same article.
    """
    keys: list[str] = []
    for address in (url, *aliases):
        key = url_key(address) if address else None
        if key is not None:
            keys.append("url:" + key)
    if guid and guid.strip():
        keys.append("guid:" + guid.strip())
    if fingerprint:
        keys.append(fingerprint_key(fingerprint))
    keys.append(content_key(title, body))
    return list(dict.fromkeys(keys))


def fingerprint_key(fingerprint: str) -> str:
    """The key of a feed entry exactly as fetched: seen again, nothing has changed."""
    return "fp:" + fingerprint


def match_keys(keys: Sequence[str]) -> list[str]:
    """The keys an arriving story is looked up by: its addresses and GUID when it has them,
    else its text. Two pages with different addresses and the same words stay two articles."""
    strong = [k for k in keys if not k.startswith("hash:")]
    return strong or list(keys)


def dedup_key(article: NewArticle) -> str:
    """The article's strongest key (see ``identity_keys``)."""
    return _keys(article)[0]


def _keys(article: NewArticle) -> list[str]:
    return identity_keys(
        article.title,
        article.body,
        article.url,
        article.guid,
        article.aliases,
        article.fingerprint,
    )


def parse_published_at(value: str) -> datetime:
    """Parse an ISO 8601 date; a date without an offset is taken as UTC. Raises ValueError."""
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def iso_utc(value: str | None) -> str | None:
    """An ISO 8601 date as UTC ISO text (no offset means UTC); None when absent or not a date."""
    if not value:
        return None
    try:
        return parse_published_at(value).astimezone(UTC).isoformat()
    except ValueError:
        return None


def is_fresh(published_at: str | None, first_seen: str, fresh_hours: float) -> bool:
    """News, by the push policy: first seen at most ``fresh_hours`` after its publication."""
    if not published_at:
        return True  # dated when it arrives
    try:
        published = parse_published_at(published_at)
    except ValueError:
        return True
    seen = parse_published_at(first_seen)
    return seen - published <= timedelta(hours=fresh_hours)


def _sort_at(published_at: str | None, created_at: str) -> str:
    if published_at:
        return parse_published_at(published_at).astimezone(UTC).isoformat()
    return created_at


_COLUMNS = (
    "id, title, body, url, source, category, published_at, created_at, image, origin, revision"
)


def _row_to_article(row: aiosqlite.Row) -> Article:
    return Article(*row)


async def add(
    db: Database, article: NewArticle, arrival: Arrival | None = None
) -> tuple[int, bool]:
    """Store an article unless it is already there; return (id, added)."""
    async with db.transaction() as conn:
        return await add_in(conn, article, arrival)


async def add_in(
    conn: aiosqlite.Connection, article: NewArticle, arrival: Arrival | None = None
) -> tuple[int, bool]:
    """``add`` inside a transaction the caller holds."""
    [result] = await store_many_in(conn, [article], arrival or Arrival())
    return result.id, result.status == "added"


async def add_many_in(
    conn: aiosqlite.Connection, batch: Sequence[NewArticle], arrival: Arrival | None = None
) -> list[tuple[int, bool]]:
    """``store_many_in`` as (id, added) pairs."""
    stored = await store_many_in(conn, batch, arrival or Arrival())
    return [(s.id, s.status == "added") for s in stored]


#: SQLite's default limit on parameters is 32,766; stay far below it.
_KEYS_PER_QUERY = 500


async def _known_keys(conn: aiosqlite.Connection, keys: Sequence[str]) -> dict[str, int]:
    known: dict[str, int] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), _KEYS_PER_QUERY):
        chunk = wanted[start : start + _KEYS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        rows = await conn.execute_fetchall(
            f"SELECT key, article_id FROM article_keys WHERE key IN ({marks})", chunk
        )
        known.update((str(k), int(i)) for k, i in rows)
    return known


async def store_many_in(
    conn: aiosqlite.Connection, batch: Sequence[NewArticle], arrival: Arrival
) -> list[Stored]:
    """Store each article once; update a known one whose text changed. In batch order.

    Inside a transaction the caller holds. A batch costs a handful of statements whatever its
    size: each aiosqlite call is a hop to its worker thread, and per-article hops were most of
    an import's time.
    """
    all_keys = [_keys(a) for a in batch]
    known = await _known_keys(conn, [k for keys in all_keys for k in keys])
    [(last_id,)] = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM articles")
    next_id = int(last_id)
    now = utcnow()
    results: list[Stored] = []
    rows_to_insert: list[tuple[object, ...]] = []
    to_index: list[tuple[int, str, str]] = []
    new_keys: list[tuple[str, int]] = []
    existing: list[tuple[int, NewArticle, bool]] = []
    for article, keys in zip(batch, all_keys, strict=True):
        found = next((known[k] for k in match_keys(keys) if k in known), None)
        if found is not None:
            # A text this article already had (its hash is one of its keys) is an older copy,
            # not a correction: it never overwrites a newer one.
            seen_text = known.get(content_key(article.title, article.body)) == found
            new_keys.extend((k, found) for k in keys if k not in known)
            known.update({k: found for k in keys if k not in known})
            existing.append((len(results), article, not seen_text))
            results.append(Stored(found, "present"))
            continue
        next_id += 1
        known.update(dict.fromkeys(keys, next_id))
        new_keys.extend((k, next_id) for k in keys)
        results.append(Stored(next_id, "added"))
        to_index.append((next_id, article.title, article.body))
        # An undated article is dated when it arrives.
        published_at = article.published_at or now
        news = arrival.news and is_fresh(article.published_at, now, arrival.fresh_hours)
        rows_to_insert.append(
            (
                next_id,
                article.title,
                article.body,
                article.url,
                article.source,
                article.category,
                published_at,
                _sort_at(published_at, now),
                now,
                keys[0],
                title_key(article.title),
                article.prev_title,
                article.next_title,
                arrival.origin,
                int(news),
                article.image,
                article.guid,
                arrival.feed_id,
            )
        )
    if rows_to_insert:
        await conn.executemany(
            "INSERT INTO articles (id, title, body, url, source, category, published_at,"
            " sort_at, created_at, dedup_key, title_key, prev_title, next_title, origin,"
            " pushable, image, guid, feed_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows_to_insert,
        )
        await search.index_articles(conn, to_index)
    if new_keys:
        await conn.executemany("INSERT OR IGNORE INTO article_keys VALUES (?, ?)", new_keys)
    if existing and arrival.update:
        for position, article, may_change in existing:
            if may_change and await _update_in(conn, results[position].id, article, arrival, now):
                results[position] = Stored(results[position].id, "updated")
    return results


async def _update_in(
    conn: aiosqlite.Connection, article_id: int, article: NewArticle, arrival: Arrival, now: str
) -> bool:
    """A story that came back from its own source: its text replaced when it changed, and its
    delivered copies owed an edit.

    Returns True when the title or body changed. Its date, order and push state stay.
    """
    [row] = await conn.execute_fetchall(
        "SELECT title, body, feed_id FROM articles WHERE id = ?", (article_id,)
    )
    title, body, feed_id = row
    if feed_id != arrival.feed_id:
        return False  # the same story from elsewhere, with its own headline: not a correction
    if article.partial and len(article.body) < len(body):
        article = replace(article, body=body)  # a teaser never cuts the full text
    same = _key_text(title) == _key_text(article.title) and _key_text(body) == _key_text(
        article.body
    )
    if same:
        return False
    await _rewrite_in(conn, article_id, article, now)
    return True


async def correct(db: Database, article_id: int, article: NewArticle) -> int | None:
    """An editor's correction of article ``article_id``: its title and body replaced, search
    re-indexed, and every delivered copy owed an edit. How many copies are owed one; None when
    there is no such article. Unchanged text owes nothing (0)."""
    now = utcnow()
    async with db.transaction() as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT title, body FROM articles WHERE id = ?", (article_id,)
            )
        )
        if not rows:
            return None
        [(title, body)] = rows
        if title == article.title and body == article.body:
            return 0
        return await _rewrite_in(conn, article_id, article, now)


async def _rewrite_in(
    conn: aiosqlite.Connection, article_id: int, article: NewArticle, now: str
) -> int:
    """Replace an article's text; its delivered copies (and those on their way) owe an edit.

    Returns how many copies owe one.
    """
    await conn.execute(
        "UPDATE articles SET title = ?, body = ?, title_key = ?, updated_at = ?,"
        " revision = revision + 1, image = coalesce(?, image), url = coalesce(url, ?)"
        " WHERE id = ?",
        (
            article.title,
            article.body,
            title_key(article.title),
            now,
            article.image,
            article.url,
            article_id,
        ),
    )
    await search.index_articles(conn, [(article_id, article.title, article.body)])
    # The new text's hash names the story too: a copy of it arriving later is no news.
    await conn.execute(
        "INSERT OR IGNORE INTO article_keys VALUES (?, ?)",
        (content_key(article.title, article.body), article_id),
    )
    # Every copy already delivered, or on its way, is edited where it stands.
    cur = await conn.execute(
        "UPDATE deliveries SET edit_due = edit_due + 1, edit_error = NULL, updated_at = ?"
        " WHERE article_id = ? AND state IN ('sent', 'sending')",
        (now, article_id),
    )
    return max(cur.rowcount, 0)


#: Telegram lets a bot delete its messages for this long; older copies stay.
DELETABLE_FOR = timedelta(hours=48)
TOO_OLD = "older than 48 hours"


async def withdraw(db: Database, article_id: int) -> bool:
    """An editor withdraws an article: out of /latest, search and navigation; what was still
    to be sent is not sent; each delivered copy owes a deletion (a digest that listed it owes
    an edit instead, and a copy too old for Telegram to delete stays, with that reason).

    False when there is no such article (or it was withdrawn already).
    """
    now = utcnow()
    oldest = (datetime.now(UTC) - DELETABLE_FOR).replace(microsecond=0).isoformat()
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE articles SET withdrawn_at = ?, pushable = 0"
            " WHERE id = ? AND withdrawn_at IS NULL",
            (now, article_id),
        )
        if cur.rowcount == 0:
            return False
        await search.unindex_article(conn, article_id)
        await conn.execute(
            "UPDATE deliveries SET state = 'skipped', error = 'withdrawn', updated_at = ?"
            " WHERE article_id = ? AND state = 'pending'",
            (now, article_id),
        )
        await conn.execute(
            "UPDATE deliveries SET edit_due = edit_due + 1, updated_at = ?"
            " WHERE article_id = ? AND state IN ('sent', 'sending') AND digest IS NOT NULL",
            (now, article_id),
        )
        await conn.execute(
            "UPDATE deliveries SET delete_error = ?"
            " WHERE article_id = ? AND state = 'sent' AND digest IS NULL AND updated_at < ?",
            (TOO_OLD, article_id, oldest),
        )
        await conn.execute(
            "UPDATE deliveries SET delete_due = 1"
            " WHERE article_id = ? AND state IN ('sent', 'sending') AND digest IS NULL"
            " AND delete_error IS NULL",
            (article_id,),
        )
    return True


async def known_keys(db: Database, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` some stored article is known by."""
    return set(await _known_keys(db.conn, keys))


async def get(db: Database, article_id: int) -> Article | None:
    async with db.conn.execute(
        f"SELECT {_COLUMNS} FROM articles WHERE id = ? AND withdrawn_at IS NULL", (article_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else _row_to_article(row)


async def latest(db: Database, limit: int) -> list[Article]:
    """The newest articles by publication date, newest first."""
    async with db.conn.execute(
        f"SELECT {_COLUMNS} FROM articles WHERE withdrawn_at IS NULL"
        " ORDER BY sort_at DESC, id DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [_row_to_article(r) for r in await cur.fetchall()]


async def _by_title(db: Database, title: str | None) -> int | None:
    if not title:
        return None
    async with db.conn.execute(
        "SELECT id FROM articles WHERE title_key = ? AND withdrawn_at IS NULL ORDER BY id LIMIT 1",
        (title_key(title),),
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
            "SELECT id FROM articles WHERE (sort_at, id) < (?, ?) AND withdrawn_at IS NULL"
            " ORDER BY sort_at DESC, id DESC LIMIT 1",
            (sort_at, article_id),
        ) as cur:
            r = await cur.fetchone()
        prev_id = None if r is None else int(r[0])
    if next_id is None:
        async with db.conn.execute(
            "SELECT id FROM articles WHERE (sort_at, id) > (?, ?) AND withdrawn_at IS NULL"
            " ORDER BY sort_at, id LIMIT 1",
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
    async with db.conn.execute("SELECT count(*) FROM articles WHERE withdrawn_at IS NULL") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])

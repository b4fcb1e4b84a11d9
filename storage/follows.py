"""Followed keywords and topics: which chats want which new article.

A chat subscribed to everything (``subscriptions.everything = 1``) gets every new article; a
chat that only follows (``everything = 0``) gets the articles matching any of its follows.
Both kinds keep one ``subscriptions`` row: it is the chat's delivery state (active,
``enqueued_through``), so the sender, deactivation of a blocked chat and group migration treat
them alike.

Matching is the search's own (``storage.search.parse_query``, ``storage.arabic``): a followed
word matches an article whose title or body holds a word with one of its ``query_stems``, so
``طرطوس`` catches ``بطرطوس``, ``طَرْطُوس`` and ``وطرطوس`` as ``/search`` does. Several words
in one follow must all match (anywhere); a ``"quoted phrase"`` matches its words adjacent and
in order (by stem, as the search's phrases do). A topic (``#category``) matches the article's
category, compared after normalisation.

The inverted index ``follow_keys`` maps each key a follow waits for (``ـ`` + a stem, or ``#`` +
a category) to (follow, slot, chat). A new article's keys are looked up in it, so the cost
grows with the article's distinct words and with the chats that match, never with the number
of chats. Single-slot follows (one word or a topic: nearly all of them) are also held in
memory, key -> chat ids, kept up to date from ``follow_log`` (written by triggers, applied in
order, pruned once applied; a connection that finds entries missing reloads): a common word
can be followed by tens of thousands of chats, and reading those rows from SQL for every
article cost ten times the rest. Other follows are read from SQL: they match when every slot
matched, and a phrase's words must also stand adjacent and in order in the title or the body.
"""

from __future__ import annotations

import json
import re
import weakref
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import aiosqlite

from storage import arabic, search
from storage.db import Database, utcnow

#: Follows one chat may hold.
MAX_FOLLOWS = 50
#: A keyword (or a topic's name) longer than this is refused, not stored.
MAX_CHARS = 100
#: The search's marker of a stem (normalisation deletes every tatweel, so no token holds one).
_STEM = "\u0640"
_TOPIC = "#"
#: Search syntax that a follow does not take (prefixes, FTS operators): refused, not guessed.
_SYNTAX_RE = re.compile(r"[*()^{}\[\]<>|&=~\\:+]|\b(?:AND|OR|NOT|NEAR)\b")

Kind = Literal["words", "topic"]
Problem = Literal[
    "empty", "too_long", "syntax", "no_words", "too_common", "unknown_topic", "too_many"
]


@dataclass(frozen=True)
class Follow:
    """One follow of a chat; ``label`` is how the bot names it to the reader."""

    id: int
    chat_id: int
    kind: Kind
    label: str


@dataclass(frozen=True)
class Parsed:
    """What a follow waits for: the keys of each slot (every slot must match), and the stems
    of its phrases (checked for adjacency)."""

    kind: Kind
    label: str
    key: str
    slots: tuple[tuple[str, ...], ...]
    phrases: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Added:
    """The outcome of ``add``: the follow, whether it is new, or the problem that refused it."""

    follow: Follow | None = None
    new: bool = False
    problem: Problem | None = None


@dataclass(frozen=True)
class Topic:
    """A category of the articles, how many articles hold it, and its follow key."""

    name: str
    key: str
    articles: int


def topic_key(name: str) -> str:
    """A category's follow key: normalised, spaces collapsed (``#Sport`` is ``#sport``)."""
    return _TOPIC + " ".join(arabic.normalize(name).split())


def parse(text: str) -> Parsed | Problem:
    """A follow as typed after ``/follow``: words, ``"a phrase"``, or ``#category``."""
    text = " ".join(text.split())
    if not text:
        return "empty"
    if len(text) > MAX_CHARS:
        return "too_long"
    if text.startswith(_TOPIC):
        name = text[1:].strip()
        if not arabic.tokens(name):
            return "no_words"
        key = topic_key(name)
        return Parsed("topic", _TOPIC + name, key, ((key,),))
    if _SYNTAX_RE.search(text):
        return "syntax"
    terms = search.parse_query(text)
    if not terms:
        return "no_words"
    if all(isinstance(t, search.Word) and t.exact in arabic.STOP_WORDS for t in terms):
        return "too_common"
    slots: list[tuple[str, ...]] = []
    phrases: list[tuple[str, ...]] = []
    parts: list[str] = []
    for term in terms:
        if isinstance(term, search.Word):
            slots.append(tuple(_STEM + s for s in term.stems))
            parts.append("w " + term.exact)
        elif isinstance(term, search.Phrase):
            # Found through its specific words (function words are in nearly every article);
            # the adjacency check reads the whole phrase.
            tokens = [(t, s) for t, s in zip(term.exact, term.stems, strict=True)]
            specific = [s for t, s in tokens if t not in arabic.STOP_WORDS] or [term.stems[0]]
            slots.extend((_STEM + s,) for s in dict.fromkeys(specific))
            phrases.append(term.stems)
            parts.append("p " + " ".join(term.exact))
        elif isinstance(term, search.Either):
            # A Latin name or any of its Arabic spellings: one slot. A spelling of several
            # words counts by its first word (adjacency is checked only for quoted phrases).
            keys = [
                _STEM + s
                for option in term.options
                for s in (option.stems if isinstance(option, search.Word) else option.stems[:1])
            ]
            slots.append(tuple(dict.fromkeys(keys)))
            parts.append("e " + term.label)
        else:  # pragma: no cover - a prefix needs "*", refused above
            return "syntax"
    return Parsed("words", text, "|".join(sorted(parts)), tuple(slots), tuple(phrases))


@dataclass(frozen=True)
class Analysed:
    """An article as follows see it: its keys, and the stems of its title and body in order
    (for phrases). Computed once per article, however many follows look at it."""

    keys: frozenset[str]
    stems: tuple[list[str], list[str]]


def analyse(title: str, body: str, category: str | None) -> Analysed:
    title_stems = [arabic.stem(t) for t in arabic.tokens(title)]
    body_stems = [arabic.stem(t) for t in arabic.tokens(body)]
    keys = {_STEM + s for s in title_stems} | {_STEM + s for s in body_stems}
    if category and arabic.tokens(category):
        keys.add(topic_key(category))
    return Analysed(frozenset(keys), (title_stems, body_stems))


def article_keys(title: str, body: str, category: str | None) -> set[str]:
    """Every key an article answers to in ``follow_keys``."""
    return set(analyse(title, body, category).keys)


def _has_phrase(stems: list[str], phrase: list[str]) -> bool:
    """Whether ``phrase`` reads in ``stems``, adjacent and in order (``list.index`` scans)."""
    n, i = len(phrase), -1
    while True:
        try:
            i = stems.index(phrase[0], i + 1)
        except ValueError:
            return False
        if stems[i : i + n] == phrase:
            return True


def phrases_match(article: Analysed, phrases: Iterable[Sequence[str]]) -> bool:
    """Whether every phrase reads, adjacent and in order, in the title or in the body."""
    return all(any(_has_phrase(stems, list(p)) for stems in article.stems) for p in phrases)


# --- changing a chat's follows ---------------------------------------------------------------


def _index_rows(
    parsed: Parsed, chat_id: int, follow_id: int
) -> list[tuple[str, int, int, int, int]]:
    """The ``follow_keys`` rows of one follow."""
    need = 0 if len(parsed.slots) == 1 and not parsed.phrases else len(parsed.slots)
    return [
        (k, need, chat_id, follow_id, slot) for slot, keys in enumerate(parsed.slots) for k in keys
    ]


async def _newest(conn: aiosqlite.Connection) -> int:
    [(newest,)] = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM articles")
    return int(newest)


async def _ensure_receiving(conn: aiosqlite.Connection, chat_id: int, by_user: int | None) -> None:
    """A chat that follows receives: with no active subscription it becomes a follows-only
    one, starting after the newest article (no back catalogue)."""
    now = utcnow()
    await conn.execute(
        "INSERT INTO subscriptions (chat_id, active, everything, enqueued_through,"
        " subscribed_by, created_at, updated_at) VALUES (?, 1, 0, ?, ?, ?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET active = 1, everything = 0,"
        " enqueued_through = excluded.enqueued_through, subscribed_by = excluded.subscribed_by,"
        " inactive_reason = NULL, updated_at = excluded.updated_at"
        " WHERE subscriptions.active = 0",
        (chat_id, await _newest(conn), by_user, now, now),
    )


async def add(db: Database, chat_id: int, text: str, by_user: int | None = None) -> Added:
    """Add one follow to a chat (already recorded in ``chats``).

    Refused, with nothing stored: empty, over ``MAX_CHARS``, search syntax, no word, only
    function words, an unknown topic, or past ``MAX_FOLLOWS``. A follow the chat already has
    is returned with ``new`` False. Either way the chat receives afterwards.
    """
    parsed = parse(text)
    if isinstance(parsed, str):
        return Added(problem=parsed)
    if parsed.kind == "topic":
        known = {t.key: t for t in await topics(db)}
        if parsed.key not in known:
            return Added(problem="unknown_topic")
        parsed = Parsed("topic", _TOPIC + known[parsed.key].name, parsed.key, parsed.slots)
    async with db.transaction() as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT id, kind, label FROM follows WHERE chat_id = ? AND key = ?",
                (chat_id, parsed.key),
            )
        )
        if rows:
            await _ensure_receiving(conn, chat_id, by_user)
            (fid, kind, label) = rows[0]
            return Added(Follow(int(fid), chat_id, kind, str(label)), new=False)
        [(count,)] = await conn.execute_fetchall(
            "SELECT count(*) FROM follows WHERE chat_id = ?", (chat_id,)
        )
        if int(count) >= MAX_FOLLOWS:
            return Added(problem="too_many")
        cur = await conn.execute(
            "INSERT INTO follows (chat_id, kind, label, key, slots, phrases, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                chat_id,
                parsed.kind,
                parsed.label,
                parsed.key,
                len(parsed.slots),
                json.dumps(parsed.phrases, ensure_ascii=False) if parsed.phrases else None,
                utcnow(),
            ),
        )
        fid = cur.lastrowid
        assert fid is not None
        await conn.executemany(
            "INSERT OR IGNORE INTO follow_keys (key, need, chat_id, follow_id, slot)"
            " VALUES (?, ?, ?, ?, ?)",
            _index_rows(parsed, chat_id, fid),
        )
        await _ensure_receiving(conn, chat_id, by_user)
    return Added(Follow(fid, chat_id, parsed.kind, parsed.label), new=True)


async def add_many_in(conn: aiosqlite.Connection, items: Sequence[tuple[int, str]]) -> int:
    """Add many (chat, text) follows at once inside the caller's transaction (a benchmark, an
    import): what ``add`` refuses is skipped, as are duplicates; no cap, no subscription
    change, topics not checked against the articles. A few statements for the whole batch.
    Returns how many were added."""
    chat_ids = sorted({c for c, _ in items})
    seen = {
        (int(c), str(k))
        for c, k in await conn.execute_fetchall(
            "SELECT chat_id, key FROM follows WHERE chat_id IN (SELECT value FROM json_each(?))",
            (json.dumps(chat_ids),),
        )
    }
    [(last,)] = await conn.execute_fetchall("SELECT coalesce(max(id), 0) FROM follows")
    fid, now = int(last), utcnow()
    rows: list[tuple[object, ...]] = []
    keys: list[tuple[str, int, int, int, int]] = []
    for chat_id, text in items:
        parsed = parse(text)
        if isinstance(parsed, str) or (chat_id, parsed.key) in seen:
            continue
        seen.add((chat_id, parsed.key))
        fid += 1
        phrases = json.dumps(parsed.phrases, ensure_ascii=False) if parsed.phrases else None
        rows.append(
            (fid, chat_id, parsed.kind, parsed.label, parsed.key, len(parsed.slots), phrases, now)
        )
        keys.extend(_index_rows(parsed, chat_id, fid))
    await conn.executemany(
        "INSERT INTO follows (id, chat_id, kind, label, key, slots, phrases, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    await conn.executemany(
        "INSERT OR IGNORE INTO follow_keys (key, need, chat_id, follow_id, slot)"
        " VALUES (?, ?, ?, ?, ?)",
        keys,
    )
    return len(rows)


async def _drop(conn: aiosqlite.Connection, follow: Follow) -> None:
    """Delete a follow; a follows-only chat left with none stops receiving."""
    await conn.execute("DELETE FROM follows WHERE id = ?", (follow.id,))
    now = utcnow()
    cur = await conn.execute(
        "UPDATE subscriptions SET active = 0, inactive_reason = 'no follows', updated_at = ?"
        " WHERE chat_id = ? AND active = 1 AND everything = 0"
        " AND NOT EXISTS (SELECT 1 FROM follows WHERE chat_id = ?)",
        (now, follow.chat_id, follow.chat_id),
    )
    if cur.rowcount > 0:
        await conn.execute(
            "UPDATE deliveries SET state = 'skipped', error = 'no follows', updated_at = ?"
            " WHERE chat_id = ? AND state IN ('pending', 'sending')",
            (now, follow.chat_id),
        )


async def remove(db: Database, chat_id: int, text: str) -> Follow | None:
    """Remove the follow ``text`` names (as it would be added); None when the chat has none."""
    parsed = parse(text)
    if isinstance(parsed, str):
        return None
    async with db.transaction() as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT id, kind, label FROM follows WHERE chat_id = ? AND key = ?",
                (chat_id, parsed.key),
            )
        )
        if not rows:
            return None
        follow = Follow(int(rows[0][0]), chat_id, rows[0][1], str(rows[0][2]))
        await _drop(conn, follow)
    return follow


async def remove_id(db: Database, chat_id: int, follow_id: int) -> Follow | None:
    """Remove a follow by its id (a button), only if it belongs to ``chat_id``."""
    async with db.transaction() as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT id, kind, label FROM follows WHERE chat_id = ? AND id = ?",
                (chat_id, follow_id),
            )
        )
        if not rows:
            return None
        follow = Follow(int(rows[0][0]), chat_id, rows[0][1], str(rows[0][2]))
        await _drop(conn, follow)
    return follow


async def list_follows(db: Database, chat_id: int) -> list[Follow]:
    """A chat's follows, oldest first, each with its label (``طرطوس``, ``"قاعدة حميميم"``,
    ``#sport``)."""
    rows = await db.conn.execute_fetchall(
        "SELECT id, chat_id, kind, label FROM follows WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [Follow(int(i), int(c), k, str(label)) for i, c, k, label in rows]


async def set_follows_only(db: Database, chat_id: int, *, resume: bool = False) -> bool:
    """Make a chat that follows something receive only what it follows: from everything
    (``resume`` False), or after it stopped receiving (``resume`` True). False when the chat
    follows nothing or is not in the state to change."""
    async with db.transaction() as conn:
        rows = list(
            await conn.execute_fetchall(
                "SELECT 1 FROM follows WHERE chat_id = ? LIMIT 1", (chat_id,)
            )
        )
        if not rows:
            return False
        if resume:
            cur = await conn.execute(
                "SELECT 1 FROM subscriptions WHERE chat_id = ? AND active = 1", (chat_id,)
            )
            if await cur.fetchone() is not None:
                return False
            await _ensure_receiving(conn, chat_id, None)
            return True
        cur = await conn.execute(
            "UPDATE subscriptions SET everything = 0, updated_at = ?"
            " WHERE chat_id = ? AND active = 1 AND everything = 1",
            (utcnow(), chat_id),
        )
        return cur.rowcount > 0


Receiving = Literal["everything", "follows", "nothing"]


async def receiving(db: Database, chat_id: int) -> Receiving:
    """What a chat receives now: everything, only what its follows match, or nothing."""
    rows = list(
        await db.conn.execute_fetchall(
            "SELECT everything FROM subscriptions WHERE chat_id = ? AND active = 1", (chat_id,)
        )
    )
    if not rows:
        return "nothing"
    return "everything" if rows[0][0] else "follows"


async def topics(db: Database, limit: int = 60) -> list[Topic]:
    """The articles' categories, the most used first (one entry per follow key)."""
    rows = await db.conn.execute_fetchall(
        "SELECT category, count(*) FROM articles WHERE category IS NOT NULL"
        " AND withdrawn_at IS NULL GROUP BY category ORDER BY 2 DESC, 1"
    )
    out: dict[str, Topic] = {}
    for name, n in rows:
        name = " ".join(str(name).split())
        if not arabic.tokens(name) or len(name) > MAX_CHARS:
            continue
        key = topic_key(name)
        if key in out:
            out[key] = Topic(out[key].name, key, out[key].articles + int(n))
        elif len(out) < limit:
            out[key] = Topic(name, key, int(n))
    return list(out.values())


# --- matching new articles -----------------------------------------------------------------


#: A follow with several slots or a phrase, in memory: (follow, slot, slots needed, chat).
_Entry = tuple[int, int, int, int]


class _Memory:
    """``follow_keys`` held in memory, as of ``follow_log`` entry ``seq``: for single-slot
    follows key -> chat ids (a chat once per follow holding the key), for the others key ->
    entries."""

    def __init__(
        self, seq: int, chats: dict[str, array[int]], others: dict[str, list[_Entry]]
    ) -> None:
        self.seq = seq
        self.chats = chats
        self.others = others

    def apply(
        self, key: str, need: int, chat_id: int, follow_id: int, slot: int, delta: int
    ) -> None:
        if need == 0:
            ids = self.chats.setdefault(key, array("q"))
            if delta > 0:
                ids.append(chat_id)
            elif chat_id in ids:
                ids.remove(chat_id)
            if not ids:
                del self.chats[key]
            return
        entries = self.others.setdefault(key, [])
        entry = (follow_id, slot, need, chat_id)
        if delta > 0:
            entries.append(entry)
        elif entry in entries:
            entries.remove(entry)
        if not entries:
            del self.others[key]


#: One copy per connection (a process normally has one); dropped with the connection.
_MEMORY: weakref.WeakKeyDictionary[aiosqlite.Connection, _Memory] = weakref.WeakKeyDictionary()
_SEQ = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'follow_log'), 0)"


async def _load(conn: aiosqlite.Connection) -> _Memory:
    """Read the whole index from SQL (at start, or after missing pruned changes)."""
    [(before,)] = await conn.execute_fetchall(_SEQ)
    # One statement: the rows and the log position they reflect come from one snapshot.
    rows = list(
        await conn.execute_fetchall(
            f"SELECT key, 0, group_concat(chat_id), 0, 0, ({_SEQ}) FROM follow_keys"
            " WHERE need = 0 GROUP BY key"
            f" UNION ALL SELECT key, need, chat_id, follow_id, slot, ({_SEQ}) FROM follow_keys"
            " WHERE need > 0"
        )
    )
    memory = _Memory(int(rows[0][5]) if rows else int(before), {}, {})
    for key, need, chat_ids, follow_id, slot, _ in rows:
        if need == 0:
            memory.chats[key] = array("q", map(int, str(chat_ids).split(",")))
        else:
            memory.others.setdefault(key, []).append((follow_id, slot, need, int(chat_ids)))
    return memory


async def _memory(conn: aiosqlite.Connection) -> _Memory:
    """The in-memory index, brought up to date with ``follow_log``."""
    [(seq,)] = await conn.execute_fetchall(_SEQ)
    memory = _MEMORY.get(conn)
    if memory is not None and memory.seq == seq:
        return memory
    if memory is not None:
        changes = list(
            await conn.execute_fetchall(
                "SELECT seq, key, need, chat_id, follow_id, slot, delta FROM follow_log"
                " WHERE seq > ? ORDER BY seq",
                (memory.seq,),
            )
        )
        # Complete (nothing pruned before we saw it): apply in order; else reload.
        if changes and (changes[0][0], changes[-1][0]) == (
            memory.seq + 1,
            memory.seq + len(changes),
        ):
            for n, *change in changes:
                memory.apply(*change)
                memory.seq = n
            return memory
    memory = await _load(conn)
    _MEMORY[conn] = memory
    return memory


async def _prune(db: Database) -> None:
    """Forget the log entries this process has applied (another that missed them reloads)."""
    memory = _MEMORY.get(db.conn)
    if memory is None:
        return
    rows = list(
        await db.conn.execute_fetchall(
            "SELECT 1 FROM follow_log WHERE seq <= ? LIMIT 1", (memory.seq,)
        )
    )
    if rows:
        async with db.transaction() as conn:
            await conn.execute("DELETE FROM follow_log WHERE seq <= ?", (memory.seq,))


async def match_article(conn: aiosqlite.Connection, article: Analysed) -> set[int]:
    """The chats with a follow that ``article`` matches.

    All in memory, but for the phrases of the follows whose every slot matched (read from
    ``follows``, then checked on the article's stems): a common word can be followed by tens
    of thousands of chats, and reading them from SQL for every article cost ten times the rest.
    """
    memory = await _memory(conn)
    chats: set[int] = set()
    for key in article.keys:
        ids = memory.chats.get(key)
        if ids:
            chats.update(ids)
    seen: dict[int, set[int]] = {}
    complete: dict[int, int] = {}
    for key in article.keys:
        for follow_id, slot, need, chat_id in memory.others.get(key, ()):
            if chat_id in chats:
                continue
            slots = seen.setdefault(follow_id, set())
            slots.add(slot)
            if len(slots) == need:
                complete[follow_id] = chat_id
    if not complete:
        return chats
    marks = ",".join("?" * len(complete))
    for follow_id, phrases in await conn.execute_fetchall(
        f"SELECT id, phrases FROM follows WHERE id IN ({marks})", list(complete)
    ):
        if phrases is None or phrases_match(article, json.loads(phrases)):
            chats.add(complete[follow_id])
    return chats


async def matching_chats(db: Database, article_ids: Sequence[int]) -> dict[int, set[int]]:
    """For each article: the chats whose follows it matches (articles matching none: absent)."""
    found = await matching_chats_in(db.conn, article_ids)
    await _prune(db)
    return found


async def matching_chats_in(
    conn: aiosqlite.Connection, article_ids: Sequence[int]
) -> dict[int, set[int]]:
    """``matching_chats`` on a connection (inside the caller's transaction, if any)."""
    out: dict[int, set[int]] = {}
    for start in range(0, len(article_ids), 500):
        part = article_ids[start : start + 500]
        marks = ",".join("?" * len(part))
        rows = await conn.execute_fetchall(
            f"SELECT id, title, body, category FROM articles WHERE id IN ({marks})", part
        )
        for article_id, title, body, category in rows:
            found = await match_article(conn, analyse(title, body, category))
            if found:
                out[int(article_id)] = found
    return out

"""Keyword search over the archive: an FTS5 index of pre-analysed Arabic tokens.

Interface used by the bot and the command line: ``search()`` returns a ``SearchResult``;
``index_article()`` is called by ``articles.add_in`` inside the insert's transaction.

Index
-----
SQLite never tokenises Arabic itself. ``storage.arabic`` turns title and body into normalised
tokens; the FTS5 table ``article_search`` (rowid = article id; ``tokenize='ascii'``, so SQLite
only splits on the spaces we put) holds four columns::

    title_exact  body_exact   normalised tokens             الاسد طرطوس
    title_stem   body_stem    "ـ" + light10 stem per token   ـاسد ـطرطوس

The tatweel marker keeps the two vocabularies apart (normalisation deletes every tatweel), so
an exact token never matches a stem and no column filters are needed. Both streams have one
token per word, so phrases work in either. The table keeps its own copy of these columns
(a contentless table would be half the size, but SQLite 3.40 can only delete from one given the
exact indexed text again): so a trigger on ``articles`` can unindex any deleted article,
whoever deletes it, and ``index_article`` can simply replace. ``index_stamp()`` (analyser
version and ``INDEX_FORMAT``) is kept in ``search_meta``; ``ensure_index`` rebuilds the whole
index at start, in one transaction, when it differs.

Queries
-------
``parse_query`` turns a query into terms (words, ``"phrases"``, ``prefix*``); each term becomes
a parenthesised OR of quoted strings built only from analysed tokens, so no user text is ever
FTS syntax. A word asks for its exact form or any of ``arabic.query_stems`` (its stem, and the
same glued to ``ب``/``ل``). Terms are ANDed; when that finds nothing, ORed.

Ranking: first the articles that match some term in its exact (normalised) form, then those
matching only through stems; within each, bm25 with the title weighted over the body and the
exact columns over the stem columns; then newer first (``articles.sort_at``). When a query
matches more than ``RANK_WINDOW`` articles, only the newest ``RANK_WINDOW`` of them (by id, which
grows with arrival) are ranked and the older ones follow, newest first: ranking tens of
thousands of rows does not fit the latency budget, and for such broad queries recency is what
a reader of a news archive wants anyway. ``total`` is always exact.

Snippets and marks are computed in Python on the original text (``Highlighter``), so a vowelled
word is shown and marked as written.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

from storage import arabic

if TYPE_CHECKING:
    from storage.db import Database

logger = logging.getLogger(__name__)

SNIPPET_CHARS = 160
#: ``search`` returns at most this many hits per call.
MAX_LIMIT = 100
#: Longer queries are cut: nobody types more, and the work stays bounded.
MAX_QUERY_CHARS = 400
MAX_TERMS = 8
MAX_PHRASE_TOKENS = 8
#: Prefix queries need this many letters after ``ال``, ``و``…: a shorter prefix expands to
#: thousands of words.
MIN_PREFIX_CHARS = 3
#: Queries matching more articles than this rank only the newest this many (see above).
RANK_WINDOW = 1000
#: bm25 weights of title_exact, body_exact, title_stem, body_stem.
WEIGHTS = (10.0, 3.0, 4.0, 1.0)
#: Bump when what ``index_article`` stores changes (the analyser has its own version).
INDEX_FORMAT = 1

_STEM_MARK = "\u0640"  # tatweel: never part of a normalised token
_QUOTES = '"“”«»„‟'
_QUOTE_RE = re.compile(f"[{_QUOTES}]")
_SPACE_RE = re.compile(r"\s")
_META_KEY = "index_stamp"
_V = TypeVar("_V")


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
    #: (start, end) spans of ``title`` that matched.
    title_marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]


def index_stamp() -> str:
    """What the index was built with; a different stamp at start means re-index."""
    return f"arabic-{arabic.ANALYSER_VERSION}/fts-{INDEX_FORMAT}"


# --- indexing -------------------------------------------------------------------------------


class _Memo(dict[str, _V]):
    """``key -> compute(key)``, remembered: a plain dict lookup (at C speed) when known.

    Two generations bound the memory: when ``size`` entries are reached they become the old
    generation, from which entries still in use move back on their next lookup.
    """

    def __init__(self, compute: Callable[[str], _V], size: int) -> None:
        super().__init__()
        self._compute = compute
        self._size = size
        self._old: dict[str, _V] = {}

    def __missing__(self, key: str) -> _V:
        value = self._old[key] if key in self._old else self._compute(key)
        if len(self) >= self._size:
            self._old = dict(self)
            self.clear()
        self[key] = value
        return value


#: token -> its stem-stream token; indexing looks up every token here.
_STEMMED = _Memo(lambda token: _STEM_MARK + arabic.stem(token), 50_000)


def _columns(title: str, body: str) -> tuple[str, str, str, str]:
    """The four column values of an article."""
    title_tokens = arabic.tokens(title)
    body_tokens = arabic.tokens(body)
    return (
        " ".join(title_tokens),
        " ".join(body_tokens),
        " ".join(map(_STEMMED.__getitem__, title_tokens)),
        " ".join(map(_STEMMED.__getitem__, body_tokens)),
    )


#: The index; ``rebuild_in`` drops and re-creates it, so a new format needs no migration.
#: 'ascii' splits on the spaces we put and nothing else (every non-ASCII character is a letter).
FTS_TABLE = (
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title_exact, body_exact, title_stem, body_stem, tokenize = 'ascii')"
)

#: Persistent FTS5 options. A larger in-memory buffer before writing a segment makes FTS5
#: inserts ~20% cheaper in bulk imports and leaves fewer segments (1 MiB is the default).
FTS_CONFIG = {"hashsize": 8 * 1024 * 1024}

_INSERT = (
    "INSERT OR REPLACE INTO article_search"
    " (rowid, title_exact, body_exact, title_stem, body_stem) VALUES (?, ?, ?, ?, ?)"
)


async def index_article(
    conn: aiosqlite.Connection, article_id: int, title: str, body: str
) -> None:
    """Add (or replace) an article in the search index, inside the caller's transaction."""
    await conn.execute(_INSERT, (article_id, *_columns(title, body)))


async def index_articles(
    conn: aiosqlite.Connection, items: Sequence[tuple[int, str, str]]
) -> None:
    """``index_article`` for many (id, title, body) at once: one statement for a batch."""
    await conn.executemany(_INSERT, [(i, *_columns(title, body)) for i, title, body in items])


async def unindex_article(conn: aiosqlite.Connection, article_id: int) -> None:
    """Remove an article from the index. Deleting from ``articles`` does this by trigger too."""
    await conn.execute("DELETE FROM article_search WHERE rowid = ?", (article_id,))


async def rebuild_in(conn: aiosqlite.Connection, *, batch: int = 500) -> int:
    """(Re-)create the index from every article and stamp it, in the caller's transaction.

    Used by the migration that creates the index and when the stamp is out of date. Running in
    one transaction means a crash leaves the old index and the old stamp: nothing is lost.
    Returns the number of articles indexed.
    """
    await conn.execute("DROP TABLE IF EXISTS article_search")
    await conn.execute(FTS_TABLE)
    for option, value in FTS_CONFIG.items():
        await conn.execute(
            "INSERT INTO article_search (article_search, rank) VALUES (?, ?)", (option, value)
        )
    last_id, done = 0, 0
    while True:
        rows = list(
            await conn.execute_fetchall(
                "SELECT id, title, body FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (last_id, batch),
            )
        )
        if not rows:
            break
        await conn.executemany(_INSERT, [(r[0], *_columns(r[1], r[2])) for r in rows])
        last_id, done = int(rows[-1][0]), done + len(rows)
    await conn.execute(
        "INSERT OR REPLACE INTO search_meta (key, value) VALUES (?, ?)", (_META_KEY, index_stamp())
    )
    return done


async def ensure_index(db: Database) -> None:
    """Re-index at start when the analyser or the index format changed since the last build."""
    rows = list(
        await db.conn.execute_fetchall("SELECT value FROM search_meta WHERE key = ?", (_META_KEY,))
    )
    stamp = rows[0][0] if rows else None
    if stamp == index_stamp():
        return
    logger.info("search index stamp %r is not %r: re-indexing", stamp, index_stamp())
    async with db.transaction() as conn:
        count = await rebuild_in(conn)
    logger.info("search index rebuilt: %d articles", count)


# --- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word: its exact normalised form, or any of its stems (its own and proclitic ones)."""

    exact: str
    stems: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    """``word*``: normalised tokens starting with ``exact``, or stems starting with ``stem``
    (``exact`` less a leading ``ال``, ``و``, …)."""

    exact: str
    stem: str


@dataclass(frozen=True)
class Phrase:
    """``"a phrase"``: consecutive exact tokens, or consecutive stems."""

    exact: tuple[str, ...]
    stems: tuple[str, ...]


Term = Word | Prefix | Phrase


def _word(token: str) -> Word:
    return Word(token, arabic.query_stems(token))


def _prefix(token: str) -> Word | Prefix:
    """``token*``, unless too unspecific: ``الم*`` would expand to every word in الم (thousands,
    and a scan of their postings), so it is searched as the word ``الم`` instead."""
    core = arabic.strip_prefix(token, strict=False)
    if len(core) < MIN_PREFIX_CHARS:
        return _word(token)
    return Prefix(token, core)


def _phrase(tokens: Sequence[str]) -> Word | Phrase:
    tokens = tokens[:MAX_PHRASE_TOKENS]
    if len(tokens) == 1:
        return _word(tokens[0])
    return Phrase(tuple(tokens), tuple(arabic.stem(t) for t in tokens))


def _raw_word_terms(raw: str) -> list[Term]:
    """One whitespace-separated piece of unquoted text: its words, the last one a prefix if
    the piece ends with ``*``. ``طرطوس،حلب`` or ``x:y`` are two words, as the reader meant."""
    toks = arabic.tokens(raw)
    if not toks:
        return []
    terms: list[Term] = [_word(t) for t in toks]
    if raw.rstrip().endswith("*"):
        terms[-1] = _prefix(toks[-1])
    return terms


def parse_query(query: str) -> list[Term]:
    """The terms of a query: words, ``"quoted phrases"`` and ``prefix*``. Nothing else is syntax.

    An unpaired quote is ignored. Function words are dropped when something else is left,
    duplicates are dropped, and at most ``MAX_TERMS`` terms are kept.
    """
    if len(query) > MAX_QUERY_CHARS:  # cut at a space, not through a word
        cut = query[:MAX_QUERY_CHARS]
        query = cut[: cut.rfind(" ")] if " " in cut else cut
    pieces = _QUOTE_RE.split(query)
    terms: list[Term] = []
    for i, piece in enumerate(pieces):
        if i % 2 == 1 and i != len(pieces) - 1:  # between a pair of quotes
            toks = arabic.tokens(piece)
            if toks:
                terms.append(_phrase(toks))
        else:
            for raw in piece.split():
                terms.extend(_raw_word_terms(raw))
    terms = list(dict.fromkeys(terms))
    content = [t for t in terms if not (isinstance(t, Word) and t.exact in arabic.STOP_WORDS)]
    return (content or terms)[:MAX_TERMS]


def _q(*tokens: str) -> str:
    """One quoted FTS5 string; tokens never contain quotes, doubling them is belt and braces."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _fts_term(term: Term) -> str:
    if isinstance(term, Word):
        alts = [_q(term.exact), *(_q(_STEM_MARK + s) for s in term.stems)]
    elif isinstance(term, Prefix):
        alts = [_q(term.exact) + " *", _q(_STEM_MARK + term.stem) + " *"]
    else:
        alts = [_q(*term.exact), _q(*(_STEM_MARK + s for s in term.stems))]
    return "(" + " OR ".join(alts) + ")"


def match_expression(terms: Sequence[Term], operator: str = "AND") -> str:
    """The FTS5 MATCH text for ``terms`` joined by ``operator`` (``AND`` or ``OR``)."""
    assert operator in ("AND", "OR")
    return f" {operator} ".join(_fts_term(t) for t in terms)


# --- highlighting ---------------------------------------------------------------------------


def _word_info(word: str) -> tuple[tuple[str, str], ...]:
    return tuple((t, arabic.stem(t)) for t in arabic.word_tokens(word))


#: word as written -> ``(token, stem)`` of each of its tokens.
_WORD_INFO = _Memo(_word_info, 20_000)
_NO_MATCH = (-1, 0)


class Highlighter:
    """Where a query's terms match in a text, as ``(start, end)`` spans of the original text.

    A span is a word as written, harakat included, less the conjunctions and prepositions
    glued to it when the query word did not have them (``و[طرطوس]``, ``ب[الأسد]``). Each
    distinct word is judged once per search, by dictionary lookups (``WORD_RE.findall`` and
    ``str.find`` do the scanning at C speed), which keeps snippets cheap even when a common
    word fills every hit.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = terms
        self._exact: dict[str, int] = {}  # token -> index of the first word term it matches
        self._stems: dict[str, int] = {}  # stem -> likewise
        self._prefixes: list[tuple[int, Prefix]] = []
        self._phrases: list[tuple[int, Phrase]] = []
        for i, term in enumerate(terms):
            if isinstance(term, Word):
                self._exact.setdefault(term.exact, i)
                for s in term.stems:
                    self._stems.setdefault(s, i)
            elif isinstance(term, Prefix):
                self._prefixes.append((i, term))
            else:
                self._phrases.append((i, term))
        #: word as written -> (first matching term or -1, characters of glue to leave out)
        self._term_of: dict[str, tuple[int, int]] = {}
        self._phrase_of: dict[tuple[str, int], bool] = {}

    def _term(self, word: str) -> tuple[int, int]:
        """The first word or prefix term that ``word`` matches (or -1), and its glue."""
        none = len(self.terms)
        found = none
        info = _WORD_INFO[word]
        for token, stem in info:
            found = min(found, self._exact.get(token, none), self._stems.get(stem, none))
            for i, p in self._prefixes:
                if token.startswith(p.exact) or stem.startswith(p.stem):
                    found = min(found, i)
        if found == none:
            result = _NO_MATCH
        else:
            term = self.terms[found]
            glue = (
                _glue(word, info[0][0], term) if len(info) == 1 and isinstance(term, Word) else 0
            )
            result = (found, glue)
        self._term_of[word] = result
        return result

    def _in_phrase(self, word: str, k: int) -> bool:
        """Whether ``word`` can stand in phrase number ``k`` of ``self._phrases``."""
        found = self._phrase_of.get((word, k))
        if found is None:
            toks = arabic.word_tokens(word)
            phrase = self._phrases[k][1]
            found = len(toks) == 1 and (
                toks[0] in phrase.exact or arabic.stem(toks[0]) in phrase.stems
            )
            self._phrase_of[(word, k)] = found
        return found

    def marks(self, text: str) -> list[tuple[int, int, int]]:
        """Sorted, non-overlapping ``(start, end, term index)`` of every match in ``text``."""
        words = set(arabic.WORD_RE.findall(text))
        found: dict[tuple[int, int], int] = {}
        if self._exact or self._prefixes:
            term_of, exact, stems, info = self._term_of, self._exact, self._stems, _WORD_INFO
            plain = not self._prefixes
            for word in words:
                verdict = term_of.get(word)
                if verdict is None:
                    tokens = info[word]
                    if plain and len(tokens) == 1:  # the usual case, made cheap
                        token, stem = tokens[0]
                        if token not in exact and stem not in stems:
                            term_of[word] = _NO_MATCH
                            continue
                    verdict = self._term(word)
                i, glue = verdict
                if i >= 0:
                    for a, b in _occurrences(text, word):
                        found.setdefault((a + glue, b), i)
        for k, (i, phrase) in enumerate(self._phrases):
            candidates = [w for w in words if self._in_phrase(w, k)]
            spans = sorted(
                (a, b, arabic.word_tokens(text[a:b])[0])
                for w in candidates
                for a, b in _occurrences(text, w)
            )
            for span in _phrase_spans(text, spans, phrase):
                found.setdefault(span, i)
        out: list[tuple[int, int, int]] = []
        for (a, b), i in sorted(found.items()):
            if not out or a >= out[-1][1]:
                out.append((a, b, i))
        return out


_GLUE = "وبلفك"


def _glue(word: str, token: str, term: Word) -> int:
    """How many characters of ``word`` (token ``token``) are conjunctions or prepositions
    glued to what ``term`` looks for: ``وطرطوس`` for ``طرطوس`` -> 1; 0 when none."""
    letters = 0
    while token != term.exact and token[:1] in _GLUE and len(token) > 2:
        rest = token[1:]
        if rest != term.exact and arabic.stem(rest) not in term.stems:
            break
        token, letters = rest, letters + 1
    i = 0
    for _ in range(letters):  # skip that many letters of the original, with their marks
        i += 1
        while i < len(word) and arabic.is_deleted(word[i]):
            i += 1
    return i if letters and arabic.word_tokens(word[i:]) == (token,) else 0


def _occurrences(text: str, word: str) -> list[tuple[int, int]]:
    """Spans where ``word`` occurs in ``text`` as a whole word."""
    out = []
    n = len(word)
    i = text.find(word)
    while i >= 0:
        before = text[i - 1] if i else " "
        after = text[i + n] if i + n < len(text) else " "
        if not (arabic.is_word_char(before) or arabic.is_word_char(after)):
            out.append((i, i + n))
        i = text.find(word, i + n)
    return out


def _phrase_spans(
    text: str, spans: list[tuple[int, int, str]], phrase: Phrase
) -> list[tuple[int, int]]:
    """The spans of runs of adjacent words (nothing but separators between them) that read
    ``phrase``: all exact tokens, or all stems, as the FTS5 phrases ask."""
    n = len(phrase.exact)
    out: list[tuple[int, int]] = []
    for i in range(len(spans) - n + 1):
        run = spans[i : i + n]
        if any(arabic.WORD_RE.search(text, run[j][1], run[j + 1][0]) for j in range(n - 1)):
            continue
        toks = [t for _, _, t in run]
        if toks == list(phrase.exact) or [arabic.stem(t) for t in toks] == list(phrase.stems):
            out.extend((a, b) for a, b, _ in run)
    return out


def _excerpt(
    text: str, marks: list[tuple[int, int, int]], width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About ``width`` characters of ``text`` around the best cluster of marks.

    The best window shows the most distinct terms, then the most marks, then comes first.
    It is cut at spaces, marked with "…" where cut; newlines become spaces.
    """
    best = (0, 0, 0)  # (distinct terms, marks, -first mark index) of the window
    first = last = 0
    for i, (a, _, _) in enumerate(marks):
        j = i
        while j + 1 < len(marks) and marks[j + 1][1] - a <= width:
            j += 1
        score = (len({m[2] for m in marks[i : j + 1]}), j - i + 1, -i)
        if score > best:
            best, first, last = score, i, j
    if marks:
        a, b = marks[first][0], marks[last][1]
        start = max(0, a - max(0, width - (b - a)) // 3)
        end = max(b, min(len(text), start + width))
    else:
        a = b = start = 0
        end = min(len(text), width)
    if start > 0:  # begin at a word: skip the cut word, never past the first mark
        gap = _SPACE_RE.search(text, start, a)
        start = gap.end() if gap else start
    if end < len(text):  # end at a word: drop the cut word, never before the last mark
        space = max(text.rfind(c, b, end + 1) for c in " \n")
        end = space if space > 0 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(lead) - start
    spans = tuple((x + shift, y + shift) for x, y, _ in marks if x >= start and y <= end)
    return lead + text[start:end].replace("\n", " ") + tail, spans


# --- searching ------------------------------------------------------------------------------


_RANK_SQL = (
    "SELECT s.rowid FROM article_search AS s"
    " JOIN articles AS a INDEXED BY articles_search_order ON a.id = s.rowid"
    " WHERE article_search MATCH ?{floor}"
    " ORDER BY bm25(article_search, 1, 1, 0, 0) < 0 DESC,"
    " bm25(article_search, {weights}), a.sort_at DESC, a.id DESC"
    " LIMIT ? OFFSET ?"
)
_RANK_ALL = _RANK_SQL.format(floor="", weights=", ".join(map(str, WEIGHTS)))
_RANK_WINDOWED = _RANK_SQL.format(floor=" AND s.rowid >= ?", weights=", ".join(map(str, WEIGHTS)))


async def _ids(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> list[int]:
    """The first column of every row (one round trip to aiosqlite's thread)."""
    return [int(r[0]) for r in await conn.execute_fetchall(sql, params)]


async def _scalar(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> int | None:
    found = await _ids(conn, sql, params)
    return found[0] if found else None


async def _count(conn: aiosqlite.Connection, match: str) -> int:
    sql = "SELECT count(*) FROM article_search WHERE article_search MATCH ?"
    return await _scalar(conn, sql, (match,)) or 0


async def _page(
    conn: aiosqlite.Connection, match: str, total: int, limit: int, offset: int
) -> list[int]:
    """Ids of ranks ``offset`` … ``offset + limit - 1`` (see the module docstring)."""
    if total <= RANK_WINDOW:
        return await _ids(conn, _RANK_ALL, (match, limit, offset))
    floor = await _scalar(
        conn,
        "SELECT rowid FROM article_search WHERE article_search MATCH ?"
        " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, RANK_WINDOW - 1),
    )
    assert floor is not None
    ids: list[int] = []
    if offset < RANK_WINDOW:
        ids = await _ids(conn, _RANK_WINDOWED, (match, floor, limit, offset))
    rest = limit - len(ids)
    if rest > 0:
        ids += await _ids(
            conn,
            "SELECT rowid FROM article_search WHERE article_search MATCH ? AND rowid < ?"
            " ORDER BY rowid DESC LIMIT ? OFFSET ?",
            (match, floor, rest, max(0, offset - RANK_WINDOW)),
        )
    return ids


async def _hits(conn: aiosqlite.Connection, ids: list[int], terms: Sequence[Term]) -> list[Hit]:
    if not ids:
        return []
    params = ", ".join("?" * len(ids))
    rows = await conn.execute_fetchall(
        f"SELECT id, title, url, published_at, body FROM articles WHERE id IN ({params})", ids
    )
    by_id = {int(r[0]): r for r in rows}
    highlighter = Highlighter(terms)
    hits = []
    for article_id in ids:
        if (r := by_id.get(article_id)) is None:
            continue
        title, body = r[1], r[4]
        snippet, spans = _excerpt(body, highlighter.marks(body))
        title_marks = tuple((a, b) for a, b, _ in highlighter.marks(title))
        hits.append(Hit(article_id, title, r[2], r[3], snippet, spans, title_marks))
    return hits


async def search(db: Database, query: str, *, limit: int = 5, offset: int = 0) -> SearchResult:
    """The articles matching ``query``, best first (``limit`` of them, at most ``MAX_LIMIT``,
    after ``offset``), and how many there are in all.

    Never raises because of the query text: anything that is not a word, a quoted phrase or a
    trailing ``*`` is ignored, and a query with nothing left finds nothing.
    """
    limit, offset = min(max(0, limit), MAX_LIMIT), max(0, offset)
    terms = parse_query(query)
    if not terms:
        return SearchResult(query=query, total=0, hits=[])
    conn = db.conn
    try:
        match = match_expression(terms, "AND")
        total = await _count(conn, match)
        if total == 0 and len(terms) > 1:
            match = match_expression(terms, "OR")
            total = await _count(conn, match)
        ids = await _page(conn, match, total, limit, offset) if offset < total and limit else []
    except sqlite3.OperationalError as exc:
        if not str(exc).startswith("fts5:"):
            raise
        # Cannot happen with quoted analysed tokens; if it does, it is our bug, not the user's.
        logger.exception("search query %r gave an FTS5 error", query)
        return SearchResult(query=query, total=0, hits=[])
    return SearchResult(query=query, total=total, hits=await _hits(conn, ids, terms))

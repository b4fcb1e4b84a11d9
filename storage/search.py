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
FTS syntax. A word asks for its exact form, the same with «ال» (``مصرية``: «المصرية», ranked as
exact), or any of ``arabic.query_stems`` (its stem, and the same glued to ``ب``/``ل``). A run of
Latin words naming a place or person of ``storage.translit`` (``Tartus``) also asks for its
Arabic spellings. Terms are ANDed; when that finds nothing, ORed (``SearchResult.partial``).

Ranking: first the articles that match some term in its exact (normalised) form, then those
matching only through stems; within each, bm25 with the title weighted over the body and the
exact columns over the stem columns; then newer first (``articles.sort_at``). When a query
matches more than ``RANK_WINDOW`` articles, only the newest ``RANK_WINDOW`` of them (by id, which
grows with arrival) are ranked and the older ones follow, newest first: ranking tens of
thousands of rows does not fit the latency budget, and for such broad queries recency is what
a reader of a news archive wants anyway. ``total`` is always exact.

Snippets and marks are computed in Python on the original text (``Highlighter``), so a vowelled
word is shown and marked as written, always as a whole word («لسوريا», never a part of it), and
only where the snippet window is (``Highlighter.locate``): a long body costs what a short one does.
"""

from __future__ import annotations

import itertools
import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

from storage import arabic, translit

if TYPE_CHECKING:
    from storage.db import Database

logger = logging.getLogger(__name__)

SNIPPET_CHARS = 160
#: From the first match on, a snippet judges the words of at most this many characters (and
#: before it, only the words at candidate places: see ``Highlighter.locate``).
SCAN_CHARS = 800
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
    #: The body's first ``SCAN_CHARS`` characters (for a teaser).
    head: str = ""


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    #: No article holds every word: these hold some of them.
    partial: bool = False


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
    """A word: its exact normalised form, or any of its stems (its own and proclitic ones).

    ``alts`` are more exact forms, ranked as the word itself: the word with «ال» (and with
    «وال» «بال» «لل»), so that ``مصرية`` finds «المصرية» before «مصر», which only shares its stem.
    """

    exact: str
    stems: tuple[str, ...]
    alts: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Either:
    """A Latin name and its Arabic spellings (``storage.translit``): any of ``options``."""

    label: str
    options: tuple[Word | Phrase, ...]


Term = Word | Prefix | Phrase | Either

#: What a word with «ال» is written as (``_al_forms``).
_AL_FORMS: tuple[str, ...] = ("ال", "وال", "بال", "لل")


def _al_forms(token: str) -> tuple[str, ...]:
    """The same word with the article: ``مصريه`` -> ``المصريه``, ``والمصريه``, …"""
    if len(token) < 3 or not arabic.is_arabic(token) or token.startswith(("ال", "لل")):
        return ()
    return tuple(p + token for p in _AL_FORMS if not (p == "لل" and token.startswith("ل")))


def _word(token: str) -> Word:
    return Word(token, arabic.query_stems(token), _al_forms(token))


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


def _is_latin(token: str) -> bool:
    return token.isascii() and token.isalpha()


def _either(latin: Sequence[str], spellings: Sequence[str]) -> Term:
    """The Latin words as typed, or any of their Arabic spellings."""
    options: list[Word | Phrase] = [_phrase(latin)]
    for spelling in spellings:
        toks = arabic.tokens(spelling)
        if toks:
            options.append(_phrase(toks))
    return Either(" ".join(latin), tuple(dict.fromkeys(options)))


def _unquoted_terms(piece: str) -> list[Term]:
    """Unquoted text: its words, a word ending with ``*`` a prefix. ``طرطوس،حلب`` or ``x:y`` are
    two words, as the reader meant. Runs of Latin words that name a place or a person of
    ``storage.translit`` (``Tartus``, ``Deir ez-Zor``) are searched in Arabic script too."""
    words: list[tuple[str, bool]] = []  # (token, is a prefix)
    for raw in piece.split():
        toks = arabic.tokens(raw)
        star = raw.rstrip().endswith("*")
        words += [(t, star and k == len(toks) - 1) for k, t in enumerate(toks)]
    terms: list[Term] = []
    i = 0
    while i < len(words):
        token, star = words[i]
        latin = [t for t, _ in itertools.takewhile(lambda w: _is_latin(w[0]), words[i:])]
        found = translit.lookup(latin) if latin else None
        if found is not None and not any(s for _, s in words[i : i + found[0]]):
            n, spellings = found
            terms.append(_either(latin[:n], spellings))
            i += n
            continue
        terms.append(_prefix(token) if star else _word(token))
        i += 1
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
            terms.extend(_unquoted_terms(piece))
    terms = list(dict.fromkeys(terms))
    content = [t for t in terms if not (isinstance(t, Word) and t.exact in arabic.STOP_WORDS)]
    return (content or terms)[:MAX_TERMS]


def _q(*tokens: str) -> str:
    """One quoted FTS5 string; tokens never contain quotes, doubling them is belt and braces."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def _fts_alts(term: Term) -> list[str]:
    if isinstance(term, Word):
        return [
            _q(term.exact),
            *(_q(a) for a in term.alts),
            *(_q(_STEM_MARK + s) for s in term.stems),
        ]
    if isinstance(term, Prefix):
        return [_q(term.exact) + " *", _q(_STEM_MARK + term.stem) + " *"]
    if isinstance(term, Phrase):
        return [_q(*term.exact), _q(*(_STEM_MARK + s for s in term.stems))]
    return [alt for option in term.options for alt in _fts_alts(option)]


def match_expression(terms: Sequence[Term], operator: str = "AND") -> str:
    """The FTS5 MATCH text for ``terms`` joined by ``operator`` (``AND`` or ``OR``)."""
    assert operator in ("AND", "OR")
    return f" {operator} ".join("(" + " OR ".join(_fts_alts(t)) + ")" for t in terms)


# --- highlighting ---------------------------------------------------------------------------


def _word_info(word: str) -> tuple[tuple[str, str], ...]:
    return tuple((t, arabic.stem(t)) for t in arabic.word_tokens(word))


#: word as written -> ``(token, stem)`` of each of its tokens.
_WORD_INFO = _Memo(_word_info, 20_000)


#: At most this many candidate places are judged in a text before giving up on marks.
MAX_CANDIDATES = 64
#: One-for-one letter folds of ``arabic.normalize``: offsets are kept. (``str.replace`` in a
#: row is some 50 times faster than ``str.translate`` on Arabic text.)
_FOLDS = (
    ("ئو", "وو"),
    *((c, "ا") for c in "أإآٱٲٳ"),
    ("ى", "ي"),
    ("ة", "ه"),
    ("ؤ", "و"),
    ("ئ", "ي"),
    ("ی", "ي"),
    ("ک", "ك"),
    *((chr(0x0660 + d), str(d)) for d in range(10)),
    *((chr(0x06F0 + d), str(d)) for d in range(10)),
)


def _fold(text: str) -> str:
    for letter, folded in _FOLDS:
        if letter in text:
            text = text.replace(letter, folded)
    return text


class Highlighter:
    """Where a query's terms match in a text, as ``(start, end, term index)`` spans.

    A span is always a whole word as written, harakat and glued letters included: a match
    inside «لسوريا» marks «لسوريا», never a part of it. Each distinct word is judged once per
    search, by dictionary lookups, which keeps snippets cheap even when a common word fills
    every hit; and ``locate`` reads a text only as far as its snippet needs.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        self.terms = terms
        self._exact: dict[str, int] = {}  # token -> index of the first word term it matches
        self._stems: dict[str, int] = {}  # stem -> likewise
        self._prefixes: list[tuple[int, Prefix]] = []
        self._phrases: list[tuple[int, Phrase]] = []
        for i, term in enumerate(terms):
            self._add(i, term)
        self._plain = not self._prefixes
        needles = {*self._exact, *self._stems}
        needles.update(x for _, p in self._prefixes for x in (p.exact, p.stem))
        needles.update(x for _, p in self._phrases for x in (p.exact[0], p.stems[0]))
        needles.update(v for n in list(needles) if n.isascii() for v in (n.title(), n.upper()))
        # a needle holding another is found by it (``الطرطوس`` by ``طرطوس``)
        short = sorted((n for n in needles if len(n) >= 2), key=len)
        kept: list[str] = []
        for n in short:
            if not any(k in n for k in kept):
                kept.append(n)
        self._needles = tuple(kept)
        #: word as written -> the first word or prefix term it matches, or -1
        self._term_of: dict[str, int] = {}

    def _add(self, i: int, term: Term) -> None:
        if isinstance(term, Word):
            for token in (term.exact, *term.alts):
                self._exact.setdefault(token, i)
            for s in term.stems:
                self._stems.setdefault(s, i)
        elif isinstance(term, Prefix):
            self._prefixes.append((i, term))
        elif isinstance(term, Phrase):
            self._phrases.append((i, term))
        else:
            for option in term.options:
                self._add(i, option)

    def _term(self, word: str) -> int:
        """The first word or prefix term that ``word`` matches, or -1 (remembered)."""
        none = len(self.terms)
        found = none
        exact, stems = self._exact, self._stems
        for token, stem in _WORD_INFO[word]:
            found = min(found, exact.get(token, none), stems.get(stem, none))
            for i, p in self._prefixes:
                if token.startswith(p.exact) or stem.startswith(p.stem):
                    found = min(found, i)
        result = -1 if found == none else found
        self._term_of[word] = result
        return result

    def _phrase_ends(self, run: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
        """(term index, length) of the phrases that the last words of ``run`` complete."""
        out = []
        for i, phrase in self._phrases:
            n = len(phrase.exact)
            if len(run) < n:
                continue
            toks = [t for _, _, t in run[-n:]]
            if toks == list(phrase.exact) or [arabic.stem(t) for t in toks] == list(phrase.stems):
                out.append((i, n))
        return out

    def marks(
        self, text: str, *, start: int = 0, end: int | None = None, settle: int | None = None
    ) -> list[tuple[int, int, int]]:
        """Sorted ``(start, end, term index)`` of the matching words of ``text[start:end]``.

        ``settle``: stop once every term was seen and ``settle`` characters were read past
        the word that completed the set (the snippet window there is complete).
        """
        found: dict[tuple[int, int], int] = {}
        term_of, info, exact, stems = self._term_of, _WORD_INFO, self._exact, self._stems
        plain, phrases = self._plain, bool(self._phrases)
        wanted = set(range(len(self.terms)))
        seen: set[int] = set()
        done_at = -1
        run: list[tuple[int, int, str]] = []
        for m in arabic.WORD_RE.finditer(text, start, len(text) if end is None else end):
            a = m.start()
            if done_at >= 0 and a > done_at:
                break
            word = m.group()
            i = term_of.get(word)
            if i is None:
                tokens = info[word]
                if plain and len(tokens) == 1 and not phrases:  # the usual case, made cheap
                    token, stem = tokens[0]
                    if token not in exact and stem not in stems:
                        term_of[word] = -1
                        continue
                i = self._term(word)
            hit = [i] if i >= 0 else []
            if phrases:
                toks = arabic.word_tokens(word)
                run = [*run[-MAX_PHRASE_TOKENS:], (a, m.end(), toks[0] if toks else "")]
                for k, n in self._phrase_ends(run):
                    for x, y, _ in run[-n:]:
                        found.setdefault((x, y), k)
                    hit.append(k)
            if i >= 0:
                found.setdefault((a, m.end()), i)
            if settle is not None and hit and done_at < 0:
                seen.update(hit)
                if seen >= wanted:
                    done_at = m.end() + settle
        return [(a, b, i) for (a, b), i in sorted(found.items())]

    def _starts_a_match(self, word: str) -> bool:
        """Whether ``word`` matches a word or prefix term, or can begin a phrase term."""
        if self._term_of.get(word, None) is None:
            self._term(word)
        if self._term_of[word] >= 0:
            return True
        return any(
            token == p.exact[0] or stem == p.stems[0]
            for token, stem in _WORD_INFO[word]
            for _, p in self._phrases
        )

    def locate(self, text: str) -> list[tuple[int, int, int]]:
        """The marks of ``text`` from its first match on, as far as the snippet window needs.

        Candidates are found by ``str.find`` (in C) of the terms' tokens and stems in the text
        with its letters folded one for one; a vowelled text is searched without its harakat,
        each candidate mapped back. Only the word at a candidate is judged until one matches;
        then the words from there on, until every term was seen and the window is complete
        (``marks`` with ``settle``), at most ``SCAN_CHARS`` characters. A title-only match
        costs a few ``find`` calls, whatever the length of the body.
        """
        folded = _fold(text)
        runs: list[tuple[int, int]] = []
        if arabic.DELETED_RE.search(folded):
            runs = [m.span() for m in arabic.DELETED_RE.finditer(folded)]
            folded = arabic.DELETED_RE.sub("", folded)
        next_at = {n: folded.find(n) for n in self._needles}
        for _ in range(MAX_CANDIDATES):  # false candidates: ``اسد`` inside ``فاسد``
            found = [p for p in next_at.values() if p >= 0]
            if not found:
                return []
            at = min(found)
            for a, b in runs:  # back to the original text's offsets
                if a > at:
                    break
                at += b - a
            begin = at
            while begin > 0 and arabic.is_word_char(text[begin - 1]):
                begin -= 1
            word = arabic.WORD_RE.match(text, begin)
            if word is not None and self._starts_a_match(word.group()):
                end = min(len(text), begin + SCAN_CHARS)
                return self.marks(text, start=begin, end=end, settle=SNIPPET_CHARS)
            low = min(found) + 1
            for n, p in next_at.items():
                if 0 <= p < low:
                    next_at[n] = folded.find(n, low)
        return []


#: A snippet and the spans of it that matched.
Snippet = tuple[str, tuple[tuple[int, int], ...]]


def _excerpt(
    text: str,
    marks: list[tuple[int, int, int]],
    width: int = SNIPPET_CHARS,
) -> Snippet:
    """About ``width`` characters of ``text`` around the best cluster of marks.

    The best window shows the most distinct terms, then the most marks, then comes first.
    It is cut at spaces, marked with "…" where cut; newlines become spaces.
    """
    length = len(text)
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
    if end < length:  # end at a word: drop the cut word, never before the last mark
        space = max(text.rfind(c, b, end + 1) for c in " \n")
        end = space if space > 0 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    lead = "…" if start > 0 else ""
    tail = "…" if end < length else ""
    shift = len(lead) - start
    spans = tuple((x + shift, y + shift) for x, y, _ in marks if x >= start and y <= end)
    return lead + text[start:end].replace("\n", " ") + tail, spans


def snippet(highlighter: Highlighter, body: str) -> Snippet:
    """The snippet of ``body``: words are judged only where the snippet window is (see
    ``Highlighter.locate``), so a long article costs about what a short one does."""
    return _excerpt(body, highlighter.locate(body), SNIPPET_CHARS)


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
_NEWEST = (
    "SELECT s.rowid FROM article_search AS s JOIN articles AS a ON a.id = s.rowid"
    " WHERE article_search MATCH ? ORDER BY a.sort_at DESC, a.id DESC LIMIT ? OFFSET ?"
)


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


#: The columns ``_hits`` reads: only the beginning of the body, however long it is.
_HIT_COLUMNS = "id, title, url, published_at, body"


async def _hits(conn: aiosqlite.Connection, ids: list[int], terms: Sequence[Term]) -> list[Hit]:
    if not ids:
        return []
    params = ", ".join("?" * len(ids))
    rows = await conn.execute_fetchall(
        f"SELECT {_HIT_COLUMNS} FROM articles WHERE id IN ({params})", ids
    )
    by_id = {int(r[0]): r for r in rows}
    highlighter = Highlighter(terms)
    hits = []
    for article_id in ids:
        if (r := by_id.get(article_id)) is None:
            continue
        title, body = r[1], r[4]
        text, spans = snippet(highlighter, body)
        title_marks = tuple((a, b) for a, b, _ in highlighter.marks(title))
        hits.append(
            Hit(article_id, title, r[2], r[3], text, spans, title_marks, body[:SCAN_CHARS])
        )
    return hits


async def search(
    db: Database, query: str, *, limit: int = 5, offset: int = 0, newest: bool = False
) -> SearchResult:
    """The articles matching ``query``, best first (or ``newest`` first; ``limit`` of them, at
    most ``MAX_LIMIT``, after ``offset``), and how many there are in all.

    Never raises because of the query text: anything that is not a word, a quoted phrase or a
    trailing ``*`` is ignored, and a query with nothing left finds nothing.
    """
    limit, offset = min(max(0, limit), MAX_LIMIT), max(0, offset)
    terms = parse_query(query)
    if not terms:
        return SearchResult(query=query, total=0, hits=[])
    conn = db.conn
    partial = False
    try:
        match = match_expression(terms, "AND")
        total = await _count(conn, match)
        if total == 0 and len(terms) > 1:
            match = match_expression(terms, "OR")
            total = await _count(conn, match)
            partial = total > 0
        ids: list[int] = []
        if offset < total and limit:
            if newest:
                ids = await _ids(conn, _NEWEST, (match, limit, offset))
            else:
                ids = await _page(conn, match, total, limit, offset)
    except sqlite3.OperationalError as exc:
        if not str(exc).startswith("fts5:"):
            raise
        # Cannot happen with quoted analysed tokens; if it does, it is our bug, not the user's.
        logger.exception("search query %r gave an FTS5 error", query)
        return SearchResult(query=query, total=0, hits=[])
    hits = await _hits(conn, ids, terms)
    return SearchResult(query=query, total=total, hits=hits, partial=partial)


async def recent(db: Database, *, limit: int, offset: int = 0) -> tuple[list[Hit], bool]:
    """The newest articles as hits (the opening of each as its snippet), for an empty inline
    query; and whether more follow."""
    limit, offset = min(max(0, limit), MAX_LIMIT), max(0, offset)
    rows = list(
        await db.conn.execute_fetchall(
            f"SELECT {_HIT_COLUMNS} FROM articles WHERE withdrawn_at IS NULL"
            " ORDER BY sort_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit + 1, offset),
        )
    )
    hits = []
    for r in rows[:limit]:
        text, _ = _excerpt(r[4], [], SNIPPET_CHARS)
        hits.append(Hit(int(r[0]), r[1], r[2], r[3], text, (), (), r[4][:SCAN_CHARS]))
    return hits, len(rows) > limit

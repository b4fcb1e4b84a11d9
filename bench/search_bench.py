"""Search benchmark: quality, latency, import rate and size at 4,000 / 25,000 / 100,000 articles.

Run ``.venv/bin/python -m bench.search_bench`` (or ``python bench/search_bench.py``);
``--sizes 4000,25000`` shortens the run, ``--tmpdir`` chooses where the databases are built,
``--cpu N`` pins the process to one CPU. Not a test: it prints tables and the targets. Skips
with a message when the corpus is absent.

Databases
---------
Each size is a fresh database in a temporary folder, filled through ``articles.add_many_in``
(the importers' path) in transactions of 1,000 articles, the way bulk imports do, in
publication order. Size 4,000 is the corpus (``/work/shared/corpus/articles.jsonl``, see its
SOURCE.md). Larger sizes add synthetic
articles, each made deterministically (fixed seed, per-article random generator) by:

* 3-9 paragraphs drawn from random corpus articles;
* a title made of one corpus title (one word dropped) and the last words of another;
* every *rare* word (its stem, or its stem without a glued ``و ب ل ف ك``, occurs in at most
  ``RARE_DF`` corpus articles) replaced by a mutation (one inner letter changed, checked not to
  be a corpus word nor to start like a prefix query). Each synthetic article uses one of
  ``VARIANTS`` mutation variants.

Mutation keeps common vocabulary (and so the posting-list lengths that drive latency) growing
realistically with size, while rare words (names, places) grow as new rare words do in a real
archive instead of being copied: without it, the paragraph copies would contain the very words
the queries are made of and no article could be the unique right answer.

Queries
-------
Made once from the 4,000 corpus articles with a fixed seed and scored against the corpus article
each was made from (the "source"): recall@10 (source among the first 10 hits) and MRR (1/rank,
0 beyond 10). A query is *distinctive*: every corpus article it could legitimately match
(sharing the stem of a query word, or that stem glued to ``و ب ل ف ك``) is the source, or, for
two-word queries and phrases, only the source has both words / the phrase. Thresholds come from
corpus statistics computed with ``storage.arabic`` (what "the same word" means), never from
the engine's ranking. The kinds:

``word``            a distinctive word as written in the source;
``hamza``           one with ``أ إ آ`` written ``ا`` and ``ؤو`` written ``ئو`` (as readers type);
``ta_marbuta``      final ``ة`` typed ``ه``;
``alef_maqsura``    final ``ى`` typed ``ي``;
``no_al`` / ``add_al``  the source's ``الـX`` searched as ``X``, or ``X`` as ``الـX``;
``glued_w/b/l``     the source has the word only glued (``وX`` ``بX`` ``لX``); the query: ``X``;
``vowelled_src``    a vowelled word of the source (harakat, shadda, tatweel) typed bare;
``vowelled_query``  a bare word of the source typed with harakat;
``digits``          a number written with Arabic-Indic digits searched with ASCII ones or back;
``two_words``       two words each in 2-20 corpus articles, together only in the source;
``phrase``          a quoted pair of consecutive words found together only in the source;
``prefix``          the first letters of a distinctive word followed by ``*``.

Every spelling kind requires the query text not to occur verbatim in the source, so a plain
substring search cannot find it by luck; ``no_al``, ``add_al`` and ``glued_*`` require the
source not to contain the query word as a word of its own.

Measurements
------------
Latency is the wall time of ``search.search(db, query, limit=10)`` (so snippets and marks
included, through aiosqlite as the bot calls it) on these queries after a warm-up pass and,
for information, on *common* queries (the most frequent content words and pairs of them), which
match thousands of articles. The import rate counts only the time inside the import
transactions, not the making of synthetic articles; the benchmark's own statistics are frozen
out of the garbage collector (``gc.freeze``) so that they do not slow down what is measured.
The size is that of the database file after a WAL checkpoint.

Baseline: ``LIKE '%word%'`` on title or body for every word of the query (quotes and ``*``
removed), newest first, limit 10 — the previous search. At 25,000 and 100,000 it runs on an
evenly spaced sample of the queries (it scans every article); the speed-up is the ratio of the
medians on that same sample.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import arabic, articles, search
from storage.db import Database, open_database

CORPUS = Path("/work/shared/corpus/articles.jsonl")
SEED = 3
#: Words whose stem is in at most this many corpus articles are rare (mutated in synthetic ones).
RARE_DF = 20
#: Mutation variants of each rare word across synthetic articles.
VARIANTS = 8
BATCH = 1000
LIKE_SAMPLE = {4000: 10_000, 25000: 40, 100000: 16}  # queries the LIKE baseline runs on

TARGET_RECALL = 0.98
TARGET_MRR = 0.95
TARGET_P95_MS = 10.0
TARGET_SPEEDUP = 50.0
TARGET_IMPORT = 1000.0

QUOTAS = {
    "word": 40,
    "hamza": 35,
    "ta_marbuta": 30,
    "alef_maqsura": 30,
    "no_al": 35,
    "add_al": 20,
    "glued_w": 15,
    "glued_b": 15,
    "glued_l": 15,
    "vowelled_src": 25,
    "vowelled_query": 20,
    "digits": 10,
    "two_words": 45,
    "phrase": 20,
    "prefix": 15,
}

_HARAKAT = "\u064e\u064f\u0650\u0652\u0651"  # fatha, damma, kasra, sukun, shadda
_MARKS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed]")
_ARABIC_WORD_RE = re.compile("[\u0621-\u064a]+")
_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_ASCII = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_MUTATION_LETTERS = "بتثجحخدذرزسشصضطظعغفقكمن"
_GLUE = "وبلفك"
#: Kinds whose query must not occur verbatim in the source (the others differ by whole words).
_SPELLING_KINDS = frozenset(
    {"hamza", "ta_marbuta", "alef_maqsura", "vowelled_src", "vowelled_query", "digits"}
)
_BARE_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا"})


@dataclass(frozen=True)
class Doc:
    title: str
    body: str
    url: str
    published_at: str
    category: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    source: int  # index of the corpus article it was made from


# --- corpus statistics ----------------------------------------------------------------------


def keys(token: str) -> tuple[str, ...]:
    """What a token can be found under: its stem, and its stem without one glued letter."""
    s = arabic.stem(token)
    if s[:1] in _GLUE and len(s) >= 4 and arabic.is_arabic(s):
        return (s, s[1:])
    return (s,)


class Stats:
    """Who has which word in the corpus."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.tokens: list[list[str]] = []
        self.postings: dict[str, set[int]] = defaultdict(set)
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.stems: dict[str, set[int]] = defaultdict(set)
        self.stem_bigrams: dict[tuple[str, str], set[int]] = defaultdict(set)
        for i, doc in enumerate(docs):
            toks = arabic.tokens(doc.title) + arabic.tokens(doc.body)
            self.tokens.append(toks)
            for t in set(toks):
                self.exact[t].add(i)
                self.stems[arabic.stem(t)].add(i)
                for k in keys(t):
                    self.postings[k].add(i)
            stems = [arabic.stem(t) for t in toks]
            for pair in itertools.pairwise(stems):
                self.stem_bigrams[pair].add(i)
        self.sorted_exact = sorted(self.exact)
        self.sorted_stems = sorted(self.stems)
        self._rare: dict[str, bool] = {}

    def docs_for(self, token: str) -> set[int]:
        """Every corpus article a one-word query ``token`` could legitimately match."""
        out: set[int] = set()
        for k in keys(token):
            out |= self.postings.get(k, set())
        return out

    def rare(self, token: str) -> bool:
        if (r := self._rare.get(token)) is None:
            r = self._rare[token] = any(
                len(self.postings.get(k, ())) <= RARE_DF for k in keys(token)
            )
        return r

    def prefix_docs(self, prefix: str) -> set[int]:
        """Articles with a word or a stem starting with ``prefix`` (what ``prefix*`` matches)."""
        out: set[int] = set()
        core = arabic.strip_prefix(prefix)
        for vocab, index, p in (
            (self.sorted_exact, self.exact, prefix),
            (self.sorted_stems, self.stems, core),
        ):
            i = bisect.bisect_left(vocab, p)
            while i < len(vocab) and vocab[i].startswith(p):
                out |= index[vocab[i]]
                i += 1
        return out


# --- synthetic articles ---------------------------------------------------------------------


class Synthesizer:
    """Deterministic synthetic articles made from the corpus (see the module docstring)."""

    def __init__(self, docs: Sequence[Doc], stats: Stats, avoid: Iterable[str] = ()) -> None:
        self.stats = stats
        # prefixes of prefix queries: no mutation may start with one (nor its stem)
        self.avoid = tuple(avoid)
        self.avoid_stems = tuple(arabic.strip_prefix(p, strict=False) for p in self.avoid)
        self.paragraphs = [p for d in docs for p in d.body.split("\n") if len(p) >= 40]
        self.titles = [d.title for d in docs]
        self._mutations: dict[tuple[str, int], str] = {}
        self.start = datetime(2018, 2, 1, tzinfo=UTC)
        self.span = (datetime(2018, 10, 20, tzinfo=UTC) - self.start).total_seconds()

    def published_at(self, i: int) -> str:
        offset = random.Random(f"date/{SEED}/{i}").random() * self.span
        return (self.start + timedelta(seconds=int(offset))).isoformat()

    def _mutate_token(self, token: str, variant: int) -> str:
        rng = random.Random(f"mutate/{SEED}/{token}/{variant}")
        if token.isdigit():
            letters = "0123456789"
        elif arabic.is_arabic(token):
            letters = _MUTATION_LETTERS
        else:
            letters = "abcdefghijklmnopqrstuvwxyz"
        candidate = token
        for _ in range(30):
            chars = list(token)
            lo, hi = (1, len(chars) - 1) if len(chars) >= 3 else (0, len(chars))
            chars[rng.randrange(lo, hi)] = rng.choice(letters)
            candidate = "".join(chars)
            if (
                candidate != token
                and not any(k in self.stats.postings for k in keys(candidate))
                and not candidate.startswith(self.avoid)
                and not arabic.stem(candidate).startswith(self.avoid_stems)
            ):
                break
        return candidate

    def _mutate_text(self, text: str, variant: int) -> str:
        def replace(m: re.Match[str]) -> str:
            word = m.group()
            found = self._mutations.get((word, variant))
            if found is None:
                toks = arabic.word_tokens(word)
                if any(self.stats.rare(t) for t in toks):
                    found = " ".join(self._mutate_token(t, variant) for t in toks)
                else:
                    found = word
                self._mutations[(word, variant)] = found
            return found

        return arabic.WORD_RE.sub(replace, text)

    def article(self, i: int) -> Doc:
        rng = random.Random(f"article/{SEED}/{i}")
        variant = rng.randrange(VARIANTS)
        paragraphs = [rng.choice(self.paragraphs) for _ in range(rng.randint(3, 9))]
        words = rng.choice(self.titles).split()
        if len(words) > 4:
            del words[rng.randrange(len(words))]
        tail = rng.choice(self.titles).split()[-rng.randint(1, 3) :]
        title = " ".join(words + tail)
        return Doc(
            title=self._mutate_text(title, variant),
            body=self._mutate_text("\n".join(paragraphs), variant),
            url=f"https://synthetic.invalid/{SEED}/{i}",
            published_at=self.published_at(i),
            category="synthetic",
            source="synthetic",
        )


# --- queries --------------------------------------------------------------------------------


def _surfaces(doc: Doc) -> list[tuple[str, str]]:
    """(word as written, its one normalised token) for the words of an article."""
    out = []
    for w in arabic.words(doc.title + "\n" + doc.body):
        toks = arabic.word_tokens(w)
        if len(toks) == 1:
            out.append((w, toks[0]))
    return out


def _plain(word: str) -> bool:
    return _ARABIC_WORD_RE.fullmatch(word) is not None


class QueryMaker:
    def __init__(self, docs: Sequence[Doc], stats: Stats) -> None:
        self.docs = docs
        self.stats = stats
        self.rng = random.Random(f"queries/{SEED}")
        self.used: set[str] = set()

    def _text(self, i: int) -> str:
        return self.docs[i].title + "\n" + self.docs[i].body

    def _unique(self, token: str, i: int) -> bool:
        return self.stats.docs_for(token) == {i}

    def _ok(self, query: str, i: int, *, variant: bool) -> bool:
        key = arabic.normalize(query)
        if key in self.used or (variant and query in self._text(i)):
            return False
        self.used.add(key)
        return True

    def _word_queries(self, i: int) -> Iterator[tuple[str, str]]:
        """(kind, query) candidates for one-word kinds from article ``i``."""
        st = self.stats
        for w, t in _surfaces(self.docs[i]):
            if len(t) < 4 or t in arabic.STOP_WORDS:
                continue
            bare = _MARKS_RE.sub("", w)
            if bare != w and _plain(bare) and self._unique(t, i):
                yield "vowelled_src", bare
            if not _plain(w):
                if w.isdigit() and len(t) >= 3 and st.exact.get(t) == {i}:
                    yield "digits", w.translate(_ASCII if w != t else _INDIC)
                continue
            if not self._unique(t, i):
                continue
            yield "word", w
            hamza = w.translate(_BARE_ALEF).replace("ؤو", "ئو")
            if hamza != w:
                yield "hamza", hamza
            if w.endswith("ة"):
                yield "ta_marbuta", w[:-1] + "ه"
            if w.endswith("ى"):
                yield "alef_maqsura", w[:-1] + "ي"
            own = set(st.tokens[i])
            if w.startswith("ال") and len(w) >= 6:
                bare = arabic.word_tokens(w[2:])[0]
                if bare not in own and self._unique(bare, i):
                    yield "no_al", w[2:]
            if (
                not w.startswith("ال")
                and w[0] not in _GLUE
                and len(w) >= 4
                and arabic.word_tokens("ال" + w)[0] not in own
            ):
                yield "add_al", "ال" + w
            for letter, kind in (("و", "glued_w"), ("ب", "glued_b"), ("ل", "glued_l")):
                rest = w[1:]
                if not w.startswith(letter) or len(rest) < 4 or rest.startswith("ال"):
                    continue
                core = arabic.word_tokens(rest)[0]
                # only glued in the source: no word of it has the bare word's stem
                if self._unique(core, i) and arabic.stem(core) not in map(arabic.stem, own):
                    yield kind, rest
            if len(t) >= 5:
                chars = list(w)
                for k in sorted(self.rng.sample(range(len(chars)), 2), reverse=True):
                    chars.insert(k + 1, self.rng.choice(_HARAKAT))
                yield "vowelled_query", "".join(chars)
            if len(t) >= 7:
                p = t[:-2]
                if st.prefix_docs(p) == {i}:
                    yield "prefix", p + "*"

    def _pair_queries(self, i: int) -> Iterator[tuple[str, str]]:
        st = self.stats
        words = [(w, t) for w, t in _surfaces(self.docs[i]) if _plain(w) and len(t) >= 3]
        words = [(w, t) for w, t in words if t not in arabic.STOP_WORDS]
        mid = [(w, t) for w, t in words if 2 <= len(st.docs_for(t)) <= RARE_DF]
        self.rng.shuffle(mid)
        for (w1, t1), (w2, t2) in itertools.pairwise(mid):
            if arabic.stem(t1) != arabic.stem(t2) and st.docs_for(t1) & st.docs_for(t2) == {i}:
                yield "two_words", f"{w1} {w2}"
                break
        for (w1, t1), (w2, t2) in itertools.pairwise(words):
            pair = (arabic.stem(t1), arabic.stem(t2))
            if (
                (st.rare(t1) or st.rare(t2))
                and len(st.docs_for(t1)) >= 2
                and len(st.docs_for(t2)) >= 2
                and st.stem_bigrams[pair] == {i}
                and f"{w1} {w2}" in self._text(i)
            ):
                yield "phrase", f'"{w1} {w2}"'
                break

    def make(self) -> list[Query]:
        wanted = dict(QUOTAS)
        out: list[Query] = []
        order = list(range(len(self.docs)))
        self.rng.shuffle(order)
        for i in order:
            taken: set[str] = set()
            candidates = list(self._word_queries(i)) + list(self._pair_queries(i))
            self.rng.shuffle(candidates)
            for kind, text in candidates:
                if wanted.get(kind, 0) <= 0 or kind in taken:
                    continue
                variant = kind in _SPELLING_KINDS
                if self._ok(text, i, variant=variant):
                    wanted[kind] -= 1
                    taken.add(kind)
                    out.append(Query(text, kind, i))
            if not any(wanted.values()):
                break
        return sorted(out, key=lambda q: (list(QUOTAS).index(q.kind), q.source))


def common_queries(stats: Stats) -> list[str]:
    """The most widespread content words and pairs of them: broad queries, for latency only."""
    counts = Counter(
        {t: len(d) for t, d in stats.exact.items() if len(t) >= 4 and arabic.is_arabic(t)}
    )
    top = [t for t, _ in counts.most_common(60) if t not in arabic.STOP_WORDS][:20]
    return top + [f"{a} {b}" for a, b in zip(top[::2], top[1::2], strict=True)]


# --- running --------------------------------------------------------------------------------


def load_corpus(path: Path) -> list[Doc]:
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            docs.append(
                Doc(a["title"], a["body"], a["url"], a["published_at"], a["category"], a["source"])
            )
    return docs


@dataclass
class Run:
    size: int
    import_rate: float = 0.0
    db_mb: float = 0.0
    recall: float = 0.0
    mrr: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    common_p50: float = 0.0
    common_p95: float = 0.0
    like_n: int = 0
    like_recall: float = 0.0
    like_mrr: float = 0.0
    like_p50: float = 0.0
    like_p95: float = 0.0
    engine_p50_on_sample: float = 0.0
    by_kind: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def _order(docs: Sequence[Doc], synth: Synthesizer | None, size: int) -> list[tuple[str, int]]:
    """("c", corpus index) and ("s", synthetic index) in publication order."""
    items = [(articles.parse_published_at(d.published_at), "c", i) for i, d in enumerate(docs)]
    if synth is not None:
        items += [
            (datetime.fromisoformat(synth.published_at(i)), "s", i)
            for i in range(size - len(docs))
        ]
    items.sort()
    return [(kind, i) for _, kind, i in items]


async def build(
    path: Path, docs: Sequence[Doc], synth: Synthesizer | None, size: int
) -> tuple[Database, dict[int, int], float]:
    """Fill a new database; (db, corpus index -> article id, articles per second)."""
    db = await open_database(path)
    ids: dict[int, int] = {}
    order = _order(docs, synth, size)
    elapsed = 0.0
    for start in range(0, len(order), BATCH):
        batch = order[start : start + BATCH]
        new = [
            docs[i] if kind == "c" else synth.article(i)  # type: ignore[union-attr]
            for kind, i in batch
        ]
        t0 = time.perf_counter()
        async with db.transaction() as conn:  # as storage.importers loads a file
            results = await articles.add_many_in(
                conn,
                [
                    articles.NewArticle(
                        title=d.title,
                        body=d.body,
                        url=d.url,
                        source=d.source,
                        category=d.category,
                        published_at=d.published_at,
                    )
                    for d in new
                ],
            )
        for (kind, i), (article_id, _) in zip(batch, results, strict=True):
            if kind == "c":
                ids[i] = article_id
        elapsed += time.perf_counter() - t0
    await db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, ids, len(order) / elapsed


def _rank(found: Sequence[int], wanted: int) -> int | None:
    return found.index(wanted) + 1 if wanted in found else None


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def _engine(db: Database, text: str) -> tuple[list[int], float]:
    t0 = time.perf_counter()
    result = await search.search(db, text, limit=10)
    return [h.id for h in result.hits], (time.perf_counter() - t0) * 1000


_LIKE_ESCAPE = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


async def _like(db: Database, text: str) -> tuple[list[int], float]:
    words = [w.strip("*") for w in text.replace('"', " ").split() if w.strip("*")]
    cond = " AND ".join(["(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')"] * len(words))
    params = [p for w in words for p in ["%" + w.translate(_LIKE_ESCAPE) + "%"] * 2]
    t0 = time.perf_counter()
    async with db.conn.execute(
        f"SELECT id FROM articles WHERE {cond} ORDER BY sort_at DESC, id DESC LIMIT 10", params
    ) as cur:
        found = [int(r[0]) for r in await cur.fetchall()]
    return found, (time.perf_counter() - t0) * 1000


def _sample(queries: Sequence[Query], n: int) -> list[Query]:
    if n >= len(queries):
        return list(queries)
    step = len(queries) / n
    return [queries[int(k * step)] for k in range(n)]


async def measure(
    db: Database, ids: dict[int, int], queries: Sequence[Query], common: Sequence[str], run: Run
) -> None:
    for q in queries[:30]:  # warm-up
        await _engine(db, q.text)
    ranks: list[int | None] = []
    times: list[float] = []
    per_kind: dict[str, list[int | None]] = defaultdict(list)
    for q in queries:
        found, ms = await _engine(db, q.text)
        r = _rank(found, ids[q.source])
        ranks.append(r)
        times.append(ms)
        per_kind[q.kind].append(r)
    run.recall = sum(r is not None for r in ranks) / len(ranks)
    run.mrr = sum(1 / r for r in ranks if r is not None) / len(ranks)
    run.p50, run.p95 = statistics.median(times), _pct(times, 0.95)
    run.by_kind = {
        k: (len(v), sum(r is not None for r in v) / len(v), sum(1 / r for r in v if r) / len(v))
        for k, v in per_kind.items()
    }
    common_times = [(await _engine(db, c))[1] for c in common]
    run.common_p50, run.common_p95 = statistics.median(common_times), _pct(common_times, 0.95)

    sample = _sample(queries, LIKE_SAMPLE.get(run.size, 16))
    like_ranks, like_times, engine_times = [], [], []
    for q in sample:
        found, ms = await _like(db, q.text)
        like_ranks.append(_rank(found, ids[q.source]))
        like_times.append(ms)
        engine_times.append(times[queries.index(q)])
    run.like_n = len(sample)
    run.like_recall = sum(r is not None for r in like_ranks) / len(sample)
    run.like_mrr = sum(1 / r for r in like_ranks if r is not None) / len(sample)
    run.like_p50, run.like_p95 = statistics.median(like_times), _pct(like_times, 0.95)
    run.engine_p50_on_sample = statistics.median(engine_times)


async def bench_size(
    size: int, docs: Sequence[Doc], stats: Stats, queries: Sequence[Query], tmp: Path
) -> Run:
    prefixes = [arabic.tokens(q.text)[0] for q in queries if q.kind == "prefix"]
    synth = Synthesizer(docs, stats, prefixes) if size > len(docs) else None
    run = Run(size)
    path = tmp / f"bench-{size}.db"
    print(f"building {size:,} articles …", flush=True)
    db, ids, run.import_rate = await build(path, docs[:size], synth, max(size, 0))
    try:
        run.db_mb = path.stat().st_size / 1e6
        usable = [q for q in queries if q.source in ids]
        print(f"querying {size:,} …", flush=True)
        await measure(db, ids, usable, common_queries(stats), run)
    finally:
        await db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)  # noqa: ASYNC240 (nothing else runs)
    return run


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _speedup(r: Run) -> float:
    return r.like_p50 / r.engine_p50_on_sample if r.engine_p50_on_sample else 0.0


def report(
    runs: Sequence[Run], queries: Sequence[Query], common: Sequence[str], setting: str
) -> None:
    kinds = Counter(q.kind for q in queries)
    print(f"\n{setting}")
    print(
        f"{len(queries)} distinctive queries: " + ", ".join(f"{k} {n}" for k, n in kinds.items())
    )
    print(f"{len(common)} common queries (latency only), e.g. {', '.join(common[:4])}\n")
    head = (
        f"{'articles':>9} {'import/s':>9} {'db MB':>8} {'recall@10':>9} {'MRR':>6}"
        f" {'p50 ms':>7} {'p95 ms':>7} {'common p50 / p95 ms':>20}"
    )
    print("Arabic FTS5 search (search() with limit 10, snippets included)")
    print(head)
    print("-" * len(head))
    for r in runs:
        print(
            f"{r.size:>9,} {r.import_rate:>9,.0f} {r.db_mb:>8,.1f} {r.recall:>9.3f} {r.mrr:>6.3f}"
            f" {r.p50:>7.2f} {r.p95:>7.2f} {r.common_p50:>10.2f} / {r.common_p95:<7.2f}"
        )
    head = (
        f"{'articles':>9} {'queries':>8} {'recall@10':>9} {'MRR':>6} {'p50 ms':>9}"
        f" {'p95 ms':>9} {'search p50 ms':>13} {'speed-up':>9}"
    )
    print("\nBaseline: LIKE '%word%' (same queries; an even sample of them at the larger sizes)")
    print(head)
    print("-" * len(head))
    for r in runs:
        print(
            f"{r.size:>9,} {r.like_n:>8} {r.like_recall:>9.3f} {r.like_mrr:>6.3f}"
            f" {r.like_p50:>9.1f} {r.like_p95:>9.1f} {r.engine_p50_on_sample:>13.2f}"
            f" {_speedup(r):>8.0f}×"
        )
    print("\nBy kind: queries, then recall@10 / MRR at each size")
    print(f"  {'':<15} {'n':>4} " + " ".join(f"{r.size:>15,}" for r in runs))
    for kind in kinds:
        cells = []
        for r in runs:
            n, rec, mrr = r.by_kind.get(kind, (0, 0.0, 0.0))
            cells.append(f"{rec:.3f} / {mrr:.3f}" if n else "-")
        print(f"  {kind:<15} {kinds[kind]:>4} " + " ".join(f"{c:>15}" for c in cells))
    print("\nTargets")
    for r in runs:
        checks = [
            f"recall@10 {r.recall:.3f} ≥ {TARGET_RECALL}: {_verdict(r.recall >= TARGET_RECALL)}",
            f"MRR {r.mrr:.3f} ≥ {TARGET_MRR}: {_verdict(r.mrr >= TARGET_MRR)}",
            f"import {r.import_rate:,.0f}/s ≥ {TARGET_IMPORT:,.0f}/s:"
            f" {_verdict(r.import_rate >= TARGET_IMPORT)}",
        ]
        if r.size >= 100_000:
            checks += [
                f"p95 {r.p95:.2f} ms ≤ {TARGET_P95_MS:.0f} ms: {_verdict(r.p95 <= TARGET_P95_MS)}",
                f"speed-up {_speedup(r):.0f}× ≥ {TARGET_SPEEDUP:.0f}×:"
                f" {_verdict(_speedup(r) >= TARGET_SPEEDUP)}",
            ]
        print(f"  {r.size:>7,}: " + "; ".join(checks))


def _parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    if not sizes or sizes[0] <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


async def amain(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=_parse_sizes, default=[4000, 25000, 100000])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--tmpdir", type=Path, default=None, help="where to build the databases")
    parser.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="pin the process (event loop and aiosqlite's thread) to this CPU",
    )
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # before aiosqlite starts its threads
    if not args.corpus.is_file():
        print(f"search benchmark skipped: corpus {args.corpus} not found")
        return 0
    docs = load_corpus(args.corpus)
    stats = Stats(docs)
    queries = QueryMaker(docs, stats).make()
    common = common_queries(stats)
    # The statistics are millions of long-lived objects that the collector would otherwise
    # traverse again and again while we time the code under test.
    gc.collect()
    gc.freeze()
    runs = []
    with tempfile.TemporaryDirectory(dir=args.tmpdir, prefix="search-bench-") as tmp:
        for size in args.sizes:
            runs.append(await bench_size(size, docs, stats, queries, Path(tmp)))
    cpus = f"pinned to CPU {args.cpu}" if args.cpu is not None else f"{os.cpu_count()} CPUs"
    setting = (
        f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, {cpus};"
        f" databases in {Path(tempfile.gettempdir() if args.tmpdir is None else args.tmpdir)}"
    )
    report(runs, queries, common, setting)
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    return asyncio.run(amain(None if argv is None else list(argv)))


if __name__ == "__main__":
    sys.exit(main())

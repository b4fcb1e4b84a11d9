"""Inline benchmark: ``@bot QUERY`` answers at 100,000 articles, and the «ال» ranking check.

Run from the project root::

    .venv/bin/python -m bench.inline_bench                  # 100,000 articles, 500 queries
    .venv/bin/python -m bench.inline_bench --size 25000     # quicker

Not a test: it prints figures and ratios. Skips with a message when the corpus
(``/work/shared/corpus/articles.jsonl``, see its SOURCE.md) is absent.

Database
--------
``--size`` articles: the 4,000 corpus articles and synthetic ones made from them exactly as
``bench.search_bench`` makes them (paragraphs of random corpus articles, titles spliced, rare
words mutated; fixed seed), imported through ``storage.articles``. Building 100,000 takes a
minute or two, so the file is kept in ``--cache`` (``/tmp/newsbot-inline-bench``) and reused
while the search index stamp and the size are the same.

Inline answers
--------------
500 queries, fixed seed: one-word queries (content words of corpus titles, common and rare),
two-word queries, Latin names of ``storage.translit`` (``Tartus``), and empty queries (the
newest); one in five asks for the second page (offset 50). Each is timed as the bot answers it
inside the process: ``search.search(limit=50)`` (or ``search.recent``) and
``render.inline_result`` for every hit, without the HTTP round trip. p50 / p95 in ms.

Baseline, in the same run: the same, with the old snippets, which judged every word of the
whole body (``Highlighter.marks`` on the body, then the window); the ratio is baseline / new.
Then the cost of one snippet by body length (the hits of the same queries): the new snippet
costs about the same for long bodies as for short ones; the old one grows with the body.

Ranking check («ال»)
--------------------
On the 4,000 corpus articles alone: queries ``X`` (an Arabic word of 4+ letters, not itself
glued to a proclitic) such that some articles hold ``X`` only with the article (``الX``,
``والX``, ``بالX``, ``للX``), no article holds bare ``X``, at most 5 hold it, and at least 3
others only share its stem (``مصرية``: «المصرية» versus «مصر»). Relevant: the articles holding
``الX``. recall@10 (one relevant among the first 10) and MRR (1/rank of the first relevant, 0
beyond 10), before (the «ال» forms switched off) and after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import search_bench as sb
from bot import render
from storage import arabic, search, translit
from storage.db import Database, DatabaseRefused, open_database

CACHE = Path(tempfile.gettempdir()) / "newsbot-inline-bench"
QUERIES = 500
PAGE = 50
SEED = 11
TARGET_P95_MS = 30.0
BOT = "newsbot_bench_bot"


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def cached_database(docs: Sequence[sb.Doc], size: int, cache: Path) -> Database:
    """The benchmark database, from the cache when it is there and current."""
    cache.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (nothing else runs)
    stamp = search.index_stamp().replace("/", "_")
    path = cache / f"inline-{size}-{stamp}.db"
    if path.exists():
        try:
            db = await open_database(path)
        except DatabaseRefused as exc:  # the schema changed since: build it again
            print(f"not using the cached database: {exc}")
        else:
            rows = list(await db.conn.execute_fetchall("SELECT count(*) FROM articles"))
            if abs(int(rows[0][0]) - size) <= size // 100:  # (the same story twice is one)
                print(f"using the cached database {path}")
                return db
            print(f"not using the cached database: {rows[0][0]} articles, not {size}")
            await db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)  # noqa: ASYNC240
    print(f"building {size:,} articles into {path} (once; cached for the next runs) …")
    t0 = time.perf_counter()
    stats = sb.Stats(docs)
    synth = sb.Synthesizer(docs, stats) if size > len(docs) else None
    work = path.with_suffix(".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)  # noqa: ASYNC240 (nothing else runs)
    db, _, _ = await sb.build(work, docs[:size], synth, size)
    await db.close()
    shutil.move(work, path)
    print(f"built in {time.perf_counter() - t0:.0f} s")
    return await open_database(path)


def make_queries(docs: Sequence[sb.Doc]) -> list[tuple[str, int]]:
    """(query, offset) pairs: words, pairs of words, Latin names, empty; some second pages."""
    rng = random.Random(SEED)
    words = sorted(
        {
            w
            for d in docs
            for w in d.title.split()
            if len(arabic.word_tokens(w)) == 1
            and len(w) >= 4
            and arabic.is_arabic(arabic.word_tokens(w)[0])
            and arabic.word_tokens(w)[0] not in arabic.STOP_WORDS
        }
    )
    latin = sorted(k for k in translit.TABLE if " " not in k)
    out: list[tuple[str, int]] = []
    for i in range(QUERIES):
        kind = i % 10
        if kind < 6:
            query = rng.choice(words)
        elif kind < 8:
            query = f"{rng.choice(words)} {rng.choice(words)}"
        elif kind < 9:
            query = rng.choice(latin).title()
        else:
            query = ""
        out.append((query, PAGE if rng.random() < 0.2 else 0))
    return out


async def answer(db: Database, query: str, offset: int) -> int:
    """What the inline handler does for one query, without HTTP: the number of results."""
    if query:
        hits = (await search.search(db, query, limit=PAGE, offset=offset)).hits
    else:
        hits, _ = await search.recent(db, limit=PAGE, offset=offset)
    for hit in hits:
        render.inline_result(hit, "ar", BOT)
    return len(hits)


def _old_snippet(highlighter: search.Highlighter, body: str) -> search.Snippet:
    """The snippet as it was: every word of the whole body judged, then the window."""
    return search._excerpt(body, highlighter.marks(body))


async def time_queries(db: Database, queries: Sequence[tuple[str, int]]) -> list[float]:
    for query, offset in queries[:20]:  # warm-up
        await answer(db, query, offset)
    times = []
    for query, offset in queries:
        t0 = time.perf_counter()
        await answer(db, query, offset)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def snippet_costs(
    db: Database, queries: Sequence[tuple[str, int]]
) -> dict[str, dict[str, list[float]]]:
    """Microseconds per snippet, new and old, by body length, over the hits of the queries."""
    bands = {"< 2,000": 2000, "2,000-5,000": 5000, "5,000-10,000": 10_000, "≥ 10,000": 10**9}
    out: dict[str, dict[str, list[float]]] = {b: defaultdict(list) for b in bands}
    for query, _ in queries[:200]:
        if not query:
            continue
        result = await search.search(db, query, limit=PAGE)
        if not result.hits:
            continue
        ids = [h.id for h in result.hits]
        marks = ", ".join("?" * len(ids))
        rows = await db.conn.execute_fetchall(
            f"SELECT body FROM articles WHERE id IN ({marks})", ids
        )
        terms = search.parse_query(query)
        for (body,) in rows:
            band = next(b for b, limit in bands.items() if len(body) < limit)
            for name, fn in (("new", search.snippet), ("old", _old_snippet)):
                highlighter = search.Highlighter(terms)  # fresh: no word judged yet
                t0 = time.perf_counter()
                fn(highlighter, body)
                out[band][name].append((time.perf_counter() - t0) * 1e6)
    return out


# --- the «ال» ranking check -----------------------------------------------------------------


def al_queries(docs: Sequence[sb.Doc], limit: int = 200) -> list[tuple[str, set[int]]]:
    """(X, the corpus articles holding X only with «ال»), as the module docstring says."""
    holders: dict[str, set[int]] = defaultdict(set)
    stems: dict[str, set[int]] = defaultdict(set)
    for i, d in enumerate(docs):
        for t in set(arabic.tokens(d.title + "\n" + d.body)):
            holders[t].add(i)
            stems[arabic.stem(t)].add(i)
    out: list[tuple[str, set[int]]] = []
    for token in sorted(holders):
        if not token.startswith("ال") or len(token) < 6:
            continue
        bare = token[2:]
        if bare in holders or bare[0] in "وبلفك" or not arabic.is_arabic(bare):
            continue
        forms = [p + bare for p in ("ال", "وال", "بال", "لل")]
        relevant = set().union(*(holders.get(f, set()) for f in forms))
        others = stems.get(arabic.stem(bare), set()) - relevant
        if 1 <= len(relevant) <= 5 and len(others) >= 3:
            out.append((bare, relevant))
    random.Random(SEED).shuffle(out)
    return out[:limit]


async def ranking(
    db: Database, ids: dict[int, int], checks: Sequence[tuple[str, set[int]]]
) -> tuple[float, float]:
    found_at: list[int | None] = []
    for query, relevant in checks:
        wanted = {ids[i] for i in relevant}
        hits = [h.id for h in (await search.search(db, query, limit=10)).hits]
        found_at.append(next((r for r, h in enumerate(hits, 1) if h in wanted), None))
    recall = sum(r is not None for r in found_at) / len(found_at)
    mrr = sum(1 / r for r in found_at if r) / len(found_at)
    return recall, mrr


async def ranking_check(docs: Sequence[sb.Doc]) -> None:
    checks = al_queries(docs)
    if not checks:
        print("ranking check: no queries")
        return
    with tempfile.TemporaryDirectory(prefix="inline-bench-") as tmp:
        db, ids, _ = await sb.build(Path(tmp) / "corpus.db", docs, None, len(docs))
        try:
            saved = search._AL_FORMS
            search._AL_FORMS = ()
            before = await ranking(db, ids, checks)
            search._AL_FORMS = saved
            after = await ranking(db, ids, checks)
        finally:
            await db.close()
    print(
        f"\nRanking check «ال» ({len(checks)} queries on the 4,000 corpus articles, e.g."
        f" {', '.join(q for q, _ in checks[:4])})"
    )
    print(f"  before: recall@10 {before[0]:.3f}  MRR {before[1]:.3f}")
    print(f"  after:  recall@10 {after[0]:.3f}  MRR {after[1]:.3f}")


# --- running --------------------------------------------------------------------------------


async def amain(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=sb.CORPUS)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"inline benchmark skipped: corpus {args.corpus} not found")
        return 0
    docs = sb.load_corpus(args.corpus)
    db = await cached_database(docs, max(args.size, 1), args.cache)
    queries = make_queries(docs)
    gc.collect()
    gc.freeze()
    try:
        new = await time_queries(db, queries)
        saved = search.snippet
        search.snippet = _old_snippet
        try:
            old = await time_queries(db, queries)
        finally:
            search.snippet = saved
        costs = await snippet_costs(db, queries)
    finally:
        await db.close()
    kinds = "words, pairs, Latin names, empty (the newest); 1 in 5 a second page"
    print(
        f"\nInline answers at {args.size:,} articles: {len(queries)} queries ({kinds}),"
        f" {PAGE} results a page, search + rendering inside the process"
    )
    print(f"  {'':<28} {'p50 ms':>8} {'p95 ms':>8}")
    print(
        f"  {'now (snippet window only)':<28} {statistics.median(new):>8.2f}"
        f" {_pct(new, 0.95):>8.2f}"
    )
    print(
        f"  {'baseline (whole-body marks)':<28} {statistics.median(old):>8.2f}"
        f" {_pct(old, 0.95):>8.2f}"
    )
    print(
        f"  ratio baseline / now: p50 {statistics.median(old) / statistics.median(new):.1f}×,"
        f" p95 {_pct(old, 0.95) / _pct(new, 0.95):.1f}×"
    )
    verdict = "PASS" if _pct(new, 0.95) <= TARGET_P95_MS else "FAIL"
    print(f"  target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict}")
    print("\nOne snippet by body length (µs, mean over the hits of 200 queries)")
    print(f"  {'body chars':<14} {'hits':>6} {'now':>8} {'baseline':>9}")
    for band, row in costs.items():
        if row["new"]:
            print(
                f"  {band:<14} {len(row['new']):>6} {statistics.mean(row['new']):>8.0f}"
                f" {statistics.mean(row['old']):>9.0f}"
            )
    await ranking_check(docs)
    return 0


def main(argv: Iterable[str] | None = None) -> int:
    return asyncio.run(amain(None if argv is None else list(argv)))


if __name__ == "__main__":
    sys.exit(main())

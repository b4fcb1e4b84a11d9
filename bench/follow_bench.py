"""Follow matching benchmark: which of 100,000 chats' follows does one new article match?

Run from the project root::

    .venv/bin/python -m bench.follow_bench            # 100,000 chats x 3 follows, 1,000 articles
    .venv/bin/python -m bench.follow_bench --quick    # 10,000 chats, 200 articles (a smoke run)

Data: the corpus ``/work/shared/corpus/articles.jsonl`` (see its SOURCE.md); the bench says so
and exits 0 when it is absent. Each follow is a random word of the corpus: a random article,
then a random word of its title or body of three letters or more that is not a function word
(so common words are followed as often as they occur, which is what makes matching costly).
1 follow in 20 is a two-word quoted phrase taken from the same place, to exercise adjacency.
Each chat gets ``--follows`` (3) of them; chats are follows-only subscriptions. Follows are
written with ``follows.add_many_in`` into a fresh SQLite file, in transactions of 20,000.

The new articles: ``--articles`` (1,000) of the corpus, stored with ``articles.store_many_in``
(the bot's own insert path, search index included) after the follows.

Measured, per article: ``follows.matching_chats(db, [id])``, what ``enqueue_new`` calls: it
reads the article, analyses title and body (``storage.arabic``), looks its keys up in the
inverted index (held in memory, brought up to date from ``follow_log``), checks phrases for
adjacency and returns the set of chats. The first call after a start loads the index from
SQLite: it is timed apart, with the index's size.
p50 / p95 / max in ms (``time.perf_counter``), mean chats matched, and the peak of Python
allocations during the matching (``tracemalloc``, which slows Python code by a constant
factor; the times are measured in a separate pass without it) and the process's peak resident
set (``ru_maxrss``, the whole run).

Baseline, same run: a naive loop over chats, each chat's follows checked one by one against
the article's analysed key set (already computed, and the follows already parsed in memory:
generous to the baseline), on a sample of ``--sample-chats`` (10,000) chats and 100 articles,
scaled to all the chats. The ratio is naive / indexed per article (p50).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from storage import arabic, articles, follows, open_database
from storage.articles import Arrival, NewArticle

CORPUS = Path("/work/shared/corpus/articles.jsonl")


def _load(limit: int | None = None) -> list[dict[str, str]]:
    out = []
    with CORPUS.open(encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if limit and len(out) >= limit:
                break
    return out


def _follow_texts(corpus: list[dict[str, str]], n: int, rng: random.Random) -> list[str]:
    """``n`` follow texts: random words of random articles (1 in 20 a two-word phrase)."""
    words_of: list[list[str]] = []
    for item in corpus:
        words = [
            w
            for w in arabic.words(f"{item['title']} {item['body']}")
            if len(w) >= 3 and arabic.tokens(w) and arabic.tokens(w)[0] not in arabic.STOP_WORDS
        ]
        if len(words) >= 2:
            words_of.append(words)
    out = []
    for i in range(n):
        words = rng.choice(words_of)
        j = rng.randrange(len(words) - 1)
        out.append(f'"{words[j]} {words[j + 1]}"' if i % 20 == 19 else words[j])
    return out


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _naive_match(
    parsed_by_chat: list[tuple[int, list[follows.Parsed]]], article: follows.Analysed
) -> set[int]:
    """The loop over chats the index replaces: every follow of every chat, one by one."""
    found = set()
    keys = article.keys
    for chat_id, items in parsed_by_chat:
        for p in items:
            if all(any(k in keys for k in slot) for slot in p.slots) and (
                not p.phrases or follows.phrases_match(article, p.phrases)
            ):
                found.add(chat_id)
                break
    return found


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    corpus = _load()
    say = print
    say(f"corpus: {len(corpus)} articles from {CORPUS}")
    texts = _follow_texts(corpus, args.chats * args.follows, rng)
    news = rng.sample(corpus, min(args.articles, len(corpus)))
    with tempfile.TemporaryDirectory() as tmp:
        db = await open_database(Path(tmp) / "bench.db")
        try:
            now = "2026-01-01T00:00:00+00:00"
            first = -(10**12)
            chat_ids = [first - i for i in range(args.chats)]
            async with db.transaction() as conn:
                await conn.executemany(
                    "INSERT INTO chats (id, kind, created_at, updated_at)"
                    " VALUES (?, 'channel', ?, ?)",
                    [(c, now, now) for c in chat_ids],
                )
                await conn.executemany(
                    "INSERT INTO subscriptions (chat_id, active, everything, enqueued_through,"
                    " created_at, updated_at) VALUES (?, 1, 0, 0, ?, ?)",
                    [(c, now, now) for c in chat_ids],
                )
            items = [(chat_ids[i // args.follows], t) for i, t in enumerate(texts)]
            added = 0
            for start in range(0, len(items), 20_000):
                async with db.transaction() as conn:
                    added += await follows.add_many_in(conn, items[start : start + 20_000])
            [(nkeys,)] = await db.conn.execute_fetchall("SELECT count(*) FROM follow_keys")
            say(
                f"setup: {args.chats:,} chats, {added:,} follows ({nkeys:,} index rows)"
                f" in {time.perf_counter() - t0:.1f} s"
            )
            batch = [
                NewArticle(
                    title=a["title"],
                    body=a["body"],
                    url=f"https://bench.example/{i}",
                    category=a.get("category"),
                )
                for i, a in enumerate(news)
            ]
            async with db.transaction() as conn:
                stored = await articles.store_many_in(conn, batch, Arrival(origin="feed"))
            ids = [s.id for s in stored]
            await db.conn.execute("ANALYZE")

            # The first article after a start loads the index into memory: timed apart, then
            # loaded again under tracemalloc (which slows it) for its size.
            start_t = time.perf_counter()
            await follows.matching_chats(db, [ids[0]])
            load_ms = (time.perf_counter() - start_t) * 1000
            follows._MEMORY.pop(db.conn)
            tracemalloc.start()
            await follows.matching_chats(db, [ids[0]])
            index_bytes, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            # Timed pass.
            times: list[float] = []
            matched: list[int] = []
            for article_id in ids:
                start_t = time.perf_counter()
                found = await follows.matching_chats(db, [article_id])
                times.append((time.perf_counter() - start_t) * 1000)
                matched.append(len(found.get(article_id, ())))
            # Memory pass (tracemalloc slows Python code; not timed).
            tracemalloc.start()
            for article_id in ids[:200]:
                await follows.matching_chats(db, [article_id])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            # Baseline: a loop over a sample of chats, scaled to all of them.
            sample = min(args.sample_chats, args.chats)
            by_chat: dict[int, list[follows.Parsed]] = {}
            for chat_id, text in items:
                if chat_id < chat_ids[sample - 1]:
                    break
                p = follows.parse(text)
                if not isinstance(p, str):
                    by_chat.setdefault(chat_id, []).append(p)
            parsed_by_chat = list(by_chat.items())
            naive: list[float] = []
            rows = await db.conn.execute_fetchall(
                "SELECT id, title, body, category FROM articles WHERE id IN"
                " (SELECT value FROM json_each(?))",
                (json.dumps(ids[:100]),),
            )
            agree = 0
            for article_id, title, body, category in rows:
                start_t = time.perf_counter()
                by_loop = _naive_match(parsed_by_chat, follows.analyse(title, body, category))
                naive.append((time.perf_counter() - start_t) * 1000 * args.chats / sample)
                by_index = (await follows.matching_chats(db, [article_id])).get(article_id, set())
                agree += by_loop == {c for c in by_index if c >= chat_ids[sample - 1]}
        finally:
            await db.close()

    p50, p95 = _pct(times, 50), _pct(times, 95)
    say("")
    say(
        f"== follow matching: {args.chats:,} chats x {args.follows} follows,"
        f" {len(ids)} articles =="
    )
    say(f"  per article      p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   max {max(times):7.2f} ms")
    say(
        f"  mean {statistics.mean(times):.2f} ms;"
        f" target p95 < 50 ms: {'met' if p95 < 50 else 'MISSED'}"
    )
    say(
        f"  chats matched    mean {statistics.mean(matched):,.0f}"
        f"   p95 {_pct([float(m) for m in matched], 95):,.0f}   max {max(matched):,}"
    )
    say(
        f"  index load at start (first article): {load_ms:.0f} ms;"
        f" in-memory index {index_bytes / 2**20:.1f} MiB (tracemalloc)"
    )
    say(f"  peak Python allocations while matching (tracemalloc): {peak / 2**20:.1f} MiB")
    say(
        "  peak resident set of the whole run (ru_maxrss, setup included):"
        f" {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    n50 = _pct(naive, 50)
    say(
        f"  baseline: loop over chats ({sample:,} sampled, scaled to {args.chats:,}),"
        f" {len(naive)} articles: p50 {n50:.1f} ms, p95 {_pct(naive, 95):.1f} ms"
    )
    say(f"  ratio loop / index (p50): {n50 / p50:.1f}x; same chats found: {agree}/{len(naive)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--follows", type=int, default=3)
    parser.add_argument("--articles", type=int, default=1_000)
    parser.add_argument("--sample-chats", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="10,000 chats, 200 articles")
    args = parser.parse_args(argv)
    if args.quick:
        args.chats, args.articles, args.sample_chats = 10_000, 200, 2_000
    if not CORPUS.exists():
        print(f"skipped: the corpus {CORPUS} is absent (see its SOURCE.md)")
        return 0
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

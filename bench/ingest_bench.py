"""Ingest benchmark: poll cycles of many feeds on a slow local server, and URL deduplication.

Run from the project root::

    .venv/bin/python -m bench.ingest_bench            # 200 feeds x 50 items, 100 ms latency
    .venv/bin/python -m bench.ingest_bench --quick    # 20 feeds x 10 items (a smoke run)

The feed server
---------------
An ``aiohttp.web`` server in a child process (``multiprocessing``, spawned), so that everything
measured in this process is the bot's side: ``--feeds`` sites (200), site ``i`` listening on its
own loopback address ``127.0.0.{i+1}`` (Linux routes all of 127/8 to ``lo``), all on one port,
feed ``i`` at ``http://127.0.0.{i+1}:PORT/feed.xml``. Each feed is RSS 2.0 with ``--items``
items (50), each with a title, a link, a GUID, a ``pubDate`` within the last hour, a category,
a short ``description`` and the full text as ``content:encoded`` (HTML paragraphs of about
1,500 characters of Arabic, taken from the corpus ``/work/shared/corpus/articles.jsonl`` when it
exists, else made-up Arabic-looking words), so no item sends the poller to its page. Every
response waits ``--latency`` seconds (0.1) before it is answered; it carries ``ETag`` and
``Last-Modified``, honours ``If-None-Match`` (then ``If-Modified-Since``) with 304, and is sent
gzip-compressed (compressed once, when the feed changes) when the request accepts gzip, as the
poller's does. The server counts 200s and 304s; the bench reads and resets the counts between
cycles through a control path on the first site.

Cycles (this process, a fresh SQLite database in a temporary folder)
--------------------------------------------------------------------
Every feed is added with ``feeds.add``, then ``poll(db, fetcher, await feeds.list_all(db),
PollConfig(interval=1))`` runs with a new ``Fetcher`` (the bot's defaults: 2 requests a host, 32
in all) for each cycle:

1. First fetch: every feed answers 200 with all its items; expected ``feeds x items`` stored.
2. Conditional cycle: ``--changed`` of the feeds (10 %, spread evenly) get 2 new items at the
   top (the 2 oldest drop out, as a real feed's window slides) and a new ETag; the others are
   unchanged and answer the poller's conditional GET with 304. Expected: 2 new articles per
   changed feed, and the 304s counted by the server.
3. Baseline, same server state: the same cycle by a naive poller that sends no validators (the
   feeds handed to ``poll`` with ``etag`` and ``last_modified`` cleared), so every feed answers
   200 and is parsed again (nothing new is left to store). The conditional cycle is reported as
   a ratio to this one, for wall time and CPU time.

Measured for each cycle: wall time (``time.perf_counter``), CPU time of this process (all its
threads: the event loop, ``asyncio.to_thread`` parsing and aiosqlite's worker; the server's CPU
is in the child and not counted) and peak memory (``VmHWM``, this process's peak resident set,
reset before each cycle by writing 5 to ``/proc/self/clear_refs``; where that is refused, the
whole run's ``ru_maxrss``). Items/s for the first fetch is items stored / wall time. For
comparison, the same documents are then parsed one after another with ``parse_feed`` alone (no
network, no storage), which gives the parser's own items per CPU second.

Deduplication
-------------
``--stories`` (100) distinct stories (distinct titles and bodies, canonical url
``https://news.example.com/2026/12/02/story-N``, half of them with an Arabic slug as a last
path segment) and ``--variants`` (10) distinct address strings for each: the canonical one, and
random mixes of http/https, ``www.``/``m.``/``amp.`` hosts, upper-case hosts, explicit default
ports (``:443`` on https, ``:80`` on http), a trailing slash, a ``#fragment``, ``utm_*``/
``fbclid``/``gclid`` parameters in random order, an ``/amp`` suffix or ``?amp=1``, the Arabic
slug raw or percent-encoded (upper- or lower-case hex), and a stray NBSP or space at either end.
All are stored, shuffled, as ``NewArticle`` (the story's title and body, ``url`` the variant)
with ``articles.store_many_in`` in transactions of 200 (origin "feed") in a fresh database.
Targets: exactly one article per story, and 0 false merges (an article whose variants came from
more than one story). Baseline: the raw address string as the key (one "article" per distinct
string), and for information ``clean_url`` as the key.

Targets (for the default sizes): the first fetch stores every item (10,000) in under 60 s; the
304 cycle takes under 5 s of wall time; it stores 2 new articles per changed feed (40); dedup
gives 100 articles with 0 false merges. ``--quick`` keeps the same targets on its smaller sizes.
Progress lines go to stderr, results to stdout. The exit status is 0 when all targets pass, 1
when one fails, 2 when the bench itself could not run (a one-line message).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import html
import json
import logging
import math
import multiprocessing
import os
import random
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from aiohttp import web

from bench import argtypes
from storage import articles, feeds
from storage.articles import Arrival, NewArticle
from storage.db import Database, open_database
from storage.ingest.feeds import FeedError, parse_feed
from storage.ingest.http import Fetcher
from storage.ingest.poll import PollConfig, PollResult, poll
from storage.urls import clean_url, url_key

CORPUS = Path("/work/shared/corpus/articles.jsonl")
SEED = 7
#: Characters of text in each item's content:encoded (about; whole paragraphs are kept).
ITEM_TEXT = 1500
#: New items at the top of each changed feed in cycle 2.
NEW_ITEMS = 2
STORE_CHUNK = 200
USER_AGENT = "newsbot-ingest-bench/1.0"
CONTROL = "/_bench"
PROGRESS_EVERY = 15.0

TARGET_FIRST_SECONDS = 60.0
TARGET_304_SECONDS = 5.0

_WORD_TEXT = (
    "الحكومة الرئيس الوزراء المجلس الاقتصاد الأسواق النفط الدولار المدينة العاصمة الشرطة "
    "المحكمة القرار الاجتماع المفاوضات الانتخابات البرلمان الجامعة المستشفى المواطنين "
    "اليوم أمس الأسبوع المقبل الماضي مصادر رسمية أعلنت وزارة الخارجية الداخلية الصحة "
    "التعليم الطاقة المياه الزراعة النقل السياحة الرياضة المنتخب البطولة المباراة"
)
_WORDS = _WORD_TEXT.split()


class BenchError(Exception):
    """The bench could not go on; the message is one clear line."""


# --------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class Params:
    feeds: int
    items: int
    latency: float
    changed: float
    stories: int
    variants: int
    keep: bool

    @property
    def changed_feeds(self) -> list[int]:
        """The feeds that get new items in cycle 2, spread evenly over all of them."""
        count = round(self.feeds * self.changed)
        if count <= 0:
            return []
        step = self.feeds / count
        return sorted({min(self.feeds - 1, int(k * step)) for k in range(count)})

    def describe(self) -> str:
        return (
            f"{self.feeds} feeds x {self.items} items (full text, ~{ITEM_TEXT} chars each), "
            f"server latency {self.latency * 1000:.0f} ms; cycle 2: {len(self.changed_feeds)} "
            f"feeds with {NEW_ITEMS} new items, the rest 304; dedup: {self.stories} stories x "
            f"{self.variants} address variants"
        )


# --------------------------------------------------------------------------------------------
# Text


def load_texts(limit: int = 4000) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of the corpus articles, or made-up Arabic-looking ones."""
    texts: list[tuple[str, list[str]]] = []
    if CORPUS.exists():
        with CORPUS.open(encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                title, body = record.get("title"), record.get("body")
                if isinstance(title, str) and isinstance(body, str) and title and body:
                    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
                    texts.append((" ".join(title.split()), paragraphs))
                if len(texts) >= limit:
                    break
    if texts:
        return texts
    rng = random.Random(SEED)
    for _ in range(limit):
        title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 10)))
        paragraphs = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(25, 60))) + "."
            for _ in range(rng.randint(3, 8))
        ]
        texts.append((title, paragraphs))
    return texts


def item_text(texts: Sequence[tuple[str, list[str]]], start: int) -> tuple[str, list[str]]:
    """A title and about ITEM_TEXT characters of paragraphs, from text ``start`` on."""
    title = texts[start % len(texts)][0]
    paragraphs: list[str] = []
    size = 0
    k = start
    while size < ITEM_TEXT:
        for p in texts[k % len(texts)][1]:
            paragraphs.append(p)
            size += len(p)
            if size >= ITEM_TEXT:
                break
        k += 1
    return title, paragraphs


# --------------------------------------------------------------------------------------------
# The feed server (child process)


@dataclass
class SiteFeed:
    """One feed's items (sequence numbers, newest first) and its rendered document."""

    index: int
    seqs: list[int]
    version: int = 1
    times: dict[int, datetime] = field(default_factory=dict)
    body: bytes = b""
    gz: bytes = b""
    etag: str = ""
    last_modified: str = ""
    modified_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FeedWorld:
    """Every feed's content, rendered the same way in the server and in this process."""

    def __init__(self, params: Params, base: datetime) -> None:
        self.params = params
        self.texts = load_texts()
        self.base = base.replace(microsecond=0)
        self.feeds: list[SiteFeed] = []
        span = timedelta(minutes=55)
        for i in range(params.feeds):
            seqs = list(range(params.items - 1, -1, -1))
            feed = SiteFeed(i, seqs)
            for s in seqs:
                age = span * (params.items - 1 - s) / max(params.items - 1, 1)
                feed.times[s] = self.base - age
            self.render(feed)
            self.feeds.append(feed)

    def item_xml(self, feed: int, seq: int, when: datetime) -> str:
        start = feed * 7919 + seq * 104_729  # spread the items over the texts
        title, paragraphs = item_text(self.texts, start)
        content = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
        summary = paragraphs[0][:200]
        link = f"https://site{feed}.example.com/news/2026/{seq}-{feed}"
        return (
            "<item>"
            f"<title>{html.escape(title, quote=False)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">site{feed}-item-{seq}</guid>'
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
            f"<category>{_WORDS[(feed + seq) % len(_WORDS)]}</category>"
            f"<description>{html.escape(summary, quote=False)}</description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded>"
            "</item>\n"
        )

    def render(self, feed: SiteFeed) -> None:
        i = feed.index
        items = "".join(self.item_xml(i, s, feed.times[s]) for s in feed.seqs)
        newest = max(feed.times[s] for s in feed.seqs)
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
            f"<channel><title>موقع الأخبار {i}</title>"
            f"<link>https://site{i}.example.com/</link>"
            f"<description>آخر الأخبار من الموقع {i}</description><language>ar</language>"
            f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>\n"
            f"{items}</channel></rss>\n"
        )
        feed.body = document.encode("utf-8")
        feed.gz = gzip.compress(feed.body, compresslevel=6, mtime=0)
        feed.etag = f'"site{i}-v{feed.version}"'
        feed.modified_at = newest
        feed.last_modified = format_datetime(newest, usegmt=True)

    def add_items(self, feed: SiteFeed, count: int, when: datetime) -> None:
        """``count`` new items at the top; the oldest drop out, the window keeps its size."""
        top = max(feed.seqs) if feed.seqs else -1
        new = list(range(top + count, top, -1))
        for s in new:
            feed.times[s] = when.replace(microsecond=0)
        feed.seqs = (new + feed.seqs)[: self.params.items]
        feed.version += 1
        self.render(feed)


@dataclass
class ServerStats:
    ok: int = 0
    not_modified: int = 0
    other: int = 0
    bytes_sent: int = 0


def _not_modified(request: web.Request, feed: SiteFeed) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or feed.etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return feed.modified_at <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def make_app(world: FeedWorld, latency: float, stats: ServerStats) -> web.Application:
    """The sites: /feed.xml on each address, and the control path on all of them."""

    async def feed_xml(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(latency)
        sock = request.transport.get_extra_info("sockname") if request.transport else None
        address = sock[0] if sock else ""
        try:
            index = int(address.rsplit(".", 1)[1]) - 1
            feed = world.feeds[index]
        except (IndexError, ValueError):
            stats.other += 1
            raise web.HTTPNotFound() from None
        headers = {
            "ETag": feed.etag,
            "Last-Modified": feed.last_modified,
            "Cache-Control": "max-age=60",
        }
        if _not_modified(request, feed):
            stats.not_modified += 1
            return web.Response(status=304, headers=headers)
        stats.ok += 1
        body = feed.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = feed.gz
            headers["Content-Encoding"] = "gzip"
        stats.bytes_sent += len(body)
        headers["Content-Type"] = "application/rss+xml; charset=utf-8"
        return web.Response(body=body, headers=headers)

    async def control_stats(request: web.Request) -> web.StreamResponse:
        data = {
            "ok": stats.ok,
            "not_modified": stats.not_modified,
            "other": stats.other,
            "bytes": stats.bytes_sent,
        }
        if request.query.get("reset"):
            stats.ok = stats.not_modified = stats.other = stats.bytes_sent = 0
        return web.json_response(data)

    async def control_change(request: web.Request) -> web.StreamResponse:
        when = datetime.now(UTC)
        changed = [int(x) for x in request.query.get("feeds", "").split(",") if x]
        count = int(request.query.get("count", "0"))
        for i in changed:
            world.add_items(world.feeds[i], count, when)
        return web.json_response({"changed": len(changed), "at": when.isoformat()})

    app = web.Application()
    app.router.add_get("/feed.xml", feed_xml)
    app.router.add_get(CONTROL + "/stats", control_stats)
    app.router.add_post(CONTROL + "/change", control_change)
    return app


async def _serve_async(params: Params, base: datetime, conn: Connection) -> None:
    world = FeedWorld(params, base)
    stats = ServerStats()
    app = make_app(world, params.latency, stats)
    runner: web.AppRunner | None = None
    port = 0
    for attempt in range(5):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
            port = int(runner.addresses[0][1])
            for i in range(1, params.feeds):
                await web.TCPSite(runner, f"127.0.0.{i + 1}", port, backlog=1024).start()
            break
        except OSError as exc:  # the port is taken on some address: another one
            await runner.cleanup()
            runner = None
            if attempt == 4:
                conn.send(("error", f"cannot listen on 127.0.0.x: {exc}"))
                return
            app = make_app(world, params.latency, stats)
    assert runner is not None
    conn.send(("ready", port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await runner.cleanup()


def serve(params: Params, base: datetime, conn: Connection) -> None:
    """The child process: serve the feeds until SIGTERM."""
    try:
        asyncio.run(_serve_async(params, base, conn))
    except Exception as exc:  # tell the parent in one line
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@contextlib.contextmanager
def feed_server(params: Params, base: datetime) -> Iterator[int]:
    """Start the server process; yield its port; stop it (by its own pid) afterwards."""
    if params.feeds > 254:
        raise BenchError("at most 254 feeds (one loopback address 127.0.0.N each)")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(params, base, child), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 120.0
        while not parent.poll(0.25):
            if not process.is_alive():
                raise BenchError(f"the feed server exited at start (status {process.exitcode})")
            if time.monotonic() > deadline:
                raise BenchError("the feed server did not start within 120 s")
        kind, value = parent.recv()
        if kind != "ready":
            raise BenchError(f"the feed server failed: {value}")
        yield int(value)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)


# --------------------------------------------------------------------------------------------
# Measuring


def say(text: str = "") -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def row(label: str, value: str) -> None:
    say(f"  {label:<40} {value}")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: clear_refs 5); False when refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


@dataclass
class Cycle:
    name: str
    wall: float = 0.0
    cpu: float = 0.0
    peak: float = 0.0
    peak_reset: bool = True
    rss_before: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    new: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    served_ok: int = 0
    served_304: int = 0
    served_bytes: int = 0
    stored_after: int = 0


@contextlib.asynccontextmanager
async def ticker(label: str, start: float) -> AsyncIterator[None]:
    async def tick() -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            progress(f"  [{label}] {time.perf_counter() - start:6.0f} s …")

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def server_stats(control: httpx.AsyncClient, reset: bool) -> dict[str, int]:
    response = await control.get(CONTROL + "/stats", params={"reset": "1"} if reset else {})
    response.raise_for_status()
    data = response.json()
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


async def run_cycle(
    name: str, db: Database, targets: Sequence[feeds.Feed], control: httpx.AsyncClient
) -> Cycle:
    """One ``poll`` of ``targets`` with a new Fetcher, measured."""
    cycle = Cycle(name)
    await server_stats(control, reset=True)
    cycle.rss_before = rss_mib()
    cycle.peak_reset = reset_peak()
    progress(f"{name} …")
    async with Fetcher(user_agent=USER_AGENT) as fetcher:
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        async with ticker(name, wall0):
            results: list[PollResult] = await poll(db, fetcher, targets, PollConfig(interval=1))
        cycle.wall = time.perf_counter() - wall0
        cycle.cpu = cpu_seconds() - cpu0
    cycle.peak = peak_mib()
    for result in results:
        cycle.outcomes[result.outcome] += 1
        cycle.new += result.new
        cycle.updated += result.updated
        if result.error:
            cycle.errors.append(f"{result.feed.url}: {result.error}")
    stats = await server_stats(control, reset=True)
    cycle.served_ok, cycle.served_304 = stats.get("ok", 0), stats.get("not_modified", 0)
    cycle.served_bytes = stats.get("bytes", 0)
    cycle.stored_after = await articles.count(db)
    return cycle


@dataclass
class PollRun:
    first: Cycle
    conditional: Cycle
    naive: Cycle
    parse_items: int = 0
    parse_cpu: float = 0.0
    parse_bytes: int = 0
    parse_errors: int = 0


async def run_polls(params: Params, folder: Path) -> PollRun:
    base = datetime.now(UTC)
    with feed_server(params, base) as port:
        db = await open_database(folder / "ingest.db")
        try:
            for i in range(params.feeds):
                await feeds.add(db, f"http://127.0.0.{i + 1}:{port}/feed.xml")
            control_url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=control_url, trust_env=False) as control:
                first = await run_cycle(
                    "cycle 1: first fetch", db, await feeds.list_all(db), control
                )
                changed = params.changed_feeds
                response = await control.post(
                    CONTROL + "/change",
                    params={"feeds": ",".join(map(str, changed)), "count": str(NEW_ITEMS)},
                )
                response.raise_for_status()
                conditional = await run_cycle(
                    "cycle 2: conditional (304s)", db, await feeds.list_all(db), control
                )
                naive_targets = [
                    replace(f, etag=None, last_modified=None) for f in await feeds.list_all(db)
                ]
                naive = await run_cycle(
                    "baseline: cycle 2 without validators", db, naive_targets, control
                )
        finally:
            await db.close()
    run = PollRun(first, conditional, naive)
    # The parser alone, on the first cycle's documents, one after another.
    progress("parse_feed alone …")
    world = FeedWorld(params, base)
    bodies = [(f.body, f"http://127.0.0.{f.index + 1}/feed.xml") for f in world.feeds]
    del world
    cpu0 = time.process_time()
    for body, url in bodies:
        try:
            run.parse_items += len(parse_feed(body, "application/rss+xml", url).entries)
        except FeedError:
            run.parse_errors += 1
        run.parse_bytes += len(body)
    run.parse_cpu = time.process_time() - cpu0
    return run


# --------------------------------------------------------------------------------------------
# Deduplication


CANONICAL_HOST = "news.example.com"
_HOSTS = (
    "news.example.com",
    "www.news.example.com",
    "m.news.example.com",
    "amp.news.example.com",
    "NEWS.EXAMPLE.COM",
    "Www.News.Example.Com",
    "M.NEWS.example.com",
)
_TRACKERS = (
    "utm_source=telegram",
    "utm_medium=social",
    "utm_campaign=morning-brief",
    "utm_content=top",
    "fbclid=IwAR2xQ9kT7",
    "gclid=Cj0KCQiA5",
)


@dataclass(frozen=True)
class Story:
    number: int
    title: str
    body: str
    path: str  # the canonical path, Arabic slug raw
    slug: str | None


def make_stories(count: int, texts: Sequence[tuple[str, list[str]]]) -> list[Story]:
    stories: list[Story] = []
    for n in range(count):
        title, paragraphs = texts[(n * 37) % len(texts)]
        title = f"{title} ({n + 1})"  # distinct even when the texts run out
        body = "\n".join(paragraphs[:4]) + f"\nالخبر رقم {n + 1}."
        slug = None
        if n % 2 == 0:
            words = [w for w in title.split() if any("\u0621" <= ch <= "\u064a" for ch in w)]
            slug = "-".join(words[:5]) or f"خبر-{n + 1}"
        path = f"/2026/12/02/story-{n + 1}" + (f"/{slug}" if slug else "")
        stories.append(Story(n + 1, title, body, path, slug))
    return stories


def _encode(segment: str, lower: bool) -> str:
    encoded = quote(segment, safe="-")
    if not lower:
        return encoded
    out: list[str] = []
    i = 0
    while i < len(encoded):
        if encoded[i] == "%":
            out.append(encoded[i : i + 3].lower())
            i += 3
        else:
            out.append(encoded[i])
            i += 1
    return "".join(out)


def variant(story: Story, rng: random.Random) -> str:
    """One random address of the story (see the module docstring for the mixes)."""
    scheme = rng.choice(("https", "https", "http"))
    host = rng.choice(_HOSTS)
    port = ""
    if rng.random() < 0.25:
        port = ":443" if scheme == "https" else ":80"
    path = f"/2026/12/02/story-{story.number}"
    if story.slug:
        form = rng.choice(("raw", "upper", "lower"))
        path += "/" + (story.slug if form == "raw" else _encode(story.slug, form == "lower"))
    query: list[str] = []
    amp = rng.random()
    if amp < 0.2:
        path += "/amp"
    elif amp < 0.3:
        query.append("amp=1")
    if rng.random() < 0.35:
        path += "/"
    if rng.random() < 0.6:
        query += rng.sample(_TRACKERS, rng.randint(1, 4))
    rng.shuffle(query)
    url = f"{scheme}://{host}{port}{path}"
    if query:
        url += "?" + "&".join(query)
    if rng.random() < 0.25:
        url += rng.choice(("#comments", "#section-2", "#top"))
    pad = rng.random()
    if pad < 0.1:
        url = "\u00a0" + url
    elif pad < 0.2:
        url = url + rng.choice(("\u00a0", " "))
    elif pad < 0.25:
        url = " " + url + "\u00a0"
    return url


def make_variants(stories: Sequence[Story], per_story: int, rng: random.Random) -> list[str]:
    """``per_story`` distinct strings per story (the first the canonical address)."""
    out: list[str] = []
    for story in stories:
        seen = {f"https://{CANONICAL_HOST}{story.path}"}
        tries = 0
        while len(seen) < per_story:
            seen.add(variant(story, rng))
            tries += 1
            if tries > per_story * 1000:
                raise BenchError("could not make enough distinct url variants")
        canonical = f"https://{CANONICAL_HOST}{story.path}"
        out.append(canonical)
        out += sorted(seen - {canonical})
    return out


@dataclass
class DedupRun:
    stories: int = 0
    variants: int = 0
    articles: int = 0
    false_merges: int = 0
    split_stories: int = 0
    invalid: int = 0
    naive_raw: int = 0
    naive_clean: int = 0
    seconds: float = 0.0
    error: str | None = None
    examples: list[str] = field(default_factory=list)


async def _store_variants(
    db: Database, batch: Sequence[tuple[int, NewArticle]]
) -> dict[int, set[int]]:
    stories_of: dict[int, set[int]] = {}
    arrival = Arrival(origin="feed")
    for start in range(0, len(batch), STORE_CHUNK):
        chunk = batch[start : start + STORE_CHUNK]
        async with db.transaction() as conn:
            stored = await articles.store_many_in(conn, [a for _, a in chunk], arrival)
        for (story, _), result in zip(chunk, stored, strict=True):
            stories_of.setdefault(result.id, set()).add(story)
    return stories_of


async def run_dedup(params: Params, folder: Path) -> DedupRun:
    rng = random.Random(SEED)
    stories = make_stories(params.stories, load_texts())
    urls = make_variants(stories, params.variants, rng)
    by_story = {s.number: s for s in stories}
    batch: list[tuple[int, NewArticle]] = []
    for k, url in enumerate(urls):
        story = by_story[stories[k // params.variants].number]
        batch.append(
            (story.number, NewArticle(title=story.title, body=story.body, url=url, source="bench"))
        )
    rng.shuffle(batch)
    run = DedupRun(stories=len(stories), variants=len(urls))
    run.invalid = sum(clean_url(u) is None for u in urls)
    run.naive_raw = len(set(urls))
    run.naive_clean = len({clean_url(u) or u for u in urls})
    progress("dedup …")
    stories_of: dict[int, set[int]] = {}
    db = await open_database(folder / "dedup.db")
    try:
        t0 = time.perf_counter()
        stories_of = await _store_variants(db, batch)
        run.seconds = time.perf_counter() - t0
        run.articles = await articles.count(db)
    except (sqlite3.Error, ValueError) as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    finally:
        await db.close()
    merged = {i: s for i, s in stories_of.items() if len(s) > 1}
    run.false_merges = len(merged)
    ids_per_story = Counter(n for s in stories_of.values() for n in s)
    run.split_stories = sum(1 for n in ids_per_story.values() if n > 1)
    for article_id, numbers in list(merged.items())[:3]:
        run.examples.append(f"article {article_id} holds stories {sorted(numbers)}")
    for number, n in ids_per_story.items():
        if n > 1 and len(run.examples) < 6:
            keys = sorted(
                {url_key(a.url or "") or "None" for s, a in batch if s == number},
            )
            run.examples.append(f"story {number} split into {n} articles; keys {keys[:4]}")
    return run


# --------------------------------------------------------------------------------------------
# Printing and the summary


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b > 0 else "n/a"


def print_cycle(params: Params, c: Cycle, expect_new: int | None) -> None:
    say(f"== {c.name} ==")
    outcomes = ", ".join(f"{k} {n}" for k, n in sorted(c.outcomes.items()))
    row("feeds polled", f"{sum(c.outcomes.values())} ({outcomes})")
    row("server answers", f"200: {c.served_ok}, 304: {c.served_304}")
    row("bytes sent by the server", f"{c.served_bytes / 1024 / 1024:.2f} MiB (gzip)")
    wanted = "" if expect_new is None else f" (expected {expect_new})"
    row("articles new / updated", f"{c.new} / {c.updated}{wanted}")
    row("articles in the database after", f"{c.stored_after:,}")
    row("wall time", f"{c.wall:.2f} s")
    row("CPU time (this process)", f"{c.cpu:.2f} s ({c.cpu / c.wall:.0%} of one core)")
    basis = "VmHWM since reset" if c.peak_reset else "ru_maxrss, whole run"
    row("peak memory", f"{c.peak:.1f} MiB ({basis}; {c.rss_before:.1f} MiB at the start)")
    if c.errors:
        say(f"  errors ({len(c.errors)}), the first ones:")
        for line in c.errors[:5]:
            say(f"    {line[:160]}")
    say()


def print_polls(params: Params, run: PollRun) -> None:
    first, cond, naive = run.first, run.conditional, run.naive
    print_cycle(params, first, params.feeds * params.items)
    parsed = first.served_ok * params.items
    row(
        "items/s (first fetch, end to end)",
        f"{first.new / first.wall:,.0f} stored/s; {parsed / first.cpu:,.0f} items per CPU s",
    )
    floor = math.ceil(params.feeds / 32) * params.latency
    row("latency floor (32 at a time)", f"{floor:.2f} s of the wall time is waiting")
    row(
        "parse_feed alone (same documents)",
        f"{run.parse_items:,} items in {run.parse_cpu:.2f} CPU s = "
        f"{run.parse_items / max(run.parse_cpu, 1e-9):,.0f} items/s "
        f"({run.parse_bytes / 1024 / 1024 / max(run.parse_cpu, 1e-9):.1f} MiB/s)"
        + (f"; {run.parse_errors} refused" if run.parse_errors else ""),
    )
    row(
        "parsing's share of the cycle's CPU",
        f"{run.parse_cpu / first.cpu:.0%} (the rest: fetching, gunzip, storage, FTS index)",
    )
    say()
    print_cycle(params, cond, len(params.changed_feeds) * NEW_ITEMS)
    print_cycle(params, naive, None)
    say("== Conditional cycle vs the naive baseline (same server state) ==")
    say(f"  {'':<28} {'conditional':>12} {'naive':>12} {'ratio':>8}")
    say(
        f"  {'wall time, s':<28} {cond.wall:>12.2f} {naive.wall:>12.2f} "
        f"{fmt_ratio(cond.wall, naive.wall):>8}"
    )
    say(
        f"  {'CPU time, s':<28} {cond.cpu:>12.2f} {naive.cpu:>12.2f} "
        f"{fmt_ratio(cond.cpu, naive.cpu):>8}"
    )
    say(
        f"  {'feeds parsed (200s)':<28} {cond.served_ok:>12} {naive.served_ok:>12} "
        f"{fmt_ratio(cond.served_ok, naive.served_ok):>8}"
    )
    mib_c, mib_n = cond.served_bytes / 2**20, naive.served_bytes / 2**20
    say(f"  {'MiB transferred':<28} {mib_c:>12.2f} {mib_n:>12.2f} {fmt_ratio(mib_c, mib_n):>8}")
    say()


def print_dedup(run: DedupRun) -> None:
    say("== Dedup: url variants of the same stories ==")
    row("stories / address strings", f"{run.stories} / {run.variants} ({run.invalid} invalid)")
    if run.error:
        row("store_many_in", f"FAILED: {run.error[:120]}")
    row("articles stored (url_key)", f"{run.articles} (target {run.stories})")
    row("false merges", f"{run.false_merges} (target 0)")
    row("stories split over several articles", str(run.split_stories))
    row("baseline: raw string as the key", f"{run.naive_raw} articles")
    row("information: clean_url as the key", f"{run.naive_clean} articles")
    row(
        "ratio url_key / raw string",
        f"{fmt_ratio(run.articles, run.naive_raw)} ({run.naive_raw / max(run.articles, 1):.1f}"
        " x fewer articles)",
    )
    row("time to store", f"{run.seconds:.2f} s")
    for line in run.examples:
        say(f"    {line[:180]}")
    say()


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    target: str
    passed: bool


def checks(params: Params, polls: PollRun | None, dedup: DedupRun | None) -> list[Check]:
    out: list[Check] = []
    if polls is not None:
        f, c = polls.first, polls.conditional
        expected = params.feeds * params.items
        out.append(
            Check(
                "cycle 1 items stored",
                f"{f.stored_after:,}",
                f"= {expected:,}",
                f.stored_after == expected and not f.errors,
            )
        )
        out.append(
            Check(
                "cycle 1 wall time",
                f"{f.wall:.1f} s",
                f"< {TARGET_FIRST_SECONDS:g} s",
                f.wall < TARGET_FIRST_SECONDS,
            )
        )
        out.append(
            Check(
                "cycle 2 (304 cycle) wall time",
                f"{c.wall:.2f} s",
                f"< {TARGET_304_SECONDS:g} s",
                c.wall < TARGET_304_SECONDS,
            )
        )
        want_new = len(params.changed_feeds) * NEW_ITEMS
        out.append(Check("cycle 2 new articles", str(c.new), f"= {want_new}", c.new == want_new))
        want_304 = params.feeds - len(params.changed_feeds)
        out.append(
            Check(
                "cycle 2 304 answers",
                str(c.served_304),
                f"= {want_304}",
                c.served_304 == want_304 and not c.errors,
            )
        )
    if dedup is not None:
        out.append(
            Check(
                "dedup stored without error",
                "no" if dedup.error else "yes",
                "yes",
                dedup.error is None,
            )
        )
        out.append(
            Check(
                "dedup articles",
                str(dedup.articles),
                f"= {dedup.stories}",
                dedup.articles == dedup.stories,
            )
        )
        out.append(
            Check("dedup false merges", str(dedup.false_merges), "0", dedup.false_merges == 0)
        )
    return out


def print_summary(results: list[Check]) -> None:
    say("== Summary ==")
    say(f"  {'target':<30} {'value':<12} {'wanted':<10} result")
    for c in results:
        say(f"  {c.name:<30} {c.value:<12} {c.target:<10} {'PASS' if c.passed else 'FAIL'}")
    passed = sum(c.passed for c in results)
    verdict = "PASS" if passed == len(results) else "FAIL"
    say(
        f"Summary: {verdict} ({passed}/{len(results)} targets) — "
        + "; ".join(f"{c.name} {'PASS' if c.passed else 'FAIL'}" for c in results)
    )


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None) -> tuple[Params, str]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest_bench",
        description="Poll cycles of many feeds on a slow local server, and url deduplication.",
    )
    parser.add_argument("--feeds", type=argtypes.positive, default=None, help="feeds (200)")
    parser.add_argument("--items", type=argtypes.positive, default=None, help="items a feed (50)")
    parser.add_argument(
        "--latency", type=argtypes.seconds, default=0.1, help="server latency, s (0.1)"
    )
    parser.add_argument(
        "--changed",
        type=argtypes.share,
        default=0.1,
        help="share of feeds with new items in cycle 2",
    )
    parser.add_argument(
        "--stories", type=argtypes.positive, default=100, help="dedup stories (100)"
    )
    parser.add_argument(
        "--variants", type=argtypes.positive, default=10, help="url variants a story (10)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="20 feeds x 10 items (a fast smoke run)"
    )
    parser.add_argument("--run", choices=["poll", "dedup", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    default_feeds, default_items = (20, 10) if args.quick else (200, 50)
    params = Params(
        feeds=args.feeds or default_feeds,
        items=args.items or default_items,
        latency=args.latency,
        changed=args.changed,
        stories=args.stories,
        variants=args.variants,
        keep=args.keep,
    )
    if params.feeds > 254:
        parser.error("--feeds: at most 254 (one loopback address each)")
    return params, args.run


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


async def run_all(
    params: Params, runs: str, folder: Path
) -> tuple[PollRun | None, DedupRun | None]:
    polls = await run_polls(params, folder) if runs in ("poll", "both") else None
    dedup = await run_dedup(params, folder) if runs in ("dedup", "both") else None
    return polls, dedup


def main(argv: list[str] | None = None) -> int:
    params, runs = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    say(f"parameters: {params.describe()}")
    say(
        f"machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; corpus "
        f"{'found' if CORPUS.exists() else 'absent (made-up text)'}"
    )
    say()
    folder = Path(tempfile.mkdtemp(prefix="newsbot-bench-ingest-"))
    try:
        polls, dedup = asyncio.run(run_all(params, runs, folder))
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except (OSError, httpx.HTTPError) as exc:
        print(f"bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        if params.keep:
            progress(f"(kept {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if polls is not None:
        print_polls(params, polls)
    if dedup is not None:
        print_dedup(dedup)
    results = checks(params, polls, dedup)
    print_summary(results)
    return 0 if all(c.passed for c in results) else 1


if __name__ == "__main__":
    sys.exit(main())

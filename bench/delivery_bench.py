"""Delivery benchmark: the outbox at Telegram's pace to every subscriber, and across a crash.

Run from the project root::

    .venv/bin/python -m bench.delivery_bench              # 2,000 chats, 3 articles, runs A and B
    .venv/bin/python -m bench.delivery_bench --chats 200  # a quick run (about 20 s each)

The scenario (the same for both runs): ``--chats`` subscribed chats (2,000 by default), 75 % of
them private and the rest split between channels (the bot an administrator allowed to post)
and supergroups; every chat is recorded and subscribed with ``storage.chats`` *before*
``--articles`` new articles (3 by default, with distinct titles) are added, so each article is
owed to every chat. The Bot API is ``bot.standin.FakeTelegram`` on 127.0.0.1, living in this
process, answering ``sendMessage`` after ``--latency`` seconds (50 ms) and enforcing Telegram's
limits with ``enforce_limits()`` defaults (1 a second to a private chat, 20 a minute to a group
or channel, 30 a second overall; anything more is answered 429). The bot's own settings are
Telegram's numbers too (PRIVATE_PER_SECOND=1, GROUP_PER_MINUTE=20, GLOBAL_PER_SECOND=30,
SEND_CONCURRENCY=8), set explicitly so neither the environment nor a ``.env`` changes them.

Run A, throughput and pacing, in this process: the real application (``build_application``,
then ``initialize`` and ``post_init`` as ``tests/bot/conftest.py``'s Harness does; polling is
not started), the articles are added, then the clock starts, ``deliveries.enqueue_new`` queues
the outbox and ``Sender.drain`` waits until it is empty.

* messages: pushes the stand-in accepted, against chats x articles.
* wall time: from ``enqueue_new`` to the end of ``drain``.
* rate: messages / wall time, and its ratio to the configured overall limit (target >= 0.9).
  When a small scenario cannot reach that limit because the per-chat limits bind (few chats,
  many articles), the ratio is taken against the best rate those limits allow, and it says so.
* 429s: the stand-in's ``throttled`` counter (target 0); each is classified by which limit it
  hit (private chat, group/channel, overall) from the arrival times.
* spacing violations, from the stand-in's own clock (``time.monotonic()`` at the instant it
  accepts a message, which is when its limiter counts it; ``TimedTelegram`` below records it):
  two messages to one private chat less than 1.0 s apart, or a 21st message to one group or
  channel less than 60 s after the message 20 before it (target 0).
* ordering violations: a message to a chat whose article id is lower than one that chat already
  received (target 0); the article is known from the title, the bold text the message opens with.
* peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the peak resident set size of this
  whole process (the bot, the stand-in and the bench's bookkeeping together), shown next to the
  same figure taken just before the run. Not tracemalloc: tracing would slow the sender down.

Run B, crash safety, with the bot as a separate process: the same scenario is written to a fresh
database, then ``python -m bot run`` starts with BOT_TOKEN, TELEGRAM_API_URL, DATABASE_PATH,
PUSH_INTERVAL_SECONDS=1, an empty SEEDS_DIR and the limits above in its environment (its log
goes to a file). Its ``post_init`` queues the articles and starts delivering. When half of the
messages have been accepted, and as soon as a sendMessage is in flight at the stand-in (the case
that can duplicate; at most 5 s later), it is killed with SIGKILL, then started again and left
running until every (article, chat) pair has arrived and the outbox has nothing pending (or a
time-out), then stopped with SIGINT. The stand-in keeps running throughout.

* lost: expected (article, chat) pairs the stand-in never accepted (target 0).
* duplicated: pairs accepted more than once (target <= SEND_CONCURRENCY, the sends that can be
  in flight at the kill), and the extra copies; every duplicated pair should also be one the
  database marks doubtful.
* doubtful: ``deliveries.counts(db).doubtful`` after the run (rows the restarted bot found in
  'sending' and re-sent); also how many rows were 'sending' right after the kill.
* total time: from the first start of the bot until everything was delivered, and the restart
  gap (the kill to the first message of the new process). The 429s, spacing and ordering of
  run B, and each bot process's peak RSS (VmHWM, read from /proc just before it is stopped),
  are shown for information. (Not ``RUSAGE_CHILDREN``: a child's ru_maxrss keeps the size of
  the forked copy of this process from before its exec, so it reports the bench, not the bot.)

Options: ``--chats N`` (2000), ``--private-share`` (0.75), ``--articles K`` (3), ``--latency``
(0.05 s), ``--run a|b|both`` and ``--keep`` (keep the temporary folders, with the bot's logs).
Progress lines go to stderr every 30 s; the results go to stdout.

The summary table lists each target with PASS or FAIL; the exit status is 0 when all pass, 1 when
one fails, 2 when the bench itself could not run (a clear one-line message, no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from bench import argtypes
from bot.app import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.context import Deps
from bot.standin import JSON, ApiError, FakeTelegram, Fault, Handler
from storage import Database, articles, chats, deliveries, open_database

ROOT = Path(__file__).resolve().parent.parent

#: Telegram's limits, as the stand-in enforces them and the bot is configured with.
PRIVATE_PER_SECOND = 1.0
GROUP_PER_MINUTE = 20
GLOBAL_PER_SECOND = 30
SEND_CONCURRENCY = 8

RATE_TARGET = 0.9
PROGRESS_EVERY = 30.0

BODY = (
    "هذا نص تجريبي لخبر يستخدم في قياس سرعة توزيع الأخبار على المشتركين في القنوات "
    "والمجموعات والمحادثات الخاصة، ويجب أن يصل إلى كل مشترك مرة واحدة وبالترتيب. "
    * 4
    + "\n\n"
    + "وتتابع الفقرة الثانية تفاصيل الخبر مع مزيد من المعلومات عن الحدث وخلفياته. " * 4
)


class BenchError(Exception):
    """The bench could not go on; the message is one clear line (or a few)."""


# --------------------------------------------------------------------------------------------
# The scenario


@dataclass(frozen=True)
class Params:
    chats: int
    private_share: float
    articles: int
    latency: float
    runs: str
    keep: bool

    @property
    def private(self) -> int:
        return round(self.chats * self.private_share)

    @property
    def channels(self) -> int:
        return (self.chats - self.private) // 2

    @property
    def supergroups(self) -> int:
        return self.chats - self.private - self.channels

    @property
    def total(self) -> int:
        return self.chats * self.articles

    def best_seconds(self) -> float:
        """The shortest time Telegram's limits allow for the whole outbox."""
        k = self.articles
        overall = self.total / GLOBAL_PER_SECOND
        private = (k - 1) / PRIVATE_PER_SECOND if self.private else 0.0
        group = ((k - 1) // GROUP_PER_MINUTE) * 60.0 if self.chats > self.private else 0.0
        return max(overall, private, group, 1e-9)

    def attainable_rate(self) -> float:
        """The overall rate the limits allow for this scenario (the configured one, or less)."""
        return min(float(GLOBAL_PER_SECOND), self.total / self.best_seconds())

    def describe(self) -> str:
        return (
            f"{self.chats} chats ({self.private} private, {self.channels} channels, "
            f"{self.supergroups} supergroups), {self.articles} articles = {self.total} messages; "
            f"stand-in latency {self.latency * 1000:.0f} ms on sendMessage, limits enforced "
            f"({PRIVATE_PER_SECOND:g}/s private, {GROUP_PER_MINUTE}/min group/channel, "
            f"{GLOBAL_PER_SECOND}/s overall); bot configured the same, "
            f"SEND_CONCURRENCY={SEND_CONCURRENCY}"
        )


@dataclass(frozen=True)
class World:
    """The chats of the scenario: id -> kind."""

    kinds: dict[int, str]

    @classmethod
    def build(cls, params: Params) -> World:
        kinds: dict[int, str] = {}
        for i in range(params.private):
            kinds[10_000_001 + i] = "private"
        for i in range(params.channels):
            kinds[-1_001_000_000_001 - i] = "channel"
        for i in range(params.supergroups):
            kinds[-1_002_000_000_001 - i] = "supergroup"
        return cls(kinds)

    def install(self, tg: FakeTelegram) -> None:
        """Make every chat known to the stand-in, the bot allowed to post in it."""
        for chat_id, kind in self.kinds.items():
            if kind == "private":
                tg.add_chat(chat_id, "private")
            else:
                tg.add_chat(chat_id, kind, title=f"Bench {kind} {abs(chat_id) % 100_000}")
            if kind == "channel":
                tg.set_member(chat_id, tg.bot_id, "administrator", can_post_messages=True)

    async def subscribe_all(self, db: Database) -> None:
        """Record and subscribe every chat (before any article exists)."""
        for chat_id, kind in self.kinds.items():
            title = None if kind == "private" else f"Bench {kind} {abs(chat_id) % 100_000}"
            await chats.upsert_chat(db, chat_id, kind, title=title)
            await chats.subscribe(db, chat_id, by_user=None)


async def add_articles(db: Database, count: int, tag: str) -> dict[str, int]:
    """Add ``count`` new articles with distinct titles; return title -> id."""
    titles: dict[str, int] = {}
    for i in range(1, count + 1):
        title = f"خبر القياس رقم {i} ({tag})"
        article_id, added = await articles.add(
            db,
            articles.NewArticle(
                title=title,
                body=BODY,
                url=f"https://news.example/bench/{tag}/{i}",
                source="bench",
            ),
        )
        if not added:
            raise BenchError(f"article {title!r} was already in the new database")
        titles[title] = article_id
    return titles


# --------------------------------------------------------------------------------------------
# The stand-in, with arrival times


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # time.monotonic() when the stand-in accepted the message
    chat_id: int
    article_id: int  # -1: not one of the pushed articles


class TimedTelegram(FakeTelegram):
    """FakeTelegram that notes when each message was accepted, and each 429."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: dict[str, int] = {}
        self.arrivals: list[Arrival] = []
        self.refusals: list[tuple[float, int]] = []  # (time, chat id) of each 429
        self.pairs: set[tuple[int, int]] = set()
        #: sendMessage requests being handled (in the latency wait, typically).
        self.in_flight = 0

    async def _run(self, method: str, handler: Handler, params: JSON) -> Any:
        if method != "sendmessage":
            return await super()._run(method, handler, params)
        self.in_flight += 1
        try:
            return await super()._run(method, handler, params)
        finally:
            self.in_flight -= 1

    async def _send_message(self, params: JSON) -> JSON:
        try:
            result = await super()._send_message(params)
        except ApiError as exc:
            if exc.code == 429:
                chat_id = self._lenient_chat_id(params.get("chat_id"))
                self.refusals.append((time.monotonic(), chat_id or 0))
            raise
        now = time.monotonic()
        message = self.sent[-1]
        assert message.message_id == result["message_id"]
        bold = message.bold()
        article_id = self.titles.get(bold[0], -1) if bold else -1
        self.arrivals.append(Arrival(now, message.chat_id, article_id))
        if article_id >= 0:
            self.pairs.add((article_id, message.chat_id))
        return result

    @property
    def pushes(self) -> int:
        return len(self.pairs)


# --------------------------------------------------------------------------------------------
# Measures


@dataclass
class Analysis:
    expected: int
    pushes: int = 0
    other: int = 0
    lost: int = 0
    duplicated_pairs: int = 0
    extra_copies: int = 0
    duplicated: set[tuple[int, int]] = field(default_factory=set)
    private_spacing: int = 0
    group_spacing: int = 0
    min_private_gap: float | None = None
    min_group_span: float | None = None
    ordering: int = 0
    busiest_second: int = 0
    first: float = 0.0
    last: float = 0.0
    throttled: int = 0
    throttled_by: Counter[str] = field(default_factory=Counter)

    @property
    def spacing(self) -> int:
        return self.private_spacing + self.group_spacing


def analyse(tg: TimedTelegram, world: World, titles: dict[str, int]) -> Analysis:
    """Everything the stand-in saw, measured against the limits and the expected pairs."""
    expected = {(a, c) for a in titles.values() for c in world.kinds}
    result = Analysis(expected=len(expected))
    received: Counter[tuple[int, int]] = Counter()
    per_chat: dict[int, list[float]] = {}
    newest: dict[int, int] = {}
    times: list[float] = []
    for arrival in tg.arrivals:
        per_chat.setdefault(arrival.chat_id, []).append(arrival.at)
        if arrival.article_id < 0:
            result.other += 1
            continue
        times.append(arrival.at)
        received[(arrival.article_id, arrival.chat_id)] += 1
        if arrival.article_id < newest.get(arrival.chat_id, -1):
            result.ordering += 1
        newest[arrival.chat_id] = max(newest.get(arrival.chat_id, -1), arrival.article_id)
    result.pushes = sum(received.values())
    result.lost = len(expected - set(received))
    result.duplicated = {pair for pair, n in received.items() if n > 1}
    result.duplicated_pairs = len(result.duplicated)
    result.extra_copies = sum(n - 1 for n in received.values() if n > 1)
    private_gap = 1.0 / PRIVATE_PER_SECOND
    for chat_id, stamps in per_chat.items():
        if chat_id > 0:
            for before, after in itertools.pairwise(stamps):
                gap = after - before
                if gap < private_gap:
                    result.private_spacing += 1
                if result.min_private_gap is None or gap < result.min_private_gap:
                    result.min_private_gap = gap
        else:
            for i in range(GROUP_PER_MINUTE, len(stamps)):
                span = stamps[i] - stamps[i - GROUP_PER_MINUTE]
                if span < 60.0:
                    result.group_spacing += 1
                if result.min_group_span is None or span < result.min_group_span:
                    result.min_group_span = span
    window: deque[float] = deque()
    for stamp in times:
        window.append(stamp)
        while window[0] <= stamp - 1.0:
            window.popleft()
        result.busiest_second = max(result.busiest_second, len(window))
    if times:
        result.first, result.last = times[0], times[-1]
    result.throttled = tg.throttled
    for at, chat_id in tg.refusals:
        stamps = per_chat.get(chat_id, [])
        before = bisect_right(stamps, at)
        if chat_id > 0 and before and at - stamps[before - 1] < private_gap:
            result.throttled_by["private chat"] += 1
        elif chat_id < 0 and before - bisect_right(stamps, at - 60.0) >= GROUP_PER_MINUTE:
            result.throttled_by["group/channel"] += 1
        else:
            result.throttled_by["overall"] += 1
    return result


def peak_rss_mib() -> float:
    """This process's ru_maxrss in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class LogTally(logging.Handler):
    """Counts the in-process bot's warnings and errors (printed as a summary, no tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[mask(f"{record.levelname} {record.name}: {record.getMessage()}")] += 1

    def lines(self) -> list[str]:
        return [f"{n:>6} x {key[:150]}" for key, n in self.counts.most_common(6)]


_LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)$")
_ID = re.compile(r"-?\d{4,}")


def mask(line: str) -> str:
    """A log line with chat ids and other long numbers as #, so alike lines group together."""
    return _ID.sub("#", line)


def log_summary(paths: list[Path]) -> tuple[list[str], int]:
    """The bot processes' warnings and errors, grouped (ids masked), and tracebacks."""
    counts: Counter[str] = Counter()
    tracebacks = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                tracebacks += 1
            match = _LOG_LINE.match(line)
            if match is None:
                continue
            counts[mask(f"{match[1]} {match[2]}")] += 1
    return [f"{n:>6} x {key[:150]}" for key, n in counts.most_common(6)], tracebacks


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return "(no log)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join("    " + line for line in text) or "    (empty log)"


# --------------------------------------------------------------------------------------------
# Printing


def say(text: str = "") -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def row(label: str, value: str) -> None:
    say(f"  {label:<40} {value}")


def fmt_gap(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


@contextlib.contextmanager
def temp_folder(params: Params, prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"newsbot-bench-{prefix}-"))
    try:
        yield path
    finally:
        if params.keep:
            progress(f"  (kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)


async def reporter(tg: TimedTelegram, label: str, total: int, start: float) -> None:
    """A progress line every PROGRESS_EVERY seconds on stderr."""
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        elapsed = time.monotonic() - start
        progress(
            f"  [{label}] {elapsed:6.0f} s: {tg.pushes}/{total} pairs delivered, "
            f"{len(tg.arrivals) / elapsed:.1f} msg/s, 429s {tg.throttled}"
        )


async def start_standin(params: Params, world: World) -> TimedTelegram:
    tg = TimedTelegram()
    await tg.start()
    world.install(tg)
    tg.inject("sendMessage", Fault.latency(params.latency), times=None)
    tg.enforce_limits()  # Telegram's defaults: 1/s private, 20/min group, 30/s overall
    return tg


def settings_values(
    params: Params, tg: TimedTelegram, database: Path, seeds: Path
) -> dict[str, str]:
    return {
        "BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.base_url,
        "DATABASE_PATH": str(database),
        "SEEDS_DIR": str(seeds),
        "PRIVATE_PER_SECOND": f"{PRIVATE_PER_SECOND:g}",
        "GROUP_PER_MINUTE": str(GROUP_PER_MINUTE),
        "GLOBAL_PER_SECOND": str(GLOBAL_PER_SECOND),
        "SEND_CONCURRENCY": str(SEND_CONCURRENCY),
    }


# --------------------------------------------------------------------------------------------
# Run A


@dataclass
class RunA:
    analysis: Analysis
    wall: float
    queued: int
    drained: bool
    sender_sent: int
    sender_throttled: int
    outbox: deliveries.DeliveryCounts
    rss_before: float
    rss_peak: float
    logs: list[str]

    @property
    def rate(self) -> float:
        return self.analysis.pushes / self.wall if self.wall > 0 else 0.0


async def run_a(params: Params) -> RunA:
    world = World.build(params)
    with temp_folder(params, "a") as tmp:
        seeds = tmp / "seeds"
        seeds.mkdir()
        database = tmp / "data" / "news.db"
        tg = await start_standin(params, world)
        tally = LogTally()
        root = logging.getLogger()
        root.addHandler(tally)
        root.setLevel(logging.WARNING)
        try:
            db = await open_database(database)
            try:
                await world.subscribe_all(db)
            finally:
                await db.close()
            values = settings_values(params, tg, database, seeds)
            settings = load_settings(
                **{k.lower(): v for k, v in values.items()},
                push_interval_seconds=3600,
                _env_file=None,
            )
            app = build_application(settings)
            await app.initialize()
            try:
                assert app.post_init is not None
                await app.post_init(app)
                deps: Deps = app.bot_data["deps"]
                titles = await add_articles(deps.db, params.articles, "A")
                tg.titles = titles
                rss_before = peak_rss_mib()
                start = time.monotonic()
                report = asyncio.create_task(reporter(tg, "A", params.total, start))
                drained = True
                try:
                    queued = await deliveries.enqueue_new(deps.db)
                    await deps.sender.drain(within=params.best_seconds() * 2 + 60)
                except TimeoutError:
                    drained = False
                finally:
                    report.cancel()
                wall = time.monotonic() - start
                rss_peak = peak_rss_mib()
                outbox = await deliveries.counts(deps.db)
                sender_sent, sender_throttled = deps.sender.sent, deps.sender.throttled
            finally:
                await app.shutdown()
                if app.post_shutdown is not None:
                    await app.post_shutdown(app)
            return RunA(
                analysis=analyse(tg, world, titles),
                wall=wall,
                queued=queued,
                drained=drained,
                sender_sent=sender_sent,
                sender_throttled=sender_throttled,
                outbox=outbox,
                rss_before=rss_before,
                rss_peak=rss_peak,
                logs=tally.lines(),
            )
        finally:
            root.removeHandler(tally)
            await tg.stop()


def print_a(params: Params, a: RunA) -> None:
    x = a.analysis
    attainable = params.attainable_rate()
    say("== Run A: throughput and pacing (the application in this process) ==")
    other = f" (and {x.other} other messages)" if x.other else ""
    row("messages accepted by the stand-in", f"{x.pushes} / {x.expected} expected{other}")
    row("queued by enqueue_new", str(a.queued))
    if not a.drained:
        row("drain", "TIMED OUT: the outbox was not empty in time")
    row("wall time (enqueue to drained)", f"{a.wall:.1f} s")
    row(
        "best time the limits allow",
        f"{params.best_seconds():.1f} s ({attainable:.2f} msg/s attainable)",
    )
    row(
        "achieved rate",
        f"{a.rate:.2f} msg/s vs the {GLOBAL_PER_SECOND}/s limit: ratio "
        f"{a.rate / GLOBAL_PER_SECOND:.3f}",
    )
    if attainable < GLOBAL_PER_SECOND:
        row("", f"(per-chat limits bind here: ratio to attainable {a.rate / attainable:.3f})")
    if x.pushes > 1:
        span = x.last - x.first
        row(
            "rate seen by the stand-in",
            f"{(x.pushes - 1) / span:.2f} msg/s (first to last message, {span:.1f} s)",
        )
    row("busiest 1 s window", f"{x.busiest_second} messages (limit {GLOBAL_PER_SECOND})")
    by = ", ".join(f"{k} {n}" for k, n in sorted(x.throttled_by.items())) or "none"
    row("429s received (stand-in)", f"{x.throttled} ({by}); sender counted {a.sender_throttled}")
    row(
        "spacing violations",
        f"{x.spacing} (private < 1.0 s: {x.private_spacing}; group/channel > 20 in 60 s: "
        f"{x.group_spacing})",
    )
    row("closest private messages", fmt_gap(x.min_private_gap))
    if x.min_group_span is not None:
        row("shortest span of 21 group messages", fmt_gap(x.min_group_span))
    row("ordering violations", str(x.ordering))
    row("duplicates", f"{x.duplicated_pairs} pairs ({x.extra_copies} extra copies)")
    row(
        "outbox after the run",
        f"sent {a.outbox.sent}, pending {a.outbox.pending}, failed {a.outbox.failed}, "
        f"skipped {a.outbox.skipped}, doubtful {a.outbox.doubtful}; sender.sent {a.sender_sent}",
    )
    row(
        "peak memory (ru_maxrss, whole process)",
        f"{a.rss_peak:.1f} MiB (bot + stand-in + bench; {a.rss_before:.1f} MiB before the run)",
    )
    if a.logs:
        say("  bot warnings/errors:")
        for line in a.logs:
            say(f"  {line}")
    else:
        row("bot warnings/errors", "none")
    say()


# --------------------------------------------------------------------------------------------
# Run B


@dataclass
class RunB:
    analysis: Analysis
    kill_after: int
    sending_at_kill: int
    in_flight: int
    after_kill: int
    restart_gap: float | None
    total_time: float
    finished: bool
    outbox: deliveries.DeliveryCounts
    doubtful_pairs: set[tuple[int, int]]
    exit_code: int | None
    rss_each: list[float | None]
    logs: list[str]
    tracebacks: int


class Bot:
    """``python -m bot run`` as a child process, its output in a log file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.env, self.cwd, self.log = env, cwd, log
        self.process: asyncio.subprocess.Process | None = None
        self._out: IO[bytes] | None = None
        #: The process's peak RSS in MiB (VmHWM), read just before it is stopped.
        self.peak: float | None = None

    async def start(self) -> None:
        self._out = self.log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._out,
            stderr=asyncio.subprocess.STDOUT,
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def check(self, waiting_for: str) -> None:
        if self.process is not None and self.process.returncode is not None:
            raise BenchError(
                f"the bot exited with status {self.process.returncode} while waiting for "
                f"{waiting_for}; the end of its log:\n{tail(self.log)}"
            )

    def note_peak(self) -> None:
        """Read VmHWM from /proc while the process lives (Linux; nothing elsewhere)."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            status = Path(f"/proc/{self.process.pid}/status").read_text()
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if found is not None:
                self.peak = int(found[1]) / 1024.0

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.note_peak()
            self.process.kill()  # SIGKILL
        await self._reap()

    async def interrupt(self, within: float = 30.0) -> int | None:
        """SIGINT (a clean stop), SIGKILL if it has not exited ``within`` seconds."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.note_peak()
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                progress(f"  the bot did not stop within {within:.0f} s of SIGINT: killed")
                self.process.kill()
        await self._reap()
        return self.process.returncode

    async def _reap(self) -> None:
        if self.process is not None:
            await self.process.wait()
        if self._out is not None:
            self._out.close()
            self._out = None


async def wait_until(condition: Callable[[], bool], within: float, what: str, bot: Bot) -> None:
    deadline = time.monotonic() + within
    while not condition():
        bot.check(what)
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)


def bot_env(values: dict[str, str], cwd: Path) -> dict[str, str]:
    """This environment without any newsbot setting, plus the scenario's."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(values)
    env["PUSH_INTERVAL_SECONDS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


async def run_b(params: Params) -> RunB:
    world = World.build(params)
    with temp_folder(params, "b") as tmp:
        seeds = tmp / "seeds"
        seeds.mkdir()
        database = tmp / "data" / "news.db"
        tg = await start_standin(params, world)
        bots: list[Bot] = []
        try:
            db = await open_database(database)
            try:
                await world.subscribe_all(db)
                titles = await add_articles(db, params.articles, "B")
                tg.titles = titles
                env = bot_env(settings_values(params, tg, database, seeds), tmp)
                budget = params.best_seconds() * 2 + 120
                half = params.total // 2

                first = Bot(env, tmp, tmp / "bot-1.log")
                bots.append(first)
                start = time.monotonic()
                report = asyncio.create_task(reporter(tg, "B", params.total, start))
                try:
                    await first.start()
                    await wait_until(
                        lambda: len(tg.arrivals) >= half, budget, "half of the messages", first
                    )
                    # Kill while sends are in flight (the case that can duplicate), unless
                    # none shows up within a few seconds.
                    with contextlib.suppress(BenchError):
                        await wait_until(lambda: tg.in_flight > 0, 5.0, "a send in flight", first)
                    in_flight = tg.in_flight
                    await first.kill()
                    killed_at = time.monotonic()
                    kill_after = len(tg.arrivals)
                    async with db.conn.execute(
                        "SELECT count(*) FROM deliveries WHERE state = 'sending'"
                    ) as cur:
                        found = await cur.fetchone()
                    sending_at_kill = int(found[0]) if found is not None else 0
                    progress(
                        f"  [B] SIGKILL after {kill_after} messages "
                        f"({time.monotonic() - start:.0f} s); restarting"
                    )
                    await asyncio.sleep(0.5)  # what was in flight lands meanwhile, or not
                    after_kill = len(tg.arrivals) - kill_after

                    second = Bot(env, tmp, tmp / "bot-2.log")
                    bots.append(second)
                    await second.start()
                    finished = await wait_for_all(tg, db, params, budget, second)
                    total_time = time.monotonic() - start
                finally:
                    report.cancel()
                restart_gap = next(
                    (a.at - killed_at for a in tg.arrivals[kill_after + after_kill :]), None
                )
                exit_code = await second.interrupt()
                outbox = await deliveries.counts(db)
                async with db.conn.execute(
                    "SELECT article_id, chat_id FROM deliveries WHERE doubtful = 1"
                ) as cur:
                    doubtful_pairs = {(int(r[0]), int(r[1])) for r in await cur.fetchall()}
            finally:
                await db.close()
        finally:
            for bot in bots:
                await bot.kill()
            await tg.stop()
        logs, tracebacks = log_summary([b.log for b in bots])
        return RunB(
            analysis=analyse(tg, world, titles),
            kill_after=kill_after,
            sending_at_kill=sending_at_kill,
            in_flight=in_flight,
            after_kill=after_kill,
            restart_gap=restart_gap,
            total_time=total_time,
            finished=finished,
            outbox=outbox,
            doubtful_pairs=doubtful_pairs,
            exit_code=exit_code,
            rss_each=[b.peak for b in bots],
            logs=logs,
            tracebacks=tracebacks,
        )


async def wait_for_all(
    tg: TimedTelegram, db: Database, params: Params, within: float, bot: Bot
) -> bool:
    """Until every pair arrived and nothing is pending in the outbox; False on time-out."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        bot.check("the rest of the messages")
        if tg.pushes >= params.total and (await deliveries.counts(db)).pending == 0:
            return True
        await asyncio.sleep(0.25)
    progress(f"  [B] timed out after {within:.0f} s with {tg.pushes}/{params.total} delivered")
    return False


def print_b(params: Params, b: RunB) -> None:
    x = b.analysis
    unflagged = len(x.duplicated - b.doubtful_pairs)
    say("== Run B: crash safety (python -m bot run, SIGKILL at half, restart) ==")
    row(
        "killed after",
        f"{b.kill_after} messages accepted, {b.in_flight} requests in flight at the "
        f"stand-in; then {b.sending_at_kill} rows were 'sending' and {b.after_kill} more "
        "messages were accepted",
    )
    row("restart gap", fmt_gap(b.restart_gap) + " (the kill to the next message)")
    if not b.finished:
        row("completion", "TIMED OUT before every pair was delivered")
    row("total time", f"{b.total_time:.1f} s (first start to everything delivered)")
    other = f" (and {x.other} other messages)" if x.other else ""
    row("messages accepted by the stand-in", f"{x.pushes} for {x.expected} expected pairs{other}")
    row("lost (pairs never received)", str(x.lost))
    row(
        "duplicated (pairs received twice+)",
        f"{x.duplicated_pairs} ({x.extra_copies} extra copies); "
        f"{unflagged} of them not marked doubtful",
    )
    row("doubtful (deliveries.counts)", str(b.outbox.doubtful))
    row(
        "outbox after the run",
        f"sent {b.outbox.sent}, pending {b.outbox.pending}, failed {b.outbox.failed}, "
        f"skipped {b.outbox.skipped}",
    )
    by = ", ".join(f"{k} {n}" for k, n in sorted(x.throttled_by.items())) or "none"
    row("429s received (information)", f"{x.throttled} ({by})")
    row(
        "spacing violations (information)",
        f"{x.spacing} (private {x.private_spacing}, group/channel {x.group_spacing}); "
        f"closest private {fmt_gap(x.min_private_gap)}",
    )
    row("ordering violations (information)", str(x.ordering))
    row("bot exit status after SIGINT", str(b.exit_code))
    each = " / ".join("n/a" if m is None else f"{m:.1f}" for m in b.rss_each)
    row("peak memory of the bot processes", f"{each} MiB (VmHWM: first / restarted process)")
    if b.logs:
        say(f"  bot log warnings/errors ({b.tracebacks} tracebacks):")
        for line in b.logs:
            say(f"  {line}")
    else:
        row("bot log warnings/errors", f"none ({b.tracebacks} tracebacks)")
    say()


# --------------------------------------------------------------------------------------------
# Summary


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    target: str
    passed: bool


def checks_a(params: Params, a: RunA) -> list[Check]:
    x = a.analysis
    attainable = params.attainable_rate()
    ratio = a.rate / attainable if attainable > 0 else 0.0
    basis = f"{GLOBAL_PER_SECOND}/s" if attainable >= GLOBAL_PER_SECOND else f"{attainable:.1f}/s"
    return [
        Check(
            "A messages delivered",
            f"{x.pushes}",
            f"= {x.expected}",
            x.pushes == x.expected and x.lost == 0 and a.drained,
        ),
        Check(
            "A rate / limit", f"{ratio:.3f} of {basis}", f">= {RATE_TARGET}", ratio >= RATE_TARGET
        ),
        Check("A 429s", str(x.throttled), "0", x.throttled == 0),
        Check("A spacing violations", str(x.spacing), "0", x.spacing == 0),
        Check("A ordering violations", str(x.ordering), "0", x.ordering == 0),
    ]


def checks_b(b: RunB) -> list[Check]:
    x = b.analysis
    unflagged = len(x.duplicated - b.doubtful_pairs)
    return [
        Check("B all delivered in time", "yes" if b.finished else "no", "yes", b.finished),
        Check("B lost", str(x.lost), "0", x.lost == 0),
        Check(
            "B duplicated pairs",
            str(x.duplicated_pairs),
            f"<= {SEND_CONCURRENCY}",
            x.duplicated_pairs <= SEND_CONCURRENCY,
        ),
        Check(
            "B duplicates marked doubtful", f"{unflagged} unmarked", "0 unmarked", unflagged == 0
        ),
    ]


def print_summary(checks: list[Check]) -> None:
    say("== Summary ==")
    say(f"  {'target':<30} {'value':<18} {'wanted':<10} result")
    for c in checks:
        say(f"  {c.name:<30} {c.value:<18} {c.target:<10} {'PASS' if c.passed else 'FAIL'}")


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None) -> Params:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery_bench",
        description="Delivery throughput, pacing and crash safety against the local stand-in.",
    )
    parser.add_argument(
        "--chats", type=argtypes.positive, default=2000, help="subscribed chats (2000)"
    )
    parser.add_argument(
        "--private-share", type=argtypes.share, default=0.75, help="share of private chats (0.75)"
    )
    parser.add_argument("--articles", type=argtypes.positive, default=3, help="new articles (3)")
    parser.add_argument(
        "--latency",
        type=argtypes.seconds,
        default=0.05,
        help="stand-in sendMessage latency, s (0.05)",
    )
    parser.add_argument("--run", choices=["a", "b", "both"], default="both", help="runs (both)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)
    return Params(
        chats=args.chats,
        private_share=args.private_share,
        articles=args.articles,
        latency=args.latency,
        runs=args.run,
        keep=args.keep,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the bench as Ctrl-C does: the bot is killed, temporary folders removed."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    params = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    say(f"parameters: {params.describe()}")
    say(f"expected time at best: {params.best_seconds():.0f} s per run")
    say()
    checks: list[Check] = []
    try:
        if params.runs in ("a", "both"):
            a = asyncio.run(run_a(params))
            print_a(params, a)
            checks += checks_a(params, a)
        if params.runs in ("b", "both"):
            b = asyncio.run(run_b(params))
            print_b(params, b)
            checks += checks_b(b)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"bench: the bot's settings were refused: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print_summary(checks)
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

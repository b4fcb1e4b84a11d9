"""The outbox sender: every subscriber gets every new article once, in order, as fast as
Telegram allows.

The outbox lives in SQLite (``storage.deliveries``): a row is marked ``sending`` before its
request and ``sent`` (with the message id) after it, so a crash loses nothing; only a send in
flight at the crash may arrive twice, and it is counted as doubtful.

The ``Sender`` is one long-running task. It keeps each chat's pending rows in memory, oldest
first (urgent ones ahead), and picks chats round-robin among those whose pace allows a message
now (``bot.pacing``), at most ``concurrency`` requests at once. What one message does (render,
send, record) is the ``deliver`` function it is given (``bot.delivery.deliver``); its
``Result`` tells the sender what to schedule: nothing more, a retry after a wait (a 429 pauses
the chat, or everything when many chats get one at once), or the chat's queue dropped (the
chat refuses the bot, or moved to a new id).

A stop (``stop``) takes no new rows, lets the requests in flight be answered and recorded
(at most ``STOP_WAIT`` seconds), and leaves any send it had to cut off pending and doubtful.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from telegram import Bot

from bot.config import Settings
from bot.editors import notify_admins
from bot.outcomes import backoff
from bot.pacing import Limits, Pacer
from storage import chats, deliveries
from storage.db import Database
from storage.deliveries import Due

logger = logging.getLogger(__name__)

#: A chat whose last this many deliveries all failed is deactivated, and the editors told.
FAILING_STREAK = 5
#: 429s from this many different chats within a second mean the limit is the bot's, not a chat's.
GLOBAL_429_CHATS = 3
#: How long a stop waits for the requests in flight to be answered.
STOP_WAIT = 10.0
#: How long a stop then waits for the sends it cut off to unwind.
_CUT_OFF_WAIT = 2.0


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # this message only; the chat's next one may go
    RETRY = "retry"  # this message again later (the wait is in Result.wait)
    SKIPPED = "skipped"  # no longer owed (the chat unsubscribed meanwhile)
    GONE = "gone"  # the chat was deactivated: drop what is queued for it
    MOVED = "moved"  # the group migrated: what is queued now lives under the new id


@dataclass(frozen=True)
class Result:
    """What became of one message, already recorded in the outbox."""

    outcome: Outcome
    wait: float = 0.0
    flood: bool = False
    #: The message reached Telegram (SENT, or MOVED after a successful resend).
    delivered: bool = False


class Deliver(Protocol):
    """Send one message (a row, or a digest's rows) to one chat and record what happened."""

    def __call__(
        self,
        bot: Bot,
        db: Database,
        settings: Settings,
        items: Sequence[Due],
        *,
        retry_base: float,
    ) -> Awaitable[Result]: ...


class Sender:
    """Delivers the outbox continuously; ``wake()`` after queueing, ``drain()`` in tests."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        settings: Settings,
        limits: Limits | None = None,
        concurrency: int | None = None,
        retry_base: float = 2.0,
        *,
        deliver: Deliver,
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.pacer = Pacer(limits or settings.limits())
        self.concurrency = concurrency or settings.send_concurrency
        self.retry_base = retry_base
        self._deliver = deliver
        self._queues: dict[int, deque[Due]] = {}
        self._known: set[tuple[str, int, int]] = set()  # (job, article, chat)
        self._in_flight: set[int] = set()
        self._waiting: list[tuple[float, int, int]] = []  # (ready at, seq, chat)
        self._ready: list[tuple[int, int, int]] = []  # (-priority, seq, chat): round-robin
        self._scheduled: set[int] = set()
        self._seq = itertools.count()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._wake = asyncio.Event()
        self._dirty = True
        self._refreshing = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._recent_429: deque[tuple[float, int]] = deque()
        self.sent = 0
        self.edited = 0
        self.deleted = 0
        self.throttled = 0
        #: The wall clock that quiet hours and digest periods are judged by (tests set it).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="newsbot-sender")

    async def stop(self, within: float = STOP_WAIT) -> None:
        """Take no new rows; wait (``within`` seconds at most) until the requests in flight are
        answered and recorded. A send still unanswered then is cut off: its row goes back to
        pending, marked doubtful, since Telegram may have it. Safe to call twice.
        """
        if self._task is not None:
            # The flag as well as the cancel: the loop ends even if the cancel were lost.
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self._tasks:
            return
        logger.info("stopping: waiting for %d sends in flight", len(self._tasks))
        _, late = await asyncio.wait(set(self._tasks), timeout=within)
        if not late:
            return
        logger.warning("%d sends unanswered %.0f s after the stop: cut off", len(late), within)
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=_CUT_OFF_WAIT)
        # Every send of this process has ended: a row still 'sending' is one that was cut off.
        doubtful = await deliveries.recover_in_flight(self.db)
        if doubtful:
            logger.warning("%d cut-off sends are pending again, marked doubtful", doubtful)

    def wake(self) -> None:
        """New rows may be in the outbox: read it again."""
        self._dirty = True
        self._wake.set()

    async def drain(self, within: float = 30.0) -> None:
        """Wait until nothing is queued or in flight (retries included)."""
        self.wake()
        deadline = time.monotonic() + within
        while self._dirty or self._refreshing or self._queues or self._in_flight:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the outbox did not drain in time: queued {dict(self._queues)},"
                    f" in flight {self._in_flight}, dirty {self._dirty}, task {self._task}"
                )
            await asyncio.sleep(0.01)

    # --- scheduling -----------------------------------------------------------------------

    async def _refresh(self) -> None:
        self._dirty = False
        self._refreshing = True
        try:
            await self._load()
        finally:
            self._refreshing = False

    async def _load(self) -> None:
        now_wall = datetime.now(UTC)
        now = time.monotonic()
        touched: set[int] = set()
        # What quiet hours and digests hold is gathered into one digest before it is read.
        clock, tz = self.clock(), self.settings.tz()
        await deliveries.group_held(self.db, now=clock, tz=tz)
        for item in await deliveries.pending(self.db, now=clock, tz=tz):
            key = _key(item)
            if key in self._known:
                continue
            self._known.add(key)
            self._queues.setdefault(item.chat_id, deque()).append(item)
            touched.add(item.chat_id)
            if item.not_before:
                wait = (datetime.fromisoformat(item.not_before) - now_wall).total_seconds()
                if wait > 0:
                    self.pacer.pause_chat(item.chat_id, now + wait)
        for chat_id in touched:
            queue = self._queues[chat_id]
            self._queues[chat_id] = deque(sorted(queue, key=Due.order))
            self._schedule(chat_id)

    def _schedule(self, chat_id: int) -> None:
        """Put a chat with queued messages back in line, unless it is already."""
        if chat_id in self._in_flight or chat_id in self._scheduled:
            return
        if not self._queues.get(chat_id):
            self._queues.pop(chat_id, None)
            return
        self._scheduled.add(chat_id)
        heapq.heappush(
            self._waiting, (self.pacer.chat_ready_at(chat_id), next(self._seq), chat_id)
        )

    def _promote(self, now: float) -> None:
        while self._waiting and self._waiting[0][0] <= now:
            _, _, chat_id = heapq.heappop(self._waiting)
            queue = self._queues.get(chat_id)
            if not queue:
                self._scheduled.discard(chat_id)
                continue
            if self.pacer.chat_ready_at(chat_id) > now:  # paused since it was queued
                heapq.heappush(
                    self._waiting, (self.pacer.chat_ready_at(chat_id), next(self._seq), chat_id)
                )
                continue
            heapq.heappush(self._ready, (-queue[0].priority, next(self._seq), chat_id))

    async def _sleep(self, seconds: float | None) -> None:
        """Wait for a wake-up or the time given, whichever comes first.

        The event is cleared after waking, never before waiting: a wake-up that came while
        the loop was busy is not lost.
        """
        if self._dirty or (seconds is not None and seconds <= 0):
            return
        # Not asyncio.wait_for: on Python 3.11 it swallows a cancel that comes as the event
        # is set, and then a stop would wait for this loop forever.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _run(self) -> None:
        now = time.monotonic()
        # A previous process may have sent to these a moment ago: keep their pace across it,
        # and leave it the overall window it may have filled just before it stopped.
        recent = await deliveries.recently_sent(self.db, 60)
        for chat_id, kind in recent:
            self.pacer.finished(chat_id, kind, now)
        if recent:
            self.pacer.pause_all(now + 1.0 + self.pacer.limits.margin)
        while not self._stopping:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database or a bug: log, wait, carry on
                logger.error("sender: %s: %s", type(exc).__name__, exc)
                logger.debug("sender failure", exc_info=exc)
                self._dirty = True
                await asyncio.sleep(1)

    async def _step(self) -> None:
        if self._dirty:
            await self._refresh()
        now = time.monotonic()
        self._promote(now)
        if not self._ready:
            timeout = self._waiting[0][0] - now if self._waiting else None
            await self._sleep(timeout)
            return
        start_at = self.pacer.global_ready_at(now)
        if start_at > now:
            # An answer (which frees the window) wakes us; otherwise the window's own time.
            await self._sleep(None if start_at == float("inf") else start_at - now)
            return
        await self._slots.acquire()
        _, _, chat_id = heapq.heappop(self._ready)
        self._scheduled.discard(chat_id)
        queue = self._queues.get(chat_id)
        if not queue:
            self._slots.release()
            return
        items = [queue.popleft()]
        if items[0].digest is not None and items[0].is_send:
            # One message lists the whole digest: take its other rows out of the queue too.
            digest = items[0].digest
            items += [d for d in queue if d.digest == digest and d.is_send]
            self._queues[chat_id] = deque(d for d in queue if d not in items)
        self._in_flight.add(chat_id)
        self.pacer.started(time.monotonic())
        task = asyncio.create_task(self._send(items))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, items: list[Due]) -> None:
        item = items[0]
        chat_id = item.chat_id
        try:
            try:
                result = await self._deliver(
                    self.bot, self.db, self.settings, items, retry_base=self.retry_base
                )
            except Exception as exc:  # storage trouble: keep the message for later
                logger.error("delivery of %s to %s: %s", item.article_id, chat_id, exc)
                result = Result(Outcome.RETRY, wait=backoff(item.attempts + 1, self.retry_base))
            now = time.monotonic()
            self.pacer.answered(now)
            self.pacer.finished(chat_id, item.kind, now)
            if result.delivered:
                if item.is_edit:
                    self.edited += 1
                elif item.is_delete:
                    self.deleted += 1
                else:
                    self.sent += 1
            if (
                result.outcome is Outcome.FAILED
                and item.is_send
                and await self._keeps_failing(item)
            ):
                result = Result(Outcome.GONE)
            if result.outcome in (Outcome.SENT, Outcome.FAILED, Outcome.SKIPPED):
                self._known.difference_update(_key(i) for i in items)
            elif result.outcome is Outcome.RETRY:
                queue = self._queues.setdefault(chat_id, deque())
                queue.extendleft(reversed([replace(i, attempts=i.attempts + 1) for i in items]))
                self.pacer.pause_chat(chat_id, now + result.wait)
                if result.flood:
                    self._note_429(chat_id, now, result.wait)
            else:  # GONE or MOVED: what was queued is no longer valid under this id
                for queued in self._queues.pop(chat_id, deque()):
                    self._known.discard(_key(queued))
                self._known.difference_update(_key(i) for i in items)
                self.pacer.forget(chat_id)
                if result.outcome is Outcome.MOVED:
                    self._dirty = True
        finally:
            self._in_flight.discard(chat_id)
            self._schedule(chat_id)
            self._slots.release()
            self._wake.set()

    def _note_429(self, chat_id: int, now: float, wait: float) -> None:
        """Several chats throttled at once: the limit is the bot's; pause everything."""
        self.throttled += 1
        self._recent_429.append((now, chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - 1:
            self._recent_429.popleft()
        if len({c for _, c in self._recent_429}) >= GLOBAL_429_CHATS:
            logger.warning("flood control on many chats: everything waits %.0f s", wait)
            self.pacer.pause_all(now + wait)

    async def _keeps_failing(self, item: Due) -> bool:
        """After a failure: deactivate the chat when its last few deliveries all failed."""
        outcomes = await deliveries.recent_outcomes(self.db, item.chat_id, FAILING_STREAK)
        if len(outcomes) < FAILING_STREAK or any(o != "failed" for o in outcomes):
            return False
        reason = f"the last {FAILING_STREAK} messages failed"
        await chats.unsubscribe(self.db, item.chat_id, reason=reason)
        await notify_admins(self.bot, self.db, self.settings, item.chat_id, reason)
        return True


def _key(item: Due) -> tuple[str, int, int]:
    return (item.job, item.article_id, item.chat_id)

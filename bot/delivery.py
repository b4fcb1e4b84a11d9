"""Delivery: every subscriber gets every new article once, in order, as fast as Telegram allows.

The outbox lives in SQLite (``storage.deliveries``): a row is marked ``sending`` before its
request and ``sent`` (with the message id) after it, so a crash loses nothing; only a send in
flight at the crash may arrive twice, and it is counted as doubtful.

The ``Sender`` is one long-running task. It keeps each chat's pending rows in memory, oldest
first (urgent ones ahead), and picks chats round-robin among those whose pace allows a message
now (``bot.pacing``), at most ``concurrency`` requests at once. Every Telegram answer has its
outcome: sent; pause the chat (or everything) for the time a 429 gives; follow a migrated group;
deactivate a chat that refuses the bot; repair a refused message once as plain text, else fail
it; retry network errors with bounded backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import html
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum

from telegram import Bot
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import render
from bot.config import Settings
from bot.context import AnyContext, deps
from bot.pacing import Limits, Pacer
from bot.strings import language_for
from storage import articles, chats, deliveries
from storage.db import Database
from storage.deliveries import Due

logger = logging.getLogger(__name__)

JOB_NAME = "push"
#: Network failures of one message before it is failed for good.
MAX_ATTEMPTS = 5
#: A chat whose last this many deliveries all failed is deactivated, and the editors told.
FAILING_STREAK = 5
#: BadRequest texts that mean the bot may no longer post in that chat.
_GONE = (
    "chat not found",
    "not enough rights",
    "need administrator rights",
    "chat_write_forbidden",
    "have no rights to send",
)
#: BadRequest texts about the message itself: worth one plain-text repair.
_REPAIRABLE = ("can't parse entities", "message is too long", "text must be non-empty")
#: 429s from this many different chats within a second mean the limit is the bot's, not a chat's.
_GLOBAL_429_CHATS = 3


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # this message only; the chat's next one may go
    RETRY = "retry"  # this message again later (the wait is in Result.wait)
    SKIPPED = "skipped"  # no longer owed (the chat unsubscribed meanwhile)
    GONE = "gone"  # the chat was deactivated: drop what is queued for it
    MOVED = "moved"  # the group migrated: what is queued now lives under the new id


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    wait: float = 0.0
    flood: bool = False
    #: The message reached Telegram (SENT, or MOVED after a successful resend).
    delivered: bool = False


def _iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0).isoformat()


def backoff(attempts: int, base: float = 2.0) -> float:
    """2 s, 4 s, 8 s … (with the default base) capped at 5 minutes."""
    exponent: int = max(attempts, 1) - 1
    return min(base * float(1 << exponent), 300.0)


def seconds_of(retry_after: object) -> float:
    """RetryAfter.retry_after is a timedelta (PTB_TIMEDELTA=1) or, without it, an int."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    if isinstance(retry_after, int | float):
        return float(retry_after)
    return 5.0


def _plain(text: str) -> str:
    """The HTML message reduced to plain text, within Telegram's length."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text)).strip() or "…"
    return render.split_to_fit(plain, int(MessageLimit.MAX_TEXT_LENGTH))[0]


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
    ) -> None:
        self.bot = bot
        self.db = db
        self.settings = settings
        self.pacer = Pacer(limits or settings.limits())
        self.concurrency = concurrency or settings.send_concurrency
        self.retry_base = retry_base
        self._queues: dict[int, deque[Due]] = {}
        self._known: set[tuple[bool, int, int]] = set()  # (edit?, article, chat)
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
        self._tasks: set[asyncio.Task[None]] = set()
        self._recent_429: deque[tuple[float, int]] = deque()
        self.sent = 0
        self.edited = 0
        self.throttled = 0

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="newsbot-sender")

    async def stop(self) -> None:
        """Stop picking new messages and wait for those in flight to be answered."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)

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
        for item in await deliveries.pending(self.db):
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
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
        while True:
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
        if items[0].digest is not None and not items[0].is_edit:
            # One message lists the whole digest: take its other rows out of the queue too.
            digest = items[0].digest
            items += [d for d in queue if d.digest == digest and not d.is_edit]
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
                result = await deliver(
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
                else:
                    self.sent += 1
            if (
                result.outcome is Outcome.FAILED
                and not item.is_edit
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
        if len({c for _, c in self._recent_429}) >= _GLOBAL_429_CHATS:
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


async def notify_admins(
    bot: Bot, db: Database, settings: Settings, chat_id: int, reason: str
) -> None:
    """Tell the editors that a group or channel stopped receiving, and why (best effort)."""
    chat = await chats.get_chat(db, chat_id)
    if chat is None or chat.kind == "private":
        return
    name = f"@{chat.username}" if chat.username else (chat.title or str(chat_id))
    for admin_id in sorted(settings.admin_ids):
        text = render.t(
            settings.default_language, "admin_chat_deactivated", chat=name, reason=reason
        )
        try:
            await bot.send_message(admin_id, text)
        except Exception as exc:  # the editor may never have started the bot
            logger.info("could not tell editor %s: %s", admin_id, exc)


def _key(item: Due) -> tuple[bool, int, int]:
    return (item.is_edit, item.article_id, item.chat_id)


async def _render(
    bot: Bot, db: Database, settings: Settings, item: Due, article_ids: Sequence[int]
) -> render.Message | None:
    """The message for ``article_ids`` in the item's chat: one article, or a digest list."""
    found = [a for a in [await articles.get(db, i) for i in article_ids] if a is not None]
    if not found:
        return None
    language = language_for(item.language, settings.default_language)
    private = item.kind == "private"
    if item.digest is None:
        return render.push_message(
            found[0], language, bot.username or "", private=private, tz=settings.tz()
        )
    return render.digest_message(
        found, language, bot.username or "", private, settings.tz(), more=item.digest_more
    )


async def deliver(
    bot: Bot,
    db: Database,
    settings: Settings,
    items: Sequence[Due],
    *,
    retry_base: float = 2.0,
) -> Result:
    """Send one message (an article, or a digest listing several) to one chat, or correct a
    delivered copy; record what happened."""
    item = items[0]
    if item.is_edit:
        return await _edit(bot, db, settings, item, retry_base=retry_base)
    ids = [i.article_id for i in items]
    message = await _render(bot, db, settings, item, ids)
    if message is None:
        await deliveries.mark_failed(db, ids, item.chat_id, "article deleted")
        return Result(Outcome.FAILED)
    ids = await deliveries.claim(db, ids, item.chat_id)
    if not ids:
        return Result(Outcome.SKIPPED)
    chat_id = item.chat_id
    text: str = message.text
    parse_mode: str | None = "HTML"
    repaired = moved = False
    while True:
        try:
            sent = await bot.send_message(
                chat_id, text, parse_mode=parse_mode, reply_markup=message.keyboard
            )
        except ChatMigrated as exc:
            if moved:
                await deliveries.mark_retry(db, ids, chat_id, "migrated", _iso_in(5))
                return Result(Outcome.MOVED)
            logger.info("chat %s became %s", chat_id, exc.new_chat_id)
            await chats.migrate_chat(db, chat_id, exc.new_chat_id)
            chat_id, moved = exc.new_chat_id, True
            continue
        except RetryAfter as exc:
            wait = seconds_of(exc.retry_after)
            logger.warning("flood control: chat %s waits %.0f s", chat_id, wait)
            await deliveries.mark_retry(db, ids, chat_id, "flood control", _iso_in(wait))
            return Result(Outcome.RETRY, wait=wait, flood=True)
        except Forbidden as exc:
            return await _gone(bot, db, settings, chat_id, exc.message)
        except BadRequest as exc:
            reason = exc.message
            if any(g in reason.lower() for g in _GONE):
                return await _gone(bot, db, settings, chat_id, reason)
            if not repaired and any(r in reason.lower() for r in _REPAIRABLE):
                logger.warning("article %s refused (%s): resent as plain text", ids[0], reason)
                text, parse_mode, repaired = _plain(text), None, True
                continue
            logger.error("article %s refused for chat %s: %s", ids[0], chat_id, reason)
            await deliveries.mark_failed(db, ids, chat_id, reason)
            return Result(Outcome.FAILED)
        except (TimedOut, NetworkError) as exc:
            # TimedOut: Telegram may have delivered it; a resend is counted as doubtful.
            attempts = item.attempts + 1
            reason = f"{type(exc).__name__}: {exc.message}"
            if attempts >= MAX_ATTEMPTS:
                await deliveries.mark_failed(db, ids, chat_id, reason)
                return Result(Outcome.FAILED)
            wait = backoff(attempts, retry_base)
            await deliveries.mark_retry(
                db, ids, chat_id, reason, _iso_in(wait), doubtful=isinstance(exc, TimedOut)
            )
            return Result(Outcome.RETRY, wait=wait)
        await deliveries.mark_sent(db, ids, chat_id, sent.message_id)
        return Result(Outcome.MOVED if moved else Outcome.SENT, delivered=True)


async def _edit(
    bot: Bot, db: Database, settings: Settings, item: Due, *, retry_base: float
) -> Result:
    """Correct a delivered copy where it stands: the same message, edited (never resent).

    A refused edit is recorded on the row and given up; it never deactivates the chat unless
    Telegram says the bot may no longer write there.
    """
    assert item.message_id is not None
    chat_id, message_id = item.chat_id, item.message_id
    shown = await deliveries.message_articles(db, chat_id, message_id)
    message = await _render(bot, db, settings, item, shown or [item.article_id])
    if message is None:
        await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, "deleted")
        return Result(Outcome.FAILED)
    try:
        await bot.edit_message_text(
            message.text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode="HTML",
            reply_markup=message.keyboard,
        )
    except RetryAfter as exc:
        wait = seconds_of(exc.retry_after)
        return Result(Outcome.RETRY, wait=wait, flood=True)
    except Forbidden as exc:
        await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, exc.message)
        return await _gone(bot, db, settings, chat_id, exc.message)
    except BadRequest as exc:
        reason = exc.message
        if "not modified" in reason.lower():  # another row of the same digest got there first
            await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due)
            return Result(Outcome.SENT, delivered=True)
        if any(g in reason.lower() for g in _GONE):
            await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, reason)
            return await _gone(bot, db, settings, chat_id, reason)
        logger.warning(
            "copy of article %s in chat %s not edited: %s", item.article_id, chat_id, reason
        )
        await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, reason)
        return Result(Outcome.FAILED)
    except (TimedOut, NetworkError) as exc:
        attempts = item.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            reason = f"{type(exc).__name__}: {exc.message}"
            await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, reason)
            return Result(Outcome.FAILED)
        return Result(Outcome.RETRY, wait=backoff(attempts, retry_base))
    await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due)
    return Result(Outcome.SENT, delivered=True)


async def _gone(bot: Bot, db: Database, settings: Settings, chat_id: int, reason: str) -> Result:
    """The chat refuses the bot: deactivate it (what it was owed is skipped) and tell editors."""
    logger.info("chat %s refuses the bot (%s): subscription deactivated", chat_id, reason)
    await chats.unsubscribe(db, chat_id, reason=reason)
    await notify_admins(bot, db, settings, chat_id, reason)
    return Result(Outcome.GONE)


async def enqueue_and_wake(context: AnyContext) -> None:
    """The JobQueue tick: queue what arrived since the last one and wake the sender for it
    and for corrections (a correction stored by another process, ``newsbot load``, too)."""
    d = deps(context)
    added = await deliveries.enqueue_new(d.db, d.settings.push_policy())
    if added:
        logger.info("queued %d deliveries", added)
    # Re-reading an unchanged outbox every tick would only stall the loop: only when owed.
    if added or await deliveries.corrections_owed(d.db):
        d.sender.wake()

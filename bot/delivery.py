"""The scheduled push: every subscriber gets every new article once, oldest first.

Each (article, chat) pair is an outbox row in SQLite, marked ``sending`` before the request and
``sent`` (with the message id) after it, so a restart neither repeats nor skips. Every Telegram
error has a named outcome: pause, retry later, follow a migration, deactivate, or fail.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from enum import Enum

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import render
from bot.context import AnyContext, Deps, deps
from bot.strings import language_for
from storage import articles, chats, deliveries
from storage.deliveries import Due

logger = logging.getLogger(__name__)

JOB_NAME = "push"
MAX_ATTEMPTS = 5
#: BadRequest texts that mean the bot may no longer post in that chat.
_GONE = (
    "chat not found",
    "not enough rights",
    "need administrator rights",
    "chat_write_forbidden",
)


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # this article only; go on with the chat's next one
    STOP = "stop"  # nothing more for this chat in this round


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0).isoformat()


def _backoff(attempts: int) -> float:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return float(min(5 * 2 ** max(attempts - 1, 0), 600))


def _seconds(retry_after: object) -> float:
    """RetryAfter.retry_after is an int, or a timedelta with PTB_TIMEDELTA=1."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)  # type: ignore[arg-type]


async def deliver_one(bot: Bot, d: Deps, item: Due) -> Outcome:
    """Send one article to one chat and record what happened."""
    db = d.db
    article = await articles.get(db, item.article_id)
    if article is None:
        await deliveries.mark_failed(db, item.article_id, item.chat_id, "article deleted")
        return Outcome.FAILED
    language = language_for(item.language, d.settings.default_language)
    message = render.push_message(
        article, language, bot.username or "", private=item.kind == "private"
    )
    chat_id = item.chat_id
    await deliveries.mark_sending(db, item.article_id, chat_id)
    for _ in range(2):  # a second pass only after following a migration
        try:
            sent = await bot.send_message(chat_id, message.text, reply_markup=message.keyboard)
        except ChatMigrated as exc:
            logger.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
            await chats.migrate_chat(db, chat_id, exc.new_chat_id)
            chat_id = exc.new_chat_id
            continue
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            logger.warning("flood control: chat %s waits %.0f s", chat_id, wait)
            await deliveries.mark_retry(db, item.article_id, chat_id, "retry after", _later(wait))
            return Outcome.STOP
        except Forbidden as exc:
            logger.info("chat %s refuses the bot (%s): deactivated", chat_id, exc.message)
            await chats.unsubscribe(db, chat_id, reason=f"forbidden: {exc.message}")
            return Outcome.STOP
        except BadRequest as exc:
            if any(g in exc.message.lower() for g in _GONE):
                logger.info("chat %s is gone (%s): deactivated", chat_id, exc.message)
                await chats.unsubscribe(db, chat_id, reason=exc.message)
                return Outcome.STOP
            logger.error("article %s refused for chat %s: %s", item.article_id, chat_id, exc)
            await deliveries.mark_failed(db, item.article_id, chat_id, exc.message)
            return Outcome.FAILED
        except (TimedOut, NetworkError) as exc:  # TimedOut: it may have arrived; retry anyway
            attempts = item.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await deliveries.mark_failed(db, item.article_id, chat_id, f"network: {exc}")
                return Outcome.FAILED
            await deliveries.mark_retry(
                db, item.article_id, chat_id, f"network: {exc}", _later(_backoff(attempts))
            )
            return Outcome.STOP
        await deliveries.mark_sent(db, item.article_id, chat_id, sent.message_id)
        return Outcome.SENT
    await deliveries.mark_retry(db, item.article_id, chat_id, "migrated twice", _later(5))
    return Outcome.STOP


async def _deliver_chat(bot: Bot, d: Deps, items: list[Due]) -> int:
    """One chat's due articles in order; stop at the first outcome that says so."""
    sent = 0
    for item in items:
        outcome = await deliver_one(bot, d, item)
        if outcome is Outcome.SENT:
            sent += 1
        elif outcome is Outcome.STOP:
            break
    return sent


async def push(bot: Bot, d: Deps) -> int:
    """Queue what is new and deliver everything due; return how many messages were sent.

    Only one push runs at a time; a push asked for meanwhile runs right after it.
    """
    if d.push_lock.locked():
        d.push_again = True
        return 0
    total = 0
    async with d.push_lock:
        while True:
            d.push_again = False
            await deliveries.enqueue_new(d.db)
            by_chat: dict[int, list[Due]] = defaultdict(list)
            for item in await deliveries.due(d.db):
                by_chat[item.chat_id].append(item)
            # Chats in parallel (the rate limiter paces them), each chat oldest first.
            results = await asyncio.gather(
                *(_deliver_chat(bot, d, items) for items in by_chat.values())
            )
            total += sum(results)
            if not d.push_again:
                break
    if total:
        logger.info("push sent %d messages", total)
    return total


async def push_job(context: AnyContext) -> None:
    """The JobQueue callback."""
    await push(context.bot, deps(context))


def run_now(context: AnyContext) -> None:
    """Push at once (urgent posts) instead of waiting for the next tick.

    The task is kept in ``Deps.background`` so that shutdown waits for it before the
    database closes.
    """
    d = deps(context)
    task = asyncio.create_task(push(context.bot, d), name=f"{JOB_NAME}-now")
    d.background.add(task)
    task.add_done_callback(d.background.discard)

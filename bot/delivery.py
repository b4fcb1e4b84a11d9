"""Delivery: one message of the outbox rendered, sent and recorded; and the push job.

``deliver`` renders an article (or a digest listing several) for one chat, claims its rows,
sends it and records what Telegram answered, as ``bot.outcomes.classify`` names it: sent;
paused for the time a 429 gives; followed to a migrated group; the chat deactivated when it
refuses the bot; repaired once as plain text, else failed; retried after network errors
(doubtful after a time-out, since the message may have arrived). ``_edit`` corrects a
delivered copy where it stands. The ``bot.sender.Sender`` decides what goes when; the push job
(``enqueue_and_wake``) queues what arrived and wakes it.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from telegram import Bot
from telegram.constants import MessageLimit
from telegram.error import TelegramError

from bot import render
from bot.config import Settings
from bot.context import AnyContext, deps
from bot.editors import notify_admins
from bot.outcomes import Action, Kind, classify
from bot.sender import Outcome, Result
from bot.strings import language_for
from storage import articles, chats, deliveries
from storage.db import Database
from storage.deliveries import Due

logger = logging.getLogger(__name__)

JOB_NAME = "push"


def _iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0).isoformat()


def _plain(text: str) -> str:
    """The HTML message reduced to plain text, within Telegram's length."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text)).strip() or "…"
    return render.split_to_fit(plain, int(MessageLimit.MAX_TEXT_LENGTH))[0]


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
            found[0],
            language,
            bot.username or "",
            private=private,
            tz=settings.tz(),
            urgent=_urgent(item),
        )
    return render.digest_message(
        found, language, bot.username or "", private, settings.tz(), more=item.digest_more
    )


def _urgent(item: Due) -> bool:
    return item.priority >= deliveries.PRIORITY_URGENT


async def _pin(bot: Bot, settings: Settings, item: Due, chat_id: int, message_id: int) -> None:
    """PIN_URGENT: pin breaking news in groups and channels where the bot may (best effort)."""
    if not (settings.pin_urgent and _urgent(item)) or item.kind == "private":
        return
    try:
        await bot.pin_chat_message(chat_id, message_id, disable_notification=True)
    except TelegramError as exc:  # no right to pin there: the news went out all the same
        logger.info("could not pin urgent article %s in %s: %s", item.article_id, chat_id, exc)


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
    if item.is_delete:
        return await _delete(bot, item, db, retry_base=retry_base)
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
            # Only breaking news rings; readers mute a bot whose every article does.
            sent = await bot.send_message(
                chat_id,
                text,
                parse_mode=parse_mode,
                reply_markup=message.keyboard,
                disable_notification=not _urgent(item),
            )
        except TelegramError as exc:
            action = classify(exc, attempts=item.attempts + 1, retry_base=retry_base)
            if action.kind is Kind.MIGRATE and not moved and action.new_chat_id is not None:
                logger.info("chat %s became %s", chat_id, action.new_chat_id)
                await chats.migrate_chat(db, chat_id, action.new_chat_id)
                chat_id, moved = action.new_chat_id, True
                continue
            if action.kind is Kind.REPAIR and not repaired:
                logger.warning("article %s refused (%s): resent as plain text", ids[0], exc)
                text, parse_mode, repaired = _plain(text), None, True
                continue
            return await _not_sent(bot, db, settings, ids, chat_id, action)
        await deliveries.mark_sent(db, ids, chat_id, sent.message_id)
        await _pin(bot, settings, item, chat_id, sent.message_id)
        return Result(Outcome.MOVED if moved else Outcome.SENT, delivered=True)


async def _not_sent(
    bot: Bot, db: Database, settings: Settings, ids: list[int], chat_id: int, action: Action
) -> Result:
    """Record a send Telegram did not take, as ``action`` says."""
    if action.kind is Kind.MIGRATE:  # moved twice in one send: read the chat again later
        await deliveries.mark_retry(db, ids, chat_id, action.reason, _iso_in(5))
        return Result(Outcome.MOVED)
    if action.kind is Kind.PAUSE:
        logger.warning("flood control: chat %s waits %.0f s", chat_id, action.wait)
        await deliveries.mark_retry(db, ids, chat_id, action.reason, _iso_in(action.wait))
        return Result(Outcome.RETRY, wait=action.wait, flood=True)
    if action.kind is Kind.DEACTIVATE:
        return await _gone(bot, db, settings, chat_id, action.reason)
    if action.kind in (Kind.RETRY, Kind.RETRY_DOUBTFUL):
        # After a time-out Telegram may have delivered it: a resend is counted as doubtful.
        doubtful = action.kind is Kind.RETRY_DOUBTFUL
        await deliveries.mark_retry(
            db, ids, chat_id, action.reason, _iso_in(action.wait), doubtful=doubtful
        )
        return Result(Outcome.RETRY, wait=action.wait)
    # FAIL, a REPAIR refused again, or UNCHANGED (never for a new message): this one only.
    logger.error("article %s failed for chat %s: %s", ids[0], chat_id, action.reason)
    await deliveries.mark_failed(db, ids, chat_id, action.reason)
    return Result(Outcome.FAILED)


def _later(action: Action) -> Result | None:
    """An edit or deletion Telegram asks to try again later (429, network), or None."""
    if action.kind is Kind.PAUSE:
        return Result(Outcome.RETRY, wait=action.wait, flood=True)
    if action.kind in (Kind.RETRY, Kind.RETRY_DOUBTFUL):
        return Result(Outcome.RETRY, wait=action.wait)
    return None


async def _delete(bot: Bot, item: Due, db: Database, *, retry_base: float) -> Result:
    """Delete a withdrawn article's copy. A refusal (too old, no right) is recorded on the row
    and reported to the editor; it never deactivates the chat."""
    assert item.message_id is not None
    try:
        await bot.delete_message(item.chat_id, item.message_id)
    except TelegramError as exc:
        action = classify(exc, attempts=item.attempts + 1, retry_base=retry_base)
        if (later := _later(action)) is not None:
            return later
        await deliveries.mark_deleted(db, item.article_id, item.chat_id, str(exc))
        return Result(Outcome.FAILED)
    await deliveries.mark_deleted(db, item.article_id, item.chat_id)
    return Result(Outcome.SENT, delivered=True)


async def _edit(
    bot: Bot, db: Database, settings: Settings, item: Due, *, retry_base: float
) -> Result:
    """Correct a delivered copy where it stands: the same message, edited (never resent).

    A refused edit is recorded on the row and given up; it never deactivates the chat unless
    Telegram says the bot may no longer write there. Repeating an edit is harmless: a time-out
    is retried like any network error.
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
    except TelegramError as exc:
        action = classify(exc, attempts=item.attempts + 1, retry_base=retry_base)
        if (later := _later(action)) is not None:
            return later
        if action.kind is Kind.UNCHANGED:  # another row of the same digest got there first
            await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due)
            return Result(Outcome.SENT, delivered=True)
        await deliveries.mark_edited(db, item.article_id, chat_id, item.edit_due, action.reason)
        if action.kind is Kind.DEACTIVATE:
            return await _gone(bot, db, settings, chat_id, action.reason)
        # FAIL, REPAIR (an edit is never resent as plain text), MIGRATE (the copy stays in
        # the old group; the next send follows the move): this correction is given up.
        logger.warning(
            "copy of article %s in chat %s not edited: %s", item.article_id, chat_id, exc
        )
        return Result(Outcome.FAILED)
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

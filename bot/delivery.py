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
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram import Message as TgMessage
from telegram.constants import MessageLimit
from telegram.error import BadRequest, TelegramError

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
    bot: Bot,
    db: Database,
    settings: Settings,
    item: Due,
    article_ids: Sequence[int],
    *,
    photo: bool = True,
) -> render.Message | None:
    """The message for ``article_ids`` in the item's chat: one article, or a digest list.

    An article with an image is a photo (``photo`` False: the text version, for a photo
    Telegram would not take, or a copy that went out as text).
    """
    found = [a for a in [await articles.get(db, i) for i in article_ids] if a is not None]
    if not found:
        return None
    language = language_for(item.language, settings.default_language)
    private = item.kind == "private"
    if item.digest is None:
        return render.push_message(
            found[0] if photo else replace(found[0], image=None),
            language,
            bot.username or "",
            private=private,
            tz=settings.tz(),
            urgent=_urgent(item),
        )
    return render.digest_message(
        found,
        language,
        bot.username or "",
        private,
        settings.tz(),
        more=item.digest_more,
        # storage.deliveries.group_held gives what quiet hours or a digest held negative ids.
        held=item.digest < 0,
    )


#: sendMessage options a photo does not take (and photo options a text does not).
_TEXT_ONLY = frozenset({"link_preview_options", "entities"})
_PHOTO_ONLY = frozenset({"caption_entities", "has_spoiler", "show_caption_above_media"})
#: Options that belong to the first message only, not to a caption's follow-ups.
_FIRST_ONLY = frozenset({"reply_parameters", "reply_to_message_id", "message_effect_id"})


async def _send_one(bot: Bot, chat_id: int, message: render.Message, **kwargs: Any) -> TgMessage:
    """One message as it stands: a photo with its caption, or a text."""
    if message.photo is None:
        kwargs = {k: v for k, v in kwargs.items() if k not in _PHOTO_ONLY}
        return await bot.send_message(
            chat_id, message.text, reply_markup=message.keyboard, **kwargs
        )
    kwargs = {k: v for k, v in kwargs.items() if k not in _TEXT_ONLY}
    return await bot.send_photo(
        chat_id,
        message.photo,
        caption=message.text or None,
        reply_markup=message.keyboard,
        **kwargs,
    )


async def send_rendered(
    bot: Bot, chat_id: int, message: render.Message, **kwargs: Any
) -> TgMessage:
    """Send a rendered message: its text, or its photo with the caption kept within
    Telegram's 1,024 characters and what did not fit following as text messages.

    ``kwargs`` go to each request (parse_mode, disable_notification, …; those that only a
    text or only a photo takes go where they apply). Returns the main message: the photo
    (which carries the keyboard), or the text.
    """
    main, *rest = render.caption_parts(message)
    sent = await _send_one(bot, chat_id, main, **kwargs)
    later = {k: v for k, v in kwargs.items() if k not in _FIRST_ONLY}
    for follow in rest:
        await _send_one(bot, chat_id, follow, **later)
    return sent


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
            sent = await _send_one(
                bot,
                chat_id,
                replace(message, text=text),
                parse_mode=parse_mode,
                disable_notification=not _urgent(item),
            )
        except TelegramError as exc:
            action = classify(exc, attempts=item.attempts + 1, retry_base=retry_base)
            if action.kind is Kind.MIGRATE and not moved and action.new_chat_id is not None:
                logger.info("chat %s became %s", chat_id, action.new_chat_id)
                await chats.migrate_chat(db, chat_id, action.new_chat_id)
                chat_id, moved = action.new_chat_id, True
                continue
            if message.photo is not None and action.kind in (Kind.REPAIR, Kind.FAIL):
                # A feed's image Telegram cannot fetch, say: the article goes out as text.
                logger.warning("photo of article %s refused (%s): sent as text", ids[0], exc)
                as_text = await _render(bot, db, settings, item, ids, photo=False)
                if as_text is not None:
                    message, text = as_text, as_text.text
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
        try:
            await _edit_one(bot, chat_id, message_id, message)
        except BadRequest as exc:
            if message.photo is None or _NO_CAPTION not in exc.message.lower():
                raise
            # The copy went out as text (Telegram did not take its photo): edit it as text.
            as_text = await _render(
                bot, db, settings, item, shown or [item.article_id], photo=False
            )
            if as_text is None:
                raise
            await _edit_one(bot, chat_id, message_id, as_text)
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


#: Telegram's refusal of editMessageCaption on a message that is a text.
_NO_CAPTION = "there is no caption in the message to edit"


async def _edit_one(bot: Bot, chat_id: int, message_id: int, message: render.Message) -> None:
    """Edit a delivered copy in place: its caption when it is a photo, else its text."""
    if message.photo is None:
        await bot.edit_message_text(
            message.text,
            chat_id=chat_id,
            message_id=message_id,
            parse_mode="HTML",
            reply_markup=message.keyboard,
        )
        return
    await bot.edit_message_caption(
        chat_id=chat_id,
        message_id=message_id,
        caption=message.text,
        parse_mode="HTML",
        reply_markup=message.keyboard,
    )


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
    # Quiet hours or a digest period that ended: what waited goes now, as one digest.
    clock, tz = d.sender.clock(), d.settings.tz()
    await deliveries.group_held(d.db, now=clock, tz=tz)
    # Re-reading an unchanged outbox every tick would only stall the loop: only when owed.
    if (
        added
        or await deliveries.corrections_owed(d.db)
        or await deliveries.released(d.db, now=clock, tz=tz)
    ):
        d.sender.wake()

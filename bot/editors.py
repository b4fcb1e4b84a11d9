"""Telling the site's editors (ADMIN_IDS) what needs them: a chat lost, a feed failing."""

from __future__ import annotations

import logging

from telegram import Bot

from bot.config import Settings
from bot.strings import Lang, language_for
from storage import chat_settings, chats
from storage.db import Database

logger = logging.getLogger(__name__)


async def editor_language(db: Database, settings: Settings, editor_id: int) -> Lang:
    """The editor's own language, as the handlers answer them: their private chat's /language
    choice, else what their Telegram told us, else the default."""
    chosen = (await chat_settings.get(db, editor_id)).language
    if chosen is not None:
        return chosen
    chat = await chats.get_chat(db, editor_id)
    return language_for(chat.language if chat else None, settings.default_language)


async def tell_editors(
    bot: Bot, db: Database, settings: Settings, key: str, **fields: object
) -> int:
    """Send every editor the ``key`` sentence in their language; how many were told.

    A field may be a function of the language (an error put in the editor's words). Best
    effort: an editor who never started the bot cannot be written to, and that is logged.
    """
    from bot.render import t  # render imports storage types only; keep this module light

    told = 0
    for editor_id in sorted(settings.admin_ids):
        language = await editor_language(db, settings, editor_id)
        values = {k: v(language) if callable(v) else v for k, v in fields.items()}
        text = t(language, key, **values)
        try:
            await bot.send_message(editor_id, text)
            told += 1
        except Exception as exc:
            logger.info("could not tell editor %s: %s", editor_id, exc)
    return told


def chat_name(chat_id: int, username: str | None, title: str | None) -> str:
    """How a group or channel is named to people: @username, else its title, else its id."""
    return f"@{username}" if username else (title or str(chat_id))


async def notify_admins(
    bot: Bot, db: Database, settings: Settings, chat_id: int, reason: str
) -> None:
    """Tell the editors, each in their language, that a group or channel stopped receiving,
    and why. Readers' private chats are not worth an editor's attention (best effort)."""
    chat = await chats.get_chat(db, chat_id)
    if chat is None or chat.kind == "private":
        return
    from bot.render import chat_lost_reason

    name = chat_name(chat_id, chat.username, chat.title)
    await tell_editors(
        bot,
        db,
        settings,
        "admin_chat_deactivated",
        chat=name,
        reason=lambda lang: chat_lost_reason(lang, reason),
    )

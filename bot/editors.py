"""Telling the site's editors (ADMIN_IDS) what needs them: a chat lost, a feed failing."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.config import Settings
from bot.strings import COMMANDS, EDITOR_COMMANDS, Lang, language_for
from storage import chat_settings, chats
from storage.db import Database

logger = logging.getLogger(__name__)


async def set_menus(bot: Bot, settings: Settings) -> None:
    """The command menus: the readers' for everyone, in each language, and the editors' own
    (with /post, /edit, /stats…) in each editor's private chat."""
    for language, commands in COMMANDS.items():
        await bot.set_my_commands(
            [BotCommand(name, text) for name, text in commands],
            language_code=None if language == settings.default_language else language,
        )
    for editor_id in settings.admin_ids:
        await set_editor_menu(bot, settings, editor_id)


async def set_editor_menu(bot: Bot, settings: Settings, editor_id: int) -> bool:
    """Give an editor's private chat the editors' menu; False when Telegram does not know the
    chat yet (the editor never started the bot: their /start sets it then)."""
    try:
        for language, commands in EDITOR_COMMANDS.items():
            await bot.set_my_commands(
                [BotCommand(name, text) for name, text in commands],
                scope=BotCommandScopeChat(editor_id),
                language_code=None if language == settings.default_language else language,
            )
    except TelegramError as exc:
        logger.info("editor %s gets the editors' menu at their /start (%s)", editor_id, exc)
        return False
    return True


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

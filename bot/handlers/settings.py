"""A chat's own choices: /settings (with buttons), /quiet, /digest, /language, /pause, /resume.

In groups only admins change them; anyone may look. What the choices mean for pushes lives in
``storage.chat_settings`` (when a push is held) and ``storage.deliveries`` (what is due).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, render
from bot.context import AnyApplication, AnyContext, deps, lang
from bot.handlers.common import command_text, reply, stale_button
from bot.handlers.reader import remember_chat
from bot.handlers.subscriptions import is_group_admin
from bot.render import t
from storage import chat_settings, chats, follows
from storage.chat_settings import DigestMode, Language

logger = logging.getLogger(__name__)

_OFF = frozenset({"off", "none", "no", "stop", "إيقاف", "ايقاف", "إلغاء", "الغاء", "لا"})
_DIGEST_WORDS: dict[str, DigestMode] = {
    "off": "off",
    "hourly": "hourly",
    "hour": "hourly",
    "daily": "daily",
    "day": "daily",
    "ساعة": "hourly",
    "ساعي": "hourly",
    "يومي": "daily",
    "يوميا": "daily",
    "يومياً": "daily",
    **dict.fromkeys(_OFF, "off"),
}
_LANGUAGE_WORDS: dict[str, Language | None] = {
    "ar": "ar",
    "arabic": "ar",
    "عربي": "ar",
    "العربية": "ar",
    "عربية": "ar",
    "en": "en",
    "english": "en",
    "انجليزي": "en",
    "إنجليزي": "en",
    "الإنجليزية": "en",
    "الانجليزية": "en",
    "auto": None,
    "تلقائي": None,
    "تلقائية": None,
}
#: How much of a refused argument is quoted back.
_QUOTE = 40


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"


async def _may_change(update: Update, context: AnyContext) -> bool:
    """Anyone in a private chat; in a group, its admins only (told so otherwise)."""
    chat = update.effective_chat
    assert chat is not None
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return True
    if await is_group_admin(update, context):
        return True
    language = lang(update, context)
    query = update.callback_query
    if query is not None:
        await query.answer(t(language, "settings_admins_only"), show_alert=True)
    else:
        await reply(update, context, [render.Message(t(language, "settings_admins_only"))])
    return False


async def _say(update: Update, context: AnyContext, key: str, **fields: object) -> None:
    await reply(update, context, [render.Message(t(lang(update, context), key, **fields))])


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


async def _view(update: Update, context: AnyContext) -> render.Message:
    d = deps(context)
    chat_id = _chat_id(update)
    current = await chat_settings.get(d.db, chat_id)
    receiving = await follows.receiving(d.db, chat_id)
    language = lang(update, context)
    items = await follows.list_follows(d.db, chat_id)
    labels = [render.topic_label(language, f.label) for f in items]
    return render.settings_message(language, current, receiving, labels, d.settings.timezone)


async def settings_command(update: Update, context: AnyContext) -> None:
    """/settings: every choice of this chat, with buttons to change them."""
    await remember_chat(update, context)
    await reply(update, context, [await _view(update, context)])


@dataclass(frozen=True)
class _Parsed:
    """A settings command read: the change to store (``value``), or why it is refused (the
    answer's key and fields; nothing is stored then)."""

    value: object = None
    error: str | None = None
    fields: dict[str, object] = field(default_factory=dict)


def _parse_quiet(arg: str) -> _Parsed:
    if arg.lower() in _OFF:
        return _Parsed(None)
    window = chat_settings.parse_window(arg)
    if window is None:
        return _Parsed(error="quiet_bad", fields={"text": _quote(arg)})
    return _Parsed(window)


def _parse_digest(arg: str) -> _Parsed:
    words = arg.split()
    mode = _DIGEST_WORDS.get(words[0].lower()) if words else None
    at = chat_settings.parse_hhmm(words[1]) if mode == "daily" and len(words) == 2 else None
    too_long = len(words) > (2 if mode == "daily" else 1)
    if mode is None or too_long or (len(words) == 2 and at is None):
        return _Parsed(error="digest_bad", fields={"text": _quote(arg)})
    return _Parsed((mode, at))


def _parse_language(arg: str) -> _Parsed:
    if arg.lower() not in _LANGUAGE_WORDS:
        return _Parsed(error="language_bad", fields={"text": _quote(arg)})
    return _Parsed(_LANGUAGE_WORDS[arg.lower()])


_PARSERS: dict[str, Callable[[str], _Parsed]] = {
    "quiet": _parse_quiet,
    "digest": _parse_digest,
    "language": _parse_language,
}


async def _store(context: AnyContext, chat_id: int, command: str, value: object) -> str:
    """Store a parsed change; the key of the answer that says so."""
    d = deps(context)
    if command == "quiet":
        window = cast(tuple[str, str] | None, value)
        await chat_settings.set_quiet(d.db, chat_id, window)
        return "quiet_off" if window is None else "quiet_set"
    if command == "digest":
        mode, at = cast(tuple[DigestMode, str | None], value)
        await chat_settings.set_digest(d.db, chat_id, mode, at)
        return f"digest_set_{mode}"
    choice = cast(Language | None, value)
    await _set_language(context, chat_id, choice)
    return "language_auto" if choice is None else "language_set"


async def _usage(update: Update, context: AnyContext, command: str) -> None:
    """A settings command alone: what is set now, and how to change it."""
    d = deps(context)
    language = lang(update, context)
    current = await chat_settings.get(d.db, _chat_id(update))
    describe = {
        "quiet": render.quiet_text,
        "digest": render.digest_text,
        "language": render.language_text,
    }[command]
    value = describe(language, current)
    await _say(update, context, f"{command}_usage", value=value, tz=d.settings.timezone)


async def _command(update: Update, context: AnyContext, command: str) -> None:
    """/quiet, /digest or /language in a private chat or a group."""
    await remember_chat(update, context)
    arg = command_text(update)
    if not arg:
        await _usage(update, context, command)
        return
    parsed = _PARSERS[command](arg)
    if parsed.error is not None:
        await _say(update, context, parsed.error, **parsed.fields)
        return
    if not await _may_change(update, context):
        return
    d = deps(context)
    chat_id = _chat_id(update)
    key = await _store(context, chat_id, command, parsed.value)
    current = await chat_settings.get(d.db, chat_id)
    start, end = current.quiet or ("", "")
    # Said in the chat's language as it is now (a /language answer in the one just chosen).
    await _say(
        update,
        context,
        key,
        start=start,
        end=end,
        at=current.digest_at or "",
        tz=d.settings.timezone,
    )


async def quiet_command(update: Update, context: AnyContext) -> None:
    """/quiet 23:00-07:00, /quiet off; alone: what is set, and how to change it."""
    await _command(update, context, "quiet")


async def digest_command(update: Update, context: AnyContext) -> None:
    """/digest hourly, /digest daily 08:00, /digest off; alone: what is set, and the choices."""
    await _command(update, context, "digest")


async def language_command(update: Update, context: AnyContext) -> None:
    """/language ar|en|auto: the chat's language; alone: what is set, and the choices."""
    await _command(update, context, "language")


async def _set_language(context: AnyContext, chat_id: int, choice: Language | None) -> None:
    d = deps(context)
    await chat_settings.set_language(d.db, chat_id, choice)
    if choice is None:
        d.languages.pop(chat_id, None)
    else:
        d.languages[chat_id] = choice


async def channel_command(update: Update, context: AnyContext) -> None:
    """A settings command posted in a channel (only its admins can post there): stored, and
    the command removed; nothing is said in the channel, so its readers see no bot chatter.
    A command it cannot read stays where it is, and nothing is stored."""
    post = update.channel_post
    chat = update.effective_chat
    if post is None or chat is None or not post.text:
        return
    head, _, arg = post.text.strip().partition(" ")
    command, _, mention = head.lstrip("/").partition("@")
    command = command.lower()
    if mention and mention.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot
    db = deps(context).db
    await chats.upsert_chat(db, chat.id, chat.type, title=chat.title, username=chat.username)
    arg = arg.strip()
    if command in ("pause", "resume"):
        await chat_settings.set_paused(db, chat.id, command == "pause")
    else:
        parsed = _PARSERS[command](arg) if arg else _Parsed(error="usage")
        if parsed.error is not None:
            logger.info("channel %s: %r not understood; nothing stored", chat.id, post.text)
            return
        await _store(context, chat.id, command, parsed.value)
    try:
        await context.bot.delete_message(chat.id, post.message_id)
    except TelegramError as exc:
        logger.info("channel %s: the %s command stays (%s)", chat.id, command, exc)


async def _pause(update: Update, context: AnyContext, paused: bool) -> None:
    await remember_chat(update, context)
    if not await _may_change(update, context):
        return
    changed = await chat_settings.set_paused(deps(context).db, _chat_id(update), paused)
    if paused:
        await _say(update, context, "pause_done" if changed else "pause_already")
    else:
        await _say(update, context, "resume_done" if changed else "resume_already")


async def pause_command(update: Update, context: AnyContext) -> None:
    """/pause: nothing is sent to this chat until /resume."""
    await _pause(update, context, True)


async def resume_command(update: Update, context: AnyContext) -> None:
    """/resume: new articles again, without what was published meanwhile."""
    await _pause(update, context, False)


async def _apply(update: Update, context: AnyContext, action: int) -> None:
    """What a /settings button sets."""
    d = deps(context)
    chat_id = _chat_id(update)
    c = callbacks
    if action in (c.SET_SUBSCRIBE, c.SET_UNSUBSCRIBE):
        if action == c.SET_SUBSCRIBE:
            user = update.effective_user
            await chats.subscribe(d.db, chat_id, user.id if user else None)
        else:
            await chats.unsubscribe(d.db, chat_id)
    elif action in (c.SET_PAUSE, c.SET_RESUME):
        await chat_settings.set_paused(d.db, chat_id, action == c.SET_PAUSE)
    elif action in (c.SET_LANG_AR, c.SET_LANG_EN, c.SET_LANG_AUTO):
        choices: dict[int, Language | None] = {
            c.SET_LANG_AR: "ar",
            c.SET_LANG_EN: "en",
            c.SET_LANG_AUTO: None,
        }
        await _set_language(context, chat_id, choices[action])
    elif action == c.SET_QUIET_OFF:
        await chat_settings.set_quiet(d.db, chat_id, None)
    else:
        modes: dict[int, DigestMode] = {
            c.SET_DIGEST_OFF: "off",
            c.SET_DIGEST_HOURLY: "hourly",
            c.SET_DIGEST_DAILY: "daily",
        }
        current = await chat_settings.get(d.db, chat_id)
        await chat_settings.set_digest(d.db, chat_id, modes[action], current.digest_at)


async def settings_button(update: Update, context: AnyContext) -> None:
    """A /settings button: change the choice, then draw the settings message again in place."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.ChatSetting) or update.effective_chat is None:
        await stale_button(update, context)
        return
    if not await _may_change(update, context):
        return
    await remember_chat(update, context)
    await _apply(update, context, cb.action)
    await query.answer(t(lang(update, context), "settings_saved"))
    view = await _view(update, context)
    try:
        await query.edit_message_text(view.text, reply_markup=view.keyboard)
    except BadRequest as exc:  # the same choice pressed again: the message is already right
        logger.debug("settings message not edited: %s", exc)


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE
    for name, callback in (
        ("settings", settings_command),
        ("quiet", quiet_command),
        ("digest", digest_command),
        ("language", language_command),
        ("pause", pause_command),
        ("resume", resume_command),
    ):
        application.add_handler(CommandHandler(name, callback, filters=only_new))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.CHANNEL_POST
            & filters.Regex(r"^/(quiet|digest|language|pause|resume)(@\w+)?(\s|$)"),
            channel_command,
        )
    )
    application.add_handler(
        CallbackQueryHandler(settings_button, pattern=callbacks.pattern(callbacks.ChatSetting))
    )

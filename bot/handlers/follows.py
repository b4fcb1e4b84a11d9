"""/follow, /unfollow, /following and /topics: a chat receives only what it follows.

Who may change a chat's follows is decided as for /subscribe (bot.handlers.subscriptions): the
reader in a private chat, a group's admins in the group, a channel's admins either in the
channel itself (the command is removed, nothing is answered there) or from their private chat
with ``@channel`` first (``/follow @channel طرطوس``), checked with Telegram.
"""

from __future__ import annotations

import html
import logging
import re
import zlib
from dataclasses import dataclass

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import render
from bot.context import AnyApplication, AnyContext, deps, lang
from bot.handlers.common import command_text, reply, stale_button
from bot.handlers.reader import remember_chat
from bot.handlers.subscriptions import check_channel, is_group_admin, parse_chat_ref
from bot.render import t
from bot.strings import Lang
from storage import follows

logger = logging.getLogger(__name__)

_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

# Buttons: "fu:<chat>:<follow id>" unfollow, "ft:<chat>:<crc32 of the topic key>" toggle a
# topic, "fm:<chat>:<0|1>" receive only what is followed (0) or resume the follows (1).
_UNFOLLOW, _TOPIC, _MODE = "fu", "ft", "fm"


def _data(kind: str, chat_id: int, value: int) -> str:
    return f"{kind}:{chat_id:d}:{value:d}"


_DATA_RE = re.compile(rf"^({_UNFOLLOW}|{_TOPIC}|{_MODE}):(-?[0-9]{{1,18}}):([0-9]{{1,12}})$")


def _parse_data(data: str | None) -> tuple[str, int, int] | None:
    """A button of ours, or None (stale, forged, another kind): ASCII digits only."""
    found = _DATA_RE.match(data or "")
    if found is None:
        return None
    return found.group(1), int(found.group(2)), int(found.group(3))


def _topic_hash(key: str) -> int:
    return zlib.crc32(key.encode())


@dataclass(frozen=True)
class _Target:
    """The chat whose follows a command changes, and what follows the chat reference."""

    chat_id: int
    rest: str
    #: False in a channel: nothing is said there.
    answer: bool = True


async def _target(update: Update, context: AnyContext) -> _Target | None:
    """The chat a command is about, after checking the sender may manage it; None when
    refused (the reason was answered)."""
    chat = update.effective_chat
    assert chat is not None
    language = lang(update, context)
    text = command_text(update)
    if chat.type == ChatType.CHANNEL:
        post = update.channel_post
        words = (post.text or "").split() if post else []
        mention = words[0].partition("@")[2] if words else ""
        if mention and mention.lower() != (context.bot.username or "").lower():
            return None  # addressed to another bot
        await remember_chat(update, context)
        return _Target(chat.id, text, answer=False)
    first, rest = [*text.split(maxsplit=1), "", ""][:2]
    ref = parse_chat_ref(first) if first[:1] in ("@", "-", "t") else None
    if ref is None:
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and not await is_group_admin(
            update, context
        ):
            await reply(update, context, [render.Message(t(language, "follow_admins_only"))])
            return None
        await remember_chat(update, context)
        return _Target(chat.id, text)
    if chat.type != ChatType.PRIVATE:
        await reply(update, context, [render.Message(t(language, "channel_private_only"))])
        return None
    channel = await check_channel(update, context, ref)
    return None if channel is None else _Target(channel.id, rest.strip())


async def _answer(update: Update, context: AnyContext, target: _Target, text: str) -> None:
    if target.answer:
        await reply(update, context, [render.Message(text)])


async def _quiet_in_channel(update: Update, context: AnyContext) -> None:
    """A command posted in a channel is removed when the bot may (its readers see no chatter)."""
    post = update.channel_post
    if post is None:
        return
    try:
        await context.bot.delete_message(post.chat.id, post.message_id)
    except TelegramError as exc:
        logger.info("channel %s: the follow command stays (%s)", post.chat.id, exc)


async def _categories(context: AnyContext) -> list[str]:
    return [topic.name for topic in await follows.topics(deps(context).db)]


def _added_text(language: Lang, added: follows.Added) -> str:
    if added.problem == "empty":
        return t(language, "follow_usage")
    if added.problem is not None:
        limit = follows.MAX_FOLLOWS if added.problem == "too_many" else follows.MAX_CHARS
        return t(language, f"follow_{added.problem}", max=limit)
    assert added.follow is not None
    if not added.new:
        return t(
            language, "follow_already", label=render.topic_label(language, added.follow.label)
        )
    key = "follow_added_topic" if added.follow.kind == "topic" else "follow_added"
    return t(language, key, label=render.topic_label(language, added.follow.label).lstrip("#"))


async def follow(update: Update, context: AnyContext) -> None:
    """/follow WORDS, /follow "a phrase", /follow #topic (each adds one follow)."""
    target = await _target(update, context)
    if target is None:
        return
    language = lang(update, context)
    db = deps(context).db
    user = update.effective_user
    typed = render.topic_typed(target.rest, await _categories(context))
    added = await follows.add(db, target.chat_id, typed, user.id if user else None)
    text = _added_text(language, added)
    if added.new and await follows.receiving(db, target.chat_id) == "everything":
        text += "\n" + t(language, "follow_everything_note")
    await _answer(update, context, target, text)
    if not target.answer:
        await _quiet_in_channel(update, context)


async def unfollow(update: Update, context: AnyContext) -> None:
    """/unfollow WORDS or #topic: remove that follow."""
    target = await _target(update, context)
    if target is None:
        return
    language = lang(update, context)
    if not " ".join(target.rest.split()):
        await _answer(update, context, target, t(language, "unfollow_usage"))
        return
    label = " ".join(target.rest.split())[: follows.MAX_CHARS]
    removed = await follows.remove(
        deps(context).db,
        target.chat_id,
        render.topic_typed(target.rest, await _categories(context)),
    )
    key = "unfollow_done" if removed else "unfollow_none"
    shown = render.topic_label(language, removed.label) if removed else label
    await _answer(update, context, target, t(language, key, label=shown))
    if not target.answer:
        await _quiet_in_channel(update, context)


async def _following_message(context: AnyContext, language: Lang, chat_id: int) -> render.Message:
    db = deps(context).db
    items = await follows.list_follows(db, chat_id)
    state = await follows.receiving(db, chat_id)
    mode: tuple[str, str] | None = None
    if items and state == "everything":
        mode = ("following_only_button", _data(_MODE, chat_id, 0))
    elif items and state == "nothing":
        mode = ("following_resume_button", _data(_MODE, chat_id, 1))
    labels = [
        (render.topic_label(language, f.label), _data(_UNFOLLOW, chat_id, f.id)) for f in items
    ]
    return render.following_message(language, labels, state, mode)


async def following(update: Update, context: AnyContext) -> None:
    """/following: the chat's follows, with a button to drop each."""
    target = await _target(update, context)
    if target is None or not target.answer:
        return
    message = await _following_message(context, lang(update, context), target.chat_id)
    await reply(update, context, [message])


async def _topics_message(context: AnyContext, language: Lang, chat_id: int) -> render.Message:
    db = deps(context).db
    followed = {f.label for f in await follows.list_follows(db, chat_id) if f.kind == "topic"}
    keys = {follows.topic_key(label[1:]) for label in followed}
    items = [
        (topic.name, topic.key in keys, _data(_TOPIC, chat_id, _topic_hash(topic.key)))
        for topic in await follows.topics(db)
    ]
    return render.topics_message(language, items)


async def topics(update: Update, context: AnyContext) -> None:
    """/topics: the articles' categories, a button each to follow or stop following it."""
    target = await _target(update, context)
    if target is None or not target.answer:
        return
    await reply(
        update, context, [await _topics_message(context, lang(update, context), target.chat_id)]
    )


async def _may_manage(update: Update, context: AnyContext, chat_id: int) -> bool:
    """Whoever pressed may change ``chat_id``'s follows: it is their private chat, or they
    are an admin of that group or channel (asked from Telegram)."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    if chat_id == user.id:
        return True
    try:
        member = await context.bot.get_chat_member(chat_id, user.id)
    except TelegramError:
        return False
    return member.status in _ADMINS


async def button(update: Update, context: AnyContext) -> None:
    """The buttons of /following and /topics."""
    query = update.callback_query
    assert query is not None
    parsed = _parse_data(query.data)
    if parsed is None:
        await stale_button(update, context)
        return
    kind, chat_id, value = parsed
    language = lang(update, context)
    if not await _may_manage(update, context, chat_id):
        await query.answer(t(language, "follow_admins_only"), show_alert=True)
        return
    db = deps(context).db
    note = ""
    if kind == _UNFOLLOW:
        removed = await follows.remove_id(db, chat_id, value)
        if removed is None:
            await stale_button(update, context)
            return
        note = t(language, "unfollow_done", label=render.topic_label(language, removed.label))
        message = await _following_message(context, language, chat_id)
    elif kind == _MODE:
        ok = await follows.set_follows_only(db, chat_id, resume=bool(value))
        if not ok:
            await stale_button(update, context)
            return
        note = t(language, "following_resumed" if value else "following_only_done")
        message = await _following_message(context, language, chat_id)
    else:
        topic = next((x for x in await follows.topics(db) if _topic_hash(x.key) == value), None)
        if topic is None:
            await stale_button(update, context)
            return
        label = "#" + topic.name
        removed = await follows.remove(db, chat_id, label)
        if removed is not None:
            note = t(language, "unfollow_done", label=render.topic_label(language, removed.label))
        else:
            added = await follows.add(db, chat_id, label, query.from_user.id)
            note = _added_text(language, added)
        message = await _topics_message(context, language, chat_id)
    await query.answer(_plain(note)[:190])
    try:
        await query.edit_message_text(message.text, reply_markup=message.keyboard)
    except BadRequest:
        await reply(update, context, [message])


def _plain(text: str) -> str:
    """A callback answer is plain text: no HTML there."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("follow", follow, filters=only_new))
    application.add_handler(CommandHandler("unfollow", unfollow, filters=only_new))
    application.add_handler(CommandHandler("following", following, filters=only_new))
    application.add_handler(CommandHandler("topics", topics, filters=only_new))
    channel = filters.UpdateType.CHANNEL_POST
    application.add_handler(
        MessageHandler(channel & filters.Regex(r"^/follow(@\w+)?(\s|$)"), follow)
    )
    application.add_handler(
        MessageHandler(channel & filters.Regex(r"^/unfollow(@\w+)?(\s|$)"), unfollow)
    )
    application.add_handler(
        CallbackQueryHandler(button, pattern=f"^({_UNFOLLOW}|{_TOPIC}|{_MODE}):")
    )

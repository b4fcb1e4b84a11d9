"""/subscribe and /unsubscribe for a reader, a group (its admins) and a channel (from a private
chat, ``/subscribe @channel``, or typed in the channel itself by one of its admins)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import (
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberOwner,
    ChatMemberRestricted,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, render
from bot.context import AnyApplication, AnyContext, deps, lang
from bot.editors import chat_name, notify_admins, tell_editors
from bot.handlers.common import command_text, reply, stale_button
from bot.handlers.reader import remember_chat
from bot.render import t
from bot.strings import Lang, language_for
from storage import chats

logger = logging.getLogger(__name__)

_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
_CHAT_REF = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,16}|-\d{5,16})$")
_CHANNEL_LINK = re.compile(r"^(?:https?://)?t\.me/([A-Za-z][A-Za-z0-9_]{3,31})/?$")


def parse_chat_ref(text: str) -> str | int | None:
    """``@name``, ``t.me/name`` or a numeric ``-100…`` id; None for anything else."""
    text = text.strip()
    link = _CHANNEL_LINK.match(text)
    if link:
        return "@" + link.group(1)
    if not _CHAT_REF.match(text):
        return None
    return text if text.startswith("@") else int(text)


async def is_group_admin(update: Update, context: AnyContext) -> bool:
    chat = update.effective_chat
    message = update.effective_message
    assert chat is not None
    # An anonymous admin writes as the group itself.
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in _ADMINS


async def _toggle_here(update: Update, context: AnyContext, on: bool) -> None:
    """Subscribe or unsubscribe the chat the command was sent in."""
    chat = update.effective_chat
    assert chat is not None
    language = lang(update, context)
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and not await is_group_admin(
        update, context
    ):
        await reply(update, context, [render.Message(t(language, "sub_group_admins_only"))])
        return
    await remember_chat(update, context)
    db = deps(context).db
    user = update.effective_user
    if on:
        changed = await chats.subscribe(db, chat.id, user.id if user else None)
        key = "sub_done" if changed else "sub_already"
    else:
        changed = await chats.unsubscribe(db, chat.id)
        key = "unsub_done" if changed else "unsub_none"
    await reply(update, context, [render.Message(t(language, key))])


@dataclass(frozen=True)
class CheckedChannel:
    """A channel (or group) the requester administers, as Telegram names it."""

    id: int
    shown: str


async def check_channel(
    update: Update, context: AnyContext, ref: str | int, *, must_post: bool = True
) -> CheckedChannel | None:
    """One rule for managing a channel from a private chat (``/subscribe @channel``,
    ``/follow @channel …``): ask Telegram who is who; the requester must administer it and,
    with ``must_post``, the bot must be able to post there. On a refusal the requester is told
    why and None is returned; otherwise the chat is recorded."""
    language: Lang = lang(update, context)
    user = update.effective_user
    assert user is not None
    shown = str(ref)
    try:
        chat = await context.bot.get_chat(ref)
        shown = chat_name(chat.id, chat.username, chat.title)
        requester = await context.bot.get_chat_member(chat.id, user.id)
        bot_member = await context.bot.get_chat_member(chat.id, context.bot.id)
    except (BadRequest, Forbidden):
        await reply(
            update, context, [render.Message(t(language, "channel_not_found", chat=shown))]
        )
        return None
    except NetworkError:
        logger.warning("could not check %s with Telegram", shown)
        await reply(update, context, [render.Message(t(language, "telegram_busy"))])
        return None
    if chat.type == ChatType.PRIVATE:
        await reply(update, context, [render.Message(t(language, "channel_bad_ref"))])
        return None
    if requester.status not in _ADMINS:
        await reply(
            update, context, [render.Message(t(language, "channel_not_admin_you", chat=shown))]
        )
        return None
    if must_post and not bot_can_post(bot_member, chat.type):
        await reply(
            update, context, [render.Message(t(language, "channel_bot_cannot_post", chat=shown))]
        )
        return None
    await chats.upsert_chat(
        deps(context).db, chat.id, chat.type, title=chat.title, username=chat.username
    )
    return CheckedChannel(chat.id, shown)


async def _toggle_channel(update: Update, context: AnyContext, ref: str, on: bool) -> None:
    """Manage a channel's subscription from a private chat, after asking Telegram who is who."""
    language: Lang = lang(update, context)
    target = parse_chat_ref(ref)
    if target is None:
        await reply(update, context, [render.Message(t(language, "channel_bad_ref"))])
        return
    user = update.effective_user
    assert user is not None
    channel = await check_channel(update, context, target, must_post=on)
    if channel is None:
        return
    db = deps(context).db
    if on:
        changed = await chats.subscribe(db, channel.id, user.id)
        key = "channel_done" if changed else "channel_already"
    else:
        changed = await chats.unsubscribe(db, channel.id)
        key = "channel_unsub_done" if changed else "channel_unsub_none"
    await reply(update, context, [render.Message(t(language, key, chat=channel.shown))])


async def _dispatch(update: Update, context: AnyContext, on: bool) -> None:
    chat = update.effective_chat
    assert chat is not None
    ref = command_text(update)
    if ref:
        if chat.type != ChatType.PRIVATE:
            await reply(
                update, context, [render.Message(t(lang(update, context), "channel_private_only"))]
            )
            return
        await _toggle_channel(update, context, ref.split()[0], on)
        return
    await _toggle_here(update, context, on)


async def subscribe(update: Update, context: AnyContext) -> None:
    """Subscribe this chat, or the channel named after the command."""
    await _dispatch(update, context, on=True)


async def unsubscribe(update: Update, context: AnyContext) -> None:
    """Unsubscribe this chat, or the channel named after the command."""
    await _dispatch(update, context, on=False)


async def channel_command(update: Update, context: AnyContext) -> None:
    """/subscribe or /unsubscribe posted in a channel: only its admins can post there."""
    post = update.channel_post
    chat = update.effective_chat
    if post is None or chat is None or not post.text:
        return
    command, _, mention = post.text.split()[0].lstrip("/").partition("@")
    if mention and mention.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot
    on = command.lower() == "subscribe"
    db = deps(context).db
    await chats.upsert_chat(db, chat.id, chat.type, title=chat.title, username=chat.username)
    if on:
        changed = await chats.subscribe(db, chat.id, None)
    else:
        changed = await chats.unsubscribe(db, chat.id)
    # The channel stays clean for its readers: no confirmation there, and the command itself
    # is removed when the bot may delete messages (its disappearance is the acknowledgement).
    try:
        await context.bot.delete_message(chat.id, post.message_id)
    except TelegramError as exc:
        logger.info("channel %s: the %s command stays (%s)", chat.id, command, exc)
    if changed:
        d = deps(context)
        name = chat_name(chat.id, chat.username, chat.title)
        key = "editors_channel_on" if on else "editors_channel_off"
        await tell_editors(context.bot, d.db, d.settings, key, chat=name)


def bot_can_post(member: ChatMember, chat_type: str) -> bool:
    """Whether the bot, as this member of a chat, may post there."""
    if isinstance(member, ChatMemberOwner):
        return True
    if chat_type == ChatType.CHANNEL:
        return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    if isinstance(member, ChatMemberRestricted):
        return bool(member.can_send_messages) and member.is_member
    return member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


async def bot_membership(update: Update, context: AnyContext) -> None:
    """The bot was added, promoted, demoted or removed: follow it."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    d = deps(context)
    if chat.type == ChatType.PRIVATE:
        if change.new_chat_member.status == ChatMemberStatus.BANNED:  # blocked by the reader
            await chats.unsubscribe(d.db, chat.id, reason="the reader blocked the bot")
        return
    can_post = bot_can_post(change.new_chat_member, chat.type)
    if not can_post:
        reason = f"the bot is now {change.new_chat_member.status} there"
        if await chats.unsubscribe(d.db, chat.id, reason=reason):
            logger.info("chat %s: %s; subscription deactivated", chat.id, reason)
            await notify_admins(context.bot, d.db, d.settings, chat.id, reason)
        return
    could_post = bot_can_post(change.old_chat_member, chat.type)
    by = change.from_user
    if chat.type != ChatType.CHANNEL or could_post or by.id not in d.settings.admin_ids:
        return
    await chats.upsert_chat(d.db, chat.id, chat.type, title=chat.title, username=chat.username)
    sub = await chats.subscription(d.db, chat.id)
    if sub is not None and sub.active:
        return
    name = chat_name(chat.id, chat.username, chat.title)
    language = language_for(by.language_code, d.settings.default_language)
    offer = render.offer_subscription(language, chat.id, name)
    try:
        await context.bot.send_message(by.id, offer.text, reply_markup=offer.keyboard)
    except (Forbidden, BadRequest):
        logger.info("editor %s has no private chat with the bot: no offer sent", by.id)


async def subscribe_button(update: Update, context: AnyContext) -> None:
    """An editor accepts the offer to subscribe a channel (checked with Telegram again)."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    language = lang(update, context)
    d = deps(context)
    if not isinstance(cb, callbacks.SubscribeChat):
        await stale_button(update, context)
        return
    if query.from_user.id not in d.settings.admin_ids:
        await query.answer(t(language, "admin_only"), show_alert=True)
        return
    await query.answer()
    try:
        chat = await context.bot.get_chat(cb.chat_id)
        member = await context.bot.get_chat_member(cb.chat_id, context.bot.id)
    except (BadRequest, Forbidden):
        await reply(
            update, context, [render.Message(t(language, "channel_not_found", chat=cb.chat_id))]
        )
        return
    shown = chat_name(chat.id, chat.username, chat.title)
    if not bot_can_post(member, chat.type):
        await reply(
            update, context, [render.Message(t(language, "channel_bot_cannot_post", chat=shown))]
        )
        return
    await chats.upsert_chat(d.db, chat.id, chat.type, title=chat.title, username=chat.username)
    changed = await chats.subscribe(d.db, chat.id, query.from_user.id)
    key = "channel_done" if changed else "channel_already"
    text = t(language, key, chat=shown)
    try:
        await query.edit_message_text(text)
    except BadRequest:
        await reply(update, context, [render.Message(text)])


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("subscribe", subscribe, filters=only_new))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe, filters=only_new))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.CHANNEL_POST & filters.Regex(r"^/(un)?subscribe(@\w+)?(\s|$)"),
            channel_command,
        )
    )
    application.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(
        CallbackQueryHandler(subscribe_button, pattern=callbacks.pattern(callbacks.SubscribeChat))
    )

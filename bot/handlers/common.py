"""Small helpers every handler module uses."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Message as TgMessage
from telegram import Update

from bot.context import AnyContext, lang
from bot.render import Message, t


async def reply(
    update: Update, context: AnyContext, messages: Sequence[Message]
) -> list[TgMessage]:
    """Send messages, in order, to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return []
    sent = []
    for message in messages:
        sent.append(
            await context.bot.send_message(chat.id, message.text, reply_markup=message.keyboard)
        )
    return sent


async def stale_button(update: Update, context: AnyContext) -> None:
    """A button the bot no longer knows (an old version's, a deleted search): say so briefly,
    so the reader's button stops spinning."""
    query = update.callback_query
    if query is None:
        return
    await query.answer(t(lang(update, context), "button_stale"))


def command_text(update: Update) -> str:
    """The text after the command word (``/search@bot  a "b"`` → ``a "b"``), newlines kept."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if not text.startswith("/"):
        return text.strip()
    first_space = min((i for i in (text.find(" "), text.find("\n")) if i >= 0), default=len(text))
    return text[first_space:].strip()

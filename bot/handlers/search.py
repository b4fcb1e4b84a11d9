"""/search WORDS (and plain text in a private chat): results five a page, with "more"."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, render
from bot.context import AnyApplication, AnyContext, deps, lang
from bot.handlers.common import command_text, reply
from bot.render import t
from storage import queries, search

PAGE = 5


async def run_search(update: Update, context: AnyContext, query: str) -> None:
    language = lang(update, context)
    query = query.strip()  # storage.search cuts what is too long to be a query
    if not query:
        await reply(update, context, [render.Message(t(language, "search_usage"))])
        return
    db = deps(context).db
    result = await search.search(db, query, limit=PAGE, offset=0)
    # Saved whenever it found something: pages, the other order and "back to the results".
    query_id = await queries.remember(db, query) if result.total else 0
    tz = deps(context).settings.tz()
    message = render.search_message(
        result, language, 0, query_id, tz, page_size=PAGE, **_where(update, context)
    )
    await reply(update, context, [message])


def _where(update: Update, context: AnyContext) -> dict[str, Any]:
    """Where the results are shown: a private chat reads in place, a group gets deep links."""
    chat = update.effective_chat
    private = chat is None or chat.type == ChatType.PRIVATE
    return {"bot_username": context.bot.username or "", "private": private}


async def search_command(update: Update, context: AnyContext) -> None:
    """Search the archive for the words after the command."""
    await run_search(update, context, command_text(update))


async def search_text(update: Update, context: AnyContext) -> None:
    """In a private chat, any plain text is a search."""
    await run_search(update, context, command_text(update))


async def page_button(update: Update, context: AnyContext) -> None:
    """Another page of a search, or the other order, in place of the current page."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    language = lang(update, context)
    db = deps(context).db
    page = cb if isinstance(cb, callbacks.SearchPage | callbacks.SearchNewest) else None
    text = await queries.recall(db, page.query_id) if page is not None else None
    if page is None or text is None:
        await query.answer(t(language, "search_expired"), show_alert=True)
        return
    await query.answer()
    newest = isinstance(page, callbacks.SearchNewest)
    result = await search.search(db, text, limit=PAGE, offset=page.offset, newest=newest)
    message = render.search_message(
        result,
        language,
        page.offset,
        page.query_id,
        deps(context).settings.tz(),
        newest,
        PAGE,
        **_where(update, context),
    )
    try:
        await query.edit_message_text(message.text, reply_markup=message.keyboard)
    except BadRequest:
        # The results message is gone or too old to edit: send the page as a new one.
        await reply(update, context, [message])


def register(application: AnyApplication) -> None:
    application.add_handler(
        CommandHandler("search", search_command, filters=filters.UpdateType.MESSAGE)
    )
    for kind in (callbacks.SearchPage, callbacks.SearchNewest):
        application.add_handler(CallbackQueryHandler(page_button, pattern=callbacks.pattern(kind)))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE
            & filters.TEXT
            & ~filters.COMMAND,
            search_text,
        )
    )

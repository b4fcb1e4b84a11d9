"""/search WORDS (and plain text in a private chat): results five a page, with "more"."""

from __future__ import annotations

from telegram import Update
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
    query_id = await queries.remember(db, query) if result.total > PAGE else 0
    tz = deps(context).settings.tz()
    await reply(update, context, [render.search_message(result, language, 0, query_id, tz)])


async def search_command(update: Update, context: AnyContext) -> None:
    """Search the archive for the words after the command."""
    await run_search(update, context, command_text(update))


async def search_text(update: Update, context: AnyContext) -> None:
    """In a private chat, any plain text is a search."""
    await run_search(update, context, command_text(update))


async def more_button(update: Update, context: AnyContext) -> None:
    """The next page of a search, in place of the current one."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    language = lang(update, context)
    db = deps(context).db
    text = await queries.recall(db, cb.query_id) if isinstance(cb, callbacks.SearchPage) else None
    if not isinstance(cb, callbacks.SearchPage) or text is None:
        await query.answer(t(language, "search_expired"), show_alert=True)
        return
    await query.answer()
    result = await search.search(db, text, limit=PAGE, offset=cb.offset)
    message = render.search_message(
        result, language, cb.offset, cb.query_id, deps(context).settings.tz()
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
    application.add_handler(
        CallbackQueryHandler(more_button, pattern=callbacks.pattern(callbacks.SearchPage))
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE
            & filters.TEXT
            & ~filters.COMMAND,
            search_text,
        )
    )

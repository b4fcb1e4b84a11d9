"""Reading: /start (with an ``a<id>`` deep link), /help, /latest, /next, /prev, open buttons."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import command_text, reply, stale_button
from bot.numbers import parse_int
from bot.render import t
from storage import articles, chats

DEFAULT_LATEST = 5
MAX_LATEST = 20
_DEEP_LINK = re.compile(r"^a(\d{1,18})$")


async def remember_chat(update: Update, context: AnyContext) -> None:
    """Record the chat (and a private reader's language) as soon as it talks to the bot."""
    chat = update.effective_chat
    if chat is None:
        return
    user = update.effective_user
    language = user.language_code if user is not None and chat.type == "private" else None
    await chats.upsert_chat(
        deps(context).db,
        chat.id,
        chat.type,
        title=chat.title or chat.full_name,
        username=chat.username,
        language=language,
    )


async def open_article(update: Update, context: AnyContext, article_id: int) -> None:
    """Show an article in full with Previous / Next, and remember it as the reader's position."""
    db = deps(context).db
    language = lang(update, context)
    article = await articles.get(db, article_id)
    if article is None:
        await reply(update, context, [render.Message(t(language, "article_missing"))])
        return
    prev_id, next_id = await articles.neighbours(db, article.id)
    tz = deps(context).settings.tz()
    messages = render.article_messages(article, language, prev_id, next_id, tz)
    if update.effective_user is not None:
        await chats.set_position(db, update.effective_user.id, article.id)
    # Always new messages: the article read before stays in the chat above, as in a feed.
    await reply(update, context, messages)


async def start(update: Update, context: AnyContext) -> None:
    """Welcome the reader, or open the article a deep link points at."""
    await remember_chat(update, context)
    match = _DEEP_LINK.match(context.args[0]) if context.args else None
    if match:
        await open_article(update, context, int(match.group(1)))
        return
    await reply(
        update,
        context,
        [render.Message(t(lang(update, context), "welcome", site=context.bot.first_name))],
    )


async def help_command(update: Update, context: AnyContext) -> None:
    """List every command (and the editors' ones to editors)."""
    language = lang(update, context)
    text = t(language, "help")
    if is_admin(update, context):
        text += t(language, "help_admin")
    await reply(update, context, [render.Message(text)])


def parse_count(text: str) -> int | None:
    """``/latest`` count: default 5, 1..20; None when it is not such a number."""
    if not text.strip():
        return DEFAULT_LATEST
    n = parse_int(text)
    return n if n is not None and 1 <= n <= MAX_LATEST else None


async def latest(update: Update, context: AnyContext) -> None:
    """The newest n articles, each openable with a button."""
    language = lang(update, context)
    n = parse_count(command_text(update))
    if n is None:
        await reply(update, context, [render.Message(t(language, "latest_bad_n"))])
        return
    items = await articles.latest(deps(context).db, n)
    if not items:
        await reply(update, context, [render.Message(t(language, "no_articles"))])
        return
    tz = deps(context).settings.tz()
    await reply(update, context, [render.latest_message(items, language, tz)])


async def _step(update: Update, context: AnyContext, forward: bool) -> None:
    db = deps(context).db
    language = lang(update, context)
    user = update.effective_user
    position = await chats.get_position(db, user.id) if user is not None else None
    if position is None or await articles.get(db, position) is None:
        if forward:
            newest = await articles.latest(db, 1)
            if newest:
                await open_article(update, context, newest[0].id)
                return
            await reply(update, context, [render.Message(t(language, "no_articles"))])
            return
        await reply(update, context, [render.Message(t(language, "no_position"))])
        return
    prev_id, next_id = await articles.neighbours(db, position)
    target = next_id if forward else prev_id
    if target is None:
        await reply(
            update, context, [render.Message(t(language, "no_next" if forward else "no_prev"))]
        )
        return
    await open_article(update, context, target)


async def next_command(update: Update, context: AnyContext) -> None:
    """The article after the reader's last one (the newest when there is none yet)."""
    await _step(update, context, forward=True)


async def prev_command(update: Update, context: AnyContext) -> None:
    """The article before the reader's last one."""
    await _step(update, context, forward=False)


async def open_button(update: Update, context: AnyContext) -> None:
    """An "open article" button: a list entry, a search hit, Previous or Next."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.OpenArticle):
        await stale_button(update, context)
        return
    await query.answer()
    await open_article(update, context, cb.article_id)


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE  # an edited command must not run twice
    application.add_handler(CommandHandler("start", start, filters=only_new))
    application.add_handler(CommandHandler("help", help_command, filters=only_new))
    application.add_handler(CommandHandler("latest", latest, filters=only_new))
    application.add_handler(CommandHandler("next", next_command, filters=only_new))
    application.add_handler(CommandHandler("prev", prev_command, filters=only_new))
    application.add_handler(
        CallbackQueryHandler(open_button, pattern=callbacks.pattern(callbacks.OpenArticle))
    )

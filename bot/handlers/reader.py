"""Reading: /start (with an ``a<id>`` deep link), /help, /latest, /next, /prev, /popular, and
the buttons that read an article in place.

An opened article is one message. Its buttons (the article's parts, Previous / Next, back to
the list it came from) edit that message; a list's entry turns the list into the article. In a
group or channel nothing is read in place: an article opens in the reader's private chat.
"""

from __future__ import annotations

import contextlib
import re

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, editors, outcomes, render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import command_text, reply, stale_button
from bot.numbers import parse_int
from bot.render import t
from bot.strings import Lang
from storage import articles, chats, opens
from storage.articles import Article

DEFAULT_LATEST = 5
MAX_LATEST = callbacks.LATEST_MAX
#: Articles /popular lists, as the site's own "Most Popular" box.
POPULAR_SIZE = 10
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


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _answer(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False, url: str | None = None
) -> None:
    """Stop the button's spinner; a query Telegram no longer takes (too old) costs nothing."""
    with contextlib.suppress(BadRequest):
        await query.answer(text, show_alert=alert or None, url=url)


async def _opened(update: Update, context: AnyContext, article_id: int) -> None:
    """The reader opened the article: their position for /next and /prev, and one open for
    /popular (counted once per reader)."""
    user = update.effective_user
    if user is None:
        return
    db = deps(context).db
    await chats.set_position(db, user.id, article_id)
    await opens.record(db, user.id, article_id)


async def _view(
    context: AnyContext,
    article: Article,
    language: Lang,
    page: int = 0,
    back: callbacks.ListCallback | None = None,
) -> render.Message:
    prev_id, next_id = await articles.neighbours(deps(context).db, article.id)
    tz = deps(context).settings.tz()
    return render.article_view(article, language, prev_id, next_id, page=page, back=back, tz=tz)


async def open_article(update: Update, context: AnyContext, article_id: int) -> None:
    """Show an article as a new message (a command, a deep link, a pushed article's button):
    one message, paged, with Previous / Next; remember it as the reader's position.

    In a group or channel the article is not posted: a button opens it in private."""
    db = deps(context).db
    language = lang(update, context)
    article = await articles.get(db, article_id)
    if article is None:
        await reply(update, context, [render.Message(t(language, "article_missing"))])
        return
    if not _private(update):
        username = context.bot.username or ""
        await reply(update, context, [render.private_link_message(article, language, username)])
        return
    message = await _view(context, article, language)
    await _opened(update, context, article.id)
    await reply(update, context, [message])


async def _show(update: Update, context: AnyContext, message: render.Message) -> None:
    """Put ``message`` in place of the one whose button was pressed; when Telegram will not
    edit it any more (deleted, too old, not a text), send it as a new message instead."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(message.text, reply_markup=message.keyboard)
    except BadRequest as exc:
        if outcomes.NOT_MODIFIED in exc.message.lower():
            return  # a second press of the same button: it already shows this
        await reply(update, context, [message])


async def start(update: Update, context: AnyContext) -> None:
    """Welcome the reader, or open the article a deep link points at."""
    await remember_chat(update, context)
    chat = update.effective_chat
    if is_admin(update, context) and chat is not None and chat.type == ChatType.PRIVATE:
        await editors.set_editor_menu(context.bot, deps(context).settings, chat.id)
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


async def _latest_message(update: Update, context: AnyContext, n: int) -> render.Message:
    language = lang(update, context)
    items = await articles.latest(deps(context).db, n)
    if not items:
        return render.Message(t(language, "no_articles"))
    return render.latest_message(
        items,
        language,
        deps(context).settings.tz(),
        count=n,
        bot_username=context.bot.username or "",
        private=_private(update),
    )


async def latest(update: Update, context: AnyContext) -> None:
    """The newest n articles, each openable with a button."""
    n = parse_count(command_text(update))
    if n is None:
        await reply(update, context, [render.Message(t(lang(update, context), "latest_bad_n"))])
        return
    await reply(update, context, [await _latest_message(update, context, n)])


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


async def _popular_message(update: Update, context: AnyContext, days: int) -> render.Message:
    db = deps(context).db
    items = await opens.most_read(db, days * 24, POPULAR_SIZE)
    instead = [] if items else await articles.latest(db, DEFAULT_LATEST)
    return render.popular_message(
        items,
        lang(update, context),
        days,
        deps(context).settings.tz(),
        instead=instead,
        bot_username=context.bot.username or "",
        private=_private(update),
    )


async def popular(update: Update, context: AnyContext) -> None:
    """The most read articles of the last 24 hours, with a button for the last 7 days."""
    await reply(update, context, [await _popular_message(update, context, 1)])


async def _to_private_chat(query: CallbackQuery, context: AnyContext, article_id: int) -> None:
    """A button pressed in a group, a channel or an inline message: Telegram opens the
    reader's private chat with the bot at the article (the group receives nothing)."""
    await _answer(query, url=render.deep_link(context.bot.username or "", article_id))


async def open_button(update: Update, context: AnyContext) -> None:
    """An "open article" button of a pushed article (or of an older list): the article as a
    new message below it, which stays as it was."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.OpenArticle):
        await stale_button(update, context)
        return
    if not _private(update):
        await _to_private_chat(query, context, cb.article_id)
        return
    await _answer(query)
    await open_article(update, context, cb.article_id)


async def read_button(update: Update, context: AnyContext) -> None:
    """Read in place: a list's entry, Previous / Next, or another part of the article; the
    message the button belongs to becomes that page of that article."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.ReadArticle):
        await stale_button(update, context)
        return
    if not _private(update) or query.message is None:
        await _to_private_chat(query, context, cb.article_id)
        return
    language = lang(update, context)
    article = await articles.get(deps(context).db, cb.article_id)
    if article is None:
        await _answer(query, t(language, "article_missing"), alert=True)
        return
    message = await _view(context, article, language, cb.page, callbacks.back_to(cb))
    await _answer(query)
    await _opened(update, context, article.id)
    await _show(update, context, message)


async def latest_button(update: Update, context: AnyContext) -> None:
    """Back to the /latest list an article was opened from, drawn again in place."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.LatestList):
        await stale_button(update, context)
        return
    message = await _latest_message(update, context, cb.count)
    await _answer(query)
    await _show(update, context, message)


async def popular_button(update: Update, context: AnyContext) -> None:
    """The most read of the other window, or back to the list an article came from."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.PopularList):
        await stale_button(update, context)
        return
    message = await _popular_message(update, context, cb.days)
    await _answer(query)
    await _show(update, context, message)


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE  # an edited command must not run twice
    application.add_handler(CommandHandler("start", start, filters=only_new))
    application.add_handler(CommandHandler("help", help_command, filters=only_new))
    application.add_handler(CommandHandler("latest", latest, filters=only_new))
    application.add_handler(CommandHandler("next", next_command, filters=only_new))
    application.add_handler(CommandHandler("prev", prev_command, filters=only_new))
    application.add_handler(CommandHandler("popular", popular, filters=only_new))
    for kind, callback in (
        (callbacks.OpenArticle, open_button),
        (callbacks.ReadArticle, read_button),
        (callbacks.LatestList, latest_button),
        (callbacks.PopularList, popular_button),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=callbacks.pattern(kind)))

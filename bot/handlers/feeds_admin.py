"""Editors' feeds: ``/feeds`` (each with its health), ``/feeds add URL``, ``/feeds remove URL``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import ingest, render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import command_text, reply
from bot.render import feed_error, t
from storage import feeds
from storage.ingest.poll import poll_feed


async def feeds_command(update: Update, context: AnyContext) -> None:
    """List, add or remove the feeds the bot follows."""
    language = lang(update, context)
    if not is_admin(update, context):
        await reply(update, context, [render.Message(t(language, "admin_only"))])
        return
    d = deps(context)
    action, _, url = command_text(update).partition(" ")
    action, url = action.strip().lower(), url.strip()
    if action in ("add", "اضف", "أضف") and url:
        user = update.effective_user
        try:
            feed, added = await feeds.add(d.db, url, added_by=user.id if user else None)
        except ValueError:
            await reply(update, context, [render.Message(t(language, "feeds_bad_url"))])
            return
        if not added:
            await reply(
                update, context, [render.Message(t(language, "feeds_exists", url=feed.url))]
            )
            return
        await reply(update, context, [render.Message(t(language, "feeds_added", url=feed.url))])
        # Its first fetch now, so the editor sees at once whether the address works.
        result = await poll_feed(d.db, d.fetcher, feed, d.settings.sources().poll_config())
        if result.outcome == "error":
            text = t(
                language, "feeds_fetch_failed", error=feed_error(language, result.error or "")
            )
        else:
            text = t(language, "feeds_first_fetch", new=result.new)
        await reply(update, context, [render.Message(text)])
        await ingest.announce(context.bot, d.db, d.settings, [result])
        return
    if action in ("remove", "delete", "احذف") and url:
        gone = await feeds.find(d.db, url)
        if gone is None or not await feeds.remove(d.db, url):
            await reply(update, context, [render.Message(t(language, "feeds_unknown"))])
            return
        messages = [render.Message(t(language, "feeds_removed", url=gone.url))]
        if gone.from_settings:
            messages.append(render.Message(t(language, "feeds_removed_setting")))
        await reply(update, context, messages)
        return
    tz = d.settings.tz()
    await reply(update, context, [render.feeds_message(await feeds.list_all(d.db), language, tz)])


def register(application: AnyApplication) -> None:
    # block=False: adding a feed fetches it, and other readers must not wait for that.
    application.add_handler(
        CommandHandler("feeds", feeds_command, filters=filters.UpdateType.MESSAGE, block=False)
    )

"""The application factory: ``build_application(settings)`` builds everything, no globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import delivery, editors, ingest, schedule, sender
from bot.config import Settings
from bot.context import AnyApplication, AnyContext, Deps, install, lang
from bot.handlers import admin, feeds_admin, reader, search, subscriptions
from bot.handlers import follows as follows_handlers
from bot.handlers import inline as inline_handlers
from bot.handlers import settings as settings_handlers
from bot.handlers import stats as stats_handlers
from bot.handlers.common import stale_button
from bot.render import t
from storage import chat_settings, deliveries, feeds, open_database
from storage.ingest import service
from storage.ingest.http import Fetcher

logger = logging.getLogger(__name__)


async def _post_init(application: AnyApplication) -> None:
    """Open the database, finish what a crash left in flight, load the seeds, set the menus."""
    settings: Settings = application.bot_data["settings"]
    db = await open_database(settings.database_path)
    outbox = sender.Sender(application.bot, db, settings, deliver=delivery.deliver)
    fetcher = Fetcher(user_agent=service.user_agent(application.bot.username))
    deps = Deps(settings=settings, db=db, sender=outbox, fetcher=fetcher)
    install(application, deps)
    deps.languages.update(await chat_settings.languages(db))
    doubtful = await deliveries.recover_in_flight(db)
    if doubtful:
        logger.warning("%d sends were in flight at the last stop; they will be retried", doubtful)
    await feeds.sync_settings(db, settings.feeds)
    # New files in SEEDS_DIR now; then the ingest job watches it and polls the feeds.
    ingest.log_load(settings, await service.load_new_files(db, settings.sources()))
    await editors.set_menus(application.bot, settings)
    # Scheduled posts whose time came while the bot was down go out now.
    await schedule.publish_due_drafts(application.bot, deps)
    await deliveries.enqueue_new(db, settings.push_policy())  # what arrived while it was down
    outbox.start()
    job_queue = application.job_queue
    assert job_queue is not None
    # Guarded: a stop waits for a running tick, and no tick starts after it (``_post_stop``).
    job_queue.run_repeating(
        deps.jobs.guard(delivery.enqueue_and_wake),
        interval=settings.push_interval_seconds,
        first=settings.push_interval_seconds,
        name=delivery.JOB_NAME,
    )
    job_queue.run_repeating(
        # Detached: a slow feed never holds up PTB's stop; _post_stop bounds the wait.
        deps.jobs.guard(ingest.tick, detached=True),
        interval=settings.feed_interval_seconds,
        first=0,
        name=ingest.JOB_NAME,
    )
    job_queue.run_repeating(
        # Scheduled posts, each out within CHECK_EVERY (or the push interval) of its time.
        deps.jobs.guard(schedule.publish_due),
        interval=min(settings.push_interval_seconds, schedule.CHECK_EVERY),
        name=schedule.JOB_NAME,
    )


async def _post_stop(application: AnyApplication) -> None:
    """On SIGTERM or SIGINT, after PTB stopped polling, handlers and the JobQueue, and while
    the bot's HTTP client is still open: no job or send starts any more, and every request in
    flight is answered and recorded (``Sender.stop``, at most ``sender.STOP_WAIT`` seconds).
    """
    deps: Deps | None = application.bot_data.get("deps")
    if deps is None:
        return
    await asyncio.gather(deps.jobs.close(sender.STOP_WAIT), deps.sender.stop(sender.STOP_WAIT))


async def _post_shutdown(application: AnyApplication) -> None:
    """After PTB closed the bot's HTTP client: close the feed fetcher and the database."""
    deps: Deps | None = application.bot_data.get("deps")
    if deps is None:
        return
    # Already done in _post_stop when the application ran; not when only post_init did.
    await _post_stop(application)
    await deps.fetcher.aclose()
    await deps.db.close()


async def _on_error(update: object, context: AnyContext) -> None:
    """Log the failure for the operator; tell the reader plainly, never with a traceback."""
    if update is None and isinstance(context.error, NetworkError):
        # PTB's polling reports Telegram being out of reach here, and keeps retrying.
        logger.warning("Telegram cannot be reached (%s); retrying", context.error)
        return
    logger.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id, t(lang(update, context), "error")
            )
        except Exception:  # the reader cannot be told; the log has it
            logger.warning("could not tell chat %s about the error", update.effective_chat.id)


async def _unknown(update: Update, context: AnyContext) -> None:
    """An unknown /command in a private chat gets pointed at /help."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, t(lang(update, context), "unknown_command"))


async def _not_text(update: Update, context: AnyContext) -> None:
    """A photo, sticker or voice note in a private chat: say what the bot understands."""
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, t(lang(update, context), "text_only"))


def build_application(
    settings: Settings, transport: Callable[[], BaseRequest] | None = None
) -> AnyApplication:
    """The bot, ready to ``run_polling``; the database opens in ``post_init``.

    ``transport`` makes the bot's two HTTP clients (its calls, and getUpdates) instead of
    PTB's own: ``newsbot console`` talks to an in-process stand-in that way.
    """
    builder = ApplicationBuilder()
    if transport is not None:
        builder = builder.request(transport()).get_updates_request(transport())
    application = cast(
        AnyApplication,
        builder.token(settings.token())
        .base_url(settings.telegram_api_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # The same limits as the sender's pacing: PTB's defaults (30/s) would cap a bot
        # configured for paid broadcasts and undercut GLOBAL_PER_SECOND.
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.global_per_second,
                overall_time_period=1,
                group_max_rate=settings.group_per_minute,
                group_time_period=60,
                max_retries=0,
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build(),
    )
    application.bot_data["settings"] = settings
    # Order matters: commands first, the private plain-text search last.
    reader.register(application)
    admin.register(application)
    stats_handlers.register(application)
    feeds_admin.register(application)
    subscriptions.register(application)
    follows_handlers.register(application)
    settings_handlers.register(application)
    inline_handlers.register(application)  # inline queries: no clash with messages
    search.register(application)
    # Any button left unmatched (an old version's, a forged one) is answered, never left spinning.
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND, _unknown
        )
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT, _not_text
        )
    )
    application.add_error_handler(_on_error)
    return application

"""Editors' /stats: the numbers and each latest article's reach at once, then a chart of the
last 48 hours and of subscribers over time as a photo."""

from __future__ import annotations

import asyncio
import logging
from datetime import tzinfo

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot import charts, render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import reply
from bot.render import t
from bot.strings import Lang
from storage import articles, chats, deliveries
from storage import stats as stats_store

logger = logging.getLogger(__name__)

#: The latest articles whose reach /stats shows.
REACH_ARTICLES = 5


async def stats(update: Update, context: AnyContext) -> None:
    """Articles, subscriptions by kind, deliveries by outcome, the last 48 hours and the
    reach of the latest articles as text; the chart follows as a photo.

    The chart is drawn in a worker thread and sent from a task of its own: the editor reads
    the numbers at once, and neither readers nor the sender wait for matplotlib.
    """
    language = lang(update, context)
    if not is_admin(update, context):
        await reply(update, context, [render.Message(t(language, "admin_only"))])
        return
    d = deps(context)
    by_kind = await chats.count_active_by_kind(d.db)
    counts = await deliveries.counts(d.db)
    totals: dict[str, object] = {
        "articles": await articles.count(d.db),
        "subs": sum(by_kind.values()),
        "private": by_kind.get("private", 0),
        "groups": by_kind.get("group", 0) + by_kind.get("supergroup", 0),
        "channels": by_kind.get("channel", 0),
        "sent": counts.sent,
        "failed": counts.failed,
        "pending": counts.pending,
        "doubtful": counts.doubtful,
        "edited": counts.edited,
        "depth": counts.pending,
        "rate": f"{await deliveries.sent_in_last(d.db, 60) / 60:.1f}",
    }
    reach = await stats_store.latest_reach(d.db, REACH_ARTICLES)
    per_hour = await stats_store.sent_per_hour(d.db)
    subscribers = await stats_store.subscribers_over_time(d.db)
    drawable = charts.worth_drawing(per_hour, subscribers)
    hourly = [n for _, n in per_hour]
    text = render.stats_message(language, totals, reach, hourly, chart=drawable)
    await reply(update, context, [text])
    chat = update.effective_chat
    if drawable and chat is not None:
        chart = _send_chart(context, chat.id, language, per_hour, subscribers, d.settings.tz())
        context.application.create_task(chart, update=update, name="stats-chart")


async def _send_chart(
    context: AnyContext,
    chat_id: int,
    language: Lang,
    per_hour: charts.Series,
    subscribers: charts.Series,
    tz: tzinfo,
) -> None:
    """Draw the chart off the event loop and send it as a photo; on failure, say so plainly."""
    try:
        png = await asyncio.to_thread(charts.draw_stats, per_hour, subscribers, tz)
    except Exception:  # a plotting failure must not cost the editor the numbers they have
        logger.exception("the /stats chart could not be drawn")
        await _tell(context, chat_id, t(language, "stats_chart_failed"))
        return
    try:
        await context.bot.send_photo(
            chat_id, png, caption=t(language, "stats_chart_caption"), filename="stats.png"
        )
    except TelegramError as exc:
        logger.warning("the /stats chart could not be sent to %s: %s", chat_id, exc)
        await _tell(context, chat_id, t(language, "stats_chart_failed"))


async def _tell(context: AnyContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as exc:
        logger.warning("could not tell %s: %s", chat_id, exc)


def register(application: AnyApplication) -> None:
    application.add_handler(CommandHandler("stats", stats, filters=filters.UpdateType.MESSAGE))

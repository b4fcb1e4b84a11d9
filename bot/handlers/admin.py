"""Editors' commands: /post and /urgent to publish an article, /stats."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import reply
from bot.render import t
from storage import articles, chats, deliveries
from storage.articles import NewArticle
from storage.db import utcnow
from storage.importers import RecordError, check_article

logger = logging.getLogger(__name__)

_URL_LINE = re.compile(r"^https?://\S+$")


def parse_post(text: str) -> NewArticle:
    """``/post`` text → article: the title on the command's line or the next one, the body
    on the following lines; a line holding only a URL becomes the article's link."""
    first, _, rest = text.partition("\n")
    words = first.split(maxsplit=1)
    lines = [words[1]] if len(words) > 1 else []
    lines += rest.split("\n")
    url: str | None = None
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if url is None and _URL_LINE.match(stripped):
            url = stripped
        elif stripped or kept:
            kept.append(stripped)
    if not kept:
        raise RecordError("title and body are missing", "post_empty")
    title, body_lines = kept[0], kept[1:]
    body = "\n".join(p for p in body_lines if p)
    if not body:
        raise RecordError(
            "the body is missing: write it on the lines after the title", "body_missing"
        )
    return check_article(NewArticle(title=" ".join(title.split()), body=body, url=url))


async def _publish(update: Update, context: AnyContext, urgent: bool) -> None:
    language = lang(update, context)
    message = update.effective_message
    user = update.effective_user
    if not is_admin(update, context):
        logger.info("refused /post from user %s", user.id if user else "?")
        await reply(update, context, [render.Message(t(language, "post_denied"))])
        return
    text = (message.text or "") if message else ""
    if len(text.split(maxsplit=1)) < 2:
        await reply(update, context, [render.Message(t(language, "post_usage"))])
        return
    try:
        new = parse_post(text)
    except RecordError as exc:
        await reply(
            update,
            context,
            [
                render.Message(t(language, "post_invalid", reason=render.why(language, exc))),
                render.Message(t(language, "post_usage")),
            ],
        )
        return
    db = deps(context).db
    # An editor's article is published now: that dates it and orders it among the others.
    new = replace(new, published_at=utcnow())
    article_id, added = await articles.add(db, new)
    if not added:
        await reply(
            update, context, [render.Message(t(language, "post_duplicate", id=article_id))]
        )
        return
    article = await articles.get(db, article_id)
    assert article is not None
    if urgent:
        queued = await deliveries.enqueue_article(db, article_id, deliveries.PRIORITY_URGENT)
        deps(context).sender.wake()
        intro = t(language, "post_urgent", id=article_id, n=queued)
    else:
        intro = t(language, "post_stored", id=article_id)
    tz = deps(context).settings.tz()
    await reply(update, context, render.preview_messages(article, language, intro, tz))


async def post(update: Update, context: AnyContext) -> None:
    """Store an editor's article; it goes out at the next push."""
    await _publish(update, context, urgent=False)


async def urgent(update: Update, context: AnyContext) -> None:
    """Store an editor's breaking news and send it at once, ahead of the queue."""
    await _publish(update, context, urgent=True)


async def stats(update: Update, context: AnyContext) -> None:
    """Articles, active subscriptions by kind, deliveries by outcome."""
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
    reports = await deliveries.latest_reports(d.db, 5)
    await reply(update, context, [render.stats_message(language, totals, reports)])


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("post", post, filters=only_new))
    application.add_handler(CommandHandler("urgent", urgent, filters=only_new))
    application.add_handler(CommandHandler("stats", stats, filters=only_new))

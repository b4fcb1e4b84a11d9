"""Editors' commands: /post and /urgent to publish an article, /stats."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol, TypeVar

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import render
from bot.context import AnyApplication, AnyContext, deps, is_admin, lang
from bot.handlers.common import command_text, reply
from bot.numbers import parse_int
from bot.render import t
from storage import articles, audit, chats, deliveries
from storage.articles import Arrival, NewArticle
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
    # origin "editor": it goes ahead of imports in a push, and is never folded into a list.
    article_id, added = await articles.add(db, new, Arrival(origin="editor", update=False))
    if not added:
        await reply(
            update, context, [render.Message(t(language, "post_duplicate", id=article_id))]
        )
        return
    article = await articles.get(db, article_id)
    assert article is not None
    await _audit(update, context, article_id, "urgent" if urgent else "published")
    if urgent:
        queued = await deliveries.enqueue_article(db, article_id, deliveries.PRIORITY_URGENT)
        deps(context).sender.wake()
        intro = t(language, "post_urgent", id=article_id, n=queued)
    else:
        intro = t(language, "post_stored", id=article_id)
    tz = deps(context).settings.tz()
    await reply(update, context, render.preview_messages(article, language, intro, tz))


async def _audit(
    update: Update, context: AnyContext, article_id: int, action: audit.Action, detail: str = ""
) -> None:
    user = update.effective_user
    await audit.record(
        deps(context).db,
        article_id,
        action,
        user.id if user else None,
        user.full_name if user else None,
        detail or None,
    )


async def post(update: Update, context: AnyContext) -> None:
    """Store an editor's article; it goes out at the next push."""
    await _publish(update, context, urgent=False)


async def urgent(update: Update, context: AnyContext) -> None:
    """Store an editor's breaking news and send it at once, ahead of the queue."""
    await _publish(update, context, urgent=True)


#: How long /edit waits for the corrections to be made before it reports (they go on after).
EDIT_REPORT_WITHIN = 60.0


class _Owing(Protocol):
    @property
    def owed(self) -> int: ...


_Report = TypeVar("_Report", bound=_Owing)


async def _until_done(report: Callable[[], Awaitable[_Report]]) -> _Report:
    """Wait (at most EDIT_REPORT_WITHIN) until the paced sender has done what is owed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EDIT_REPORT_WITHIN
    current = await report()
    while current.owed and loop.time() < deadline:
        await asyncio.sleep(0.2)
        current = await report()
    return current


async def _editor_article(update: Update, context: AnyContext, usage: str) -> int | None:
    """The article number of an editor's ``/command N``; None (and the answer sent) when the
    sender is no editor or gave no such number."""
    language = lang(update, context)
    if not is_admin(update, context):
        await reply(update, context, [render.Message(t(language, "admin_only"))])
        return None
    words = command_text(update).split()
    article_id = parse_int(words[0]) if len(words) == 1 else None
    if article_id is None:
        await reply(update, context, [render.Message(t(language, usage))])
    return article_id


async def edit_command(update: Update, context: AnyContext) -> None:
    """``/edit N`` with the new title and body: every delivered copy is corrected in place."""
    language = lang(update, context)
    if not is_admin(update, context):
        await reply(update, context, [render.Message(t(language, "admin_only"))])
        return
    message = update.effective_message
    text = (message.text or "") if message else ""
    first, _, rest = text.partition("\n")
    words = first.split(maxsplit=2)
    article_id = parse_int(words[1]) if len(words) > 1 else None
    if article_id is None:
        await reply(update, context, [render.Message(t(language, "edit_usage"))])
        return
    try:
        new = parse_post("/edit " + (words[2] if len(words) > 2 else "") + "\n" + rest)
    except RecordError as exc:
        reason = render.why(language, exc)
        await reply(update, context, [render.Message(t(language, "post_invalid", reason=reason))])
        return
    d = deps(context)

    async def say(key: str, **fields: object) -> None:
        await reply(update, context, [render.Message(t(language, key, id=article_id, **fields))])

    current = await articles.get(d.db, article_id)
    if current is None:
        await say("edit_no_article")
        return
    if (current.title, current.body) == (new.title, new.body):
        await say("edit_same")
        return
    before = await deliveries.edit_report(d.db, article_id)
    owed = await articles.correct(d.db, article_id, new)
    if owed is None:  # deleted meanwhile
        await say("edit_no_article")
        return
    await _audit(update, context, article_id, "edited", current.title)
    if owed == 0:
        await say("edit_nothing")
        return
    await say("edit_started", n=owed)
    d.sender.wake()
    # The editor hears how it went: wait (bounded) for the paced sender to make the edits.
    report = await _until_done(lambda: deliveries.edit_report(d.db, article_id))
    edited = report.edits - before.edits
    if not report.failed and not report.owed:
        await say("edit_done", edited=edited)
        return
    why = render.reasons(language, report.failed, render.chat_lost_reason)
    failed = sum(report.failed.values())
    await say("edit_done_some_failed", edited=edited, failed=failed, why=why, waiting=report.owed)


async def delete_command(update: Update, context: AnyContext) -> None:
    """``/delete N``: withdraw an article and delete every delivered copy Telegram allows."""
    article_id = await _editor_article(update, context, "delete_usage")
    if article_id is None:
        return
    language = lang(update, context)
    d = deps(context)

    async def say(key: str, **fields: object) -> None:
        await reply(update, context, [render.Message(t(language, key, id=article_id, **fields))])

    if not await articles.withdraw(d.db, article_id):
        await say("edit_no_article")
        return
    await _audit(update, context, article_id, "deleted")
    report = await deliveries.delete_report(d.db, article_id)
    await say("delete_started", n=report.owed)
    d.sender.wake()
    report = await _until_done(lambda: deliveries.delete_report(d.db, article_id))
    stayed = sum(report.stayed.values())
    if not stayed and not report.owed:
        await say("delete_done", deleted=report.deleted)
        return
    why = render.reasons(language, report.stayed, render.delete_reason)
    await say(
        "delete_some_stay", deleted=report.deleted, stayed=stayed, why=why, waiting=report.owed
    )


async def history_command(update: Update, context: AnyContext) -> None:
    """``/history N``: who published, edited and withdrew article N, and when."""
    article_id = await _editor_article(update, context, "history_usage")
    if article_id is None:
        return
    language = lang(update, context)
    d = deps(context)
    entries = await audit.history(d.db, article_id)
    message = render.history_message(article_id, entries, language, d.settings.tz())
    await reply(update, context, [message])


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
    # block=False: it waits for the corrections to be made, and readers must not wait with it.
    application.add_handler(CommandHandler("edit", edit_command, filters=only_new, block=False))
    application.add_handler(
        CommandHandler("delete", delete_command, filters=only_new, block=False)
    )
    application.add_handler(CommandHandler("history", history_command, filters=only_new))

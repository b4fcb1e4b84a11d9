"""Editors' commands: /post and /urgent make a draft that a button publishes (now, or at
the time written after the command), /scheduled, /edit, /delete and /history.
(/stats: bot.handlers.stats.)"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import Literal, Protocol, TypeVar

from telegram import CallbackQuery, Update
from telegram import Message as TgMessage
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, delivery, render, schedule
from bot.context import AnyApplication, AnyContext, Deps, deps, is_admin, lang
from bot.handlers.common import command_text, reply, stale_button
from bot.numbers import parse_int
from bot.render import t
from bot.strings import Lang
from storage import articles, audit, deliveries, drafts
from storage.articles import NewArticle
from storage.db import utcnow
from storage.importers import RecordError, check_article

logger = logging.getLogger(__name__)

_URL_LINE = re.compile(r"^https?://\S+$")


def parse_post(text: str, *, flash: bool = False) -> NewArticle:
    """``/post`` text → article: the title on the command's line or the next one, the body
    on the following lines; a line holding only a URL becomes the article's link. A
    ``flash`` (``/urgent``) may be its headline alone: breaking news often is one line."""
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
    if not body and not flash:
        raise RecordError(
            "the body is missing: write it on the lines after the title", "body_missing"
        )
    article = NewArticle(title=" ".join(title.split()), body=body, url=url)
    return check_article(article, body_required=not flash)


def split_schedule(text: str) -> tuple[str | None, str]:
    """``/post 18:30\\nTitle…`` → ("18:30", "/post\\nTitle…"): a time standing alone after the
    command on its line, and the post without it. (None, text) when there is none."""
    first, newline, rest = text.partition("\n")
    words = first.split(maxsplit=1)
    if len(words) < 2 or not schedule.looks_like_time(words[1]):
        return None, text
    return words[1].strip(), words[0] + newline + rest


def _largest_photo(message: TgMessage) -> str | None:
    """The file_id of the largest size of the message's photo, if it has one."""
    if not message.photo:
        return None
    return max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0)).file_id


def _refusal(language: Lang, exc: RecordError, tz: tzinfo) -> str:
    """Why a post was refused, in the editor's words (a time shown in TIMEZONE)."""
    if exc.code == "time_past":
        when = render.format_date(str(exc.fields.get("when")), language, tz) or ""
        exc = RecordError(str(exc), exc.code, when=when)
    return t(language, "post_invalid", reason=render.why(language, exc))


async def _draft(update: Update, context: AnyContext, urgent: bool) -> None:
    """/post and /urgent (text, or a photo's caption): a draft and its preview, nothing sent."""
    language = lang(update, context)
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    if not is_admin(update, context):
        logger.info("refused /post from user %s", user.id)
        await reply(update, context, [render.Message(t(language, "post_denied"))])
        return
    text = message.text or message.caption or ""
    if len(text.split(maxsplit=1)) < 2:
        await reply(update, context, [render.Message(t(language, "post_usage"))])
        return
    d = deps(context)
    tz = d.settings.tz()
    spec, text = split_schedule(text)
    try:
        publish_at = None
        if spec is not None:
            publish_at = schedule.parse_when(spec, message.date, tz).isoformat()
        new = replace(parse_post(text, flash=urgent), image=_largest_photo(message))
    except RecordError as exc:
        refusal = render.Message(_refusal(language, exc, tz))
        await reply(update, context, [refusal, render.Message(t(language, "post_usage"))])
        return
    draft = await drafts.create(
        d.db,
        new,
        editor_id=user.id,
        editor_name=user.full_name,
        chat_id=chat.id,
        urgent=urgent,
        publish_at=publish_at,
    )
    preview = render.draft_preview(draft, language, context.bot.username or "", utcnow(), tz)
    for shown in preview:
        await delivery.send_rendered(context.bot, chat.id, shown)


async def post(update: Update, context: AnyContext) -> None:
    """A draft of an editor's article; Publish sends it at the next push."""
    await _draft(update, context, urgent=False)


async def urgent(update: Update, context: AnyContext) -> None:
    """A draft of breaking news; its preview carries the mark, Urgent sends it at once."""
    await _draft(update, context, urgent=True)


async def photo_post(update: Update, context: AnyContext) -> None:
    """A photo captioned ``/post …`` or ``/urgent …``: a draft carrying the photo."""
    message = update.effective_message
    caption = (message.caption or "") if message else ""
    await _draft(update, context, urgent=caption.split(maxsplit=1)[0].startswith("/urgent"))


_ACTIONS: dict[int, Literal["publish", "urgent", "cancel"]] = {
    callbacks.DRAFT_PUBLISH: "publish",
    callbacks.DRAFT_URGENT: "urgent",
    callbacks.DRAFT_CANCEL: "cancel",
    callbacks.DRAFT_UNSCHEDULE: "cancel",
}


def _next_push(context: AnyContext) -> datetime | None:
    """When the push job runs next (None when it is not scheduled)."""
    queue = context.job_queue
    jobs = queue.get_jobs_by_name(delivery.JOB_NAME) if queue is not None else ()
    times = [job.next_t for job in jobs if job.next_t is not None]
    return min(times) if times else None


def _answer(context: AnyContext, language: Lang, decision: drafts.Decision) -> str:
    """What happened, in the editor's words: the article's number and when it goes out."""
    draft = decision.draft
    assert draft is not None
    tz = deps(context).settings.tz()
    when = render.format_date(draft.publish_at, language, tz) or ""
    if decision.outcome == "published":
        if draft.urgent and not decision.queued:
            return t(language, "draft_published_urgent_none", id=draft.article_id)
        if draft.urgent:
            chats = render.tn(language, "subscriber_chats", decision.queued)
            return t(language, "draft_published_urgent", id=draft.article_id, chats=chats)
        push = _next_push(context)
        if push is None:
            return t(language, "draft_published_soon", id=draft.article_id)
        shown = render.format_date(push.isoformat(), language, tz)
        return t(language, "draft_published", id=draft.article_id, when=shown)
    if decision.outcome == "scheduled":
        key = "draft_scheduled_urgent" if draft.urgent else "draft_scheduled"
        return t(language, key, when=when)
    if decision.outcome == "cancelled":
        return t(language, "draft_cancelled", title=draft.title)
    if decision.outcome == "duplicate" or draft.state == "duplicate":
        return t(language, "draft_duplicate", id=draft.article_id)
    # A second press: say how the draft stands, change nothing.
    if draft.state == "published":
        return t(language, "draft_already_published", id=draft.article_id)
    if draft.state == "scheduled":
        return t(language, "draft_already_scheduled", when=when)
    return t(language, "draft_already_cancelled")


async def draft_button(update: Update, context: AnyContext) -> None:
    """Publish, Urgent or Cancel pressed under a draft (or Cancel in the /scheduled list)."""
    query = update.callback_query
    assert query is not None
    cb = callbacks.decode(query.data)
    if not isinstance(cb, callbacks.DraftAction):
        await stale_button(update, context)
        return
    language = lang(update, context)
    d = deps(context)
    user = query.from_user
    if user.id not in d.settings.admin_ids:
        logger.info("refused a draft button from user %s", user.id)
        await query.answer(t(language, "admin_only"), show_alert=True)
        return
    decision = await drafts.decide(d.db, cb.draft_id, _ACTIONS[cb.action], user.id, user.full_name)
    if decision.outcome == "missing":
        await stale_button(update, context)
        return
    text = _answer(context, language, decision)
    if decision.outcome == "already":
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    if decision.outcome == "published" and decision.queued:
        d.sender.wake()
    if cb.action == callbacks.DRAFT_UNSCHEDULE:
        await _redraw_scheduled(query, language, d)
    else:
        await _drop_buttons(query)
    await reply(update, context, [render.Message(text)])


async def _drop_buttons(query: CallbackQuery) -> None:
    """The preview's buttons go once a decision is made (a later press of a stale copy is
    answered all the same)."""
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as exc:
        logger.info("draft buttons not removed: %s", exc)


async def _redraw_scheduled(query: CallbackQuery, language: Lang, d: Deps) -> None:
    """The /scheduled list drawn again in place, without the cancelled post."""
    shown = render.scheduled_message(await drafts.scheduled(d.db), language, d.settings.tz())
    try:
        await query.edit_message_text(shown.text, reply_markup=shown.keyboard)
    except TelegramError as exc:
        logger.info("scheduled list not redrawn: %s", exc)


async def scheduled_command(update: Update, context: AnyContext) -> None:
    """``/scheduled``: the posts waiting for their time, each with a Cancel button."""
    language = lang(update, context)
    if not is_admin(update, context):
        await reply(update, context, [render.Message(t(language, "admin_only"))])
        return
    d = deps(context)
    items = await drafts.scheduled(d.db)
    await reply(update, context, [render.scheduled_message(items, language, d.settings.tz())])


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
    why = render.reasons(language, report.failed, render.edit_reason)
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
    if not report.owed and not report.stayed and not report.deleted:
        await say("delete_nothing")  # one answer, not "deleting 0 copies…" and "done (0)"
        return
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


def register(application: AnyApplication) -> None:
    only_new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("post", post, filters=only_new))
    application.add_handler(CommandHandler("urgent", urgent, filters=only_new))
    # A photo whose caption starts with /post (or /urgent): a draft with that photo.
    caption = filters.CaptionRegex(r"^/(post|urgent)(@\w+)?(\s|$)")
    application.add_handler(MessageHandler(only_new & filters.PHOTO & caption, photo_post))
    application.add_handler(CommandHandler("scheduled", scheduled_command, filters=only_new))
    application.add_handler(
        CallbackQueryHandler(draft_button, pattern=callbacks.pattern(callbacks.DraftAction))
    )
    # block=False: it waits for the corrections to be made, and readers must not wait with it.
    application.add_handler(CommandHandler("edit", edit_command, filters=only_new, block=False))
    application.add_handler(
        CommandHandler("delete", delete_command, filters=only_new, block=False)
    )
    application.add_handler(CommandHandler("history", history_command, filters=only_new))

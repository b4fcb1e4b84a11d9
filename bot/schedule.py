"""Scheduled posts: the time an editor writes after /post, and the job that publishes drafts
whose time has come.

``/post 18:30`` (the next 18:30 in TIMEZONE), ``/post 2026-12-03 08:00`` (in TIMEZONE),
``/post +15m`` / ``/post +2h`` (from the command's own time, to the second); Arabic-Indic
digits and the Arabic units «د» (minutes), «س» (hours), «ي» (days) are read too. The time stands
alone on the command's line; the title follows on the next one.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from telegram import Bot
from telegram.error import TelegramError

from bot import delivery, render
from bot.context import AnyContext, Deps, deps
from bot.editors import editor_language
from storage import drafts
from storage.importers import RecordError

logger = logging.getLogger(__name__)

JOB_NAME = "scheduled-posts"
#: Due drafts are looked for this often (or every push interval, when that is shorter).
CHECK_EVERY = 30
#: A post can be scheduled this many days ahead at most.
MAX_DAYS = 366

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
#: What an editor meant as a time rather than a title: digits and separators only, or a "+"
#: with a number and a unit (a known one, or Latin letters: "+15x" is a mistyped time).
_CLOCK_LIKE = re.compile(r"[0-9][0-9\s:.\-/]*[:.\-/][0-9\s:.\-/]*")
_PLUS_LIKE = re.compile(r"\+\s*[0-9]*\s*(\S*)")
_LATIN_UNIT = re.compile(r"[a-z]{0,3}")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DATE_CLOCK = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:\s+|T)([0-9]{1,2}):([0-9]{2})")
_OFFSET = re.compile(r"\+\s*([0-9]{1,6})\s*([^\s0-9]+)")
_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("m", "min", "mins", "د", "دقيقة", "دقائق"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "س", "ساعة", "ساعات"), timedelta(hours=1)),
    **dict.fromkeys(("d", "ي", "يوم", "أيام"), timedelta(days=1)),
}


def looks_like_time(text: str) -> bool:
    """Whether the text after /post on its line is meant as a time (it may still not parse);
    else it is the title (``/post +500 قتيل``, ``/post 2026``)."""
    spec = " ".join(text.strip().translate(_DIGITS).split())
    if plus := _PLUS_LIKE.fullmatch(spec):
        unit = plus.group(1).lower()
        return unit in _UNITS or _LATIN_UNIT.fullmatch(unit) is not None
    return _CLOCK_LIKE.fullmatch(spec) is not None


def parse_when(text: str, sent_at: datetime, tz: tzinfo, now: datetime | None = None) -> datetime:
    """The moment ``text`` names, in UTC, to the second. ``sent_at``: when the command was
    written (``+15m`` counts from it); ``now`` (default: now) decides what is past.
    RecordError (``time_bad``, ``time_past``, ``time_far``) says why not."""
    now = now or datetime.now(UTC)
    spec = " ".join(text.strip().translate(_DIGITS).split())
    try:
        when = _parse(spec, sent_at, tz)
    except (ValueError, OverflowError):
        when = None
    if when is None:
        raise RecordError(f"the time {text.strip()[:40]!r} does not parse", "time_bad", text=spec)
    when = when.astimezone(UTC).replace(microsecond=0)
    if when <= now:
        # ``when``: UTC ISO text, shown to the editor in their language and TIMEZONE.
        raise RecordError(f"the time {when} has passed", "time_past", when=when.isoformat())
    if when - now > timedelta(days=MAX_DAYS):
        raise RecordError("the time is too far ahead", "time_far", days=MAX_DAYS)
    return when


def _parse(spec: str, sent_at: datetime, tz: tzinfo) -> datetime | None:
    if m := _OFFSET.fullmatch(spec):
        unit = _UNITS.get(m.group(2).lower())
        return None if unit is None else sent_at + int(m.group(1)) * unit
    if m := _CLOCK.fullmatch(spec):
        at = time(int(m.group(1)), int(m.group(2)))
        local_now = sent_at.astimezone(tz)
        when = datetime.combine(local_now.date(), at, tzinfo=tz)
        if when <= local_now:
            when = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=tz)
        return when
    if m := _DATE_CLOCK.fullmatch(spec):
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return datetime.combine(day, time(int(m.group(4)), int(m.group(5))), tzinfo=tz)
    return None


async def publish_due_drafts(bot: Bot, d: Deps) -> int:
    """Publish the scheduled drafts whose time has come and tell their editors; how many
    became articles. At start too (``bot.app``): a time that passed while the bot was down."""
    done = await drafts.publish_due(d.db)
    published = 0
    for decision in done:
        draft = decision.draft
        if draft is None or draft.article_id is None:
            continue
        published += decision.outcome == "published"
        logger.info("scheduled draft %s: %s (#%s)", draft.id, decision.outcome, draft.article_id)
        editor = draft.decided_by or draft.editor_id
        language = await editor_language(d.db, d.settings, editor)
        key = "draft_went_out" if decision.outcome == "published" else "draft_went_out_duplicate"
        text = render.t(language, key, id=draft.article_id, title=draft.title)
        try:
            await bot.send_message(draft.chat_id, text)
        except TelegramError as exc:  # the editor cannot be told; it went out all the same
            logger.info("could not tell chat %s about draft %s: %s", draft.chat_id, draft.id, exc)
    return published


async def publish_due(context: AnyContext) -> None:
    """The JobQueue tick: publish what is due and queue it at once (urgent news was queued with
    the article itself: the sender is woken for it)."""
    d = deps(context)
    if await publish_due_drafts(context.bot, d):
        await delivery.enqueue_and_wake(context)
        d.sender.wake()

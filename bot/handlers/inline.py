"""Inline mode: ``@bot QUERY`` in any chat lists matching articles; an empty query, the newest.

Up to ``PAGE`` results an answer; ``next_offset`` (the rank to go on from, in ASCII digits) is
set only when another page exists, so scrolling never repeats a result. An offset the bot did
not build is read as the first page; one past the end gives an empty page. A query longer
than Telegram allows (256 characters) is answered with no results and a button into the bot,
never an error. A chosen result counts as an open of the article (when BotFather's inline
feedback is on, Telegram tells the bot which result was chosen).
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import InlineQueryLimit
from telegram.ext import ChosenInlineResultHandler, InlineQueryHandler

from bot import render
from bot.context import AnyApplication, AnyContext, deps, lang
from storage import opens, search

PAGE = int(InlineQueryLimit.RESULTS)
#: Deeper than this, an offset is not one the bot gave (nobody scrolls 200 pages).
MAX_OFFSET = 10_000
#: Telegram caches an answer this long (seconds), per user: fresh news shows up soon.
CACHE_SECONDS = 10
_OFFSET = re.compile(r"[0-9]{1,5}")


def parse_offset(offset: str) -> int:
    """The rank a page starts at: 0 for "" and for anything the bot did not build."""
    if not _OFFSET.fullmatch(offset):
        return 0
    return min(int(offset), MAX_OFFSET)


async def inline_query(update: Update, context: AnyContext) -> None:
    """Answer ``@bot QUERY`` with a page of matching articles (the newest for no query)."""
    query = update.inline_query
    assert query is not None
    language = lang(update, context)
    text = query.query.strip()
    if len(query.query) > InlineQueryLimit.MAX_QUERY_LENGTH:
        await query.answer(
            [], cache_time=CACHE_SECONDS, button=render.inline_button(language, "inline_too_long")
        )
        return
    db = deps(context).db
    offset = parse_offset(query.offset)
    if text:
        result = await search.search(db, text, limit=PAGE, offset=offset)
        hits, more = result.hits, offset + len(result.hits) < result.total
    else:
        hits, more = await search.recent(db, limit=PAGE, offset=offset)
    username = context.bot.username or ""
    tz = deps(context).settings.tz()
    results = [render.inline_result(hit, language, username, tz) for hit in hits]
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=True,  # the language of the descriptions is the reader's
        # None, not "": with Defaults, PTB 22.8 turns an empty next_offset into "[]" (its
        # InputPollOption step takes any empty sequence), and Telegram would ask for that page.
        next_offset=str(offset + len(hits)) if more and hits else None,
        button=render.inline_button(language, "inline_none") if not hits and not offset else None,
    )


async def chosen_result(update: Update, context: AnyContext) -> None:
    """A reader sent one of the results: that is an open of the article."""
    chosen = update.chosen_inline_result
    assert chosen is not None
    article_id = render.inline_article_id(chosen.result_id)
    if article_id is not None:
        await opens.record(deps(context).db, chosen.from_user.id, article_id)


def register(application: AnyApplication) -> None:
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(ChosenInlineResultHandler(chosen_result))

"""The ingest job: new files in SEEDS_DIR and the feeds whose time has come, every interval.

It only stores articles; the push job decides what goes out (fresh news, in batches). A feed
that fails is the feed's problem, never the bot's: it backs off, and the editors are told
once when it keeps failing and once when it is back.
"""

from __future__ import annotations

import logging

from telegram import Bot

from bot.config import Settings
from bot.context import AnyContext, deps
from bot.editors import tell_editors
from bot.render import feed_error
from storage import feeds
from storage.db import Database
from storage.importers import LoadReport
from storage.ingest import service
from storage.ingest.http import Fetcher
from storage.ingest.poll import PollResult

logger = logging.getLogger(__name__)

JOB_NAME = "ingest"


async def announce(bot: Bot, db: Database, settings: Settings, results: list[PollResult]) -> None:
    """Tell the editors about feeds that just started failing or just came back."""
    for result in results:
        if result.alert == "failing":
            error = result.error or ""
            await tell_editors(
                bot,
                db,
                settings,
                "feed_alert_failing",
                url=result.feed.url,
                failures=feeds.ALERT_AFTER,
                error=lambda lang, e=error: feed_error(lang, e),
            )
        elif result.alert == "recovered":
            await tell_editors(bot, db, settings, "feed_alert_recovered", url=result.feed.url)


def log_load(settings: Settings, report: LoadReport) -> None:
    if report.added or report.updated or report.rejected:
        logger.info(
            "%s: %d added, %d updated, %d rejected",
            settings.seeds_dir,
            report.added,
            report.updated,
            len(report.rejected),
        )
    for rejection in report.rejected:
        logger.warning("rejected %s: %s", rejection.where, rejection.reason)


async def run_once(bot: Bot, db: Database, settings: Settings, fetcher: Fetcher) -> int:
    """One tick: the watched folder, then the due feeds; how many stories were corrected.

    Never raises.
    """
    sources = settings.sources()
    try:
        report = await service.load_new_files(db, sources)
        log_load(settings, report)
        results = await service.poll_feeds(db, fetcher, sources)
        for r in results:
            if r.new or r.updated:
                logger.info("feed %s: %d new, %d updated", r.feed.url, r.new, r.updated)
        await announce(bot, db, settings, results)
    except Exception as exc:  # the database or a bug: the next tick tries again
        logger.error("ingest: %s: %s", type(exc).__name__, exc)
        return 0
    return report.updated + sum(r.updated for r in results)


async def tick(context: AnyContext) -> None:
    """The JobQueue callback, every FEED_INTERVAL_SECONDS (and once at start)."""
    d = deps(context)
    if await run_once(context.bot, d.db, d.settings, d.fetcher):
        d.sender.wake()  # corrections go out now, not at the next push

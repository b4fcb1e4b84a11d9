"""Where articles come from, in one place: the followed feeds and the watched folder.

The bot's ingest job and the command line (``newsbot feeds poll``) both call these, so the
rules (what is news, how a failing feed backs off, which files are new) are the same for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from storage import feeds, importers
from storage.articles import Arrival
from storage.db import Database
from storage.importers import LoadReport
from storage.ingest.http import Fetcher
from storage.ingest.poll import PollConfig, PollResult, poll


def user_agent(bot_username: str | None = None) -> str:
    """Names the bot to the sites it reads, as polite crawlers do."""
    try:
        release = version("newsbot")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        release = "0"
    who = f"Telegram news bot @{bot_username}" if bot_username else "Telegram news bot"
    return f"newsbot/{release} (+{who})"


@dataclass(frozen=True)
class Sources:
    """The settings ingestion needs (bot.config.Settings hands them over)."""

    feeds: Sequence[str] = ()
    interval: float = 300.0
    fresh_hours: float = 24.0
    seeds_dir: Path | None = None

    def poll_config(self) -> PollConfig:
        return PollConfig(interval=self.interval, fresh_hours=self.fresh_hours)


async def poll_feeds(
    db: Database, fetcher: Fetcher, sources: Sources, *, only_due: bool = True
) -> list[PollResult]:
    """Poll the feeds whose time has come (all of them with ``only_due=False``)."""
    # A tick lands a little before a feed's exact time; half an interval early counts.
    slack = min(sources.interval / 2, 30.0)
    targets = await feeds.due(db, slack) if only_due else await feeds.list_all(db)
    if not targets:
        return []
    return await poll(db, fetcher, targets, sources.poll_config())


async def load_new_files(db: Database, sources: Sources) -> LoadReport:
    """Load the files that appeared (or changed) in SEEDS_DIR since they were last loaded."""
    if sources.seeds_dir is None or not sources.seeds_dir.is_dir():
        return LoadReport()
    return await importers.load_new_files(
        db, sources.seeds_dir, Arrival(origin="file", fresh_hours=sources.fresh_hours)
    )

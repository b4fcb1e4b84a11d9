"""What handlers and jobs share: the settings and the database, kept in ``bot_data``."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import Update
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.config import Settings
from bot.sender import Sender
from bot.strings import Lang, language_for
from storage.db import Database
from storage.ingest.http import Fetcher

logger = logging.getLogger(__name__)

_KEY = "deps"

AnyContext = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[
    ExtBot[None], AnyContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[AnyContext]
]
JobCallback = Callable[[AnyContext], Coroutine[Any, Any, None]]


class Jobs:
    """The JobQueue callbacks running now, so that a stop can wait for them.

    PTB's ``Application.stop`` waits for the jobs running when it begins, but one that starts
    meanwhile is only cancelled, and PTB shields a job from cancellation: it would go on
    writing after the stop. A callback registered through ``guard`` does nothing once
    ``close`` was called, and ``close`` waits for those already running.
    """

    def __init__(self) -> None:
        self.closed = False
        self._running: set[asyncio.Task[Any]] = set()

    def guard(self, callback: JobCallback) -> JobCallback:
        @functools.wraps(callback)
        async def guarded(context: AnyContext) -> None:
            task = asyncio.current_task()
            if self.closed or task is None:
                return
            self._running.add(task)
            try:
                await callback(context)
            finally:
                self._running.discard(task)

        return guarded

    async def close(self, within: float) -> None:
        """Start no more jobs; wait ``within`` seconds at most for those running, then cancel
        what is left."""
        self.closed = True
        running = self._running - {asyncio.current_task()}
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=within)
        for task in late:
            logger.warning("job %s still running at the stop: cancelled", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1)


@dataclass
class Deps:
    settings: Settings
    db: Database
    sender: Sender
    fetcher: Fetcher
    jobs: Jobs = field(default_factory=Jobs)


def install(application: AnyApplication, deps: Deps) -> None:
    application.bot_data[_KEY] = deps


def deps(context: AnyContext) -> Deps:
    return cast(Deps, context.bot_data[_KEY])


def lang(update: object, context: AnyContext) -> Lang:
    """The reader's language: English when their Telegram speaks it, else the default."""
    default = deps(context).settings.default_language
    if isinstance(update, Update) and update.effective_user is not None:
        return language_for(update.effective_user.language_code, default)
    return default


def is_admin(update: Update, context: AnyContext) -> bool:
    """An editor of the site: a user listed in ADMIN_IDS."""
    user = update.effective_user
    return user is not None and user.id in deps(context).settings.admin_ids

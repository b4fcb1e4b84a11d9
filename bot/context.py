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
        self._detached: set[asyncio.Task[Any]] = set()

    def guard(self, callback: JobCallback, *, detached: bool = False) -> JobCallback:
        """``callback`` as a JobQueue callback that a stop can wait for.

        ``detached``: for work that may be cut off at any point and simply done again (the
        ingest: its transactions roll back, the feed is polled at the next start). It runs in a
        task of its own and the callback returns at once, so that PTB's ``stop`` (which waits
        for running jobs without a limit) is not held up by a slow feed; ``close`` cancels it.
        A tick that comes while the previous one still runs is skipped, as PTB would.
        """
        previous: list[asyncio.Task[Any]] = []

        async def run(context: AnyContext) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await callback(context)
            finally:
                self._running.discard(task)

        @functools.wraps(callback)
        async def guarded(context: AnyContext) -> None:
            if self.closed:
                return
            if not detached:
                await run(context)
                return
            if previous and not previous[0].done():
                return
            task = asyncio.create_task(callback(context), name=callback.__name__)
            self._detached.add(task)
            task.add_done_callback(self._detached.discard)
            previous[:] = [task]

        return guarded

    async def close(self, within: float) -> None:
        """Start no more jobs; wait ``within`` seconds at most for those running, then cancel
        what is left."""
        self.closed = True
        for task in self._detached:
            task.cancel()
        if self._detached:
            await asyncio.wait(self._detached, timeout=within)
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
    #: Chats' /language choices (storage.chat_settings), loaded at start and kept up to date
    #: by /language, so that ``lang`` needs no database read.
    languages: dict[int, Lang] = field(default_factory=dict)


def install(application: AnyApplication, deps: Deps) -> None:
    application.bot_data[_KEY] = deps


def deps(context: AnyContext) -> Deps:
    return cast(Deps, context.bot_data[_KEY])


def lang(update: object, context: AnyContext) -> Lang:
    """The chat's language: its /language choice if it made one; else English when the
    reader's Telegram speaks it, else the default."""
    d = deps(context)
    default = d.settings.default_language
    if not isinstance(update, Update):
        return default
    chat = update.effective_chat
    if chat is not None and chat.id in d.languages:
        return d.languages[chat.id]
    if update.effective_user is not None:
        return language_for(update.effective_user.language_code, default)
    return default


def is_admin(update: Update, context: AnyContext) -> bool:
    """An editor of the site: a user listed in ADMIN_IDS."""
    user = update.effective_user
    return user is not None and user.id in deps(context).settings.admin_ids

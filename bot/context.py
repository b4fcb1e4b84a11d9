"""What handlers and jobs share: the settings and the database, kept in ``bot_data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from telegram import Update
from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.config import Settings
from bot.strings import Lang, language_for
from storage.db import Database
from storage.ingest.http import Fetcher

if TYPE_CHECKING:
    from bot.delivery import Sender

_KEY = "deps"


@dataclass
class Deps:
    settings: Settings
    db: Database
    sender: Sender
    fetcher: Fetcher


AnyContext = ContextTypes.DEFAULT_TYPE
AnyApplication = Application[
    ExtBot[None], AnyContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[AnyContext]
]


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

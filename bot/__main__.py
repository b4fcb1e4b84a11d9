"""The command line: ``newsbot run | console | load | feeds | search | latest | backup``.

``python -m bot`` does the same. ``run`` long-polls, or with WEBHOOK_URL set listens for
Telegram's webhook calls (python-telegram-bot's ``webhooks`` extra).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib.util
import json
import logging
import re
import socket
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from telegram import Chat, Message, Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import (
    BaseHandler,
    ChatBoostHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    MessageReactionHandler,
    PrefixHandler,
    StringCommandHandler,
    StringRegexHandler,
    TypeHandler,
)
from telegram.ext import filters as ptb_filters

from bot.config import ConfigError, Settings, load_settings
from bot.context import AnyApplication
from storage import Database, articles, feeds, importers, open_database, search
from storage import backup as backups
from storage.articles import Arrival
from storage.db import BUSY_TIMEOUT_MS
from storage.ingest import service
from storage.ingest.http import Fetcher


class OneLineFormatter(logging.Formatter):
    """Log records with any exception reduced to one line: no traceback reaches a terminal."""

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt)
        self.secrets: list[str] = []

    def formatException(self, ei: Any) -> str:
        exc = ei[1]
        return f"  ({type(exc).__name__}: {exc})" if exc is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n  (", " (")
        for secret in self.secrets:  # PTB puts the token in some error texts
            text = text.replace(secret, "<BOT_TOKEN>")
        return text


_FORMATTER = OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


class StartupError(Exception):
    """The bot cannot start for a reason other than its settings; one line (exit status 1)."""


class _SaidByMain(logging.Filter):
    """Drop PTB's log of a failed start-up step (getMe, setWebhook, deleteWebhook).

    Its exception reaches ``main``, which says what went wrong in one line of its own; PTB's
    "Network Retry Loop (Bootstrap …): … Aborting" would be a second line for the same cause.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("telegram")
            and record.exc_info is not None
            and record.getMessage().startswith("Network Retry Loop (Bootstrap")
        )


def _setup_logging(verbose: bool) -> None:
    """INFO for the running bot; only warnings for the one-shot commands."""
    handler = logging.StreamHandler()
    handler.setFormatter(_FORMATTER)
    handler.addFilter(_SaidByMain())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    # The sender logs each 429 and what it does about it; PTB's limiter would add a second,
    # louder line for every one.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    # httpx logs every request URL, and the URL carries the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="A Telegram bot for an Arabic news site."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot (needs BOT_TOKEN)")
    console = sub.add_parser(
        "console",
        help="chat with the bot in this terminal: no token, no network",
        description=(
            "Chat with the bot in this terminal, without a token or a network: the same"
            " handlers and start-up as run, against an in-process stand-in of Telegram. Each"
            " line is a message from you (a reader in a private chat); #N presses button N of"
            " the last message with buttons. The database is a new temporary file loaded from"
            " SEEDS_DIR and deleted at the end (DATABASE_PATH is not touched); FEEDS are not"
            " fetched. With standard input not a terminal, it prints the answers to each line"
            " in order and exits 0 at the end of input."
        ),
    )
    console.add_argument(
        "--editor", action="store_true", help="be an editor (ADMIN_IDS): try /post and /stats"
    )
    console.add_argument(
        "--lang",
        choices=("ar", "en"),
        help="your Telegram's language (default: none, so the bot uses DEFAULT_LANGUAGE)",
    )
    load = sub.add_parser("load", help="load article files (.txt pages, .jsonl) and folders")
    load.add_argument(
        "--archive",
        action="store_true",
        help="an archive: store and index the articles, never push them to subscribers",
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    feeds_cmd = sub.add_parser("feeds", help="list, add, remove or poll the news feeds")
    feeds_sub = feeds_cmd.add_subparsers(dest="action", metavar="ACTION")
    feeds_sub.add_parser("list", help="list the feeds (the default)")
    feeds_add = feeds_sub.add_parser("add", help="follow a feed")
    feeds_add.add_argument("url", metavar="URL")
    feeds_remove = feeds_sub.add_parser("remove", help="stop following a feed")
    feeds_remove.add_argument("url", metavar="URL")
    feeds_sub.add_parser("poll", help="fetch every feed once now and say what came")
    find = sub.add_parser("search", help="search the archive (queries from stdin when none)")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.add_argument("--limit", type=_limit, default=10, help="results to show (default 10)")
    find.add_argument("query", nargs="*", metavar="QUERY")
    latest = sub.add_parser("latest", help="list the newest articles")
    latest.add_argument("--json", action="store_true", help="print JSON")
    latest.add_argument("--limit", type=_limit, default=5, help="articles to show (default 5)")
    copy = sub.add_parser(
        "backup", help="copy the database into a new file, safely while the bot runs"
    )
    copy.add_argument("path", type=Path, metavar="PATH", help="the new file (never overwritten)")
    return parser


def _search_json(result: search.SearchResult) -> dict[str, Any]:
    return {
        "query": result.query,
        "total": result.total,
        "results": [
            {
                "id": h.id,
                "title": h.title,
                "url": h.url,
                "published_at": h.published_at,
                "snippet": h.snippet,
            }
            for h in result.hits
        ],
    }


def _print_search(result: search.SearchResult, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(json.dumps(_search_json(result), ensure_ascii=False), file=out)
        return
    print(f"{result.total} result(s) for {result.query!r}", file=out)
    for h in result.hits:
        print(f"\n[{h.id}] {h.title}", file=out)
        if h.published_at:
            print(f"    {h.published_at}", file=out)
        print(f"    {h.snippet}", file=out)


async def _cmd_search(db: Database, args: argparse.Namespace) -> int:
    if args.query:
        queries = [" ".join(args.query)]
    else:
        queries = [line.rstrip("\n") for line in sys.stdin]
        queries = [q for q in queries if q.strip()]
    for query in queries:
        result = await search.search(db, query, limit=args.limit)
        _print_search(result, args.json, sys.stdout)
    return 0


async def _cmd_latest(db: Database, args: argparse.Namespace) -> int:
    items = await articles.latest(db, args.limit)
    if args.json:
        payload = [
            {
                "id": a.id,
                "title": a.title,
                "url": a.url,
                "published_at": a.published_at,
                "source": a.source,
            }
            for a in items
        ]
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    if not items:
        print("no articles yet")
    for a in items:
        print(f"[{a.id}] {a.published_at or '-'}  {a.title}")
    return 0


async def _cmd_load(db: Database, settings: Settings, args: argparse.Namespace) -> int:
    if args.archive:
        arrival = Arrival(origin="archive", news=False, fresh_hours=settings.fresh_hours)
    else:
        arrival = Arrival(origin="file", fresh_hours=settings.fresh_hours)
    report = await importers.load_paths(db, args.paths, arrival)
    for rejection in report.rejected:
        print(f"rejected {rejection.where}: {rejection.reason}", file=sys.stderr)
    print(
        f"added {report.added}, updated {report.updated}, already present {report.present},"
        f" rejected {len(report.rejected)}"
    )
    stored = report.added or report.present or report.updated
    return 1 if report.rejected and not stored else 0


async def _cmd_feeds(db: Database, settings: Settings, args: argparse.Namespace) -> int:
    await feeds.sync_settings(db, settings.feeds)
    if args.action == "add":
        try:
            feed, added = await feeds.add(db, args.url)
        except ValueError:
            print(f"newsbot: not an http(s) address: {args.url!r}", file=sys.stderr)
            return 2
        print(("added " if added else "already followed ") + feed.url)
        return 0
    if args.action == "remove":
        gone = await feeds.find(db, args.url)
        if gone is None or not await feeds.remove(db, args.url):
            print(f"newsbot: not a followed feed: {args.url}", file=sys.stderr)
            return 1
        print(f"removed {gone.url}")
        if gone.from_settings:
            print("note: it is listed in FEEDS and comes back at the next start", file=sys.stderr)
        return 0
    if args.action == "poll":
        return await _poll_feeds(db, settings)
    followed = await feeds.list_all(db)
    if not followed:
        print("no feeds (add one with: newsbot feeds add URL)", file=sys.stderr)
    for feed in followed:
        print(feed.url)
    return 0


async def _poll_feeds(db: Database, settings: Settings) -> int:
    async with Fetcher(user_agent=service.user_agent()) as fetcher:
        results = await service.poll_feeds(db, fetcher, settings.sources(), only_due=False)
    if not results:
        print("no feeds to poll (add one with: newsbot feeds add URL)", file=sys.stderr)
        return 0
    for r in results:
        if r.outcome == "error":
            print(f"{r.feed.url}: error: {r.error}")
        elif r.outcome == "unchanged":
            print(f"{r.feed.url}: unchanged")
        else:
            print(f"{r.feed.url}: new {r.new}, updated {r.updated}")
    return 1 if all(r.outcome == "error" for r in results) else 0


async def _with_db(settings: Settings, args: argparse.Namespace) -> int:
    db = await open_database(settings.database_path)
    try:
        if args.command == "load":
            return await _cmd_load(db, settings, args)
        if args.command == "feeds":
            return await _cmd_feeds(db, settings, args)
        if args.command == "search":
            return await _cmd_search(db, args)
        return await _cmd_latest(db, args)
    finally:
        await db.close()


def _backup(settings: Settings, target: Path) -> int:
    try:
        report = asyncio.run(backups.backup(settings.database_path, target))
    except backups.NoDatabase as exc:
        raise ConfigError(f"DATABASE_PATH: {exc}") from None
    except backups.BackupError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {report.path} ({report.articles} articles, integrity ok)")
    return 0


# -- which updates to ask Telegram for -----------------------------------------------------------

#: The kinds of update that carry a message (``Update.effective_message``), which
#: MessageHandler, CommandHandler and PrefixHandler see, as their filters allow.
_MESSAGE_KINDS = tuple(
    kind
    for kind in (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_message",
        "edited_business_message",
        "guest_message",
    )
    if kind in Update.ALL_TYPES
)
#: Handlers that see exactly one kind of update (looked up by name: newer PTBs add more).
_ONE_KIND = {
    "CallbackQueryHandler": "callback_query",
    "InlineQueryHandler": "inline_query",
    "ChosenInlineResultHandler": "chosen_inline_result",
    "ShippingQueryHandler": "shipping_query",
    "PreCheckoutQueryHandler": "pre_checkout_query",
    "PollHandler": "poll",
    "PollAnswerHandler": "poll_answer",
    "ChatJoinRequestHandler": "chat_join_request",
    "BusinessConnectionHandler": "business_connection",
    "BusinessMessagesDeletedHandler": "deleted_business_messages",
    "PaidMediaPurchasedHandler": "purchased_paid_media",
    "ManagedBotUpdatedHandler": "managed_bot",
}


def _probe(kind: str) -> Update:
    """An update of ``kind`` carrying an empty message: enough for ``filters.UpdateType``."""
    message = Message(message_id=0, date=datetime(2000, 1, 1, tzinfo=UTC), chat=Chat(0, "private"))
    payload: dict[str, Any] = {kind: message}
    return Update(update_id=0, **payload)


def _may_pass(check: object, kind: str) -> bool | None:
    """Whether a filter lets an update of ``kind`` through: True, False, or None (it depends
    on the message). Only ``filters.UpdateType`` decides by kind; ``&``, ``|``, ``~`` and
    ``^`` combine as three-valued logic."""
    if isinstance(check, bool):
        return check
    if isinstance(check, ptb_filters._MergedFilter):
        left = _may_pass(check.base_filter, kind)
        if check.and_filter is not None:
            right = _may_pass(check.and_filter, kind)
            if left is False or right is False:
                return False
            return True if left and right else None
        right = _may_pass(check.or_filter, kind)
        if left or right:
            return True
        return False if left is False and right is False else None
    if isinstance(check, ptb_filters._InvertedFilter):
        inner = _may_pass(check.inv_filter, kind)
        return None if inner is None else not inner
    if isinstance(check, ptb_filters._XORFilter):
        left, right = _may_pass(check.base_filter, kind), _may_pass(check.xor_filter, kind)
        return None if left is None or right is None else left != right
    if isinstance(check, ptb_filters.UpdateFilter) and type(check).__qualname__.startswith(
        "UpdateType."
    ):
        return bool(check.check_update(_probe(kind)))
    return None


def _handler_kinds(handler: BaseHandler[Any, Any, Any]) -> Iterable[str]:
    if isinstance(handler, MessageHandler | CommandHandler | PrefixHandler):
        return (k for k in _MESSAGE_KINDS if _may_pass(handler.filters, k) is not False)
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        inner += [h for handlers in handler.states.values() for h in handlers]
        return (kind for h in inner for kind in _handler_kinds(h))
    if isinstance(handler, ChatMemberHandler):
        return {
            ChatMemberHandler.MY_CHAT_MEMBER: ("my_chat_member",),
            ChatMemberHandler.CHAT_MEMBER: ("chat_member",),
        }.get(handler.chat_member_types or 0, ("my_chat_member", "chat_member"))
    if isinstance(handler, ChatBoostHandler):
        return {
            ChatBoostHandler.CHAT_BOOST: ("chat_boost",),
            ChatBoostHandler.REMOVED_CHAT_BOOST: ("removed_chat_boost",),
        }.get(handler.chat_boost_types, ("chat_boost", "removed_chat_boost"))
    if isinstance(handler, MessageReactionHandler):
        return {
            MessageReactionHandler.MESSAGE_REACTION_UPDATED: ("message_reaction",),
            MessageReactionHandler.MESSAGE_REACTION_COUNT_UPDATED: ("message_reaction_count",),
        }.get(handler.message_reaction_types, ("message_reaction", "message_reaction_count"))
    if isinstance(handler, StringCommandHandler | StringRegexHandler):
        return ()  # they handle strings put on the queue, never Telegram's updates
    if isinstance(handler, TypeHandler) and not issubclass(Update, handler.type):
        return ()  # custom objects put on the queue
    for cls in type(handler).__mro__:
        if cls.__name__ in _ONE_KIND:
            return (_ONE_KIND[cls.__name__],)
    return Update.ALL_TYPES  # a handler this does not know: never silently starve it


def allowed_updates(application: AnyApplication) -> list[str]:
    """The update kinds the registered handlers can handle, for getUpdates and setWebhook.

    Telegram sends only what ``allowed_updates`` names, so a hand-written list silently
    starves a new handler (an InlineQueryHandler would never see an inline query). Plus
    ``my_chat_member``: the bot must always learn that it was added to or removed from a chat.
    """
    kinds = {"my_chat_member"}
    for handlers in application.handlers.values():
        for handler in handlers:
            kinds.update(_handler_kinds(handler))
    return [str(kind) for kind in Update.ALL_TYPES if kind in kinds]


def _run(settings: Settings) -> int:
    from bot.app import build_application

    webhook = settings.webhook()
    if webhook is not None and importlib.util.find_spec("tornado") is None:
        raise StartupError(
            "WEBHOOK_URL needs python-telegram-bot's webhooks extra:"
            " pip install 'python-telegram-bot[webhooks]' (or leave WEBHOOK_URL unset to poll)"
        )
    if webhook is not None:
        # PTB registers the webhook before it opens the port: a busy port would leave Telegram
        # sending updates to a listener that never came up.
        _check_listen(webhook.listen, webhook.port)
    application = build_application(settings)
    updates = allowed_updates(application)
    if webhook is None:
        application.run_polling(allowed_updates=updates)
        return 0
    try:
        # setWebhook with the public URL and the secret, then plain HTTP on listen:port behind
        # the TLS proxy; PTB answers 403 to a request without the secret header, unprocessed.
        application.run_webhook(
            listen=webhook.listen,
            port=webhook.port,
            url_path=re.escape(webhook.path),  # PTB routes with a regular expression
            webhook_url=webhook.url,
            secret_token=webhook.secret,
            allowed_updates=updates,
        )
    except OSError as exc:
        if exc.filename is None and exc.errno in (
            errno.EADDRINUSE,
            errno.EADDRNOTAVAIL,
            errno.EACCES,
        ):
            raise StartupError(
                f"WEBHOOK_PORT: cannot listen on {webhook.listen}:{webhook.port} ({exc.strerror})"
            ) from None
        raise
    return 0


def _check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go: StartupError (WEBHOOK_PORT) when it is taken."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError(f"WEBHOOK_PORT: cannot listen on {host}:{port} ({reason})") from None


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _console(args: argparse.Namespace) -> int:
    """``newsbot console``; a failure is one line (exit 1), a bad setting goes to ``main``."""
    from bot import console

    options = console.Options(editor=args.editor, language=args.lang)
    try:
        return console.run(options, allowed_updates)
    except (ConfigError, KeyboardInterrupt):
        raise
    except Exception as exc:
        print(f"newsbot console: stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(verbose=args.command == "run")
    try:
        if args.command == "console":  # its own settings: no BOT_TOKEN, a temporary database
            return _console(args)
        settings = load_settings()
        if args.command == "backup":
            return _backup(settings, args.path)
        if args.command == "run":
            _FORMATTER.secrets.append(settings.token())  # also fails early when it is missing
            webhook = settings.webhook()
            if webhook is not None:
                _FORMATTER.secrets.append(webhook.secret)
            settings.make_database_folder()
            return _run(settings)
        settings.make_database_folder()
        return asyncio.run(_with_db(settings, args))
    except ConfigError as exc:
        print(f"newsbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("newsbot: Telegram refused BOT_TOKEN: check it with @BotFather", file=sys.stderr)
        return 2
    except BadRequest as exc:
        if exc.message.lower().startswith("bad webhook"):  # setWebhook refused the URL
            print(f"newsbot: WEBHOOK_URL: Telegram refused it: {exc.message}", file=sys.stderr)
            return 2
        print(f"newsbot: cannot work with Telegram: {exc.message}", file=sys.stderr)
        return 1
    except TelegramError as exc:
        print(f"newsbot: cannot work with Telegram: {exc.message}", file=sys.stderr)
        return 1
    except StartupError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except sqlite3.OperationalError as exc:
        if _busy(exc):
            # Another process holds the write lock: nothing is wrong with DATABASE_PATH.
            print(
                f"newsbot: the database is busy: another process kept it locked for over"
                f" {BUSY_TIMEOUT_MS // 1000} s ({exc}); try again",
                file=sys.stderr,
            )
            return 1
        print(
            f"newsbot: DATABASE_PATH: cannot use {settings.database_path} as the database ({exc})",
            file=sys.stderr,
        )
        return 2
    except sqlite3.Error as exc:
        print(
            f"newsbot: DATABASE_PATH: cannot use {settings.database_path} as the database ({exc})",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(
            f"newsbot: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

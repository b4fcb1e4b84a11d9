"""The command line: ``newsbot run | load | search | latest`` (``python -m bot`` does the same)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from telegram.error import InvalidToken, TelegramError

from bot.config import ConfigError, Settings, load_settings
from storage import Database, articles, importers, open_database, search


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


def _setup_logging(verbose: bool) -> None:
    """INFO for the running bot; only warnings for the one-shot commands."""
    handler = logging.StreamHandler()
    handler.setFormatter(_FORMATTER)
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
    load = sub.add_parser("load", help="load article files (.txt pages, .jsonl) and folders")
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    find = sub.add_parser("search", help="search the archive (queries from stdin when none)")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.add_argument("--limit", type=_limit, default=10, help="results to show (default 10)")
    find.add_argument("query", nargs="*", metavar="QUERY")
    latest = sub.add_parser("latest", help="list the newest articles")
    latest.add_argument("--json", action="store_true", help="print JSON")
    latest.add_argument("--limit", type=_limit, default=5, help="articles to show (default 5)")
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


async def _cmd_load(db: Database, args: argparse.Namespace) -> int:
    report = await importers.load_paths(db, args.paths)
    for rejection in report.rejected:
        print(f"rejected {rejection.where}: {rejection.reason}", file=sys.stderr)
    print(
        f"added {report.added}, already present {report.present}, rejected {len(report.rejected)}"
    )
    return 1 if report.rejected and not (report.added or report.present) else 0


async def _with_db(settings: Settings, args: argparse.Namespace) -> int:
    db = await open_database(settings.database_path)
    try:
        if args.command == "load":
            return await _cmd_load(db, args)
        if args.command == "search":
            return await _cmd_search(db, args)
        return await _cmd_latest(db, args)
    finally:
        await db.close()


def _run(settings: Settings) -> int:
    from bot.app import build_application

    application = build_application(settings)
    application.run_polling(
        allowed_updates=["message", "channel_post", "callback_query", "my_chat_member"]
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging(verbose=args.command == "run")
    try:
        settings = load_settings()
        if args.command == "run":
            _FORMATTER.secrets.append(settings.token())  # also fails early when it is missing
            return _run(settings)
        return asyncio.run(_with_db(settings, args))
    except ConfigError as exc:
        print(f"newsbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("newsbot: Telegram refused BOT_TOKEN: check it with @BotFather", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"newsbot: cannot work with Telegram: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
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

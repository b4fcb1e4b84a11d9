"""Callback data: a small typed codec (``prefix:field:field``) that never builds over 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.constants import InlineKeyboardButtonLimit

MAX_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


@dataclass(frozen=True)
class OpenArticle:
    article_id: int


@dataclass(frozen=True)
class SearchPage:
    query_id: int
    offset: int


@dataclass(frozen=True)
class SubscribeChat:
    """An editor's "subscribe this channel" button, offered when the bot is made its admin."""

    chat_id: int


Callback = OpenArticle | SearchPage | SubscribeChat


def encode(cb: Callback) -> str:
    if isinstance(cb, OpenArticle):
        data = f"a:{cb.article_id:d}"
    elif isinstance(cb, SearchPage):
        data = f"q:{cb.query_id:d}:{cb.offset:d}"
    else:
        data = f"s:{cb.chat_id:d}"
    if len(data.encode()) > MAX_BYTES:  # pragma: no cover - ints cannot get there
        raise ValueError("callback data over 64 bytes")
    return data


def decode(data: str | None) -> Callback | None:
    """The callback a button carries, or None for anything we did not build."""
    if not data:
        return None
    kind, _, rest = data.partition(":")
    if kind == "s" and rest.startswith("-") and rest[1:].isdigit() and len(rest) < 20:
        return SubscribeChat(int(rest))
    fields = rest.split(":")
    if not all(f.isdigit() and len(f) < 19 for f in fields):
        return None
    if kind == "a" and len(fields) == 1:
        return OpenArticle(int(fields[0]))
    if kind == "q" and len(fields) == 2:
        return SearchPage(int(fields[0]), int(fields[1]))
    return None

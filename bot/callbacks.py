"""Callback data: a small typed codec (``prefix:field:field``) that never builds over 64 bytes."""

from __future__ import annotations

import dataclasses
import re
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

#: Each kind's prefix, written once: ``encode`` builds with it, handlers match ``pattern``.
PREFIX: dict[type[Callback], str] = {OpenArticle: "a", SearchPage: "q", SubscribeChat: "s"}
_FIELD = re.compile(r"-?[0-9]{1,18}")


def pattern(kind: type[Callback]) -> str:
    """The CallbackQueryHandler pattern of one kind of button."""
    return f"^{PREFIX[kind]}:"


def encode(cb: Callback) -> str:
    fields = [getattr(cb, f.name) for f in dataclasses.fields(cb)]
    data = ":".join([PREFIX[type(cb)], *(f"{v:d}" for v in fields)])
    if len(data.encode()) > MAX_BYTES:  # pragma: no cover - ints cannot get there
        raise ValueError("callback data over 64 bytes")
    return data


def decode(data: str | None) -> Callback | None:
    """The callback a button carries, or None for anything we did not build (stale, forged,
    or from another version of the bot): ASCII digits only, so ``a:²`` is no article."""
    if not data:
        return None
    prefix, *fields = data.split(":")
    kind = next((k for k, p in PREFIX.items() if p == prefix), None)
    if kind is None or not all(_FIELD.fullmatch(f) for f in fields):
        return None
    if len(fields) != len(dataclasses.fields(kind)):
        return None
    values = [int(f) for f in fields]
    if kind is SubscribeChat:
        return SubscribeChat(values[0]) if values[0] < 0 else None
    if any(v < 0 for v in values):
        return None
    return kind(*values)

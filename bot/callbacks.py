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
class SearchNewest:
    """A page of a saved search, newest first (``SearchPage`` is best first)."""

    query_id: int
    offset: int


@dataclass(frozen=True)
class SubscribeChat:
    """An editor's "subscribe this channel" button, offered when the bot is made its admin."""

    chat_id: int


@dataclass(frozen=True)
class LatestList:
    """The /latest list of ``count`` articles, drawn again in place (a "back to the list")."""

    count: int


@dataclass(frozen=True)
class PopularList:
    """The most read of the last ``days`` days (1 or 7), drawn in place."""

    days: int


@dataclass(frozen=True)
class ReadArticle:
    """An article read in place: its ``page``, and the list it was opened from.

    ``back`` names that list (``BACK_*``) with its own fields in ``a`` and ``b``, flat, so
    that the data stays a few bytes: "back to the list" rebuilds it with ``back_to``.
    """

    article_id: int
    page: int = 0
    back: int = 0
    a: int = 0
    b: int = 0


@dataclass(frozen=True)
class DraftAction:
    """An editor's button under a draft: ``action`` is one of the ``DRAFT_*`` numbers."""

    draft_id: int
    action: int


#: What a draft's button does: publish, publish as breaking news, cancel (under its preview),
#: and cancel from the /scheduled list (which is then drawn again in place).
DRAFT_PUBLISH, DRAFT_URGENT, DRAFT_CANCEL, DRAFT_UNSCHEDULE = 1, 2, 3, 4


@dataclass(frozen=True)
class ChatSetting:
    """A /settings button: ``action`` is one of the ``SET_*`` numbers, for the chat it is in."""

    action: int


#: What a /settings button sets (explicit states, so an old message's button stays right).
(
    SET_SUBSCRIBE,
    SET_UNSUBSCRIBE,
    SET_PAUSE,
    SET_RESUME,
    SET_LANG_AR,
    SET_LANG_EN,
    SET_LANG_AUTO,
    SET_QUIET_OFF,
    SET_DIGEST_OFF,
    SET_DIGEST_HOURLY,
    SET_DIGEST_DAILY,
) = range(1, 12)

Callback = (
    OpenArticle
    | SearchPage
    | SearchNewest
    | SubscribeChat
    | LatestList
    | PopularList
    | ReadArticle
    | DraftAction
    | ChatSetting
)
#: A list an article can be opened from, and gone back to.
ListCallback = LatestList | SearchPage | SearchNewest | PopularList

#: Each kind's prefix, written once: ``encode`` builds with it, handlers match ``pattern``.
PREFIX: dict[type[Callback], str] = {
    OpenArticle: "a",
    SearchPage: "q",
    SearchNewest: "o",
    SubscribeChat: "s",
    LatestList: "l",
    PopularList: "p",
    ReadArticle: "v",
    DraftAction: "d",
    ChatSetting: "g",
}
#: /latest shows at most this many articles.
LATEST_MAX = 20
#: The windows of the most read, in days.
POPULAR_DAYS = (1, 7)
#: An article is paged into at most this many parts (three digits in the data).
MAX_PAGES = 999
BACK_NONE, BACK_LATEST, BACK_SEARCH, BACK_POPULAR, BACK_SEARCH_NEWEST = 0, 1, 2, 3, 4
_FIELD = re.compile(r"-?[0-9]{1,18}")


def pattern(kind: type[Callback]) -> str:
    """The CallbackQueryHandler pattern of one kind of button."""
    return f"^{PREFIX[kind]}:"


def _join(cb: Callback) -> str:
    fields = [getattr(cb, f.name) for f in dataclasses.fields(cb)]
    return ":".join([PREFIX[type(cb)], *(f"{v:d}" for v in fields)])


def encode(cb: Callback) -> str:
    """The button data; never over Telegram's 64 bytes (ValueError instead)."""
    data = _join(cb)
    if len(data.encode()) > MAX_BYTES:
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
    cb = kind(*values)
    return cb if _valid(cb) else None


def _valid(cb: Callback) -> bool:
    """The ranges the bot itself builds; anything else is forged or from another version."""
    if isinstance(cb, LatestList):
        return 1 <= cb.count <= LATEST_MAX
    if isinstance(cb, PopularList):
        return cb.days in POPULAR_DAYS
    if isinstance(cb, ChatSetting):
        return SET_SUBSCRIBE <= cb.action <= SET_DIGEST_DAILY
    if isinstance(cb, DraftAction):
        return cb.draft_id >= 1 and DRAFT_PUBLISH <= cb.action <= DRAFT_UNSCHEDULE
    if isinstance(cb, ReadArticle):
        if cb.article_id < 1 or cb.page >= MAX_PAGES:
            return False
        if cb.back == BACK_NONE:
            return cb.a == cb.b == 0
        back = back_to(cb)
        searched = cb.back in (BACK_SEARCH, BACK_SEARCH_NEWEST)
        return back is not None and (not searched or cb.a >= 1)
    return True


def read(article_id: int, page: int = 0, back: ListCallback | None = None) -> ReadArticle:
    """The button data of an article read in place, remembering the list it came from (left
    out in the unlikely case that it would not fit in 64 bytes)."""
    view = ReadArticle(article_id, page)
    if isinstance(back, LatestList):
        view = ReadArticle(article_id, page, BACK_LATEST, back.count)
    elif isinstance(back, SearchPage):
        view = ReadArticle(article_id, page, BACK_SEARCH, back.query_id, back.offset)
    elif isinstance(back, SearchNewest):
        view = ReadArticle(article_id, page, BACK_SEARCH_NEWEST, back.query_id, back.offset)
    elif isinstance(back, PopularList):
        view = ReadArticle(article_id, page, BACK_POPULAR, back.days)
    if view.back and len(_join(view).encode()) > MAX_BYTES:
        return ReadArticle(article_id, page)
    return view


def back_to(view: ReadArticle) -> ListCallback | None:
    """The list an article was opened from, as its own button data draws it again."""
    candidate: ListCallback | None = None
    if view.back == BACK_LATEST and view.b == 0:
        candidate = LatestList(view.a)
    elif view.back == BACK_SEARCH:
        candidate = SearchPage(view.a, view.b)
    elif view.back == BACK_SEARCH_NEWEST:
        candidate = SearchNewest(view.a, view.b)
    elif view.back == BACK_POPULAR and view.b == 0:
        candidate = PopularList(view.a)
    return candidate if candidate is not None and _valid(candidate) else None

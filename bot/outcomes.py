"""What a refused or failed request means for the sender: one named action per Telegram error.

Pure: ``classify(exception)`` reads the exception PTB raised and says what to do; it never
touches the network or the database (``bot.delivery`` does what it says, ``bot.sender``
schedules the retries). See ../shared/TELEGRAM.md, "Errors, as PTB raises them".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

#: Network failures of one message before it is failed for good.
MAX_ATTEMPTS = 5
#: The longest wait between two attempts of one message.
MAX_BACKOFF = 300.0
#: A 429 whose retry_after cannot be read waits this long.
DEFAULT_FLOOD_WAIT = 5.0
#: BadRequest texts that mean the bot may no longer post in that chat.
GONE = (
    "chat not found",
    "not enough rights",
    "need administrator rights",
    "chat_write_forbidden",
    "have no rights to send",
)
#: BadRequest texts about the message itself: worth one plain-text repair.
REPAIRABLE = ("can't parse entities", "message is too long", "text must be non-empty")
#: The BadRequest text of an edit that would change nothing.
NOT_MODIFIED = "not modified"


class Kind(Enum):
    """What to do with the message (and the chat) after Telegram's answer."""

    RETRY = "retry"  # the same message again after ``wait`` (5xx, connection errors)
    RETRY_DOUBTFUL = "retry_doubtful"  # again after ``wait``; it may have arrived (time-out)
    PAUSE = "pause"  # 429: the chat waits ``wait`` seconds, then the message goes again
    DEACTIVATE = "deactivate"  # the chat refuses the bot: stop sending there
    MIGRATE = "migrate"  # the group became a supergroup: send to ``new_chat_id``
    REPAIR = "repair"  # the message is refused as it is: resend it once as plain text
    FAIL = "fail"  # this message only (or its attempts are used up); the chat's next one may go
    UNCHANGED = "unchanged"  # an edit that changes nothing: the copy already says it


@dataclass(frozen=True)
class Action:
    kind: Kind
    #: Why, in Telegram's (or PTB's) words: stored with the row, told to the editors.
    reason: str
    #: Seconds before the next attempt (RETRY, RETRY_DOUBTFUL, PAUSE).
    wait: float = 0.0
    #: The supergroup's id (MIGRATE).
    new_chat_id: int | None = None


def backoff(attempts: int, base: float = 2.0) -> float:
    """2 s, 4 s, 8 s … (with the default base) capped at 5 minutes."""
    exponent: int = max(attempts, 1) - 1
    return min(base * float(1 << min(exponent, 32)), MAX_BACKOFF)


def seconds_of(retry_after: object) -> float:
    """RetryAfter.retry_after is a timedelta (PTB_TIMEDELTA=1) or, without it, an int."""
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    if isinstance(retry_after, int | float):
        return float(retry_after)
    return DEFAULT_FLOOD_WAIT


def classify(exc: BaseException, *, attempts: int = 1, retry_base: float = 2.0) -> Action:
    """The action for the exception a send or an edit raised.

    ``attempts`` counts this attempt too (1 for the first): a message whose network failures
    reach ``MAX_ATTEMPTS`` fails for good. ``retry_base`` scales the backoff. Subclasses come
    before their bases: ``BadRequest`` and ``TimedOut`` are ``NetworkError`` s.
    """
    if isinstance(exc, RetryAfter):
        return Action(Kind.PAUSE, "flood control", wait=seconds_of(exc.retry_after))
    if isinstance(exc, ChatMigrated):
        return Action(Kind.MIGRATE, "migrated", new_chat_id=exc.new_chat_id)
    if isinstance(exc, Forbidden):
        return Action(Kind.DEACTIVATE, exc.message)
    if isinstance(exc, BadRequest):
        return _bad_request(exc.message)
    reason = f"{type(exc).__name__}: {exc.message if isinstance(exc, TelegramError) else exc}"
    if attempts >= MAX_ATTEMPTS:
        return Action(Kind.FAIL, reason)
    wait = backoff(attempts, retry_base)
    if _maybe_delivered(exc):
        return Action(Kind.RETRY_DOUBTFUL, reason, wait=wait)
    # 5xx, a connection never made, anything unforeseen: the message is not at fault.
    return Action(Kind.RETRY, reason, wait=wait)


#: httpx failures before the request reached Telegram whole: it cannot have been delivered.
_NOT_SENT = ("ConnectError", "ConnectTimeout", "PoolTimeout", "Pool timeout", "WriteError")


def _maybe_delivered(exc: BaseException) -> bool:
    """Whether Telegram may have received the request although no answer came: a time-out
    or a connection lost while waiting for the answer (httpx ReadError, RemoteProtocolError)
    after the request was sent. PTB names the httpx error in its message and as the cause."""
    if not isinstance(exc, NetworkError):
        return False
    cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else ""
    if any(part in exc.message or part == cause for part in _NOT_SENT):
        return False
    return isinstance(exc, TimedOut) or exc.message.startswith("httpx.")


def _bad_request(reason: str) -> Action:
    text = reason.lower()
    if NOT_MODIFIED in text:
        return Action(Kind.UNCHANGED, reason)
    if any(g in text for g in GONE):
        return Action(Kind.DEACTIVATE, reason)
    if any(r in text for r in REPAIRABLE):
        return Action(Kind.REPAIR, reason)
    return Action(Kind.FAIL, reason)

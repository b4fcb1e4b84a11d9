"""Every Telegram error has a named outcome: the policy alone, on exceptions built by hand."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.outcomes import MAX_ATTEMPTS, Action, Kind, backoff, classify, seconds_of


def test_flood_control_pauses_for_the_time_telegram_gives() -> None:
    assert classify(RetryAfter(timedelta(seconds=7))) == Action(Kind.PAUSE, "flood control", 7.0)
    assert classify(RetryAfter(3)).wait == 3.0


def test_flood_control_wait_is_read_as_an_int_without_ptb_timedelta(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    with pytest.warns(PTBDeprecationWarning):  # PTB then hands out an int
        action = classify(RetryAfter(12))
    assert (action.kind, action.wait) == (Kind.PAUSE, 12.0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(5, 5.0), (2.5, 2.5), (timedelta(minutes=1), 60.0), (None, 5.0), ("soon", 5.0)],
)
def test_retry_after_in_any_form_becomes_seconds(value: object, seconds: float) -> None:
    assert seconds_of(value) == seconds


def test_a_migrated_group_is_followed_to_its_new_id() -> None:
    action = classify(ChatMigrated(-1001234567890))
    assert (action.kind, action.new_chat_id) == (Kind.MIGRATE, -1001234567890)


@pytest.mark.parametrize(
    "exc",
    [
        Forbidden("Forbidden: bot was blocked by the user"),
        Forbidden("Forbidden: bot was kicked from the channel chat"),
        Forbidden("Forbidden: user is deactivated"),
        BadRequest("Bad Request: chat not found"),
        BadRequest("Bad Request: not enough rights to send text messages to the chat"),
        BadRequest("Bad Request: need administrator rights in the channel chat"),
        BadRequest("Bad Request: CHAT_WRITE_FORBIDDEN"),
        BadRequest("Bad Request: have no rights to send a message"),
    ],
    ids=str,
)
def test_a_chat_that_refuses_the_bot_is_deactivated(exc: Exception) -> None:
    action = classify(exc)
    assert action.kind is Kind.DEACTIVATE
    assert action.reason == str(exc)  # Telegram's words, for the row and the editors


@pytest.mark.parametrize(
    "description",
    [
        'Bad Request: can\'t parse entities: unsupported start tag "x" at byte offset 3',
        "Bad Request: message is too long",
        "Bad Request: text must be non-empty",
    ],
)
def test_a_message_refused_as_written_is_repaired_as_plain_text(description: str) -> None:
    assert classify(BadRequest(description)).kind is Kind.REPAIR


def test_any_other_refusal_fails_that_message_only() -> None:
    assert classify(BadRequest("Bad Request: MESSAGE_WEIRD")) == Action(
        Kind.FAIL,
        "Message_weird",  # PTB strips "Bad Request: " and capitalises
    )


def test_an_edit_that_changes_nothing_is_named_so() -> None:
    exc = BadRequest("Bad Request: message is not modified: specified new message content")
    assert classify(exc).kind is Kind.UNCHANGED


def test_a_time_out_is_retried_as_doubtful_with_growing_waits() -> None:
    first = classify(TimedOut(), attempts=1)
    assert first == Action(Kind.RETRY_DOUBTFUL, "TimedOut: Timed out", wait=2.0)
    assert classify(TimedOut(), attempts=3).wait == 8.0
    assert classify(TimedOut(), attempts=2, retry_base=0.05).wait == 0.1


@pytest.mark.parametrize(
    "exc",
    [NetworkError("Bad Gateway"), NetworkError("httpx.ConnectError: refused"), Conflict("x")],
)
def test_network_errors_are_retried_not_doubtful(exc: Exception) -> None:
    action = classify(exc, attempts=2)
    assert (action.kind, action.wait) == (Kind.RETRY, 4.0)
    assert action.reason.startswith(f"{type(exc).__name__}: ")


@pytest.mark.parametrize(
    "exc",
    [
        NetworkError("httpx.ReadError: connection reset"),
        NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response"),
    ],
)
def test_a_connection_lost_while_awaiting_the_answer_is_doubtful(exc: Exception) -> None:
    """The request went out whole; Telegram may have delivered it before the line broke."""
    assert classify(exc, attempts=1).kind is Kind.RETRY_DOUBTFUL


@pytest.mark.parametrize(
    "exc",
    [
        TimedOut("Pool timeout: All connections in the connection pool are occupied."),
        NetworkError("httpx.WriteError: broken pipe"),
    ],
)
def test_a_request_that_never_left_whole_is_not_doubtful(exc: Exception) -> None:
    assert classify(exc, attempts=1).kind is Kind.RETRY


def test_a_connect_time_out_is_not_doubtful() -> None:
    exc = TimedOut()
    exc.__cause__ = httpx.ConnectTimeout("connect timed out")  # as PTB raises it
    assert classify(exc, attempts=1).kind is Kind.RETRY


@pytest.mark.parametrize("exc", [TimedOut(), NetworkError("Bad Gateway")])
def test_attempts_used_up_fail_the_message(exc: Exception) -> None:
    assert classify(exc, attempts=MAX_ATTEMPTS - 1).kind is not Kind.FAIL
    assert classify(exc, attempts=MAX_ATTEMPTS).kind is Kind.FAIL


def test_subclasses_are_told_apart_from_network_errors() -> None:
    # BadRequest and TimedOut are NetworkErrors: neither is retried as a plain one.
    assert classify(BadRequest("Bad Request: chat not found")).kind is Kind.DEACTIVATE
    assert classify(TimedOut()).kind is Kind.RETRY_DOUBTFUL


def test_backoff_doubles_up_to_five_minutes() -> None:
    assert [backoff(n) for n in (0, 1, 2, 3, 4)] == [2.0, 2.0, 4.0, 8.0, 16.0]
    assert backoff(9) == 300.0
    assert backoff(10_000) == 300.0

"""Whatever a chat sends, the bot answers plainly: never the generic error, never a spinning
button, never an invisible article."""

from __future__ import annotations

import logging

import pytest
from telegram.ext import CallbackContext

from bot.render import bare
from bot.standin import wait_until
from bot.strings import STRINGS
from storage import articles
from tests.bot.conftest import ADMIN, READER, Harness

GENERIC_ERROR = {STRINGS["error"]["ar"], STRINGS["error"]["en"]}


async def test_latest_takes_arabic_indic_digits_and_refuses_other_digit_signs(
    bot: Harness,
) -> None:
    for n in range(4):
        await bot.publish(f"/post خبر رقم {n}\nنص الخبر رقم {n}.")
    [three] = await bot.send(READER, "/latest ٣")
    assert len(three.button_texts()) == 3
    for odd in ("²", "①", "٣²", "3.5", "-2", "0", "21", "ثلاثة"):
        [answer] = await bot.send(READER, f"/latest {odd}")
        assert bare(answer.text) == STRINGS["latest_bad_n"]["ar"], odd


@pytest.mark.parametrize(
    "data", ["a:²", "a:-4", "a:", "a:99999", "q:12345:5", "q:x", "s:5", "zz", "a:1:2", "٣"]
)
async def test_every_button_is_answered_even_one_the_bot_does_not_know(
    bot: Harness, data: str
) -> None:
    [welcome] = await bot.send(READER, "/start")
    update = bot.tg.callback_update(READER, READER, welcome.message_id, data)
    sent = await bot.feed(update)
    [answer] = bot.tg.callback_answers
    assert answer["callback_query_id"] == update["callback_query"]["id"]
    assert not any(bare(m.text) in GENERIC_ERROR for m in sent)
    if data == "a:99999":
        assert bare(sent[-1].text) == STRINGS["article_missing"]["ar"]
    elif data.startswith("q:"):  # a search the bot does not remember
        assert bare(answer["text"]) == STRINGS["search_expired"]["ar"]
    else:
        assert bare(answer["text"]) == STRINGS["button_stale"]["ar"]


HOSTILE = [
    "/latest ²²²",
    "/latest " + "9" * 400,
    "/search",
    '/search "',
    "/search " + "*" * 300,
    "/search \u200f\u200b",
    "/start a²",
    "/start a" + "9" * 30,
    "/start " + "x" * 64,
    "/next",
    "/prev",
    "/subscribe @",
    "/subscribe -100²",
    "/subscribe @" + "a" * 200,
    "/unsubscribe ١٢٣",
    "/feeds add",
    "/feeds remove ²",
    "/post",
    "/urgent \u200b",
    "/stats extra",
    "\u202e" * 50,
    "a" * 4096,
]


@pytest.mark.parametrize("text", HOSTILE)
async def test_no_input_brings_the_generic_error(bot: Harness, text: str) -> None:
    for chat in (READER, ADMIN):
        before = len(bot.tg.messages(chat))
        await bot.send(chat, text)
        # /feeds answers from a task of its own (block=False): wait for it.
        await wait_until(lambda c=chat, b=before: len(bot.tg.messages(c)) > b)  # type: ignore[misc]
        sent = bot.tg.messages(chat)[before:]
        assert not any(bare(m.text) in GENERIC_ERROR for m in sent), text[:30]


@pytest.mark.parametrize(
    "title",
    [
        " ",
        "\u200b\u200c\u200d",
        "\u200f\u202b\u2066\u2069",
        "\ufeff",
        "\u00a0\u3000",
        "\u064e\u0651",
    ],
)
async def test_an_invisible_title_is_refused_with_the_reason(bot: Harness, title: str) -> None:
    before = await articles.count(bot.deps.db)
    [refusal, *_] = await bot.send(ADMIN, f"/post\n{title}\nنص الخبر الكامل هنا.")
    assert "لم يُحفظ المقال" in refusal.text
    # An all-space line is no title line at all: then the body is what is missing.
    assert "العنوان فارغ أو غير مرئي" in refusal.text or "النص مفقود" in refusal.text
    assert await articles.count(bot.deps.db) == before


async def test_an_editor_hears_why_a_post_was_refused_in_their_own_language(
    bot: Harness,
) -> None:
    [arabic, _usage] = await bot.send(ADMIN, "/post عنوان بلا نص")
    reason = arabic.text.split(":", 1)[1]
    assert "النص مفقود" in reason
    assert not any("a" <= ch.lower() <= "z" for ch in reason)  # no English inside Arabic
    [english, _usage] = await bot.send(ADMIN, "/post A title without a body", lang="en")
    assert "the body is missing" in english.text


async def test_telegram_out_of_reach_while_polling_is_a_warning_not_an_error(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.error import NetworkError

    from bot.app import _on_error

    caplog.set_level(logging.INFO, logger="bot.app")
    context = CallbackContext.from_error(None, NetworkError("ConnectError"), bot.app)
    await _on_error(None, context)  # as PTB's polling reports it
    records = [r for r in caplog.records if r.name == "bot.app"]
    assert [r.levelname for r in records] == ["WARNING"]
    assert "Telegram cannot be reached" in records[0].getMessage()

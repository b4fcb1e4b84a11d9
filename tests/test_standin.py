"""Tests of the Bot API stand-in, driven through python-telegram-bot over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.standin import FakeTelegram, Fault, parse_html, wait_until

USER = 42
GROUP = -4242
CHANNEL = -1001234567890


@pytest.fixture(autouse=True)
def timedelta_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB's RetryAfter warns about its int retry_after unless PTB_TIMEDELTA is set."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A running stand-in with a private chat, a group and a channel."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_chat(USER, "private", first_name="Layla", language_code="ar")
    fake.add_chat(GROUP, "group", title="Readers")
    fake.add_chat(CHANNEL, "channel", title="News", username="news_channel")
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    """An initialized PTB bot talking to the stand-in."""
    async with Bot(tg.token, base_url=tg.base_url) as the_bot:
        yield the_bot


def keyboard(data: str) -> InlineKeyboardMarkup:
    """One button with callback data."""
    return InlineKeyboardMarkup([[InlineKeyboardButton("Open", callback_data=data)]])


async def test_html_message_is_stored_parsed(tg: FakeTelegram, bot: Bot) -> None:
    raw = (
        '<b>عاجل</b>: rates &amp; <i>more</i> <a href="https://example.com/a?x=1&amp;y=2">read</a>'
    )
    message = await bot.send_message(USER, raw, parse_mode=ParseMode.HTML)
    sent = tg.last(USER)
    assert sent.text == "عاجل: rates & more read"
    assert sent.raw == raw
    assert sent.parse_mode == "HTML"
    assert sent.bold() == ["عاجل"]
    assert sent.links() == [("read", "https://example.com/a?x=1&y=2")]
    assert message.text == sent.text
    assert message.from_user is not None
    assert message.from_user.is_bot
    assert [e.type for e in message.entities] == ["bold", "italic", "text_link"]
    assert message.message_id == sent.message_id


async def test_entities_count_utf16(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "😀 <b>x</b>", parse_mode="html")
    assert tg.last(USER).entities == [{"type": "bold", "offset": 3, "length": 1}]
    assert tg.last(USER).bold() == ["x"]


@pytest.mark.parametrize(
    "raw",
    [
        "<b>unclosed",
        "1 < 2",
        "1 > 2",
        "<blink>x</blink>",
        "a&nbsp;b",
        "fish & chips",
        "<b>x</i>",
        "x</b>",
        "<a>no href</a>",
        '<span class="other">x</span>',
        "<br>",
    ],
)
async def test_malformed_html_is_refused(tg: FakeTelegram, bot: Bot, raw: str) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(USER, raw, parse_mode=ParseMode.HTML)
    assert tg.sent == []
    assert tg.requests[-1].status == 400


def test_html_parser_accepts_every_telegram_tag() -> None:
    text, entities = parse_html(
        "<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<code>h</code><pre><code class="language-python">i</code></pre>'
        "<blockquote expandable>j</blockquote><tg-spoiler>k</tg-spoiler>"
        '<span class="tg-spoiler">l</span><tg-emoji emoji-id="5368324170671202286">m</tg-emoji>'
        "&lt;&gt;&quot;&#65;&#x42;"
    )
    assert text == 'abcdefghijklm<>"AB'
    kinds = [e["type"] for e in entities]
    assert kinds == [
        "bold",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "code",
        "pre",
        "expandable_blockquote",
        "spoiler",
        "spoiler",
        "custom_emoji",
    ]
    assert entities[8]["language"] == "python"


async def test_text_length_counts_utf16(bot: Bot) -> None:
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "😀" * 2048)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(USER, "😀" * 2048 + "a")
    # the limit applies after parsing: markup does not count
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)


async def test_empty_text_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(USER, " \n ")
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_callback_data_limit_is_in_bytes(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("ب" * 32))
    assert tg.last(USER).button_texts() == ["Open"]
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("ب" * 33))
    assert len(tg.sent) == 1


async def test_bad_button_url_is_refused(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Site", url="example.com/x")]])
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await bot.send_message(USER, "x", reply_markup=markup)


async def test_wrong_token_is_refused_on_initialize(tg: FakeTelegram) -> None:
    wrong = Bot("999:WRONG", base_url=tg.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()
    assert tg.requests[-1].status == 401


async def test_blocked_private_chat_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.block_bot(USER)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER, "hello")


async def test_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message("@nobody_here", "hello")


async def test_kicked_from_group_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(GROUP, "hello")
    tg.set_member(GROUP, tg.bot_id, "kicked")
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message(GROUP, "hello again")


async def test_migrated_group_raises_chat_migrated(tg: FakeTelegram, bot: Bot) -> None:
    tg.migrate_chat(GROUP, -1009999)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(GROUP, "hello")
    assert info.value.new_chat_id == -1009999
    await bot.send_message(info.value.new_chat_id, "hello")
    assert tg.last(-1009999).text == "hello"


async def test_channel_needs_admin_with_post_right(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(Forbidden, match="not a member"):
        await bot.send_message(CHANNEL, "news")
    tg.set_member(CHANNEL, tg.bot_id, "administrator")
    with pytest.raises(BadRequest, match="administrator rights"):
        await bot.send_message(CHANNEL, "news")
    tg.set_member(CHANNEL, tg.bot_id, "administrator", can_post_messages=True)
    member = await bot.get_chat_member("@news_channel", tg.bot_id)
    assert isinstance(member, ChatMemberAdministrator)
    assert member.can_post_messages is True
    assert member.can_delete_messages is False
    message = await bot.send_message("@news_channel", "news")
    assert message.sender_chat is not None
    assert message.sender_chat.id == CHANNEL
    assert tg.last(CHANNEL).text == "news"


async def test_chat_members_and_administrators(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_member(GROUP, 7, "creator")
    assert isinstance(await bot.get_chat_member(GROUP, 7), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(GROUP, 8), ChatMemberLeft)
    admins = await bot.get_chat_administrators(GROUP)
    assert [a.user.id for a in admins] == [7]
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat_member(-5, 7)
    chat = await bot.get_chat(GROUP)
    assert chat.title == "Readers"


async def test_injected_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject("sendmessage", Fault.retry_after(7), chat_id=USER)
    await bot.send_message(GROUP, "other chats are unaffected")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "hello")
    assert info.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(USER, "hello")
    assert tg.throttled == 1
    assert [m.text for m in tg.messages(USER)] == ["hello"]


async def test_other_injected_faults(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject("sendMessage", Fault.server_error())
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "a")
    tg.inject("sendMessage", Fault.forbidden("Forbidden: user is deactivated"))
    with pytest.raises(Forbidden, match="deactivated"):
        await bot.send_message(USER, "a")
    tg.inject("sendMessage", Fault.chat_not_found())
    with pytest.raises(BadRequest, match="not found"):
        await bot.send_message(USER, "a")
    tg.inject("sendMessage", Fault.migrated(-100777))
    with pytest.raises(ChatMigrated):
        await bot.send_message(USER, "a")
    tg.inject("sendMessage", Fault.latency(0.05))
    started = time.monotonic()
    await bot.send_message(USER, "slow")
    assert time.monotonic() - started >= 0.05
    assert [m.text for m in tg.sent] == ["slow"]


async def test_timeout_after_store_counts_as_sent(tg: FakeTelegram) -> None:
    tg.inject("sendMessage", Fault.timeout_after_store(2.0))
    async with Bot(
        tg.token, base_url=tg.base_url, request=HTTPXRequest(read_timeout=0.2)
    ) as quick:
        with pytest.raises(TimedOut):
            await quick.send_message(USER, "maybe delivered")
    assert tg.last(USER).text == "maybe delivered"


async def test_enforced_private_limit(tg: FakeTelegram, bot: Bot) -> None:
    tg.enforce_limits()
    await bot.send_message(USER, "one")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "two")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(GROUP, "a group has its own window")
    assert tg.throttled == 1
    assert [m.text for m in tg.messages(USER)] == ["one"]
    assert tg.requests[-2].status == 429


async def test_enforced_group_limit(tg: FakeTelegram, bot: Bot) -> None:
    tg.enforce_limits(group_per_minute=3)
    for n in range(3):
        await bot.send_message(GROUP, f"m{n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(GROUP, "m3")


async def test_get_updates_returns_queued_update(tg: FakeTelegram, bot: Bot) -> None:
    sent = tg.message_update(USER, USER, "/start@newsbot_test_bot payload")
    updates = await bot.get_updates()
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start@newsbot_test_bot payload"
    assert message.from_user is not None
    assert message.from_user.language_code == "ar"
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].length == len("/start@newsbot_test_bot")
    assert updates[0].update_id == sent["update_id"]
    # confirmed by the next offset
    assert await bot.get_updates(offset=sent["update_id"] + 1) == ()


async def test_long_poll_answers_when_an_update_is_queued(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.05)
    assert not poll.done()
    started = time.monotonic()
    tg.channel_post_update(CHANNEL, "posted")
    updates = await poll
    assert time.monotonic() - started < 1
    assert updates[0].channel_post is not None
    assert updates[0].channel_post.text == "posted"


async def test_update_dicts_parse_in_ptb(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(GROUP, "pick", reply_markup=keyboard("article:1"))
    sent = tg.last(GROUP)
    update = Update.de_json(tg.callback_update(GROUP, 5, sent.message_id, "article:1"), bot)
    assert update.callback_query is not None
    assert update.callback_query.data == "article:1"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == sent.message_id
    await update.callback_query.answer("done")
    with pytest.raises(BadRequest, match="too old"):
        await update.callback_query.answer("twice")
    change = Update.de_json(
        tg.my_chat_member_update(CHANNEL, 5, "left", "administrator", can_post_messages=True),
        bot,
    )
    assert change.my_chat_member is not None
    assert change.my_chat_member.new_chat_member.status == "administrator"
    await bot.send_message(CHANNEL, "now allowed")


async def test_callback_answer_text_limit(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(USER, "pick", reply_markup=keyboard("x"))
    update = tg.callback_update(USER, USER, tg.last(USER).message_id, "x")
    query_id = update["callback_query"]["id"]
    with pytest.raises(BadRequest, match="too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    await bot.answer_callback_query(query_id, text="x" * 200)
    assert tg.callback_answers[0]["text"] == "x" * 200


async def test_edit_message_text(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(
        USER, "<b>v1</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard("a")
    )
    sent = tg.last(USER)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("v2", USER, 999)
    await bot.edit_message_text("v2", USER, sent.message_id, reply_markup=keyboard("a"))
    assert (sent.text, sent.edits, sent.bold()) == ("v2", 1, [])
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=keyboard("b"))
    assert sent.buttons()[0][0]["callback_data"] == "b"
    # editing the text without reply_markup removes the keyboard, as on Telegram
    await bot.edit_message_text("v3", USER, sent.message_id)
    assert sent.buttons() == []
    assert sent.edits == 3


async def test_commands(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("latest", "آخر الأخبار")])
    await bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "latest"]
    assert tg.my_commands(language_code="ar") == [{"command": "start", "description": "ابدأ"}]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Start")])
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("start", "")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_raw_http_shapes(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{tg.base_url}{tg.token}"
        async with session.get(f"{url}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.get(f"{tg.base_url}1:bad/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        async with session.get(f"{url}/GETME") as response:
            assert (await response.json())["result"]["username"] == tg.bot_username
        body = {"chat_id": str(USER), "text": "json body"}
        async with session.post(f"{url}/sendMessage", json=body) as response:
            assert response.status == 200
        async with session.get(f"{url}/sendMessage", params={"chat_id": USER, "text": "q"}) as r:
            assert (await r.json())["result"]["text"] == "q"
    assert [m.text for m in tg.messages(USER)] == ["json body", "q"]
    assert tg.requests[0].params == {}


async def test_application_polling_round_trip(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "<b>أهلا</b>", parse_mode="HTML")

    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        tg.message_update(USER, USER, "/start")
        await wait_until(lambda: bool(tg.messages(USER)), timeout=3)
        await app.updater.stop()
        await app.stop()
    assert tg.last(USER).bold() == ["أهلا"]
    assert tg.pending_updates == []


async def test_a_webhook_must_be_https_and_then_polling_is_refused(
    tg: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://bot.example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await bot.set_webhook("https://bot.example.com/hook", secret_token="not secret!")
    assert await bot.set_webhook("https://bot.example.com/hook", secret_token="s3cret_-")
    assert (await bot.get_webhook_info()).url == "https://bot.example.com/hook"
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


# --- photos, captions, edits and deletions (issue 8) ---------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_send_photo_by_upload_url_and_file_id(tg: FakeTelegram, bot: Bot) -> None:
    uploaded = await bot.send_photo(USER, PNG, caption="<b>رسم</b> بياني", parse_mode="HTML")
    first = tg.last(USER)
    assert first.photo_upload == PNG
    assert (first.text, first.bold()) == ("رسم بياني", ["رسم"])
    assert uploaded.photo
    assert uploaded.photo[-1].file_id == first.photo
    assert uploaded.caption == "رسم بياني"
    assert uploaded.text is None
    await bot.send_photo(USER, "https://example.com/a.jpg")
    by_url = tg.last(USER)
    assert (by_url.photo_url, by_url.text) == ("https://example.com/a.jpg", "")
    # A file_id Telegram gave (here, the upload's) may be sent again, to another chat too.
    tg.set_member(CHANNEL, tg.bot_id, "administrator", can_post_messages=True)
    await bot.send_photo(CHANNEL, first.photo or "")
    assert tg.last(CHANNEL).photo == first.photo


async def test_a_users_photo_can_be_sent_on_by_its_file_id(tg: FakeTelegram, bot: Bot) -> None:
    update = tg.photo_update(USER, USER, "/post عنوان", file_id="AgACeditor")
    message = Update.de_json(update, bot).message
    assert message is not None
    assert message.text is None
    assert message.caption == "/post عنوان"
    assert message.caption_entities[0].type == "bot_command"
    assert message.photo[-1].file_id == "AgACeditor"
    await bot.send_photo(GROUP, "AgACeditor", caption="عنوان")
    assert tg.last(GROUP).photo == "AgACeditor"


@pytest.mark.parametrize(
    ("photo", "error"),
    [
        ("AgACnever-seen", "Wrong file identifier/http url specified"),
        ("https://unreachable.example/x.jpg", "Failed to get http url content"),
        (b"not an image at all", "Image_process_failed"),
    ],
)
async def test_a_photo_telegram_cannot_use_is_refused(
    tg: FakeTelegram, bot: Bot, photo: str | bytes, error: str
) -> None:
    tg.unreachable_urls.add("https://unreachable.example/x.jpg")
    with pytest.raises(BadRequest, match=error):
        await bot.send_photo(USER, photo)
    assert tg.messages(USER) == []


async def test_caption_limit_counts_utf16_after_entity_parsing(tg: FakeTelegram, bot: Bot) -> None:
    # 1,024 visible characters in far more HTML: accepted.
    fits = "<b>" + "ب" * 500 + "</b>" + "&amp;" * 524
    await bot.send_photo(USER, PNG, caption=fits, parse_mode="HTML")
    assert len(tg.last(USER).text) == 1024
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, PNG, caption="😀" * 513)  # 1,026 UTF-16 units
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, PNG, caption="ب" * 5000)
    assert len(tg.messages(USER)) == 1


async def test_edit_caption_and_the_refusals_of_mixed_edits(tg: FakeTelegram, bot: Bot) -> None:
    photo = await bot.send_photo(USER, PNG, caption="قديم")
    text = await bot.send_message(USER, "نص")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("جديد", chat_id=USER, message_id=photo.message_id)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=USER, message_id=text.message_id, caption="x")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_caption(chat_id=USER, message_id=photo.message_id, caption="قديم")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.edit_message_caption(
            chat_id=USER, message_id=photo.message_id, caption="ب" * 1025
        )
    edited = await bot.edit_message_caption(
        chat_id=USER, message_id=photo.message_id, caption="<i>جديد</i>", parse_mode="HTML"
    )
    assert isinstance(edited, type(photo))
    assert edited.caption == "جديد"
    stored = tg.messages(USER)[0]
    assert (stored.text, stored.edits, stored.entity_texts("italic")) == ("جديد", 1, ["جديد"])


async def test_a_message_older_than_48_hours_cannot_be_deleted(tg: FakeTelegram, bot: Bot) -> None:
    old = await bot.send_photo(USER, PNG)
    recent = await bot.send_message(USER, "جديد")
    tg.messages(USER)[0].date -= 48 * 3600
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(USER, old.message_id)
    assert await bot.delete_message(USER, recent.message_id)
    assert tg.deleted == [(USER, recent.message_id)]

"""The bot as a user meets it: PTB over real HTTP against the local Bot API stand-in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import AnyApplication, AnyContext, Deps
from bot.standin import FakeTelegram, SentMessage, wait_until
from bot.strings import STRINGS, Lang
from storage import deliveries
from tests.conftest import SEEDS

ADMIN = 1001
READER = 2002
EN_READER = 3003


class Harness:
    """Starts the real application against the stand-in and plays a user's part."""

    def __init__(self, tg: FakeTelegram, settings: Settings) -> None:
        self.tg = tg
        self.settings = settings
        self.errors: list[BaseException] = []
        self._app: AnyApplication | None = None

    @property
    def app(self) -> AnyApplication:
        assert self._app is not None, "the bot is not running"
        return self._app

    @property
    def deps(self) -> Deps:
        deps: Deps = self.app.bot_data["deps"]
        return deps

    async def start(self) -> None:
        app = build_application(self.settings)

        async def record(update: object, context: AnyContext) -> None:
            assert context.error is not None
            self.errors.append(context.error)

        app.add_error_handler(record)
        # As run_polling does, without the polling: initialize, post_init, start.
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        self._app = app

    async def stop(self) -> None:
        """In PTB's own order: stop, post_stop, shutdown, post_shutdown."""
        app = self.app
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        self._app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def feed(self, update: dict[str, Any]) -> list[SentMessage]:
        """Hand one update to the bot; return the messages it sent because of it."""
        before = len(self.tg.sent)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.tg.sent[before:]

    async def send(
        self, chat_id: int, text: str, *, user: int | None = None, lang: str | None = None
    ) -> list[SentMessage]:
        """A user writes ``text`` in a chat (their private chat by default)."""
        user_id = chat_id if user is None else user
        return await self.feed(self.tg.message_update(chat_id, user_id, text, language_code=lang))

    async def click(
        self, message: SentMessage, label: str, *, user: int | None = None, lang: str | None = None
    ) -> list[SentMessage]:
        """Press the inline button whose text contains ``label``."""
        for row in message.buttons():
            for button in row:
                if label in str(button["text"]):
                    data = button.get("callback_data")
                    assert data, f"button {button['text']!r} is not a callback button"
                    user_id = message.chat_id if user is None else user
                    update = self.tg.callback_update(
                        message.chat_id, user_id, message.message_id, data, language_code=lang
                    )
                    return await self.feed(update)
        raise AssertionError(f"no button with {label!r}: {message.button_texts()}")

    async def click_in_place(
        self, message: SentMessage, label: str, *, user: int | None = None, lang: str | None = None
    ) -> SentMessage:
        """Press a button that must edit ``message`` where it stands (reading in place): no
        new message; returns ``message``, edited."""
        edits = message.edits
        sent = await self.click(message, label, user=user, lang=lang)
        assert sent == [], f"new messages instead of an edit: {[m.text[:80] for m in sent]}"
        assert message.edits == edits + 1, "the message was not edited"
        return message

    async def draft(
        self, text: str, *, user: int = ADMIN, lang: str | None = None
    ) -> tuple[SentMessage, SentMessage]:
        """An editor sends ``text`` (``/post …`` or ``/urgent …``) in their private chat; the
        draft's two messages: what it is, and its preview under Publish / Urgent / Cancel."""
        sent = await self.send(user, text, lang=lang)
        assert len(sent) == 2, f"no draft: {[m.text for m in sent]}"
        intro, preview = sent
        return intro, preview

    async def press(
        self, preview: SentMessage, button: str, *, user: int = ADMIN, lang: str | None = None
    ) -> list[SentMessage]:
        """Press a draft's ``"publish"``, ``"urgent"`` or ``"cancel"`` button, labelled in the
        language ``lang`` names (Arabic by default)."""
        language: Lang = "en" if lang and lang.startswith("en") else "ar"
        label = STRINGS[f"btn_{button}"][language]
        return await self.click(preview, label, user=user, lang=lang)

    async def publish(self, text: str, *, urgent: bool = False, lang: str | None = None) -> int:
        """An editor posts ``text`` (``/post …`` or ``/urgent …``) and presses Publish (or
        Urgent) under its preview; the new article's id (the "#N" the answer gives)."""
        _, preview = await self.draft(text, lang=lang)
        [answer] = await self.press(preview, "urgent" if urgent else "publish", lang=lang)
        found = re.search(r"#([0-9]+)", answer.text)
        assert found, f"not published: {answer.text}"
        return int(found.group(1))

    async def push(self) -> int:
        """A push tick, as the JobQueue runs it; wait until the outbox is empty again.

        Returns the number of messages Telegram accepted meanwhile.
        """
        sender = self.deps.sender
        before = sender.sent
        await deliveries.enqueue_new(self.deps.db, self.settings.push_policy())
        await sender.drain()
        return sender.sent - before


async def publish_in_process(
    tg: FakeTelegram, text: str, *, user: int = ADMIN, within: float = 10
) -> SentMessage:
    """For a bot running in a process of its own (``newsbot run``): an editor sends ``text``
    (``/post …``), waits for the preview and presses Publish; the bot's answer."""
    before = len(tg.messages(user))
    tg.message_update(user, user, text)
    await wait_until(lambda: len(tg.messages(user)) >= before + 2, within)
    preview = tg.messages(user)[before + 1]
    label = STRINGS["btn_publish"]["ar"]
    [data] = [b["callback_data"] for row in preview.buttons() for b in row if b["text"] == label]
    tg.callback_update(user, user, preview.message_id, str(data))
    await wait_until(lambda: len(tg.messages(user)) >= before + 3, within)
    return tg.messages(user)[before + 2]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(tmp_path: Path, tg: FakeTelegram) -> Settings:
    return load_settings(
        bot_token=tg.token,
        telegram_api_url=tg.base_url,
        database_path=tmp_path / "data" / "news.db",
        admin_ids=str(ADMIN),
        seeds_dir=SEEDS,
        push_interval_seconds=3600,
        # Fast pacing for journeys; the pacing tests set Telegram's own numbers.
        private_per_second=50,
        group_per_minute=3000,
        global_per_second=500,
        _env_file=None,
    )


@pytest.fixture
async def bot(tg: FakeTelegram, settings: Settings) -> AsyncIterator[Harness]:
    harness = Harness(tg, settings)
    await harness.start()
    yield harness
    if harness._app is not None:
        await harness.stop()
    assert harness.errors == [], "a handler raised"

"""The bot as a user meets it: PTB over real HTTP against the local Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import AnyApplication, AnyContext, Deps
from bot.standin import FakeTelegram, SentMessage
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

    async def push(self) -> int:
        """A push tick, as the JobQueue runs it; wait until the outbox is empty again.

        Returns the number of messages Telegram accepted meanwhile.
        """
        sender = self.deps.sender
        before = sender.sent
        await deliveries.enqueue_new(self.deps.db, self.settings.push_policy())
        await sender.drain()
        return sender.sent - before


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

"""The command menus: the readers' for everyone, the editors' own in each editor's chat."""

from __future__ import annotations

from tests.bot.conftest import ADMIN, READER, Harness


def _names(commands: list[dict[str, object]]) -> list[object]:
    return [c["command"] for c in commands]


async def test_an_editor_gets_the_editors_menu_and_readers_never_see_it(bot: Harness) -> None:
    chat = {"type": "chat", "chat_id": ADMIN}
    # The editor never wrote to the bot: Telegram knows no such chat yet, and start-up went on.
    assert "post" not in _names(bot.tg.my_commands())
    assert bot.errors == []
    await bot.send(ADMIN, "/start")
    assert {"post", "urgent", "scheduled", "edit", "stats", "latest"} <= set(
        _names(bot.tg.my_commands(chat))
    )
    english = bot.tg.my_commands(chat, language_code="en")
    assert {"command": "post", "description": "Draft an article"} in english
    await bot.send(READER, "/start")
    assert bot.tg.my_commands({"type": "chat", "chat_id": READER}) == []
    assert "post" not in _names(bot.tg.my_commands())


async def test_a_known_editor_gets_the_menu_at_start_up(bot: Harness) -> None:
    await bot.send(ADMIN, "/help")  # the chat exists; no /start since
    await bot.restart()
    assert "post" in _names(bot.tg.my_commands({"type": "chat", "chat_id": ADMIN}))

"""Sound only for news that matters: ordinary pushes are silent, breaking news rings and may
be pinned where the bot has that right."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.standin import FakeTelegram, wait_until
from tests.bot.conftest import READER, Harness

GROUP = -4001
CHANNEL = -1001234567890
OWNER = 5005


async def _readers_group_and_channel(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    await bot.send(GROUP, "/subscribe", user=OWNER)
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(
        CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True, can_edit_messages=True
    )
    await bot.send(OWNER, "/subscribe @akhbar_channel")
    bot.tg.clear()


async def test_ordinary_pushes_are_silent_and_breaking_news_rings(bot: Harness) -> None:
    await _readers_group_and_channel(bot)
    for n in range(7):  # a burst: five articles and a list
        await bot.publish(f"/post خبر عادي {n}\nنص الخبر {n}.")
    await bot.push()
    ordinary = [m for c in (READER, GROUP, CHANNEL) for m in bot.tg.messages(c)]
    assert len(ordinary) == 3 * 6
    assert all(m.disable_notification for m in ordinary)
    assert not any("🔴" in m.text for m in ordinary)
    bot.tg.clear()
    await bot.publish("/urgent زلزال في المنطقة\nتفاصيل الزلزال الأولى.", urgent=True)
    await wait_until(lambda: all(bot.tg.messages(c) for c in (READER, GROUP, CHANNEL)))
    for chat_id in (READER, GROUP, CHANNEL):
        [urgent] = bot.tg.messages(chat_id)
        assert not urgent.disable_notification  # it rings
        assert urgent.text.startswith("🔴 عاجل\nزلزال في المنطقة")
        assert urgent.bold()[0] == "زلزال في المنطقة"
    assert bot.tg.pinned == {}  # PIN_URGENT is off by default


@pytest.fixture
async def pinning_bot(tg: FakeTelegram, settings: Settings) -> AsyncIterator[Harness]:
    harness = Harness(tg, settings.model_copy(update={"pin_urgent": True}))
    await harness.start()
    yield harness
    await harness.stop()
    assert harness.errors == []


async def test_pin_urgent_pins_where_the_bot_may_and_delivers_everywhere(
    pinning_bot: Harness,
) -> None:
    bot = pinning_bot
    await _readers_group_and_channel(bot)  # in the group the bot is a plain member
    await bot.publish("/urgent انفجار في الميناء\nتفاصيل أولى.", urgent=True)
    await wait_until(lambda: all(bot.tg.messages(c) for c in (READER, GROUP, CHANNEL)))
    [in_channel] = bot.tg.messages(CHANNEL)
    await wait_until(lambda: CHANNEL in bot.tg.pinned)  # the pin follows the send
    assert bot.tg.pinned == {CHANNEL: in_channel.message_id}  # not the group, not the reader
    await bot.publish("/post خبر عادي\nنص عادي.")
    await bot.push()
    assert bot.tg.pinned == {CHANNEL: in_channel.message_id}  # ordinary news is never pinned

"""Subscribing a private chat, a group (its admins only) and a channel (checked with Telegram)."""

from __future__ import annotations

import pytest

from storage import chats
from tests.bot.conftest import ADMIN, READER, Harness

GROUP = -4001
CHANNEL = -1001234567890
OWNER = 5005


def _channel(bot: Harness, *, bot_status: str = "administrator", can_post: bool = True) -> None:
    bot.tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    if bot_status == "administrator":
        bot.tg.set_member(CHANNEL, bot.tg.bot_id, bot_status, can_post_messages=can_post)
    else:
        bot.tg.set_member(CHANNEL, bot.tg.bot_id, bot_status)


async def _active(bot: Harness, chat_id: int) -> bool:
    sub = await chats.subscription(bot.deps.db, chat_id)
    return sub is not None and sub.active


async def test_reader_subscribes_and_unsubscribes(bot: Harness) -> None:
    [done] = await bot.send(READER, "/subscribe")
    assert "تم الاشتراك" in done.text
    [again] = await bot.send(READER, "/subscribe")
    assert "مشترك بالفعل" in again.text
    assert await _active(bot, READER)
    [gone] = await bot.send(READER, "/unsubscribe")
    assert "تم إلغاء الاشتراك" in gone.text
    [none] = await bot.send(READER, "/unsubscribe")
    assert "لا يوجد اشتراك" in none.text
    assert not await _active(bot, READER)


async def test_only_group_admins_manage_the_group(bot: Harness) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة القراء")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    [refused] = await bot.send(GROUP, "/subscribe", user=READER)
    assert "فقط مشرفو المجموعة" in refused.text
    assert not await _active(bot, GROUP)
    [done] = await bot.send(GROUP, "/subscribe@newsbot_test_bot", user=OWNER)
    assert "تم الاشتراك" in done.text
    assert await _active(bot, GROUP)
    [refused] = await bot.send(GROUP, "/unsubscribe", user=READER)
    assert "فقط مشرفو المجموعة" in refused.text
    assert await _active(bot, GROUP)


async def test_channel_subscribed_from_a_private_chat(bot: Harness) -> None:
    _channel(bot)
    [done] = await bot.send(OWNER, "/subscribe @akhbar_channel")
    assert "@akhbar_channel" in done.text
    assert "تم اشتراك القناة" in done.text
    assert await _active(bot, CHANNEL)
    [again] = await bot.send(OWNER, f"/subscribe {CHANNEL}")
    assert "مشتركة بالفعل" in again.text
    [gone] = await bot.send(OWNER, "/unsubscribe https://t.me/akhbar_channel")
    assert "تم إلغاء اشتراك" in gone.text
    assert not await _active(bot, CHANNEL)


async def test_channel_refusals_say_what_to_fix(bot: Harness) -> None:
    _channel(bot, can_post=False)
    [not_admin] = await bot.send(READER, "/subscribe @akhbar_channel")
    assert "يجب أن تكون مشرفاً" in not_admin.text
    [cannot_post] = await bot.send(OWNER, "/subscribe @akhbar_channel")
    assert "نشر الرسائل" in cannot_post.text
    [unknown] = await bot.send(OWNER, "/subscribe @no_such_channel")
    assert "لا أستطيع الوصول" in unknown.text
    [bad] = await bot.send(OWNER, "/subscribe akhbar")
    assert "@channel" in bad.text
    [en] = await bot.send(OWNER, "/subscribe @akhbar_channel", lang="en")
    assert "not an admin of @akhbar_channel allowed to post" in en.text
    assert not await _active(bot, CHANNEL)


async def test_bot_only_member_of_channel_is_refused(bot: Harness) -> None:
    _channel(bot, bot_status="member")
    [answer] = await bot.send(OWNER, "/subscribe @akhbar_channel")
    assert "نشر الرسائل" in answer.text
    assert not await _active(bot, CHANNEL)


async def test_channel_admin_subscribes_from_inside_the_channel(bot: Harness) -> None:
    _channel(bot)
    bot.tg.add_chat(ADMIN, "private")  # the editor has a private chat with the bot
    await bot.feed(bot.tg.channel_post_update(CHANNEL, "/subscribe"))
    assert await _active(bot, CHANNEL)
    assert bot.tg.messages(CHANNEL) == []  # no confirmation for the channel's readers
    [told] = bot.tg.messages(ADMIN)  # the editors hear it where only they see it
    assert "@akhbar_channel" in told.text
    await bot.feed(bot.tg.channel_post_update(CHANNEL, "/subscribe@another_bot"))
    await bot.feed(bot.tg.channel_post_update(CHANNEL, "/unsubscribe"))
    assert not await _active(bot, CHANNEL)
    assert bot.tg.messages(CHANNEL) == []


async def test_a_command_in_the_channel_is_removed_when_the_bot_may(bot: Harness) -> None:
    _channel(bot)
    bot.tg.set_member(
        CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True, can_delete_messages=True
    )
    update = bot.tg.channel_post_update(CHANNEL, "/subscribe")
    await bot.feed(update)
    assert await _active(bot, CHANNEL)
    assert bot.tg.deleted == [(CHANNEL, update["channel_post"]["message_id"])]
    assert bot.tg.messages(CHANNEL) == []


@pytest.mark.parametrize("ref", ["@akhbar_channel", str(CHANNEL)])
async def test_channel_command_in_a_group_points_to_the_private_chat(
    bot: Harness, ref: str
) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    [answer] = await bot.send(GROUP, f"/subscribe {ref}", user=READER)
    assert "محادثة خاصة" in answer.text

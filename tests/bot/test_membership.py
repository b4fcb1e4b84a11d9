"""Channels and groups follow the bot: removed or demoted deactivates, promoted offers."""

from __future__ import annotations

from bot.render import bare
from storage import chats
from tests.bot.conftest import ADMIN, READER, Harness

CHANNEL = -1007001
OWNER = 5005


async def _active(bot: Harness, chat_id: int) -> bool:
    sub = await chats.subscription(bot.deps.db, chat_id)
    return sub is not None and sub.active


async def test_editor_making_the_bot_admin_is_offered_the_channel(bot: Harness) -> None:
    await bot.send(ADMIN, "/start")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة الموقع", username="site_news")
    bot.tg.set_member(CHANNEL, ADMIN, "creator")
    update = bot.tg.my_chat_member_update(
        CHANNEL, ADMIN, "left", "administrator", can_post_messages=True
    )
    [offer] = await bot.feed(update)
    assert offer.chat_id == ADMIN
    assert "@site_news" in offer.text
    await bot.click(offer, "اشترك")
    done = bot.tg.last(ADMIN)  # the offer, edited into the answer
    assert done.edits == 1
    assert "تم اشتراك القناة @site_news" in bare(done.text)
    assert await _active(bot, CHANNEL)


async def test_nobody_else_is_offered_and_nobody_else_can_accept(bot: Harness) -> None:
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="other_news")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    sent = await bot.feed(
        bot.tg.my_chat_member_update(
            CHANNEL, OWNER, "left", "administrator", can_post_messages=True
        )
    )
    assert sent == []
    # A forged button press from a reader changes nothing.
    await bot.send(READER, "/start")
    welcome = bot.tg.last(READER)
    await bot.feed(bot.tg.callback_update(READER, READER, welcome.message_id, f"s:{CHANNEL}"))
    assert not await _active(bot, CHANNEL)


async def test_removed_or_demoted_bot_deactivates_and_editors_hear(bot: Harness) -> None:
    await bot.send(ADMIN, "/start")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="site_news")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @site_news")
    assert await _active(bot, CHANNEL)
    await bot.feed(
        bot.tg.my_chat_member_update(
            CHANNEL, OWNER, "administrator", "administrator", can_post_messages=False
        )
    )
    assert not await _active(bot, CHANNEL)
    notice = bot.tg.last(ADMIN).text
    assert "@site_news" in notice
    assert "لم يعد البوت يملك صلاحية النشر فيها" in notice  # said in Arabic, no English inside


async def test_editors_hear_of_a_lost_channel_in_their_own_language(bot: Harness) -> None:
    await bot.send(ADMIN, "/start", lang="en")  # the editor's Telegram speaks English
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="site_news")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @site_news")
    await bot.feed(bot.tg.my_chat_member_update(CHANNEL, OWNER, "administrator", "left"))
    assert not await _active(bot, CHANNEL)
    notice = bot.tg.last(ADMIN).text
    assert notice.startswith("⚠️ Stopped sending to @site_news: the bot was removed from it.")


async def test_reader_blocking_the_bot_deactivates_quietly(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    sent = await bot.feed(bot.tg.my_chat_member_update(READER, READER, "member", "kicked"))
    assert sent == []
    assert not await _active(bot, READER)


async def test_stats_show_queue_rate_and_each_article(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.add_chat(-4001, "group", title="مجموعة")
    bot.tg.set_member(-4001, OWNER, "administrator")
    await bot.send(-4001, "/subscribe", user=OWNER)
    bot.tg.set_member(-4001, bot.tg.bot_id, "kicked")
    bot.tg.add_chat(7007, "private")
    await bot.send(7007, "/subscribe")
    await bot.publish("/post خبر الإحصاءات\nنص.")
    await bot.push()
    [stats] = await bot.send(ADMIN, "/stats", lang="en")
    assert "In the queue: 0;" in stats.text
    assert "rate over the last minute:" in stats.text
    assert "خبر الإحصاءات\nreached 2, pending 0, failed 0" in stats.text

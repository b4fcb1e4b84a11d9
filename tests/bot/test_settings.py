"""/settings and its buttons, /language, /pause and /resume, and their refusals."""

from __future__ import annotations

from bot.render import bare
from storage import articles, chat_settings, chats, deliveries
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

GROUP = -4001
OWNER = 5005


async def _subscribed(bot: Harness, chat_id: int) -> bool:
    sub = await chats.subscription(bot.deps.db, chat_id)
    return sub is not None and sub.active


async def test_settings_show_every_choice_and_buttons_change_them_in_place(bot: Harness) -> None:
    [shown] = await bot.send(READER, "/settings")
    text = bare(shown.text)
    assert "إعدادات هذه المحادثة" in text
    assert "الاشتراك: غير مفعّل" in text
    assert "ساعات الهدوء: متوقفة" in text
    assert "الموجز: متوقف" in text
    assert "المتابعات: لا شيء" in text
    assert "الإرسال: يعمل" in text

    assert await bot.click(shown, "اشترك") == []  # edited in place, nothing new
    assert shown.edits == 1
    assert await _subscribed(bot, READER)
    assert "الاشتراك: مفعّل" in bare(shown.text)
    assert bot.tg.callback_answers[-1]["text"] == "تم الحفظ ✅"

    await bot.click(shown, "موجز كل ساعة")
    assert (await chat_settings.get(bot.deps.db, READER)).digest == "hourly"
    assert "✓ 🕐 موجز كل ساعة" in shown.button_texts()
    await bot.click(shown, "إيقاف مؤقت")
    assert (await chat_settings.get(bot.deps.db, READER)).paused
    assert "موقوف مؤقتاً" in bare(shown.text)

    # Choosing English turns the settings message itself into English.
    await bot.click(shown, "English")
    assert "Settings of this chat" in shown.text
    assert "Digest: hourly" in shown.text
    assert "▶️ Resume" in shown.button_texts()
    [help_text] = await bot.send(READER, "/help")  # the reader's Telegram is not English
    assert "Commands" in help_text.text


async def test_quiet_hours_button_switches_them_off(bot: Harness) -> None:
    await bot.send(READER, "/quiet 23:00-07:00")
    [shown] = await bot.send(READER, "/settings")
    assert "من 23:00 إلى 07:00" in bare(shown.text)
    await bot.click(shown, "ألغِ ساعات الهدوء")
    assert (await chat_settings.get(bot.deps.db, READER)).quiet is None
    assert "ساعات الهدوء: متوقفة" in bare(shown.text)
    assert not any("ساعات الهدوء" in label for label in shown.button_texts())


async def test_language_per_chat_wins_and_survives_a_restart(bot: Harness) -> None:
    [done] = await bot.send(READER, "/language en")
    assert done.text == "🌐 Done: I write in English in this chat."
    await bot.restart()
    [help_text] = await bot.send(READER, "/help")
    assert "Commands" in help_text.text
    # Pushes too.
    await bot.send(READER, "/subscribe")
    long_body = "جملة طويلة من نص المقال. " * 100
    await articles.add(bot.deps.db, NewArticle(title="خبر", body=long_body))
    assert await bot.push() == 1
    assert bot.tg.last(READER).button_texts() == ["Read the article", "📤 Share"]
    [auto] = await bot.send(READER, "/language auto")
    assert "بلغة تيليجرام" in auto.text


async def test_bad_settings_are_explained_and_nothing_is_stored(bot: Harness) -> None:
    [quiet] = await bot.send(READER, "/quiet 25:00-99:99")
    assert "ولم يتغير شيء" in quiet.text
    assert "25:00-99:99" in bare(quiet.text)
    [usage] = await bot.send(READER, "/quiet")
    assert "ساعات الهدوء الآن: متوقفة" in bare(usage.text)
    assert "/quiet 23:00-07:00" in bare(usage.text)
    [weekly] = await bot.send(READER, "/digest weekly")
    assert "ولم يتغير شيء" in weekly.text
    [late] = await bot.send(READER, "/digest daily 25:00")
    assert "ولم يتغير شيء" in late.text
    [extra] = await bot.send(READER, "/digest hourly 08:00")
    assert "ولم يتغير شيء" in extra.text
    [french] = await bot.send(READER, "/language fr")
    assert "ولم يتغير شيء" in french.text
    [english] = await bot.send(EN_READER, "/quiet 7pm", lang="en")
    assert "nothing changed" in english.text
    assert await chat_settings.get(bot.deps.db, READER) == chat_settings.ChatSettings(READER)
    assert await chat_settings.get(bot.deps.db, EN_READER) == chat_settings.ChatSettings(EN_READER)
    [digest_usage] = await bot.send(EN_READER, "/digest", lang="en")
    assert "Digest now: off, one message per article" in digest_usage.text
    [language_usage] = await bot.send(EN_READER, "/language", lang="en")
    assert "Language now: each reader's Telegram language" in language_usage.text


async def test_only_group_admins_change_a_groups_settings(bot: Harness) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة القراء")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    [refused] = await bot.send(GROUP, "/quiet 23:00-07:00", user=READER)
    assert "فقط مشرفو المجموعة" in refused.text
    [refused] = await bot.send(GROUP, "/language en", user=READER)
    assert "فقط مشرفو المجموعة" in refused.text
    assert await chat_settings.get(bot.deps.db, GROUP) == chat_settings.ChatSettings(GROUP)
    # Anyone may look; a member's press is refused with an alert, and nothing changes.
    [shown] = await bot.send(GROUP, "/settings", user=READER)
    await bot.click(shown, "اشترك", user=READER)
    assert bot.tg.callback_answers[-1]["show_alert"]
    assert not await _subscribed(bot, GROUP)
    assert shown.edits == 0
    await bot.click(shown, "اشترك", user=OWNER)
    assert await _subscribed(bot, GROUP)
    [done] = await bot.send(GROUP, "/quiet 23:00-07:00", user=OWNER)
    assert "ساعات الهدوء" in done.text
    assert (await chat_settings.get(bot.deps.db, GROUP)).quiet == ("23:00", "07:00")


async def test_pause_sends_nothing_and_resume_does_not_flood(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [paused] = await bot.send(READER, "/pause")
    assert "أوقفت" in paused.text
    [again] = await bot.send(READER, "/pause")
    assert "بالفعل" in again.text
    for i in range(3):
        await articles.add(bot.deps.db, NewArticle(title=f"خبر {i}", body="نص."))
    assert await bot.push() == 0
    [resumed] = await bot.send(READER, "/resume")
    assert "استأنفت" in resumed.text
    assert await bot.push() == 0  # what was published meanwhile does not flood the chat
    await articles.add(bot.deps.db, NewArticle(title="خبر جديد", body="نص."))
    assert await bot.push() == 1
    assert bot.tg.last(READER).bold()[0] == "خبر جديد"
    assert (await deliveries.counts(bot.deps.db)).pending == 0


async def test_a_channel_is_set_up_by_its_admins_posts_and_stays_clean(bot: Harness) -> None:
    channel = -1001234567890
    bot.tg.add_chat(channel, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(
        channel, bot.tg.bot_id, "administrator", can_post_messages=True, can_delete_messages=True
    )
    update = bot.tg.channel_post_update(channel, "/quiet 23:00-07:00")
    assert await bot.feed(update) == []
    assert (channel, update["channel_post"]["message_id"]) in bot.tg.deleted
    assert (await chat_settings.get(bot.deps.db, channel)).quiet == ("23:00", "07:00")
    await bot.feed(bot.tg.channel_post_update(channel, "/digest@newsbot_test_bot daily 07:30"))
    assert (await chat_settings.get(bot.deps.db, channel)).digest_at == "07:30"
    # Not understood, or meant for another bot: nothing stored, nothing said, the post stays.
    bad = bot.tg.channel_post_update(channel, "/quiet 25:00-99:99")
    assert await bot.feed(bad) == []
    assert (channel, bad["channel_post"]["message_id"]) not in bot.tg.deleted
    await bot.feed(bot.tg.channel_post_update(channel, "/pause@another_bot"))
    assert not (await chat_settings.get(bot.deps.db, channel)).paused
    await bot.feed(bot.tg.channel_post_update(channel, "/pause"))
    assert (await chat_settings.get(bot.deps.db, channel)).paused
    assert bot.tg.messages(channel) == []


async def test_settings_name_what_a_chat_follows(bot: Harness) -> None:
    await bot.send(READER, "/follow طرطوس")
    await bot.send(READER, '/follow "قاعدة حميميم"')
    [shown] = await bot.send(READER, "/settings")
    text = bare(shown.text)
    assert 'المتابعات: طرطوس، "قاعدة حميميم"' in text
    assert "الاشتراك: ما تتابعه فقط" in text
    assert "🔔 اشترك" in shown.button_texts()
    assert "🔕 ألغِ الاشتراك" in shown.button_texts()


async def test_a_forged_settings_button_changes_nothing(bot: Harness) -> None:
    [shown] = await bot.send(READER, "/settings")
    for data in ("g:99", "g:-3", "g:1:2", "g:٣"):
        update = bot.tg.callback_update(READER, READER, shown.message_id, data)
        assert await bot.feed(update) == []
        assert "هذا الزر لم يعد يعمل" in str(bot.tg.callback_answers[-1]["text"])
    assert shown.edits == 0
    assert await chat_settings.get(bot.deps.db, READER) == chat_settings.ChatSettings(READER)
    assert not await _subscribed(bot, READER)

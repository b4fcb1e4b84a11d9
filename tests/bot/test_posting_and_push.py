"""Editors publish; the push delivers each new article once to every subscriber, restarts or
not. (The draft itself, its preview and its buttons: test_drafts.py.)"""

from __future__ import annotations

from bot.render import bare
from bot.standin import wait_until
from storage import articles, chats, deliveries
from storage.articles import NewArticle
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness

GROUP = -4001
CHANNEL = -1001234567890
OWNER = 5005

POST = (
    "/post اجتماع طارئ في طرطوس\n"
    "عقد المسؤولون اجتماعاً طارئاً اليوم لبحث أوضاع الميناء.\n"
    "https://example.com/news/42\n"
    "وقال المتحدث إن النتائج ستعلن غداً.\n"
    # Longer than a push shows: the push carries a button to read it all.
    + "وتناول الاجتماع أوضاع الميناء والطرق المؤدية إليه وحركة السفن خلال الأسبوع. "
    * 12
)


async def _subscribers(bot: Harness) -> None:
    """A reader, an English reader, a group and a channel, all subscribed."""
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    await bot.send(GROUP, "/subscribe", user=OWNER)
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @akhbar_channel")
    bot.tg.clear()


async def test_admin_post_reaches_every_subscriber_once(bot: Harness) -> None:
    await _subscribers(bot)
    _, preview = await bot.draft(POST)
    assert preview.bold()[0] == "اجتماع طارئ في طرطوس"
    assert "🗓 " in preview.text  # dated when it goes out
    assert preview.links() == [("رابط المقال", "https://example.com/news/42")]
    assert "https://example.com/news/42" not in preview.text  # the link line left the body
    [answer] = await bot.press(preview, "publish")
    assert "نُشر المقال #" in bare(answer.text)

    assert await bot.push() == 4
    for chat_id in (READER, EN_READER, GROUP, CHANNEL):
        [pushed] = bot.tg.messages(chat_id)
        assert pushed.bold()[0] == "اجتماع طارئ في طرطوس"
    assert bot.tg.last(EN_READER).button_texts() == ["Read the article", "📤 Share"]
    channel_button = bot.tg.last(CHANNEL).buttons()[0][0]
    assert str(channel_button["url"]).startswith("https://t.me/newsbot_test_bot?start=a")

    # The reader opens the whole article from the push.
    [full] = await bot.click(bot.tg.last(READER), "اقرأ المقال")
    assert "النتائج ستعلن غداً" in full.text

    assert await bot.push() == 0
    await bot.restart()
    assert await bot.push() == 0
    assert len(bot.tg.messages(CHANNEL)) == 1
    counts = await deliveries.counts(bot.deps.db)
    assert (counts.sent, counts.failed, counts.pending) == (4, 0, 0)


async def test_post_with_title_on_the_next_line(bot: Harness) -> None:
    _, preview = await bot.draft("/post\nالعنوان هنا\nالنص هنا.")
    assert preview.bold()[0] == "العنوان هنا"
    assert "النص هنا." in preview.text


async def test_non_admin_post_is_refused_and_nothing_is_stored(bot: Harness) -> None:
    before = await articles.count(bot.deps.db)
    [answer] = await bot.send(READER, POST)
    assert "للمحررين فقط" in answer.text or "لمحرري الموقع فقط" in answer.text
    assert await articles.count(bot.deps.db) == before
    [stats] = await bot.send(READER, "/stats")
    assert "للمحررين فقط" in stats.text


async def test_bad_posts_are_explained_and_nothing_is_stored(bot: Harness) -> None:
    before = await articles.count(bot.deps.db)
    [usage] = await bot.send(ADMIN, "/post")
    assert "العنوان" in usage.text
    reason, usage = await bot.send(ADMIN, "/post عنوان بلا نص")
    assert "لم يُحفظ المقال" in reason.text
    await bot.publish("/post عنوان\nنص")
    _, preview = await bot.draft("/post عنوان\nنص")
    [duplicate] = await bot.press(preview, "publish")
    assert "منشور من قبل" in duplicate.text
    assert await articles.count(bot.deps.db) == before + 1


async def test_subscriber_is_not_flooded_with_the_back_catalogue(bot: Harness) -> None:
    await bot.publish("/post خبر قديم\nنص قديم")
    await bot.send(READER, "/subscribe")
    assert await bot.push() == 0
    await bot.publish("/post خبر جديد\nنص جديد")
    await bot.push()
    assert [m.bold()[0] for m in bot.tg.messages(READER) if m.bold()][-1] == "خبر جديد"


async def test_articles_arrive_oldest_first(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    for n in range(3):
        await bot.publish(f"/post خبر {n}\nنص {n}")
    bot.tg.clear()
    assert await bot.push() == 3
    assert [bare(m.bold()[0]) for m in bot.tg.messages(READER)] == ["خبر 0", "خبر 1", "خبر 2"]


async def test_blocked_reader_is_deactivated(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe")
    bot.tg.block_bot(READER)
    await bot.publish(POST)
    assert await bot.push() == 1
    sub = await chats.subscription(bot.deps.db, READER)
    assert sub is not None
    assert not sub.active
    assert "blocked" in (sub.inactive_reason or "")
    await bot.publish("/post خبر آخر\nنص آخر")
    assert await bot.push() == 1  # only the English reader now
    [stats] = await bot.send(ADMIN, "/stats")
    assert "خاصة 1" in bare(stats.text)


async def test_migrated_group_follows_its_new_id(bot: Harness) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    await bot.send(GROUP, "/subscribe", user=OWNER)
    bot.tg.migrate_chat(GROUP, -1009999)
    await bot.publish(POST)
    assert await bot.push() == 1
    assert bot.tg.last(-1009999).bold()[0] == "اجتماع طارئ في طرطوس"
    sub = await chats.subscription(bot.deps.db, -1009999)
    assert sub is not None
    assert sub.active


async def test_bot_removed_from_channel_is_deactivated(bot: Harness) -> None:
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @akhbar_channel")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "left")
    await bot.publish(POST)
    assert await bot.push() == 0
    sub = await chats.subscription(bot.deps.db, CHANNEL)
    assert sub is not None
    assert not sub.active


async def test_urgent_post_goes_out_at_once(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft("/urgent عاجل: زلزال\nتفاصيل الزلزال.")
    [confirmation] = await bot.press(preview, "urgent")
    assert "يُرسل الآن إلى مشترك واحد" in bare(confirmation.text)
    await wait_until(lambda: any(m.bold()[:1] == ["عاجل: زلزال"] for m in bot.tg.messages(READER)))


async def test_stats_for_editors(bot: Harness) -> None:
    await _subscribers(bot)
    await bot.publish(POST)
    await bot.push()
    [stats] = await bot.send(ADMIN, "/stats", lang="en")
    assert "Articles: 2" in stats.text
    assert "Active subscriptions: 4 (private 2, groups 1, channels 1)" in stats.text
    assert "sent 4, failed 0, pending 0" in stats.text


async def test_an_editors_post_goes_ahead_of_imports_and_is_never_folded_into_a_list(
    bot: Harness,
) -> None:
    await bot.send(READER, "/subscribe")
    for n in range(8):  # a fresh import arriving at the same time
        await articles.add(bot.deps.db, NewArticle(title=f"خبر مستورد {n}", body=f"نص {n}."))
    await bot.publish("/post خبر المحرر\nنص خبر المحرر.")
    bot.tg.clear()
    await bot.push()
    messages = bot.tg.messages(READER)
    assert messages[0].bold()[0] == "خبر المحرر"
    assert not any("خبر المحرر" in m.text for m in messages[1:])
    assert len(messages) == 6  # the editor's, four imports, and one list of the other four

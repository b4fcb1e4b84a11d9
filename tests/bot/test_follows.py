"""Following keywords and topics as readers, groups and channels use it, through the stand-in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from storage import articles, follows
from storage.articles import Arrival, NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

GROUP = -4001
CHANNEL = -1001234567890
OWNER = 5005
OTHER = 6006

_serial = iter(range(1, 1_000_000))


async def _article(bot: Harness, title: str, body: str = "نص", category: str | None = None) -> int:
    n = next(_serial)
    when = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    article = NewArticle(
        title=title,
        body=body,
        url=f"https://news.example/f{n}",
        published_at=when,
        category=category,
    )
    async with bot.deps.db.transaction() as conn:
        [stored] = await articles.store_many_in(conn, [article], Arrival())
    return stored.id


def _p(text: str) -> str:
    """The text without the Unicode isolates that keep Latin and digits in place in RTL."""
    return re.sub("[\u2066-\u2069]", "", text)


def _texts(bot: Harness, chat_id: int) -> list[str]:
    return [_p(m.text) for m in bot.tg.messages(chat_id)]


async def test_a_reader_follows_a_word_and_gets_only_what_matches(bot: Harness) -> None:
    [done] = await bot.send(READER, "/follow طرطوس")
    assert "تتابع الآن «طرطوس»" in _p(done.text)
    await bot.send(OTHER, "/subscribe")
    before = len(bot.tg.messages(READER))
    await _article(bot, "وصول سفن روسية", "رست السفن بطرطوس صباح اليوم")
    await _article(bot, "طَرْطُوس تستقبل الزوار")
    await _article(bot, "أمطار في حلب")
    await bot.push()
    pushed = _texts(bot, READER)[before:]
    assert len(pushed) == 2
    assert any("وصول سفن روسية" in text for text in pushed)
    assert not any("أمطار في حلب" in text for text in pushed)
    assert any("أمطار في حلب" in text for text in _texts(bot, OTHER))
    assert bot.errors == []


async def test_one_message_per_article_even_when_several_follows_match(bot: Harness) -> None:
    await bot.send(READER, "/follow طرطوس")
    await bot.send(READER, '/follow "قاعدة حميميم"')
    await bot.send(READER, "/follow روسيا")
    before = len(bot.tg.messages(READER))
    await _article(bot, "روسيا توسع قاعدة حميميم", "والأسطول في طرطوس")
    await bot.push()
    assert len(_texts(bot, READER)[before:]) == 1


async def test_following_names_each_follow_and_unfollow_removes_one(bot: Harness) -> None:
    await bot.send(READER, "/follow طرطوس")
    await bot.send(READER, '/follow "قاعدة حميميم"')
    [listed] = await bot.send(READER, "/following")
    assert "«طرطوس»" in _p(listed.text)
    assert '«"قاعدة حميميم"»' in _p(listed.text)
    assert listed.button_texts() == ["✖ طرطوس", '✖ "قاعدة حميميم"']
    [gone] = await bot.send(READER, "/unfollow طرطوس")
    assert "تم إلغاء متابعة «طرطوس»" in _p(gone.text)
    [none] = await bot.send(READER, "/unfollow طرطوس")
    assert "أنت لا تتابع «طرطوس»" in _p(none.text)
    [listed] = await bot.send(READER, "/following")
    await bot.click(listed, "قاعدة حميميم")
    assert await follows.list_follows(bot.deps.db, READER) == []
    assert await follows.receiving(bot.deps.db, READER) == "nothing"
    [empty] = await bot.send(READER, "/following")
    assert "لا تتابع شيئاً" in _p(empty.text)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/follow", "تابع كلمة"),
        ("/follow " + "ط" * 1000, "طويلة جداً"),
        ("/follow طرطوس*", "كلمات عادية"),
        ("/follow طرطوس OR حلب", "كلمات عادية"),
        ("/follow !!! ؟؟", "لا أجد كلمة"),
        ("/follow في من", "شائعة جداً"),
        ("/follow #لا_يوجد", "لا يوجد قسم"),
        ("/unfollow", "ما تريد إلغاء متابعته"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_stores_nothing(
    bot: Harness, text: str, answer: str
) -> None:
    [reply] = await bot.send(READER, text)
    assert answer in _p(reply.text)
    assert await follows.list_follows(bot.deps.db, READER) == []
    assert bot.errors == []


async def test_a_duplicate_and_the_cap_are_answered_plainly(bot: Harness) -> None:
    await bot.send(READER, "/follow طرطوس")
    [again] = await bot.send(READER, "/follow طرطوس")
    assert "تتابع «طرطوس» بالفعل" in _p(again.text)
    for n in range(follows.MAX_FOLLOWS - 1):
        await bot.send(READER, f"/follow كلمة{n}")
    [refused] = await bot.send(READER, "/follow حلب")
    assert f"{follows.MAX_FOLLOWS} متابعة" in _p(refused.text)
    assert len(await follows.list_follows(bot.deps.db, READER)) == follows.MAX_FOLLOWS


async def test_english_readers_are_answered_in_english(bot: Harness) -> None:
    [done] = await bot.send(EN_READER, "/follow Tartus", lang="en")
    assert "Now following «Tartus»" in _p(done.text)
    [refused] = await bot.send(EN_READER, "/follow ...", lang="en")
    assert "no word to follow" in _p(refused.text)


async def test_topics_are_followed_with_a_button(bot: Harness) -> None:
    await _article(bot, "مباراة القمة", category="رياضة")
    await _article(bot, "جلسة البرلمان", category="سياسة")
    [menu] = await bot.send(READER, "/topics")
    assert "➕ رياضة" in menu.button_texts()
    await bot.click(menu, "رياضة")
    [label] = [f.label for f in await follows.list_follows(bot.deps.db, READER)]
    assert label == "#رياضة"
    assert "✅ رياضة" in bot.tg.messages(READER)[-1].button_texts()  # edited in place
    before = len(bot.tg.messages(READER))
    await _article(bot, "نتائج الدوري", category="رياضة")
    await _article(bot, "قانون جديد", category="سياسة")
    await bot.push()
    pushed = _texts(bot, READER)[before:]
    assert len(pushed) == 1
    assert "نتائج الدوري" in _p(pushed[0])
    await bot.click(bot.tg.messages(READER)[before - 1], "رياضة")
    assert await follows.list_follows(bot.deps.db, READER) == []


async def test_a_subscriber_may_switch_to_only_what_they_follow(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    [done] = await bot.send(READER, "/follow طرطوس")
    assert "/following" in _p(done.text)  # told that everything arrives anyway
    [listed] = await bot.send(READER, "/following")
    await bot.click(listed, "فقط")
    assert await follows.receiving(bot.deps.db, READER) == "follows"
    await bot.send(READER, "/unsubscribe")
    [listed] = await bot.send(READER, "/following")
    assert "لا يصل هنا شيء" in _p(listed.text)
    await bot.click(listed, "استئناف")
    assert await follows.receiving(bot.deps.db, READER) == "follows"


async def test_only_group_admins_change_the_groups_follows(bot: Harness) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة القراء")
    bot.tg.set_member(GROUP, OWNER, "administrator")
    [refused] = await bot.send(GROUP, "/follow طرطوس", user=READER)
    assert "فقط مشرفو المجموعة" in _p(refused.text)
    assert await follows.list_follows(bot.deps.db, GROUP) == []
    [done] = await bot.send(GROUP, "/follow طرطوس", user=OWNER)
    assert "تتابع الآن" in _p(done.text)
    [listed] = await bot.send(GROUP, "/following", user=OWNER)
    [answer] = [await bot.click(listed, "طرطوس", user=READER)]
    assert answer == []  # only an alert for the member
    assert len(await follows.list_follows(bot.deps.db, GROUP)) == 1


def _channel(bot: Harness) -> None:
    bot.tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(
        CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True, can_delete_messages=True
    )


async def test_a_channel_follows_from_its_admins_private_chat(bot: Harness) -> None:
    _channel(bot)
    [done] = await bot.send(OWNER, "/follow @akhbar_channel طرطوس")
    assert "تتابع الآن «طرطوس»" in _p(done.text)
    assert [f.label for f in await follows.list_follows(bot.deps.db, CHANNEL)] == ["طرطوس"]
    assert await follows.list_follows(bot.deps.db, OWNER) == []
    [refused] = await bot.send(READER, "/follow @akhbar_channel حلب")
    assert "@akhbar_channel" in _p(refused.text)
    assert len(await follows.list_follows(bot.deps.db, CHANNEL)) == 1
    await _article(bot, "سفن في طرطوس")
    await _article(bot, "أمطار في حلب")
    await bot.push()
    posted = _texts(bot, CHANNEL)
    assert len(posted) == 1
    assert "سفن في طرطوس" in posted[0]


async def test_a_channel_follows_from_inside_the_channel_silently(bot: Harness) -> None:
    _channel(bot)
    update = bot.tg.channel_post_update(CHANNEL, "/follow حلب")
    await bot.feed(update)
    assert [f.label for f in await follows.list_follows(bot.deps.db, CHANNEL)] == ["حلب"]
    assert bot.tg.deleted == [(CHANNEL, update["channel_post"]["message_id"])]
    await bot.feed(bot.tg.channel_post_update(CHANNEL, "/follow@another_bot طرطوس"))
    assert len(await follows.list_follows(bot.deps.db, CHANNEL)) == 1
    await bot.feed(bot.tg.channel_post_update(CHANNEL, "/unfollow حلب"))
    assert await follows.list_follows(bot.deps.db, CHANNEL) == []
    assert bot.tg.messages(CHANNEL) == []
    assert bot.errors == []


async def test_the_sites_categories_are_named_in_the_readers_language(bot: Harness) -> None:
    await _article(bot, "مباراة القمة", category="sport")
    await _article(bot, "ندوة الكتاب", category="culture")
    [menu] = await bot.send(READER, "/topics")
    assert {"➕ رياضة", "➕ ثقافة"} <= set(menu.button_texts())
    [done] = await bot.send(READER, "/follow #رياضة")
    assert "رياضة" in _p(done.text)
    assert [f.label for f in await follows.list_follows(bot.deps.db, READER)] == ["#sport"]
    [listed] = await bot.send(EN_READER, "/follow #Culture", lang="en")
    assert "Culture" in _p(listed.text)
    [mine] = await bot.send(READER, "/following")
    assert "#رياضة" in _p(mine.text)
    assert "sport" not in mine.text
    [gone] = await bot.send(READER, "/unfollow #رياضة")
    assert "رياضة" in _p(gone.text)
    assert await follows.list_follows(bot.deps.db, READER) == []

"""An editor withdraws an article: it leaves the bot, and its delivered copies are deleted."""

from __future__ import annotations

from bot.render import bare
from bot.standin import SentMessage, wait_until
from storage import articles, search
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness

TITLE = "خبر منشور بالخطأ"
CHANNEL = -1001234567890
OWNER = 5005


async def _subscribers(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @akhbar_channel")


async def _post(bot: Harness, title: str = TITLE) -> int:
    article_id = await bot.publish(f"/post {title}\nنص {title}.")
    [article] = await articles.latest(bot.deps.db, 1)
    assert article.id == article_id
    return article_id


async def _ask(bot: Harness, text: str, n: int, lang: str | None = None) -> list[SentMessage]:
    before = len(bot.tg.messages(ADMIN))
    await bot.send(ADMIN, text, lang=lang)
    await wait_until(lambda: len(bot.tg.messages(ADMIN)) >= before + n, 10)
    return bot.tg.messages(ADMIN)[before:]


async def test_delete_withdraws_the_article_and_deletes_every_copy(bot: Harness) -> None:
    await _subscribers(bot)
    article_id = await _post(bot)
    await bot.push()
    copies = [bot.tg.last(c) for c in (READER, EN_READER, CHANNEL)]
    started, done = await _ask(bot, f"/delete {article_id}", 2)
    assert f"سُحب المقال رقم {article_id}" in bare(started.text)
    assert "حُذفت نسخه المرسلة كلها (3)" in bare(done.text)
    assert sorted(bot.tg.deleted) == sorted((c.chat_id, c.message_id) for c in copies)
    # Out of /latest, search and navigation; the old button says so.
    [latest] = await bot.send(READER, "/latest")
    assert TITLE not in bare(latest.text)
    assert (await search.search(bot.deps.db, "منشور بالخطأ")).total == 0
    [gone] = await bot.feed(
        bot.tg.callback_update(READER, READER, latest.message_id, f"a:{article_id}")
    )
    assert "لم يعد متاحاً" in gone.text
    assert await bot.push() == 0


async def test_what_was_not_sent_yet_is_never_sent(bot: Harness) -> None:
    await _subscribers(bot)
    article_id = await _post(bot)
    bot.tg.clear()
    [done] = await _ask(bot, f"/delete {article_id}", 1, lang="en")
    assert "No copy of it had gone out." in done.text
    assert await bot.push() == 0
    assert all(bot.tg.messages(c) == [] for c in (READER, EN_READER, CHANNEL))


async def test_copies_older_than_48_hours_stay_and_the_editor_hears_why(bot: Harness) -> None:
    await _subscribers(bot)
    article_id = await _post(bot)
    await bot.push()
    await bot.deps.db.conn.execute(
        "UPDATE deliveries SET updated_at = '2020-01-01T00:00:00+00:00' WHERE chat_id = ?",
        (READER,),
    )
    _, report = await _ask(bot, f"/delete {article_id}", 2)
    assert "حُذفت 2، وبقيت 1" in bare(report.text)
    assert "أقدم من 48 ساعة" in bare(report.text)
    assert bot.tg.last(READER).bold()[0] == TITLE  # it stayed


async def test_a_list_that_named_the_article_is_edited_not_deleted(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    ids = [await _post(bot, f"خبر رقم {n}") for n in range(7)]
    await bot.push()  # two in a list, five as their own messages
    [digest] = [m for m in bot.tg.messages(READER) if "أخبار أخرى جديدة" in m.text]
    await _ask(bot, f"/delete {ids[0]}", 2)
    assert digest.edits == 1
    assert "خبر رقم 0" not in bare(digest.text)
    assert "خبر رقم 1" in bare(digest.text)
    assert (READER, digest.message_id) not in bot.tg.deleted


async def test_delete_refuses_what_it_cannot_do(bot: Harness) -> None:
    article_id = await _post(bot)
    for text, expected in (
        ("/delete", "اكتب رقم المقال بعد /delete"),
        ("/delete ²", "اكتب رقم المقال بعد /delete"),
        ("/delete 1 2", "اكتب رقم المقال بعد /delete"),
        ("/delete 999", "لا يوجد مقال رقم 999"),
    ):
        [answer] = await _ask(bot, text, 1)
        assert expected in bare(answer.text), text
    before = len(bot.tg.messages(READER))
    await bot.send(READER, f"/delete {article_id}")
    await wait_until(lambda: len(bot.tg.messages(READER)) > before)
    assert "للمحررين فقط" in bot.tg.messages(READER)[-1].text
    assert await articles.get(bot.deps.db, article_id) is not None
    await _ask(bot, f"/delete {article_id}", 1)
    [again] = await _ask(bot, f"/delete {article_id}", 1)
    assert f"لا يوجد مقال رقم {article_id}" in bare(again.text)


async def test_history_says_who_did_what_and_when(bot: Harness) -> None:
    article_id = await _post(bot)
    await _ask(bot, f"/edit {article_id}\nعنوان مصحح\nنص مصحح.", 1)  # no copy sent yet
    await _ask(bot, f"/delete {article_id}", 1)
    [trail] = await _ask(bot, f"/history {article_id}", 1)
    lines = bare(trail.text).splitlines()
    assert lines[0] == f"🗂 سجل المقال رقم {article_id}"
    assert lines[1].startswith("• كتب مسودته ")
    assert lines[2].startswith("• نشره ")
    assert lines[3].startswith("• صحّحه ")
    assert f"كان عنوانه: {TITLE}" in lines[4]
    assert lines[5].startswith("• سحبه ")
    [english] = await _ask(bot, f"/history {article_id}", 1, lang="en")
    assert "• drafted by " in english.text
    assert "• published by " in english.text
    [none] = await _ask(bot, "/history 999", 1, lang="ar")
    assert "لا سجل للمقال رقم 999" in bare(none.text)
    before = len(bot.tg.messages(READER))
    await bot.send(READER, f"/history {article_id}")
    await wait_until(lambda: len(bot.tg.messages(READER)) > before)
    assert "للمحررين فقط" in bot.tg.messages(READER)[-1].text


async def test_an_article_never_sent_is_withdrawn_with_one_answer(bot: Harness) -> None:
    article_id = await _post(bot)
    [answer] = await _ask(bot, f"/delete {article_id}", 1)
    assert "لم تُرسل منه نسخ بعد" in bare(answer.text)
    await bot.push()
    assert [bare(m.text) for m in bot.tg.messages(ADMIN)][-1] == bare(answer.text)
    assert article_id not in [a.id for a in await articles.latest(bot.deps.db, 5)]


async def test_deletes_in_a_migrated_group_and_for_a_blocked_reader_are_reported(
    bot: Harness,
) -> None:
    group, supergroup = -4001, -1004001
    bot.tg.add_chat(group, "group", title="مجموعة")
    bot.tg.set_member(group, OWNER, "creator")
    await bot.send(group, "/subscribe", user=OWNER)
    await _subscribers(bot)
    article_id = await _post(bot)
    await bot.push()
    copies = {c: bot.tg.last(c) for c in (READER, EN_READER, CHANNEL, group)}
    bot.tg.migrate_chat(group, supergroup)
    bot.tg.block_bot(READER)
    _, report = await _ask(bot, f"/delete {article_id}", 2, lang="en")
    text = bare(report.text)
    assert "2 copies deleted, 2 stay" in text, text
    assert "the group became a supergroup" in text, text
    assert "blocked" in text, text
    assert sorted(bot.tg.deleted) == sorted(
        (c, copies[c].message_id) for c in (EN_READER, CHANNEL)
    )
    assert bot.errors == []

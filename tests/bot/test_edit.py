"""An editor corrects a published article: every delivered copy is edited where it stands."""

from __future__ import annotations

import re

from bot.render import bare
from bot.standin import Fault, SentMessage, wait_until
from storage import articles, deliveries, search
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness

TITLE = "حريق في مستودع الميناء"
BODY = "اندلع حريق صباح اليوم في مستودع."
CHANNEL = -1001234567890
OWNER = 5005


async def _published(bot: Harness) -> tuple[int, list[SentMessage]]:
    """An article pushed to two readers and a channel; its id and the three copies."""
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @akhbar_channel")
    article_id = await bot.publish(f"/post {TITLE}\n{BODY}")
    await bot.push()
    [article] = await articles.latest(bot.deps.db, 1)
    assert article.id == article_id
    copies = [bot.tg.last(c) for c in (READER, EN_READER, CHANNEL)]
    return article.id, copies


async def _replies(bot: Harness, n: int) -> list[SentMessage]:
    before = len(bot.tg.messages(ADMIN))
    await wait_until(lambda: len(bot.tg.messages(ADMIN)) >= before + n, 10)
    return bot.tg.messages(ADMIN)[before:]


async def test_edit_corrects_every_copy_in_place_and_says_so(bot: Harness) -> None:
    article_id, copies = await _published(bot)
    sent_before = len(bot.tg.sent)
    before = len(bot.tg.messages(ADMIN))
    await bot.send(ADMIN, f"/edit {article_id} حريق محدود في مستودع الميناء\nاندلع حريق محدود.")
    await wait_until(lambda: len(bot.tg.messages(ADMIN)) >= before + 2, 10)
    started, done = bot.tg.messages(ADMIN)[before:]
    assert f"صُحح المقال رقم {article_id}" in bare(started.text)
    assert "(3)" in bare(started.text)
    assert "عُدّلت النسخ المرسلة كلها" in bare(done.text)
    for copy in copies:
        assert copy.edits == 1
        assert copy.bold()[0] == "حريق محدود في مستودع الميناء"
    assert len(bot.tg.sent) == sent_before + 2  # the two replies: no copy was sent again
    assert (await search.search(bot.deps.db, "محدود")).total == 1
    [latest] = await articles.latest(bot.deps.db, 1)
    assert latest.title == "حريق محدود في مستودع الميناء"
    assert (await deliveries.counts(bot.deps.db)).edited == 3


async def test_a_copy_that_cannot_be_edited_is_reported_with_its_reason(bot: Harness) -> None:
    article_id, _ = await _published(bot)
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "left")  # removed before the correction
    before = len(bot.tg.messages(ADMIN))
    await bot.send(ADMIN, f"/edit {article_id}\nعنوان مصحح\nنص مصحح.", lang="en")
    await wait_until(lambda: any("could not" in bare(m.text) for m in bot.tg.messages(ADMIN)), 10)
    report = next(m for m in bot.tg.messages(ADMIN)[before:] if "could not" in bare(m.text))
    assert "2 copies edited, 1 could not be" in bare(report.text)
    assert "the bot was removed from it" in bare(report.text)


async def test_an_arabic_editor_hears_every_reason_in_arabic(bot: Harness) -> None:
    """Telegram's reasons are English: an Arabic report names them in Arabic, foreseen or not."""
    article_id, _ = await _published(bot)
    gone = Fault("bad_request", status=400, description="Bad Request: message to edit not found")
    bot.tg.inject("editMessageText", gone, chat_id=READER)
    odd = Fault("bad_request", status=400, description="Bad Request: SOMETHING_NEW_HAPPENED")
    bot.tg.inject("editMessageText", odd, chat_id=EN_READER)
    before = len(bot.tg.messages(ADMIN))
    await bot.send(ADMIN, f"/edit {article_id}\nعنوان مصحح\nنص مصحح.", lang="ar")
    await wait_until(lambda: any("تعذّر" in m.text for m in bot.tg.messages(ADMIN)[before:]), 10)
    report = next(m for m in bot.tg.messages(ADMIN)[before:] if "تعذّر" in m.text)
    text = bare(report.text)
    assert "عُدّلت 1، وتعذّر تعديل 2" in text
    assert "حُذفت الرسالة من المحادثة" in text
    assert "رفضه تيليغرام" in text
    assert not re.search("[A-Za-z]", text), text  # no English inside Arabic


async def test_edit_refuses_what_it_cannot_do(bot: Harness) -> None:
    article_id, _ = await _published(bot)
    for text, expected in (
        ("/edit", "اكتب رقم المقال بعد /edit"),
        ("/edit ²\nعنوان\nنص", "اكتب رقم المقال بعد /edit"),
        ("/edit 999\nعنوان\nنص", "لا يوجد مقال رقم 999"),
        (f"/edit {article_id}\nعنوان فقط", "النص مفقود"),
        (
            f"/edit {article_id} حريق في مستودع الميناء\nاندلع حريق صباح اليوم في مستودع.",
            "لم يتغير شيء",
        ),
    ):
        before = len(bot.tg.messages(ADMIN))
        await bot.send(ADMIN, text)
        await wait_until(lambda b=before: len(bot.tg.messages(ADMIN)) > b)  # type: ignore[misc]
        assert expected in bare(bot.tg.messages(ADMIN)[before].text), text
    before = len(bot.tg.messages(READER))
    await bot.send(READER, f"/edit {article_id}\nاختراق\nنص")
    await wait_until(lambda: len(bot.tg.messages(READER)) > before)
    assert "للمحررين فقط" in bare(bot.tg.messages(READER)[-1].text)
    [article] = await articles.latest(bot.deps.db, 1)
    assert article.title == TITLE


GROUP = -4001
SUPERGROUP = -1004001


async def test_edits_reach_a_copy_in_a_migrated_group_and_report_a_blocked_reader(
    bot: Harness,
) -> None:
    """After the push, the group became a supergroup and a reader blocked the bot: the
    correction still reaches what Telegram lets it reach, and the editor hears the rest."""
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, OWNER, "creator")
    await bot.send(GROUP, "/subscribe", user=OWNER)
    article_id, copies = await _published(bot)
    in_group = bot.tg.last(GROUP)
    bot.tg.migrate_chat(GROUP, SUPERGROUP)
    bot.tg.block_bot(READER)
    before = len(bot.tg.messages(ADMIN))
    await bot.send(ADMIN, f"/edit {article_id}\nعنوان مصحح\nنص مصحح.", lang="en")
    await wait_until(lambda: len(bot.tg.messages(ADMIN)) >= before + 2, 10)
    report = bare(bot.tg.messages(ADMIN)[-1].text)
    assert copies[1].edits == 1  # the English reader
    assert copies[2].edits == 1  # the channel
    assert copies[0].edits == 0  # blocked
    assert in_group.edits == 0
    assert "2 copies edited, 2 could not be" in report, report
    assert "blocked" in report, report
    assert "the group became a supergroup" in report, report
    assert bot.errors == []
    # Nothing was sent again in place of an edit.
    assert bot.tg.messages(SUPERGROUP) == []

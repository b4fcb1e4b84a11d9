"""An editor corrects a published article: every delivered copy is edited where it stands."""

from __future__ import annotations

from bot.standin import SentMessage, wait_until
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
    await bot.send(ADMIN, f"/post {TITLE}\n{BODY}")
    await bot.push()
    [article] = await articles.latest(bot.deps.db, 1)
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
    assert f"صُحح المقال رقم {article_id}" in started.text
    assert "(3)" in started.text
    assert "عُدّلت النسخ المرسلة كلها" in done.text
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
    await wait_until(lambda: any("could not" in m.text for m in bot.tg.messages(ADMIN)), 10)
    report = next(m for m in bot.tg.messages(ADMIN)[before:] if "could not" in m.text)
    assert "2 copies edited, 1 could not be" in report.text
    assert "the bot was removed from it" in report.text


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
        assert expected in bot.tg.messages(ADMIN)[before].text, text
    before = len(bot.tg.messages(READER))
    await bot.send(READER, f"/edit {article_id}\nاختراق\nنص")
    await wait_until(lambda: len(bot.tg.messages(READER)) > before)
    assert "للمحررين فقط" in bot.tg.messages(READER)[-1].text
    [article] = await articles.latest(bot.deps.db, 1)
    assert article.title == TITLE

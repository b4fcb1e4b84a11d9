"""The editor's desk: /post makes a draft with a preview, and only Publish or Urgent lets it
reach readers; Cancel drops it; a second press never publishes twice."""

from __future__ import annotations

import re

import pytest

from bot.render import bare
from bot.standin import SentMessage, wait_until
from storage import articles, audit, drafts, search
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness

TITLE = "اجتماع طارئ في طرطوس"
POST = (
    f"/post {TITLE}\n"
    "عقد المسؤولون اجتماعاً طارئاً اليوم لبحث أوضاع الميناء.\n"
    "https://example.com/news/42\n"
    "وقال المتحدث إن النتائج ستعلن غداً."
)
#: Latin words an Arabic sentence may hold: commands and the time formats they take.
_ALLOWED_LATIN = re.compile(r"/[a-z]+|\+?[0-9]+[mh]\b|RSS|Atom")


def _undated(message: SentMessage) -> str:
    """The text without its date line (a preview is dated when drafted, the push when sent)."""
    return "\n".join(line for line in message.text.split("\n") if not line.startswith("🗓"))


def _no_english(text: str) -> None:
    latin = re.findall(r"[A-Za-z]+", _ALLOWED_LATIN.sub("", text))
    assert latin == [], f"English inside Arabic: {latin} in {text!r}"


async def _titles_readers_can_find(bot: Harness) -> list[str]:
    latest = [a.title for a in await articles.latest(bot.deps.db, 50)]
    found = await search.search(bot.deps.db, "طرطوس الميناء", limit=50)
    return latest + [hit.title for hit in found.hits]


async def test_nothing_reaches_readers_before_publish_then_it_goes_out(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.clear()
    before = await articles.count(bot.deps.db)

    intro, preview = await bot.draft(POST)
    assert "مسودة" in intro.text
    _no_english(intro.text)
    assert preview.button_texts() == ["إلغاء", "عاجل", "نشر"]  # right to left: Publish first
    assert preview.bold()[0] == TITLE
    assert preview.links() == [("رابط المقال", "https://example.com/news/42")]
    assert "🔴" not in preview.text

    # A draft is no article: not stored, not listed, not searchable, not queued.
    assert await articles.count(bot.deps.db) == before
    assert TITLE not in await _titles_readers_can_find(bot)
    assert await bot.push() == 0
    assert bot.tg.messages(READER) == []
    [latest] = await bot.send(READER, "/latest")
    assert TITLE not in latest.text

    [answer] = await bot.press(preview, "publish")
    article_id = int(re.findall(r"#([0-9]+)", answer.text)[0])
    assert "الدفعة التالية" in answer.text
    _no_english(answer.text)
    assert preview.buttons() == []  # decided: the buttons are gone
    stored = await articles.get(bot.deps.db, article_id)
    assert stored is not None
    assert stored.title == TITLE
    assert stored.origin == "editor"
    assert TITLE in await _titles_readers_can_find(bot)

    assert await bot.push() == 2
    pushed = bot.tg.last(READER)
    assert _undated(pushed) == _undated(preview)  # the preview was exactly this
    assert pushed.disable_notification
    assert bot.tg.last(EN_READER).bold()[0] == TITLE


async def test_english_editor_sees_english(bot: Harness) -> None:
    intro, preview = await bot.draft("/post A title\nThe body.", lang="en")
    assert "Draft" in intro.text
    assert preview.button_texts() == ["Publish", "Urgent", "Cancel"]
    [answer] = await bot.press(preview, "publish", lang="en")
    assert re.search(r"Published as article #[0-9]+", answer.text)


async def test_a_second_press_never_publishes_twice(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft(POST)
    data = {b["text"]: str(b["callback_data"]) for row in preview.buttons() for b in row}
    before = await articles.count(bot.deps.db)
    await bot.press(preview, "publish")
    bot.tg.clear()

    for label in ("نشر", "عاجل", "إلغاء"):  # a double tap, or a stale copy of the buttons
        update = bot.tg.callback_update(ADMIN, ADMIN, preview.message_id, data[label])
        assert await bot.feed(update) == []
        alert = bot.tg.callback_answers[-1]
        assert alert["show_alert"]
        assert "نُشرت من قبل" in str(alert["text"])
    assert await articles.count(bot.deps.db) == before + 1
    assert await bot.push() == 1
    assert await bot.push() == 0


async def test_cancel_drops_the_draft(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft(POST)
    publish = next(str(b["callback_data"]) for b in preview.buttons()[0] if b["text"] == "نشر")
    before = await articles.count(bot.deps.db)
    [answer] = await bot.press(preview, "cancel")
    assert "أُلغيت المسودة" in answer.text
    assert TITLE in answer.text
    assert await bot.feed(bot.tg.callback_update(ADMIN, ADMIN, preview.message_id, publish)) == []
    assert "أُلغيت من قبل" in str(bot.tg.callback_answers[-1]["text"])
    assert await articles.count(bot.deps.db) == before
    assert await bot.push() == 0


async def test_urgent_draft_shows_the_mark_and_rings_only_when_pressed(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.clear()
    _, preview = await bot.draft("/urgent زلزال في المنطقة\nتفاصيل الزلزال الأولى.")
    assert preview.text.startswith("🔴 عاجل\nزلزال في المنطقة")
    assert bot.tg.messages(READER) == []
    [answer] = await bot.press(preview, "urgent")
    assert "عاجلاً" in answer.text
    assert "إلى مشترك واحد" in bare(answer.text)  # queued for the one subscriber
    await wait_until(lambda: bool(bot.tg.messages(READER)))
    [urgent] = bot.tg.messages(READER)
    assert not urgent.disable_notification
    assert urgent.text.startswith("🔴 عاجل\nزلزال في المنطقة")


async def test_non_editors_store_nothing_and_press_nothing(bot: Harness) -> None:
    [answer] = await bot.send(READER, POST)
    assert "لمحرري الموقع فقط" in answer.text
    assert await drafts.get(bot.deps.db, 1) is None
    [photo_answer] = await bot.feed(bot.tg.photo_update(READER, READER, POST))
    assert "لمحرري الموقع فقط" in photo_answer.text
    assert await drafts.get(bot.deps.db, 1) is None

    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft(POST)
    before = await articles.count(bot.deps.db)
    data = str(preview.buttons()[0][-1]["callback_data"])  # نشر
    assert await bot.feed(bot.tg.callback_update(ADMIN, READER, preview.message_id, data)) == []
    assert "للمحررين فقط" in str(bot.tg.callback_answers[-1]["text"])
    assert await articles.count(bot.deps.db) == before
    draft = await drafts.get(bot.deps.db, 1)
    assert draft is not None
    assert draft.state == "draft"
    [scheduled] = await bot.send(READER, "/scheduled")
    assert "للمحررين فقط" in scheduled.text


async def test_refusals_give_the_reason_in_the_editors_language(bot: Harness) -> None:
    for title in (" ", "\u200b\u200c", "\u200f\u2067\u2069", "\ufeff"):
        refusal, usage = await bot.send(ADMIN, f"/post\n{title}\nنص الخبر الكامل هنا.")
        assert "العنوان فارغ أو غير مرئي" in refusal.text or "النص مفقود" in refusal.text
        _no_english(refusal.text)
        _no_english(usage.text)
    refusal, _ = await bot.send(ADMIN, "/post\n\u200b\nThe body.", lang="en")
    assert "the title is empty or invisible" in refusal.text
    refusal, _ = await bot.send(ADMIN, "/post عنوان بلا نص", lang="ar")
    assert "النص مفقود" in refusal.text
    _no_english(refusal.text)
    assert await drafts.get(bot.deps.db, 1) is None


async def test_a_draft_survives_a_restart(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    _, preview = await bot.draft(POST)
    await bot.restart()
    [answer] = await bot.press(preview, "publish")
    assert "#" in answer.text
    assert await bot.push() == 1
    assert bot.tg.last(READER).bold()[0] == TITLE


async def test_the_same_story_twice_is_published_once(bot: Harness) -> None:
    first = await bot.publish("/post عنوان\nنص")
    _, preview = await bot.draft("/post عنوان\nنص")
    [answer] = await bot.press(preview, "publish")
    assert "منشور من قبل" in answer.text
    assert f"#{first}" in answer.text


async def test_the_audit_trail_names_who_drafted_and_who_published(bot: Harness) -> None:
    article_id = await bot.publish(POST)
    entries = await audit.history(bot.deps.db, article_id)
    assert [e.action for e in entries] == ["drafted", "published"]
    assert {e.user_id for e in entries} == {ADMIN}
    [history] = await bot.send(ADMIN, f"/history {article_id}")
    assert "كتب مسودته" in history.text
    assert "نشره" in history.text


async def test_a_photo_captioned_post_is_a_photo_draft(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.clear()
    update = bot.tg.photo_update(ADMIN, ADMIN, POST, file_id="AgACAgQAAxkBAAIBigEditorPhoto")
    # Telegram sends several sizes, the smallest first: the largest is the one kept.
    sizes = update["message"]["photo"]
    sizes.insert(0, {**sizes[0], "file_id": "AgACsmall", "width": 90, "height": 51})
    intro, preview = await bot.feed(update)
    assert "مسودة" in intro.text
    assert preview.photo == "AgACAgQAAxkBAAIBigEditorPhoto"
    assert preview.bold()[0] == TITLE
    assert "نشر" in preview.button_texts()
    [answer] = await bot.press(preview, "publish")
    article_id = int(re.findall(r"#([0-9]+)", answer.text)[0])
    stored = await articles.get(bot.deps.db, article_id)
    assert stored is not None
    assert stored.image == "AgACAgQAAxkBAAIBigEditorPhoto"
    await bot.push()
    [pushed, *_] = bot.tg.messages(READER)
    assert pushed.photo == "AgACAgQAAxkBAAIBigEditorPhoto"


@pytest.mark.parametrize("data", ["d:999:1", "d:1:9", "d:0:1", "d:1:-1", "d:1", "d:1:1:1"])
async def test_forged_or_unknown_draft_buttons_publish_nothing(bot: Harness, data: str) -> None:
    _, preview = await bot.draft(POST)
    before = await articles.count(bot.deps.db)
    assert await bot.feed(bot.tg.callback_update(ADMIN, ADMIN, preview.message_id, data)) == []
    assert bot.tg.callback_answers[-1]["text"]  # answered, never left spinning
    assert await articles.count(bot.deps.db) == before
    draft = await drafts.get(bot.deps.db, 1)
    assert draft is not None
    assert draft.state == "draft"


async def test_breaking_news_may_be_its_headline_alone(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    article_id = await bot.publish("/urgent زلزال بقوة 5 درجات يضرب الشمال", urgent=True)
    await wait_until(lambda: bool(bot.tg.messages(READER)[1:]))
    flash = bot.tg.last(READER)
    assert bare(flash.text).startswith("🔴 عاجل\nزلزال بقوة 5 درجات يضرب الشمال")
    assert not flash.disable_notification
    stored = await articles.get(bot.deps.db, article_id)
    assert stored is not None
    assert stored.body == ""
    # An ordinary post still needs its body, and says so.
    [refused, _] = await bot.send(ADMIN, "/post عنوان بلا نص")
    assert "النص مفقود" in bare(refused.text)

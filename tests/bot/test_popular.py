"""/popular: the most read of the last 24 hours (and 7 days), counted once per reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import callbacks
from bot.render import bare
from storage import articles, opens
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

GROUP = -4001
READERS = (7001, 7002, 7003)


async def _articles(bot: Harness) -> list[int]:
    ids = []
    for n, letter in ((1, "أ"), (2, "ب"), (3, "ج")):
        article_id, _ = await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"خبر {letter}",
                body=f"نص الخبر {n}.",
                published_at=f"2024-01-0{n}T10:00:00+03:00",
            ),
        )
        ids.append(article_id)
    return ids


def _days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(microsecond=0).isoformat()


async def test_nothing_read_yet_says_so_and_offers_the_newest(bot: Harness) -> None:
    [message] = await bot.send(READER, "/popular")
    text = bare(message.text)
    assert "الأكثر قراءة" in text
    assert "لم يفتح أحد مقالاً في آخر 24 ساعة بعد." in text
    assert "إليك أحدث المقالات:" in text
    labels = message.button_texts()
    assert labels[0].startswith("1. ")  # the seed, the newest, as an entry to open
    assert labels[-1] == "📅 آخر 7 أيام"


async def test_opens_by_buttons_and_deep_links_count_once_per_reader(bot: Harness) -> None:
    a, b, _ = await _articles(bot)
    for reader in READERS:  # three readers open b from /latest, one of them twice
        [listing] = await bot.send(reader, "/latest 3")
        await bot.click_in_place(listing, "خبر ب")
    [listing] = await bot.send(READERS[0], "/latest 3")
    await bot.click_in_place(listing, "خبر ب")
    for reader in READERS[:2]:  # two open a through a deep link
        await bot.send(reader, f"/start a{a}")
    assert await opens.readers(bot.deps.db, b) == 3
    [popular] = await bot.send(READER, "/popular")
    text = bare(popular.text)
    assert text.index("خبر ب") < text.index("خبر أ")
    assert "3 قرّاء" in text
    assert "قارئان" in text
    assert "خبر ج" not in text  # nobody opened it
    assert [label.split(". ", 1)[1] for label in popular.button_texts()[:2]] == [
        "خبر ب",
        "خبر أ",
    ]
    [english] = await bot.send(EN_READER, "/popular", lang="en")
    assert "Most read" in english.text
    assert "3 readers" in english.text
    assert "2 readers" in english.text
    assert english.button_texts()[-1] == "📅 Last 7 days"


async def test_paging_and_next_count_only_new_readers(bot: Harness) -> None:
    a, b, _ = await _articles(bot)
    [message] = await bot.send(READER, f"/start a{a}")
    await bot.click_in_place(message, "التالي")  # opens b
    await bot.click_in_place(message, "السابق")  # a again: not counted twice
    assert await opens.readers(bot.deps.db, a) == 1
    assert await opens.readers(bot.deps.db, b) == 1


async def test_the_week_button_redraws_the_list_in_place(bot: Harness) -> None:
    a, b, _ = await _articles(bot)
    for user in range(7100, 7105):  # read by five, three days ago
        await opens.record(bot.deps.db, user, a, at=_days_ago(3))
    await opens.record(bot.deps.db, 7200, b)  # read by one, just now
    [popular] = await bot.send(READER, "/popular")
    assert "خبر أ" not in bare(popular.text)
    assert "خبر ب" in bare(popular.text)
    await bot.click_in_place(popular, "آخر 7 أيام")
    text = bare(popular.text)
    assert "آخر 7 أيام" in text
    assert text.index("خبر أ") < text.index("خبر ب")
    assert "5 قرّاء" in text
    assert popular.button_texts()[-1] == "🕐 آخر 24 ساعة"
    await bot.click_in_place(popular, "آخر 24 ساعة")
    assert "خبر أ" not in bare(popular.text)


async def test_an_article_from_the_list_comes_back_to_the_same_window(bot: Harness) -> None:
    a, _, _ = await _articles(bot)
    await opens.record(bot.deps.db, 7100, a, at=_days_ago(2))
    [popular] = await bot.send(READER, "/popular")
    await bot.click_in_place(popular, "آخر 7 أيام")
    week = popular.text
    await bot.click_in_place(popular, "خبر أ")
    assert bare(popular.bold()[0]) == "خبر أ"
    assert await opens.readers(bot.deps.db, a) == 2  # this reader's open counts too
    await bot.click_in_place(popular, "↩ الأكثر قراءة")
    assert "آخر 7 أيام" in bare(popular.text)
    assert popular.text != week  # now two readers
    assert "قارئان" in bare(popular.text)


async def test_a_withdrawn_article_leaves_the_list(bot: Harness) -> None:
    a, b, _ = await _articles(bot)
    await opens.record(bot.deps.db, 7100, a)
    await opens.record(bot.deps.db, 7100, b)
    await articles.withdraw(bot.deps.db, a)
    [popular] = await bot.send(READER, "/popular")
    assert "خبر أ" not in bare(popular.text)
    assert "خبر ب" in bare(popular.text)


async def test_in_a_group_entries_open_in_private_and_the_window_switches_in_place(
    bot: Harness,
) -> None:
    a, _, _ = await _articles(bot)
    await opens.record(bot.deps.db, 7100, a)
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, 5005, "member")
    [popular] = await bot.send(GROUP, "/popular", user=5005)
    entry = popular.buttons()[0][0]
    assert entry["url"] == f"https://t.me/newsbot_test_bot?start=a{a}"
    await bot.click_in_place(popular, "آخر 7 أيام", user=5005)
    assert "آخر 7 أيام" in bare(popular.text)
    assert popular.buttons()[0][0]["url"] == entry["url"]


async def test_a_press_on_the_window_already_shown_changes_nothing(bot: Harness) -> None:
    [popular] = await bot.send(READER, "/popular")
    data = callbacks.encode(callbacks.PopularList(1))
    update = bot.tg.callback_update(READER, READER, popular.message_id, data)
    assert await bot.feed(update) == []
    assert popular.edits == 0
    assert len(bot.tg.callback_answers) == 1


async def test_help_and_the_command_menu_name_popular(bot: Harness) -> None:
    [help_text] = await bot.send(READER, "/help")
    assert "/popular" in help_text.text
    assert "popular" in [c["command"] for c in bot.tg.my_commands()]

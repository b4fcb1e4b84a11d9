"""/search answers that explain themselves: the count in words, "only some words", the order,
pages back and forth, and the English help's own example."""

from __future__ import annotations

import pytest

from bot.render import bare
from storage import articles
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

SEED_TITLE = "وكالة “تاس” الروسية الحكومة الجديدة في سوريا"


async def _ports(bot: Harness, n: int, word: str = "الميناء") -> list[int]:
    """``n`` articles holding ``word``, oldest first."""
    out = []
    for i in range(n):
        article_id, _ = await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"خبر رقم {i}",
                body=f"خبر عن {word} والسفن رقم {i}.",
                url=f"https://e.x/{word}/{i}",
                published_at=f"2024-01-{i + 1:02d}T10:00:00+00:00",
            ),
        )
        out.append(article_id)
    return out


@pytest.mark.parametrize(
    ("n", "arabic", "english"),
    [
        (1, "نتيجة واحدة لـ", "1 result for"),
        (2, "نتيجتان لـ", "2 results for"),
        (3, "3 نتائج لـ", "3 results for"),
        (12, "12 نتيجة لـ", "12 results for"),
    ],
)
async def test_the_count_is_said_as_the_language_says_it(
    bot: Harness, n: int, arabic: str, english: str
) -> None:
    await _ports(bot, n, "المرفأ")
    [ar] = await bot.send(READER, "/search المرفأ")
    assert arabic in bare(ar.text)
    [en] = await bot.send(EN_READER, "/search المرفأ", lang="en")
    assert english in bare(en.text)


async def test_results_holding_only_some_words_say_so(bot: Harness) -> None:
    [message] = await bot.send(READER, "/search طرطوس كوكب")
    assert "لا مقال يجمع كل الكلمات" in message.text
    assert any(SEED_TITLE in b for b in message.bold())
    [both] = await bot.send(READER, "/search طرطوس حميميم")
    assert "لا مقال يجمع" not in both.text
    [en] = await bot.send(EN_READER, "/search Tartus planet", lang="en")
    assert "No article holds every word" in en.text


async def test_the_english_help_example_finds_the_seed(bot: Harness) -> None:
    [message] = await bot.send(EN_READER, "/search Tartus", lang="en")
    assert "1 result for" in bare(message.text)
    assert any(SEED_TITLE in b for b in message.bold())
    assert "وطرطوس" in message.bold()  # marked as a whole word


async def test_newest_first_and_back_to_the_best_and_previous_pages(bot: Harness) -> None:
    added = await _ports(bot, 12)
    older = await articles.add(
        bot.deps.db,
        NewArticle(
            title="الميناء الميناء", body="الميناء", url="https://e.x/t", published_at="2020-01-01"
        ),
    )
    [first] = await bot.send(READER, "/search الميناء")
    assert bare(first.text).count("الميناء الميناء") == 1  # best first: the title match
    await bot.click(first, "الأحدث أولاً")
    page = bot.tg.messages(READER)[-1]
    assert page.message_id == first.message_id  # edited in place
    assert "الأحدث أولاً" in page.text
    assert next(b for b in page.button_texts() if b[0].isdigit()).endswith("رقم 11")
    assert any("الأنسب أولاً" in b for b in page.button_texts())
    assert "الصفحة السابقة" not in " ".join(page.button_texts())  # on the first page
    await bot.click(page, "المزيد")
    await bot.click(page, "المزيد")
    assert "(11–13)" in bare(page.text)
    assert "رقم 0" in bare(page.text)
    assert bare(page.text).endswith("الميناء")  # the oldest last
    await bot.click(page, "الصفحة السابقة")
    assert "(6–10)" in bare(page.text)
    assert "الأحدث أولاً" in page.text  # still newest first
    await bot.click(page, "الأنسب أولاً")
    assert "(1–5)" in bare(page.text)
    assert "الأحدث أولاً" not in page.text
    assert older
    assert added


@pytest.mark.parametrize("data", ["o:999:0", "o:1:-5", "o:x:0", "o:1"])
async def test_forged_order_buttons_are_answered(bot: Harness, data: str) -> None:
    [listing] = await bot.send(READER, "/latest")
    messages = await bot.feed(bot.tg.callback_update(READER, READER, listing.message_id, data))
    assert messages == []
    answers = bot.tg.callback_answers
    assert answers, "the button was left spinning"

"""A reader's journeys: /start, /latest, open, Previous / Next, /next after a restart, search."""

from __future__ import annotations

import pytest

from bot.render import bare
from storage import articles
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

SEED_TITLE = "وكالة “تاس” الروسية الحكومة الجديدة في سوريا"


async def _three(bot: Harness) -> list[int]:
    """Three dated articles, oldest first (the seed, undated, stays the newest)."""
    ids = []
    for n, day in ((1, "01"), (2, "02"), (3, "03")):
        article_id, _ = await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"الخبر رقم {n} <عاجل>",
                body=f"الفقرة الأولى من الخبر {n}.\nالفقرة الثانية من الخبر {n}.",
                url=f"https://example.com/{n}",
                source="site",
                published_at=f"2024-01-{day}T10:00:00+03:00",
            ),
        )
        ids.append(article_id)
    return ids


async def test_start_welcomes_in_arabic_and_english(bot: Harness) -> None:
    [ar] = await bot.send(READER, "/start")
    assert "أهلاً بك" in ar.text
    assert "/latest" in ar.text
    [en] = await bot.send(EN_READER, "/start", lang="en-GB")
    assert en.text.startswith("Welcome to")


async def test_start_with_a_deep_link_opens_the_article(bot: Harness) -> None:
    ids = await _three(bot)
    [message] = await bot.send(READER, f"/start a{ids[1]}")
    assert bare(message.bold()[0]) == "الخبر رقم 2 <عاجل>"
    assert "الفقرة الثانية من الخبر 2." in bare(message.text)
    assert message.links() == [("رابط المقال", "https://example.com/2")]
    assert message.button_texts() == ["التالي ←", "→ السابق", "📤 مشاركة"]
    [missing] = await bot.send(READER, "/start a999999")
    assert "لم يعد متاحاً" in missing.text
    [welcome] = await bot.send(READER, "/start somethingelse")
    assert "أهلاً بك" in welcome.text


async def test_help_lists_every_command_and_editors_see_theirs(bot: Harness) -> None:
    [reader] = await bot.send(READER, "/help")
    for command in ("/latest", "/next", "/prev", "/search", "/subscribe", "/unsubscribe"):
        assert command in reader.text
    assert "/post" not in reader.text
    [editor] = await bot.send(1001, "/help")
    assert "/post" in editor.text
    assert "/stats" in editor.text


async def test_latest_open_then_next_and_prev(bot: Harness) -> None:
    ids = await _three(bot)
    [listing] = await bot.send(READER, "/latest 3")
    assert bare(listing.bold()[0]) == "أحدث 3 مقالات"
    assert listing.bold()[1].startswith(SEED_TITLE)
    assert [bare(b) for b in listing.bold()[2:]] == ["الخبر رقم 3 <عاجل>", "الخبر رقم 2 <عاجل>"]
    assert len(listing.buttons()) == 3
    # Read in place: the list becomes the article, and Previous / Next edit that message.
    opened = await bot.click_in_place(listing, "الخبر رقم 3")
    assert bare(opened.bold()[0]) == "الخبر رقم 3 <عاجل>"
    previous = await bot.click_in_place(opened, "السابق")
    assert bare(previous.bold()[0]) == "الخبر رقم 2 <عاجل>"
    following = await bot.click_in_place(previous, "التالي")
    assert bare(following.bold()[0]) == "الخبر رقم 3 <عاجل>"
    assert len(bot.tg.messages(READER)) == 1
    [first] = await bot.send(READER, "/prev")
    assert bare(first.bold()[0]) == "الخبر رقم 2 <عاجل>"
    [oldest] = await bot.send(READER, "/prev")
    assert bare(oldest.bold()[0]) == "الخبر رقم 1 <عاجل>"
    assert "→ السابق" not in oldest.button_texts()  # nothing older
    assert "التالي ←" in oldest.button_texts()
    [none] = await bot.send(READER, "/prev")
    assert "أقدم مقال" in none.text
    assert ids[0] == (await articles.latest(bot.deps.db, 4))[-1].id


async def test_latest_counts(bot: Harness) -> None:
    await _three(bot)
    [default] = await bot.send(READER, "/latest")
    assert len(default.buttons()) == 4  # all there is, up to 5
    [arabic_digits] = await bot.send(READER, "/latest ٢")
    assert len(arabic_digits.buttons()) == 2
    for bad in ("/latest 0", "/latest 21", "/latest كثير", "/latest -3"):
        [answer] = await bot.send(READER, bad)
        assert "بين 1 و20" in bare(answer.text)


async def test_next_survives_a_restart(bot: Harness) -> None:
    ids = await _three(bot)
    await bot.send(READER, f"/start a{ids[0]}")
    await bot.restart()
    [message] = await bot.send(READER, "/next")
    assert bare(message.bold()[0]) == "الخبر رقم 2 <عاجل>"


async def test_next_without_a_position_opens_the_newest(bot: Harness) -> None:
    [message] = await bot.send(READER, "/next")
    assert message.bold()[0].startswith(SEED_TITLE)
    [prev_only] = await bot.send(EN_READER, "/prev", lang="en")
    assert "not opened an article" in prev_only.text


async def test_the_seed_is_read_with_its_site_neighbours_once_loaded(bot: Harness) -> None:
    [seed] = await bot.send(READER, "/next")
    assert seed.button_texts() == ["📤 مشاركة"]  # alone in the archive: no Previous / Next
    await articles.add(
        bot.deps.db,
        NewArticle(
            title="انفجار “مستودع صواريخ” للنظام السابق في مدينة حمص",
            body="نص الخبر السابق.",
            # dated after the seed: publication order alone would call it "next"
            published_at="2030-01-01T00:00:00+00:00",
        ),
    )
    [previous] = await bot.send(READER, "/prev")
    assert previous.bold()[0] == "انفجار “مستودع صواريخ” للنظام السابق في مدينة حمص"


async def test_a_long_article_arrives_whole_in_one_message_paged_in_place(bot: Harness) -> None:
    body = "\n".join(f"الفقرة {i}: " + "كلام طويل في الخبر، ويستمر. " * 40 for i in range(12))
    article_id, _ = await articles.add(bot.deps.db, NewArticle(title="مقال طويل", body=body))
    [message] = await bot.send(READER, f"/start a{article_id}")
    first = bare(message.text)
    assert "الجزء 1 من " in first
    n = int(first.split("الجزء 1 من ")[1].split()[0])
    assert n >= 3
    pages = [first]
    for i in range(2, n + 1):
        await bot.click_in_place(message, f"الجزء {i} ←")
        pages.append(bare(message.text))
        assert f"الجزء {i} من {n}" in pages[-1]
    text = "".join(pages)
    for i in range(12):
        assert f"الفقرة {i}:" in text
    assert f"الجزء {n + 1}" not in " ".join(message.button_texts())  # the last part
    assert len(bot.tg.messages(READER)) == 1


async def test_search_finds_the_seed_with_the_word_in_context(bot: Harness) -> None:
    [message] = await bot.send(READER, "/search طرطوس")
    assert any("طرطوس" in b for b in message.bold())  # the word marked where it stands
    assert any(SEED_TITLE in b for b in message.bold())
    opened = await bot.click_in_place(message, "1.")  # read in place
    assert opened.bold()[0].startswith(SEED_TITLE)


async def test_plain_text_in_a_private_chat_is_a_search(bot: Harness) -> None:
    [message] = await bot.send(READER, "طرطوس")
    assert any("طرطوس" in b for b in message.bold())


async def test_empty_search_explains_itself(bot: Harness) -> None:
    [message] = await bot.send(READER, "/search")
    assert "/search طرطوس" in bare(message.text)
    [message] = await bot.send(READER, "/search    ")
    assert "/search طرطوس" in bare(message.text)


@pytest.mark.parametrize(
    "query",
    [
        '"طرطوس',
        "طرطوس AND",
        "OR",
        "NEAR(x",
        "*",
        "(x",
        "-x",
        "<b>&amp;</b>",
        "https://example.com/?q=1&x=<2>",
        "😀" * 50,
        "ط" * 5000,
        "\u200f\u202e",
    ],
)
async def test_hostile_searches_get_an_answer(bot: Harness, query: str) -> None:
    [message] = await bot.send(READER, f"/search {query}")
    assert message.text  # the stand-in accepted it: valid HTML, within limits


async def test_search_pages_five_at_a_time(bot: Harness) -> None:
    for n in range(12):
        await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"ميناء رقم {n}", body="خبر عن الميناء والسفن.", url=f"https://e.x/{n}"
            ),
        )
    [first] = await bot.send(READER, "/search الميناء")
    assert "12" in first.text
    assert len([b for b in first.button_texts() if b[0].isdigit()]) == 5  # five results
    assert any("المزيد" in b for b in first.button_texts())  # and "more"
    await bot.click(first, "المزيد")
    edited = bot.tg.messages(READER)[-1]
    assert edited.edits == 1
    assert "(6–10)" in bare(edited.text)
    await bot.restart()  # the button still works after a restart
    await bot.click(edited, "المزيد")
    last = bot.tg.messages(READER)[-1]
    assert "(11–12)" in bare(last.text)
    assert "المزيد" not in " ".join(last.button_texts())


async def test_unknown_command_and_stale_button(bot: Harness) -> None:
    [message] = await bot.send(READER, "/weather")
    assert "/help" in message.text
    [listing] = await bot.send(READER, "/latest")
    await bot.feed(bot.tg.callback_update(READER, READER, listing.message_id, "zz:1"))
    await bot.feed(bot.tg.callback_update(READER, READER, listing.message_id, "q:999:5"))
    answers = [r for r in bot.tg.requests if r.method == "answerCallbackQuery"]
    assert answers[-1].params.get("show_alert") is True


async def test_a_sticker_gets_a_hint(bot: Harness) -> None:
    update = bot.tg.message_update(READER, READER, "x")
    message = update["message"]
    del message["text"]
    message["sticker"] = {
        "file_id": "s1", "file_unique_id": "u1", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False,
    }  # fmt: skip
    [answer] = await bot.feed(update)
    assert "أفهم النصوص فقط" in answer.text

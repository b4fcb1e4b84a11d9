"""Inline mode as a reader uses it: ``@bot QUERY`` in any chat, scrolling, choosing a result."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineQueryResultArticle, InputTextMessageContent
from telegram.error import BadRequest

from bot.__main__ import allowed_updates
from bot.handlers import inline
from bot.render import bare
from bot.standin import parse_html
from storage import articles, opens
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

SEED_TITLE = "وكالة “تاس” الروسية الحكومة الجديدة في سوريا"
JSON = dict[str, Any]


async def ask(bot: Harness, query: str, offset: str = "", *, user: int = READER) -> JSON:
    """The reader types ``@bot query`` (scrolled to ``offset``); the bot's answer."""
    before = len(bot.tg.inline_answers)
    lang = "en" if user == EN_READER else None
    await bot.feed(bot.tg.inline_query_update(user, query, offset=offset, language_code=lang))
    assert len(bot.tg.inline_answers) == before + 1, "the inline query was not answered"
    return bot.tg.inline_answers[-1]


def ids(answer: JSON) -> list[int]:
    return [int(r["id"][1:]) for r in answer["results"]]


async def _ports(bot: Harness, n: int) -> list[int]:
    """``n`` articles about a port, oldest first."""
    out = []
    for i in range(n):
        article_id, _ = await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"ميناء رقم {i}",
                body=f"خبر عن الميناء والسفن رقم {i}.",
                url=f"https://e.x/{i}",
                published_at=f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00+00:00",
            ),
        )
        out.append(article_id)
    return out


async def test_a_query_lists_matching_articles_with_a_way_into_the_bot(bot: Harness) -> None:
    answer = await ask(bot, "طرطوس")
    [result] = answer["results"]
    assert result["type"] == "article"
    assert result["title"].startswith(SEED_TITLE)
    assert "طرطوس" in result["description"]  # the snippet, under the date
    text, _ = parse_html(result["input_message_content"]["message_text"])
    assert bare(text).startswith(SEED_TITLE)
    assert "نقلت وكالة" in text  # the teaser
    assert len(text) < 1000
    [[button]] = result["reply_markup"]["inline_keyboard"]
    article_id = ids(answer)[0]
    assert button["url"] == f"https://t.me/{bot.tg.bot_username}?start=a{article_id}"
    assert answer["next_offset"] == ""
    assert answer["is_personal"] is True


async def test_the_english_help_example_works_inline(bot: Harness) -> None:
    answer = await ask(bot, "Tartus", user=EN_READER)
    [result] = answer["results"]
    assert result["title"].startswith(SEED_TITLE)
    assert "Read the article" in str(result["reply_markup"])


async def test_scrolling_pages_through_every_match_once(bot: Harness) -> None:
    added = await _ports(bot, 120)
    first = await ask(bot, "الميناء")
    assert len(first["results"]) == inline.PAGE == 50
    assert first["next_offset"] == "50"
    second = await ask(bot, "الميناء", first["next_offset"])
    assert second["next_offset"] == "100"
    third = await ask(bot, "الميناء", second["next_offset"])
    assert len(third["results"]) == 20
    assert third["next_offset"] == ""  # no page after the last one
    seen = ids(first) + ids(second) + ids(third)
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == set(added)


async def test_an_empty_query_shows_the_newest(bot: Harness) -> None:
    added = await _ports(bot, 60)
    answer = await ask(bot, "")
    newest_first = ids(answer)
    assert len(newest_first) == 50
    assert answer["next_offset"] == "50"
    assert added[-1] in newest_first[:2]  # (the undated seed is dated when it arrived)
    rest = await ask(bot, "   ", answer["next_offset"])
    assert len(rest["results"]) == 11
    assert rest["next_offset"] == ""
    assert not set(ids(rest)) & set(newest_first)


@pytest.mark.parametrize("offset", ["abc", "-5", "1e3", "٥٠", "99999999999999999999", " 50"])
async def test_forged_offsets_are_a_first_page_never_an_error(bot: Harness, offset: str) -> None:
    await _ports(bot, 60)
    answer = await ask(bot, "الميناء", offset)
    assert len(answer["results"]) == 50
    assert answer["next_offset"] == "50"


async def test_an_offset_past_the_end_is_an_empty_page(bot: Harness) -> None:
    await _ports(bot, 3)
    answer = await ask(bot, "الميناء", "9000")
    assert answer["results"] == []
    assert answer["next_offset"] == ""
    assert answer["button"] is None


async def test_a_5000_character_query_gets_a_polite_empty_answer(bot: Harness) -> None:
    answer = await ask(bot, "ط" * 5000)
    assert answer["results"] == []
    assert answer["button"]["start_parameter"] == "inline"
    assert "البوت" in answer["button"]["text"]


async def test_no_results_offer_the_bot(bot: Harness) -> None:
    answer = await ask(bot, "كلمةلاوجودلها", user=EN_READER)
    assert answer["results"] == []
    assert answer["button"]["text"] == "No results: try searching in the bot"


@pytest.mark.parametrize(
    "query", ['"طرطوس', "طرطوس AND", "NEAR(x", "*", "<b>&amp;</b>", "😀" * 50, "\u200f\u202e"]
)
async def test_hostile_queries_get_an_answer(bot: Harness, query: str) -> None:
    answer = await ask(bot, query)  # the stand-in accepted it: valid HTML, ids, limits
    assert isinstance(answer["results"], list)


async def test_long_articles_give_short_valid_messages(bot: Harness) -> None:
    body = "\n".join(f"الفقرة {i}: " + "كلام <كثير> & طويل " * 40 for i in range(40))
    await articles.add(bot.deps.db, NewArticle(title="مقال <طويل> جداً " * 30, body=body))
    answer = await ask(bot, "طويل")
    [result] = [r for r in answer["results"] if r["title"].startswith("مقال")]
    text, _ = parse_html(result["input_message_content"]["message_text"])
    assert "<كثير>" in text
    assert len(text) <= 1200
    assert len(result["description"]) <= 200


async def test_a_chosen_result_counts_as_an_open_once(bot: Harness) -> None:
    answer = await ask(bot, "طرطوس")
    result_id = answer["results"][0]["id"]
    article_id = ids(answer)[0]
    for _ in range(2):
        await bot.feed(bot.tg.chosen_inline_result_update(READER, result_id, "طرطوس"))
    await bot.feed(bot.tg.chosen_inline_result_update(EN_READER, result_id, "طرطوس"))
    await bot.feed(bot.tg.chosen_inline_result_update(READER, "forged-id"))
    await bot.feed(bot.tg.chosen_inline_result_update(READER, "a99999999"))
    assert await opens.readers(bot.deps.db, article_id) == 2


def test_the_bot_asks_telegram_for_inline_updates(bot: Harness) -> None:
    kinds = allowed_updates(bot.app)
    assert "inline_query" in kinds
    assert "chosen_inline_result" in kinds


# --- the stand-in refuses what Telegram refuses ---------------------------------------------


def _article(result_id: str, text: str = "نص", title: str = "عنوان") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(result_id, title, InputTextMessageContent(text))


async def _query_id(bot: Harness) -> str:
    return str(bot.tg.inline_query_update(READER, "x")["inline_query"]["id"])


@pytest.mark.parametrize(
    ("results", "kwargs", "error"),
    [
        ([_article(f"r{i}") for i in range(51)], {}, "RESULTS_TOO_MUCH"),
        ([_article("same"), _article("same")], {}, "RESULT_ID_DUPLICATE"),
        ([_article("x" * 65)], {}, "RESULT_ID_INVALID"),
        ([_article("r", title=" ")], {}, "RESULT_TITLE_EMPTY"),
        ([_article("r", text="<b>open")], {}, "Can't parse entities"),
        ([_article("r", text="ن" * 4097)], {}, "MESSAGE_TOO_LONG"),
        ([_article("r")], {"next_offset": "9" * 65}, "NEXT_OFFSET_INVALID"),
    ],
)
async def test_answers_telegram_refuses(
    bot: Harness, results: list[InlineQueryResultArticle], kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await bot.app.bot.answer_inline_query(await _query_id(bot), results, **kwargs)


async def test_a_query_is_answered_once_and_only_if_it_exists(bot: Harness) -> None:
    query_id = await _query_id(bot)
    assert await bot.app.bot.answer_inline_query(query_id, [_article("r")], next_offset="50")
    with pytest.raises(BadRequest, match="too old"):
        await bot.app.bot.answer_inline_query(query_id, [_article("r")])
    with pytest.raises(BadRequest, match=r"(?i)QUERY_ID_INVALID"):
        await bot.app.bot.answer_inline_query("12345", [_article("r")])


def test_parse_offset() -> None:
    assert [inline.parse_offset(o) for o in ("", "0", "50", "100")] == [0, 0, 50, 100]
    assert [inline.parse_offset(o) for o in ("x", "-1", "٥", "1" * 30)] == [0, 0, 0, 0]
    assert inline.parse_offset("99999") == inline.MAX_OFFSET

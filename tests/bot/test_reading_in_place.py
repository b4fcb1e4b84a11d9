"""Reading in place: one message per opened article, edited by its own buttons (parts,
Previous / Next, back to the list); in groups, articles open in the reader's private chat."""

from __future__ import annotations

import pytest

from bot import callbacks, render
from bot.render import bare
from bot.standin import Fault
from bot.strings import STRINGS
from storage import articles, chats, opens
from storage.articles import NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

GROUP = -4001
MEMBER = 5005
LONG_BODY = "\n".join(f"الفقرة {i}: " + "كلام طويل في الخبر، ويستمر. " * 40 for i in range(12))


async def _three(bot: Harness) -> list[int]:
    """Three dated articles, oldest first (the seed, undated, stays the newest)."""
    ids = []
    for n in (1, 2, 3):
        article_id, _ = await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"الخبر رقم {n}",
                body=f"نص الخبر {n}.",
                url=f"https://example.com/{n}",
                published_at=f"2024-01-0{n}T10:00:00+03:00",
            ),
        )
        ids.append(article_id)
    return ids


def _title(message_text: str) -> str:
    return bare(message_text).split("\n")[0]


async def test_a_list_entry_becomes_the_article_and_back_restores_the_list(bot: Harness) -> None:
    await _three(bot)
    [listing] = await bot.send(READER, "/latest 3")
    original = listing.text
    await bot.click_in_place(listing, "الخبر رقم 2")
    assert _title(listing.text) == "الخبر رقم 2"
    assert "↩ أحدث المقالات" in listing.button_texts()
    # Next keeps the way back to the list it came from.
    await bot.click_in_place(listing, "التالي")
    assert _title(listing.text) == "الخبر رقم 3"
    await bot.click_in_place(listing, "↩ أحدث المقالات")
    assert listing.text == original
    assert len(listing.buttons()) == 3
    assert len(bot.tg.messages(READER)) == 1  # everything happened in one message


async def test_back_to_the_search_page_the_article_came_from(bot: Harness) -> None:
    for n in range(12):
        await articles.add(
            bot.deps.db,
            NewArticle(title=f"ميناء رقم {n}", body="خبر عن الميناء.", url=f"https://e.x/{n}"),
        )
    [results] = await bot.send(READER, "/search الميناء")
    await bot.click_in_place(results, "المزيد")
    second_page = results.text
    assert "6–10" in bare(second_page)
    await bot.click_in_place(results, "6.")
    assert bare(results.bold()[0]).startswith("ميناء رقم")
    await bot.click_in_place(results, "↩ نتائج البحث")
    assert results.text == second_page


async def test_back_to_search_results_in_the_order_the_reader_chose(bot: Harness) -> None:
    for n in range(7):
        await articles.add(
            bot.deps.db,
            NewArticle(
                title=f"ميناء رقم {n}",
                body="خبر عن الميناء.",
                published_at=f"2024-02-0{n + 1}T10:00:00+00:00",
            ),
        )
    [results] = await bot.send(READER, "/search الميناء")
    await bot.click_in_place(results, STRINGS["btn_newest"]["ar"])
    newest_first = results.text
    await bot.click_in_place(results, "1.")
    assert bare(results.bold()[0]) == "ميناء رقم 6"
    await bot.click_in_place(results, "↩ نتائج البحث")
    assert results.text == newest_first


async def test_no_way_back_for_an_article_opened_by_command(bot: Harness) -> None:
    ids = await _three(bot)
    [message] = await bot.send(READER, f"/start a{ids[0]}")
    assert not any(label.startswith("↩") for label in message.button_texts())


async def test_parts_of_a_long_article_in_english(bot: Harness) -> None:
    article_id, _ = await articles.add(
        bot.deps.db, NewArticle(title="A long one", body=LONG_BODY, url="https://e.x/long")
    )
    [message] = await bot.send(EN_READER, f"/start a{article_id}", lang="en")
    assert "Part 1 of 4" in message.text
    labels = message.button_texts()
    assert labels[0] == "Part 2 →"  # English reads left to right: no previous part first
    assert "← Part 1" not in labels
    await bot.click_in_place(message, "Part 2 →", lang="en")
    assert "Part 2 of 4" in message.text
    assert message.button_texts()[:2] == ["← Part 1", "Part 3 →"]
    assert message.links() == [("Read on the site", "https://e.x/long")]  # on every part
    await bot.click_in_place(message, "← Part 1", lang="en")
    assert "Part 1 of 4" in message.text
    # Each part is one message within Telegram's limit (the stand-in refuses longer ones).
    stored = await articles.get(bot.deps.db, article_id)
    assert stored is not None
    assert len(render.article_pages(stored, "en")) == 4


async def test_every_article_view_has_a_share_button_with_its_title(bot: Harness) -> None:
    ids = await _three(bot)
    [message] = await bot.send(READER, f"/start a{ids[0]}")
    [share] = [b for row in message.buttons() for b in row if "مشاركة" in str(b["text"])]
    assert share["switch_inline_query"] == "الخبر رقم 1"
    [english] = await bot.send(EN_READER, f"/start a{ids[0]}", lang="en")
    assert "📤 Share" in english.button_texts()


def test_a_long_title_is_shared_by_its_first_words() -> None:
    title = "كلمة " * 100
    query = render.share_query(title)
    assert 0 < len(query) <= render.SHARE_QUERY_CHARS
    assert title.startswith(query)
    assert not query.endswith(" ")


async def test_an_edit_telegram_refuses_sends_the_article_as_a_new_message(bot: Harness) -> None:
    await _three(bot)
    [listing] = await bot.send(READER, "/latest 3")
    refusal = Fault("bad_request", status=400, description="Bad Request: message can't be edited")
    bot.tg.inject("editMessageText", refusal)
    [opened] = await bot.click(listing, "الخبر رقم 2")
    assert _title(opened.text) == "الخبر رقم 2"
    assert listing.edits == 0
    [answer] = bot.tg.callback_answers
    assert answer["text"] is None  # answered, without an error


async def test_the_same_press_twice_changes_nothing_and_says_nothing(bot: Harness) -> None:
    ids = await _three(bot)
    [message] = await bot.send(READER, f"/start a{ids[0]}")
    data = callbacks.encode(callbacks.read(ids[0]))
    for _ in range(2):  # the article already shows: Telegram says "not modified"
        sent = await bot.feed(bot.tg.callback_update(READER, READER, message.message_id, data))
        assert sent == []
    assert len(bot.tg.callback_answers) == 2
    assert message.edits == 0


async def test_a_withdrawn_article_is_explained_and_the_list_stays(bot: Harness) -> None:
    ids = await _three(bot)
    [listing] = await bot.send(READER, "/latest 3")
    before = listing.text
    await articles.withdraw(bot.deps.db, ids[1])
    sent = await bot.click(listing, "الخبر رقم 2")
    assert sent == []
    assert listing.text == before
    [answer] = bot.tg.callback_answers
    assert bare(answer["text"]) == STRINGS["article_missing"]["ar"]
    assert answer["show_alert"] is True


async def test_pages_of_an_article_that_became_shorter_end_at_its_last(bot: Harness) -> None:
    ids = await _three(bot)
    [message] = await bot.send(READER, f"/start a{ids[0]}")
    data = callbacks.encode(callbacks.ReadArticle(ids[1], page=5))
    assert await bot.feed(bot.tg.callback_update(READER, READER, message.message_id, data)) == []
    assert _title(message.text) == "الخبر رقم 2"


async def test_reading_keeps_the_position_for_next_and_prev(bot: Harness) -> None:
    await _three(bot)
    [listing] = await bot.send(READER, "/latest 3")
    await bot.click_in_place(listing, "الخبر رقم 2")
    await bot.click_in_place(listing, "السابق")
    [following] = await bot.send(READER, "/next")
    assert _title(following.text) == "الخبر رقم 2"


@pytest.mark.parametrize(
    "data",
    [
        "v:0:0:0:0:0",  # no article 0
        "v:1:1000:0:0:0",  # past the last page there can be
        "v:1:0:9:0:0",  # no such list
        "v:1:0:0:5:0",  # fields without a list
        "v:1:0:1:21:0",  # /latest holds 20 at most
        "v:1:0:3:2:0",  # most read: 1 or 7 days
        "v:1:0:2:0:0",  # a search that was never saved
        "v:1:0",
        "v:1:0:0:0:0:0",
        "v:-1:0:0:0:0",
        "l:0",
        "l:21",
        "l:1:1",
        "p:3",
        "p:-7",
        "v:١:0:0:0:0",
    ],
)
async def test_forged_buttons_are_answered_and_change_nothing(bot: Harness, data: str) -> None:
    [welcome] = await bot.send(READER, "/start")
    sent = await bot.feed(bot.tg.callback_update(READER, READER, welcome.message_id, data))
    assert sent == []
    assert welcome.edits == 0
    [answer] = bot.tg.callback_answers
    assert bare(answer["text"]) == STRINGS["button_stale"]["ar"]
    assert await chats.get_position(bot.deps.db, READER) is None


def test_button_data_fits_64_bytes_even_with_the_largest_fields() -> None:
    big = 10**18 - 1
    view = callbacks.read(big, callbacks.MAX_PAGES - 1, callbacks.SearchPage(big, big))
    data = callbacks.encode(view)
    assert len(data.encode()) <= 64
    assert callbacks.decode(data) == view
    assert callbacks.back_to(view) == callbacks.SearchPage(big, big)
    # Beyond what decode accepts, the way back is left out rather than the data overflowing.
    huge = callbacks.read(10**19, 0, callbacks.SearchPage(10**19, 10**19))
    assert huge.back == callbacks.BACK_NONE
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.encode(callbacks.SearchPage(10**40, 10**40))


@pytest.mark.parametrize(
    "back",
    [
        None,
        callbacks.LatestList(5),
        callbacks.SearchPage(12, 5),
        callbacks.SearchNewest(12, 0),
        callbacks.PopularList(7),
    ],
)
def test_read_buttons_round_trip(back: callbacks.ListCallback | None) -> None:
    view = callbacks.read(42, 3, back)
    assert callbacks.decode(callbacks.encode(view)) == view
    assert callbacks.back_to(view) == back


# --- groups and channels: never the article in the group ------------------------------------


async def _group(bot: Harness) -> None:
    bot.tg.add_chat(GROUP, "group", title="مجموعة")
    bot.tg.set_member(GROUP, MEMBER, "member")


async def test_in_a_group_list_entries_are_deep_links_to_the_private_chat(bot: Harness) -> None:
    ids = await _three(bot)
    await _group(bot)
    [listing] = await bot.send(GROUP, "/latest 3", user=MEMBER)
    buttons = [b for row in listing.buttons() for b in row]
    assert all("callback_data" not in b for b in buttons)
    assert f"https://t.me/newsbot_test_bot?start=a{ids[2]}" in [b["url"] for b in buttons]


async def test_an_old_open_button_in_a_group_opens_the_private_chat(bot: Harness) -> None:
    ids = await _three(bot)
    await _group(bot)
    [listing] = await bot.send(GROUP, "/latest 3", user=MEMBER)
    for data in (f"a:{ids[0]}", callbacks.encode(callbacks.read(ids[0]))):
        bot.tg.callback_answers.clear()
        update = bot.tg.callback_update(GROUP, MEMBER, listing.message_id, data)
        assert await bot.feed(update) == []  # nothing posted into the group
        [answer] = bot.tg.callback_answers
        assert answer["url"] == f"https://t.me/newsbot_test_bot?start=a{ids[0]}"
    assert listing.edits == 0
    # The deep link then opens it in the reader's private chat, and counts the open.
    [opened] = await bot.send(MEMBER, f"/start a{ids[0]}")
    assert _title(opened.text) == "الخبر رقم 1"
    assert await opens.readers(bot.deps.db, ids[0]) == 1


async def test_a_search_result_pressed_in_a_group_opens_the_private_chat(bot: Harness) -> None:
    await _group(bot)
    [results] = await bot.send(GROUP, "/search طرطوس", user=MEMBER)
    [[first]] = results.buttons()
    assert str(first["url"]).startswith("https://t.me/newsbot_test_bot?start=a")
    assert "callback_data" not in first  # nothing a press could pour into the group
    # A results button from before (a callback) is answered with the same link.
    old = f"v:{str(first['url']).rsplit('a', 1)[1]}:0:0:0:0"
    sent = await bot.feed(bot.tg.callback_update(GROUP, MEMBER, results.message_id, old))
    assert sent == []
    assert results.edits == 0  # the results stay; the group gets no article
    [answer] = bot.tg.callback_answers
    assert str(answer["url"]).startswith("https://t.me/newsbot_test_bot?start=a")


async def test_commands_in_a_group_point_to_the_private_chat(bot: Harness) -> None:
    ids = await _three(bot)
    await _group(bot)
    for command in (f"/start a{ids[0]}", "/next"):
        [answer] = await bot.send(GROUP, command, user=MEMBER)
        assert "نص الخبر" not in answer.text  # the body stays out of the group
        assert STRINGS["open_in_private"]["ar"] in bare(answer.text)
        [button] = [b for row in answer.buttons() for b in row]
        assert str(button["url"]).startswith("https://t.me/newsbot_test_bot?start=a")


# --- pushes ------------------------------------------------------------------------------------


async def test_a_push_holding_the_whole_article_has_no_button_to_send_it_again(
    bot: Harness,
) -> None:
    await bot.send(READER, "/subscribe")
    await _group(bot)
    bot.tg.set_member(GROUP, MEMBER, "administrator")
    await bot.send(GROUP, "/subscribe", user=MEMBER)
    await articles.add(bot.deps.db, NewArticle(title="خبر قصير", body="سطر واحد فقط."))
    await articles.add(bot.deps.db, NewArticle(title="خبر طويل", body=LONG_BODY))
    bot.tg.clear()
    await bot.push()
    for chat_id, share in ((READER, ["📤 مشاركة"]), (GROUP, [])):
        by_title = {_title(m.text): m for m in bot.tg.messages(chat_id)}
        # Only the private push can be shared from a button (groups forward); none resends.
        assert by_title["خبر قصير"].button_texts() == share
        assert by_title["خبر طويل"].button_texts() == ["اقرأ المقال", *share]
    # In the private chat the long one opens below the push, which stays as it was.
    pushed = {_title(m.text): m for m in bot.tg.messages(READER)}["خبر طويل"]
    [opened] = await bot.click(pushed, "اقرأ المقال")
    assert "الجزء 1 من" in bare(opened.text)
    assert pushed.edits == 0

"""Rendering: escaping, Telegram's length in UTF-16 units, splitting at Arabic punctuation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import callbacks, render
from bot.render import MAX_TEXT, split_paragraphs, split_to_fit, utf16_len
from storage.articles import Article


def _article(title: str = "عنوان <b>&", body: str = "نص", **kw: object) -> Article:
    fields: dict[str, object] = {
        "id": 7,
        "title": title,
        "body": body,
        "url": "https://example.com/a?x=1&y=2",
        "source": "bbc_arabic",
        "category": None,
        "published_at": "2018-02-18T21:35:43+04:00",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def _visible(html_text: str) -> str:
    """The text Telegram shows: tags dropped, entities decoded."""
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", "", html_text))


def test_title_and_link_are_escaped() -> None:
    [message] = render.article_messages(_article(), "ar", None, None)
    assert "<b>عنوان &lt;b&gt;&amp;</b>" in render.bare(message.text)
    assert 'href="https://example.com/a?x=1&amp;y=2"' in message.text
    assert "18 فبراير 2018، 21:35" in render.bare(message.text)


def test_dates_are_shown_in_the_readers_time_zone() -> None:
    from zoneinfo import ZoneInfo

    stamp = "2018-02-18T21:35:43+04:00"
    assert render.format_date(stamp, "ar") == "18 فبراير 2018، 21:35"  # its own offset
    assert render.format_date(stamp, "ar", ZoneInfo("Asia/Damascus")) == "18 فبراير 2018، 19:35"
    assert render.format_date(stamp, "en", ZoneInfo("UTC")) == "18 Feb 2018, 17:35"
    assert render.format_date("yesterday", "ar") is None


def test_utf16_counts_emoji_twice() -> None:
    assert utf16_len("😀") == 2
    assert utf16_len("عربي") == 4


def test_split_prefers_arabic_sentence_ends_then_commas() -> None:
    text = "الجملة الأولى؟ الجملة الثانية؛ وفيها، فاصلة"
    assert split_to_fit(text, 16) == ["الجملة الأولى؟", "الجملة الثانية؛", "وفيها، فاصلة"]
    assert split_to_fit("أ، ب، ج، د", 5) == ["أ، ب،", "ج، د"]


def test_split_never_breaks_a_surrogate_pair() -> None:
    pieces = split_to_fit("😀" * 10, 5)
    assert all(utf16_len(p) <= 5 for p in pieces)
    assert "".join(pieces) == "😀" * 10


def test_long_article_is_split_with_buttons_on_the_last_part() -> None:
    paragraph = "هذه جملة طويلة من مقال إخباري، وفيها تفاصيل كثيرة. " * 30
    body = "\n".join([paragraph] * 8)
    messages = render.article_messages(_article(body=body), "ar", 3, 9)
    assert len(messages) > 2
    assert all(utf16_len(_visible(m.text)) <= MAX_TEXT for m in messages)
    assert all(m.keyboard is None for m in messages[:-1])
    last = messages[-1].keyboard
    assert last is not None
    buttons = last.inline_keyboard[0]
    # Arabic reads right to left: Next on the left, Previous on the right.
    assert [b.text for b in buttons] == ["التالي ←", "→ السابق"]
    assert [b.callback_data for b in buttons] == ["a:9", "a:3"]
    # Nothing of the body is lost in the split.
    joined = " ".join(_visible(m.text) for m in messages)
    assert joined.count("تفاصيل كثيرة") == 30 * 8


def test_english_reader_gets_english_buttons_in_reading_order() -> None:
    [message] = render.article_messages(_article(), "en", 3, 9)
    assert message.keyboard is not None
    assert [b.text for b in message.keyboard.inline_keyboard[0]] == ["← Previous", "Next →"]
    assert "18 Feb 2018, 21:35" in message.text


def test_push_message_is_one_short_message_with_a_way_to_read_on() -> None:
    body = "\n".join(["فقرة أولى من الخبر." * 20, "فقرة ثانية." * 200])
    private = render.push_message(_article(body=body), "ar", "news_bot", private=True)
    channel = render.push_message(_article(body=body), "ar", "news_bot", private=False)
    assert utf16_len(_visible(private.text)) < 1200
    assert private.keyboard is not None
    assert channel.keyboard is not None
    assert private.keyboard.inline_keyboard[0][0].callback_data == "a:7"
    assert channel.keyboard.inline_keyboard[0][0].url == "https://t.me/news_bot?start=a7"


def test_latest_of_twenty_long_titles_fits() -> None:
    items = [_article(id=i, title="عنوان طويل جداً " * 40) for i in range(20)]
    message = render.latest_message(items, "ar")
    assert utf16_len(_visible(message.text)) <= MAX_TEXT
    assert message.keyboard is not None
    assert len(message.keyboard.inline_keyboard) == 20


def test_highlight_escapes_and_bolds_only_marked_spans() -> None:
    assert render.highlight("a<b & طرطوس", [(6, 11)]) == "a&lt;b &amp; <b>طرطوس</b>"
    # overlapping and out-of-range marks do not break the markup
    assert render.highlight("abcdef", [(1, 4), (2, 5), (9, 12)]) == "a<b>bcd</b><b>e</b>f"


@pytest.mark.parametrize(
    "data", ["a:1", "q:12:5", "a:99999999999999999"], ids=["open", "search", "big"]
)
def test_callback_round_trip(data: str) -> None:
    decoded = callbacks.decode(data)
    assert decoded is not None
    assert callbacks.encode(decoded) == data
    assert len(data.encode()) <= 64


@pytest.mark.parametrize("data", [None, "", "a:", "a:x", "q:1", "z:1", "a:1:2", "a:-1"])
def test_foreign_callback_data_is_ignored(data: str | None) -> None:
    assert callbacks.decode(data) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=6), st.integers(50, 4000))
def test_split_paragraphs_respects_budget_and_loses_no_words(
    paragraphs: list[str], budget: int
) -> None:
    chunks = split_paragraphs(paragraphs, budget)
    assert all(utf16_len(c) <= budget for c in chunks)
    assert "".join("".join(c.split()) for c in chunks) == "".join(
        "".join(p.split()) for p in paragraphs
    )


def test_a_digest_lists_titles_with_buttons_and_counts_what_it_does_not_list() -> None:
    items = [_article(title=f"خبر <{n}>", id=n) for n in (3, 4)]
    private = render.digest_message(items, "ar", "newsbot", private=True, more=75)
    assert "أخبار أخرى جديدة (77)" in render.bare(_visible(private.text))
    assert "خبر &lt;3&gt;" in render.bare(private.text)
    assert "75" in _visible(private.text).splitlines()[-1]
    assert private.keyboard is not None
    buttons = [b for row in private.keyboard.inline_keyboard for b in row]
    assert [b.callback_data for b in buttons] == ["a:3", "a:4"]
    # In a channel a button cannot pour the article into the channel: it opens the bot.
    channel = render.digest_message(items, "en", "newsbot", private=False)
    assert channel.keyboard is not None
    urls = [b.url for row in channel.keyboard.inline_keyboard for b in row]
    assert urls == ["https://t.me/newsbot?start=a3", "https://t.me/newsbot?start=a4"]
    assert "more in the archive" not in channel.text


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "نتيجة واحدة"),
        (2, "نتيجتان"),
        (3, "3 نتائج"),
        (10, "10 نتائج"),
        (11, "11 نتيجة"),
        (100, "100 نتيجة"),
        (103, "103 نتائج"),
    ],
)
def test_arabic_counts_take_their_cldr_plural_form(n: int, expected: str) -> None:
    assert render.bare(render.tn("ar", "results", n)) == expected


def test_english_counts_take_one_or_other() -> None:
    assert render.tn("en", "results", 1) == "1 result"
    assert render.tn("en", "articles", 20) == "20 articles"

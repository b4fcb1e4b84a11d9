"""Right-to-left safety: Latin, digits and URLs inside Arabic text sit in Unicode isolates
(FSI…PDI), a line that starts with Latin still lays out right to left (RLM), the HTML stays
exactly as Telegram must parse it, and English is never touched."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from bot.render import FSI, MAX_TEXT, PDI, RLM, bare, isolate, rtl_html, utf16_len
from bot.standin import parse_html
from bot.strings import STRINGS
from storage import articles
from storage.articles import Article, NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

ARABIC = re.compile("[\u0600-\u06ff]")


def _article(title: str, body: str = "نص الخبر.", **kw: object) -> Article:
    fields: dict[str, object] = {
        "id": 7,
        "title": title,
        "body": body,
        "url": "https://example.com/news/iphone-16?id=5&ref=rss",
        "source": "bbc_arabic",
        "category": None,
        "published_at": "2018-02-18T21:35:43+04:00",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    fields.update(kw)
    return Article(**fields)  # type: ignore[arg-type]


def _isolated(text: str) -> list[str]:
    """What each isolate holds."""
    return re.findall(f"{FSI}([^{PDI}]*){PDI}", text)


def _balanced(text: str) -> bool:
    """Every line opens and closes its isolates in order, and none holds Arabic."""
    for line in text.split("\n"):
        depth = 0
        for ch in line:
            depth += ch == FSI
            depth -= ch == PDI
            if depth < 0:
                return False
        if depth:
            return False
    return not any(ARABIC.search(inner) for inner in _isolated(text))


def test_a_title_that_starts_in_latin_still_reads_right_to_left() -> None:
    message = render.push_message(
        _article("iPhone 16 يصل إلى الأسواق السورية"), "ar", "newsbot", private=True
    )
    shown, entities = parse_html(message.text)
    assert shown.startswith(RLM + FSI + "iPhone 16" + PDI + " يصل")
    assert _balanced(shown)
    # The link's address is untouched, and so is its HTML.
    [link] = [e for e in entities if e["type"] == "text_link"]
    assert link["url"] == "https://example.com/news/iphone-16?id=5&ref=rss"
    assert 'href="https://example.com/news/iphone-16?id=5&amp;ref=rss"' in message.text


def test_latin_digits_and_urls_in_arabic_are_isolated_and_arabic_is_not() -> None:
    text = "قالت Reuters إن 3 سفن وصلت إلى طرطوس، التفاصيل: https://example.com/a/b/ و-100123 و50%"
    out = isolate(text)
    assert _isolated(out) == [
        "Reuters",
        "3",
        "https://example.com/a/b/",
        "-100123",
        "50%",
    ]
    assert bare(out) == text
    assert not out.startswith(RLM)  # the line starts in Arabic already


def test_brackets_and_quotes_stay_with_the_arabic_sentence() -> None:
    out = render.t("ar", "search_header", total=4, query="Tartus", first=1, last=4)
    shown, _ = parse_html(out)
    assert f"«{FSI}Tartus{PDI}»" in shown
    assert f"({FSI}1–4{PDI})" in shown
    assert _balanced(shown)


def test_isolates_never_enter_a_tag_an_entity_or_code() -> None:
    html_text = (
        '<b>عاجل</b> AT&amp;T <a href="https://x.example/?a=1&amp;b=2">Read 5</a>\n'
        "<code>https://example.com/rss</code>"
    )
    out = rtl_html(html_text)
    assert bare(out) == html_text
    assert '<a href="https://x.example/?a=1&amp;b=2">' in out
    # One isolate for the whole Latin phrase, even across the link's tag («Read 5» stays after
    # «AT&T»): isolates are text, so they may straddle an entity's edge.
    assert f"{FSI}AT&amp;T <a" in out
    assert f"Read 5{PDI}</a>" in out
    # A URL an editor copies from <code> must stay clean: the isolate goes around it.
    assert f"{FSI}<code>https://example.com/rss</code>{PDI}" in out
    shown, entities = parse_html(out)
    [code] = [e for e in entities if e["type"] == "code"]
    assert render.utf16_len("https://example.com/rss") == code["length"]
    assert _balanced(shown)


def test_isolating_twice_changes_nothing() -> None:
    once = render.t("ar", "feeds_added", url="https://example.com/rss")
    assert rtl_html(once) == once
    assert isolate(isolate("iPhone 16 و Galaxy S24")) == isolate("iPhone 16 و Galaxy S24")


def test_english_is_never_touched() -> None:
    message = render.push_message(_article("iPhone 16 يصل"), "en", "newsbot", private=True)
    assert bare(message.text) == message.text
    assert render.t("en", "latest_bad_n") == STRINGS["latest_bad_n"]["en"]
    assert render.tn("en", "results", 3) == "3 results"


def test_a_long_arabic_article_full_of_latin_still_fits_every_part() -> None:
    paragraph = (
        "أعلنت Apple عن iPhone 16 Pro بسعر 999 دولاراً في 9 سبتمبر 2024، وقالت Samsung. " * 40
    )
    body = "\n".join([paragraph] * 6)
    messages = render.article_messages(_article("Apple تطلق iPhone 16", body), "ar", 3, 9)
    assert len(messages) > 2
    for message in messages:
        shown, _ = parse_html(message.text)
        assert utf16_len(shown) <= MAX_TEXT
        assert _balanced(shown)
    joined = "".join(bare(parse_html(m.text)[0]) for m in messages)
    assert joined.count("iPhone 16 Pro") == 40 * 6


_PIECES = st.sampled_from(
    [
        "طرطوس",
        "خبر",
        " ",
        "، ",
        ".",
        "iPhone",
        "16",
        "-5",
        "@chan",
        "(",
        ")",
        "«",
        "»",
        "\n",
        "https://x.example/a?b=1",
        "٣",
        "😀",
        "&",
        "<",
        "/latest",
        "%",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_any_arabic_text_keeps_its_characters_and_balanced_isolates(pieces: list[str]) -> None:
    text = "".join(pieces)
    out = isolate(text)
    assert bare(out) == text
    assert _balanced(out)
    assert isolate(out) == out
    html_out = rtl_html(render.esc(text))
    shown, _ = parse_html(html_out)
    assert bare(shown) == text
    assert _balanced(shown)


async def test_a_reader_sees_latin_titles_isolated_through_telegram(bot: Harness) -> None:
    await articles.add(
        bot.deps.db, NewArticle(title="iPhone 16 يصل إلى طرطوس", body="وصل iPhone 16 اليوم.")
    )
    [answer] = await bot.send(READER, "/latest 1", lang="ar")
    assert f"{FSI}iPhone 16{PDI} يصل إلى طرطوس" in answer.text
    assert _balanced(answer.text)
    [english] = await bot.send(EN_READER, "/latest 1", lang="en")
    assert "iPhone 16 يصل إلى طرطوس" in english.text
    assert bare(english.text) == english.text

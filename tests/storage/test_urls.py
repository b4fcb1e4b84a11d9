"""One address per story: variants fold to one key, odd but real addresses are accepted."""

from __future__ import annotations

import pytest

from storage.urls import clean_url, url_key

STORY = "https://news.example.com/2026/12/02/port"


@pytest.mark.parametrize(
    "variant",
    [
        "https://news.example.com/2026/12/02/port",
        "http://news.example.com/2026/12/02/port",
        "HTTPS://NEWS.Example.COM/2026/12/02/port",
        "https://news.example.com:443/2026/12/02/port",
        "http://news.example.com:80/2026/12/02/port/",
        "https://news.example.com/2026/12/02/port#comments",
        "https://news.example.com/2026/12/02/port?utm_source=tg&utm_medium=social",
        "https://news.example.com/2026/12/02/port?fbclid=abc&gclid=def",
        "https://www.news.example.com/2026/12/02/port",
        "https://m.news.example.com/2026/12/02/port",
        "https://amp.news.example.com/2026/12/02/port",
        "https://news.example.com/2026/12/02/port/amp",
        "https://news.example.com/amp/2026/12/02/port",
        "https://news.example.com/2026/12/02/port?amp=1",
        "https://news-example-com.cdn.ampproject.org/c/s/news.example.com/2026/12/02/port",
        "  https://news.example.com/2026/12/02/port\u00a0",
    ],
)
def test_variants_of_one_address_are_one_story(variant: str) -> None:
    assert url_key(variant) == url_key(STORY)


@pytest.mark.parametrize(
    "other",
    [
        "https://news.example.com/2026/12/02/port-2",
        "https://news.example.com/2026/12/02/port?id=2",
        "https://other.example.com/2026/12/02/port",
        "https://news.example.com:8443/2026/12/02/port",
    ],
)
def test_different_pages_stay_different(other: str) -> None:
    assert url_key(other) != url_key(STORY)


def test_query_order_and_escapes_do_not_matter() -> None:
    assert url_key("https://x.example/a?b=2&a=1") == url_key("https://x.example/a?a=1&b=2")
    raw = "https://x.example/أخبار/طرطوس"
    encoded = "https://x.example/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%d8%b7%d8%b1%d8%b7%d9%88%d8%b3"
    assert url_key(raw) == url_key(encoded)


def test_an_arabic_address_with_a_stray_space_is_accepted_and_encoded() -> None:
    real = "http://www.al-madina.com/node/622859/«المئوية»-تمول-100-مشروع-بجازان\xa0.html"
    cleaned = clean_url(real)
    assert cleaned is not None
    assert cleaned.startswith("http://www.al-madina.com/node/622859/%C2%AB%D8%A7%D9%84")
    assert cleaned.endswith("%C2%A0.html")
    assert cleaned.isascii()
    assert " " not in cleaned


@pytest.mark.parametrize(
    "bad", ["", "ftp://x.example/a", "javascript:alert(1)", "http://", "news", "http://[::1"]
)
def test_what_is_no_web_address_is_refused(bad: str) -> None:
    assert clean_url(bad) is None
    assert url_key(bad) is None

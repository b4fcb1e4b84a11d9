"""Feed parsing against fixture documents: every format, Arabic charsets and hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.ingest.feeds import FeedError, ParsedFeed, html_to_text, parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
RSS = "application/rss+xml"
URL = "https://feeds.example.com/section/feed.xml"


def load(name: str, content_type: str | None = RSS, url: str = URL) -> ParsedFeed:
    return parse_feed((FEEDS / name).read_bytes(), content_type, url)


def test_rss2_with_full_content() -> None:
    feed = load("rss2_full.xml")
    assert feed.title == "أخبار اليوم"
    assert feed.ttl_seconds is None
    [entry] = feed.entries
    assert entry.guid == "news-1001"
    assert entry.link == "https://news.example.com/health/1001"
    assert entry.title == "افتتاح مستشفى جديد في الرياض"
    assert entry.full
    assert entry.published_at == "2026-12-02T04:00:00+00:00"  # 07:00 at +03:00
    assert entry.image == "https://cdn.example.com/img/1001.jpg"
    assert entry.category == "صحة"
    paragraphs = entry.text.split("\n")
    assert paragraphs[0].startswith("أعلنت وزارة الصحة اليوم")
    assert paragraphs[-3:] == ["سطر بعد فاصل", "البند الأول", "البند الثاني"]  # br and li
    assert "" not in paragraphs
    assert "alert" not in entry.text
    assert "color" not in entry.text
    assert len(entry.fingerprint) == 64


def test_rss2_summary_only() -> None:
    feed = load("rss2_summary.xml")
    first, untitled = feed.entries  # the entry with neither title nor text is dropped
    assert not first.full
    assert first.title == "Markets & money: stocks rise"  # entities decoded, tags removed
    assert first.text == "Stocks rose on Tuesday & bonds fell.\nMore at 11."
    assert first.published_at == "2026-12-01T23:30:00+00:00"
    assert first.image == "https://cdn.example.com/img/2002.png"
    assert first.guid == first.link == "https://news.example.com/economy/2002"
    assert untitled.guid == "untitled-1"
    assert untitled.link is None
    assert untitled.title.endswith("…")
    assert len(untitled.title) <= 81
    assert untitled.text.startswith(untitled.title[:-1])


def test_rss091() -> None:
    feed = load("rss091.xml")
    assert feed.title == "Old School"
    [entry] = feed.entries
    assert entry.title == "Café opens downtown"
    assert entry.link == "http://old.example.com/cafe"
    assert entry.published_at is None
    assert not entry.full


def test_rss10_rdf() -> None:
    feed = load("rss10.rdf", "application/rdf+xml")
    assert feed.title == "RDF أخبار"
    [entry] = feed.entries
    assert entry.title == "خبر من نوع RDF"
    assert entry.link == "https://rdf.example.com/a/1"
    assert entry.text == "ملخص الخبر"
    assert entry.published_at == "2026-12-02T04:00:00+00:00"
    assert entry.category == "اقتصاد"


def test_atom() -> None:
    feed = load("atom.xml", "application/atom+xml")
    assert feed.title == "Atom news"
    [entry] = feed.entries
    assert entry.guid == "tag:atom.example.com,2026:1"
    assert entry.title == "قمة عربية في القاهرة"
    assert entry.link == "https://atom.example.com/2026/12/summit"
    assert entry.published_at == "2026-12-02T05:15:00+00:00"  # updated, 10:15 at +05:00
    assert entry.image == "https://atom.example.com/img/summit.webp"
    assert entry.category == "سياسة"
    assert entry.full  # atom:content wins over atom:summary
    assert "ملخص قصير" not in entry.text
    assert len(entry.text.split("\n")) == 3


def test_json_feed() -> None:
    feed = load("feed.json", "application/feed+json", url="https://json.example.com/feed.json")
    assert feed.title == "JSON أخبار"
    first, second, third = feed.entries  # "j4" has neither title nor text
    assert first.guid == "j1"
    assert first.link == "https://json.example.com/posts/j1"
    assert first.title == "خبر JSON الأول"
    assert first.full
    assert first.published_at == "2026-12-02T04:00:00+00:00"
    assert first.image == "https://json.example.com/j1.jpg"
    assert first.category == "تقنية"
    assert second.guid == "2"
    assert second.text == "نص قصير\nفقرة ثانية"
    assert second.title == "نص قصير"
    assert not second.full
    assert second.published_at == "2026-12-01T12:00:00+00:00"  # date_modified
    assert second.image == "https://json.example.com/banners/j2.png"
    assert third.text == "ملخص فقط"
    assert not third.full


def test_json_feed_is_detected_by_its_body() -> None:
    feed = load("feed.json", None)
    assert len(feed.entries) == 3


def test_windows_1256_from_the_xml_declaration() -> None:
    for content_type in (None, "text/xml", RSS):  # no charset in the header
        feed = load("windows1256.xml", content_type)
        assert feed.title == "صحيفة الوطن"
        [entry] = feed.entries
        assert entry.title == "ارتفاع أسعار النفط في الأسواق العالمية"
        assert entry.text == "ارتفعت أسعار النفط اليوم بنسبة ثلاثة بالمئة."


def test_iso_8859_6_from_the_http_header() -> None:
    feed = load("iso88596.xml", "application/rss+xml; charset=ISO-8859-6")
    assert feed.title == "جريدة الشرق"
    [entry] = feed.entries
    assert entry.title == "هطول أمطار غزيرة على العاصمة"
    assert entry.link == "https://sharq.example.com/rain"


def test_the_http_charset_wins_over_the_xml_declaration() -> None:
    # Both are single-byte charsets, so a wrong choice decodes without error, to other letters.
    body = (
        b'<?xml version="1.0" encoding="windows-1256"?>\n' + (FEEDS / "iso88596.xml").read_bytes()
    )
    assert parse_feed(body, RSS, URL).title != "جريدة الشرق"
    assert parse_feed(body, "text/xml; charset=iso-8859-6", URL).title == "جريدة الشرق"


def test_without_its_charset_iso_8859_6_is_not_arabic() -> None:
    feed = load("iso88596.xml", RSS)
    assert feed.title != "جريدة الشرق"


def test_malformed_but_recoverable() -> None:
    feed = load("malformed.xml")
    assert [e.title for e in feed.entries] == ["Salt & pepper", "Second item"]
    assert feed.entries[0].text == "Unescaped ampersand & an unclosed tag"
    assert feed.entries[1].link == "https://broken.example.com/2"


def test_malformed_beyond_recovery() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: malformed XML \(.+\)$"):
        parse_feed(b"<?xml version='1.0'?>\n<rss><<<&&&", RSS, URL)


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: an HTML page$"):
        load("page.html", "text/html; charset=utf-8")


def test_billion_laughs_is_refused_before_parsing() -> None:
    with pytest.raises(FeedError, match=r"^XML entity declarations are refused$"):
        load("billion_laughs.xml")


def test_entity_declarations_are_found_after_comments_and_in_utf16() -> None:
    doc = '<?xml version="1.0"?><!-- <rss> --><!DOCTYPE r [<!ENTITY a "b">]><rss/>'
    with pytest.raises(FeedError, match="entity"):
        parse_feed(doc.encode(), RSS, URL)
    with pytest.raises(FeedError, match="entity"):
        parse_feed(doc.encode("utf-16"), RSS, URL)


def test_empty_and_non_feed_json() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: empty document$"):
        parse_feed(b" \n\t", RSS, URL)
    with pytest.raises(FeedError, match=r"^not a feed: JSON that is not a JSON Feed$"):
        parse_feed(b'{"version": "2", "items": []}', "application/json", URL)
    with pytest.raises(FeedError, match=r"^not a feed: malformed JSON"):
        parse_feed(b'{"version": ', "application/feed+json", URL)


def test_ttl_minutes_become_seconds() -> None:
    feed = load("ttl.xml")
    assert feed.ttl_seconds == 3600
    assert [e.title for e in feed.entries] == ["Only item"]


def test_relative_links_are_resolved_against_the_feed_url() -> None:
    feed = load("relative_links.xml")
    first, second = feed.entries
    assert first.link == "https://feeds.example.com/news/2026/rel-1"
    assert first.image == "https://feeds.example.com/thumbs/rel-1.jpg"
    assert second.link == "https://feeds.example.com/section/rel-2.html"


def test_fingerprints_are_stable_and_follow_the_content() -> None:
    body = (FEEDS / "rss2_full.xml").read_bytes()
    once = parse_feed(body, RSS, URL).entries[0]
    again = parse_feed(body, RSS, URL).entries[0]
    assert once.fingerprint == again.fingerprint
    retitled = parse_feed(body.replace("في الرياض".encode(), "في جدة".encode()), RSS, URL)
    assert retitled.entries[0].title == "افتتاح مستشفى جديد في جدة"
    assert retitled.entries[0].fingerprint != once.fingerprint
    others = [e.fingerprint for e in load("rss2_summary.xml").entries]
    assert len(set(others)) == len(others)


def test_a_long_text_and_title_are_capped() -> None:
    words = "كلمة " * 60_000
    body = f"<rss version='2.0'><channel><item><title>{words}</title><description>{words}"
    body += "</description></item></channel></rss>"
    [entry] = parse_feed(body.encode(), RSS, URL).entries
    assert len(entry.title) == 1000
    assert len(entry.text) == 200_000


def test_html_to_text() -> None:
    markup = "<h2>عنوان</h2>intro<div><p>one &amp; <b>two</b></p><p> </p>three<br>four</div>"
    assert html_to_text(markup + "<script>x()</script><style>a{}</style>") == (
        "عنوان\nintro\none & two\nthree\nfour"
    )
    assert html_to_text("plain &quot;text&quot;") == 'plain "text"'

"""Feeds through the running bot: a local site serves RSS, the ingest tick stores, the push sends.

A small aiohttp server on 127.0.0.1 plays the news site: the test changes its documents between
polls, and it counts requests, answers conditional GETs with 304 and can fail on purpose. One
ingest tick is ``ingest.run_once`` (what the JobQueue runs) or, to poll a feed before its time,
``service.poll_feeds(..., only_due=False)`` followed by ``ingest.announce``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import cast
from xml.sax.saxutils import escape

import pytest

from bot import delivery, ingest
from bot.config import Settings, load_settings
from bot.context import AnyContext
from bot.render import bare
from bot.standin import FakeTelegram, SentMessage, wait_until
from storage import articles, deliveries, feeds, search
from storage.articles import Article
from storage.feeds import Feed
from storage.ingest import service
from storage.ingest.poll import PollResult
from tests.bot.conftest import ADMIN, EN_READER, READER, Harness
from tests.feedserver import FeedServer, serve_site

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HTML = "text/html; charset=utf-8"
SITE = "https://alkhabar.example.com"

CHANNEL = -1001234567890
OWNER = 5005

# A paragraph long enough (with the title before it) that the feed carries the whole article,
# so the poll never needs the article's page.
FILLER = (
    "وأوضح المتحدث باسم الوزارة في مؤتمر صحفي عقده بعد ظهر اليوم أن الجهات المختصة تتابع "
    "التطورات عن كثب، وأن فرق العمل الميدانية ستواصل عملها خلال الأيام المقبلة لضمان سير "
    "الأمور على النحو المطلوب، مشيراً إلى أن النتائج الأولية مشجعة وأن تقريراً مفصلاً سيصدر "
    "في نهاية الأسبوع. وأضاف أن التنسيق مستمر مع السلطات المحلية والمنظمات الشريكة، وأن "
    "المواطنين سيُبلَّغون بكل جديد عبر القنوات الرسمية ووسائل الإعلام المعتمدة في البلاد."
)


# --- the site ------------------------------------------------------------------------------


@pytest.fixture
async def site() -> AsyncIterator[FeedServer]:
    async with serve_site() as server:
        yield server


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path: Path, tg: FakeTelegram, seeds_dir: Path) -> Settings:
    """conftest's settings, with an empty watched folder and a one-second feed interval."""
    return load_settings(
        bot_token=tg.token,
        telegram_api_url=tg.base_url,
        database_path=tmp_path / "data" / "news.db",
        admin_ids=str(ADMIN),
        seeds_dir=seeds_dir,
        push_interval_seconds=3600,
        feed_interval_seconds=1,
        private_per_second=50,
        group_per_minute=3000,
        global_per_second=500,
        _env_file=None,
    )


# --- feed documents ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    title: str
    slug: str
    #: How long ago it was published; None: the item has no date.
    age: timedelta | None = timedelta(minutes=10)
    #: The link as the feed gives it (default: the site's address of ``slug``).
    link: str | None = None
    #: Only a teaser in <description>, no <content:encoded>: the page has the text.
    summary: str | None = None

    @property
    def href(self) -> str:
        return self.link or f"{SITE}/news/{self.slug}"


def rss(items: Sequence[Item], *, title: str = "الخبر اليوم", built: str = "") -> str:
    """An RSS 2.0 document, items dated relative to now (RFC 822, GMT)."""
    now = datetime.now(UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>{SITE}/</link>",
    ]
    if built:
        parts.append(f"<lastBuildDate>{built}</lastBuildDate>")
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        parts.append(f"<link>{escape(item.href)}</link>")
        parts.append(f'<guid isPermaLink="false">story-{escape(item.slug)}</guid>')
        if item.age is not None:
            parts.append(f"<pubDate>{format_datetime(now - item.age, usegmt=True)}</pubDate>")
        if item.summary is not None:
            parts.append(f"<description>{escape(item.summary)}</description>")
        else:
            body = f"<p>{escape(item.title)}.</p><p>{escape(FILLER)}</p>"
            parts.append(f"<description>{escape(item.title)}</description>")
            parts.append(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


ARCHIVE = [
    Item("افتتاح جسر جديد فوق النهر", "bridge", timedelta(hours=1)),
    Item("انطلاق موسم قطاف الزيتون", "olives", timedelta(hours=2)),
    Item("مهرجان للكتاب في العاصمة", "books", timedelta(hours=3)),
    Item("تحسن حركة الملاحة في الميناء", "port", timedelta(hours=4)),
    Item("افتتاح مدرسة في الريف الشرقي", "school", timedelta(hours=5)),
]
NEWS = Item("هطول أمطار غزيرة على الساحل", "rain", timedelta(minutes=5))


# --- helpers -------------------------------------------------------------------------------


async def tick(bot: Harness) -> list[PollResult]:
    """An ingest tick that polls every feed now, due or not, and tells the editors."""
    d = bot.deps
    results = await service.poll_feeds(d.db, d.fetcher, d.settings.sources(), only_due=False)
    await ingest.announce(bot.app.bot, d.db, d.settings, results)
    return results


async def follow(bot: Harness, server: FeedServer, path: str, items: Sequence[Item]) -> Feed:
    """The site publishes a feed at ``path`` and the bot follows it (not fetched yet)."""
    server.put(path, rss(items))
    feed, added = await feeds.add(bot.deps.db, server.url(path))
    assert added
    return feed


async def subscribe_readers(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.clear()


async def feed_row(bot: Harness, feed: Feed) -> Feed:
    row = await feeds.get(bot.deps.db, feed.id)
    assert row is not None
    return row


def titles(messages: Sequence[SentMessage]) -> list[str]:
    """The article titles of pushed messages (the first bold span of each)."""
    return [m.bold()[0] for m in messages if m.bold()]


async def stored(bot: Harness) -> list[Article]:
    return await articles.latest(bot.deps.db, 100)


async def by_title(bot: Harness, title: str) -> Article:
    found = [a for a in await stored(bot) if a.title == title]
    assert len(found) == 1, f"{title!r} stored {len(found)} times"
    return found[0]


def _handlers_running() -> bool:
    """Whether a non-blocking handler (a task of PTB's ``create_task``) is still at work."""
    return any(
        "__create_task_callback" in getattr(task.get_coro(), "__qualname__", "")
        for task in asyncio.all_tasks()
    )


async def ask(
    bot: Harness, chat_id: int, text: str, n: int = 1, *, lang: str | None = None
) -> list[SentMessage]:
    """Send ``text`` and wait for the ``n`` replies of a non-blocking handler (no more)."""
    before = len(bot.tg.messages(chat_id))
    await bot.send(chat_id, text, lang=lang)
    await wait_until(lambda: len(bot.tg.messages(chat_id)) >= before + n)
    await wait_until(lambda: not _handlers_running())
    answers = bot.tg.messages(chat_id)[before:]
    assert len(answers) == n, [m.text for m in answers]
    return answers


# --- 1. the archive is not news; what comes after it is ----------------------------------


async def test_first_fetch_is_archive_and_the_next_item_is_pushed_once(
    bot: Harness, site: FeedServer
) -> None:
    await subscribe_readers(bot)
    await follow(bot, site, "/rss", ARCHIVE)

    await ingest.run_once(bot.app.bot, bot.deps.db, bot.deps.settings, bot.deps.fetcher)
    assert sorted(a.title for a in await stored(bot)) == sorted(i.title for i in ARCHIVE)
    [found] = await bot.send(READER, "/search الزيتون")
    assert "نتيجة واحدة" in bare(found.text)
    assert "انطلاق موسم قطاف الزيتون" in bare(found.text)
    bot.tg.clear()
    await bot.push()
    assert bot.tg.messages(READER) == []
    assert bot.tg.messages(EN_READER) == []

    site.put("/rss", rss([NEWS, *ARCHIVE]))
    await tick(bot)
    assert await bot.push() == 2
    for reader in (READER, EN_READER):
        assert titles(bot.tg.messages(reader)) == [NEWS.title]

    await tick(bot)
    assert await bot.push() == 0
    assert len(bot.tg.messages(READER)) == len(bot.tg.messages(EN_READER)) == 1


async def test_feed_is_polled_again_only_when_due(bot: Harness, site: FeedServer) -> None:
    await follow(bot, site, "/rss", ARCHIVE)
    run = (bot.app.bot, bot.deps.db, bot.deps.settings, bot.deps.fetcher)
    await ingest.run_once(*run)
    assert site.requests["/rss"] == 1
    await ingest.run_once(*run)  # FEED_INTERVAL_SECONDS=1 has not passed
    assert site.requests["/rss"] == 1
    await asyncio.sleep(0.6)  # a tick up to half an interval early counts
    await ingest.run_once(*run)
    assert site.requests["/rss"] == 2


# --- 2. conditional GET -----------------------------------------------------------------


async def test_unchanged_feed_costs_a_304_and_a_new_etag_alone_pushes_nothing(
    bot: Harness, site: FeedServer
) -> None:
    await subscribe_readers(bot)
    feed = await follow(bot, site, "/rss", ARCHIVE)
    await tick(bot)
    count = len(await stored(bot))

    [result] = await tick(bot)
    assert site.not_modified["/rss"] == 1
    assert result.outcome == "unchanged"
    assert len(await stored(bot)) == count
    assert (await feed_row(bot, feed)).last_outcome == "unchanged"

    # Same items, rebuilt: a new ETag and a 200, but nothing new in it.
    site.put("/rss", rss(ARCHIVE, built="Wed, 02 Dec 2026 10:00:00 GMT"), etag='"rebuilt"')
    [result] = await tick(bot)
    assert site.requests["/rss"] == 3
    assert site.not_modified["/rss"] == 1
    assert (result.new, result.updated) == (0, 0)
    assert len(await stored(bot)) == count
    assert await bot.push() == 0
    assert bot.tg.sent == []

    await tick(bot)  # the new ETag was remembered
    assert site.not_modified["/rss"] == 2


# --- 3. what counts as news ------------------------------------------------------------


async def test_back_dated_item_is_kept_quiet_and_undated_item_is_news(
    bot: Harness, site: FeedServer
) -> None:
    await subscribe_readers(bot)
    await follow(bot, site, "/rss", ARCHIVE)
    await tick(bot)

    old = Item("تقرير قديم عن موسم الحصاد", "harvest", timedelta(days=3))
    undated = Item("بيان بلا تاريخ من البلدية", "statement", None)
    site.put("/rss", rss([undated, old, *ARCHIVE]))
    before = datetime.now(UTC)
    await tick(bot)
    after = datetime.now(UTC)

    old_article = await by_title(bot, old.title)
    assert old_article.published_at is not None
    assert articles.parse_published_at(old_article.published_at) < before - timedelta(days=2)
    dated = await by_title(bot, undated.title)
    assert dated.published_at is not None
    assert (
        before - timedelta(seconds=1)
        <= articles.parse_published_at(dated.published_at)
        <= after + timedelta(seconds=1)
    )

    assert await bot.push() == 2
    for reader in (READER, EN_READER):
        assert titles(bot.tg.messages(reader)) == [undated.title]


# --- 4. a burst --------------------------------------------------------------------------


BURST = [
    Item(title, f"burst-{n}", timedelta(minutes=90 - 10 * n))
    for n, title in enumerate(
        [
            "وصول قافلة مساعدات إلى المدينة",
            "إعادة فتح الطريق الدولي",
            "توقيع اتفاقية تعاون زراعي",
            "ارتفاع منسوب مياه السد",
            "افتتاح معرض للحرف اليدوية",
            "بدء حملة تلقيح في المدارس",
            "تكريم الفائزين في مسابقة القراءة",
            "انخفاض أسعار الخضار في الأسواق",
        ]
    )
]


async def test_burst_sends_five_articles_and_a_digest_of_the_rest(
    bot: Harness, site: FeedServer
) -> None:
    assert bot.settings.push_batch_max == 5
    await subscribe_readers(bot)
    await follow(bot, site, "/rss", ARCHIVE)
    await tick(bot)

    site.put("/rss", rss([*reversed(BURST), *ARCHIVE]))  # newest first, as sites list them
    [result] = await tick(bot)
    assert result.new == 8
    assert await bot.push() == 12

    oldest, newest = [i.title for i in BURST[:3]], [i.title for i in BURST[3:]]
    for reader in (READER, EN_READER):
        digest, *singles = bot.tg.messages(reader)
        assert [b.split(". ", 1)[1] for b in digest.button_texts()] == oldest
        assert all(title in bare(digest.text) for title in oldest)
        assert titles(singles) == newest
        seen = {b.split(". ", 1)[1] for b in digest.button_texts()} | set(titles(singles))
        assert seen == {i.title for i in BURST}
    assert "أخبار أخرى جديدة (3)" in bare(bot.tg.messages(READER)[0].text)
    assert "More new articles (3)" in bare(bot.tg.messages(EN_READER)[0].text)


# --- 5. one story, many addresses ----------------------------------------------------------


async def test_same_story_in_two_feeds_is_stored_and_pushed_once(
    bot: Harness, site: FeedServer
) -> None:
    await subscribe_readers(bot)
    await follow(bot, site, "/a.xml", ARCHIVE[:2])
    await follow(bot, site, "/b.xml", ARCHIVE[2:])
    await tick(bot)
    count = len(await stored(bot))

    story = Item("الحكومة تعلن خطة لدعم المزارعين", "farmers", timedelta(minutes=3))
    variant = Item(
        story.title,
        "farmers-b",  # its own GUID in feed B
        story.age,
        link="https://m.alkhabar.example.com/news/farmers/?utm_source=x#top",
    )
    site.put("/a.xml", rss([story, *ARCHIVE[:2]]))
    site.put("/b.xml", rss([variant, *ARCHIVE[2:]], title="الخبر اليوم - موبايل"))
    await tick(bot)
    assert len(await stored(bot)) == count + 1

    # Feed A later links it over http on www: still the same story.
    again = Item(
        story.title, story.slug, story.age, link="http://www.alkhabar.example.com/news/farmers"
    )
    site.put("/a.xml", rss([again, *ARCHIVE[:2]]))
    await tick(bot)
    assert len(await stored(bot)) == count + 1

    assert await bot.push() == 2
    for reader in (READER, EN_READER):
        assert titles(bot.tg.messages(reader)) == [story.title]
    result = await search.search(bot.deps.db, "المزارعين")
    assert result.total == 1


async def test_teaser_of_a_story_in_another_feed_leaves_its_full_text(
    bot: Harness, site: FeedServer
) -> None:
    """Feed B carries only a teaser of a story feed A gave in full (B's page is unreachable):
    the reader's copy keeps the full text; a teaser is not a correction."""
    await bot.send(READER, "/subscribe")
    bot.tg.clear()
    await follow(bot, site, "/a.xml", ARCHIVE[:2])
    await follow(bot, site, "/b.xml", ARCHIVE[2:])
    await tick(bot)
    link = site.url("/news/farmers")  # the page answers 404: B's teaser stays a teaser
    full = Item("الحكومة تعلن خطة لدعم المزارعين", "farmers", timedelta(minutes=3), link=link)
    teaser = Item(full.title, "farmers", full.age, link=link, summary="خطة لدعم المزارعين.")
    site.put("/a.xml", rss([full, *ARCHIVE[:2]]))
    await tick(bot)
    assert await bot.push() == 1
    copy = bot.tg.last(READER)

    site.put("/b.xml", rss([teaser, *ARCHIVE[2:]]))
    await tick(bot)
    await bot.push()
    assert FILLER[:40] in (await by_title(bot, full.title)).body
    assert copy.edits == 0
    assert FILLER[:40] in bare(copy.text)


# --- 6. corrections --------------------------------------------------------------------


async def _channel(bot: Harness) -> None:
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, OWNER, "creator")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await bot.send(OWNER, "/subscribe @akhbar_channel")


FIRST = Item("انقطاع الكهرباء عن ثلاثة أحياء", "power", timedelta(minutes=8))
CORRECTED = Item("انقطاع الكهرباء عن خمسة أحياء", "power", timedelta(minutes=8))


async def _pushed_then_corrected(bot: Harness, site: FeedServer) -> list[SentMessage]:
    """A reader and a channel got FIRST; the feed now gives it CORRECTED's title."""
    await bot.send(READER, "/subscribe")
    await _channel(bot)
    bot.tg.clear()
    await follow(bot, site, "/rss", ARCHIVE)
    await tick(bot)
    site.put("/rss", rss([FIRST, *ARCHIVE]))
    await tick(bot)
    assert await bot.push() == 2
    copies = [bot.tg.last(READER), bot.tg.last(CHANNEL)]
    assert titles(copies) == [FIRST.title, FIRST.title]

    site.put("/rss", rss([CORRECTED, *ARCHIVE]))
    [result] = await tick(bot)
    assert result.updated == 1
    return copies


async def test_changed_title_edits_every_delivered_copy_in_place(
    bot: Harness, site: FeedServer
) -> None:
    copies = await _pushed_then_corrected(bot, site)
    sent_before = len(bot.tg.sent)

    assert await bot.push() == 0  # no new message
    assert bot.deps.sender.edited == 2
    assert len(bot.tg.sent) == sent_before
    for copy in copies:
        assert copy.edits == 1
        assert titles([copy]) == [CORRECTED.title]
    assert (await deliveries.counts(bot.deps.db)).edited == 2

    [found] = await bot.send(READER, "/search خمسة أحياء")
    assert CORRECTED.title in bare(found.text)
    assert len(await stored(bot)) == len(ARCHIVE) + 1


async def test_correction_goes_out_at_the_push_job_tick(bot: Harness, site: FeedServer) -> None:
    """What the JobQueue's push tick does (``delivery.enqueue_and_wake``) sends the edits."""
    copies = await _pushed_then_corrected(bot, site)
    context = cast(AnyContext, SimpleNamespace(bot=bot.app.bot, bot_data=bot.app.bot_data))
    await delivery.enqueue_and_wake(context)
    try:
        await wait_until(lambda: all(c.edits == 1 for c in copies), timeout=1.5)
    except AssertionError:
        pytest.fail(f"the push job tick left the corrections unmade: {[c.edits for c in copies]}")


# --- 7. summaries are completed from the page ------------------------------------------


async def test_summary_item_takes_the_pages_main_text_without_its_navigation(
    bot: Harness, site: FeedServer
) -> None:
    site.put("/economy/solar", (FIXTURES / "pages" / "article_ar.html").read_bytes(), HTML)
    teaser = Item(
        "افتتاح أكبر محطة للطاقة الشمسية في المنطقة",
        "solar",
        link=site.url("/economy/solar"),
        summary="افتتاح محطة للطاقة الشمسية بقدرة ألفي ميغاواط.",
    )
    await follow(bot, site, "/rss", [teaser])
    await tick(bot)
    assert site.requests["/economy/solar"] == 1

    article = await by_title(bot, teaser.title)
    assert "افتتح رئيس الوزراء صباح اليوم أكبر محطة للطاقة الشمسية" in article.body
    assert "رحب خبراء الاقتصاد بالمشروع" in article.body
    for navigation in (
        "قسم السياسة",  # the menu
        "أخبار الاقتصاد والأعمال",  # the breadcrumb
        "شارك على فيسبوك",  # the share bar
        "اقرأ أيضا",
        "ارتفاع أسعار الذهب",  # the "read also" list
        "الأكثر قراءة",
        "المنتخب يتأهل",  # the sidebar
        "تراجع معدلات التضخم",  # previous / next
        "جميع الحقوق محفوظة",  # the footer
    ):
        assert navigation not in article.body, navigation


async def test_summary_items_page_is_read_once(bot: Harness, site: FeedServer) -> None:
    site.put("/economy/solar", (FIXTURES / "pages" / "article_ar.html").read_bytes(), HTML)
    teaser = Item(
        "افتتاح أكبر محطة للطاقة الشمسية في المنطقة",
        "solar",
        link=site.url("/economy/solar"),
        summary="افتتاح محطة للطاقة الشمسية بقدرة ألفي ميغاواط.",
    )
    await follow(bot, site, "/rss", [teaser])
    await tick(bot)
    site.put("/rss", rss([teaser]), etag='"rebuilt"')  # a 200 with the same item
    [result] = await tick(bot)
    assert result.outcome == "unchanged"
    assert site.requests["/economy/solar"] == 1


# --- 8. a failing feed -------------------------------------------------------------------


async def test_failing_feed_backs_off_and_the_editor_is_told_once_each_way(
    bot: Harness, site: FeedServer
) -> None:
    await bot.send(ADMIN, "/start")
    feed = await follow(bot, site, "/rss", ARCHIVE)
    url = site.url("/rss")
    await tick(bot)
    bot.tg.clear()

    site.fail("/rss")
    waits = []
    for failures in (1, 2, 3, 4):
        await tick(bot)
        row = await feed_row(bot, feed)
        assert row.failures == failures
        assert row.last_fetch_at is not None
        assert row.next_fetch_at is not None
        waits.append(
            (
                datetime.fromisoformat(row.next_fetch_at)
                - datetime.fromisoformat(row.last_fetch_at)
            ).total_seconds()
        )
        alerts = bot.tg.messages(ADMIN)
        assert len(alerts) == (0 if failures < 3 else 1), f"after failure {failures}"
    assert waits == [1.0, 2.0, 4.0, 8.0]
    [alert] = bot.tg.messages(ADMIN)
    assert url in bare(alert.text)
    assert "3 مرات متتالية" in bare(alert.text)
    assert "HTTP 500" in bare(alert.text)

    [listing] = await ask(bot, ADMIN, "/feeds")
    assert url in bare(listing.text)
    assert "فشل 4 مرات متتالية" in bare(listing.text)
    assert "خطأ في خادم الموقع (HTTP 500)" in bare(listing.text)

    site.recover("/rss")
    bot.tg.clear()
    await tick(bot)
    await tick(bot)
    [back] = bot.tg.messages(ADMIN)
    assert "عاد المصدر يعمل" in bare(back.text)
    assert url in bare(back.text)
    assert (await feed_row(bot, feed)).failures == 0


# --- 9. editors manage the feeds -------------------------------------------------------


async def test_editor_adds_lists_and_removes_a_feed(bot: Harness, site: FeedServer) -> None:
    site.put("/rss", rss(ARCHIVE))
    url = site.url("/rss")

    added, fetched = await ask(bot, ADMIN, f"/feeds add {url}", 2)
    assert "أُضيف المصدر" in bare(added.text)
    assert url in bare(added.text)
    assert "ما فيه الآن (5) حُفظ في الأرشيف دون إرسال" in bare(fetched.text)
    assert len(await stored(bot)) == 5

    [listing] = await ask(bot, ADMIN, "/feeds")
    assert "المصادر (1)" in bare(listing.text)
    assert url in bare(listing.text)
    assert "✅ آخر جلب" in bare(listing.text)
    assert "جديد: 0 · مقالاته: 5" in bare(listing.text)  # the first fetch is archive, not news

    [exists] = await ask(bot, ADMIN, f"/feeds add {url}")
    assert "مُتابَع بالفعل" in bare(exists.text)

    [removed] = await ask(bot, ADMIN, f"/feeds remove {url}")
    assert "توقفت متابعة المصدر" in bare(removed.text)
    assert url in bare(removed.text)
    assert await feeds.list_all(bot.deps.db) == []
    assert len(await stored(bot)) == 5  # its articles stay
    [empty] = await ask(bot, ADMIN, "/feeds")
    assert "لا أتابع أي مصدر" in bare(empty.text)
    [unknown] = await ask(bot, ADMIN, f"/feeds remove {url}")
    assert "لا أتابع هذا المصدر" in bare(unknown.text)


async def test_feeds_in_english(bot: Harness, site: FeedServer) -> None:
    site.put("/rss", rss(ARCHIVE))
    url = site.url("/rss")
    added, fetched = await ask(bot, ADMIN, f"/feeds add {url}", 2, lang="en")
    assert "Feed added" in bare(added.text)
    assert "(5) is in the archive, not sent" in bare(fetched.text)
    [listing] = await ask(bot, ADMIN, "/feeds", lang="en")
    assert "Feeds (1)" in bare(listing.text)
    assert "last fetched" in bare(listing.text)
    [bad] = await ask(bot, ADMIN, "/feeds add not-a-url", lang="en")
    assert "not an http or https address" in bare(bad.text)
    [removed] = await ask(bot, ADMIN, f"/feeds remove {url}", lang="en")
    assert "Stopped following" in bare(removed.text)


async def test_feeds_are_for_editors_only(bot: Harness, site: FeedServer) -> None:
    site.put("/rss", rss(ARCHIVE))
    [refused] = await ask(bot, READER, f"/feeds add {site.url('/rss')}")
    assert "للمحررين فقط" in bare(refused.text)
    assert await feeds.list_all(bot.deps.db) == []
    assert site.requests["/rss"] == 0
    assert await stored(bot) == []


async def test_feeds_add_without_an_address_is_explained(bot: Harness) -> None:
    [bad] = await ask(bot, ADMIN, "/feeds add not-a-url")
    assert "ليس رابط http" in bare(bad.text)
    assert "/feeds add https://" in bare(bad.text)  # with an example
    assert await feeds.list_all(bot.deps.db) == []


async def test_feeds_add_of_a_dead_address_says_it_failed(bot: Harness, site: FeedServer) -> None:
    url = site.url("/missing.xml")
    added, failed = await ask(bot, ADMIN, f"/feeds add {url}", 2)
    assert "أُضيف المصدر" in bare(added.text)
    assert "تعذّر جلبه" in bare(failed.text)
    assert "الصفحة غير موجودة (HTTP 404)" in bare(failed.text)


# --- 10. documents that are not feeds ---------------------------------------------------

#: Not even feedparser's lenient parser gets a title or an item out of this.
BROKEN_XML = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n<<<>>> &&& </oops>'
)


async def test_html_page_and_broken_xml_fail_alone(bot: Harness, site: FeedServer) -> None:
    await bot.send(ADMIN, "/start")
    good = await follow(bot, site, "/good.xml", ARCHIVE)
    site.put("/page", (FIXTURES / "feeds" / "page.html").read_bytes(), HTML)
    page, _ = await feeds.add(bot.deps.db, site.url("/page"))
    site.put("/broken.xml", BROKEN_XML)
    broken, _ = await feeds.add(bot.deps.db, site.url("/broken.xml"))

    results = {r.feed.id: r for r in await tick(bot)}
    assert results[good.id].outcome == "new"
    assert results[page.id].outcome == "error"
    assert results[broken.id].outcome == "error"
    assert sorted(a.title for a in await stored(bot)) == sorted(i.title for i in ARCHIVE)

    page_row, broken_row = await feed_row(bot, page), await feed_row(bot, broken)
    assert (page_row.last_error or "").startswith("not a feed: an HTML page")
    assert (broken_row.last_error or "").startswith("not a feed: malformed XML")
    assert (page_row.failures, broken_row.failures) == (1, 1)

    [listing] = await ask(bot, ADMIN, "/feeds")
    assert "الرابط صفحة ويب وليس موجزاً" in bare(listing.text)
    assert "الموجز تالف ولا يمكن قراءته" in bare(listing.text)


# --- 11. the watched folder ------------------------------------------------------------


async def test_file_dropped_in_seeds_dir_is_loaded_and_pushed_once(
    bot: Harness, seeds_dir: Path
) -> None:
    await subscribe_readers(bot)
    record = {
        "title": "وصول أول رحلة جوية إلى المطار الجديد",
        "body": "هبطت صباح اليوم أول رحلة جوية في المطار الجديد.\n" + FILLER,
        "url": f"{SITE}/news/airport",
        "published_at": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
    }
    dropped = seeds_dir / "scraped.jsonl"
    dropped.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    past = time.time() - 5  # a file still being written waits a tick; this one is done
    os.utime(dropped, (past, past))
    run = (bot.app.bot, bot.deps.db, bot.deps.settings, bot.deps.fetcher)

    await ingest.run_once(*run)
    await by_title(bot, record["title"])
    assert await bot.push() == 2
    for reader in (READER, EN_READER):
        assert titles(bot.tg.messages(reader)) == [record["title"]]

    await ingest.run_once(*run)
    os.utime(dropped, (past + 1, past + 1))  # touched again, same content
    await ingest.run_once(*run)
    assert len(await stored(bot)) == 1
    assert await bot.push() == 0

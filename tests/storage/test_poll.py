"""One poll of many feeds, bad ones among them: each fails alone, in one line, storing nothing."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from storage import Database, articles, feeds
from storage.ingest.http import Fetcher
from storage.ingest.poll import PollConfig, poll

NOW = format_datetime(datetime.now(UTC))
GOOD = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>جيد</title>'
    "<ttl>120</ttl><item><title>خبر سليم</title><link>https://site.example/ok</link>"
    f"<pubDate>{NOW}</pubDate><description>{'نص سليم كامل. ' * 60}</description></item>"
    "</channel></rss>"
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<rss><channel><title>&lol2;</title></channel></rss>"
)
PAGE = """<!DOCTYPE html><html><head><title>صفحة</title>
<link rel="canonical" href="/news/canonical-story">
<meta property="og:image" content="https://site.example/img/photo.jpg">
<meta property="article:published_time" content="2026-12-01T10:00:00+00:00">
</head><body><nav><a href="/">الرئيسية</a> <a href="/sport">رياضة</a></nav>
<article><h1>عنوان الصفحة</h1>
<p>افتتحت الحكومة اليوم مستشفى جديداً في المدينة يضم مئتي سرير وأقساماً متخصصة للأطفال.</p>
<p>وقال وزير الصحة إن المستشفى سيخدم أكثر من نصف مليون نسمة في المنطقة والقرى المجاورة.</p>
<p>وأضاف أن العمل استمر ثلاث سنوات بتمويل محلي، وأن المرحلة الثانية ستبدأ العام المقبل.</p>
<p>ورحب السكان بالمشروع الذي طال انتظاره، مؤكدين أنه سيخفف عنهم عناء السفر إلى العاصمة.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>"""


async def _drip(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await response.prepare(request)
    await response.write(b'<?xml version="1.0"?><rss><channel>')
    for _ in range(600):
        await asyncio.sleep(0.05)
        await response.write(b"<item><title>x</title></item>")
    return response


async def _huge(request: web.Request) -> web.Response:
    # 16 MB of XML in 16 KB of gzip: decoded size is what counts.
    body = gzip.compress(b"<rss><channel>" + b" " * (16 * 1024 * 1024) + b"</channel></rss>")
    return web.Response(
        body=body, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    )


def _static(
    body: bytes | str, content_type: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": content_type})

    return handler


async def _loop(request: web.Request) -> web.Response:
    raise web.HTTPFound("/loop")


@pytest.fixture
async def site() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/good", _static(GOOD, "application/rss+xml"))
    app.router.add_get("/bomb", _static(BOMB, "application/xml"))
    app.router.add_get("/binary", _static(bytes(range(256)) * 64, "application/octet-stream"))
    app.router.add_get("/html", _static("<!DOCTYPE html><html><body>x</body></html>", "text/html"))
    app.router.add_get("/drip", _drip)
    app.router.add_get("/huge", _huge)
    app.router.add_get("/loop", _loop)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_bad_feeds_fail_alone_in_one_line_and_store_nothing(db: Database, site: str) -> None:
    names = ["good", "bomb", "binary", "html", "drip", "huge", "loop"]
    for name in names:
        await feeds.add(db, f"{site}/{name}")
    fetcher = Fetcher(user_agent="newsbot-test", timeout=1.5, max_bytes=1024 * 1024)
    started = time.monotonic()
    try:
        results = await poll(db, fetcher, await feeds.list_all(db), PollConfig(interval=60))
    finally:
        await fetcher.aclose()
    # Nothing held the others up: the drip-fed one was cut at the deadline.
    assert time.monotonic() - started < 5
    by_name = {r.feed.url.rsplit("/", 1)[1]: r for r in results}
    assert (by_name["good"].outcome, by_name["good"].new) == ("new", 1)
    expected = {
        "bomb": "entity",
        "binary": "not a feed",
        "html": "HTML page",
        "drip": "timed out",
        "huge": "larger than",
        "loop": "redirects",
    }
    for name, words in expected.items():
        error = by_name[name].error
        assert by_name[name].outcome == "error", name
        assert error is not None
        assert words in error, (name, error)
        assert "\n" not in error
    assert await articles.count(db) == 1
    stored = {f.url.rsplit("/", 1)[1]: f for f in await feeds.list_all(db)}
    assert stored["drip"].last_error is not None
    assert stored["drip"].failures == 1
    # The good feed's own <ttl> (120 minutes) sets its next fetch, not the 60 s interval.
    next_fetch = datetime.fromisoformat(stored["good"].next_fetch_at or "")
    assert next_fetch > datetime.now(UTC) + timedelta(minutes=110)


async def _feed_of_one_summary(request: web.Request) -> web.Response:
    base = str(request.url.origin())
    return web.Response(
        text=(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>موقع</title>'
            f"<item><title>مستشفى جديد</title><link>{base}/story?utm_source=rss</link>"
            "<description>افتتاح مستشفى.</description></item></channel></rss>"
        ),
        content_type="application/rss+xml",
    )


async def test_a_summary_takes_the_pages_canonical_address_image_and_text(db: Database) -> None:
    app = web.Application()
    app.router.add_get("/feed", _feed_of_one_summary)
    app.router.add_get("/story", _static(PAGE, "text/html; charset=utf-8"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        feed, _ = await feeds.add(db, f"{base}/feed")
        async with Fetcher(user_agent="newsbot-test") as fetcher:
            [result] = await poll(db, fetcher, [feed], PollConfig())
        assert result.new == 1
        [article] = await articles.latest(db, 1)
        assert article.url == f"{base}/news/canonical-story"
        assert article.image == "https://site.example/img/photo.jpg"
        assert article.published_at == "2026-12-01T10:00:00+00:00"
        assert "يضم مئتي سرير" in article.body
        assert "الرئيسية" not in article.body
        assert "جميع الحقوق محفوظة" not in article.body
    finally:
        await runner.cleanup()

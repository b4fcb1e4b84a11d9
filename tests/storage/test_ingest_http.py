"""The fetcher against a real local HTTP server: validators, limits, redirects and errors."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from storage.ingest.http import Fetcher, FetchError, Validators

ETAG = '"v1"'
MODIFIED = "Wed, 02 Dec 2026 04:00:00 GMT"
FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


@dataclass
class Server:
    base: str
    seen: list[dict[str, str]] = field(default_factory=list)
    active: int = 0
    peak: int = 0

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server(base="")

    async def feed(request: web.Request) -> web.StreamResponse:
        state.seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(
            body=FEED,
            content_type="application/rss+xml",
            headers={"ETag": ETAG, "Last-Modified": MODIFIED, "Cache-Control": "max-age=300"},
        )

    async def gzipped(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(FEED * 100),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/redirect/{n - 1}")

    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop")

    async def error(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="boom\nTraceback (most recent call last)")

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        while True:  # an endless body, one byte at a time
            await response.write(b"x")
            await asyncio.sleep(0.05)

    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"a" * 5000)

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # no Content-Length: the size shows only while reading
        await response.prepare(request)
        for _ in range(50):
            await response.write(b"a" * 500)
        await response.write_eof()
        return response

    bomb_body = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)

    async def bomb(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bomb_body, headers={"Content-Encoding": "gzip"})

    async def slow(request: web.Request) -> web.StreamResponse:
        state.active += 1
        state.peak = max(state.peak, state.active)
        try:
            await asyncio.sleep(0.15)
        finally:
            state.active -= 1
        return web.Response(text="ok")

    async def agent(request: web.Request) -> web.StreamResponse:
        return web.Response(text=request.headers.get("User-Agent", ""))

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/gzip", gzipped)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/error", error)
    app.router.add_get("/drip", drip)
    app.router.add_get("/big", big)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/slow", slow)
    app.router.add_get("/agent", agent)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(user_agent="newsbot-test/1.0", timeout=5) as f:
        yield f


async def test_validators_recorded_and_sent_back(server: Server, fetcher: Fetcher) -> None:
    first = await fetcher.get(server.url("/feed"))
    assert not first.not_modified
    assert first.body == FEED
    assert first.content_type == "application/rss+xml"
    assert first.validators == Validators(etag=ETAG, last_modified=MODIFIED)
    assert first.ttl_hint == 300
    assert "If-None-Match" not in server.seen[0]

    second = await fetcher.get(server.url("/feed"), first.validators)
    assert server.seen[1]["If-None-Match"] == ETAG
    assert server.seen[1]["If-Modified-Since"] == MODIFIED
    assert second.not_modified
    assert second.body == b""
    # The server resent only the ETag: the Last-Modified we sent is kept.
    assert second.validators == Validators(etag=ETAG, last_modified=MODIFIED)


async def test_gzip_body_is_decoded(server: Server, fetcher: Fetcher) -> None:
    fetched = await fetcher.get(server.url("/gzip"))
    assert fetched.body == FEED * 100


async def test_five_redirects_are_followed(server: Server, fetcher: Fetcher) -> None:
    fetched = await fetcher.get(server.url("/redirect/5"))
    assert fetched.body == b"arrived"
    assert fetched.url == server.url("/redirect/0")


async def test_six_redirects_fail(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"^more than 5 redirects$"):
        await fetcher.get(server.url("/redirect/6"))


async def test_redirect_loop_fails_with_one_line(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.get(server.url("/loop"))
    assert str(caught.value) == "more than 5 redirects"
    assert caught.value.status is None


async def test_server_error_carries_status(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.get(server.url("/error"))
    assert caught.value.status == 500
    assert str(caught.value) == "HTTP 500"


async def test_endless_body_hits_the_overall_deadline(server: Server) -> None:
    async with Fetcher(user_agent="t", timeout=1) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"^timed out after 1 s$"):
            await fetcher.get(server.url("/drip"))
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_body_over_the_limit_fails(server: Server, path: str) -> None:
    async with Fetcher(user_agent="t", max_bytes=1000) as fetcher:
        with pytest.raises(FetchError, match=r"^larger than 1000 bytes$"):
            await fetcher.get(server.url(path))


async def test_gzip_bomb_is_caught_on_the_decoded_size(server: Server) -> None:
    async with Fetcher(user_agent="t", max_bytes=1024 * 1024) as fetcher:
        with pytest.raises(FetchError, match=r"^larger than 1 MB$"):
            await fetcher.get(server.url("/bomb"))


async def test_per_host_concurrency_is_two(server: Server, fetcher: Fetcher) -> None:
    results = await asyncio.gather(*(fetcher.get(server.url("/slow")) for _ in range(6)))
    assert [r.body for r in results] == [b"ok"] * 6
    assert server.peak == 2


async def test_user_agent_is_sent(server: Server, fetcher: Fetcher) -> None:
    fetched = await fetcher.get(server.url("/agent"))
    assert fetched.body == b"newsbot-test/1.0"


async def test_connection_refused(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        await fetcher.get(f"http://127.0.0.1:{port}/feed")
    assert str(caught.value) == "connection refused"
    assert caught.value.status is None


async def test_other_schemes_are_refused(fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"^not http\(s\)$"):
        await fetcher.get("file:///etc/passwd")

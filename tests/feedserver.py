"""A news site on 127.0.0.1 for tests: documents the test changes between polls, a request
count per path, conditional GETs answered with 304, and failures on demand."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

RSS = "application/rss+xml; charset=utf-8"


@dataclass
class Doc:
    body: bytes
    content_type: str
    etag: str | None


@dataclass
class FeedServer:
    """The news site: documents by path, changed by the test between polls."""

    base: str = ""
    docs: dict[str, Doc] = field(default_factory=dict)
    #: Requests per path, and how many of them were answered 304 Not Modified.
    requests: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    #: Paths answered with this status instead of their document.
    failing: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def put(
        self, path: str, body: bytes | str, content_type: str = RSS, etag: str | None = None
    ) -> None:
        """Serve ``body`` at ``path``; the ETag follows the body unless one is given."""
        data = body.encode() if isinstance(body, str) else body
        tag = etag if etag is not None else '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        self.docs[path] = Doc(data, content_type, tag)

    def fail(self, path: str, status: int = 500) -> None:
        self.failing[path] = status

    def recover(self, path: str) -> None:
        self.failing.pop(path, None)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.requests[path] += 1
        if path in self.failing:
            return web.Response(status=self.failing[path], text="Internal Server Error")
        doc = self.docs.get(path)
        if doc is None:
            return web.Response(status=404, text="Not Found")
        headers = {"Content-Type": doc.content_type}
        if doc.etag:
            headers["ETag"] = doc.etag
            if request.headers.get("If-None-Match") == doc.etag:
                self.not_modified[path] += 1
                return web.Response(status=304, headers={"ETag": doc.etag})
        return web.Response(body=doc.body, headers=headers)


@asynccontextmanager
async def serve_site() -> AsyncIterator[FeedServer]:
    """The site, listening on a free port of 127.0.0.1 until the block ends."""
    server = FeedServer()
    app = web.Application()
    app.router.add_get("/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()

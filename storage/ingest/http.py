"""One polite, bounded HTTP client for feeds and pages.

Feeds are polled often and some servers misbehave (endless bodies, gzip bombs, redirect
loops), so every request gets one overall deadline, a cap on the decoded size, conditional
GET validators and a per-host concurrency limit. Every failure is a ``FetchError`` with a
one-line message fit to show to an operator.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
import ssl
import zlib
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Validators:
    """What the server said about a response's version, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A response: either ``not_modified`` (304, empty body) or a decoded body."""

    not_modified: bool
    url: str
    body: bytes
    content_type: str | None
    validators: Validators
    ttl_hint: float | None = None


class FetchError(Exception):
    """A request that failed; ``str(error)`` is one line, ``status`` the HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(_one_line(message))
        self.status = status


def _one_line(message: str, limit: int = 200) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(n: int) -> str:
    mb = 1024 * 1024
    if n >= mb and n % mb == 0:
        return f"{n // mb} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


class _Decoder:
    """Content-Encoding decoding with a bounded output, so a gzip bomb never inflates in memory.

    httpx would decode too, but it inflates each network chunk whole; here every call yields at
    most ``limit + 1`` bytes, enough to tell that the body is too large.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._obj: zlib._Decompress | None = None
        if encoding == "gzip":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._obj = zlib.decompressobj()
        self._first = True

    def decode(self, data: bytes, limit: int) -> bytes:
        obj = self._obj
        if obj is None:
            return data
        try:
            out = obj.decompress(data, limit + 1)
        except zlib.error:
            if not (self._first and self.encoding == "deflate"):
                raise
            # Some servers send raw deflate without the zlib header.
            self._obj = obj = zlib.decompressobj(-zlib.MAX_WBITS)
            out = obj.decompress(data, limit + 1)
        self._first = False
        if self.encoding == "gzip" and obj.eof and obj.unused_data:
            # A multi-member gzip stream: start the next member.
            rest = obj.unused_data
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
            out += self.decode(rest, max(limit - len(out), 0))
        return out

    def flush(self) -> bytes:
        return self._obj.flush() if self._obj is not None else b""


def _describe(exc: BaseException) -> str:
    """One line for a network error, looking through httpx's wrappers to the OS error."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            return f"TLS certificate rejected: {cur.verify_message or cur.reason}"
        if isinstance(cur, ssl.SSLError):
            return f"TLS error: {cur.reason or cur}"
        if isinstance(cur, socket.gaierror):
            return "host not found"
        if isinstance(cur, ConnectionRefusedError) or (
            isinstance(cur, OSError) and cur.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cur, ConnectionResetError):
            return "connection reset"
        cur = cur.__cause__ or cur.__context__
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "refused" in text.lower() or "connect call failed" in text.lower():
            return "connection refused"
        return f"cannot connect: {text or type(exc).__name__}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error: {exc or 'the server broke the HTTP protocol'}"
    if isinstance(exc, httpx.TransportError | OSError):
        return f"network error: {exc or type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


class Fetcher:
    """A shared ``httpx.AsyncClient`` with the limits every ingest request needs."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 5,
        per_host: int = 2,
        total: int = 32,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.per_host = per_host
        self._total = asyncio.Semaphore(total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=max_redirects,
            limits=httpx.Limits(max_connections=total, max_keepalive_connections=total),
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self, url: str, validators: Validators | None = None, *, accept: str = FEED_ACCEPT
    ) -> Fetched:
        """GET ``url``; a 304 gives ``not_modified``; anything wrong raises ``FetchError``."""
        try:
            parts = urlsplit(url)
        except ValueError:
            raise FetchError("invalid URL") from None
        if parts.scheme not in ("http", "https"):
            raise FetchError("not http(s)")
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchError("invalid URL: no host")
        headers = {"Accept": accept}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        sem = self._hosts.get(host)
        if sem is None:
            sem = self._hosts[host] = asyncio.Semaphore(self.per_host)
        async with sem, self._total:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._get(url, headers, validators or Validators())
            except TimeoutError:
                raise FetchError(f"timed out after {self.timeout:g} s") from None
            except httpx.TooManyRedirects:
                raise FetchError(f"more than {self.max_redirects} redirects") from None
            except httpx.UnsupportedProtocol:
                raise FetchError("not http(s)") from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL: {exc}") from None
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.timeout:g} s") from None
            except zlib.error:
                raise FetchError("the compressed body is corrupt") from None
            except (httpx.HTTPError, OSError) as exc:
                raise FetchError(_describe(exc)) from None

    async def _get(self, url: str, headers: dict[str, str], sent: Validators) -> Fetched:
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            final = str(response.url)
            if status >= 400:
                raise FetchError(f"HTTP {status}", status=status)
            etag = response.headers.get("etag")
            modified = response.headers.get("last-modified")
            ttl = _ttl(response.headers.get("cache-control"))
            content_type = response.headers.get("content-type")
            if status == 304:
                return Fetched(
                    not_modified=True,
                    url=final,
                    body=b"",
                    content_type=content_type,
                    validators=Validators(etag or sent.etag, modified or sent.last_modified),
                    ttl_hint=ttl,
                )
            if status >= 300:
                raise FetchError(f"HTTP {status} without a usable redirect", status=status)
            length = response.headers.get("content-length")
            if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
                raise FetchError(f"larger than {_size(self.max_bytes)}", status=status)
            coding = response.headers.get("content-encoding", "identity").strip().lower()
            if coding in ("", "x-gzip"):
                coding = "gzip" if coding else "identity"
            if coding not in ("identity", "gzip", "deflate"):
                raise FetchError(f"unsupported Content-Encoding {coding!r}", status=status)
            decoder = _Decoder(coding)
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += decoder.decode(chunk, self.max_bytes - len(body))
                if len(body) > self.max_bytes:
                    raise FetchError(f"larger than {_size(self.max_bytes)}", status=status)
            body += decoder.flush()
            if len(body) > self.max_bytes:
                raise FetchError(f"larger than {_size(self.max_bytes)}", status=status)
            return Fetched(
                not_modified=False,
                url=final,
                body=bytes(body),
                content_type=content_type,
                validators=Validators(etag, modified),
                ttl_hint=ttl,
            )


def _ttl(cache_control: str | None) -> float | None:
    if not cache_control or _NO_CACHE.search(cache_control):
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None

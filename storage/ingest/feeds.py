"""Turn a fetched feed (RSS 0.9x/1.0/2.0, Atom or JSON Feed) into plain-text entries.

Feeds are untrusted input: they may be HTML pages, malformed XML, XML bombs or in a legacy
Arabic charset. This module decides which documents are feeds at all, refuses the dangerous
ones before any XML parser sees them, and reduces every entry to the plain text the bot needs,
with a fingerprint that tells when a republished entry has changed.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import logging
import re
import xml.sax
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import lxml.html  # type: ignore[import-untyped]  # lxml ships no type hints
from lxml import etree

from storage.articles import iso_utc

logger = logging.getLogger(__name__)

MAX_TITLE = 1000
MAX_TEXT = 200_000
#: Feed content shorter than this (in characters of text) is treated as a teaser, not the article.
FULL_MIN = 400
#: How long a title made from the text may be.
TITLE_FROM_TEXT = 80

_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "table", "tr", "section", "article", "header", "footer", "aside",
    "figure", "figcaption", "hr", "nav", "main", "address",
)  # fmt: skip
_DROPPED_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed")
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp)(?:$|[?#])", re.IGNORECASE)
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
#: What comes before the root element: comments, processing instructions and declarations.
_PROLOG_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|<!ENTITY|<[A-Za-z_:]", re.DOTALL | re.IGNORECASE
)
_HTML_START = re.compile(
    rb"^(?:\s|<\?.*?\?>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.DOTALL | re.IGNORECASE
)
_JSON_TYPES = ("application/feed+json", "application/json")
_JSONFEED_VERSION = "https://jsonfeed.org/version/1"


class FeedError(Exception):
    """A document that is not a usable feed; ``str(error)`` is one line for the operator."""


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None
    link: str | None
    title: str
    text: str
    full: bool
    published_at: str | None
    image: str | None
    category: str | None
    fingerprint: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    ttl_seconds: int | None
    entries: list[FeedEntry]


def parse_feed(body: bytes, content_type: str | None, url: str) -> ParsedFeed:
    """Parse a feed document; ``url`` (where it was fetched from) resolves relative links."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.strip(b"\0"):
        raise FeedError("not a feed: empty document")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if stripped[:1] == b"{" or (mime in _JSON_TYPES and stripped[:1] != b"<"):
        return _parse_json_feed(body, url)
    if _HTML_START.match(stripped[:4096]):
        raise FeedError("not a feed: an HTML page")
    if _declares_entities(body):
        raise FeedError("XML entity declarations are refused")
    return _parse_xml_feed(body, content_type, url, mime)


# --- XML feeds ---------------------------------------------------------------------------


def _declares_entities(body: bytes) -> bool:
    """Whether the prolog (before the root element) declares entities: the XML-bomb vector."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in body[:4]:
        try:
            body = body.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return False  # no parser will make sense of it either
    for match in _PROLOG_TOKEN.finditer(body):
        token = match.group()
        if token[:4] == b"<!--" or token[:2] == b"<?":
            continue
        return token[:2] == b"<!"
    return False


def _parse_xml_feed(body: bytes, content_type: str | None, url: str, mime: str) -> ParsedFeed:
    # Always present the body as generic XML so that feedparser follows one rule: the charset
    # of the HTTP header, else the XML declaration's, else UTF-8. (Given text/xml or text/html
    # without a charset it would try us-ascii first; given no Content-Type, ISO-8859-1.)
    charset = _CHARSET.search(content_type or "")
    # No Content-Location: with a base URI feedparser joins URLs at every element, which costs
    # a quarter of the parse; links are resolved here instead.
    headers = {
        "content-type": "application/xml" + (f"; charset={charset.group(1)}" if charset else ""),
    }
    # A stream, not bytes: feedparser would open bytes naming an existing file path.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    feed: Mapping[str, Any] = parsed.get("feed") or {}
    raw_entries: list[Mapping[str, Any]] = parsed.get("entries") or []
    title = _title_of(feed.get("title"), feed.get("title_detail"))
    if not raw_entries and not title:
        if parsed.get("bozo"):
            if b"<html" in body[:4096].lower() or mime == "text/html":
                raise FeedError("not a feed: an HTML page")
            raise FeedError(f"not a feed: malformed XML ({_bozo_message(parsed)})")
        if not parsed.get("version"):
            raise FeedError("not a feed: XML that is neither RSS nor Atom")
    if parsed.get("bozo") and raw_entries:
        logger.debug("recovered a malformed feed %s: %s", url, _bozo_message(parsed))
    entries = [e for e in (_xml_entry(raw, url) for raw in raw_entries) if e is not None]
    return ParsedFeed(title=title or None, ttl_seconds=_ttl(feed.get("ttl")), entries=entries)


def _bozo_message(parsed: Mapping[str, Any]) -> str:
    exc = parsed.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}: {exc.getMessage()}"
    return " ".join(str(exc).split()) or type(exc).__name__


def _ttl(value: Any) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def _title_of(value: Any, detail: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    kind = detail.get("type", "") if isinstance(detail, Mapping) else ""
    if "html" in kind or "<" in value:
        text = " ".join(html_to_text(value).split("\n"))
    elif "&" in value:
        text = " ".join(html.unescape(value).split())
    else:
        text = " ".join(value.split())
    return text[:MAX_TITLE]


def _detail_text(detail: Any) -> str:
    if not isinstance(detail, Mapping):
        return ""
    value = detail.get("value")
    if not isinstance(value, str) or not value:
        return ""
    if detail.get("type", "text/html") == "text/plain":
        return plain_paragraphs(value)
    return html_to_text(value)


def _xml_entry(raw: Mapping[str, Any], url: str) -> FeedEntry | None:
    text, full = "", False
    contents: list[Any] = raw.get("content") or []
    for content in contents:
        candidate = _detail_text(content)
        if len(candidate) > len(text):
            text = candidate
    if text:
        full = len(text) >= FULL_MIN
    else:
        text = _detail_text(raw.get("summary_detail"))
        if not text and isinstance(raw.get("summary"), str):
            text = html_to_text(raw["summary"])
    link = raw.get("link")
    guid = raw.get("id")
    return _entry(
        guid=str(guid) if guid else None,
        link=urljoin(url, link) if isinstance(link, str) and link else None,
        title=_title_of(raw.get("title"), raw.get("title_detail")),
        text=text,
        full=full,
        published_at=_struct_time_iso(raw.get("published_parsed") or raw.get("updated_parsed")),
        image=_xml_image(raw, url),
        category=_xml_category(raw.get("tags")),
    )


def _struct_time_iso(value: Any) -> str | None:
    if value is None:
        return None
    try:  # feedparser's struct_time is already in UTC
        return datetime.fromtimestamp(calendar.timegm(value), UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _looks_like_image(kind: Any, href: str) -> bool:
    if isinstance(kind, str) and kind:
        return kind.lower().startswith("image")
    return bool(_IMAGE_EXT.search(href))


def _xml_image(raw: Mapping[str, Any], url: str) -> str | None:
    for media in raw.get("media_content") or ():
        href = media.get("url")
        if href and _looks_like_image(media.get("medium") or media.get("type"), href):
            return urljoin(url, str(href))
    for link in raw.get("links") or ():
        href = link.get("href")
        if link.get("rel") == "enclosure" and href and _looks_like_image(link.get("type"), href):
            return urljoin(url, str(href))
    for thumb in raw.get("media_thumbnail") or ():
        if thumb.get("url"):
            return urljoin(url, str(thumb["url"]))
    image = raw.get("image")
    if isinstance(image, Mapping) and isinstance(image.get("href"), str) and image["href"]:
        return urljoin(url, str(image["href"]))
    return None


def _xml_category(tags: Any) -> str | None:
    for tag in tags or ():
        term = tag.get("term") or tag.get("label")
        if isinstance(term, str) and term.strip():
            return " ".join(term.split())
    return None


# --- JSON Feed ---------------------------------------------------------------------------


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "cannot be decoded"
        raise FeedError(f"not a feed: malformed JSON ({message})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not (isinstance(version, str) and version.startswith(_JSONFEED_VERSION)):
        raise FeedError("not a feed: JSON that is not a JSON Feed")
    items = data.get("items")
    entries: list[FeedEntry] = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            entry = _json_entry(item, url)
            if entry is not None:
                entries.append(entry)
    title = data.get("title")
    title = " ".join(title.split())[:MAX_TITLE] if isinstance(title, str) else ""
    return ParsedFeed(title=title or None, ttl_seconds=None, entries=entries)


def _str(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _json_entry(item: Mapping[str, Any], url: str) -> FeedEntry | None:
    text, full = "", False
    if _str(item, "content_html"):
        text = html_to_text(item["content_html"])
    if not text and _str(item, "content_text"):
        text = plain_paragraphs(item["content_text"])
    if text:
        full = len(text) >= FULL_MIN
    elif _str(item, "summary"):
        text = plain_paragraphs(item["summary"])
    guid = item.get("id")
    link = _str(item, "url") or None
    image = _str(item, "image") or _str(item, "banner_image") or None
    if image is None:
        for attachment in item.get("attachments") or ():
            if (
                isinstance(attachment, dict)
                and _str(attachment, "url")
                and _str(attachment, "mime_type").startswith("image/")
            ):
                image = attachment["url"]
                break
    tags = item.get("tags")
    category = None
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, str) and tag.strip():
            category = " ".join(tag.split())
            break
    title = _str(item, "title")
    return _entry(
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
        link=urljoin(url, link) if link else None,
        title=_title_of(title, None),
        text=text,
        full=full,
        published_at=iso_utc(_str(item, "date_published") or _str(item, "date_modified")),
        image=urljoin(url, image) if image else None,
        category=category,
    )


# --- shared ------------------------------------------------------------------------------


def _entry(
    *,
    guid: str | None,
    link: str | None,
    title: str,
    text: str,
    full: bool,
    published_at: str | None,
    image: str | None,
    category: str | None,
) -> FeedEntry | None:
    text = text[:MAX_TEXT]
    if not title:
        if not text:
            return None
        title = _shorten(text.split("\n", 1)[0], TITLE_FROM_TEXT)
    digest = hashlib.sha256()
    for part in (title, text, link or ""):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return FeedEntry(
        guid=guid,
        link=link,
        title=title,
        text=text,
        full=full,
        published_at=published_at,
        image=image,
        category=category,
        fingerprint=digest.hexdigest(),
    )


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"


def _join(lines: Iterable[str]) -> str:
    return "\n".join(line for line in (" ".join(raw.split()) for raw in lines) if line)


def plain_paragraphs(text: str) -> str:
    """Plain text with whitespace collapsed inside lines and the empty lines dropped."""
    return _join(text.splitlines())


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: block elements become paragraph breaks ("\\n")."""
    if "<" not in markup:
        return plain_paragraphs(html.unescape(markup) if "&" in markup else markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return plain_paragraphs(html.unescape(re.sub(r"<[^>]*>", "\n", markup)))
    etree.strip_elements(root, *_DROPPED_TAGS, with_tail=False)
    for element in root.iter(_BLOCK_TAGS):
        element.tail = "\n" + element.tail if element.tail else "\n"
        if element.tag != "br":
            element.text = "\n" + element.text if element.text else "\n"
    return plain_paragraphs(root.text_content())

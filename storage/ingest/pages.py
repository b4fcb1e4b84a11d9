"""An article's main text and metadata from its HTML page, without the site's navigation.

Feeds often carry only a teaser, so the bot reads the article page itself. trafilatura finds
the main text; the site's "read also" / "most read" / previous-next trailers that slip through
are cut here with the same markers the file importers use. Pure CPU work, no network: run it
in a thread.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura

from storage.articles import iso_utc
from storage.importers import TRAILER_MARKERS, TRAILER_MARKERS_AR

logger = logging.getLogger(__name__)

_MARKERS = TRAILER_MARKERS + TRAILER_MARKERS_AR
MAX_TITLE = 1000
MAX_TEXT = 200_000
#: Less text than this is a menu or a caption trafilatura fell back to, not an article.
MIN_TEXT = 80
#: List bullets and heading marks that trafilatura's plain text puts before a paragraph.
_LEADER = "-*•#>·–— \t"
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
)
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


@dataclass(frozen=True)
class PageText:
    title: str | None
    text: str
    canonical: str | None
    image: str | None
    published_at: str | None


def extract_page(html: bytes | str, url: str) -> PageText | None:
    """The main text of an article page at ``url``, or None when no main text is found."""
    try:
        tree = trafilatura.load_html(html)
    except (TypeError, ValueError):
        return None
    if tree is None:
        return None
    meta = _meta(tree)
    try:
        # trafilatura works on a copy of the tree; it never fetches anything itself.
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            favor_precision=True,
        )
    except Exception as exc:  # untrusted HTML must not take the caller down
        logger.warning("cannot extract the text of %s: %s", url, " ".join(str(exc).split()))
        return None
    if doc is None or isinstance(doc, dict):
        return None
    title = " ".join((doc.title or meta.get("og:title") or "").split())[:MAX_TITLE] or None
    text = _clean(doc.text or "", title)
    if len(text) < MIN_TEXT:
        return None
    canonical = _canonical(tree, meta, url)
    image = meta.get("og:image") or meta.get("twitter:image") or doc.image
    return PageText(
        title=title,
        text=text,
        canonical=canonical,
        image=urljoin(url, image) if image else None,
        published_at=_published(tree, meta) or _day(doc.date),
    )


def _clean(text: str, title: str | None) -> str:
    """Paragraphs with whitespace collapsed, up to the first trailer marker."""
    paragraphs: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if line.lstrip(_LEADER).startswith(_MARKERS):
            break
        paragraphs.append(line)
    if paragraphs and title and paragraphs[0].lstrip(_LEADER) == title:
        del paragraphs[0]  # the headline repeated as the text's first line
    return "\n".join(paragraphs)[:MAX_TEXT]


def _meta(tree: Any) -> dict[str, str]:
    """The first value of each <meta property|name|itemprop> in the page, keys lower-cased."""
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        value = element.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _canonical(tree: Any, meta: dict[str, str], url: str) -> str | None:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            return _absolute(url, href)
    og = meta.get("og:url")
    return _absolute(url, og) if og else None


def _absolute(base: str, href: str) -> str | None:
    joined = urljoin(base, href)
    return joined if joined.startswith(("http://", "https://")) else None


def _published(tree: Any, meta: dict[str, str]) -> str | None:
    for key in _DATE_META:
        when = iso_utc(meta.get(key))
        if when:
            return when
    for value in _ld_dates(tree):
        when = iso_utc(value)
        if when:
            return when
    for element in tree.iter("time"):
        if element.get("itemprop", "").lower() == "datepublished" or element.get("pubdate"):
            when = iso_utc(element.get("datetime"))
            if when:
                return when
    return None


def _ld_dates(tree: Any) -> Iterator[str]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        match = _LD_DATE.search(script.text)
        if match:
            try:
                yield str(json.loads(f'"{match.group(1)}"'))
            except ValueError:
                continue


def _day(value: str | None) -> str | None:
    """trafilatura's date is a day ("2026-12-02"): midnight UTC of that day."""
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC).isoformat()
    except ValueError:
        return None

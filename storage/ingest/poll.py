"""One poll of the followed feeds: fetch, parse, complete summaries from the pages, store.

What the bot's feed job and ``newsbot feeds poll`` both run. Each feed is polled on its own:
whatever goes wrong with one (HTTP errors, time-outs, malformed XML, an HTML page, a redirect
loop, a bug) is recorded as that feed's failure, backs it off and never stops the others.

What counts as news is decided at storage (``articles.Arrival``): everything a feed holds at
its first successful fetch is its archive, stored and searchable, never pushed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from storage import articles, feeds
from storage.articles import Arrival, NewArticle
from storage.db import Database
from storage.feeds import Feed
from storage.importers import RecordError, check_article, cut_trailer
from storage.ingest.feeds import FeedEntry, FeedError, ParsedFeed, parse_feed
from storage.ingest.http import HTML_ACCEPT, Fetcher, FetchError, Validators
from storage.ingest.pages import PageText, extract_page
from storage.urls import clean_url, url_key

logger = logging.getLogger(__name__)

Outcome = Literal["new", "updated", "unchanged", "error"]
#: Articles written per transaction: a running bot's writes wait at most this long.
_CHUNK = 200


@dataclass(frozen=True)
class PollConfig:
    interval: float = 300.0
    fresh_hours: float = articles.DEFAULT_FRESH_HOURS


@dataclass(frozen=True)
class PollResult:
    feed: Feed
    outcome: Outcome
    new: int = 0
    updated: int = 0
    error: str | None = None
    #: Tell the editors: the feed has just failed ALERT_AFTER times, or has just recovered.
    alert: Literal["failing", "recovered"] | None = None


async def poll(
    db: Database, fetcher: Fetcher, targets: Sequence[Feed], config: PollConfig
) -> list[PollResult]:
    """Poll feeds concurrently (the fetcher bounds requests per host and overall)."""
    return list(await asyncio.gather(*(poll_feed(db, fetcher, f, config) for f in targets)))


async def poll_feed(db: Database, fetcher: Fetcher, feed: Feed, config: PollConfig) -> PollResult:
    """Fetch one feed and store what is new or changed; never raises."""
    try:
        return await _poll(db, fetcher, feed, config)
    except (FetchError, FeedError) as exc:
        error = str(exc)
    except Exception as exc:  # a bug must not stop the other feeds or the bot
        logger.error("feed %s: %s: %s", feed.url, type(exc).__name__, exc)
        error = f"{type(exc).__name__}: {exc}"
    logger.warning("feed %s failed: %s", feed.url, error)
    alert = await feeds.record_failure(db, feed, error, config.interval)
    return PollResult(feed, "error", error=error, alert="failing" if alert else None)


async def _poll(db: Database, fetcher: Fetcher, feed: Feed, config: PollConfig) -> PollResult:
    fetched = await fetcher.get(feed.url, Validators(feed.etag, feed.last_modified))
    ttl = feed.ttl_seconds
    new = updated = 0
    if not fetched.not_modified:  # a 304 costs no parsing
        parsed = await asyncio.to_thread(
            parse_feed, fetched.body, fetched.content_type, fetched.url
        )
        ttl = parsed.ttl_seconds
        new, updated = await _store(db, fetcher, feed, parsed, config)
    outcome: Outcome = "new" if new else "updated" if updated else "unchanged"
    recovered = await feeds.record_success(
        db,
        feed,
        outcome=outcome,
        new=new,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        ttl_seconds=ttl,
        interval=config.interval,
    )
    return PollResult(feed, outcome, new, updated, alert="recovered" if recovered else None)


async def _changed(db: Database, entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """The entries not seen exactly as they are now: new ones, and changed ones."""
    keys = [articles.fingerprint_key(e.fingerprint) for e in entries]
    known = await articles.known_keys(db, keys)
    return [e for e, key in zip(entries, keys, strict=True) if key not in known]


async def _page(fetcher: Fetcher, link: str) -> PageText | None:
    """The full text of a summary-only item, from its page; None when it cannot be had."""
    try:
        fetched = await fetcher.get(link, accept=HTML_ACCEPT)
        return await asyncio.to_thread(extract_page, fetched.body, fetched.url)
    except FetchError as exc:
        logger.info("page %s: %s (the feed's summary is kept)", link, exc)
    except Exception as exc:
        logger.warning("page %s: %s: %s", link, type(exc).__name__, exc)
    return None


def _article(feed: Feed, source: str, entry: FeedEntry, page: PageText | None) -> NewArticle:
    link = clean_url(entry.link) if entry.link else None
    canonical = clean_url(page.canonical) if page and page.canonical else None
    from_page = page is not None and len(page.text) > len(entry.text)
    text = page.text if page and from_page else entry.text
    title = entry.title or (page.title if page and page.title else "")
    body = cut_trailer(text) or title
    aliases = (link,) if link and canonical and url_key(link) != url_key(canonical) else ()
    return check_article(
        NewArticle(
            title=title,
            body=body,
            url=canonical or link,
            source=source,
            category=entry.category,
            published_at=entry.published_at or (page.published_at if page else None),
            image=entry.image or (page.image if page else None),
            guid=entry.guid,
            fingerprint=entry.fingerprint,
            aliases=aliases,
            partial=not entry.full and not from_page,
        )
    )


async def _store(
    db: Database, fetcher: Fetcher, feed: Feed, parsed: ParsedFeed, config: PollConfig
) -> tuple[int, int]:
    """Store the feed's new and changed entries; (new, updated)."""
    entries = await _changed(db, parsed.entries)
    if not entries:
        return 0, 0
    pages = await asyncio.gather(
        *(
            _page(fetcher, e.link) if not e.full and e.link else _none()
            for e in entries  # summaries: the page has the text (backlog included)
        )
    )
    source = parsed.title or urlsplit(feed.url).hostname or feed.url
    batch: list[NewArticle] = []
    for entry, page in zip(entries, pages, strict=True):
        try:
            batch.append(_article(feed, source, entry, page))
        except RecordError as exc:
            logger.info("feed %s: item %r skipped: %s", feed.url, entry.title[:60], exc)
    # What a feed holds at its first successful fetch is its archive: stored, never pushed.
    arrival = Arrival(
        origin="feed", news=feed.primed, fresh_hours=config.fresh_hours, feed_id=feed.id
    )
    new = updated = 0
    for start in range(0, len(batch), _CHUNK):
        async with db.transaction() as conn:
            stored = await articles.store_many_in(conn, batch[start : start + _CHUNK], arrival)
        new += sum(s.status == "added" for s in stored)
        updated += sum(s.status == "updated" for s in stored)
    return new, updated


async def _none() -> None:
    return None

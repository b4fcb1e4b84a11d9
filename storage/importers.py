"""Importers for article files: the site's scraped pages (``.txt``) and JSON Lines (``.jsonl``).

Each file is read whole and checked record by record: a malformed record is rejected alone,
with its file and line, and the rest still loads. Loading the same files twice adds nothing.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from storage import articles
from storage.articles import Arrival, NewArticle
from storage.db import Database, utcnow
from storage.urls import clean_url

#: Lines that open the site's navigation trailer; nothing from them on enters the body.
TRAILER_MARKERS = ("Read Previous", "Read Next", "Most Popular")
TRAILER_MARKERS_AR = ("المقال السابق", "المقال التالي", "اقرأ أيضا", "اقرأ أيضاً", "الأكثر قراءة")
_PREVIOUS = ("Read Previous", "المقال السابق")
_NEXT = ("Read Next", "المقال التالي")

#: How many records one transaction takes during a bulk load.
BATCH = 500

MAX_TITLE = 1000
MAX_BODY = 200_000


@dataclass
class Rejection:
    where: str  # file:line
    reason: str


@dataclass
class LoadReport:
    added: int = 0
    present: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    #: Known stories whose text changed: updated in place, their delivered copies edited.
    updated: int = 0

    def merge(self, other: LoadReport) -> None:
        self.added += other.added
        self.present += other.present
        self.updated += other.updated
        self.rejected.extend(other.rejected)

    def count(self, results: Iterable[articles.Stored]) -> None:
        for stored in results:
            if stored.status == "added":
                self.added += 1
            elif stored.status == "updated":
                self.updated += 1
            else:
                self.present += 1


class RecordError(ValueError):
    """A record that cannot become an article; the message is the reason shown to the user.

    ``code`` names the reason for people who read another language (the bot says it in the
    editor's own words); ``fields`` are its numbers.
    """

    def __init__(self, message: str, code: str = "", **fields: object) -> None:
        super().__init__(message)
        self.code = code
        self.fields = fields


def _marker(line: str) -> str | None:
    text = line.strip()
    for marker in TRAILER_MARKERS + TRAILER_MARKERS_AR:
        if text.startswith(marker):
            return marker
    return None


#: «اقرأ أيضاً» (read also) sits in the middle of many articles, linking one other story,
#: with the article going on below it; at the end it opens the list of related titles. A
#: line at least this long after it (longer than any headline of the corpus: 124), before the
#: next marker, is the article going on.
PROSE_CHARS = 140
_READ_ALSO = ("اقرأ أيضا", "اقرأ أيضاً")


def _trailer_starts(lines: Sequence[str], i: int) -> bool:
    """Whether line ``i`` opens the site's trailer (not a read-also link mid-article)."""
    marker = _marker(lines[i])
    if marker is None:
        return False
    if marker not in _READ_ALSO:
        return True
    for line in lines[i + 1 :]:
        if _marker(line):
            return True
        if len(line.strip()) >= PROSE_CHARS:
            return False
    return True


def cut_trailer(text: str) -> str:
    """Text without the site's navigation trailer: from its first marker line on. A
    read-also link in the middle of the article is left out, and the article goes on."""
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _trailer_starts(lines, i):
            break
        if _marker(line) is None:
            kept.append(line)
    return "\n".join(kept).strip()


def parse_page(text: str) -> NewArticle:
    """Parse a scraped page: title line, body, then the site's Read Previous / Next trailer."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    it = iter(enumerate(lines))
    title = ""
    for _, line in it:
        if line.strip():
            title = " ".join(line.split())
            break
    if not title:
        raise RecordError("the file is empty: no title line")
    if _marker(title):
        raise RecordError("the first line is the site's navigation, not a title")
    body_lines: list[str] = []
    trailer: list[str] = []
    rest = [line for _, line in it]
    for i, line in enumerate(rest):
        if trailer or _trailer_starts(rest, i):
            trailer.append(line)
        elif _marker(line) is None:  # a read-also link mid-article is left out
            body_lines.append(line.strip())
    body = "\n".join(p for p in body_lines if p)
    if not body:
        raise RecordError("the article has a title but no body")
    prev_title, next_title = _neighbours(trailer)
    return check_article(
        NewArticle(title=title, body=body, prev_title=prev_title, next_title=next_title)
    )


def _neighbours(trailer: list[str]) -> tuple[str | None, str | None]:
    """The first non-empty line after Read Previous / Read Next (or on the same line)."""
    found: dict[str, str | None] = {"prev": None, "next": None}
    want: str | None = None
    for line in trailer:
        text = line.strip()
        marker = _marker(text)
        if marker is not None:
            want = "prev" if marker in _PREVIOUS else "next" if marker in _NEXT else None
            rest = text[len(marker) :].strip(" :：-–—")
            if want and rest:
                found[want] = rest
                want = None
            continue
        if want and text:
            found[want] = " ".join(text.split())
            want = None
    return found["prev"], found["next"]


def visible(text: str) -> str:
    """What a reader would see of ``text``: without spaces, zero-width and bidi controls."""
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE
    )


#: Unicode categories that show nothing: format characters (ZWJ, ZWNJ, bidi marks and
#: isolates, the BOM), controls and separators.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"})


def check_article(article: NewArticle, *, body_required: bool = True) -> NewArticle:
    """The checks every article passes, whichever way it arrives; RecordError says why not.

    Without ``body_required`` (an editor's breaking-news flash: a headline alone), a body
    that is empty or invisible is stored empty.
    """
    if not visible(article.title):
        raise RecordError(
            "the title is empty or invisible (only spaces or control characters)",
            "title_invisible",
        )
    if not body_required and not visible(article.body):
        article = replace(article, body="")
    elif not visible(article.body):
        raise RecordError(
            "the body is empty or invisible (only spaces or control characters)",
            "body_invisible",
        )
    if len(article.title) > MAX_TITLE:
        raise RecordError(f"title longer than {MAX_TITLE} characters", "title_long", n=MAX_TITLE)
    if len(article.body) > MAX_BODY:
        raise RecordError(f"body longer than {MAX_BODY} characters", "body_long", n=MAX_BODY)
    if article.url is not None:
        url = clean_url(article.url)
        if url is None:
            raise RecordError(f"url is not an http(s) address: {article.url[:80]!r}", "url_bad")
        article = replace(article, url=url)
    if article.published_at is not None:
        try:
            articles.parse_published_at(article.published_at)
        except ValueError:
            raise RecordError(
                f"published_at is not an ISO 8601 date: {article.published_at[:40]!r}"
            ) from None
    return article


def _optional_text(record: dict[str, object], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key} must be text, not {type(value).__name__}")
    return value.strip() or None


def parse_record(line: str) -> NewArticle:
    """One JSON Lines record → article; RecordError says what is wrong with it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise RecordError("a record must be a JSON object")
    title = _optional_text(record, "title")
    body = _optional_text(record, "body")
    if not title:
        raise RecordError("missing title")
    if not body:
        raise RecordError("missing body")
    return check_article(
        NewArticle(
            title=" ".join(title.split()),
            body="\n".join(p.strip() for p in body.splitlines() if p.strip()),
            url=_optional_text(record, "url"),
            source=_optional_text(record, "source"),
            category=_optional_text(record, "category"),
            published_at=_optional_text(record, "published_at"),
        )
    )


def _records(path: Path) -> Iterator[tuple[str, NewArticle | RecordError]]:
    """(file:line, article or the reason it was rejected) for every record of one file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        yield f"{path}:1", RecordError("not UTF-8 text")
        return
    except OSError as exc:
        yield f"{path}:1", RecordError(f"cannot read the file ({exc.strerror})")
        return
    if path.suffix.lower() not in SUFFIXES:
        yield f"{path}:1", RecordError("not an article file (expected .txt or .jsonl)")
    elif path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"{path}:{number}", parse_record(line)
            except RecordError as exc:
                yield f"{path}:{number}", exc
    else:
        try:
            yield f"{path}:1", parse_page(text)
        except RecordError as exc:
            yield f"{path}:1", exc


SUFFIXES = (".txt", ".jsonl")


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[Rejection]]:
    """Files to load from files and folders (folders: their .txt and .jsonl files, sorted)."""
    files: list[Path] = []
    problems: list[Rejection] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Rejection(str(path), "no such file or folder"))
    return files, problems


async def load_paths(
    db: Database, paths: Iterable[Path], arrival: Arrival | None = None
) -> LoadReport:
    """Load every article file under ``paths``; report added / updated / present / rejected.

    ``arrival`` says whether they are news (``Arrival(origin="archive", news=False)`` for an
    archive: stored and searchable, never pushed).
    """
    files, problems = expand(paths)
    report = LoadReport(rejected=problems)
    for path in files:
        report.merge(await load_file(db, path, arrival))
    return report


async def load_file(db: Database, path: Path, arrival: Arrival | None = None) -> LoadReport:
    report = LoadReport()
    batch: list[NewArticle] = []
    how = arrival or Arrival()

    async def flush() -> None:
        # One short transaction per batch: a running bot waits at most this long to write.
        async with db.transaction() as conn:
            report.count(await articles.store_many_in(conn, batch, how))
        batch.clear()

    for where, item in _records(path):
        if isinstance(item, RecordError):
            report.rejected.append(Rejection(where, str(item)))
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    return report


#: A file modified more recently than this may still be being written: it waits a tick.
SETTLE_SECONDS = 0.5


async def load_new_files(db: Database, folder: Path, arrival: Arrival | None = None) -> LoadReport:
    """Load the article files in ``folder`` that are new or changed since they were loaded.

    What a watched folder needs: a scraper drops files while the bot runs, and each tick
    costs a directory listing, not a re-read of everything.
    """
    files, problems = expand([folder])
    report = LoadReport(rejected=problems)
    rows = await db.conn.execute_fetchall("SELECT path, size, mtime_ns FROM loaded_files")
    seen = {str(p): (int(size), int(mtime)) for p, size, mtime in rows}
    now = time.time()
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue  # gone since the listing
        state = (stat.st_size, stat.st_mtime_ns)
        if seen.get(str(path)) == state or now - stat.st_mtime < SETTLE_SECONDS:
            continue
        report.merge(await load_file(db, path, arrival))
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO loaded_files (path, size, mtime_ns, loaded_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (path) DO UPDATE SET size = excluded.size,"
                " mtime_ns = excluded.mtime_ns, loaded_at = excluded.loaded_at",
                (str(path), *state, utcnow()),
            )
    return report

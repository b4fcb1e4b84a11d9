"""``newsbot feeds`` as an operator uses it: a real process, a real database, a local site."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, serve_site


def _rss(*titles: str) -> str:
    when = format_datetime(datetime.now(UTC))
    items = "".join(
        f"<item><title>{t}</title><link>https://site.example/{n}</link>"
        f"<guid>https://site.example/{n}</guid><pubDate>{when}</pubDate>"
        f"<description>{t}: {'نص الخبر كاملاً. ' * 40}</description></item>"
        for n, t in enumerate(titles)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    return f"{head}<channel><title>الموقع</title>{items}</channel></rss>"


async def newsbot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BOT_TOKEN", "ADMIN_IDS", "DATABASE_PATH", "FEEDS"}
    }
    environment.update({"DATABASE_PATH": str(tmp_path / "news.db"), **env})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    assert "Traceback" not in err.decode()
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def site() -> AsyncIterator[FeedServer]:
    async with serve_site() as server:
        yield server


async def test_feeds_are_added_listed_and_removed(tmp_path: Path, site: FeedServer) -> None:
    url = site.url("/rss")
    assert (await newsbot(tmp_path, "feeds", "add", url))[:2] == (0, f"added {url}\n")
    assert (await newsbot(tmp_path, "feeds", "add", url))[1] == f"already followed {url}\n"
    from_setting = "https://other.example/feed.xml"
    status, out, _ = await newsbot(tmp_path, "feeds", FEEDS=from_setting)
    assert (status, out.split()) == (0, [url, from_setting])  # each URL as given
    status, _, err = await newsbot(tmp_path, "feeds", "add", "ftp://x.example/feed")
    assert status == 2
    assert "not an http(s) address" in err
    status, _, err = await newsbot(tmp_path, "feeds", "remove", "https://nowhere.example/")
    assert status == 1
    assert "not a followed feed" in err
    assert (await newsbot(tmp_path, "feeds", "remove", url))[:2] == (0, f"removed {url}\n")
    assert (await newsbot(tmp_path, "feeds"))[1] == ""


async def test_poll_says_per_feed_what_came_and_fails_only_when_all_fail(
    tmp_path: Path, site: FeedServer
) -> None:
    site.put("/rss", _rss("خبر أول", "خبر ثان", "خبر ثالث"))
    good, bad = site.url("/rss"), site.url("/broken")
    site.fail("/broken", 500)
    status, out, _ = await newsbot(tmp_path, "feeds", "poll", FEEDS=f"{good},{bad}")
    assert status == 0
    assert f"{good}: new 3, updated 0" in out
    assert f"{bad}: error: HTTP 500" in out
    status, out, _ = await newsbot(tmp_path, "feeds", "poll", FEEDS=f"{good},{bad}")
    assert f"{good}: unchanged" in out
    assert site.not_modified["/rss"] == 1  # the second poll was a conditional GET
    status, out, _ = await newsbot(tmp_path, "feeds", "poll", FEEDS=bad)
    assert status == 1  # every feed failed
    status, out, _ = await newsbot(tmp_path, "latest", "--limit", "3")
    assert "خبر ثالث" in out


async def test_an_archive_loaded_from_the_command_line_is_searchable(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("عنوان من الأرشيف\nنص المقال من الأرشيف.\n", encoding="utf-8")
    status, out, _ = await newsbot(tmp_path, "load", "--archive", str(page))
    assert (status, out.strip()) == (0, "added 1, updated 0, already present 0, rejected 0")
    status, out, _ = await newsbot(tmp_path, "search", "الأرشيف")
    assert "عنوان من الأرشيف" in out

"""The command line, run as a reader of the README would: a real process, a real database."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from telegram.ext import CommandHandler

from bot.__main__ import _parser
from bot.app import build_application
from bot.config import load_settings
from tests.conftest import ROOT, SEEDS


def newsbot(
    tmp_path: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BOT_TOKEN", "ADMIN_IDS", "DATABASE_PATH", "PUSH_INTERVAL_SECONDS"}
    }
    environment.update({"DATABASE_PATH": str(tmp_path / "data" / "news.db"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env of the developer's is read
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_load_reports_and_is_idempotent(tmp_path: Path) -> None:
    first = newsbot(tmp_path, "load", str(SEEDS))
    assert first.returncode == 0, first.stderr
    assert "added 1, updated 0, already present 0, rejected 0" in first.stdout
    second = newsbot(tmp_path, "load", str(SEEDS))
    assert "added 0, updated 0, already present 1, rejected 0" in second.stdout


def test_load_names_each_rejection_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "خبر", "body": "نص"}\n{oops\n', encoding="utf-8")
    result = newsbot(tmp_path, "load", str(bad), str(tmp_path / "missing.txt"))
    assert result.returncode == 0
    assert "added 1, updated 0, already present 0, rejected 2" in result.stdout
    assert f"rejected {bad}:2: not valid JSON" in result.stderr
    assert "missing.txt: no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_json_finds_the_seed_and_treats_syntax_as_text(tmp_path: Path) -> None:
    newsbot(tmp_path, "load", str(SEEDS))
    result = newsbot(tmp_path, "search", "--json", "--limit", "3", "طرطوس")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "طرطوس"
    assert payload["total"] == 1
    [hit] = payload["results"]
    assert set(hit) == {"id", "title", "url", "published_at", "snippet"}
    assert "طرطوس" in hit["snippet"]
    for hostile in ("-طرطوس", '"طرطوس', "طرطوس AND", "NEAR(x", "*", "(x"):
        result = newsbot(tmp_path, "search", "--json", "--", hostile)
        assert result.returncode == 0, (hostile, result.stderr)
        assert json.loads(result.stdout)["query"] == hostile


def test_search_reads_one_query_a_line_from_stdin(tmp_path: Path) -> None:
    newsbot(tmp_path, "load", str(SEEDS))
    result = newsbot(tmp_path, "search", "--json", stdin="طرطوس\nلاشيءمطلقا\n\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(p["query"], p["total"]) for p in lines] == [("طرطوس", 1), ("لاشيءمطلقا", 0)]


def test_latest_json(tmp_path: Path) -> None:
    newsbot(tmp_path, "load", str(SEEDS))
    result = newsbot(tmp_path, "latest", "--json", "--limit", "2")
    [item] = json.loads(result.stdout)
    assert item["title"].startswith("وكالة “تاس”")


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, ["run"], "BOT_TOKEN is not set"),
        ({"BOT_TOKEN": "not a token"}, ["run"], "BOT_TOKEN:"),
        ({"ADMIN_IDS": "12,abc"}, ["latest"], "ADMIN_IDS: 'abc' is not a numeric"),
        ({"PUSH_INTERVAL_SECONDS": "soon"}, ["latest"], "PUSH_INTERVAL_SECONDS:"),
        ({"PUSH_INTERVAL_SECONDS": "0"}, ["latest"], "PUSH_INTERVAL_SECONDS:"),
        ({"DEFAULT_LANGUAGE": "fr"}, ["latest"], "DEFAULT_LANGUAGE:"),
        ({"TELEGRAM_API_URL": "ftp://x"}, ["latest"], "TELEGRAM_API_URL:"),
        ({"TIMEZONE": "Mars/Olympus"}, ["latest"], "TIMEZONE: 'Mars/Olympus' is not a time zone"),
    ],
)
def test_bad_settings_give_one_line_and_status_2(
    tmp_path: Path, env: dict[str, str], args: list[str], expected: str
) -> None:
    result = newsbot(tmp_path, *args, **env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a token" not in result.stderr  # the secret is never echoed


def test_settings_come_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PUSH_INTERVAL_SECONDS=never\n", encoding="utf-8")
    result = newsbot(tmp_path, "latest")
    assert result.returncode == 2
    assert "PUSH_INTERVAL_SECONDS" in result.stderr


def test_bad_usage_is_explained(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "latest", "--limit", "many")
    assert result.returncode == 2
    assert "not a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_is_in_the_readme(tmp_path: Path) -> None:
    """Read from the parser and the registered handlers, so a new command cannot slip past."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = _parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        assert f"newsbot {name}" in readme, name
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            for inner in action.choices:
                assert f"newsbot {name} {inner}" in readme or inner == "list", (name, inner)
    settings = load_settings(bot_token="123:ABC", database_path=tmp_path / "x.db", _env_file=None)
    application = build_application(settings)
    commands = {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert {"start", "latest", "search", "post", "feeds"} <= commands
    for command in commands:
        assert f"`/{command}" in readme, command


def test_a_database_path_that_is_no_database_is_explained(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are not the tables you are looking for\n" * 100, encoding="utf-8")
    for path in (not_a_db, tmp_path):  # a text file, and a folder
        result = newsbot(tmp_path, "latest", DATABASE_PATH=str(path))
        assert result.returncode == 2, result.stderr
        assert "DATABASE_PATH: cannot use" in result.stderr
        assert "Traceback" not in result.stderr

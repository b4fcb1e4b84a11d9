"""Every bad setting and every start-up failure: one line on stderr naming the cause.

Real ``python -m bot`` processes, as an operator meets them: exit status 2 for configuration,
no traceback, no secret echoed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.standin import FakeTelegram
from tests.conftest import ROOT, SEEDS

#: Every int and float setting: one rule reads them all.
NUMERIC = sorted(
    name.upper()
    for name, field in Settings.model_fields.items()
    if field.annotation in (int, float)
)
URL = "https://bot.example.com/tg/hook"
SECRET = "A-secret_0123456789"


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The process environment without any of the developer's newsbot settings."""
    names = {name.upper() for name in Settings.model_fields}
    environment = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environment["DATABASE_PATH"] = str(tmp_path / "data" / "news.db")
    environment.update(settings)
    return environment


def newsbot(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env of the developer's is read
        env=_environment(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit status 2 and exactly one non-empty stderr line, naming each of ``names``."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0]
    return lines[0]


def test_the_numeric_settings_are_the_known_ones() -> None:
    assert {"PUSH_INTERVAL_SECONDS", "FRESH_HOURS", "WEBHOOK_PORT", "PRIVATE_PER_SECOND"} <= set(
        NUMERIC
    )


@pytest.mark.parametrize("name", [*NUMERIC, "ADMIN_IDS"])
@pytest.mark.parametrize("value", ["²", "१२"])  # a superscript two; Devanagari digits
def test_a_number_in_other_digits_is_refused_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    line = assert_one_line(newsbot(tmp_path, "latest", **{name: value}), f"{name}:")
    assert "invalid literal" not in line  # not Python's own int() message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PUSH_INTERVAL_SECONDS", "1e3"),
        ("PUSH_INTERVAL_SECONDS", "1.5"),
        ("PUSH_INTERVAL_SECONDS", "1_000"),
        ("PUSH_INTERVAL_SECONDS", ""),
        ("FRESH_HOURS", "inf"),
        ("FRESH_HOURS", "nan"),
        ("WEBHOOK_PORT", "70000"),
        ("ADMIN_IDS", "12,٣x"),
    ],
)
def test_a_number_that_is_not_one_is_refused(tmp_path: Path, name: str, value: str) -> None:
    assert_one_line(newsbot(tmp_path, "latest", **{name: value}), f"{name}:")


def test_arabic_indic_digits_are_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUSH_INTERVAL_SECONDS", "٣٠٠")
    monkeypatch.setenv("FEED_INTERVAL_SECONDS", "۶۰")  # Eastern Arabic-Indic (Persian keyboards)
    monkeypatch.setenv("FRESH_HOURS", "١٫٥")  # the Arabic decimal separator
    monkeypatch.setenv("ADMIN_IDS", "١٢٣, 456")
    settings = load_settings(_env_file=None)
    assert settings.push_interval_seconds == 300
    assert settings.feed_interval_seconds == 60.0
    assert settings.fresh_hours == 1.5
    assert settings.admin_ids == frozenset({123, 456})


def test_arabic_indic_digits_work_in_a_real_process(tmp_path: Path) -> None:
    result = newsbot(tmp_path, "latest", PUSH_INTERVAL_SECONDS="٣٠٠", WEBHOOK_PORT="٨٠٨٠")
    assert result.returncode == 0, result.stderr


def _hook(url: str = URL, secret: str | None = SECRET, **more: str) -> dict[str, str]:
    settings = {"WEBHOOK_URL": url, **more}
    if secret is not None:
        settings["WEBHOOK_SECRET"] = secret
    return settings


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        (_hook(secret=None), ["WEBHOOK_SECRET:", "required"]),
        (_hook("http://bot.example.com/tg"), ["WEBHOOK_URL:", "https"]),
        (_hook("https://bot.example.com:8080/tg"), ["WEBHOOK_URL:", "8443"]),
        (_hook("https:///tg"), ["WEBHOOK_URL:"]),
        (_hook(URL + "?k=v"), ["WEBHOOK_URL:"]),
        (_hook(secret="no spaces allowed"), ["WEBHOOK_SECRET:"]),
        (_hook(WEBHOOK_LISTEN="everywhere"), ["WEBHOOK_LISTEN:"]),
    ],
)
def test_bad_webhook_settings_are_one_line(
    tmp_path: Path, settings: dict[str, str], names: list[str]
) -> None:
    result = newsbot(tmp_path, "run", BOT_TOKEN="123:SECRET-TOKEN", **settings)
    assert_one_line(result, *names)
    assert "SECRET-TOKEN" not in result.stderr
    secret = settings.get("WEBHOOK_SECRET")
    assert secret is None or secret not in result.stderr


@pytest.mark.parametrize("command", [["latest"], ["run"], ["load", str(SEEDS)]])
def test_a_database_folder_that_cannot_be_made_is_a_configuration_error(
    tmp_path: Path, command: list[str]
) -> None:
    result = newsbot(
        tmp_path, *command, BOT_TOKEN="123:SECRET-TOKEN", DATABASE_PATH="/proc/nope/x.db"
    )
    line = assert_one_line(result, "DATABASE_PATH:", "/proc/nope")
    assert "SECRET-TOKEN" not in line


async def test_a_token_telegram_refuses_is_one_line_naming_bot_token(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path,
            env=_environment(tmp_path, BOT_TOKEN="999:WRONG-TOKEN", TELEGRAM_API_URL=tg.base_url),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), 30)
    result = subprocess.CompletedProcess(
        ["run"], process.returncode or 0, "", stderr_bytes.decode()
    )
    assert_one_line(result, "BOT_TOKEN")
    assert "WRONG-TOKEN" not in result.stderr


def test_every_setting_is_documented_and_the_example_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in (name.upper() for name in Settings.model_fields):
        monkeypatch.delenv(name, raising=False)
        assert f"\n{name}=" in example or f"\n# {name}=" in example, name
        assert f"| `{name}` |" in readme, name
    settings = load_settings(_env_file=ROOT / ".env.example")
    assert settings.webhook() is None  # the example long-polls

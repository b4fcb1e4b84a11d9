"""``newsbot console``: the real bot in a terminal, no token and no network.

Run as a user runs it, a subprocess with its input piped: the answers come in logical order
on stdout, and the exit status is 0 at the end of input.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken

from bot.console import Screen, formatted
from bot.render import t
from bot.standin import FakeTelegram, InProcessRequest, parse_html
from bot.strings import Lang
from tests.conftest import ROOT, SEED_FILE, SEEDS

TITLE = SEED_FILE.read_text(encoding="utf-8").strip().splitlines()[0].strip()

# The same CLI, with every way out to the network and aiohttp (a test dependency) taken away.
_SEALED = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("the console tried the network")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.modules["aiohttp"] = None
from bot.__main__ import main
sys.exit(main(["console", *sys.argv[1:]]))
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def console(
    tmp_path: Path, stdin: bytes | str, *args: str, sealed: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot console`` in an empty folder (no .env) with ``stdin`` piped."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS")}
    env.update(
        SEEDS_DIR=str(SEEDS),
        # Nothing listens there: an attempt to reach "Telegram" would fail.
        TELEGRAM_API_URL=f"http://127.0.0.1:{_closed_port()}/bot",
        DATABASE_PATH=str(tmp_path / "must-not-exist" / "news.db"),
        PYTHONPATH=str(ROOT),
    )
    command = (
        [sys.executable, "-c", _SEALED, *args]
        if sealed
        else [sys.executable, "-m", "bot", "console", *args]
    )
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        command, input=data, capture_output=True, cwd=tmp_path, env=env, timeout=120, check=False
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8"),
        done.stderr.decode("utf-8", "replace"),
    )


def answers(stdout: str) -> dict[str, str]:
    """What came after each echoed line ``> …``, up to the next one."""
    found: dict[str, str] = {}
    said = ""
    for line in stdout.splitlines():
        if line.startswith("> "):
            said = line[2:]
            found[said] = ""
        else:
            found[said] = found.get(said, "") + line + "\n"
    return found


def plain(key: str, lang: Lang = "ar") -> str:
    """A string of the bot as a reader sees it (the HTML parsed away)."""
    return parse_html(t(lang, key))[0]


def test_a_reader_session_through_the_real_cli(tmp_path: Path) -> None:
    script = "/start\n/latest\n#1\n/search طرطوس\n#9\n#\n/nosuchcommand\n"
    done = console(tmp_path, script)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    said = answers(done.stdout)
    # Every line is answered, in order, before the next one is read.
    assert done.stdout.startswith("> /start\n")  # no banner on a pipe
    assert list(said) == [
        "/start",
        "/latest",
        "#1",
        "/search طرطوس",
        "#9",
        "#",
        "/nosuchcommand",
    ]
    assert "NewsBot" in said["/start"]
    assert "/latest" in said["/start"]
    # SEEDS_DIR was loaded at start, as `run` loads it: the seed page is the newest article.
    assert TITLE in said["/latest"]
    assert "[1] " in said["/latest"]
    # The button opened the article in place: the same message, edited, with the body.
    listed = said["/latest"].splitlines()[0]
    assert listed.startswith("── bot · message ")
    assert said["#1"].startswith(listed + " · edited\n")
    assert "قاعدة حميميم" in said["#1"]
    # Search finds the seed page; logical order (the word as typed, not reversed for display).
    assert TITLE in said["/search طرطوس"]
    assert "طرطوس" in said["/search طرطوس"]
    assert "\u200f" + TITLE not in done.stdout  # no display marks added on a pipe
    assert "\033[" not in done.stdout  # nor ANSI
    # Console mistakes get a clear line of their own; unknown commands the bot's answer.
    assert said["#9"].startswith("! no button #9: message ")
    assert said["#"].startswith("! #N presses button N")
    assert plain("unknown_command") in said["/nosuchcommand"]
    # The configured database was never touched: the console uses a temporary one.
    assert not (tmp_path / "must-not-exist").exists()
    assert list(tmp_path.iterdir()) == []


def test_no_network_and_no_aiohttp(tmp_path: Path) -> None:
    """After a plain install (no test extras) and with every socket connection refused."""
    done = console(tmp_path, "/search طرطوس\n/latest 3\n", sealed=True)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "network" not in done.stderr
    said = answers(done.stdout)
    assert TITLE in said["/search طرطوس"]
    assert TITLE in said["/latest 3"]


def test_junk_input_is_answered_and_the_session_ends_cleanly(tmp_path: Path) -> None:
    junk = (
        b"\n   \n"  # blank lines: nothing to send
        + b"\xff\xfe broken utf-8 \x80\n"
        + b"\x01\x02 control \x1b[31m characters\n"
        + "ك".encode() * 5000
        + b"\n#0\n#\xd9\xa2\n#abc\n;;; \"'\n"
        + b"/start@newsbot_console_bot\n/post Title\n"
        + b"/search unterminated"  # no newline at the end of input
    )
    done = console(tmp_path, junk)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    said = answers(done.stdout)
    assert said["#0"].startswith("! no message with buttons yet")
    assert said["#٢"].startswith("! no message with buttons yet")  # Arabic-Indic digits too
    # A # followed by words is a message like any other; every message gets an answer.
    for line in ("#abc", ";;; \"'", "/start@newsbot_console_bot", "/search unterminated"):
        assert said[line].startswith("── bot · message "), (line, said[line])
    # A reader (no --editor) may not /post, and is told so.
    assert said["/post Title"].startswith("── bot · message ")


def test_editor_can_post_with_continued_lines(tmp_path: Path) -> None:
    script = "/post عنوان تجريبي\\\nنص المقال هنا.\n/stats\n"
    done = console(tmp_path, script, "--editor", "--lang", "en")
    assert done.returncode == 0, done.stderr
    said = answers(done.stdout)
    # One message with the title and the body: the bot shows it back (a draft or a post).
    assert "عنوان تجريبي" in said["نص المقال هنا."]
    assert "نص المقال هنا." in said["نص المقال هنا."]
    assert "[1] " in said["نص المقال هنا."] or "#" in said["نص المقال هنا."]
    assert said["/stats"].startswith("── bot · message ")


def test_empty_input_starts_and_stops(tmp_path: Path) -> None:
    done = console(tmp_path, "")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("raw", "ansi", "shown"),
    [
        ("<b>طرطوس</b> اليوم", False, "طرطوس اليوم"),
        ("<b>طرطوس</b> اليوم", True, "\033[1mطرطوس\033[22m اليوم"),
        (
            'اقرأ <a href="https://example.com/a">المقال</a>.',
            False,
            "اقرأ المقال (https://example.com/a).",
        ),
        # Offsets count UTF-16 units: an emoji before the bold text takes two.
        ("📰 <b>news</b>", True, "📰 \033[1mnews\033[22m"),
    ],
)
def test_formatting_made_readable(raw: str, ansi: bool, shown: str) -> None:
    text, entities = parse_html(raw)
    assert formatted(text, entities, ansi=ansi) == shown


def test_arabic_lines_on_a_terminal_are_laid_out_right_to_left(tmp_path: Path) -> None:
    with (tmp_path / "out.txt").open("w+", encoding="utf-8") as out:
        screen = Screen(out, terminal=True)
        screen.reorder = None  # a terminal that lays bidirectional text out itself
        screen.write(["\033[1mطرطوس\033[22m اليوم", "Tartus today", "[1] طرطوس"])
        # python-bidi's reordering when installed: here a stand-in that reverses.
        screen.reorder = lambda line: line[::-1]
        screen.write(["طرطوس"])
        out.seek(0)
        lines = out.read().splitlines()
    # The mark sets the paragraph's direction, even behind ANSI codes; Latin lines unmarked.
    assert lines[:3] == ["\u200f\033[1mطرطوس\033[22m اليوم", "Tartus today", "\u200f[1] طرطوس"]
    assert lines[3].endswith("سوطرط")
    assert lines[3].startswith(" ")  # right-aligned


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    """SIGINT while the console waits for the next line: PTB's clean stop, no traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "ADMIN_IDS")}
    env.update(SEEDS_DIR=str(SEEDS), PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        process.stdin.write(b"/start\n")
        process.stdin.flush()
        seen = b""
        while b"\xe2\x94\x80\xe2\x94\x80 bot" not in seen:  # "── bot": the answer came
            ready, _, _ = select.select([process.stdout], [], [], 60)
            assert ready, "no answer to /start"
            line = process.stdout.readline()
            assert line, "the console ended early"
            seen += line
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert b"Traceback" not in stderr


async def test_in_process_transport_answers_as_over_http() -> None:
    """PTB's Bot on ``InProcessRequest``: Telegram's answers and refusals, uploads with their
    bytes, every call seen by the observer; no server was started."""
    tg = FakeTelegram()
    tg.add_chat(42, "private")
    seen: list[tuple[str, int]] = []
    request = InProcessRequest(
        tg, lambda method, params, status, body: seen.append((method, status))
    )
    bot = Bot(tg.token, base_url="https://api.telegram.org/bot", request=request)
    async with bot:
        sent = await bot.send_message(42, "<b>طرطوس</b> اليوم", parse_mode="HTML")
        assert sent.text == "طرطوس اليوم"
        assert tg.last(42).bold() == ["طرطوس"]
        with pytest.raises(BadRequest, match=r"(?i)unclosed start tag"):
            await bot.send_message(42, "<b", parse_mode="HTML")
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
        await bot.send_photo(42, png, caption="chart")
        assert tg.last(42).photo_upload == png
    assert tg.port == 0  # never listened
    assert ("sendMessage", 200) in seen
    assert ("sendMessage", 400) in seen
    assert request.in_flight == 0
    wrong = Bot("999:WRONG", request=InProcessRequest(tg))
    with pytest.raises(InvalidToken):
        await wrong.get_me()

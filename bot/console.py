"""``newsbot console``: chat with the bot in a terminal, without a token or a network.

The real application (``build_application``, its handlers and its start-up: the database, the
files of ``SEEDS_DIR``, the jobs) runs against the Bot API stand-in of ``bot.standin`` in the
same process: PTB's transport hands every call to the stand-in directly, so nothing leaves the
machine. Each line typed is a message from one reader in a private chat; ``#N`` presses the
N-th button of the last message that has buttons. What the bot sends, edits and deletes in that
chat is printed as it happens.

With standard input not a terminal (a pipe, a file) it is a script runner: after each line it
waits until the bot has answered, prints the answers in logical order, and at the end of input
stops as ``run`` does and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import AnyApplication, Deps
from bot.numbers import parse_int
from bot.standin import JSON, FakeTelegram, InProcessRequest, utf16_len
from storage import articles

#: The reader at the keyboard: a private chat with the bot.
CONSOLE_USER = 100_000_001
BOT_USERNAME = "newsbot_console_bot"
BOT_NAME = "NewsBot"
#: After a line, the bot counts as done when nothing has happened for this long (seconds)...
QUIET = 0.3
#: ...or after this long whatever it does (a push job may keep sending).
SETTLE_LIMIT = 30.0

_PRESS = re.compile(r"#\s*([0-9٠-٩۰-۹]+)\s*")
_HINT = re.compile(r"#\s*")

_ANSI = {
    "bold": ("\033[1m", "\033[22m"),
    "italic": ("\033[3m", "\033[23m"),
    "underline": ("\033[4m", "\033[24m"),
    "strikethrough": ("\033[9m", "\033[29m"),
    "text_link": ("\033[4m", "\033[24m"),
    "code": ("\033[2m", "\033[22m"),
    "pre": ("\033[2m", "\033[22m"),
}
_ANSI_RE = re.compile(r"\033\[[0-9;]*m")
_RLM = "\u200f"


@dataclass(frozen=True)
class Options:
    """The command line's choices."""

    editor: bool = False
    language: str | None = None


#: The console's push interval at most: pushes show as they would, without a long wait.
CONSOLE_PUSH_SECONDS = 5


def console_settings(options: Options, database: Path) -> Settings:
    """The settings ``run`` would use, with what a console needs instead.

    No token is needed (the stand-in's is used), the database is the given throw-away file,
    no feed is followed (only ``SEEDS_DIR``), no webhook, no flood limits to wait for, and the
    editors are the console's reader with ``--editor`` (nobody otherwise).
    """
    settings = load_settings(
        bot_token=FakeTelegram().token,
        database_path=database,
        feeds="",
        webhook_url="",
        private_per_second=100,
        group_per_minute=6000,
        global_per_second=1000,
        # A newcomer who subscribes and publishes sees the push within seconds, not minutes.
        push_interval_seconds=CONSOLE_PUSH_SECONDS,
    )
    admins = frozenset({CONSOLE_USER}) if options.editor else frozenset[int]()
    return settings.model_copy(update={"admin_ids": admins})


# -- showing messages --------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns a line takes in a terminal (marks take none, wide characters two)."""
    width = 0
    for char in _ANSI_RE.sub("", text):
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _right_to_left(line: str) -> bool:
    """Whether a line's first strong character is Arabic (or Hebrew): an RTL paragraph."""
    for char in _ANSI_RE.sub("", line):
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _load_reorder() -> Callable[[str], str] | None:
    """python-bidi's visual reordering, when it is installed (it is not a dependency)."""
    try:
        algorithm: Any = importlib.import_module("bidi.algorithm")
    except ImportError:
        return None
    get_display = algorithm.get_display

    def reorder(line: str) -> str:
        return str(get_display(line, base_dir="R"))

    return reorder


def formatted(text: str, entities: list[JSON], *, ansi: bool) -> str:
    """A message's text with its formatting made readable: bold in ANSI on a terminal, a link
    as ``text (url)``. Entities count UTF-16 units, as Telegram's do."""
    opens: dict[int, list[JSON]] = {}
    closes: dict[int, list[JSON]] = {}
    for entity in entities:
        start = int(entity.get("offset", 0))
        opens.setdefault(start, []).append(entity)
        closes.setdefault(start + int(entity.get("length", 0)), []).append(entity)
    out: list[str] = []

    def at(position: int) -> None:
        for entity in reversed(closes.get(position, [])):
            kind = str(entity.get("type"))
            if ansi and kind in _ANSI:
                out.append(_ANSI[kind][1])
            url = entity.get("url")
            if kind == "text_link" and isinstance(url, str):
                out.append(f" ({url})")
        for entity in opens.get(position, []):
            kind = str(entity.get("type"))
            if ansi and kind in _ANSI:
                out.append(_ANSI[kind][0])

    position = 0
    for char in text:
        at(position)
        out.append(char)
        position += utf16_len(char)
    at(position)
    return "".join(out)


def _button_label(button: JSON) -> str:
    text = str(button.get("text", ""))
    if isinstance(button.get("url"), str):
        return f"{text} ↗ {button['url']}"
    return text


class Screen:
    """Prints what happens in the console's chat: on a terminal with ANSI and right-to-left
    lines, otherwise plain, one logical line after another."""

    def __init__(self, out: TextIO, *, terminal: bool) -> None:
        self.out = out
        self.terminal = terminal
        self.reorder = _load_reorder() if terminal else None
        self.prompt_shown = False
        self.prompt = PROMPT

    def _line(self, line: str) -> str:
        if not self.terminal or not _right_to_left(line):
            return line
        if self.reorder is not None:  # the terminal shows characters as they come: reorder
            columns = shutil.get_terminal_size().columns
            shown = self.reorder(_ANSI_RE.sub("", line))  # escapes would be reordered too
            return " " * max(0, columns - _width(shown) - 1) + shown
        # A terminal that lays out bidirectional text itself (GNOME Terminal, Konsole, mlterm)
        # takes the mark as the paragraph's direction: right to left.
        return _RLM + line

    def write(self, lines: list[str]) -> None:
        """Print lines, above the prompt when one is waiting."""
        text = "\n".join(self._line(line) for line in lines) + "\n"
        if self.prompt_shown:
            text = "\r\033[K" + text + self.prompt
        try:
            self.out.write(text)
            self.out.flush()
        except BrokenPipeError:  # `newsbot console | head`: the reader has gone
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())

    def note(self, text: str) -> None:
        """A line from the console itself, not from the bot."""
        self.write([f"\033[2m! {text}\033[22m" if self.terminal else f"! {text}"])

    def said(self, text: str) -> None:
        """Echo the reader's line (only when it is not typed on a terminal)."""
        if not self.terminal:
            self.write([f"> {text}"])

    def message(self, message: JSON, *, edited: bool = False, silent: bool = False) -> list[JSON]:
        """Print one of the bot's messages; return its buttons in the order they are numbered."""
        text = message.get("text")
        entities = message.get("entities")
        if not isinstance(text, str):
            text = message.get("caption") if isinstance(message.get("caption"), str) else ""
            entities = message.get("caption_entities")
            kind = next((k for k in ("photo", "document", "video", "audio") if k in message), "")
            text = f"[{kind}] {text}".strip() if kind else str(text)
        body = formatted(str(text), list(entities or []), ansi=self.terminal)
        header = f"── bot · message {message.get('message_id')}"
        if edited:
            header += " · edited"
        elif silent:
            header += " · silent"
        lines = [f"\033[2m{header}\033[22m" if self.terminal else header]
        lines += body.split("\n")
        buttons: list[JSON] = []
        markup = message.get("reply_markup")
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        for row in rows if isinstance(rows, list) else []:
            shown = []
            for button in row:
                buttons.append(button)
                shown.append(f"[{len(buttons)}] {_button_label(button)}")
            lines.append("   ".join(shown))
        self.write(lines)
        return buttons


PROMPT = "› "
MORE = "… "


# -- the session -------------------------------------------------------------------------------


class Console:
    """The application and the stand-in in one process, and one reader's chat with them."""

    def __init__(
        self,
        settings: Settings,
        options: Options,
        screen: Screen,
        allowed_updates: Callable[[AnyApplication], list[str]],
    ) -> None:
        self.settings = settings
        self.options = options
        self.screen = screen
        self.allowed_updates = allowed_updates
        self.tg = FakeTelegram(bot_username=BOT_USERNAME, bot_name=BOT_NAME)
        self.calls = InProcessRequest(self.tg, self._observe)
        self._transports = iter((self.calls, InProcessRequest(self.tg)))
        self.app: AnyApplication | None = None
        #: The last message with buttons, and its buttons as numbered.
        self.keyboard: tuple[int, list[JSON]] | None = None
        self._started: list[str] = []
        self._held: list[str] = []

    # -- life cycle, in PTB's order (as run_polling does) ------------------------------------

    async def start(self) -> None:
        self.tg.add_chat(
            CONSOLE_USER, "private", first_name="Console", language_code=self.options.language
        )
        app = build_application(self.settings, transport=lambda: next(self._transports))
        self.app = app
        await app.initialize()
        self._started.append("initialize")
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=self.allowed_updates(app), poll_interval=0.0, timeout=10
        )
        await app.start()
        self._started.append("start")

    async def stop(self) -> None:
        """updater.stop, stop, post_stop, shutdown, post_shutdown: what was started."""
        app = self.app
        if app is None:
            return
        await self.tg.stop()  # a long poll waiting for updates ends now
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if "start" in self._started and app.post_stop is not None:
            await app.post_stop(app)
        if "initialize" in self._started:
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
        self.app = None

    async def articles(self) -> int:
        """How many articles the bot has (what SEEDS_DIR held)."""
        assert self.app is not None
        deps: Deps = self.app.bot_data["deps"]
        return await articles.count(deps.db)

    # -- what the reader does ----------------------------------------------------------------

    def say(self, text: str) -> None:
        """The reader sends a message (one line)."""
        self.tg.message_update(
            CONSOLE_USER, CONSOLE_USER, text, language_code=self.options.language
        )

    def press(self, number: int) -> None:
        """The reader presses button ``number`` of the last message with buttons."""
        if self.keyboard is None:
            self.screen.note("no message with buttons yet")
            return
        message_id, buttons = self.keyboard
        if not 1 <= number <= len(buttons):
            self.screen.note(
                f"no button #{number}: message {message_id} has buttons #1 to #{len(buttons)}"
            )
            return
        button = buttons[number - 1]
        data = button.get("callback_data")
        if isinstance(data, str):
            if (CONSOLE_USER, message_id) in self.tg.deleted:
                self.screen.note(f"message {message_id} was deleted")
                return
            self.tg.callback_update(
                CONSOLE_USER, CONSOLE_USER, message_id, data, language_code=self.options.language
            )
        elif isinstance(button.get("url"), str):
            self.screen.note(f"a link: Telegram would open {button['url']}")
        elif "switch_inline_query" in button or "switch_inline_query_current_chat" in button:
            query = button.get(
                "switch_inline_query", button.get("switch_inline_query_current_chat")
            )
            self.screen.note(f"in Telegram this types @{BOT_USERNAME} {query} in a chat")
        else:
            self.screen.note("this kind of button does nothing in the console")

    @property
    def continuing(self) -> bool:
        """Whether the last line ended with a backslash: the message goes on."""
        return bool(self._held)

    def line(self, text: str) -> None:
        """One line of input: a button press (#N) or a message. A line ending with ``\\``
        goes on in the next one: ``/post`` wants its title and body on separate lines."""
        text = text.rstrip("\r\n")
        if text.endswith("\\"):
            self._held.append(text[:-1])
            return
        if self._held:
            text = "\n".join([*self._held, text])
            self._held.clear()
        press = _PRESS.fullmatch(text.strip())
        if press is not None:
            number = parse_int(press.group(1))
            self.press(number if number is not None else 0)
        elif _HINT.fullmatch(text.strip()):
            self.screen.note("#N presses button N of the last message with buttons, e.g. #1")
        elif text.strip():
            self.say(text)

    def end(self) -> None:
        """The end of input: a message still held back is sent."""
        if self._held:
            text = "\n".join(self._held)
            self._held.clear()
            self.line(text)

    # -- what the bot does -------------------------------------------------------------------

    def _observe(self, method: str, params: JSON, status: int, body: JSON) -> None:
        if status != 200:
            return
        name = method.lower()
        result = body.get("result")
        if isinstance(result, dict) and "message_id" in result and "chat" in result:
            if result["chat"].get("id") != CONSOLE_USER:
                return
            silent = str(params.get("disable_notification", "")).lower() == "true"
            buttons = self.screen.message(result, edited=name.startswith("edit"), silent=silent)
            if buttons:
                self.keyboard = (int(result["message_id"]), buttons)
            elif self.keyboard is not None and self.keyboard[0] == result["message_id"]:
                self.keyboard = None  # its buttons were taken away
        elif name == "deletemessage" and str(params.get("chat_id")) == str(CONSOLE_USER):
            self.screen.note(f"the bot deleted message {params.get('message_id')}")
        elif name == "pinchatmessage" and str(params.get("chat_id")) == str(CONSOLE_USER):
            self.screen.note(f"the bot pinned message {params.get('message_id')}")
        elif name == "answercallbackquery" and params.get("text"):
            self.screen.write([f"ⓘ {params['text']}"])

    def _busy(self) -> bool:
        app = self.app
        return bool(
            self.tg.pending_updates
            or self.calls.in_flight
            or (
                app is not None
                and (
                    not app.update_queue.empty()
                    or app.update_processor.current_concurrent_updates > 0
                )
            )
        )

    async def settle(self, stop: asyncio.Event | None = None) -> None:
        """Wait until the bot has answered: no update waiting, no handler running, no call in
        flight, and nothing new for ``QUIET`` seconds (at most ``SETTLE_LIMIT``, or a stop)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_LIMIT
        seen = -1
        quiet_since = loop.time()
        while loop.time() < deadline and not (stop is not None and stop.is_set()):
            if self._busy() or self.calls.answered != seen:
                seen = self.calls.answered
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= QUIET:
                return
            await asyncio.sleep(0.02)


# -- input -------------------------------------------------------------------------------------


def _reader(
    loop: asyncio.AbstractEventLoop,
    lines: asyncio.Queue[str | None],
    ready: threading.Event,
    source: TextIO,
    screen: Screen,
) -> None:
    """Read lines in a daemon thread (a blocked read never holds up the exit); None at EOF."""
    try:
        while True:
            ready.wait()
            ready.clear()
            if screen.terminal:
                try:
                    text: str | None = input(screen.prompt)
                except EOFError:
                    text = None
            else:
                read = source.readline()
                text = read if read else None
            loop.call_soon_threadsafe(lines.put_nowait, text)
            if text is None:
                return
    except (OSError, ValueError, UnicodeError):
        loop.call_soon_threadsafe(lines.put_nowait, None)


@contextlib.contextmanager
def _interrupts(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM end the session cleanly; yields the signal that came, if any."""
    came: list[int] = []
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):

        def handler(signum: int = signum) -> None:
            came.append(signum)
            stop.set()

        try:
            loop.add_signal_handler(signum, handler)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            pass
    try:
        yield came
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def session(
    console: Console, source: TextIO, *, terminal: bool, banner: str | None = None
) -> int:
    """Start the bot, play the input, stop the bot; the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    ready = threading.Event()
    with _interrupts(loop, stop) as came:
        try:
            await console.start()
            if banner:
                console.screen.write([banner])
            if not await console.articles():
                print(
                    f"newsbot console: no articles: SEEDS_DIR ({console.settings.seeds_dir})"
                    " holds no article files; run it in the repository or set SEEDS_DIR",
                    file=sys.stderr,
                )
            threading.Thread(
                target=_reader,
                args=(loop, lines, ready, source, console.screen),
                name="console-input",
                daemon=True,
            ).start()
            while not stop.is_set():
                await console.settle(stop)
                console.screen.prompt_shown = terminal
                console.screen.prompt = MORE if console.continuing else PROMPT
                ready.set()
                next_line = asyncio.ensure_future(lines.get())
                stopped = asyncio.ensure_future(stop.wait())
                await asyncio.wait({next_line, stopped}, return_when=asyncio.FIRST_COMPLETED)
                stopped.cancel()
                console.screen.prompt_shown = False
                if not next_line.done():
                    next_line.cancel()
                    break
                text = next_line.result()
                if text is None:
                    console.end()
                    await console.settle(stop)
                    break
                console.screen.said(text.rstrip("\r\n"))
                console.line(text)
        finally:
            if terminal:
                console.screen.write([""])
            await console.stop()
    return 130 if signal.SIGINT in came else 0


def run(options: Options, allowed_updates: Callable[[AnyApplication], list[str]]) -> int:
    """``newsbot console``: a throw-away database loaded from SEEDS_DIR, deleted at the end."""
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            # Pipes carry UTF-8 whatever the locale; nothing undecodable stops the session.
            if terminal:
                stream.reconfigure(errors="replace")
            else:
                stream.reconfigure(encoding="utf-8", errors="replace")
    with tempfile.TemporaryDirectory(prefix="newsbot-console-") as folder:
        settings = console_settings(options, Path(folder) / "newsbot.db")
        screen = Screen(sys.stdout, terminal=terminal)
        console = Console(settings, options, screen, allowed_updates)
        banner = None
        if terminal:
            with contextlib.suppress(ImportError):
                importlib.import_module("readline")  # line editing and history for input()
            who = "an editor" if options.editor else "a reader"
            banner = (
                f"newsbot console: you are {who} in a private chat with the bot."
                " Type a message (/start, /latest, /search …); #N presses button N;"
                " Ctrl-D or Ctrl-C ends."
            )
        return asyncio.run(session(console, sys.stdin, terminal=terminal, banner=banner))

"""A chat's own choices: language, quiet hours, digest period, pause; and when they hold pushes.

Ordinary pushes to a chat are *held* (their outbox rows stay pending but are not due):

- during its quiet hours (``quiet_start``-``quiet_end``, local time in ``TIMEZONE``; the window
  may cross midnight);
- in digest mode, until the end of the period they arrived in (``hourly``: the next full hour;
  ``daily``: the next ``digest_at``).

Urgent news is never held, nor are edits and deletions of copies already delivered. What was
held goes out as one digest message (``storage.deliveries.group_held``). Every function that
depends on the time takes ``now`` (an aware datetime), so tests can cross midnight without
waiting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal

import aiosqlite

from storage.db import Database, utcnow

Language = Literal["ar", "en"]
DigestMode = Literal["off", "hourly", "daily"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")
DIGEST_MODES: tuple[DigestMode, ...] = ("off", "hourly", "daily")
#: A daily digest chosen without a time (a button) comes at this hour.
DEFAULT_DIGEST_AT = "08:00"

_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_HHMM = re.compile(r"([0-9]{1,2})[:.٫]([0-9]{2})")
_WINDOW = re.compile(r"([0-9]{1,2}[:.٫][0-9]{2})\s*[-–—]\s*([0-9]{1,2}[:.٫][0-9]{2})")


def parse_hhmm(text: str) -> str | None:
    """``7:05``, ``07:05`` or ``٠٧:٠٥`` as ``07:05``; None when it is no time of day."""
    match = _HHMM.fullmatch(text.strip().translate(_ARABIC_INDIC))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_window(text: str) -> tuple[str, str] | None:
    """``23:00-07:00`` as (start, end); None when either end is no time, or both are equal
    (an empty window, or a whole day)."""
    match = _WINDOW.fullmatch(text.strip().translate(_ARABIC_INDIC))
    if match is None:
        return None
    start, end = parse_hhmm(match.group(1)), parse_hhmm(match.group(2))
    if start is None or end is None or start == end:
        return None
    return start, end


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def in_window(start: str, end: str, local: time) -> bool:
    """Whether the local time of day is inside [start, end), which may cross midnight."""
    a, b = _clock(start), _clock(end)
    local = local.replace(second=0, microsecond=0, tzinfo=None)
    if a < b:
        return a <= local < b
    return local >= a or local < b


@dataclass(frozen=True)
class ChatSettings:
    chat_id: int
    #: The chat's /language; None: each reader's own Telegram language.
    language: Language | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    digest: DigestMode = "off"
    #: The time of a daily digest ('HH:MM').
    digest_at: str | None = None
    paused: bool = False

    @property
    def quiet(self) -> tuple[str, str] | None:
        if self.quiet_start is None or self.quiet_end is None:
            return None
        return self.quiet_start, self.quiet_end

    def hold(self, now: datetime, tz: tzinfo) -> Hold | None:
        """What this chat's choices hold back at ``now``; None when nothing is ever held."""
        if self.quiet is None and self.digest == "off":
            return None
        local = now.astimezone(tz)
        quiet = self.quiet is not None and in_window(*self.quiet, local.timetz())
        cutoff: str | None = None
        if self.digest == "hourly":
            boundary = local.replace(minute=0, second=0, microsecond=0)
            cutoff = _iso(boundary)
        elif self.digest == "daily":
            at = _clock(self.digest_at or DEFAULT_DIGEST_AT)
            boundary = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
            if boundary > local:
                boundary = (boundary - timedelta(days=1)).replace(tzinfo=tz)
            cutoff = _iso(boundary)
        return Hold(quiet=quiet, cutoff=cutoff)


def _iso(moment: datetime) -> str:
    """As ``storage.db.utcnow`` writes times, so that they compare as text."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Hold:
    """What holds a chat's ordinary pushes at one moment."""

    #: Inside the quiet hours: every ordinary push waits.
    quiet: bool
    #: Digest mode: rows queued at or after this UTC time wait for the period's end.
    cutoff: str | None

    @property
    def digest_mode(self) -> bool:
        return self.cutoff is not None

    def holds(self, created_at: str) -> bool:
        """Whether an ordinary row queued at ``created_at`` (UTC ISO) waits now."""
        return self.quiet or (self.cutoff is not None and created_at >= self.cutoff)


_COLUMNS = "chat_id, language, quiet_start, quiet_end, digest, digest_at, paused"


def _row(row: tuple[object, ...]) -> ChatSettings:
    chat_id, language, quiet_start, quiet_end, digest, digest_at, paused = row
    return ChatSettings(
        int(str(chat_id)),
        "en" if language == "en" else "ar" if language == "ar" else None,
        None if quiet_start is None else str(quiet_start),
        None if quiet_end is None else str(quiet_end),
        "hourly" if digest == "hourly" else "daily" if digest == "daily" else "off",
        None if digest_at is None else str(digest_at),
        bool(paused),
    )


async def get(db: Database, chat_id: int) -> ChatSettings:
    """A chat's choices (the defaults when it made none)."""
    async with db.conn.execute(
        f"SELECT {_COLUMNS} FROM chat_settings WHERE chat_id = ?", (chat_id,)
    ) as cur:
        row = await cur.fetchone()
    return ChatSettings(chat_id) if row is None else _row(tuple(row))


async def holds(db: Database, now: datetime, tz: tzinfo) -> dict[int, Hold]:
    """The chats whose ordinary pushes may be held (quiet hours or a digest), at ``now``."""
    rows = await db.conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM chat_settings WHERE quiet_start IS NOT NULL OR digest != 'off'"
    )
    out: dict[int, Hold] = {}
    for row in rows:
        settings = _row(tuple(row))
        hold = settings.hold(now, tz)
        if hold is not None:
            out[settings.chat_id] = hold
    return out


async def paused_chats(db: Database) -> set[int]:
    rows = await db.conn.execute_fetchall("SELECT chat_id FROM chat_settings WHERE paused = 1")
    return {int(r[0]) for r in rows}


async def languages(db: Database) -> dict[int, Language]:
    """Every chat's /language choice (for the handlers' synchronous language lookup)."""
    rows = await db.conn.execute_fetchall(
        "SELECT chat_id, language FROM chat_settings WHERE language IS NOT NULL"
    )
    return {int(c): "en" if language == "en" else "ar" for c, language in rows}


async def _update(db: Database, chat_id: int, sql: str, *args: object) -> None:
    async with db.transaction() as conn:
        await _update_in(conn, chat_id, sql, *args)


async def _update_in(conn: aiosqlite.Connection, chat_id: int, sql: str, *args: object) -> None:
    now = utcnow()
    await conn.execute(
        "INSERT INTO chat_settings (chat_id, updated_at) VALUES (?, ?)"
        " ON CONFLICT (chat_id) DO NOTHING",
        (chat_id, now),
    )
    await conn.execute(
        f"UPDATE chat_settings SET {sql}, updated_at = ? WHERE chat_id = ?",
        (*args, now, chat_id),
    )


async def set_language(db: Database, chat_id: int, language: Language | None) -> None:
    """The chat's language for everything the bot says there (None: each reader's own)."""
    await _update(db, chat_id, "language = ?", language)


async def set_quiet(db: Database, chat_id: int, window: tuple[str, str] | None) -> None:
    """Quiet hours ('HH:MM', 'HH:MM'), or None to switch them off (what waited is released)."""
    start, end = window if window is not None else (None, None)
    await _update(db, chat_id, "quiet_start = ?, quiet_end = ?", start, end)


async def set_digest(db: Database, chat_id: int, mode: DigestMode, at: str | None = None) -> None:
    """One message per period instead of one per article; ``at`` for a daily digest."""
    at = (at or DEFAULT_DIGEST_AT) if mode == "daily" else None
    await _update(db, chat_id, "digest = ?, digest_at = ?", mode, at)


async def set_paused(db: Database, chat_id: int, paused: bool) -> bool:
    """Pause or resume a chat's pushes; False when it already was so.

    A pause drops what was still queued for the chat. Resuming starts after the newest
    article, as a new subscription does: what was published meanwhile does not flood it.
    """
    now = utcnow()
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT paused FROM chat_settings WHERE chat_id = ?", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        if bool(row[0] if row else 0) == paused:
            return False
        await _update_in(conn, chat_id, "paused = ?", int(paused))
        # Sends only (pending rows): edits and deletions of delivered copies are still owed.
        await conn.execute(
            "UPDATE deliveries SET state = 'skipped', error = 'paused', updated_at = ?"
            " WHERE chat_id = ? AND state = 'pending'",
            (now, chat_id),
        )
        if not paused:
            await conn.execute(
                "UPDATE subscriptions SET enqueued_through ="
                " max(enqueued_through, (SELECT coalesce(max(id), 0) FROM articles)),"
                " updated_at = ? WHERE chat_id = ?",
                (now, chat_id),
            )
    return True

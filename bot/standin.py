"""A local stand-in of the Telegram Bot API for tests.

It speaks real HTTP on 127.0.0.1, so python-telegram-bot talks to it as it talks to Telegram,
and it refuses what Telegram refuses: malformed HTML, texts that are too long, bad buttons,
blocked users, kicked bots, migrated groups and (when asked to) flooding.

It also answers in-process, without sockets (``FakeTelegram.call`` and ``InProcessRequest``,
a python-telegram-bot transport): ``newsbot console`` runs on that. aiohttp is only a test
dependency, so it is imported only where the HTTP server starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from aiohttp import web

JSON = dict[str, Any]

__all__ = [
    "ApiError",
    "FakeTelegram",
    "Fault",
    "InProcessRequest",
    "Request",
    "SentMessage",
    "wait_until",
]

MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
#: Telegram lets a bot delete a message only this long after it was sent.
DELETE_WITHIN_SECONDS = 48 * 3600
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_RESULTS = 50
MAX_INLINE_ID_BYTES = 64
MAX_INLINE_OFFSET_BYTES = 64
MAX_BUTTONS = 100

CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked", "restricted"})

# Rights of ChatMemberAdministrator that PTB requires, in Bot API order.
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
CHANNEL_ADMIN_RIGHTS = ("can_post_messages", "can_edit_messages", "can_manage_direct_messages")
GROUP_ADMIN_RIGHTS = ("can_pin_messages",)
SUPERGROUP_ADMIN_RIGHTS = ("can_pin_messages", "can_manage_topics")
# Rights of ChatMemberRestricted that PTB requires.
RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
)
KNOWN_RIGHTS = frozenset(
    ADMIN_RIGHTS
    + CHANNEL_ADMIN_RIGHTS
    + SUPERGROUP_ADMIN_RIGHTS
    + RESTRICTED_RIGHTS
    + ("is_member", "can_react_to_messages", "can_manage_tags")
)

BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Updates Telegram sends when allowed_updates was never set (or set to []).
NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# Form fields whose value is a plain string, never JSON.
STRING_PARAMS = frozenset(
    {
        "text",
        "parse_mode",
        "callback_query_id",
        "url",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
        "description",
        "short_description",
        "name",
        "title",
        "secret_token",
        "ip_address",
        "next_offset",
        "inline_query_id",
        "caption",
        "photo",
    }
)
# Fields carrying a JSON-serialized object or array, even in a JSON body.
JSON_PARAMS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "link_preview_options": "can't parse link preview options JSON object",
    "reply_parameters": "can't parse reply parameters JSON object",
    "commands": "can't parse commands JSON object",
    "scope": "can't parse BotCommandScope JSON object",
    "allowed_updates": "can't parse allowed updates JSON object",
    "results": "can't parse inline query results JSON object",
    "button": "can't parse inline query results button JSON object",
    "caption_entities": "can't parse entities JSON object",
}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CALLBACK_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        """The JSON body Telegram answers with."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(detail: str, parameters: JSON | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}", parameters)


def _forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def _migrated(new_chat_id: int) -> ApiError:
    return _bad(
        "group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": new_chat_id}
    )


# ---------------------------------------------------------------------------------------------
# Faults


@dataclass(frozen=True)
class Fault:
    """A failure to answer with instead of (or on top of) the normal behaviour."""

    kind: str
    seconds: float = 0.0
    status: int = 0
    description: str = ""
    new_chat_id: int = 0

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        """429 Too Many Requests with parameters.retry_after."""
        return cls("retry_after", seconds, 429, f"Too Many Requests: retry after {seconds}")

    @classmethod
    def forbidden(cls, description: str = "Forbidden: bot was blocked by the user") -> Fault:
        """403 with the given description."""
        return cls("forbidden", status=403, description=description)

    @classmethod
    def chat_not_found(cls) -> Fault:
        """400 chat not found."""
        return cls("chat_not_found", status=400, description="Bad Request: chat not found")

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        """400 with parameters.migrate_to_chat_id."""
        return cls(
            "migrated",
            status=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            new_chat_id=new_chat_id,
        )

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Answer normally after a delay."""
        return cls("latency", seconds)

    @classmethod
    def timeout_after_store(cls, seconds: float) -> Fault:
        """Do the work (a message counts as sent), then hang before answering."""
        return cls("timeout_after_store", seconds)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """A 5xx answer."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Server Error"
        return cls("server_error", status=status, description=phrase)

    def error(self) -> ApiError:
        """The error this fault answers with (not for latency faults)."""
        parameters: JSON | None = None
        if self.kind == "retry_after":
            parameters = {"retry_after": int(self.seconds)}
        elif self.kind == "migrated":
            parameters = {"migrate_to_chat_id": self.new_chat_id}
        return ApiError(self.status, self.description, parameters)


@dataclass
class _Injection:
    method: str
    fault: Fault
    chat_id: int | None
    remaining: int | None


# ---------------------------------------------------------------------------------------------
# Records


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of text at a UTF-16 offset and length."""
    data = text.encode("utf-16-le", "surrogatepass")
    return data[2 * offset : 2 * (offset + length)].decode("utf-16-le", "surrogatepass")


@dataclass
class SentMessage:
    """A message the bot sent and the stand-in accepted."""

    chat_id: int
    message_id: int
    text: str
    raw: str
    parse_mode: str | None
    entities: list[JSON]
    reply_markup: JSON | None
    edits: int = 0
    date: int = 0
    edit_date: int | None = None
    message_thread_id: int | None = None
    link_preview_options: JSON | None = None
    disable_notification: bool = False
    protect_content: bool = False
    #: A photo (sendPhoto): the file_id Telegram knows it by; ``text`` is then its caption
    #: ("" for none) and ``entities`` the caption's.
    photo: str | None = None
    #: The URL the photo was sent by, or the bytes uploaded for it (else a file_id was sent).
    photo_url: str | None = None
    photo_upload: bytes | None = None

    def buttons(self) -> list[list[JSON]]:
        """The inline keyboard rows, or []."""
        rows = (self.reply_markup or {}).get("inline_keyboard")
        if not isinstance(rows, list):
            return []
        return [list(row) for row in rows]

    def button_texts(self) -> list[str]:
        """The texts of all inline buttons, row by row."""
        return [str(button.get("text", "")) for row in self.buttons() for button in row]

    def entity_texts(self, kind: str) -> list[str]:
        """The texts covered by entities of one type."""
        return [
            utf16_slice(self.text, e["offset"], e["length"])
            for e in self.entities
            if e["type"] == kind
        ]

    def bold(self) -> list[str]:
        """The texts of bold entities."""
        return self.entity_texts("bold")

    def links(self) -> list[tuple[str, str]]:
        """(text, url) of each text_link entity."""
        return [
            (utf16_slice(self.text, e["offset"], e["length"]), str(e["url"]))
            for e in self.entities
            if e["type"] == "text_link"
        ]


class Upload(str):
    """A file uploaded in a multipart request: reads as ``<file NAME>``, keeps its bytes."""

    data: bytes
    content_type: str

    def __new__(cls, filename: str, data: bytes, content_type: str = "") -> Upload:
        self = super().__new__(cls, f"<file {filename}>")
        self.data = data
        self.content_type = content_type
        return self


def _is_upload(value: object) -> bool:
    return isinstance(value, str) and value.startswith("<file ") and value.endswith(">")


_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"RIFF")


@dataclass
class Request:
    """One HTTP request the stand-in answered (status 0 while pending, 499 if the client left)."""

    method: str
    params: JSON
    status: int = 0
    error: str | None = None


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None
    migrated_to: int | None = None
    next_message_id: int = 1


@dataclass
class _Member:
    status: str
    rights: dict[str, bool] = field(default_factory=dict)


@dataclass
class _Limits:
    private_count: int
    private_window: float
    group_count: int
    overall_count: int


# ---------------------------------------------------------------------------------------------
# HTML parse mode


class _ParseError(Exception):
    pass


_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z][a-zA-Z0-9]*));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")
_UNQUOTED_RE = re.compile(r"[^\s>\"'=<`]*")
_SPACES = " \t\r\n"


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]
    language: str | None = None


def _byte_offset(raw: str, index: int) -> int:
    return len(raw[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(raw: str, index: int) -> tuple[str, int]:
    """Decode the HTML entity at raw[index] == '&'; return the character and the next index."""
    match = _ENTITY_RE.match(raw, index)
    where = f"at byte offset {_byte_offset(raw, index)}"
    if match is None:
        raise _ParseError(f'Character "&" {where} must be escaped as "&amp;"')
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            raise _ParseError(f'Unsupported HTML entity "&{name};" {where}')
        return _NAMED_ENTITIES[name], match.end()
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise _ParseError(f"Invalid numeric HTML entity {match.group()} {where}")
    return chr(code), match.end()


def _decode_attr(raw: str, start: int, end: int) -> str:
    out: list[str] = []
    i = start
    while i < end:
        if raw[i] == "&":
            char, i = _decode_entity(raw, i)
            out.append(char)
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _parse_attrs(raw: str, index: int, tag: str, tag_byte: int) -> tuple[dict[str, str], int]:
    """Parse the attributes of a start tag from index; return them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(raw)
    unclosed = f"Unclosed start tag at byte offset {tag_byte}"
    while True:
        while index < n and raw[index] in _SPACES:
            index += 1
        if index >= n:
            raise _ParseError(unclosed)
        if raw[index] == ">":
            return attrs, index + 1
        name_match = _ATTR_NAME_RE.match(raw, index)
        assert name_match is not None
        name = name_match.group().lower()
        if not name:
            raise _ParseError(f'Empty attribute name in the tag "{tag}" at byte offset {tag_byte}')
        index = name_match.end()
        while index < n and raw[index] in _SPACES:
            index += 1
        if index >= n:
            raise _ParseError(unclosed)
        if raw[index] != "=":
            attrs[name] = ""
            continue
        index += 1
        while index < n and raw[index] in _SPACES:
            index += 1
        if index >= n:
            raise _ParseError(unclosed)
        quote = raw[index]
        if quote in "\"'":
            end = raw.find(quote, index + 1)
            if end == -1:
                raise _ParseError(unclosed)
            attrs[name] = _decode_attr(raw, index + 1, end)
            index = end + 1
        else:
            value_match = _UNQUOTED_RE.match(raw, index)
            assert value_match is not None
            if not value_match.group():
                raise _ParseError(
                    f'Empty attribute "{name}" value in the tag "{tag}" at byte offset {tag_byte}'
                )
            attrs[name] = _decode_attr(raw, index, value_match.end())
            index = value_match.end()


def _check_start_tag(tag: str, attrs: dict[str, str], tag_byte: int) -> str | None:
    """Validate a start tag's attributes; return the code language, if any."""
    where = f"at byte offset {tag_byte}"
    if tag == "a" and not attrs.get("href", "").strip():
        raise _ParseError(f'Tag "a" must have a non-empty attribute "href" {where}')
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise _ParseError(f'Tag "span" must have class "tg-spoiler" {where}')
    if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
        raise _ParseError(f'Tag "tg-emoji" must have a numeric attribute "emoji-id" {where}')
    if tag == "code":
        css = attrs.get("class", "")
        if css.startswith("language-") and len(css) > len("language-"):
            return css[len("language-") :]
    return None


def _close_tag(tag: _OpenTag, end: int, stack: list[_OpenTag], entities: list[JSON]) -> None:
    if tag.name == "code" and tag.language and stack and stack[-1].name == "pre":
        stack[-1].language = tag.language
        return
    length = end - tag.offset
    if length <= 0:
        return
    kind = _TAG_ENTITY[tag.name]
    entity: JSON = {"type": kind, "offset": tag.offset, "length": length}
    if tag.name == "a":
        entity["url"] = tag.attrs["href"].strip()
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    entities.append(entity)


def parse_html(raw: str) -> tuple[str, list[JSON]]:
    """Parse Telegram's HTML parse mode strictly; return the text and entities (UTF-16)."""
    out: list[str] = []
    position = 0
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if char == "&":
            decoded, i = _decode_entity(raw, i)
            out.append(decoded)
            position += utf16_len(decoded)
            continue
        if char == ">":
            raise _ParseError(
                f'Character ">" at byte offset {_byte_offset(raw, i)} must be escaped as "&gt;"'
            )
        if char != "<":
            out.append(char)
            position += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue
        tag_byte = _byte_offset(raw, i)
        if raw.startswith("</", i):
            end = raw.find(">", i)
            if end == -1:
                raise _ParseError(f"Unclosed end tag at byte offset {tag_byte}")
            name = raw[i + 2 : end].rstrip(_SPACES).lower()
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {tag_byte}")
            top = stack[-1]
            if name != top.name:
                raise _ParseError(
                    f'Unmatched end tag at byte offset {tag_byte}, expected "</{top.name}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            _close_tag(top, position, stack, entities)
            i = end + 1
            continue
        name_match = _TAG_NAME_RE.match(raw, i + 1)
        assert name_match is not None
        name = name_match.group().lower()
        if name_match.end() >= n:
            raise _ParseError(f"Unclosed start tag at byte offset {tag_byte}")
        if name not in _TAG_ENTITY:
            raise _ParseError(f'Unsupported start tag "{name}" at byte offset {tag_byte}')
        attrs, i = _parse_attrs(raw, name_match.end(), name, tag_byte)
        language = _check_start_tag(name, attrs, tag_byte)
        stack.append(_OpenTag(name, position, attrs, language))
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _is_blank(char: str) -> bool:
    return char.isspace() or char in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip leading and trailing blanks as Telegram does, moving entities along."""
    lead = 0
    while lead < len(text) and _is_blank(text[lead]):
        lead += 1
    trail = 0
    while trail < len(text) - lead and _is_blank(text[len(text) - 1 - trail]):
        trail += 1
    total = utf16_len(text)  # blanks are all in the BMP: one code unit each
    low, high = lead, total - trail
    trimmed: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"], low)
        end = min(entity["offset"] + entity["length"], high)
        if end > start:
            trimmed.append({**entity, "offset": start - lead, "length": end - start})
    return text[lead : len(text) - trail], trimmed


def _check_entities(value: Any, text: str) -> list[JSON]:
    """Validate an explicit `entities` parameter."""
    if not isinstance(value, list):
        raise _bad("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[JSON] = []
    for item in value:
        if not isinstance(item, dict):
            raise _bad("can't parse entities JSON object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if (
            not isinstance(kind, str)
            or not isinstance(offset, int)
            or not isinstance(length, int)
            or isinstance(offset, bool)
            or isinstance(length, bool)
            or offset < 0
            or length < 0
        ):
            raise _bad("can't parse entities: entity must have type, offset and length")
        if kind == "text_link" and not item.get("url"):
            raise _bad("can't parse entities: text_link entity must have url")
        end = min(offset + length, total)
        if end > offset:
            result.append({**item, "offset": offset, "length": end - offset})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


# ---------------------------------------------------------------------------------------------
# Reply markup


def _check_url(url: Any) -> None:
    if not isinstance(url, str):
        raise _bad("BUTTON_URL_INVALID")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https", "tg") or not parts.netloc:
        raise _bad("BUTTON_URL_INVALID")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("can't parse inline keyboard button: Text must be non-empty")
    actions = [key for key in BUTTON_ACTIONS if key in button]
    if not actions:
        raise _bad("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_url(button["url"])


def _check_inline_result(
    result: Any, seen: set[str], parse_text: Callable[[JSON], tuple[str, str, list[JSON], Any]]
) -> None:
    """One result of answerInlineQuery (articles and their text message, as newsbot sends)."""
    if not isinstance(result, dict) or not isinstance(result.get("type"), str):
        raise _bad("can't parse inline query result: Can't find field \"type\"")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not result_id:
        raise _bad("RESULT_ID_EMPTY")
    if len(result_id.encode("utf-8")) > MAX_INLINE_ID_BYTES:
        raise _bad("RESULT_ID_INVALID")
    if result_id in seen:
        raise _bad("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    if result["type"] != "article":
        return
    title = result.get("title")
    if not isinstance(title, str):
        raise _bad("can't parse inline query result: Can't find field \"title\"")
    if not title.strip():
        raise _bad("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict):
        raise _bad("can't parse inline query result: Can't find field \"input_message_content\"")
    if "message_text" in content:
        try:
            parse_text({"text": content["message_text"], "parse_mode": content.get("parse_mode")})
        except ApiError as exc:
            if exc.description.endswith("message text is empty"):
                raise _bad("MESSAGE_EMPTY") from None
            if exc.description.endswith("message is too long"):
                raise _bad("MESSAGE_TOO_LONG") from None
            raise
    _check_markup(result.get("reply_markup"), inline_only=True)


def _check_markup(markup: Any, *, inline_only: bool) -> JSON | None:
    """Validate reply_markup; return what the message keeps (an inline keyboard or None)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard markup JSON object")
        count = 0
        for row in rows:
            for button in row:
                _check_inline_button(button)
                count += 1
        if count > MAX_BUTTONS:
            raise _bad("reply markup is too long")
        return markup if count else None
    if inline_only:
        raise _bad("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse keyboard markup JSON object")
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text.strip():
                    raise _bad("can't parse keyboard button: Text must be non-empty")
        return None
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return None
    raise _bad("can't parse reply keyboard markup JSON object")


# ---------------------------------------------------------------------------------------------
# Parameters


def _decode_form_value(key: str, value: str) -> Any:
    if key in STRING_PARAMS:
        return value
    if key in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(JSON_PARAMS[key]) from None
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_json_value(key: str, value: Any) -> Any:
    if key in JSON_PARAMS and isinstance(value, str):
        return _decode_form_value(key, value)
    return value


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


# ---------------------------------------------------------------------------------------------
# The stand-in

Handler = Callable[[JSON], Awaitable[Any]]


class FakeTelegram:
    """A Bot API server on 127.0.0.1 that behaves like Telegram for newsbot's tests."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        bot_username: str = "newsbot_test_bot",
        bot_name: str = "NewsBot Test",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.base_url = ""
        self.port = 0
        self.sent: list[SentMessage] = []
        self.requests: list[Request] = []
        self.callback_answers: list[JSON] = []
        self.throttled = 0

        self._chats: dict[int, _Chat] = {}
        self._members: dict[int, dict[int, _Member]] = {}
        self._users: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._callbacks: dict[str, bool] = {}
        #: inline query id -> answered already; and every answerInlineQuery accepted.
        self._inline_queries: dict[str, bool] = {}
        self.inline_answers: list[JSON] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._injections: list[_Injection] = []
        self._limits: _Limits | None = None
        self._chat_hits: dict[int, deque[float]] = {}
        self._all_hits: deque[float] = deque()

        self._pending: list[JSON] = []
        self._queued_ids: set[int] = set()
        self._next_update_id = 1
        self._next_callback_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._updates_changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

        self._handlers: dict[str, tuple[str, Handler]] = {}
        #: The URL of the webhook set with setWebhook ("" for none: updates by getUpdates).
        self.webhook_url = ""
        #: The pinned message of each chat (pinChatMessage).
        self.pinned: dict[int, int] = {}
        #: (chat, message) of every message deleted with deleteMessage.
        self.deleted: list[tuple[int, int]] = []
        #: Photo URLs Telegram cannot fetch: sendPhoto by one of them is refused.
        self.unreachable_urls: set[str] = set()
        #: The file_ids of photos Telegram knows (sent by users or by the bot).
        self._file_ids: set[str] = set()
        self._next_file = 1
        for name, handler in (
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("setMyCommands", self._set_my_commands),
            ("getMyCommands", self._get_my_commands),
            ("deleteMyCommands", self._delete_my_commands),
            ("sendMessage", self._send_message),
            ("editMessageText", self._edit_message_text),
            ("sendPhoto", self._send_photo),
            ("editMessageCaption", self._edit_message_caption),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("answerCallbackQuery", self._answer_callback_query),
            ("answerInlineQuery", self._answer_inline_query),
            ("pinChatMessage", self._pin_chat_message),
            ("deleteMessage", self._delete_message),
            ("getChat", self._get_chat),
            ("getChatMember", self._get_chat_member),
            ("getChatAdministrators", self._get_chat_administrators),
            ("close", self._close),
            ("logOut", self._close),
        ):
            self._handlers[name.lower()] = (name, handler)

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        from aiohttp import web  # a test dependency: only the HTTP server needs it

        if self._runner is not None:
            raise RuntimeError("the stand-in is already running")
        self._updates_changed = asyncio.Event()
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = site.port
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        """Stop listening; pending long polls and hangs end at once."""
        self._closing.set()
        self._updates_changed.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- world set-up -------------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        type: str,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> None:
        """Register a chat; groups have the bot as a member, channels do not."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if (type == "private") != (chat_id > 0):
            raise ValueError(
                f"a {type} chat needs a {'positive' if type == 'private' else 'negative'} id"
            )
        if username is not None:
            username = username.lstrip("@")
            for other in self._chats.values():
                if other.id != chat_id and (other.username or "").lower() == username.lower():
                    raise ValueError(f"@{username} is already chat {other.id}")
        chat = self._chats.get(chat_id)
        next_id = chat.next_message_id if chat else 1
        self._chats[chat_id] = _Chat(
            chat_id,
            type,
            title=title,
            username=username,
            first_name=first_name,
            language_code=language_code,
            next_message_id=next_id,
        )
        members = self._members.setdefault(chat_id, {})
        if type in ("group", "supergroup"):
            members.setdefault(self.bot_id, _Member("member"))
        elif type == "private":
            members.setdefault(self.bot_id, _Member("member"))
            members.setdefault(chat_id, _Member("member"))
            user = self._users.setdefault(chat_id, self._default_user(chat_id))
            if first_name is not None:
                user["first_name"] = first_name
            if username is not None:
                user["username"] = username
            if language_code is not None:
                user["language_code"] = language_code

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> None:
        """Set a member's status (and rights) in a chat; the bot is user_id == bot_id."""
        chat = self._known_chat(chat_id)
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}, not {status!r}")
        unknown = set(rights) - KNOWN_RIGHTS
        if unknown:
            raise TypeError(f"unknown rights {sorted(unknown)}; known: {sorted(KNOWN_RIGHTS)}")
        self._members.setdefault(chat_id, {})[user_id] = _Member(status, dict(rights))
        if user_id != self.bot_id:
            self._users.setdefault(user_id, self._default_user(user_id))
        if chat.type == "private" and user_id not in (chat_id, self.bot_id):
            raise ValueError(f"private chat {chat_id} has only user {chat_id} and the bot")

    def block_bot(self, chat_id: int) -> None:
        """The user of a private chat blocked the bot."""
        if chat_id not in self._chats:
            self.add_chat(chat_id, "private")
        chat = self._known_chat(chat_id)
        if chat.type != "private":
            raise ValueError("block_bot is for private chats; use set_member for groups")
        self._members.setdefault(chat_id, {})[self.bot_id] = _Member("kicked")

    def unblock_bot(self, chat_id: int) -> None:
        """The user of a private chat unblocked the bot."""
        self._known_chat(chat_id)
        self._members.setdefault(chat_id, {})[self.bot_id] = _Member("member")

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Upgrade a group to a supergroup with a new id."""
        old = self._known_chat(old_id)
        if old.type != "group":
            raise ValueError(f"only a group can be upgraded; chat {old_id} is a {old.type}")
        if new_id in self._chats:
            raise ValueError(f"chat {new_id} already exists")
        self.add_chat(new_id, "supergroup", title=old.title, username=old.username)
        old.username = None
        old.migrated_to = new_id
        self._members[new_id] = {
            uid: _Member(m.status, dict(m.rights))
            for uid, m in self._members.get(old_id, {}).items()
        }

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for a scope and language (what getMyCommands answers)."""
        return list(
            self._commands.get((self._scope_key(scope or {"type": "default"}), language_code), [])
        )

    # -- updates ------------------------------------------------------------------------------

    def message_update(
        self, chat_id: int, user_id: int, text: str, *, language_code: str | None = None
    ) -> JSON:
        """A user writes text in a chat; the update is queued and returned."""
        if chat_id not in self._chats and chat_id > 0:
            self.add_chat(chat_id, "private", language_code=language_code)
        chat = self._known_chat(chat_id)
        if chat.type == "channel":
            raise AssertionError("channels have no users' messages: use channel_post_update")
        if chat.type == "private" and user_id != chat_id:
            raise AssertionError(f"in private chat {chat_id} only user {chat_id} can write")
        if chat.migrated_to is not None:
            raise AssertionError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        if user_id == self.bot_id:
            raise AssertionError("the bot does not send itself updates")
        members = self._members.setdefault(chat_id, {})
        if user_id not in members or members[user_id].status in ("left", "kicked"):
            members[user_id] = _Member("member")
        message: JSON = {
            "message_id": self._take_message_id(chat),
            "from": self._user_json(user_id, language_code),
            "chat": self._chat_json(chat),
            "date": int(time.time()),
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?", text)
        if command is not None:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}
            ]
        self._user_messages[(chat_id, message["message_id"])] = message
        return self._new_update("message", message)

    def photo_update(
        self,
        chat_id: int,
        user_id: int,
        caption: str = "",
        *,
        file_id: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """A user sends a photo (with a caption) in a chat; the update is queued and returned.

        The photo's file_id (``file_id``, or a new one) is known to the stand-in from then on,
        so the bot may send it again; as on Telegram, a command in a caption is a
        ``caption_entities`` bot_command (PTB's CommandHandler reads only texts).
        """
        update = self.message_update(chat_id, user_id, caption, language_code=language_code)
        message: JSON = update["message"]
        del message["text"]
        entities = message.pop("entities", None)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        file_id = file_id or self._new_file_id()
        self._file_ids.add(file_id)
        message["photo"] = self._photo_sizes(file_id)
        return update

    def channel_post_update(self, chat_id: int, text: str) -> JSON:
        """A post appears in a channel; the update is queued and returned."""
        chat = self._known_chat(chat_id)
        if chat.type != "channel":
            raise AssertionError(f"chat {chat_id} is a {chat.type}, not a channel")
        chat_json = self._chat_json(chat)
        message: JSON = {
            "message_id": self._take_message_id(chat),
            "sender_chat": chat_json,
            "chat": chat_json,
            "date": int(time.time()),
            "text": text,
        }
        self._user_messages[(chat_id, message["message_id"])] = message
        return self._new_update("channel_post", message)

    def inline_query_update(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str | None = "sender",
        language_code: str | None = None,
    ) -> JSON:
        """A user types ``@bot query`` in a chat (``offset``: scrolled to the next page)."""
        query_id = str(5_000_000_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._inline_queries[query_id] = False
        inline: JSON = {
            "id": query_id,
            "from": self._user_json(user_id, language_code),
            "query": query,
            "offset": offset,
        }
        if chat_type is not None:
            inline["chat_type"] = chat_type
        return self._new_update("inline_query", inline)

    def chosen_inline_result_update(
        self, user_id: int, result_id: str, query: str = "", *, language_code: str | None = None
    ) -> JSON:
        """A user picked one of the bot's inline results (sent when inline feedback is on)."""
        chosen: JSON = {
            "result_id": result_id,
            "from": self._user_json(user_id, language_code),
            "query": query,
        }
        return self._new_update("chosen_inline_result", chosen)

    def callback_update(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = None,
    ) -> JSON:
        """A user presses an inline button of a message the bot sent."""
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            known = sorted(mid for (cid, mid) in self._messages if cid == chat_id)
            raise AssertionError(
                f"the bot sent no message {message_id} to chat {chat_id}; it sent {known}"
            )
        query_id = str(4_000_000_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._callbacks[query_id] = False
        query: JSON = {
            "id": query_id,
            "from": self._user_json(user_id, language_code),
            "message": self._message_json(stored),
            "chat_instance": str(abs(chat_id) * 7919 % 10**15 + 10**15),
            "data": data,
        }
        return self._new_update("callback_query", query)

    def my_chat_member_update(
        self, chat_id: int, by_user_id: int, old_status: str, new_status: str, **rights: bool
    ) -> JSON:
        """The bot's status in a chat changed; the world follows and the update is returned."""
        if chat_id not in self._chats and chat_id > 0:
            self.add_chat(chat_id, "private")
        chat = self._known_chat(chat_id)
        if old_status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {old_status!r}")
        old = self._member_json(chat, self.bot_id, _Member(old_status))
        self.set_member(chat_id, self.bot_id, new_status, **rights)
        new = self._member_json(chat, self.bot_id, self._member(chat_id, self.bot_id))
        change: JSON = {
            "chat": self._chat_json(chat),
            "from": self._user_json(by_user_id, None),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self._new_update("my_chat_member", change)

    def queue_update(self, update: JSON) -> None:
        """Make an update available to getUpdates (queuing the same update twice is a no-op)."""
        update_id = update.get("update_id")
        if not isinstance(update_id, int):
            update = {"update_id": self._next_update_id, **update}
            update_id = self._next_update_id
        self._next_update_id = max(self._next_update_id, update_id + 1)
        if update_id in self._queued_ids:
            return
        self._queued_ids.add(update_id)
        self._pending.append(update)
        self._pending.sort(key=lambda u: int(u["update_id"]))
        self._updates_changed.set()

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by getUpdates."""
        return list(self._pending)

    # -- what the bot did ---------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages accepted for one chat, in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def last(self, chat_id: int) -> SentMessage:
        """The last message accepted for a chat; AssertionError when there is none."""
        found = self.messages(chat_id)
        if found:
            return found[-1]
        refused = [
            f"{r.method} -> {r.status} {r.error}"
            for r in self.requests
            if r.status != 200 and self._lenient_chat_id(r.params.get("chat_id")) == chat_id
        ]
        other = sorted({m.chat_id for m in self.sent})
        raise AssertionError(
            f"no message was sent to chat {chat_id}; refused requests for it: "
            f"{refused or 'none'}; chats that got messages: {other or 'none'}"
        )

    def clear(self) -> None:
        """Forget what the bot did (sent, requests, callback answers, throttled), not the world."""
        self.sent.clear()
        self.requests.clear()
        self.callback_answers.clear()
        self.throttled = 0

    # -- faults and limits --------------------------------------------------------------------

    def inject(
        self, method: str, fault: Fault, *, chat_id: int | None = None, times: int | None = 1
    ) -> None:
        """Answer the next `times` calls of method (to chat_id, if given) with a fault."""
        if method.lower() not in self._handlers:
            raise ValueError(f"the stand-in does not implement {method!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        self._injections.append(_Injection(method.lower(), fault, chat_id, times))

    def enforce_limits(
        self,
        *,
        private_per_second: float = 1.0,
        group_per_minute: int = 20,
        overall_per_second: int = 30,
    ) -> None:
        """Answer 429 as Telegram does for sendMessage/editMessageText floods."""
        if private_per_second <= 0 or group_per_minute < 1 or overall_per_second < 1:
            raise ValueError("limits must be positive")
        window = max(1.0, 1.0 / private_per_second)
        self._limits = _Limits(
            private_count=max(1, math.floor(private_per_second * window)),
            private_window=window,
            group_count=group_per_minute,
            overall_count=overall_per_second,
        )
        self._chat_hits.clear()
        self._all_hits.clear()

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        from aiohttp import web

        status, body, record = await self._answer(
            request.match_info["method"],
            request.match_info["token"],
            lambda: self._read_params(request),
        )
        transport = request.transport
        record.status = 499 if transport is None or transport.is_closing() else status
        return web.json_response(body, status=status)

    async def call(self, method: str, params: JSON, token: str | None = None) -> tuple[int, JSON]:
        """Answer one Bot API call in-process, as over HTTP: the status and the JSON body.

        ``params`` as a form carries them (strings, objects JSON-encoded) or already decoded;
        ``token`` defaults to the stand-in's own.
        """

        async def read() -> JSON:
            return {
                key: _decode_form_value(key, value) if isinstance(value, str) else value
                for key, value in params.items()
            }

        status, body, record = await self._answer(
            method, self.token if token is None else token, read
        )
        record.status = status
        return status, body

    async def _answer(
        self, name: str, token: str, read_params: Callable[[], Awaitable[JSON]]
    ) -> tuple[int, JSON, Request]:
        """One call, whatever carried it: (status, body, the recorded request)."""
        entry = self._handlers.get(name.lower())
        record = Request(entry[0] if entry else name, {})
        self.requests.append(record)
        try:
            params_error: ApiError | None = None
            try:
                record.params = await read_params()
            except ApiError as exc:
                params_error = exc
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if entry is None:
                raise ApiError(404, "Not Found")
            if params_error is not None:
                raise params_error
            result = await self._run(entry[0].lower(), entry[1], record.params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.code, exc.body()
            record.error = exc.description
            if exc.code == 429:
                self.throttled += 1
        except Exception as exc:  # a bug in the stand-in: answer it visibly, as a 500
            status = 500
            record.error = f"Internal Server Error: stand-in failed with {exc!r}"
            body = ApiError(status, record.error).body()
        return status, body, record

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = {}
        for key, value in request.query.items():
            params[key] = _decode_form_value(key, value)
        if request.method != "POST" or not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                data = await request.json()
            except ValueError:
                raise _bad("can't parse JSON request body") from None
            if not isinstance(data, dict):
                raise _bad("JSON request body must be an object")
            for key, value in data.items():
                params[key] = _decode_json_value(key, value)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, item in form.items():
                if isinstance(item, str):
                    params[key] = _decode_form_value(key, item)
                elif isinstance(item, bytes | bytearray):
                    params[key] = _decode_form_value(key, item.decode("utf-8", "replace"))
                else:
                    params[key] = Upload(item.filename, item.file.read(), item.content_type)
        return params

    async def _run(self, method: str, handler: Handler, params: JSON) -> Any:
        fault = self._take_fault(method, params)
        if fault is None:
            return await handler(params)
        if fault.kind == "latency":
            await self._sleep(fault.seconds)
            return await handler(params)
        if fault.kind == "timeout_after_store":
            try:
                result = await handler(params)
            finally:
                await self._sleep(fault.seconds)
            return result
        raise fault.error()

    def _take_fault(self, method: str, params: JSON) -> Fault | None:
        for injection in self._injections:
            if injection.method != method:
                continue
            if injection.chat_id is not None and (
                self._lenient_chat_id(params.get("chat_id")) != injection.chat_id
            ):
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
            return injection.fault
        return None

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # -- methods ------------------------------------------------------------------------------

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:  # as Telegram: no polling while a webhook is set
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = _as_int(params.get("offset"))
        limit = _as_int(params.get("limit")) or 100
        limit = min(max(limit, 1), 100)
        raw_timeout = params.get("timeout", 0)
        timeout = float(raw_timeout) if isinstance(raw_timeout, int | float) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_changed.set()  # an older long poll ends with 409, as on Telegram
        if offset is not None:
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0.0)
        while True:
            if self._poll_generation != generation:
                raise ApiError(409, CONFLICT)
            self._pending = [u for u in self._pending if self._update_allowed(u)]
            if self._pending:
                return self._pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return []
            self._updates_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_changed.wait(), remaining)

    async def _set_webhook(self, params: JSON) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            return await self._delete_webhook(params)
        if not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        self.webhook_url = url
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook_url = ""
        if _as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        clean: list[JSON] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = self._commands_key(params)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _send_message(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_write(chat)
        parsed = self._parse_text(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=False)
        self._check_reply(chat, params)
        link_preview = params.get("link_preview_options")
        if link_preview is not None and not isinstance(link_preview, dict):
            raise _bad("can't parse link preview options JSON object")
        self._check_limits(chat.id)
        return self._store_sent(chat, params, parsed, markup, link_preview_options=link_preview)

    def _store_sent(
        self,
        chat: _Chat,
        params: JSON,
        parsed: tuple[str, str, list[JSON], str | None],
        markup: JSON | None,
        **extra: Any,
    ) -> JSON:
        """Record a message the bot sent (text, or a photo with ``extra``) and answer it."""
        raw, text, entities, mode = parsed
        message = SentMessage(
            chat_id=chat.id,
            message_id=self._take_message_id(chat),
            text=text,
            raw=raw,
            parse_mode=mode,
            entities=entities,
            reply_markup=markup,
            date=int(time.time()),
            message_thread_id=_as_int(params.get("message_thread_id")),
            disable_notification=_as_bool(params.get("disable_notification", False)),
            protect_content=_as_bool(params.get("protect_content", False)),
            **extra,
        )
        self._record_hit(chat.id)
        self._messages[(chat.id, message.message_id)] = message
        self.sent.append(message)
        return self._message_json(message)

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._message_to_edit(params)
        if message.photo is not None:
            raise _bad("there is no text in the message to edit")
        return self._edit(message, params, self._parse_text(params))

    def _edit(
        self, message: SentMessage, params: JSON, parsed: tuple[str, str, list[JSON], str | None]
    ) -> JSON:
        """Replace a message's text (or caption) and keyboard, as Telegram's edits do."""
        raw, text, entities, mode = parsed
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        if (
            text == message.text
            and entities == message.entities
            and markup == message.reply_markup
        ):
            raise _bad(NOT_MODIFIED)
        self._check_limits(message.chat_id)
        self._record_hit(message.chat_id)
        message.raw, message.text, message.entities = raw, text, entities
        message.parse_mode, message.reply_markup = mode, markup
        message.edits += 1
        message.edit_date = int(time.time())
        return self._message_json(message)

    async def _send_photo(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_write(chat)
        file_id, url, upload = self._photo_input(params.get("photo"))
        parsed = self._parse_caption(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=False)
        self._check_reply(chat, params)
        self._check_limits(chat.id)
        self._file_ids.add(file_id)
        return self._store_sent(
            chat, params, parsed, markup, photo=file_id, photo_url=url, photo_upload=upload
        )

    async def _edit_message_caption(self, params: JSON) -> JSON:
        message = self._message_to_edit(params)
        if message.photo is None:
            raise _bad("there is no caption in the message to edit")
        return self._edit(message, params, self._parse_caption(params))

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._message_to_edit(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        if markup == message.reply_markup:
            raise _bad(NOT_MODIFIED)
        message.reply_markup = markup
        message.edits += 1
        message.edit_date = int(time.time())
        return self._message_json(message)

    async def _delete_message(self, params: JSON) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = _as_int(params.get("message_id"))
        key = (chat.id, message_id if message_id is not None else 0)
        self._check_reachable(chat)
        if key in self._messages:  # the bot's own message
            # As on Telegram, only within 48 hours of sending (a test ages it through .date).
            if time.time() - self._messages[key].date >= DELETE_WITHIN_SECONDS:
                raise _bad("message can't be deleted")
            del self._messages[key]
        elif key in self._user_messages:
            if chat.type != "private":
                bot = self._member(chat.id, self.bot_id)
                if bot.status != "creator" and not (
                    bot.status == "administrator" and bot.rights.get("can_delete_messages", False)
                ):
                    raise _bad("message can't be deleted")
            del self._user_messages[key]
        else:
            raise _bad("message to delete not found")
        self.deleted.append(key)
        return True

    async def _pin_chat_message(self, params: JSON) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_write(chat)
        message_id = _as_int(params.get("message_id"))
        if message_id is None or (chat.id, message_id) not in self._messages:
            raise _bad("message to pin not found")
        if chat.type != "private":
            bot = self._member(chat.id, self.bot_id)
            right = "can_edit_messages" if chat.type == "channel" else "can_pin_messages"
            if bot.status != "creator" and not (
                bot.status == "administrator" and bot.rights.get(right, False)
            ):
                raise _bad("not enough rights to manage pinned messages in the chat")
        self.pinned[chat.id] = message_id
        return True

    async def _answer_inline_query(self, params: JSON) -> bool:
        """Refuses what Telegram refuses: an unknown or answered query, over 50 results,
        result ids empty, over 64 bytes or repeated, an article without a title, a message
        text empty, over 4096 or bad HTML, a next_offset over 64 bytes, a bad start button."""
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self._inline_queries:
            raise _bad("QUERY_ID_INVALID")
        if self._inline_queries[query_id]:
            raise _bad(CALLBACK_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            _check_inline_result(result, seen, self._parse_text)
        offset = params.get("next_offset", "")
        if not isinstance(offset, str) or len(offset.encode("utf-8")) > MAX_INLINE_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        cache_time = params.get("cache_time")
        if cache_time is not None and (_as_int(cache_time) is None or int(cache_time) < 0):
            raise _bad("can't parse cache_time")
        button = params.get("button")
        if button is not None:
            start = button.get("start_parameter") if isinstance(button, dict) else None
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise _bad("can't parse inline query results button JSON object")
            if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(start)):
                raise _bad("START_PARAM_INVALID")
        self._inline_queries[query_id] = True
        self.inline_answers.append(
            {
                "inline_query_id": query_id,
                "results": results,
                "next_offset": offset,
                "cache_time": _as_int(cache_time),
                "is_personal": _as_bool(params.get("is_personal", False)),
                "button": button,
            }
        )
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = params.get("callback_query_id")
        if not isinstance(query_id, str) or self._callbacks.get(query_id, True):
            raise _bad(CALLBACK_TOO_OLD)
        text = params.get("text")
        if text is not None:
            if not isinstance(text, str):
                raise _bad("can't parse text")
            if len(text) > MAX_CALLBACK_ANSWER:
                raise _bad("MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": _as_bool(params.get("show_alert", False)),
                "url": params.get("url"),
                "cache_time": _as_int(params.get("cache_time")),
            }
        )
        return True

    async def _get_chat(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.migrated_to is not None:
            raise _migrated(chat.migrated_to)
        return {
            **self._chat_json(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.migrated_to is not None:
            raise _migrated(chat.migrated_to)
        user_id = _as_int(params.get("user_id"))
        if user_id is None:
            raise _bad("invalid user_id specified")
        if chat.type == "channel" and user_id != self.bot_id and not self._bot_is_admin(chat):
            raise _bad("member list is inaccessible")
        return self._member_json(chat, user_id, self._member(chat.id, user_id))

    async def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.migrated_to is not None:
            raise _migrated(chat.migrated_to)
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        if chat.type == "channel" and not self._bot_is_admin(chat):
            raise _bad("member list is inaccessible")
        return [
            self._member_json(chat, user_id, member)
            for user_id, member in self._members.get(chat.id, {}).items()
            if member.status in ("creator", "administrator")
        ]

    async def _close(self, params: JSON) -> bool:
        return True

    # -- helpers ------------------------------------------------------------------------------

    def _known_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise AssertionError(
                f"chat {chat_id} is unknown to the stand-in: call add_chat({chat_id}, ...) first"
            )
        return chat

    def _lenient_chat_id(self, value: Any) -> int | None:
        number = _as_int(value)
        if number is not None:
            return number
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.username and chat.username.lower() == value[1:].lower():
                    return chat.id
        return None

    def _resolve_chat(self, value: Any) -> _Chat:
        if value is None or value == "":
            raise _bad("chat_id is empty")
        if isinstance(value, str) and value.strip().startswith("@"):
            wanted = value.strip()[1:].lower()
            for candidate in self._chats.values():
                if candidate.type != "private" and (candidate.username or "").lower() == wanted:
                    return candidate
            raise _bad("chat not found")
        chat_id = _as_int(value)
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _member(self, chat_id: int, user_id: int) -> _Member:
        member = self._members.get(chat_id, {}).get(user_id)
        return member if member is not None else _Member("left")

    def _bot_is_admin(self, chat: _Chat) -> bool:
        return self._member(chat.id, self.bot_id).status in ("creator", "administrator")

    def _check_reachable(self, chat: _Chat) -> None:
        """What any method on a chat meets first: a group that was upgraded, a user who
        blocked the bot, a group or channel that removed it."""
        if chat.migrated_to is not None:
            raise _migrated(chat.migrated_to)
        bot = self._member(chat.id, self.bot_id)
        if chat.type == "private":
            if bot.status == "kicked":
                raise _forbidden("bot was blocked by the user")
            return
        if bot.status == "kicked":
            raise _forbidden(f"bot was kicked from the {chat.type} chat")
        if bot.status == "left":
            raise _forbidden(f"bot is not a member of the {chat.type} chat")

    def _check_can_write(self, chat: _Chat) -> None:
        self._check_reachable(chat)
        if chat.type == "private":
            return
        bot = self._member(chat.id, self.bot_id)
        if chat.type == "channel":
            if bot.status == "creator" or (
                bot.status == "administrator" and bot.rights.get("can_post_messages", False)
            ):
                return
            raise _bad("need administrator rights in the channel chat")
        if bot.status == "restricted" and not bot.rights.get("can_send_messages", False):
            raise _bad("not enough rights to send text messages to the chat")

    def _check_reply(self, chat: _Chat, params: JSON) -> None:
        reply = params.get("reply_parameters")
        target: int | None = None
        allow_missing = _as_bool(params.get("allow_sending_without_reply", False))
        if reply is not None:
            if not isinstance(reply, dict) or _as_int(reply.get("message_id")) is None:
                raise _bad("can't parse reply parameters JSON object")
            target = _as_int(reply["message_id"])
            allow_missing = allow_missing or _as_bool(
                reply.get("allow_sending_without_reply", False)
            )
            if reply.get("chat_id") is not None:
                chat = self._resolve_chat(reply["chat_id"])
        elif params.get("reply_to_message_id") is not None:
            target = _as_int(params["reply_to_message_id"])
        if target is None or allow_missing:
            return
        if (chat.id, target) not in self._messages and (
            chat.id,
            target,
        ) not in self._user_messages:
            raise _bad("message to be replied not found")

    def _parse_text(self, params: JSON) -> tuple[str, str, list[JSON], str | None]:
        """Return raw text, parsed text, entities and parse mode; refuse what Telegram does."""
        raw = params.get("text")
        if raw is None:
            raise _bad("message text is empty")
        if not isinstance(raw, str):
            raw = json.dumps(raw) if isinstance(raw, dict | list) else str(raw)
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad("text must be encoded in UTF-8") from None
        mode = params.get("parse_mode")
        if mode is not None and not isinstance(mode, str):
            raise _bad("unsupported parse_mode")
        mode = mode or None
        if params.get("entities") is not None:
            text, entities = raw, _check_entities(params["entities"], raw)
        elif mode is None:
            text, entities = raw, []
        elif mode.lower() == "html":
            try:
                text, entities = parse_html(raw)
            except _ParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif mode.lower() in ("markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {mode!r}: the stand-in implements only HTML")
        else:
            raise _bad("unsupported parse_mode")
        text, entities = _trim(text, entities)
        if not text:
            raise _bad("message text is empty")
        if utf16_len(text) > MAX_TEXT_UTF16:
            raise _bad("message is too long")
        return raw, text, entities, mode

    def _parse_caption(self, params: JSON) -> tuple[str, str, list[JSON], str | None]:
        """A photo's caption as ``_parse_text`` parses a text: empty is allowed (no caption),
        and the limit is 1,024 UTF-16 units after entity parsing."""
        raw = params.get("caption")
        mode = params.get("parse_mode") or None
        if raw is None or raw == "":
            return "", "", [], mode if isinstance(mode, str) else None
        as_text: JSON = {"text": raw, "parse_mode": params.get("parse_mode")}
        if params.get("caption_entities") is not None:
            as_text["entities"] = params["caption_entities"]
        try:
            raw, text, entities, mode = self._parse_text(as_text)
        except ApiError as exc:
            if exc.description.endswith("message text is empty"):  # only blanks: no caption
                return str(raw), "", [], mode if isinstance(mode, str) else None
            if exc.description.endswith("message is too long"):
                raise _bad("message caption is too long") from None
            raise
        if utf16_len(text) > MAX_CAPTION_UTF16:
            raise _bad("message caption is too long")
        return raw, text, entities, mode

    def _photo_input(self, value: Any) -> tuple[str, str | None, bytes | None]:
        """The ``photo`` of a sendPhoto: (its file_id, the URL it came by, the bytes uploaded).

        A file_id must be one Telegram knows; a URL must be http(s) and reachable
        (``unreachable_urls``); an upload must be an image.
        """
        if value is None or value == "":
            raise _bad("there is no photo in the request")
        if isinstance(value, Upload):
            if not value.data.startswith(_IMAGE_MAGIC):
                raise _bad("IMAGE_PROCESS_FAILED")
            return self._new_file_id(), None, value.data
        if _is_upload(value):  # in-process: the transport keeps no bytes
            return self._new_file_id(), None, b""
        if not isinstance(value, str):
            raise _bad("wrong file identifier/HTTP URL specified")
        if urlsplit(value).scheme.lower() in ("http", "https"):
            if value in self.unreachable_urls:
                raise _bad("failed to get HTTP URL content")
            return self._new_file_id(), value, None
        if value not in self._file_ids:
            raise _bad("wrong file identifier/HTTP URL specified")
        return value, None, None

    def _new_file_id(self) -> str:
        file_id = f"AgACAgIAAxkBAAI{self._next_file:08d}"
        self._next_file += 1
        return file_id

    def _photo_sizes(self, file_id: str) -> list[JSON]:
        return [
            {
                "file_id": file_id,
                "file_unique_id": "AQAD" + file_id[-8:],
                "width": 1280,
                "height": 720,
                "file_size": 65536,
            }
        ]

    def _message_to_edit(self, params: JSON) -> SentMessage:
        if params.get("inline_message_id") is not None:
            raise _bad("MESSAGE_ID_INVALID (the stand-in has no inline messages)")
        chat = self._resolve_chat(params.get("chat_id"))
        self._check_can_write(chat)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            if (chat.id, message_id) in self._user_messages:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return message

    def _check_limits(self, chat_id: int) -> None:
        limits = self._limits
        if limits is None:
            return
        now = time.monotonic()
        if chat_id > 0:
            count, window = limits.private_count, limits.private_window
        else:
            count, window = limits.group_count, 60.0
        waits: list[float] = []
        hits = self._chat_hits.setdefault(chat_id, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= count:
            waits.append(hits[len(hits) - count] + window - now)
        while self._all_hits and self._all_hits[0] <= now - 1.0:
            self._all_hits.popleft()
        if len(self._all_hits) >= limits.overall_count:
            waits.append(self._all_hits[len(self._all_hits) - limits.overall_count] + 1.0 - now)
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )

    def _record_hit(self, chat_id: int) -> None:
        if self._limits is None:
            return
        now = time.monotonic()
        self._chat_hits.setdefault(chat_id, deque()).append(now)
        self._all_hits.append(now)

    def _update_allowed(self, update: JSON) -> bool:
        kinds = [key for key in update if key != "update_id"]
        kind = kinds[0] if kinds else ""
        if self._allowed_updates is None:
            return kind not in NOT_DEFAULT_UPDATES
        return kind in self._allowed_updates

    def _new_update(self, kind: str, payload: JSON) -> JSON:
        update: JSON = {"update_id": self._next_update_id, kind: payload}
        self.queue_update(update)
        return update

    def _take_message_id(self, chat: _Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def _default_user(self, user_id: int) -> JSON:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _user_json(self, user_id: int, language_code: str | None) -> JSON:
        if user_id == self.bot_id:
            return self._bot_user()
        user = self._users.setdefault(user_id, self._default_user(user_id))
        if language_code is not None:
            user["language_code"] = language_code
        return dict(user)

    def _chat_json(self, chat: _Chat) -> JSON:
        data: JSON = {"id": chat.id, "type": chat.type}
        if chat.type == "private":
            user = self._users.get(chat.id, self._default_user(chat.id))
            data["first_name"] = chat.first_name or user["first_name"]
        else:
            data["title"] = chat.title or f"Test {chat.type} {abs(chat.id)}"
        if chat.username:
            data["username"] = chat.username
        return data

    def _message_json(self, message: SentMessage) -> JSON:
        chat = self._chats[message.chat_id]
        chat_json = self._chat_json(chat)
        data: JSON = {"message_id": message.message_id}
        if chat.type == "channel":
            data["sender_chat"] = chat_json
        else:
            data["from"] = self._bot_user()
        data.update({"chat": chat_json, "date": message.date})
        if message.photo is None:
            data["text"] = message.text
        else:
            data["photo"] = self._photo_sizes(message.photo)
            if message.text:
                data["caption"] = message.text
        if message.message_thread_id is not None:
            data["message_thread_id"] = message.message_thread_id
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.entities:
            key = "entities" if message.photo is None else "caption_entities"
            data[key] = [dict(e) for e in message.entities]
        if message.link_preview_options is not None:
            data["link_preview_options"] = dict(message.link_preview_options)
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        return data

    def _member_json(self, chat: _Chat, user_id: int, member: _Member) -> JSON:
        data: JSON = {"user": self._user_json(user_id, None), "status": member.status}
        rights = member.rights
        if member.status == "creator":
            data["is_anonymous"] = rights.get("is_anonymous", False)
        elif member.status == "administrator":
            names: tuple[str, ...] = ADMIN_RIGHTS
            if chat.type == "channel":
                names += CHANNEL_ADMIN_RIGHTS
            elif chat.type == "supergroup":
                names += SUPERGROUP_ADMIN_RIGHTS
            elif chat.type == "group":
                names += GROUP_ADMIN_RIGHTS
            data.update({name: rights.get(name, False) for name in names})
            data.update(rights)
        elif member.status == "restricted":
            data["is_member"] = rights.get("is_member", True)
            data.update({name: rights.get(name, False) for name in RESTRICTED_RIGHTS})
            data["until_date"] = 0
        elif member.status == "kicked":
            data["until_date"] = 0
        return data

    def _scope_key(self, scope: Any) -> str:
        if not isinstance(scope, dict) or scope.get("type") not in (
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        ):
            raise _bad("can't parse BotCommandScope JSON object")
        key: JSON = {"type": scope["type"]}
        if scope["type"] in ("chat", "chat_administrators", "chat_member"):
            key["chat_id"] = self._resolve_chat(scope.get("chat_id")).id
        if scope["type"] == "chat_member":
            user_id = _as_int(scope.get("user_id"))
            if user_id is None:
                raise _bad("invalid user_id specified")
            key["user_id"] = user_id
        return json.dumps(key, sort_keys=True)

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        if not isinstance(language, str) or not re.fullmatch(r"(?:[a-z]{2})?", language):
            raise _bad("invalid language code specified")
        return self._scope_key(scope), language


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Poll predicate every 10 ms until it holds; AssertionError after timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            name = getattr(predicate, "__qualname__", repr(predicate))
            raise AssertionError(f"condition {name} did not hold within {timeout} s")
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------------------------
# In-process transport

#: Called after each in-process call: (method, params as sent, status, JSON body).
Observer = Callable[[str, JSON, int, JSON], None]


class InProcessRequest(BaseRequest):
    """python-telegram-bot's transport to a FakeTelegram in the same process: no sockets.

    Each request goes to ``FakeTelegram.call`` with its parameters as a form would carry them
    (uploaded files become ``Upload``s with their bytes), and PTB reads the answer as it reads
    Telegram's.
    """

    def __init__(self, telegram: FakeTelegram, observer: Observer | None = None) -> None:
        self.telegram = telegram
        self.observer = observer
        #: Calls answered so far and calls not yet answered (the console waits for quiet).
        self.answered = 0
        self.in_flight = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        # ".../bot<TOKEN>/<method>", whatever the base URL before the token.
        prefix, _, name = url.rpartition("/")
        token = self.telegram.token if prefix.endswith(self.telegram.token) else prefix
        params: JSON = {}
        if request_data is not None:
            params.update(request_data.json_parameters)
            if request_data.contains_files:
                for key, (filename, content, mimetype) in request_data.multipart_data.items():
                    data = content if isinstance(content, bytes) else content.read()
                    params.setdefault(key, Upload(filename or key, data, mimetype))
        self.in_flight += 1
        try:
            status, body = await self.telegram.call(name, params, token)
        finally:
            self.in_flight -= 1
            self.answered += 1
        if self.observer is not None:
            self.observer(name, params, status, body)
        return status, json.dumps(body).encode()

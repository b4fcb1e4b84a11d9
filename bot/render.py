"""Every message the bot sends is built here: escaping, Telegram's limits, keyboards, direction.

Telegram counts a text's length after entity parsing, in UTF-16 code units, so lengths are
measured on the visible (plain) text while the HTML is assembled beside it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot import callbacks
from bot.strings import CHAT_LOST_REASONS, FEED_ERRORS, MONTHS, PLURALS, STRINGS, Lang
from storage.articles import Article, parse_published_at
from storage.audit import Entry as AuditEntry
from storage.deliveries import ArticleReport
from storage.feeds import Feed
from storage.importers import RecordError
from storage.search import SearchResult

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
#: Room kept free in every part for the "(i/n)" label and separators.
_SAFETY = 32
#: A pushed article shows its opening up to this many characters.
LEAD_CHARS = 700
#: Inline button labels are cut here (Telegram shows little more on a phone).
BUTTON_CHARS = 48


@dataclass(frozen=True)
class Message:
    """One message: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def esc(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def t(lang: Lang, key: str, **fields: object) -> str:
    """A sentence from ``bot.strings`` with every field escaped."""
    return STRINGS[key][lang].format(**{k: esc(str(v)) for k, v in fields.items()})


def tn(lang: Lang, key: str, n: int, **fields: object) -> str:
    """A sentence stating the count ``n``, in the plural form CLDR gives ``lang`` for ``n``."""
    forms = PLURALS[key][lang]
    form = forms.get(_plural_category(lang, n)) or forms["other"]
    return form.format(n=n, **{k: esc(str(v)) for k, v in fields.items()})


@functools.cache
def _locale(lang: Lang) -> Locale:
    return Locale.parse(lang)


def _plural_category(lang: Lang, n: int) -> str:
    return str(_locale(lang).plural_form(abs(n)))


def _cut(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters on a word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ،,.؛:") + "…"


# --- splitting long text ---------------------------------------------------------------

# From the coarsest to the finest: sentence ends (Arabic ones included), clause marks, spaces.
_SPLITTERS = (
    re.compile(r"(?<=[.!?؟؛…])\s+"),
    re.compile(r"(?<=[،,:])\s+"),
    re.compile(r"\s+"),
)


def _hard_cut(text: str, budget: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for ch in text:
        if utf16_len(current + ch) > budget:
            parts.append(current)
            current = ""
        current += ch
    if current:
        parts.append(current)
    return parts


def _pack(pieces: Iterable[str], budget: int, sep: str) -> list[str]:
    """Join pieces greedily with ``sep`` into chunks of at most ``budget`` UTF-16 units."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if not piece:
            continue
        candidate = f"{current}{sep}{piece}" if current else piece
        if utf16_len(candidate) <= budget:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def split_to_fit(text: str, budget: int, level: int = 0) -> list[str]:
    """Split one paragraph into pieces of at most ``budget`` UTF-16 units, at the best break."""
    if utf16_len(text) <= budget:
        return [text]
    if level >= len(_SPLITTERS):
        return _hard_cut(text, budget)
    pieces = _SPLITTERS[level].split(text)
    if len(pieces) == 1:
        return split_to_fit(text, budget, level + 1)
    finer = (sub for piece in pieces for sub in split_to_fit(piece, budget, level + 1))
    return _pack(finer, budget, " ")


def split_paragraphs(paragraphs: Sequence[str], budget: int, sep: str = "\n\n") -> list[str]:
    """Pack paragraphs into chunks of at most ``budget`` units, splitting only oversized ones."""
    return _pack((piece for p in paragraphs for piece in split_to_fit(p, budget)), budget, sep)


# --- pieces of an article -----------------------------------------------------------------


def format_date(value: str | None, lang: Lang, tz: tzinfo | None = None) -> str | None:
    """``18 فبراير 2018، 21:35`` in ``tz`` (else the article's own offset); None when unknown."""
    if not value:
        return None
    try:
        d: datetime = parse_published_at(value)
    except ValueError:
        return None
    if tz is not None:
        d = d.astimezone(tz)
    month = MONTHS[lang][d.month - 1]
    sep = "، " if lang == "ar" else ", "
    return f"{d.day} {month} {d.year}{sep}{d:%H:%M}"


def _meta(article: Article, lang: Lang, tz: tzinfo | None) -> str:
    """Date and source on one line (plain text)."""
    bits = [b for b in (format_date(article.published_at, lang, tz), article.source) if b]
    return "🗓 " + " · ".join(bits) if bits else ""


def _paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in body.split("\n") if p.strip()]


def deep_link(bot_username: str, article_id: int) -> str:
    """A t.me link that opens the article in a private chat with the bot (``/start a<id>``)."""
    return f"https://t.me/{bot_username}?start=a{article_id:d}"


def nav_keyboard(
    lang: Lang, prev_id: int | None, next_id: int | None, url: str | None = None
) -> InlineKeyboardMarkup | None:
    """Previous / Next as on the site. In Arabic, Previous sits on the right (reading order)."""
    row: list[InlineKeyboardButton] = []
    if prev_id is not None:
        row.append(
            InlineKeyboardButton(
                STRINGS["btn_prev"][lang],
                callback_data=callbacks.encode(callbacks.OpenArticle(prev_id)),
            )
        )
    if next_id is not None:
        row.append(
            InlineKeyboardButton(
                STRINGS["btn_next"][lang],
                callback_data=callbacks.encode(callbacks.OpenArticle(next_id)),
            )
        )
    if lang == "ar":
        row.reverse()
    return InlineKeyboardMarkup([row]) if row else None


def article_messages(
    article: Article,
    lang: Lang,
    prev_id: int | None,
    next_id: int | None,
    tz: tzinfo | None = None,
) -> list[Message]:
    """The whole article, split over as many messages as it needs; buttons on the last one."""
    meta = _meta(article, lang, tz)
    head_plain = article.title + ("\n" + meta if meta else "")
    head_html = f"<b>{esc(article.title)}</b>" + ("\n" + esc(meta) if meta else "")
    link_label = STRINGS["link"][lang]
    foot_plain = f"🔗 {link_label}" if article.url else ""
    foot_html = f'🔗 <a href="{esc(article.url)}">{esc(link_label)}</a>' if article.url else ""
    budget = MAX_TEXT - utf16_len(head_plain) - utf16_len(foot_plain) - _SAFETY
    chunks = split_paragraphs(_paragraphs(article.body), max(budget, 200))
    if not chunks:
        chunks = [""]
    n = len(chunks)
    out: list[Message] = []
    for i, chunk in enumerate(chunks, start=1):
        parts = [head_html] if i == 1 else []
        if n > 1 and i > 1:
            parts.append(esc(STRINGS["part"][lang].format(i=i, n=n)))
        if chunk:
            parts.append(esc(chunk))
        if i == n and foot_html:
            parts.append(foot_html)
        keyboard = nav_keyboard(lang, prev_id, next_id) if i == n else None
        out.append(Message("\n\n".join(parts), keyboard))
    return out


def push_message(
    article: Article,
    lang: Lang,
    bot_username: str,
    private: bool,
    tz: tzinfo | None = None,
    urgent: bool = False,
) -> Message:
    """A new article as it is pushed: title, date, its opening and a way to read it all.

    One message per article keeps a channel well inside Telegram's 20 a minute.
    """
    meta = _meta(article, lang, tz)
    paragraphs = _paragraphs(article.body)
    lead = ""
    for paragraph in paragraphs:
        candidate = f"{lead}\n\n{paragraph}" if lead else paragraph
        if len(candidate) > LEAD_CHARS:
            if not lead:
                lead = split_to_fit(paragraph, LEAD_CHARS)[0]
            break
        lead = candidate
    truncated = utf16_len(lead) < utf16_len("\n\n".join(paragraphs))
    parts = [f"<b>{esc(article.title)}</b>"]
    if urgent:
        parts[0] = t(lang, "urgent_mark") + "\n" + parts[0]
    if meta:
        parts[0] += "\n" + esc(meta)
    if lead:
        parts.append(esc(lead) + (" …" if truncated else ""))
    if article.url:
        parts.append(f'🔗 <a href="{esc(article.url)}">{esc(STRINGS["link"][lang])}</a>')
    button = _open_button(STRINGS["btn_read"][lang], article.id, bot_username, private)
    return Message("\n\n".join(parts), InlineKeyboardMarkup([[button]]))


def _open_button(
    label: str, article_id: int, bot_username: str, private: bool
) -> InlineKeyboardButton:
    """Opens the article: in place in a private chat, through a deep link from a group or
    channel (where a callback would pour the article into the group)."""
    if private:
        return InlineKeyboardButton(
            label, callback_data=callbacks.encode(callbacks.OpenArticle(article_id))
        )
    return InlineKeyboardButton(label, url=deep_link(bot_username, article_id))


def digest_message(
    items: Sequence[Article],
    lang: Lang,
    bot_username: str,
    private: bool,
    tz: tzinfo | None = None,
    more: int = 0,
) -> Message:
    """Articles of one push beyond PUSH_BATCH_MAX: one message listing them, a button each
    (and, for an archive-sized burst, how many more there are and where to find them)."""
    lines = [t(lang, "digest_header", n=len(items) + more)]
    rows: list[list[InlineKeyboardButton]] = []
    for i, article in enumerate(items, start=1):
        line = f"{i}. {esc(_cut(article.title, 150))}"
        date = format_date(article.published_at, lang, tz)
        if date:
            line += f"\n    <i>{esc(date)}</i>"
        lines.append(line)
        rows.append(
            [
                _open_button(
                    f"{i}. {_cut(article.title, BUTTON_CHARS)}", article.id, bot_username, private
                )
            ]
        )
    if more:
        lines.append(t(lang, "digest_more", n=more))
    return Message("\n".join(lines), InlineKeyboardMarkup(rows))


def latest_message(items: Sequence[Article], lang: Lang, tz: tzinfo | None = None) -> Message:
    """A numbered list of the newest articles with a button to open each."""
    header = (
        t(lang, "latest_header_one") if len(items) == 1 else t(lang, "latest_header", n=len(items))
    )
    lines = [header]
    rows: list[list[InlineKeyboardButton]] = []
    for i, article in enumerate(items, start=1):
        date = format_date(article.published_at, lang, tz)
        line = f"{i}. <b>{esc(_cut(article.title, 150))}</b>"
        if date:
            line += f"\n    {esc(date)}"
        lines.append(line)
        rows.append(
            [
                InlineKeyboardButton(
                    f"{i}. {_cut(article.title, BUTTON_CHARS)}",
                    callback_data=callbacks.encode(callbacks.OpenArticle(article.id)),
                )
            ]
        )
    return Message("\n\n".join(lines), InlineKeyboardMarkup(rows))


def highlight(text: str, marks: Sequence[tuple[int, int]]) -> str:
    """Escape ``text`` and wrap the marked spans in <b>; overlapping or bad spans are merged."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(marks):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<b>{esc(text[start:end])}</b>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def search_message(
    result: SearchResult, lang: Lang, offset: int, query_id: int, tz: tzinfo | None = None
) -> Message:
    """One page of results: the count, each hit in context, buttons to open and to go on."""
    if not result.hits:
        return Message(t(lang, "search_none", query=_cut(result.query, 100)))
    header = t(
        lang,
        "search_header",
        total=result.total,
        query=_cut(result.query, 100),
        first=offset + 1,
        last=offset + len(result.hits),
    )
    blocks = [header]
    rows: list[list[InlineKeyboardButton]] = []
    for i, hit in enumerate(result.hits, start=offset + 1):
        block = f"{i}. <b>{esc(_cut(hit.title, 200))}</b>"
        date = format_date(hit.published_at, lang, tz)
        if date:
            block += f"\n{esc(date)}"
        snippet = hit.snippet[:400]
        marks = [(a, b) for a, b in hit.marks if b <= len(snippet)]
        block += "\n" + highlight(snippet, marks)
        blocks.append(block)
        rows.append(
            [
                InlineKeyboardButton(
                    f"{i}. {_cut(hit.title, BUTTON_CHARS)}",
                    callback_data=callbacks.encode(callbacks.OpenArticle(hit.id)),
                )
            ]
        )
    if offset + len(result.hits) < result.total:
        rows.append(
            [
                InlineKeyboardButton(
                    STRINGS["btn_more"][lang],
                    callback_data=callbacks.encode(
                        callbacks.SearchPage(query_id, offset + len(result.hits))
                    ),
                )
            ]
        )
    return Message("\n\n".join(blocks), InlineKeyboardMarkup(rows))


def preview_messages(
    article: Article, lang: Lang, intro: str, tz: tzinfo | None = None
) -> list[Message]:
    """What an editor sees after /post: the confirmation, then the article as readers will."""
    return [Message(intro), *article_messages(article, lang, None, None, tz)]


def stats_message(
    lang: Lang,
    totals: dict[str, object],
    reports: Sequence[ArticleReport],
) -> Message:
    """The editors' /stats: totals, then what happened to each of the latest articles."""
    blocks = [t(lang, "stats", **totals)]
    if reports:
        lines = [t(lang, "stats_articles")]
        for r in reports:
            failed = (
                str(sum(r.failed.values()))
                + " ("
                + "، ".join(f"{_cut(reason, 60)}: {n}" for reason, n in r.failed.items())
                + ")"
                if r.failed
                else "0"
            )
            lines.append(
                t(
                    lang,
                    "stats_article",
                    id=r.article_id,
                    title=_cut(r.title, 60),
                    sent=r.sent,
                    pending=r.pending,
                    failed=failed,
                )
            )
        blocks.append("\n\n".join(lines))
    return Message("\n\n".join(blocks))


def why(lang: Lang, error: RecordError) -> str:
    """Why an article was refused, in the reader's language (plain text, for ``t``)."""
    key = f"why_{error.code}"
    if error.code and key in STRINGS:
        return STRINGS[key][lang].format(**error.fields)
    return str(error)


def chat_lost_reason(lang: Lang, reason: str) -> str:
    """Why a chat stopped receiving, as an editor reads it in their language (plain text)."""
    lowered = reason.lower()
    for part, ar, en in CHAT_LOST_REASONS:
        if part in lowered:
            return ar if lang == "ar" else en
    return _cut(reason, 200)


def reasons(lang: Lang, counts: dict[str, int], explain: Callable[[Lang, str], str]) -> str:
    """``reason: n`` pairs in the reader's words, joined with the language's comma."""
    sep = "، " if lang == "ar" else ", "
    return sep.join(f"{explain(lang, reason)}: {n}" for reason, n in counts.items())


def delete_reason(lang: Lang, reason: str) -> str:
    """Why a withdrawn article's copy stayed, as an editor reads it (plain text)."""
    lowered = reason.lower()
    if "48 hours" in lowered or "can't be deleted" in lowered:
        return STRINGS["why_too_old"][lang]
    return chat_lost_reason(lang, reason)


def feed_error(lang: Lang, error: str) -> str:
    """A feed's failure as an editor reads it, in their language (plain text, for ``t``)."""
    for prefix, ar, en in FEED_ERRORS:
        if error.startswith(prefix):
            return (ar if lang == "ar" else en).format(error=error)
    return _cut(error, 200)


def _when(value: str | None, lang: Lang, tz: tzinfo | None) -> str:
    return format_date(value, lang, tz) or "—"


def feeds_message(items: Sequence[Feed], lang: Lang, tz: tzinfo | None = None) -> Message:
    """The editors' /feeds: each followed feed with its health."""
    if not items:
        return Message(t(lang, "feeds_none"))
    blocks = [t(lang, "feeds_header", n=len(items))]
    for i, feed in enumerate(items, start=1):
        if feed.last_outcome == "error":
            health = t(
                lang,
                "feed_failing",
                failures=feed.failures,
                error=feed_error(lang, feed.last_error or ""),
                next=_when(feed.next_fetch_at, lang, tz),
            )
        elif feed.last_success_at is None:
            health = t(lang, "feed_never")
        else:
            health = t(
                lang,
                "feed_ok",
                when=_when(feed.last_success_at, lang, tz),
                new=feed.last_new,
                total=feed.total_new,
            )
        blocks.append(f"{i}. <code>{esc(feed.url)}</code>\n{health}")
    blocks.append(t(lang, "feeds_help"))
    return Message("\n\n".join(blocks))


def history_message(
    article_id: int, entries: Sequence[AuditEntry], lang: Lang, tz: tzinfo | None = None
) -> Message:
    """The editors' /history N: each step of the article, who took it and when."""
    if not entries:
        return Message(t(lang, "history_none", id=article_id))
    lines = [t(lang, "history_header", id=article_id)]
    for e in entries:
        who = e.user_name or (str(e.user_id) if e.user_id is not None else "—")
        line = t(lang, f"history_{e.action}", who=who, when=format_date(e.at, lang, tz) or e.at)
        if e.action == "edited" and e.detail:
            line += "\n    " + t(lang, "history_was", title=_cut(e.detail, 120))
        lines.append(line)
    return Message("\n".join(lines))


def offer_subscription(lang: Lang, chat_id: int, name: str) -> Message:
    """Offered to an editor who made the bot an admin of a channel."""
    button = InlineKeyboardButton(
        STRINGS["btn_subscribe_chat"][lang].format(chat=_cut(name, 40)),
        callback_data=callbacks.encode(callbacks.SubscribeChat(chat_id)),
    )
    return Message(t(lang, "offer_channel", chat=name), InlineKeyboardMarkup([[button]]))

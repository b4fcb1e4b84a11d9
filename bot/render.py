"""Every message the bot sends is built here: escaping, Telegram's limits, keyboards, direction.

Telegram counts a text's length after entity parsing, in UTF-16 code units, so lengths are
measured on the visible (plain) text while the HTML is assembled beside it.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from babel import Locale
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.constants import MessageLimit, ParseMode

from bot import callbacks
from bot.strings import (
    CHAT_LOST_REASONS,
    EDIT_FAILURES,
    FEED_ERRORS,
    MIGRATED_REASON,
    MONTHS,
    PLURALS,
    SEND_FAILURES,
    STRINGS,
    TOPIC_NAMES,
    Lang,
)
from storage.articles import Article, parse_published_at
from storage.audit import Entry as AuditEntry
from storage.chat_settings import ChatSettings
from storage.drafts import Draft
from storage.feeds import Feed
from storage.importers import RecordError
from storage.opens import Popular
from storage.search import Hit, SearchResult
from storage.stats import Reach

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
#: A photo's caption, counted as a text is (after entity parsing, in UTF-16 units).
MAX_CAPTION = int(MessageLimit.CAPTION_LENGTH)
#: Room kept free in every part for the "(i/n)" label and separators.
_SAFETY = 32
#: A pushed article shows its opening up to this many characters.
LEAD_CHARS = 700
#: Inline button labels are cut here (Telegram shows little more on a phone).
BUTTON_CHARS = 48
#: A photo's caption shows at most this much of the title (it has 1,024 characters in all).
CAPTION_TITLE_CHARS = 300


@dataclass(frozen=True)
class Message:
    """One message: HTML text and an optional inline keyboard.

    With ``photo`` (a Telegram file_id or an image URL) it is a photo and ``text`` its
    caption: ``bot.delivery.send_rendered`` keeps that within Telegram's 1,024 characters.
    """

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    photo: str | None = None


def esc(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def plain_text(html_text: str) -> str:
    """What Telegram shows of an HTML text: tags gone, entities decoded, ends trimmed."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text)).strip()


def visible_len(html_text: str) -> int:
    """The length Telegram counts for an HTML text or caption (after entity parsing)."""
    return utf16_len(plain_text(html_text))


def t(lang: Lang, key: str, **fields: object) -> str:
    """A sentence from ``bot.strings`` with every field escaped (and, in Arabic, isolated)."""
    return _filled(lang, STRINGS[key][lang], fields)


def tn(lang: Lang, key: str, n: int, **fields: object) -> str:
    """A sentence stating the count ``n``, in the plural form CLDR gives ``lang`` for ``n``."""
    forms = PLURALS[key][lang]
    form = forms.get(_plural_category(lang, n)) or forms["other"]
    return _filled(lang, form, {"n": n, **fields})


def _filled(lang: Lang, template: str, fields: dict[str, object]) -> str:
    """``template`` with its fields escaped; in Arabic, the marks a field brings (another
    sentence's, a title's stray ones) are dropped and the whole is isolated afresh."""
    if lang != "ar":
        return template.format(**{k: esc(str(v)) for k, v in fields.items()})
    return rtl_html(template.format(**{k: esc(bare(str(v))) for k, v in fields.items()}))


# --- direction ----------------------------------------------------------------------------
# In Arabic text, a Latin word, a number or a URL is wrapped in FSI…PDI (Unicode isolates), so
# it keeps its own order («⁨iPhone 16⁩ يصل» never becomes «16 iPhone») and cannot drag the
# punctuation around it; a line whose first strong letter would be Latin starts with RLM, so
# the line is still laid out right to left. English text is never touched.

FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
_MARKS = re.compile("[\u200e\u200f\u2066-\u2069]")
#: Signs that belong to the number or name right after them (-100, +963, @channel, /latest).
_PREFIXES = frozenset("@#/+-−$€£")
_SUFFIXES = frozenset("%٪")
_URL = r"https?://[^\s<>\"\u0590-\u08ff]*[^\s<>\".,;:!?)\]}»«،؛؟'…\u0590-\u08ff]"
_ISOLATED = "[\u2066-\u2068][^\u2066-\u2069\n]*\u2069"
#: Runs of one kind taken whole, for speed: Arabic words and the single spaces between them
#: (not Arabic digits, comma or percent sign), Latin letters, ASCII digits.
_ARABIC = (
    "[\u0600-\u060b\u060d-\u065f\u066d-\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"
    "\ufb50-\ufdff\ufe70-\ufefc]+"
)
_RUNS = f"{_ARABIC}(?: {_ARABIC})*|[A-Za-z]+|[0-9]+"
_PLAIN_UNIT = re.compile(f"{_ISOLATED}|{_URL}|{_RUNS}|.", re.S)
# An HTML text's units: a <code>/<pre> element whole (what a reader copies from it must stay
# clean, so its isolates go outside), a tag, an entity, a URL, one character.
_ENTITY = r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]\w*);"
#: A URL in HTML: whole entities only (never cut inside «&amp;»).
_HTML_URL = (
    rf"https?://(?:{_ENTITY}|[^\s<>\"&\u0590-\u08ff])*[^\s<>\"&.,;:!?)\]}}»«،؛؟'…\u0590-\u08ff]"
)
_HTML_UNIT = re.compile(
    rf"<(code|pre)\b[^>]*>.*?</\1>|<[^>]*>|{_ENTITY}|{_ISOLATED}|{_HTML_URL}|{_RUNS}|.",
    re.S,
)
_STRONG_R = frozenset({"R", "AL"})
#: Bidi classes that end a run without being right to left themselves.
_BREAKS = frozenset({"AN", "B", "S", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI"})
#: Neutrals that end a run too: brackets and quotes belong to the Arabic sentence around a
#: Latin word («Tartus» (1–5) is two runs), and so do Arabic commas and separators.
_BREAK_CATEGORIES = frozenset({"Ps", "Pe", "Pi", "Pf", "So"})
_BREAK_CHARS = frozenset('"،·•|—')


def bare(text: str) -> str:
    """``text`` without isolates and direction marks (U+2066–U+2069, LRM, RLM): to compare."""
    return _MARKS.sub("", text)


def _kind(unit: str) -> str:
    """L: Latin, digits, a URL (isolated); R: right to left; X: ends a run; I: already isolated;
    T: a tag (takes no room); N: neutral (spaces, punctuation, emoji)."""
    if len(unit) > 1:
        if unit[0] in "\u2066\u2067\u2068":
            return "I"
        if unit.startswith("<"):
            if not unit.startswith(("<code", "<pre")):
                return "T"
            inner = html.unescape(re.sub(r"<[^>]*>", "", unit))
            kinds = {_char_kind(c) for c in inner}
            return "R" if "R" in kinds else "L" if "L" in kinds else "N"
        if unit.startswith("&"):
            return _char_kind(html.unescape(unit)[:1] or " ")
    return _char_kind(unit[0])  # a run of one kind, a URL, one character


@functools.lru_cache(maxsize=4096)
def _char_kind(c: str) -> str:
    if c == "\n":
        return "B"
    bidi = unicodedata.bidirectional(c)
    if bidi in ("L", "EN"):
        return "L"
    if bidi in _STRONG_R:
        return "R"
    if bidi in _BREAKS or bidi == "PDI":
        return "X"
    if c in _BREAK_CHARS or unicodedata.category(c) in _BREAK_CATEGORIES:
        return "X"
    return "N"


def _isolate_units(units: list[str]) -> str:
    """Join ``units`` with each Latin/number run isolated and RLM before lines that need it."""
    kinds = [_kind(u) for u in units]
    _split_list_numbers(units, kinds)
    starts: set[int] = set()
    ends: set[int] = set()
    first: int | None = None
    last = 0
    segment = 0
    for i, kind in enumerate([*kinds, "B"]):
        if kind == "L":
            if first is None:
                first = i
            last = i
        elif kind in ("R", "X", "B", "I"):
            if first is not None:
                while first > segment and units[first - 1] in _PREFIXES:
                    first -= 1
                while last + 1 < i and units[last + 1] in _SUFFIXES:
                    last += 1
                starts.add(first)
                ends.add(last)
            first, segment = None, i + 1
    out: list[str] = []
    line_start, decided = 0, False
    for i, unit in enumerate(units):
        kind = kinds[i]
        if not decided and kind in ("L", "R", "I"):
            decided = True
            if kind != "R":  # the line would start left to right
                out.insert(line_start, RLM)
        if i in starts:
            out.append(FSI)
        out.append(unit)
        if i in ends:
            out.append(PDI)
        if kind == "B":
            line_start, decided = len(out), False
    return "".join(out)


def _split_list_numbers(units: list[str], kinds: list[str]) -> None:
    """A list's «1. » at a line's start belongs to the line, not to a Latin title after it
    (else «1. iPhone 16» would be one run, its number on the wrong side)."""
    digits = 0
    for i, unit in enumerate(units):
        if kinds[i] == "B":
            digits = 0
        elif unit.isdigit() and digits >= 0:
            digits += 1
        elif unit == "." and digits > 0 and units[i + 1 : i + 2] in ([" "], ["\n"], []):
            kinds[i], digits = "X", -1
        elif kinds[i] != "T" and not (unit == " " and digits == 0):
            digits = -1  # not a list number: nothing more to look for on this line


def isolate(text: str) -> str:
    """Plain Arabic text made safe to show right to left (a button label, an alert)."""
    return _isolate_units(_PLAIN_UNIT.findall(text))


def rtl_html(text: str) -> str:
    """Telegram HTML of an Arabic message made safe to show right to left.

    Isolates go around text only: never inside a tag (an href stays as it is) or an entity,
    and around a <code> element rather than into it. Applying it twice changes nothing.
    """
    return _isolate_units([m.group() for m in _HTML_UNIT.finditer(text)])


def directed(lang: Lang, text: str) -> str:
    """A whole message's HTML as ``lang`` reads it: Arabic made right-to-left safe."""
    return rtl_html(text) if lang == "ar" else text


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


def shown_len(lang: Lang, plain: str) -> int:
    """The length of plain text once ``lang``'s message holds it (Arabic: isolates counted)."""
    return utf16_len(isolate(plain) if lang == "ar" else plain)


def split_shown(lang: Lang, paragraphs: Sequence[str], budget: int) -> list[str]:
    """``split_paragraphs`` with each chunk within ``budget`` once isolated (``shown_len``)."""
    target = budget
    while True:
        chunks = split_paragraphs(paragraphs, target)
        over = max((shown_len(lang, c) - budget for c in chunks), default=0)
        if over <= 0 or target <= 100:
            return chunks
        target -= over


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
    budget = MAX_TEXT - shown_len(lang, head_plain) - shown_len(lang, foot_plain) - _SAFETY
    chunks = split_shown(lang, _paragraphs(article.body), max(budget, 200))
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
        out.append(Message(directed(lang, "\n\n".join(parts)), keyboard))
    return out


# --- an article read in place: one message, paged, edited by its own buttons ---------------

#: The share button's inline query: the title, cut on a word well inside Telegram's 256.
SHARE_QUERY_CHARS = 200


def _head(article: Article, lang: Lang, tz: tzinfo | None) -> tuple[str, str]:
    """Title and date line: (plain text, HTML)."""
    meta = _meta(article, lang, tz)
    plain = article.title + ("\n" + meta if meta else "")
    return plain, f"<b>{esc(article.title)}</b>" + ("\n" + esc(meta) if meta else "")


def _foot(article: Article, lang: Lang) -> tuple[str, str]:
    """The link to the site: (plain text, HTML); empty without a url."""
    if not article.url:
        return "", ""
    label = STRINGS["link"][lang]
    return f"🔗 {label}", f'🔗 <a href="{esc(article.url)}">{esc(label)}</a>'


def article_pages(article: Article, lang: Lang, tz: tzinfo | None = None) -> list[str]:
    """The body cut into pages (plain text) that each fit one message with the title, the
    «الجزء i من n» line and the link; at most ``callbacks.MAX_PAGES``."""
    longest_label = STRINGS["part_of"][lang].format(i=callbacks.MAX_PAGES, n=callbacks.MAX_PAGES)
    budget = (
        MAX_TEXT
        - shown_len(lang, _head(article, lang, tz)[0])
        - shown_len(lang, _foot(article, lang)[0])
        - shown_len(lang, longest_label)
        - _SAFETY
    )
    pages = split_shown(lang, _paragraphs(article.body), max(budget, 200)) or [""]
    if len(pages) > callbacks.MAX_PAGES:  # a runaway body: the site has the rest
        pages = pages[: callbacks.MAX_PAGES]
        pages[-1] = _cut(pages[-1], max(budget, 200) - 2)
    return pages


def share_query(title: str) -> str:
    """The inline query a share button types: the title's first words."""
    words = title.split()
    query = ""
    for word in words:
        candidate = f"{query} {word}" if query else word
        if len(candidate) > SHARE_QUERY_CHARS:
            break
        query = candidate
    return query or title[:SHARE_QUERY_CHARS]


def share_button(lang: Lang, title: str) -> InlineKeyboardButton:
    """Share an article anywhere: Telegram opens a chat picker with ``@bot <title>`` typed."""
    return InlineKeyboardButton(STRINGS["btn_share"][lang], switch_inline_query=share_query(title))


_BACK_LABEL: dict[type[callbacks.ListCallback], str] = {
    callbacks.LatestList: "btn_back_latest",
    callbacks.SearchPage: "btn_back_search",
    callbacks.SearchNewest: "btn_back_search",
    callbacks.PopularList: "btn_back_popular",
}


def article_view(
    article: Article,
    lang: Lang,
    prev_id: int | None,
    next_id: int | None,
    *,
    page: int = 0,
    back: callbacks.ListCallback | None = None,
    tz: tzinfo | None = None,
) -> Message:
    """One page of an article as one message, with the buttons that turn the page, go to the
    previous or next article (all editing this message), go back to ``back`` and share it."""
    pages = article_pages(article, lang, tz)
    n = len(pages)
    page = min(max(page, 0), n - 1)
    head = _head(article, lang, tz)[1]
    if n > 1:
        head += "\n" + t(lang, "part_of", i=page + 1, n=n)
    foot = _foot(article, lang)[1]
    text = directed(lang, "\n\n".join(p for p in (head, esc(pages[page]), foot) if p))

    def go(article_id: int, to_page: int) -> str:
        return callbacks.encode(callbacks.read(article_id, to_page, back))

    rows: list[list[InlineKeyboardButton]] = []
    if n > 1:
        turn: list[InlineKeyboardButton] = []
        if page > 0:
            label = STRINGS["btn_part_prev"][lang].format(i=page)
            turn.append(InlineKeyboardButton(label, callback_data=go(article.id, page - 1)))
        if page < n - 1:
            label = STRINGS["btn_part_next"][lang].format(i=page + 2)
            turn.append(InlineKeyboardButton(label, callback_data=go(article.id, page + 1)))
        rows.append(turn)
    nav: list[InlineKeyboardButton] = []
    if prev_id is not None:
        nav.append(InlineKeyboardButton(STRINGS["btn_prev"][lang], callback_data=go(prev_id, 0)))
    if next_id is not None:
        nav.append(InlineKeyboardButton(STRINGS["btn_next"][lang], callback_data=go(next_id, 0)))
    if nav:
        rows.append(nav)
    last = [share_button(lang, article.title)]
    if back is not None:
        label = STRINGS[_BACK_LABEL[type(back)]][lang]
        last.insert(0, InlineKeyboardButton(label, callback_data=callbacks.encode(back)))
    rows.append(last)
    if lang == "ar":  # right to left: the first button of a row sits on the right
        for row in rows:
            row.reverse()
    return Message(text, InlineKeyboardMarkup(rows))


def _list_button(
    label: str,
    article_id: int,
    back: callbacks.ListCallback,
    bot_username: str,
    private: bool,
) -> InlineKeyboardButton:
    """A list's entry: read in place (coming back to ``back``) in a private chat; in a group
    or channel, a deep link into the reader's private chat, never the article in the group."""
    if private:
        data = callbacks.encode(callbacks.read(article_id, 0, back))
        return InlineKeyboardButton(label, callback_data=data)
    return InlineKeyboardButton(label, url=deep_link(bot_username, article_id))


def popular_message(
    items: Sequence[Popular],
    lang: Lang,
    days: int,
    tz: tzinfo | None = None,
    *,
    instead: Sequence[Article] = (),
    bot_username: str = "",
    private: bool = True,
) -> Message:
    """/popular: the most read of the last ``days`` (1 or 7), a button to open each and one
    to switch to the other window (drawn in place). With no opens in the window it says so,
    and lists ``instead`` (the newest articles) when given."""
    back = callbacks.PopularList(days)
    blocks = [t(lang, f"popular_header_{days}")]
    rows: list[list[InlineKeyboardButton]] = []
    listed: list[tuple[Article, str | None]] = [
        (p.article, tn(lang, "readers", p.readers)) for p in items
    ]
    if not items:
        blocks.append(t(lang, f"popular_none_{days}"))
        if instead:
            blocks.append(t(lang, "popular_instead"))
        listed = [(a, None) for a in instead]
    for i, (article, readers) in enumerate(listed, start=1):
        line = f"{i}. <b>{esc(_cut(article.title, 150))}</b>"
        details = [d for d in (readers, format_date(article.published_at, lang, tz)) if d]
        if details:
            line += "\n    " + esc(" · ".join(details))
        blocks.append(line)
        label = f"{i}. {_cut(article.title, BUTTON_CHARS)}"
        rows.append([_list_button(label, article.id, back, bot_username, private)])
    other = next(d for d in callbacks.POPULAR_DAYS if d != days)
    rows.append(
        [
            InlineKeyboardButton(
                STRINGS[f"btn_popular_{other}"][lang],
                callback_data=callbacks.encode(callbacks.PopularList(other)),
            )
        ]
    )
    return Message(directed(lang, "\n\n".join(blocks)), InlineKeyboardMarkup(rows))


def private_link_message(article: Article, lang: Lang, bot_username: str) -> Message:
    """In a group or channel, an article asked for by command: its title and a button that
    opens it in the reader's private chat (the group never receives the article itself)."""
    text = directed(lang, f"<b>{esc(article.title)}</b>\n\n" + t(lang, "open_in_private"))
    link = deep_link(bot_username, article.id)
    button = InlineKeyboardButton(STRINGS["btn_read"][lang], url=link)
    return Message(text, InlineKeyboardMarkup([[button]]))


def push_message(
    article: Article,
    lang: Lang,
    bot_username: str,
    private: bool,
    tz: tzinfo | None = None,
    urgent: bool = False,
) -> Message:
    """A new article as it is pushed: title, date, its opening and a way to read it all.

    One message per article keeps a channel well inside Telegram's 20 a minute. An article
    with an image (a feed's image URL, an editor's photo) is one photo whose caption says the
    same within Telegram's 1,024 characters: a shorter opening (a long title is cut), and the
    button and the link lead to the whole article.
    """
    photo = article.image or None
    meta = _meta(article, lang, tz)
    paragraphs = _paragraphs(article.body)
    title = _cut(article.title, CAPTION_TITLE_CHARS) if photo else article.title
    head = f"<b>{esc(title)}</b>"
    if urgent:
        head = t(lang, "urgent_mark") + "\n" + head
    if meta:
        head += "\n" + esc(meta)
    link = ""
    if article.url:
        link = f'🔗 <a href="{esc(article.url)}">{esc(STRINGS["link"][lang])}</a>'
    limit = LEAD_CHARS
    measure: Callable[[str], int] = len
    if photo:
        # What the title, date and link leave of the caption, " …" and separators counted.
        fixed = visible_len("\n\n".join(p for p in (head, link) if p)) + len("\n\n …\n\n")
        limit, measure = min(LEAD_CHARS, MAX_CAPTION - fixed), utf16_len
    while True:
        lead = _lead(paragraphs, limit, measure)
        truncated = utf16_len(lead) < utf16_len("\n\n".join(paragraphs))
        parts = [head]
        if lead:
            parts.append(esc(lead) + (" …" if truncated else ""))
        if link:
            parts.append(link)
        text = directed(lang, "\n\n".join(parts))
        excess = visible_len(text) - MAX_CAPTION
        if not photo or excess <= 0 or not lead:
            break
        limit -= excess + 8  # the direction marks of Arabic text took that room: shorter
    row: list[InlineKeyboardButton] = []
    if truncated or title != article.title:  # all of it is here: no button resends it
        row.append(_open_button(STRINGS["btn_read"][lang], article.id, bot_username, private))
    if private:  # groups and channels have Telegram's own forwarding
        row.append(share_button(lang, article.title))
    return Message(text, InlineKeyboardMarkup([row]) if row else None, photo=photo)


def _lead(paragraphs: Sequence[str], limit: int, measure: Callable[[str], int]) -> str:
    """An article's opening: whole paragraphs within ``limit``, else the first one cut."""
    lead = ""
    for paragraph in paragraphs:
        candidate = f"{lead}\n\n{paragraph}" if lead else paragraph
        if measure(candidate) > limit:
            if not lead and limit > 0:
                lead = split_to_fit(paragraph, limit)[0]
            break
        lead = candidate
    return lead


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def _balanced(html_text: str) -> bool:
    """Whether every tag opened in the HTML is closed in it (a block that stands alone)."""
    stack: list[str] = []
    for match in _TAG.finditer(html_text):
        name = match.group(2).lower()
        if not match.group(1):
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def caption_parts(message: Message) -> list[Message]:
    """A photo message as Telegram takes it: the photo with a caption within 1,024
    characters, then what did not fit as text messages (each within 4,096).

    The caption keeps whole paragraphs (the blocks of the HTML); when even the first one is
    too long, it is cut between words, as plain text. The keyboard stays on the photo. A
    message without a photo, or whose caption fits, comes back as it is.
    """
    if message.photo is None or visible_len(message.text) <= MAX_CAPTION:
        return [message]
    blocks = [b for b in message.text.split("\n\n") if b.strip()]
    if not all(_balanced(b) for b in blocks):  # a tag spans paragraphs: go plain
        blocks = [esc(p) for p in plain_text(message.text).split("\n\n") if p.strip()]
    head: list[str] = []
    while blocks and visible_len("\n\n".join([*head, blocks[0]])) <= MAX_CAPTION:
        head.append(blocks.pop(0))
    if not head:
        pieces = split_to_fit(plain_text(blocks.pop(0)), MAX_CAPTION)
        head = [esc(pieces[0])]
        if len(pieces) > 1:
            blocks.insert(0, esc(" ".join(pieces[1:])))
    budget = MAX_TEXT - _SAFETY
    texts: list[str] = []
    for block in blocks:
        if visible_len(block) > budget:
            texts.extend(esc(p) for p in split_to_fit(plain_text(block), budget))
        else:
            texts.append(block)
    main = Message("\n\n".join(head), message.keyboard, photo=message.photo)
    return [main, *(Message(chunk) for chunk in _pack(texts, budget, "\n\n"))]


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
    held: bool = False,
) -> Message:
    """Articles of one push beyond PUSH_BATCH_MAX: one message listing them, a button each
    (and, for an archive-sized burst, how many more there are and where to find them).

    ``held``: what a chat's quiet hours or digest period held, sent as one news digest.
    """
    n = len(items) + more
    header = t(lang, "digest_held_header", count=tn(lang, "articles", n)) if held else None
    lines = [header or t(lang, "digest_header", n=n)]
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
    return Message(directed(lang, "\n".join(lines)), InlineKeyboardMarkup(rows))


def latest_message(
    items: Sequence[Article],
    lang: Lang,
    tz: tzinfo | None = None,
    *,
    count: int | None = None,
    bot_username: str = "",
    private: bool = True,
) -> Message:
    """A numbered list of the newest articles with a button to open each (read in place,
    with a way back to this list of ``count``; in a group, in the reader's private chat)."""
    back = callbacks.LatestList(max(1, min(count or len(items), callbacks.LATEST_MAX)))
    lines = [tn(lang, "latest_count", len(items))]
    rows: list[list[InlineKeyboardButton]] = []
    for i, article in enumerate(items, start=1):
        date = format_date(article.published_at, lang, tz)
        line = f"{i}. <b>{esc(_cut(article.title, 150))}</b>"
        if date:
            line += f"\n    {esc(date)}"
        lines.append(line)
        label = f"{i}. {_cut(article.title, BUTTON_CHARS)}"
        rows.append([_list_button(label, article.id, back, bot_username, private)])
    return Message(directed(lang, "\n\n".join(lines)), InlineKeyboardMarkup(rows))


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
    result: SearchResult,
    lang: Lang,
    offset: int,
    query_id: int,
    tz: tzinfo | None = None,
    newest: bool = False,
    page_size: int = 5,
    *,
    bot_username: str = "",
    private: bool = True,
) -> Message:
    """One page of results: the count, each hit in context, buttons to open and to go on.

    With a saved query (``query_id``): the previous and the next page, and the order to switch
    to (newest first, or best first again) when there is more than one result.
    ``result.partial``: said above the results. In a group or channel the results open in the
    reader's private chat (deep links), never in the group.
    """
    if not result.hits:
        return Message(t(lang, "search_none", query=_cut(result.query, 100)))
    header = t(
        lang,
        "search_found_newest" if newest else "search_found",
        count=tn(lang, "results", result.total),
        query=_cut(result.query, 100),
        first=offset + 1,
        last=offset + len(result.hits),
    )
    if result.partial:
        header += "\n" + t(lang, "search_partial")
    blocks = [header]
    rows: list[list[InlineKeyboardButton]] = []
    this_page: callbacks.ListCallback | None = None
    if query_id:
        this_page = (callbacks.SearchNewest if newest else callbacks.SearchPage)(query_id, offset)
    for i, hit in enumerate(result.hits, start=offset + 1):
        block = f"{i}. <b>{esc(_cut(hit.title, 200))}</b>"
        date = format_date(hit.published_at, lang, tz)
        if date:
            block += f"\n{esc(date)}"
        snippet = hit.snippet[:400]
        marks = [(a, b) for a, b in hit.marks if b <= len(snippet)]
        block += "\n" + highlight(snippet, marks)
        blocks.append(block)
        label = f"{i}. {_cut(hit.title, BUTTON_CHARS)}"
        if private:  # read in place, with a way back to this page when the query is saved
            data = callbacks.encode(callbacks.read(hit.id, 0, this_page))
            rows.append([InlineKeyboardButton(label, callback_data=data)])
        else:
            rows.append([InlineKeyboardButton(label, url=deep_link(bot_username, hit.id))])
    if query_id:
        rows.extend(_search_buttons(lang, result, offset, query_id, newest, page_size))
    return Message(directed(lang, "\n\n".join(blocks)), InlineKeyboardMarkup(rows))


def _search_buttons(
    lang: Lang, result: SearchResult, offset: int, query_id: int, newest: bool, page_size: int
) -> list[list[InlineKeyboardButton]]:
    """Previous / next page (in reading order: previous on the right in Arabic), then the
    other order, from its first page."""
    page: type[callbacks.SearchPage] | type[callbacks.SearchNewest] = (
        callbacks.SearchNewest if newest else callbacks.SearchPage
    )
    row: list[InlineKeyboardButton] = []
    if offset > 0:
        back = max(0, offset - page_size)
        row.append(
            InlineKeyboardButton(
                STRINGS["btn_prev_page"][lang],
                callback_data=callbacks.encode(page(query_id, back)),
            )
        )
    if offset + len(result.hits) < result.total:
        row.append(
            InlineKeyboardButton(
                STRINGS["btn_more"][lang],
                callback_data=callbacks.encode(page(query_id, offset + len(result.hits))),
            )
        )
    if lang == "ar":
        row.reverse()
    order: list[InlineKeyboardButton] = []
    if result.total > 1:  # one result has no order to change
        other = (
            callbacks.SearchPage(query_id, 0) if newest else callbacks.SearchNewest(query_id, 0)
        )
        label = STRINGS["btn_best" if newest else "btn_newest"][lang]
        order = [InlineKeyboardButton(label, callback_data=callbacks.encode(other))]
    return [r for r in (row, order) if r]


def stats_message(
    lang: Lang,
    totals: dict[str, object],
    reach: Sequence[Reach],
    per_hour: Sequence[int] = (),
    chart: bool | None = None,
) -> Message:
    """The editors' /stats: totals, the last 48 hours, then what became of each of the latest
    articles (#N, delivered, pending, failed by reason, corrected, deleted).

    ``chart``: True when the chart follows, False when there is nothing to draw yet.
    """
    blocks = [t(lang, "stats", **totals)]
    if per_hour:
        blocks[0] += "\n" + t(lang, "stats_48h", sent=sum(per_hour), peak=max(per_hour))
    if not reach:
        blocks.append(t(lang, "stats_no_articles"))
    else:
        lines = [t(lang, "stats_articles")]
        for r in reach:
            failed = "0"
            if r.failed:
                why = reasons(lang, r.failed, failure_reason)
                failed = f"{sum(r.failed.values())} ({why})"
            title = _cut(r.title, 60)
            if r.withdrawn:
                title += STRINGS["stats_article_withdrawn"][lang]
            line = t(
                lang,
                "stats_article",
                id=r.article_id,
                title=title,
                sent=r.delivered,
                pending=r.pending,
                failed=failed,
            )
            if r.edited:
                line += t(lang, "stats_article_edited", n=r.edited)
            if r.deleted:
                line += t(lang, "stats_article_deleted", n=r.deleted)
            lines.append(line)
        blocks.append("\n\n".join(lines))
    if chart is not None:
        blocks.append(t(lang, "stats_chart_follows" if chart else "stats_chart_none"))
    return Message("\n\n".join(blocks))


def why(lang: Lang, error: RecordError) -> str:
    """Why an article was refused, in the reader's language (plain text, for ``t``)."""
    key = f"why_{error.code}"
    if error.code and key in STRINGS:
        return STRINGS[key][lang].format(**error.fields)
    # A reason without words of its own stays English in an English reply only.
    return STRINGS["why_unknown"]["ar"] if lang == "ar" else str(error)


def chat_lost_reason(lang: Lang, reason: str) -> str:
    """Why a chat stopped receiving, as an editor reads it in their language (plain text)."""
    lowered = reason.lower()
    for part, ar, en in CHAT_LOST_REASONS:
        if part in lowered:
            return ar if lang == "ar" else en
    return failure_reason(lang, reason)  # never Telegram's English inside Arabic


def reasons(lang: Lang, counts: dict[str, int], explain: Callable[[Lang, str], str]) -> str:
    """``reason: n`` pairs in the reader's words, joined with the language's comma."""
    sep = "، " if lang == "ar" else ", "
    return sep.join(f"{explain(lang, reason)}: {n}" for reason, n in counts.items())


def failure_reason(lang: Lang, reason: str) -> str:
    """Why a copy was not delivered, as an editor reads it in their language (plain text).

    Telegram's words for a refusal nobody foresaw stay in an English reply; an Arabic one
    says only that Telegram refused it (no English inside Arabic text).
    """
    lowered = reason.lower()
    for part, ar, en in [*SEND_FAILURES[:-1], *CHAT_LOST_REASONS]:
        if part in lowered:
            return ar if lang == "ar" else en
    return SEND_FAILURES[-1][1] if lang == "ar" else _cut(reason, 60)


def edit_reason(lang: Lang, reason: str) -> str:
    """Why a delivered copy could not be corrected, as an editor reads it (plain text)."""
    lowered = reason.lower()
    for part, ar, en in EDIT_FAILURES:
        if part in lowered:
            return ar if lang == "ar" else en
    return chat_lost_reason(lang, reason)


def delete_reason(lang: Lang, reason: str) -> str:
    """Why a withdrawn article's copy stayed, as an editor reads it (plain text)."""
    lowered = reason.lower()
    if "48 hours" in lowered or "can't be deleted" in lowered:
        return STRINGS["why_too_old"][lang]
    part, ar, en = MIGRATED_REASON
    if part in lowered:
        return ar if lang == "ar" else en
    return chat_lost_reason(lang, reason)


def feed_error(lang: Lang, error: str) -> str:
    """A feed's failure as an editor reads it, in their language (plain text, for ``t``)."""
    for prefix, ar, en in FEED_ERRORS:
        if error.startswith(prefix):
            return (ar if lang == "ar" else en).format(error=error)
    return STRINGS["why_feed_unknown"]["ar"] if lang == "ar" else _cut(error, 200)


def _when(value: str | None, lang: Lang, tz: tzinfo | None) -> str:
    return format_date(value, lang, tz) or "—"


def feeds_message(items: Sequence[Feed], lang: Lang, tz: tzinfo | None = None) -> Message:
    """The editors' /feeds: each followed feed with its health."""
    if not items:
        return Message(t(lang, "feeds_none"))
    blocks = [t(lang, "feeds_header", n=len(items))]
    for i, feed in enumerate(items, start=1):
        if feed.last_outcome == "error":
            health = tn(
                lang,
                "feed_failing",
                feed.failures,
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
    return Message(directed(lang, "\n\n".join(blocks)))


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


def _label_button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(_cut(text, BUTTON_CHARS), callback_data=data)


def following_message(
    lang: Lang,
    labels: Sequence[tuple[str, str]],
    receiving: str,
    mode: tuple[str, str] | None = None,
) -> Message:
    """/following: what the chat follows, a ✖ button each (``(label, callback data)``), and
    the chat's state (``receiving``: everything, follows, nothing) with ``mode``, an optional
    (string key, callback data) button that changes it."""
    if not labels:
        return Message(t(lang, "following_empty"))
    header = t(lang, f"following_{receiving}")
    lines = [header, *(f"• «{esc(label)}»" for label, _ in labels), t(lang, "following_hint")]
    rows = [[_label_button(f"✖ {label}", data)] for label, data in labels]
    if mode is not None:
        rows.append([InlineKeyboardButton(STRINGS[mode[0]][lang], callback_data=mode[1])])
    return Message(directed(lang, "\n".join(lines)), InlineKeyboardMarkup(rows))


def _topic_fold(name: str) -> str:
    return " ".join(name.casefold().split())


_TOPIC_BY_NAME: dict[str, str] = {
    _topic_fold(label): slug for slug, names in TOPIC_NAMES.items() for label in names.values()
}
_TOPIC_SLUGS: dict[str, str] = {_topic_fold(slug): slug for slug in TOPIC_NAMES}


def topic_name(lang: Lang, category: str) -> str:
    """A category as readers of ``lang`` call it (``sport``: «رياضة»); else as it is."""
    slug = _TOPIC_SLUGS.get(_topic_fold(category))
    return TOPIC_NAMES[slug][lang] if slug else category


def topic_label(lang: Lang, label: str) -> str:
    """A follow's label with its category named for readers: ``#sport`` is «#رياضة»."""
    return "#" + topic_name(lang, label[1:]) if label.startswith("#") else label


def topic_typed(text: str, categories: Iterable[str]) -> str:
    """What follows /follow or /unfollow, with a category typed by its name in either
    language (``#رياضة``, ``#Sport``) turned into the articles' own ``categories`` entry
    (``#sport``). A name that is itself a category, or none of them, stays as typed."""
    text = " ".join(text.split())
    if not text.startswith("#"):
        return text
    known = {_topic_fold(c): c for c in categories}
    typed = _topic_fold(text[1:])
    if typed in known:
        return text
    slug = _TOPIC_BY_NAME.get(typed)
    if slug is not None and _topic_fold(slug) in known:
        return "#" + known[_topic_fold(slug)]
    return text


def topics_message(lang: Lang, topics: Sequence[tuple[str, bool, str]]) -> Message:
    """/topics: a button per category, ``(name, followed, callback data)``, two a row."""
    if not topics:
        return Message(t(lang, "topics_none"))
    buttons = [
        _label_button(("✅ " if followed else "➕ ") + topic_name(lang, name), data)
        for name, followed, data in topics
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Message(t(lang, "topics_header"), InlineKeyboardMarkup(rows))


def offer_subscription(lang: Lang, chat_id: int, name: str) -> Message:
    """Offered to an editor who made the bot an admin of a channel."""
    button = InlineKeyboardButton(
        STRINGS["btn_subscribe_chat"][lang].format(chat=_cut(name, 40)),
        callback_data=callbacks.encode(callbacks.SubscribeChat(chat_id)),
    )
    return Message(t(lang, "offer_channel", chat=name), InlineKeyboardMarkup([[button]]))


# --- editors' drafts --------------------------------------------------------------------------


def _draft_button(
    lang: Lang, key: str, draft_id: int, action: int, **fields: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        STRINGS[key][lang].format(**fields),
        callback_data=callbacks.encode(callbacks.DraftAction(draft_id, action)),
    )


def draft_keyboard(lang: Lang, draft_id: int) -> InlineKeyboardMarkup:
    """Publish, Urgent, Cancel under a draft's preview (in Arabic, Publish on the right)."""
    row = [
        _draft_button(lang, "btn_publish", draft_id, callbacks.DRAFT_PUBLISH),
        _draft_button(lang, "btn_urgent", draft_id, callbacks.DRAFT_URGENT),
        _draft_button(lang, "btn_cancel", draft_id, callbacks.DRAFT_CANCEL),
    ]
    if lang == "ar":
        row.reverse()
    return InlineKeyboardMarkup([row])


def draft_preview(
    draft: Draft, lang: Lang, bot_username: str, now: str, tz: tzinfo | None = None
) -> list[Message]:
    """What an editor sees after /post: what the draft is and what each button does, then the
    article exactly as a reader's private chat will show it (``push_message``: dated when it
    goes out, the breaking-news mark for /urgent, the photo), under the draft's buttons."""
    if draft.publish_at is None:
        intro = t(lang, "draft_intro")
    else:
        intro = t(lang, "draft_intro_scheduled", when=format_date(draft.publish_at, lang, tz))
    article = Article(
        id=0,
        title=draft.title,
        body=draft.body,
        url=draft.url,
        source=None,
        category=None,
        published_at=draft.publish_at or now,
        created_at=now,
        image=draft.image,
        origin="editor",
    )
    shown = push_message(article, lang, bot_username, private=True, tz=tz, urgent=draft.urgent)
    photo = shown.photo or draft.image
    return [Message(intro), Message(shown.text, draft_keyboard(lang, draft.id), photo)]


def scheduled_message(items: Sequence[Draft], lang: Lang, tz: tzinfo | None = None) -> Message:
    """The editors' /scheduled: each pending post with its time, and a button to cancel it."""
    if not items:
        return Message(t(lang, "scheduled_none"))
    lines = [t(lang, "scheduled_header", n=len(items))]
    rows: list[list[InlineKeyboardButton]] = []
    for i, draft in enumerate(items, start=1):
        when = format_date(draft.publish_at, lang, tz) or "—"
        line = t(lang, "scheduled_item", i=i, when=when, title=_cut(draft.title, 150))
        if draft.urgent:
            line = line.replace("\n", " " + t(lang, "urgent_mark") + "\n", 1)
        lines.append(line)
        rows.append(
            [_draft_button(lang, "btn_cancel_n", draft.id, callbacks.DRAFT_UNSCHEDULE, i=i)]
        )
    return Message("\n\n".join(lines), InlineKeyboardMarkup(rows))


# --- a chat's settings (/settings) ----------------------------------------------------------


def quiet_text(lang: Lang, settings: ChatSettings) -> str:
    """A chat's quiet hours in words (plain text, for ``t``)."""
    if settings.quiet is None:
        return STRINGS["settings_off"][lang]
    start, end = settings.quiet
    return STRINGS["settings_window"][lang].format(start=start, end=end)


def digest_text(lang: Lang, settings: ChatSettings) -> str:
    """A chat's digest period in words (plain text, for ``t``)."""
    key = f"settings_digest_{settings.digest}"
    return STRINGS[key][lang].format(at=settings.digest_at or "")


def language_text(lang: Lang, settings: ChatSettings) -> str:
    """A chat's /language choice in words (plain text, for ``t``)."""
    return STRINGS[f"settings_lang_{settings.language or 'auto'}"][lang]


def _setting_button(
    lang: Lang, key: str, action: int, chosen: bool = False
) -> InlineKeyboardButton:
    label = ("✓ " if chosen else "") + STRINGS[key][lang]
    return InlineKeyboardButton(
        label, callback_data=callbacks.encode(callbacks.ChatSetting(action))
    )


def settings_message(
    lang: Lang,
    settings: ChatSettings,
    receiving: str,
    follows: Sequence[str] | None,
    tz_name: str,
) -> Message:
    """/settings: every choice of the chat, with buttons that change them in place.

    ``receiving``: ``everything``, ``follows`` (only what its follows match) or ``nothing``
    (``storage.follows.receiving``). ``follows`` None: not shown.
    """
    sep = "، " if lang == "ar" else ", "
    shown_follows = (
        sep.join(_cut(f, 40) for f in follows[:10]) + (" …" if len(follows) > 10 else "")
        if follows
        else STRINGS["settings_follows_none"][lang]
    )
    lines = t(
        lang,
        "settings_lines",
        language=language_text(lang, settings),
        subscription=STRINGS[f"settings_sub_{receiving}"][lang],
        follows=shown_follows,
        quiet=quiet_text(lang, settings),
        digest=digest_text(lang, settings),
        pause=STRINGS["settings_paused" if settings.paused else "settings_running"][lang],
    )
    if follows is None:  # no follows in this version: leave their line out
        lines = "\n".join(line for line in lines.split("\n") if "🔎" not in line)
    text = "\n\n".join([t(lang, "settings_title"), lines, t(lang, "settings_help", tz=tz_name)])
    c = callbacks
    first: list[InlineKeyboardButton] = []
    if receiving != "everything":  # a chat that only follows may take everything
        first.append(_setting_button(lang, "btn_set_subscribe", c.SET_SUBSCRIBE))
    if receiving != "nothing":
        first.append(_setting_button(lang, "btn_set_unsubscribe", c.SET_UNSUBSCRIBE))
    first.append(
        _setting_button(lang, "btn_set_resume", c.SET_RESUME)
        if settings.paused
        else _setting_button(lang, "btn_set_pause", c.SET_PAUSE)
    )
    rows = [
        first,
        [
            _setting_button(lang, "btn_set_lang_ar", c.SET_LANG_AR, settings.language == "ar"),
            _setting_button(lang, "btn_set_lang_en", c.SET_LANG_EN, settings.language == "en"),
            _setting_button(lang, "btn_set_lang_auto", c.SET_LANG_AUTO, settings.language is None),
        ],
        [
            _setting_button(
                lang, "btn_set_digest_off", c.SET_DIGEST_OFF, settings.digest == "off"
            ),
            _setting_button(
                lang, "btn_set_digest_hourly", c.SET_DIGEST_HOURLY, settings.digest == "hourly"
            ),
            _setting_button(
                lang, "btn_set_digest_daily", c.SET_DIGEST_DAILY, settings.digest == "daily"
            ),
        ],
    ]
    if settings.quiet is not None:
        rows.append([_setting_button(lang, "btn_set_quiet_off", c.SET_QUIET_OFF)])
    return Message(text, InlineKeyboardMarkup(rows))


# --- inline mode ----------------------------------------------------------------------------

#: An inline result's message holds the article's opening up to this many characters.
INLINE_TEASER_CHARS = 250
#: The description under an inline result's title: date, then the snippet, cut here.
INLINE_DESCRIPTION_CHARS = 150
_INLINE_ID = re.compile(r"a([0-9]{1,18})")
#: Plain text made only of these (Arabic letters and marks, spaces, neutral punctuation; no
#: Latin, no digits) is laid out right to left as it is: ``rtl_html`` would change nothing.
_ALREADY_RTL = re.compile(
    "[\\s\u0600-\u065f\u066a-\u06ef\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc"
    ".,;:!?'\"()«»…–—“”]*"
)


def inline_result_id(article_id: int) -> str:
    """The result id of an article (unique in an answer, well under Telegram's 64 bytes)."""
    return f"a{article_id:d}"


def inline_article_id(result_id: str) -> int | None:
    """The article a chosen inline result names, or None for an id the bot did not build."""
    match = _INLINE_ID.fullmatch(result_id)
    return int(match.group(1)) if match else None


def _teaser(head: str, limit: int = INLINE_TEASER_CHARS) -> str:
    """The article's opening paragraphs within ``limit`` characters, " …" when cut."""
    paragraphs = _paragraphs(head)
    lead = ""
    for paragraph in paragraphs:
        candidate = f"{lead}\n\n{paragraph}" if lead else paragraph
        if len(candidate) > limit:
            return lead + " …" if lead else _cut(paragraph, limit)
        lead = candidate
    return lead


@functools.lru_cache(maxsize=8192)
def _directed_part(lang: Lang, plain: str, markup: str) -> str:
    """``directed`` for one paragraph (``markup``, the HTML of ``plain``), remembered: an
    inline query is sent again at every keystroke, with mostly the same articles."""
    if lang == "ar" and _ALREADY_RTL.fullmatch(plain):
        return markup
    return directed(lang, markup)


def inline_result(
    hit: Hit, lang: Lang, bot_username: str, tz: tzinfo | None = None
) -> InlineQueryResultArticle:
    """One article as an inline result: its title; date and snippet as the description; the
    message it sends holds the title, the teaser, the site link and a button into the bot."""
    title = _cut(hit.title, 200) or "…"
    date = format_date(hit.published_at, lang, tz)
    snippet = _cut(hit.snippet, INLINE_DESCRIPTION_CHARS)
    description = "\n".join(p for p in (date, snippet) if p)
    # Paragraph by paragraph: a line break ends every run that direction marks care about.
    head = _cut(hit.title, 300)
    parts = [_directed_part(lang, head, f"<b>{esc(head)}</b>")]
    if date:
        parts[0] += "\n" + _directed_part(lang, date, "🗓 " + esc(date))
    teaser = _teaser(hit.head)
    for paragraph in teaser.split("\n\n") if teaser else ():
        parts.append(_directed_part(lang, paragraph, esc(paragraph)))
    if hit.url:
        link = f'🔗 <a href="{esc(hit.url)}">{esc(STRINGS["link"][lang])}</a>'
        parts.append(_directed_part(lang, STRINGS["link"][lang] + hit.url, link))
    button = InlineKeyboardButton(STRINGS["btn_read"][lang], url=deep_link(bot_username, hit.id))
    return InlineQueryResultArticle(
        id=inline_result_id(hit.id),
        title=title,
        description=description or None,
        input_message_content=InputTextMessageContent(
            "\n\n".join(parts), parse_mode=ParseMode.HTML
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


def inline_button(lang: Lang, key: str) -> InlineQueryResultsButton:
    """Shown above an empty inline answer: opens a private chat with the bot."""
    return InlineQueryResultsButton(text=STRINGS[key][lang], start_parameter="inline")

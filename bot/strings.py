"""Every sentence the bot says, in Arabic and English.

The sentences live in the gettext catalogues ``bot/locale/<lang>/LC_MESSAGES/newsbot.po``
(msgid: the key below; see ``bot.i18n``). A new sentence may first be written in ``STRINGS``
or ``PLURALS`` here: entries here win over the catalogues', and ``python -m bot.i18n sync``
moves them into the catalogues.

Values are ``str.format`` templates; their fields are HTML-escaped by ``bot.render`` before
formatting, so templates may hold Telegram HTML tags but user text never becomes markup.
"""

from __future__ import annotations

from typing import Literal

from bot import i18n

Lang = Literal["ar", "en"]

STRINGS: dict[str, dict[Lang, str]] = {}

#: The site's categories (``articles.category``, as feeds and files give them) by name in
#: each language, for /topics, /following and /follow #name. One not listed shows as it is.
TOPIC_NAMES: dict[str, dict[Lang, str]] = {
    "internationalNews": {"ar": "دولي", "en": "World"},
    "middleEast": {"ar": "الشرق الأوسط", "en": "Middle East"},
    "sport": {"ar": "رياضة", "en": "Sport"},
    "economy": {"ar": "اقتصاد", "en": "Economy"},
    "technology": {"ar": "تكنولوجيا", "en": "Technology"},
    "culture": {"ar": "ثقافة", "en": "Culture"},
    "politics": {"ar": "سياسة", "en": "Politics"},
    "syria": {"ar": "سوريا", "en": "Syria"},
    "health": {"ar": "صحة", "en": "Health"},
    "opinion": {"ar": "رأي", "en": "Opinion"},
}

#: A feed's failure in words: (what the error text starts with, Arabic, English). The rest of
#: an unknown error is shown as it is.
FEED_ERRORS: list[tuple[str, str, str]] = [
    ("HTTP 404", "الصفحة غير موجودة (HTTP 404)", "not found (HTTP 404)"),
    ("HTTP 403", "الموقع يرفض الطلب (HTTP 403)", "refused by the site (HTTP 403)"),
    ("HTTP 5", "خطأ في خادم الموقع ({error})", "the site's server failed ({error})"),
    ("HTTP ", "رد الموقع بخطأ ({error})", "the site answered with an error ({error})"),
    ("timed out", "انتهت مهلة الاتصال", "timed out"),
    ("larger than", "الملف أكبر من الحد المسموح", "the file is larger than allowed"),
    ("more than", "تحويلات كثيرة أو حلقة تحويل", "too many redirects, or a redirect loop"),
    ("connection refused", "الخادم رفض الاتصال", "the server refused the connection"),
    ("host not found", "اسم الموقع غير موجود", "the host name was not found"),
    ("TLS error", "خطأ في شهادة الأمان (TLS)", "a TLS (certificate) error"),
    (
        "not a feed: an HTML page",
        "الرابط صفحة ويب وليس موجزاً (RSS/Atom)",
        "a web page, not a feed (RSS/Atom)",
    ),
    (
        "not a feed: malformed",
        "الموجز تالف ولا يمكن قراءته",
        "the feed is malformed and cannot be read",
    ),
    ("not a feed", "المحتوى ليس موجزاً (RSS/Atom)", "the content is not a feed (RSS/Atom)"),
    (
        "XML entity",
        "الموجز يحوي تعريفات كيانات XML مرفوضة",
        "the feed declares XML entities, which are refused",
    ),
]

_NO_RIGHTS_AR = "لم يعد البوت يملك صلاحية النشر فيها"
_NO_RIGHTS_EN = "the bot may no longer post there"
#: Why a group or channel stopped receiving, in the editors' words: (what Telegram's or the
#: sender's reason contains, Arabic, English). An unknown reason is shown as it is.
CHAT_LOST_REASONS: list[tuple[str, str, str]] = [
    ("kicked", "أُزيل البوت منها", "the bot was removed from it"),
    ("is now left", "أُزيل البوت منها", "the bot was removed from it"),
    ("not a member", "أُزيل البوت منها", "the bot was removed from it"),
    ("chat not found", "لم تعد موجودة", "it no longer exists"),
    ("rights", "لم يعد البوت يملك صلاحية النشر فيها", "the bot may no longer post there"),
    (
        "is now administrator",
        "لم يعد البوت يملك صلاحية النشر فيها",
        "the bot may no longer post there",
    ),
    ("is now member", "لم يعد البوت مشرفاً فيها", "the bot is no longer an admin there"),
    ("is now restricted", "قُيّد البوت فيها", "the bot was restricted there"),
    ("messages failed", "فشلت آخر الرسائل إليها كلها", "the last messages to it all failed"),
]

#: A copy in a group that became a supergroup: Telegram keeps it in the old group, where the
#: bot can no longer edit or delete it.
MIGRATED_REASON = (
    "migrated",
    "صارت المجموعة مجموعة خارقة، ولا تُعدّل رسائلها القديمة ولا تُحذف",
    "the group became a supergroup, whose old messages cannot be edited or deleted",
)

#: Why a delivered copy was not corrected (/edit): (part of the reason, Arabic, English);
#: ``bot.render.edit_reason`` falls back to CHAT_LOST_REASONS, then SEND_FAILURES.
EDIT_FAILURES: list[tuple[str, str, str]] = [
    ("to edit not found", "حُذفت الرسالة من المحادثة", "the message was deleted from the chat"),
    ("can't be edited", "لا يسمح تيليغرام بتعديلها", "Telegram does not allow editing it"),
    ("deleted", "سُحب المقال", "the article was withdrawn"),
    MIGRATED_REASON,
]

#: Why a message was not delivered, for /stats: (part of Telegram's words, Arabic, English);
#: ``bot.render.failure_reason`` falls back to CHAT_LOST_REASONS, then to the last entry.
SEND_FAILURES: list[tuple[str, str, str]] = [
    ("blocked", "حظر القارئ البوت", "the reader blocked the bot"),
    ("deactivated", "حُذف حساب القارئ", "the reader's account was deleted"),
    ("article deleted", "سُحب المقال قبل إرساله", "the article was withdrawn first"),
    ("withdrawn", "سُحب المقال قبل إرساله", "the article was withdrawn first"),
    ("too long", "نص أطول مما يقبل تيليغرام", "a text longer than Telegram takes"),
    ("parse entities", "تنسيق رفضه تيليغرام", "formatting Telegram refused"),
    ("timedout", "انتهت المهلة مرات متتالية", "timed out again and again"),
    ("networkerror", "تعذّر الاتصال بتيليغرام مرات متتالية", "Telegram was out of reach"),
    ("", "رفضه تيليغرام", "refused by Telegram"),
]

#: Command menu descriptions (setMyCommands), per language.
COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "ar": [
        ("latest", "أحدث المقالات"),
        ("next", "المقال التالي"),
        ("prev", "المقال السابق"),
        ("search", "البحث في الأرشيف"),
        ("popular", "الأكثر قراءة"),
        ("subscribe", "الاشتراك في الأخبار الجديدة"),
        ("unsubscribe", "إلغاء الاشتراك"),
        ("follow", "متابعة كلمة أو قسم"),
        ("following", "ما أتابعه"),
        ("topics", "الأقسام"),
        ("settings", "إعدادات المحادثة"),
        ("help", "قائمة الأوامر"),
    ],
    "en": [
        ("latest", "The newest articles"),
        ("next", "Next article"),
        ("prev", "Previous article"),
        ("search", "Search the archive"),
        ("popular", "Most read"),
        ("subscribe", "Receive new articles"),
        ("unsubscribe", "Stop receiving new articles"),
        ("follow", "Follow a word or a topic"),
        ("following", "What I follow"),
        ("topics", "The topics"),
        ("settings", "This chat's settings"),
        ("help", "Every command"),
    ],
}


#: The editors' own menu (set per editor's chat; it replaces the readers' menu there).
EDITOR_COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "ar": [
        ("post", "مسودة مقال للنشر"),
        ("urgent", "مسودة خبر عاجل"),
        ("scheduled", "المنشورات المجدولة"),
        ("edit", "تصحيح مقال برقمه"),
        ("delete", "سحب مقال برقمه"),
        ("history", "سجل مقال برقمه"),
        ("stats", "الإحصاءات"),
        ("feeds", "مصادر الأخبار"),
        *COMMANDS["ar"],
    ],
    "en": [
        ("post", "Draft an article"),
        ("urgent", "Draft breaking news"),
        ("scheduled", "Scheduled posts"),
        ("edit", "Correct an article by its number"),
        ("delete", "Withdraw an article by its number"),
        ("history", "An article's history"),
        ("stats", "Stats"),
        ("feeds", "News feeds"),
        *COMMANDS["en"],
    ],
}

MONTHS: dict[Lang, list[str]] = {
    "ar": [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
    "en": [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ],
}


#: Sentences that state a count, one template per CLDR plural category (Arabic: zero, one,
#: two, few, many, other; English: one, other). ``bot.render.tn`` picks the form for ``n``;
#: ``{n}`` is the count. Arabic forms may leave the number out where the word says it
#: («نتيجة واحدة», «نتيجتان»).
PLURALS: dict[str, dict[Lang, dict[str, str]]] = {}


def language_for(code: str | None, default: Lang) -> Lang:
    """Arabic by default; English for readers whose Telegram speaks English."""
    if code and code.lower().startswith("en"):
        return "en"
    if code and code.lower().startswith("ar"):
        return "ar"
    return default


# The catalogues' sentences, overlaid with those still written above.
STRINGS, PLURALS = i18n.merge(STRINGS, PLURALS)

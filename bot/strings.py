"""Every sentence the bot says, in Arabic and English.

Values are ``str.format`` templates; their fields are HTML-escaped by ``bot.render`` before
formatting, so templates may hold Telegram HTML tags but user text never becomes markup.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["ar", "en"]

STRINGS: dict[str, dict[Lang, str]] = {
    "welcome": {
        "ar": (
            "أهلاً بك في <b>{site}</b> 📰\n"
            "أحدث الأخبار بين يديك: اطلب آخر المقالات، وتنقّل بينها، وابحث في الأرشيف، "
            "واشترك لتصلك الأخبار الجديدة تلقائياً.\n\n"
            "ابدأ بـ /latest أو /search، وأرسل /help لقائمة الأوامر."
        ),
        "en": (
            "Welcome to <b>{site}</b> 📰\n"
            "The latest news at hand: list the newest articles, read on from one to the next, "
            "search the archive, and subscribe to receive new articles automatically.\n\n"
            "Start with /latest or /search; /help lists every command."
        ),
    },
    "help": {
        "ar": (
            "<b>الأوامر</b>\n"
            "/latest [عدد] — أحدث المقالات (5 افتراضياً، حتى 20)\n"
            "/next — المقال التالي لآخر مقال قرأته\n"
            "/prev — المقال السابق لآخر مقال قرأته\n"
            "/search كلمات — البحث في الأرشيف، مثل: /search طرطوس\n"
            "/subscribe — الاشتراك في الأخبار الجديدة (في مجموعة: للمشرفين)\n"
            "/subscribe @channel — اشتراك قناة تديرها (والبوت مشرف فيها)\n"
            "/unsubscribe — إلغاء الاشتراك\n"
            "/help — هذه القائمة"
        ),
        "en": (
            "<b>Commands</b>\n"
            "/latest [n] — the newest articles (5 by default, up to 20)\n"
            "/next — the article after the one you read last\n"
            "/prev — the article before the one you read last\n"
            "/search words — search the archive, e.g. /search Tartus\n"
            "/subscribe — receive new articles (in a group: admins only)\n"
            "/subscribe @channel — subscribe a channel you run (with the bot as its admin)\n"
            "/unsubscribe — stop receiving new articles\n"
            "/help — this list"
        ),
    },
    "help_admin": {
        "ar": (
            "\n\n<b>للمحررين</b>\n"
            "/post العنوان ثم النص في الأسطر التالية — نشر مقال (سطر فيه رابط فقط يصبح رابطه)\n"
            "/urgent — مثل /post لكن لخبر عاجل يُرسل فوراً\n"
            "/stats — إحصاءات المقالات والاشتراكات والإرسال\n"
            "/edit رقم — تصحيح مقال منشور: تُعدَّل نسخه المرسلة في أماكنها\n"
            "/delete رقم — سحب مقال منشور وحذف نسخه المرسلة\n"
            "/history رقم — من نشر المقال وصححه وسحبه، ومتى\n"
            "/feeds — مصادر الأخبار (RSS/Atom) وحالتها؛ /feeds add رابط لإضافة مصدر"
        ),
        "en": (
            "\n\n<b>For editors</b>\n"
            "/post title, then the body on the next lines — publish an article "
            "(a line holding only a link becomes its link)\n"
            "/urgent — like /post, for breaking news sent at once\n"
            "/stats — articles, subscriptions and deliveries\n"
            "/edit N — correct a published article: its delivered copies are edited in place\n"
            "/delete N — withdraw a published article and delete its delivered copies\n"
            "/history N — who published, corrected and withdrew an article, and when\n"
            "/feeds — the news feeds (RSS/Atom) and their health; /feeds add URL to add one"
        ),
    },
    "latest_header": {
        "ar": "📰 <b>أحدث {n} مقالات</b>",
        "en": "📰 <b>The {n} newest articles</b>",
    },
    "digest_header": {
        "ar": "📰 <b>أخبار أخرى جديدة ({n})</b>",
        "en": "📰 <b>More new articles ({n})</b>",
    },
    "urgent_mark": {"ar": "🔴 عاجل", "en": "🔴 Breaking"},
    "digest_more": {
        "ar": "… ومعها {n} غيرها في الأرشيف: /latest أو /search",
        "en": "… and {n} more in the archive: /latest or /search",
    },
    "latest_header_one": {"ar": "📰 <b>أحدث مقال</b>", "en": "📰 <b>The newest article</b>"},
    "latest_bad_n": {
        "ar": "اكتب عدداً بين 1 و20 بعد الأمر، مثل: /latest 10",
        "en": "Give a number from 1 to 20 after the command, e.g. /latest 10",
    },
    "no_articles": {
        "ar": "لا توجد مقالات بعد. عُد قريباً!",
        "en": "There are no articles yet. Come back soon!",
    },
    "article_missing": {
        "ar": "هذا المقال لم يعد متاحاً. أرسل /latest لأحدث المقالات.",
        "en": "This article is no longer available. Send /latest for the newest ones.",
    },
    "no_position": {
        "ar": "لم تفتح أي مقال بعد. أرسل /latest لتختار واحداً.",
        "en": "You have not opened an article yet. Send /latest to pick one.",
    },
    "no_next": {
        "ar": "هذا أحدث مقال، لا يوجد مقال تالٍ بعد.",
        "en": "This is the newest article; there is no next one yet.",
    },
    "no_prev": {
        "ar": "هذا أقدم مقال، لا يوجد مقال سابق.",
        "en": "This is the oldest article; there is no previous one.",
    },
    "btn_prev": {"ar": "→ السابق", "en": "← Previous"},
    "btn_next": {"ar": "التالي ←", "en": "Next →"},
    "btn_read": {"ar": "اقرأ المقال", "en": "Read the article"},
    "btn_site": {"ar": "على الموقع 🔗", "en": "On the site 🔗"},
    "btn_more": {"ar": "المزيد من النتائج ←", "en": "More results →"},
    "link": {"ar": "رابط المقال", "en": "Read on the site"},
    "part": {"ar": "({i}/{n})", "en": "({i}/{n})"},
    "search_usage": {
        "ar": (
            "🔎 اكتب ما تبحث عنه بعد الأمر، مثل:\n/search طرطوس\n"
            'كل الكلمات مطلوبة؛ ضع عبارة بين علامتي تنصيص "هكذا" للبحث عنها كما هي، '
            "و* في آخر الكلمة للبحث ببدايتها."
        ),
        "en": (
            "🔎 Type what you are looking for after the command, e.g.\n/search Tartus\n"
            'Every word must match; put a phrase in quotes "like this" to find it as is, '
            "and a * at the end of a word to match its beginning."
        ),
    },
    "search_none": {
        "ar": "🔎 لا نتائج لـ «{query}». جرّب كلمات أقل أو أبسط.",
        "en": "🔎 No results for “{query}”. Try fewer or simpler words.",
    },
    "search_header": {
        "ar": "🔎 <b>{total}</b> نتيجة لـ «{query}» ({first}–{last})",
        "en": "🔎 <b>{total}</b> results for “{query}” ({first}–{last})",
    },
    "search_expired": {
        "ar": "انتهت صلاحية هذا البحث، أعد إرساله.",
        "en": "This search has expired; please send it again.",
    },
    "sub_done": {
        "ar": "✅ تم الاشتراك. ستصلك المقالات الجديدة هنا فور نشرها.",
        "en": "✅ Subscribed. New articles will arrive here as they are published.",
    },
    "sub_already": {
        "ar": "أنت مشترك بالفعل. لإلغاء الاشتراك: /unsubscribe",
        "en": "Already subscribed. To stop: /unsubscribe",
    },
    "unsub_done": {
        "ar": "تم إلغاء الاشتراك. لن تصلك مقالات جديدة. للعودة: /subscribe",
        "en": "Unsubscribed. No more new articles. To come back: /subscribe",
    },
    "unsub_none": {
        "ar": "لا يوجد اشتراك هنا لإلغائه.",
        "en": "There is no subscription here to cancel.",
    },
    "sub_group_admins_only": {
        "ar": "فقط مشرفو المجموعة يمكنهم إدارة اشتراكها.",
        "en": "Only the group's admins can manage its subscription.",
    },
    "channel_done": {
        "ar": "✅ تم اشتراك القناة {chat}. ستُنشر فيها المقالات الجديدة تلقائياً.",
        "en": "✅ {chat} is subscribed. New articles will be posted there automatically.",
    },
    "channel_already": {
        "ar": "القناة {chat} مشتركة بالفعل.",
        "en": "{chat} is already subscribed.",
    },
    "channel_unsub_done": {
        "ar": "تم إلغاء اشتراك {chat}.",
        "en": "{chat} is unsubscribed.",
    },
    "channel_unsub_none": {
        "ar": "القناة {chat} ليست مشتركة.",
        "en": "{chat} is not subscribed.",
    },
    "channel_bad_ref": {
        "ar": "اكتب معرّف القناة هكذا: /subscribe @channel أو /subscribe -100…",
        "en": "Name the channel like this: /subscribe @channel or /subscribe -100…",
    },
    "channel_not_found": {
        "ar": (
            "لا أستطيع الوصول إلى {chat}. أضف البوت إلى القناة مشرفاً بصلاحية نشر الرسائل، "
            "ثم أعد المحاولة."
        ),
        "en": (
            "I cannot reach {chat}. Add the bot to the channel as an admin allowed to post "
            "messages, then try again."
        ),
    },
    "channel_not_admin_you": {
        "ar": "يجب أن تكون مشرفاً في {chat} لتدير اشتراكها.",
        "en": "You must be an admin of {chat} to manage its subscription.",
    },
    "channel_bot_cannot_post": {
        "ar": (
            "البوت ليس مشرفاً في {chat} بصلاحية نشر الرسائل. افتح إعدادات القناة ← المشرفون، "
            "أضف البوت وفعّل «نشر الرسائل»، ثم أعد المحاولة."
        ),
        "en": (
            "The bot is not an admin of {chat} allowed to post messages. Open the channel's "
            "settings → Administrators, add the bot with “Post messages”, then try again."
        ),
    },
    "channel_private_only": {
        "ar": "لإدارة اشتراك قناة أرسل الأمر في محادثة خاصة مع البوت.",
        "en": "To manage a channel's subscription, send the command in a private chat with me.",
    },
    "telegram_busy": {
        "ar": "تيليجرام لا يجيب الآن، أعد المحاولة بعد قليل.",
        "en": "Telegram is not answering right now; please try again shortly.",
    },
    "post_denied": {
        "ar": "عذراً، النشر متاح لمحرري الموقع فقط.",
        "en": "Sorry, only the site's editors can post articles.",
    },
    "post_usage": {
        "ar": (
            "اكتب العنوان بعد /post (في السطر نفسه أو التالي) ثم نص المقال في الأسطر التالية. "
            "سطر فيه رابط فقط يصبح رابط المقال. استخدم /urgent بدلاً من /post لخبر عاجل يُرسل فوراً."
        ),
        "en": (
            "Write the title after /post (on its line or the next) and the body on the "
            "following lines. A line holding only a link becomes the article's link. "
            "Use /urgent instead of /post for breaking news sent at once."
        ),
    },
    "post_stored": {
        "ar": "✅ حُفظ المقال رقم {id} وسيُرسل إلى المشتركين في الدفعة التالية. المعاينة:",
        "en": "✅ Article {id} is stored and goes to subscribers at the next push. Preview:",
    },
    "post_urgent": {
        "ar": "⚡ حُفظ المقال رقم {id} ويُرسل الآن إلى {n} مشتركين. المعاينة:",
        "en": "⚡ Article {id} is stored and is being sent now to {n} subscribers. Preview:",
    },
    "post_duplicate": {
        "ar": "هذا المقال موجود بالفعل (رقم {id})، لم يُضف مرة أخرى.",
        "en": "This article is already there (id {id}); it was not added again.",
    },
    "why_post_empty": {"ar": "العنوان والنص فارغان", "en": "the title and the body are missing"},
    "why_body_missing": {
        "ar": "النص مفقود: اكتبه في الأسطر التي تلي العنوان",
        "en": "the body is missing: write it on the lines after the title",
    },
    "why_title_invisible": {
        "ar": "العنوان فارغ أو غير مرئي (مسافات أو رموز تحكم فقط)",
        "en": "the title is empty or invisible (only spaces or control characters)",
    },
    "why_body_invisible": {
        "ar": "النص فارغ أو غير مرئي (مسافات أو رموز تحكم فقط)",
        "en": "the body is empty or invisible (only spaces or control characters)",
    },
    "why_title_long": {
        "ar": "العنوان أطول من {n} حرف",
        "en": "the title is longer than {n} characters",
    },
    "why_body_long": {
        "ar": "النص أطول من {n} حرف",
        "en": "the body is longer than {n} characters",
    },
    "why_url_bad": {
        "ar": "الرابط ليس عنوان http أو https",
        "en": "the link is not an http or https address",
    },
    "delete_usage": {
        "ar": "اكتب رقم المقال بعد /delete، مثل: /delete 12",
        "en": "Write the article's number after /delete, e.g. /delete 12",
    },
    "delete_started": {
        "ar": (
            "🗑 سُحب المقال رقم {id}: خرج من الأحدث والبحث ولن يُرسل بعد الآن. "
            "جارٍ حذف نسخه المرسلة ({n})…"
        ),
        "en": (
            "🗑 Article {id} is withdrawn: out of the latest and search, and no longer sent. "
            "Deleting its delivered copies ({n})…"
        ),
    },
    "delete_done": {
        "ar": "✅ المقال رقم {id}: حُذفت نسخه المرسلة كلها ({deleted}).",
        "en": "✅ Article {id}: every delivered copy was deleted ({deleted}).",
    },
    "delete_some_stay": {
        "ar": "المقال رقم {id}: حُذفت {deleted}، وبقيت {stayed} ({why})، وبالانتظار {waiting}.",
        "en": (
            "Article {id}: {deleted} copies deleted, {stayed} stay ({why}), "
            "{waiting} still waiting."
        ),
    },
    "why_too_old": {
        "ar": "أقدم من 48 ساعة، وتيليجرام لا يسمح بحذفها",
        "en": "older than 48 hours, which Telegram does not let a bot delete",
    },
    "history_usage": {
        "ar": "اكتب رقم المقال بعد /history، مثل: /history 12",
        "en": "Write the article's number after /history, e.g. /history 12",
    },
    "history_none": {
        "ar": "لا سجل للمقال رقم {id} (لم ينشره محرر عبر البوت).",
        "en": "No history for article {id} (no editor posted it through the bot).",
    },
    "history_header": {
        "ar": "🗂 <b>سجل المقال رقم {id}</b>",
        "en": "🗂 <b>History of article {id}</b>",
    },
    "history_published": {"ar": "• نشره {who} — {when}", "en": "• published by {who} — {when}"},
    "history_urgent": {
        "ar": "• نشره {who} خبراً عاجلاً — {when}",
        "en": "• published as breaking news by {who} — {when}",
    },
    "history_edited": {"ar": "• صحّحه {who} — {when}", "en": "• corrected by {who} — {when}"},
    "history_deleted": {"ar": "• سحبه {who} — {when}", "en": "• withdrawn by {who} — {when}"},
    "history_was": {"ar": "كان عنوانه: {title}", "en": "its title was: {title}"},
    "edit_usage": {
        "ar": (
            "اكتب رقم المقال بعد /edit ثم العنوان الجديد (في السطر نفسه أو التالي) والنص الجديد "
            "في الأسطر التالية، مثل:\n/edit 12 العنوان المصحح\nالنص المصحح."
        ),
        "en": (
            "Write the article's number after /edit, then the new title (on its line or the "
            "next) and the new body below, e.g.\n/edit 12 The corrected title\nThe corrected body."
        ),
    },
    "edit_no_article": {
        "ar": "لا يوجد مقال رقم {id}.",
        "en": "There is no article {id}.",
    },
    "edit_same": {
        "ar": "المقال رقم {id} بهذا النص أصلاً؛ لم يتغير شيء.",
        "en": "Article {id} already reads so; nothing changed.",
    },
    "edit_nothing": {
        "ar": "المقال رقم {id} صُحح، ولم تُرسل منه نسخ بعد (ما سيُرسل يحمل النص الجديد).",
        "en": (
            "Article {id} is corrected; no copy of it was sent yet (what goes out carries "
            "the new text)."
        ),
    },
    "edit_started": {
        "ar": "✏️ صُحح المقال رقم {id}. جارٍ تعديل نسخه المرسلة ({n})…",
        "en": "✏️ Article {id} is corrected. Editing its {n} delivered copies…",
    },
    "edit_done": {
        "ar": "✅ المقال رقم {id}: عُدّلت النسخ المرسلة كلها في أماكنها ({edited}).",
        "en": "✅ Article {id}: every delivered copy was edited where it stands ({edited}).",
    },
    "edit_done_some_failed": {
        "ar": (
            "المقال رقم {id}: عُدّلت {edited}، وتعذّر تعديل {failed} ({why})، وبقي {waiting} "
            "بالانتظار."
        ),
        "en": (
            "Article {id}: {edited} copies edited, {failed} could not be ({why}), {waiting} "
            "still waiting."
        ),
    },
    "post_invalid": {
        "ar": "لم يُحفظ المقال: {reason}",
        "en": "The article was not stored: {reason}",
    },
    "stats": {
        "ar": (
            "📊 <b>الإحصاءات</b>\n"
            "المقالات: {articles}\n"
            "الاشتراكات النشطة: {subs} (خاصة {private}، مجموعات {groups}، قنوات {channels})\n"
            "الإرسال: تم {sent}، فشل {failed}، بالانتظار {pending}، تكرار محتمل {doubtful}\n"
            "التصحيحات: عُدّلت {edited} نسخة مرسلة\n"
            "الطابور: {depth} رسالة؛ السرعة: {rate} رسالة/ث في آخر دقيقة"
        ),
        "en": (
            "📊 <b>Stats</b>\n"
            "Articles: {articles}\n"
            "Active subscriptions: {subs} (private {private}, groups {groups}, "
            "channels {channels})\n"
            "Deliveries: sent {sent}, failed {failed}, pending {pending}, "
            "possible duplicates {doubtful}\n"
            "Corrections: {edited} delivered copies edited\n"
            "Queue: {depth} messages; rate: {rate} messages/s over the last minute"
        ),
    },
    "stats_articles": {"ar": "<b>آخر المقالات المرسلة</b>", "en": "<b>Latest articles sent</b>"},
    "stats_article": {
        "ar": "#{id} {title}\nوصل إلى {sent}، بالانتظار {pending}، فشل {failed}",
        "en": "#{id} {title}\nreached {sent}, pending {pending}, failed {failed}",
    },
    "editors_channel_on": {
        "ar": "✅ اشتركت القناة {chat} بأمر نُشر فيها؛ ستُنشر فيها المقالات الجديدة.",
        "en": "✅ {chat} subscribed with a command posted in it; new articles will go there.",
    },
    "editors_channel_off": {
        "ar": "توقف النشر في القناة {chat} بأمر نُشر فيها.",
        "en": "{chat} unsubscribed with a command posted in it.",
    },
    "admin_chat_deactivated": {
        "ar": "⚠️ توقف الإرسال إلى {chat}: {reason}. أصلح السبب ثم أعد الاشتراك.",
        "en": "⚠️ Stopped sending to {chat}: {reason}. Fix the cause, then subscribe again.",
    },
    "offer_channel": {
        "ar": "أصبح البوت مشرفاً في {chat} ويمكنه النشر فيها. هل تريد نشر المقالات الجديدة هناك؟",
        "en": "The bot is now an admin of {chat} and may post there. Publish new articles there?",
    },
    "btn_subscribe_chat": {"ar": "✅ اشترك {chat}", "en": "✅ Subscribe {chat}"},
    "feeds_header": {"ar": "📡 <b>المصادر ({n})</b>", "en": "📡 <b>Feeds ({n})</b>"},
    "feeds_none": {
        "ar": (
            "📡 لا أتابع أي مصدر بعد. أضف موجز الموقع (RSS أو Atom) هكذا:\n/feeds add "
            "https://example.com/rss"
        ),
        "en": (
            "📡 No feeds yet. Add the site's feed (RSS or Atom) like this:\n/feeds add "
            "https://example.com/rss"
        ),
    },
    "feeds_help": {
        "ar": "/feeds add رابط — متابعة مصدر · /feeds remove رابط — إيقاف متابعته",
        "en": "/feeds add URL — follow a feed · /feeds remove URL — stop following it",
    },
    "feed_never": {"ar": "⏳ لم يُجلب بعد", "en": "⏳ not fetched yet"},
    "feed_ok": {
        "ar": "✅ آخر جلب {when} · جديد: {new} · مقالاته: {total}",
        "en": "✅ last fetched {when} · new: {new} · articles from it: {total}",
    },
    "feed_failing": {
        "ar": "⚠️ فشل {failures} مرات متتالية: {error}\nالمحاولة التالية {next}",
        "en": "⚠️ failed {failures} times in a row: {error}\nnext try {next}",
    },
    "feeds_added": {
        "ar": "✅ أُضيف المصدر\n<code>{url}</code>\nجارٍ جلبه…",
        "en": "✅ Feed added\n<code>{url}</code>\nFetching it…",
    },
    "feeds_exists": {
        "ar": "هذا المصدر مُتابَع بالفعل:\n<code>{url}</code>",
        "en": "That feed is already followed:\n<code>{url}</code>",
    },
    "feeds_bad_url": {
        "ar": "هذا ليس رابط http أو https. مثال:\n/feeds add https://example.com/rss",
        "en": (
            "That is not an http or https address. For example:\n/feeds add "
            "https://example.com/rss"
        ),
    },
    "feeds_removed": {
        "ar": "🗑 توقفت متابعة المصدر\n<code>{url}</code>\nتبقى مقالاته في الأرشيف.",
        "en": "🗑 Stopped following\n<code>{url}</code>\nIts articles stay in the archive.",
    },
    "feeds_removed_setting": {
        "ar": (
            "ملاحظة: هذا المصدر مذكور في الإعداد FEEDS وسيعود عند إعادة تشغيل البوت ما لم "
            "يُحذف من هناك."
        ),
        "en": (
            "Note: this feed is listed in the FEEDS setting and comes back at the next "
            "restart unless it is removed there."
        ),
    },
    "feeds_unknown": {
        "ar": "لا أتابع هذا المصدر. أرسل /feeds لقائمة المصادر.",
        "en": "I don't follow that feed. Send /feeds for the list.",
    },
    "feeds_first_fetch": {
        "ar": (
            "📡 تم جلب المصدر. ما فيه الآن ({new}) حُفظ في الأرشيف دون إرسال، "
            "وكل جديد بعده يصل المشتركين."
        ),
        "en": (
            "📡 Fetched. What it holds now ({new}) is in the archive, not sent; everything "
            "new after it reaches subscribers."
        ),
    },
    "feeds_fetch_failed": {
        "ar": "⚠️ تعذّر جلبه: {error}\nسأعيد المحاولة تلقائياً.",
        "en": "⚠️ Could not fetch it: {error}\nI will keep trying.",
    },
    "feed_alert_failing": {
        "ar": (
            "⚠️ فشل جلب المصدر {failures} مرات متتالية:\n<code>{url}</code>\nآخر خطأ: "
            "{error}\nأواصل المحاولة وأخبرك حين يعود."
        ),
        "en": (
            "⚠️ A feed has failed {failures} times in a row:\n<code>{url}</code>\nLast "
            "error: {error}\nI keep trying and will tell you when it is back."
        ),
    },
    "feed_alert_recovered": {
        "ar": "✅ عاد المصدر يعمل:\n<code>{url}</code>",
        "en": "✅ A feed works again:\n<code>{url}</code>",
    },
    "button_stale": {
        "ar": "هذا الزر لم يعد يعمل. أرسل /latest لأحدث المقالات.",
        "en": "This button no longer works. Send /latest for the newest articles.",
    },
    "admin_only": {
        "ar": "هذا الأمر للمحررين فقط.",
        "en": "This command is for editors only.",
    },
    "error": {
        "ar": "حدث خطأ غير متوقع، ولم يضع شيء. أعد المحاولة بعد قليل.",
        "en": "Something unexpected went wrong and nothing was lost. Please try again shortly.",
    },
    "text_only": {
        "ar": "أفهم النصوص فقط: اكتب كلمات للبحث عنها، أو أرسل /help لقائمة الأوامر.",
        "en": "I understand text only: type words to search for them, or send /help.",
    },
    "unknown_command": {
        "ar": "لا أعرف هذا الأمر. أرسل /help لقائمة الأوامر.",
        "en": "I don't know that command. Send /help for the list.",
    },
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

#: Command menu descriptions (setMyCommands), per language.
COMMANDS: dict[Lang, list[tuple[str, str]]] = {
    "ar": [
        ("latest", "أحدث المقالات"),
        ("next", "المقال التالي"),
        ("prev", "المقال السابق"),
        ("search", "البحث في الأرشيف"),
        ("subscribe", "الاشتراك في الأخبار الجديدة"),
        ("unsubscribe", "إلغاء الاشتراك"),
        ("help", "قائمة الأوامر"),
    ],
    "en": [
        ("latest", "The newest articles"),
        ("next", "Next article"),
        ("prev", "Previous article"),
        ("search", "Search the archive"),
        ("subscribe", "Receive new articles"),
        ("unsubscribe", "Stop receiving new articles"),
        ("help", "Every command"),
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
PLURALS: dict[str, dict[Lang, dict[str, str]]] = {
    "results": {
        "ar": {
            "zero": "لا نتائج",
            "one": "نتيجة واحدة",
            "two": "نتيجتان",
            "few": "{n} نتائج",
            "many": "{n} نتيجة",
            "other": "{n} نتيجة",
        },
        "en": {"one": "{n} result", "other": "{n} results"},
    },
    "articles": {
        "ar": {
            "zero": "لا مقالات",
            "one": "مقال واحد",
            "two": "مقالان",
            "few": "{n} مقالات",
            "many": "{n} مقالاً",
            "other": "{n} مقال",
        },
        "en": {"one": "{n} article", "other": "{n} articles"},
    },
}


def language_for(code: str | None, default: Lang) -> Lang:
    """Arabic by default; English for readers whose Telegram speaks English."""
    if code and code.lower().startswith("en"):
        return "en"
    if code and code.lower().startswith("ar"):
        return "ar"
    return default

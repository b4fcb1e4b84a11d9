"""Photo posts: an article with an image goes out as one photo with its caption within 1,024
characters; corrections edit that caption in place, withdrawals delete the photo."""

from __future__ import annotations

from bot import render
from bot.delivery import send_rendered
from bot.standin import Fault, utf16_len
from bot.strings import STRINGS, Lang
from storage import articles, chats, deliveries
from storage.articles import Arrival, NewArticle
from tests.bot.conftest import EN_READER, READER, Harness

CHANNEL = -1001234567890
LANGS: tuple[Lang, ...] = ("ar", "en")
IMAGE = "https://www.example.com/images/port.jpg"
TITLE = "حريق في مستودع الميناء"
BODY = "اندلع حريق صباح اليوم في مستودع قرب الميناء.\nوصلت فرق الإطفاء بعد دقائق."
# Far beyond a caption: twelve long paragraphs, and an emoji that counts 2 in UTF-16.
# Numbers and Latin words take direction marks in Arabic text: they count too.
LONG_BODY = "\n".join(
    f"الفقرة {i} 🔥: " + "قال Reuters في 2024 إن 15 سفينة. " * 30 for i in range(12)
)


async def _subscribers(bot: Harness) -> None:
    """A reader, an English reader and a channel, subscribed through storage."""
    await bot.send(READER, "/subscribe")
    await bot.send(EN_READER, "/subscribe", lang="en")
    bot.tg.add_chat(CHANNEL, "channel", title="قناة", username="akhbar_channel")
    bot.tg.set_member(CHANNEL, bot.tg.bot_id, "administrator", can_post_messages=True)
    await chats.upsert_chat(bot.deps.db, CHANNEL, "channel", title="قناة")
    await chats.subscribe(bot.deps.db, CHANNEL, None)


async def _article(
    bot: Harness, image: str | None, title: str = TITLE, body: str = BODY, url: str = "fire"
) -> int:
    new = NewArticle(title=title, body=body, url=f"https://www.example.com/{url}", image=image)
    article_id, added = await articles.add(bot.deps.db, new, Arrival(origin="feed"))
    assert added
    return article_id


async def test_an_article_with_an_image_goes_out_as_one_photo(bot: Harness) -> None:
    await _subscribers(bot)
    await _article(bot, IMAGE)
    bot.tg.clear()
    assert await bot.push() == 3
    for chat_id in (READER, EN_READER, CHANNEL):
        [copy] = bot.tg.messages(chat_id)
        assert copy.photo is not None
        assert copy.photo_url == IMAGE
        assert copy.bold() == [TITLE]
        assert "وصلت فرق الإطفاء" in copy.text  # the teaser is in the caption
        assert copy.disable_notification  # an ordinary push stays silent
    # All of this short article is in the caption, with the link to the site.
    link = (STRINGS["link"]["ar"], "https://www.example.com/fire")
    assert bot.tg.last(CHANNEL).links() == [link]
    assert [r.method for r in bot.tg.requests if r.method.startswith("send")] == ["sendPhoto"] * 3


async def test_a_long_caption_is_kept_within_telegrams_limit(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    long_title = "عنوان طويل جداً " * 40  # 640 characters
    await _article(bot, IMAGE, title=long_title.strip(), body=LONG_BODY)
    bot.tg.clear()
    assert await bot.push() == 1
    [copy] = bot.tg.messages(READER)
    assert copy.photo is not None
    assert 500 < utf16_len(copy.text) <= 1024
    assert copy.text.rstrip().endswith(STRINGS["link"]["ar"])  # the link survived
    assert copy.button_texts()  # and the button that opens the whole article


async def test_a_photo_telegram_cannot_fetch_goes_out_as_text(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    bot.tg.unreachable_urls.add(IMAGE)
    await _article(bot, IMAGE)
    bot.tg.clear()
    assert await bot.push() == 1
    [copy] = bot.tg.messages(READER)
    assert copy.photo is None
    assert copy.bold() == [TITLE]
    assert [r.method for r in bot.tg.requests if r.method.startswith("send")] == [
        "sendPhoto",
        "sendMessage",
    ]
    counts = await deliveries.counts(bot.deps.db)
    assert (counts.sent, counts.failed) == (1, 0)


async def test_a_correction_edits_every_photo_caption_in_place(bot: Harness) -> None:
    await _subscribers(bot)
    bot.tg.add_chat(4004, "private")
    await bot.send(4004, "/subscribe")
    # Telegram could not fetch the image for this one reader: its copy went out as text.
    refused = Fault("bad", status=400, description="Bad Request: failed to get HTTP URL content")
    bot.tg.inject("sendPhoto", refused, chat_id=4004)
    article_id = await _article(bot, IMAGE)
    await bot.push()
    copies = [bot.tg.last(c) for c in (READER, EN_READER, CHANNEL, 4004)]
    assert [c.photo is not None for c in copies] == [True, True, True, False]
    sent_before = len(bot.tg.sent)
    new = NewArticle(title="حريق محدود في مستودع الميناء", body="اندلع حريق محدود.")
    assert await articles.correct(bot.deps.db, article_id, new) == 4
    await bot.push()
    assert len(bot.tg.sent) == sent_before  # nothing sent again: edited where it stands
    for copy in copies:  # the same messages, changed
        assert bot.tg.last(copy.chat_id).message_id == copy.message_id
        assert copy.bold() == ["حريق محدود في مستودع الميناء"]
        assert copy.edits == 1
    methods = [r.method for r in bot.tg.requests if r.method.startswith("edit")]
    assert methods.count("editMessageCaption") >= 3
    assert "editMessageText" in methods  # the copy that went out as text
    report = await deliveries.edit_report(bot.deps.db, article_id)
    assert (report.owed, report.failed) == (0, {})


async def test_a_withdrawn_photo_is_deleted(bot: Harness) -> None:
    await _subscribers(bot)
    article_id = await _article(bot, IMAGE)
    await bot.push()
    copies = [bot.tg.last(c) for c in (READER, EN_READER, CHANNEL)]
    assert await articles.withdraw(bot.deps.db, article_id)
    await bot.push()
    assert sorted(bot.tg.deleted) == sorted((c.chat_id, c.message_id) for c in copies)
    report = await deliveries.delete_report(bot.deps.db, article_id)
    assert (report.deleted, report.stayed) == (3, {})


async def test_a_list_of_many_articles_is_never_a_photo(bot: Harness) -> None:
    await bot.send(READER, "/subscribe")
    for n in range(8):  # beyond PUSH_BATCH_MAX (5): three go into one list
        image = f"https://www.example.com/{n}.jpg"
        await _article(bot, image, title=f"خبر {n}", body=f"نص {n}.", url=str(n))
    bot.tg.clear()
    await bot.push()
    messages = bot.tg.messages(READER)
    assert len(messages) == 6
    assert sum(m.photo is None for m in messages) == 1  # the list


async def test_send_rendered_puts_what_does_not_fit_the_caption_after_it(bot: Harness) -> None:
    file_id = "AgACeditor-photo"
    bot.tg.photo_update(READER, READER, "", file_id=file_id)  # the editor's photo is known
    paragraphs = [f"الفقرة {i}: " + "كلام في الخبر. " * 25 for i in range(8)]
    html = "<b>عنوان الخبر</b>\n\n" + "\n\n".join(render.esc(p) for p in paragraphs)
    message = render.Message(html, photo=file_id)
    main = await send_rendered(bot.app.bot, READER, message, parse_mode="HTML")
    sent = bot.tg.messages(READER)
    assert sent[0].photo == file_id
    assert main.message_id == sent[0].message_id
    assert utf16_len(sent[0].text) <= 1024
    assert sent[0].bold() == ["عنوان الخبر"]
    assert len(sent) >= 2
    assert all(m.photo is None for m in sent[1:])
    shown = "\n\n".join(m.text for m in sent)
    assert all(p.strip() in shown for p in paragraphs)  # nothing lost
    # A text message goes as it is.
    await send_rendered(bot.app.bot, READER, render.Message("<i>نص</i>"), parse_mode="HTML")
    assert bot.tg.last(READER).entity_texts("italic") == ["نص"]


def test_every_caption_fits_whatever_the_article() -> None:
    """Long titles, numbers and Latin words (direction marks in Arabic), emoji (2 UTF-16
    units), urgent marks: the caption is always within 1,024, as Telegram counts."""
    from storage.articles import Article

    bodies = [
        LONG_BODY,
        "كلمة " * 3000,  # one paragraph, far too long
        "😀" * 2000,
        "\n".join("1 2 3 4 5 6 7 8 9 10 A B C D E F" for _ in range(200)),
    ]
    titles = ["عنوان", "عنوان 2024 iPhone 16 Pro " * 30, "😀" * 400]
    for body in bodies:
        for title in titles:
            for lang in LANGS:
                article = Article(
                    id=7,
                    title=title,
                    body=body,
                    url="https://www.example.com/a?x=1&y=2",
                    source="Reuters 24",
                    category=None,
                    published_at="2026-12-01T10:00:00+03:00",
                    created_at="2026-12-01T10:00:00+00:00",
                    image=IMAGE,
                )
                message = render.push_message(article, lang, "newsbot", True, urgent=True)
                assert message.photo == IMAGE
                assert render.visible_len(message.text) <= 1024
                assert message.keyboard is not None  # the rest is a press away

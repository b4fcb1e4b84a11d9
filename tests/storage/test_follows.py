"""Followed keywords and topics on real SQLite files: parsing, matching as /search matches,
and who gets which new article."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import chats, deliveries, follows, open_database, search
from storage.articles import Arrival, NewArticle, store_many_in
from storage.db import Database
from storage.deliveries import PushPolicy


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "news.db")
    yield database
    await database.close()


_serial = iter(range(1, 1_000_000))


def _now() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0).isoformat()


async def add(
    db: Database, title: str, body: str = "نص", category: str | None = None, origin: str = "file"
) -> int:
    n = next(_serial)
    article = NewArticle(
        title=title,
        body=body,
        url=f"https://news.example/{n}",
        published_at=_now(),
        category=category,
    )
    arrival = Arrival(origin=origin, news=origin != "archive")
    async with db.transaction() as conn:
        [stored] = await store_many_in(conn, [article], arrival)
    return stored.id


async def chat(db: Database, chat_id: int, *texts: str) -> None:
    await chats.upsert_chat(db, chat_id, "private")
    for text in texts:
        added = await follows.add(db, chat_id, text)
        assert added.follow is not None, (text, added.problem)


async def matched(db: Database, article_id: int) -> set[int]:
    return (await follows.matching_chats(db, [article_id])).get(article_id, set())


# --- what a follow may be --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("ط" * 1000, "too_long"),
        ("طرطوس*", "syntax"),
        ("طرطوس OR حلب", "syntax"),
        ("NEAR(طرطوس ميناء, 2)", "syntax"),
        ("title_exact:طرطوس", "syntax"),
        ("(طرطوس)", "syntax"),
        ("!!! ؟؟ ...", "no_words"),
        ("«»", "no_words"),
        ("😀🇸🇾", "no_words"),
        ("#", "no_words"),
        ("في من", "too_common"),
    ],
)
async def test_bad_follows_are_refused_and_nothing_is_stored(
    db: Database, text: str, problem: str
) -> None:
    await chats.upsert_chat(db, 1, "private")
    added = await follows.add(db, 1, text)
    assert added.problem == problem
    assert await follows.list_follows(db, 1) == []
    assert await follows.receiving(db, 1) == "nothing"
    rows = await db.conn.execute_fetchall("SELECT count(*) FROM follow_keys")
    assert [tuple(r) for r in rows] == [(0,)]


async def test_a_duplicate_is_answered_not_stored_twice(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    again = await follows.add(db, 1, "  طرطوس ")
    assert again.follow is not None
    assert not again.new
    assert [f.label for f in await follows.list_follows(db, 1)] == ["طرطوس"]


async def test_a_chat_holds_at_most_max_follows(db: Database) -> None:
    await chats.upsert_chat(db, 1, "private")
    words = [f"كلمة{n}" for n in range(follows.MAX_FOLLOWS + 50)]
    outcomes = [await follows.add(db, 1, w) for w in words]
    assert sum(o.new for o in outcomes) == follows.MAX_FOLLOWS
    assert {o.problem for o in outcomes[follows.MAX_FOLLOWS :]} == {"too_many"}
    assert len(await follows.list_follows(db, 1)) == follows.MAX_FOLLOWS


async def test_labels_name_each_follow(db: Database) -> None:
    await add(db, "مباراة", category="رياضة")
    await chat(db, 1, "طرطوس", '"قاعدة حميميم"', "#رياضة")
    items = await follows.list_follows(db, 1)
    assert [(f.kind, f.label) for f in items] == [
        ("words", "طرطوس"),
        ("words", '"قاعدة حميميم"'),
        ("topic", "#رياضة"),
    ]


async def test_an_unknown_topic_is_refused(db: Database) -> None:
    await add(db, "مباراة", category="رياضة")
    await chats.upsert_chat(db, 1, "private")
    assert (await follows.add(db, 1, "#طبخ")).problem == "unknown_topic"
    assert (await follows.add(db, 1, "#رياضه")).new  # ة and ه fold together, as in search


# --- matching: the search analyser's cases ----------------------------------------------------


@pytest.mark.parametrize("written", ["وطرطوس", "بطرطوس", "لطرطوس", "طَرْطُوس", "والطرطوسي"])
async def test_a_followed_word_catches_its_glued_and_vowelled_forms(
    db: Database, written: str
) -> None:
    await chat(db, 1, "طرطوس")
    article = await add(db, "خبر", f"وصل الأسطول {written} صباحاً")
    assert await matched(db, article) == {1}


@pytest.mark.parametrize(
    ("followed", "text"),
    [
        ("الأسد", "وصفت المعارضة الصفقة بأنها فاسدة وفاسد"),  # ف is never stripped
        ("جنة", "اجتمعت لجنة التحقيق"),  # a short stem is never glued to ل
        ("طرطوس", "مدينة حمص"),
    ],
)
async def test_a_followed_word_does_not_catch_look_alikes(
    db: Database, followed: str, text: str
) -> None:
    await chat(db, 1, followed)
    article = await add(db, "خبر", text)
    assert await matched(db, article) == set()


QUERIES = [
    "طرطوس",
    "طَرْطُوس",
    "وطرطوس",
    "بطرطوس",
    "سوريا",
    "الحكومة",
    "الإسرائيلي",
    "حميميم طرطوس",
    '"قاعدة حميميم"',
    '"الحكومة السورية"',
    "london",
    "2018",
]
TEXTS = [
    ("قاعدة حميميم", "في حميميم وطرطوس"),
    ("خبر", "وصل الأسطول إلى ميناء طرطوس"),
    ("خبر", "قالت الحكومة السورية إن الوفد وصل"),
    ("خبر", "قالت الحكومات السوريه إن الوفد وصل"),
    ("خبر", "قالت الحكومة إن الوفد السورية وصل"),
    ("الجيش الإسرائيلي", "قصف إسرائيل مواقع في سورية"),
    ("حميميم", "قاعدة أخرى قرب حميميم، وبعيداً عن القاعدة طرطوس"),
    ("London talks", "Talks in London in 2018"),
    ("لسوريا", "عادت الحكومات إلى بطرطوس"),
]


async def test_follows_match_exactly_what_search_finds(db: Database) -> None:
    """For every query of the analyser's cases, a follow of it catches exactly the articles
    that /search of it finds (one chat per query)."""
    ids = [await add(db, title, body) for title, body in TEXTS]
    for n, query in enumerate(QUERIES, start=1):
        await chat(db, n, query)
    found = await follows.matching_chats(db, ids)
    compared = 0
    for n, query in enumerate(QUERIES, start=1):
        result = await search.search(db, query, limit=100)
        terms = search.parse_query(query)
        expected = {h.id for h in result.hits}
        every = [await _all_terms(db, h.id, query) for h in result.hits]
        if len(terms) > 1 and not all(every):
            continue  # the search fell back to any word; a follow never does
        caught = {i for i in ids if n in found.get(i, set())}
        assert caught == expected, query
        compared += 1
    assert compared == len(QUERIES)


async def _all_terms(db: Database, article_id: int, query: str) -> bool:
    for term in search.parse_query(query):
        match = search.match_expression([term])
        rows = await db.conn.execute_fetchall(
            "SELECT 1 FROM article_search WHERE article_search MATCH ? AND rowid = ?",
            (match, article_id),
        )
        if not list(rows):
            return False
    return True


async def test_a_phrase_needs_its_words_adjacent_and_in_order(db: Database) -> None:
    await chat(db, 1, '"قاعدة حميميم"')
    near = await add(db, "خبر", "هبطت الطائرة في قاعدة حميميم الجوية")
    apart = await add(db, "خبر", "حميميم ليست قاعدة بحرية")
    title = await add(db, "قاعدة حميميم", "نص آخر")
    split = await add(db, "خبر عن قاعدة", "حميميم")  # title's end and body's start are apart
    found = await follows.matching_chats(db, [near, apart, title, split])
    assert set(found) == {near, title}


async def test_several_words_must_all_match(db: Database) -> None:
    await chat(db, 1, "طرطوس ميناء")
    both = await add(db, "ميناء", "في طرطوس")
    one = await add(db, "خبر", "في طرطوس")
    assert await matched(db, both) == {1}
    assert await matched(db, one) == set()


async def test_a_topic_matches_the_category(db: Database) -> None:
    sport = await add(db, "مباراة", category="رياضة")
    other = await add(db, "رياضة الصباح", category="سياسة")
    await chat(db, 1, "#رياضة")
    assert await matched(db, sport) == {1}
    assert await matched(db, other) == set()


# --- who gets which article --------------------------------------------------------------------


async def _queued(db: Database, chat_id: int) -> list[int]:
    rows = await db.conn.execute_fetchall(
        "SELECT article_id FROM deliveries WHERE chat_id = ? ORDER BY article_id", (chat_id,)
    )
    return [int(r[0]) for r in rows]


async def test_a_chat_that_only_follows_gets_only_matching_articles_once(db: Database) -> None:
    old = await add(db, "طرطوس قبل المتابعة", category="رياضة")
    await chat(db, 1, "طرطوس", "ميناء", "#رياضة")
    await chats.upsert_chat(db, 2, "private")
    await chats.subscribe(db, 2, 2)
    both = await add(db, "ميناء طرطوس", "خبر", category="رياضة")  # three follows match
    other = await add(db, "خبر عن حلب")
    assert await follows.receiving(db, 1) == "follows"
    await deliveries.enqueue_new(db)
    assert await _queued(db, 1) == [both]  # once, and not the back catalogue
    assert old not in await _queued(db, 2)
    assert await _queued(db, 2) == [both, other]
    await deliveries.enqueue_new(db)
    assert await _queued(db, 1) == [both]


async def test_follow_only_chats_get_the_push_plan_too(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    ids = [await add(db, f"طرطوس {n}") for n in range(12)]
    await add(db, "حلب")
    await deliveries.enqueue_new(db, PushPolicy(batch_max=5))
    rows = await db.conn.execute_fetchall(
        "SELECT article_id, digest FROM deliveries WHERE chat_id = 1 ORDER BY article_id"
    )
    own = [int(a) for a, d in rows if d is None]
    listed = [int(a) for a, d in rows if d is not None]
    assert own == ids[-5:]
    assert listed == ids[:-5]


async def test_an_archive_is_never_pushed_to_followers(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    await add(db, "طرطوس", origin="archive")
    await deliveries.enqueue_new(db)
    assert await _queued(db, 1) == []


async def test_a_paused_chat_gets_nothing(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    await chats.upsert_chat(db, 2, "private")
    await chats.subscribe(db, 2, 2)
    for chat_id in (1, 2):
        await db.conn.execute(
            "INSERT INTO chat_settings (chat_id, paused, updated_at) VALUES (?, 1, ?)",
            (chat_id, _now()),
        )
    await db.conn.commit()
    article = await add(db, "طرطوس")
    await deliveries.enqueue_new(db)
    assert await deliveries.enqueue_article(db, article) == 0
    assert await _queued(db, 1) == []
    assert await _queued(db, 2) == []


async def test_urgent_news_reaches_followers_only_when_it_matches(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    await chats.upsert_chat(db, 2, "private")
    await chats.subscribe(db, 2, 2)
    match = await add(db, "عاجل: طرطوس", origin="editor")
    other = await add(db, "عاجل: حلب", origin="editor")
    assert await deliveries.enqueue_article(db, match) == 2
    assert await deliveries.enqueue_article(db, other) == 1
    assert await _queued(db, 1) == [match]


async def test_the_last_unfollow_stops_a_follows_only_chat(db: Database) -> None:
    await chat(db, 1, "طرطوس", "حلب")
    assert (await follows.remove(db, 1, "طرطوس")) is not None
    assert await follows.receiving(db, 1) == "follows"
    assert (await follows.remove(db, 1, "طرطوس")) is None
    [f] = await follows.list_follows(db, 1)
    assert await follows.remove_id(db, 1, f.id) is not None
    assert await follows.receiving(db, 1) == "nothing"
    await add(db, "حلب وطرطوس")
    await deliveries.enqueue_new(db)
    assert await _queued(db, 1) == []


async def test_subscribing_to_everything_and_back_to_follows_only(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    assert await chats.subscribe(db, 1, 1)  # a follows-only chat is not "already subscribed"
    assert await follows.receiving(db, 1) == "everything"
    assert not await chats.subscribe(db, 1, 1)
    assert await follows.set_follows_only(db, 1)
    assert await follows.receiving(db, 1) == "follows"
    await chats.unsubscribe(db, 1)
    assert await follows.receiving(db, 1) == "nothing"
    assert await follows.set_follows_only(db, 1, resume=True)
    assert await follows.receiving(db, 1) == "follows"


async def test_unfollow_by_button_only_in_its_own_chat(db: Database) -> None:
    await chat(db, 1, "طرطوس")
    [f] = await follows.list_follows(db, 1)
    assert await follows.remove_id(db, 2, f.id) is None
    assert len(await follows.list_follows(db, 1)) == 1


async def test_the_in_memory_index_follows_every_change(db: Database, tmp_path: Path) -> None:
    """Follows added or removed after the index was loaded count at the next article, in this
    connection and in another one on the same file (which may have pruned the log)."""
    await chat(db, 1, "طرطوس")
    first = await add(db, "طرطوس وحلب")
    assert await matched(db, first) == {1}
    await chat(db, 2, "حلب")
    [f] = await follows.list_follows(db, 1)
    await follows.remove_id(db, 1, f.id)
    assert await matched(db, first) == {2}
    await chat(db, 4, '"طرطوس وحلب"', "حلب طرطوس")
    assert await matched(db, first) == {2, 4}
    for f in await follows.list_follows(db, 4):
        await follows.remove_id(db, 4, f.id)
    assert await matched(db, first) == {2}
    other = await open_database(tmp_path / "news.db")
    try:
        assert await follows.matching_chats(other, [first]) == {first: {2}}
        await chat(other, 3, "طرطوس")
        assert await follows.matching_chats(other, [first]) == {first: {2, 3}}  # log pruned
        assert await matched(db, first) == {2, 3}  # reloaded past the pruned entries
    finally:
        await other.close()
    rows = await db.conn.execute_fetchall("SELECT count(*) FROM follow_log")
    assert [tuple(r) for r in rows] == [(0,)]

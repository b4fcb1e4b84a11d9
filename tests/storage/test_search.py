"""Search on real SQLite files: matching, query language, ranking, snippets and re-indexing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import arabic, articles, search
from storage.articles import NewArticle
from storage.db import Database, open_database, schema_version
from storage.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "000_454bbc6226a6af22.txt"
CORPUS = Path("/work/shared/corpus/articles.jsonl")

FILLER = "نص عادي عن الطقس والرياضة والاقتصاد في المنطقة"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "news.db")
    yield database
    await database.close()


_serial = iter(range(1, 1_000_000))
EPOCH = datetime(2018, 1, 1, tzinfo=UTC)


async def add(
    db: Database, title: str, body: str = FILLER, *, published_at: str | None = None
) -> int:
    """Store an article (a new url each time, so equal texts are distinct articles).

    Without ``published_at`` each call is a minute newer than the last.
    """
    n = next(_serial)
    when = published_at or (EPOCH + timedelta(minutes=n)).isoformat()
    article_id, added = await articles.add(
        db, NewArticle(title=title, body=body, url=f"https://t.invalid/{n}", published_at=when)
    )
    assert added
    return article_id


async def ids(db: Database, query: str, limit: int = 50) -> list[int]:
    return [h.id for h in (await search.search(db, query, limit=limit)).hits]


# --- matching -------------------------------------------------------------------------------


async def test_seed_article_is_found_by_tartus(db: Database) -> None:
    """The seed mentions طرطوس only glued: "في حميميم وطرطوس"."""
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    seed_id = await add(db, title.strip(), body.strip())
    await add(db, "خبر آخر", "لا علاقة له بالموضوع")
    for query in ["طرطوس", "طَرْطُوس", "وطرطوس", "حميميم طرطوس", "الاتفاقيات", "الإتفاقية"]:
        result = await search.search(db, query)
        assert [h.id for h in result.hits] == [seed_id], query
    hit = (await search.search(db, "طرطوس")).hits[0]
    [(a, b)] = hit.marks
    assert hit.snippet[a:b] == "وطرطوس"  # the whole word, never a part of it


async def test_harakat_in_the_text(db: Database) -> None:
    vowelled = await add(db, "خبر", "زار الوفد مدينة طَرْطُوس أمس مع الأمم المتّحدة")
    assert await ids(db, "طرطوس") == [vowelled]
    assert await ids(db, "المتحدة") == [vowelled]
    assert await ids(db, "المتّحدة") == [vowelled]


@pytest.mark.parametrize("glued", ["وطرطوس", "بطرطوس", "لطرطوس", "والطرطوسي"])
async def test_words_glued_to_a_proclitic_are_found(db: Database, glued: str) -> None:
    found = await add(db, "خبر", f"وصل الأسطول {glued} صباحا")
    await add(db, "خبر آخر", "وصل الأسطول صباحا")
    assert await ids(db, "طرطوس") == [found]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("مدينة", "المدينة"),
        ("المدينة", "مدينة"),
        ("الحكومة", "الحكومات"),
        ("الاسد", "الأسد"),
        ("الأسد", "الاسد"),
        ("اسرائيل", "إسرائيل"),
        ("مسئول", "مسؤول"),
        ("مسؤول", "مسئول"),
        ("مستشفي", "مستشفى"),
        ("مدينه", "مدينة"),
        ("سوريا", "سورية"),
        ("سورية", "سوريا"),
        ("2018", "٢٠١٨"),
        ("٢٠١٨", "2018"),
        ("۲۰۱۸", "2018"),
        ("facebook", "Facebook"),
    ],
)
async def test_spelling_variants_find_each_other(db: Database, query: str, text: str) -> None:
    found = await add(db, "خبر", f"قال التقرير إن {text} في الصورة")
    await add(db, "خبر آخر", "قال التقرير شيئا آخر")
    assert await ids(db, query) == [found]


async def test_al_asad_does_not_find_fasida(db: Database) -> None:
    await add(db, "خبر", "وصفت المعارضة الصفقة بأنها فاسدة وفاسد")
    await add(db, "خبر", "كاسد السوق")  # ك is never stripped either
    lion = await add(db, "خبر", "زار الأسد الجبهة")
    assert await ids(db, "الأسد") == [lion]
    assert await ids(db, "الاسد") == [lion]


# --- the query language ---------------------------------------------------------------------


HOSTILE = [
    '"طرطوس',
    'طرطوس"',
    "طرطوس AND",
    "AND طرطوس",
    "OR",
    "NOT",
    "AND OR NOT NEAR",
    "NEAR(x",
    "NEAR(طرطوس ميناء, 2)",
    "*",
    "**",
    "طرطوس**",
    "(x",
    "x)",
    "-x",
    "-طرطوس",
    "+طرطوس",
    "^طرطوس",
    "title_exact:طرطوس",
    "{title_exact}: طرطوس",
    "rowid:1",
    '"',
    '""',
    '"""',
    "«طرطوس»",
    "“طرطوس”",
    "https://example.com/a?b=c&d=%20#x",
    "طرطوس 😀🇸🇾",
    "😀",
    "ـــ",
    "\u064e\u0651",
    "\x00طرطوس\x00",
    "طرطوس\ud800",
    "   ",
    "",
    "طرطوس " * 1000,
    "ط" * 5000,
    "' OR 1=1 --",
    "a' ; DROP TABLE articles; --",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_never_raise(db: Database, query: str) -> None:
    found = await add(db, "ميناء طرطوس", "وصل الأسطول إلى طرطوس")
    result = await search.search(db, query, limit=5)
    assert result.query == query
    assert result.total >= len(result.hits)
    if "طرطوس" in query and query.count("طرطوس") < 100:
        assert [h.id for h in result.hits] == [found], query


async def test_words_are_anded(db: Database) -> None:
    both = await add(db, "خبر", "وصل الأسطول إلى ميناء طرطوس")
    await add(db, "خبر", "وصل الأسطول إلى ميناء حيفا")
    await add(db, "خبر", "طرطوس مدينة ساحلية")
    result = await search.search(db, "طرطوس ميناء")
    assert result.total == 1
    assert [h.id for h in result.hits] == [both]


async def test_or_when_and_finds_nothing(db: Database) -> None:
    a = await add(db, "خبر", "وصل الأسطول إلى ميناء طرطوس")
    b = await add(db, "خبر", "طرطوس مدينة ساحلية")
    await add(db, "خبر", "لا شيء هنا")
    result = await search.search(db, "طرطوس كوكب")
    assert result.total == 2
    assert {h.id for h in result.hits} == {a, b}


async def test_function_words_are_dropped_from_longer_queries(db: Database) -> None:
    found = await add(db, "خبر", "وصل الأسطول إلى طرطوس")
    await add(db, "خبر", "في كل مكان من العالم")
    assert await ids(db, "في طرطوس") == [found]
    assert (await search.search(db, "في")).total == 1  # alone, a function word is searched


async def test_quoted_phrase(db: Database) -> None:
    phrase = await add(db, "خبر", "قالت الحكومة السورية إن الوفد وصل")
    stems = await add(db, "خبر", "قالت الحكومات السوريه إن الوفد وصل")
    apart = await add(db, "خبر", "قالت الحكومة إن الوفد السورية وصل")
    assert set(await ids(db, '"الحكومة السورية"')) == {phrase, stems}
    assert set(await ids(db, "الحكومة السورية")) == {phrase, stems, apart}
    hit = (await search.search(db, '"الحكومة السورية"')).hits[0]
    assert hit.id == phrase  # exact phrase above stem phrase
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["الحكومة", "السورية"]


async def test_phrase_with_an_unpaired_quote_is_words(db: Database) -> None:
    apart = await add(db, "خبر", "قالت الحكومة إن الوفد السورية وصل")
    assert await ids(db, '"الحكومة السورية') == [apart]


async def test_prefix_star(db: Database) -> None:
    tartus = await add(db, "خبر", "وصل الأسطول إلى طرطوس")
    governments = await add(db, "خبر", "اجتمعت الحكومات")
    await add(db, "خبر", "طريق طويل")
    assert await ids(db, "طرطو*") == [tartus]
    assert await ids(db, "حكوم*") == [governments]  # stems: الحكومات -> حكوم
    hit = (await search.search(db, "طرط*")).hits[0]
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["طرطوس"]
    # too short to be a prefix: searched as the word itself
    assert (await search.search(db, "طر*")).total == 0


def test_parse_query_caps_terms_and_ignores_syntax() -> None:
    terms = search.parse_query(" ".join(f"كلمة{i}" for i in range(50)))
    assert len(terms) == search.MAX_TERMS
    assert search.parse_query('AND OR NOT "" * ( ) -') == [
        search.Word("and", ("and",)),
        search.Word("or", ("or",)),
        search.Word("not", ("not",)),
    ]
    assert search.parse_query("طرطوس طرطوس طَرطوس") == [search.parse_query("طرطوس")[0]]
    # a prefix needs three letters of its own, after ال, و, وال…
    assert search.parse_query("المست*") == [search.Prefix("المست", "مست")]
    assert search.parse_query("الم*") == [search.parse_query("الم")[0]]
    assert search.parse_query("وز*") == [search.parse_query("وز")[0]]
    # the cut of a very long query falls between words
    long = "طرطوس " * (search.MAX_QUERY_CHARS // 6 + 1) + "حلب"
    assert search.parse_query(long) == search.parse_query("طرطوس")


def test_match_expression_quotes_every_token() -> None:
    expr = search.match_expression(search.parse_query('الحكومة "مدينة طرطوس" طرط* x:y'))
    assert expr == (
        '("الحكومه" OR "ـحكوم" OR "ـبحكوم" OR "ـلحكوم")'
        ' AND ("مدينه طرطوس" OR "ـمدين ـطرطوس")'
        ' AND ("طرط" * OR "ـطرط" *)'
        ' AND ("x" OR "ـx") AND ("y" OR "ـy")'
    )


def test_memo_keeps_recent_entries_within_its_size() -> None:
    computed: list[str] = []

    def upper(key: str) -> str:
        computed.append(key)
        return key.upper()

    memo = search._Memo(upper, 2)
    assert [memo[k] for k in "abcabca"] == list("ABCABCA")
    assert computed == ["a", "b", "c"]  # a and b came back from the old generation
    assert len(memo) <= 2


# --- ranking --------------------------------------------------------------------------------


async def test_exact_form_ranks_above_stem_only(db: Database) -> None:
    exact = await add(db, "خبر", "قالت الحكومة إن الوفد وصل", published_at="2018-01-01T00:00:00Z")
    stem_only = await add(
        db, "خبر", "قالت الحكومات إن الوفود وصلت", published_at="2018-06-01T00:00:00Z"
    )
    assert await ids(db, "الحكومة") == [exact, stem_only]
    assert await ids(db, "الحكومات") == [stem_only, exact]


async def test_title_ranks_above_body(db: Database) -> None:
    in_title = await add(
        db, "طرطوس اليوم", "وصل الأسطول إلى الميناء", published_at="2018-01-01T00:00:00Z"
    )
    in_body = await add(
        db, "الميناء اليوم", "وصل الأسطول إلى طرطوس", published_at="2018-06-01T00:00:00Z"
    )
    assert await ids(db, "طرطوس") == [in_title, in_body]
    hit = (await search.search(db, "طرطوس")).hits[0]
    assert [hit.title[a:b] for a, b in hit.title_marks] == ["طرطوس"]


async def test_newer_first_among_equals(db: Database) -> None:
    older = await add(db, "خبر طرطوس", "وصل الأسطول", published_at="2018-01-01T00:00:00+00:00")
    newer = await add(db, "خبر طرطوس", "وصل الأسطول", published_at="2018-03-01T00:00:00+03:00")
    oldest = await add(db, "خبر طرطوس", "وصل الأسطول", published_at="2017-12-31T23:00:00-05:00")
    assert await ids(db, "طرطوس") == [newer, oldest, older]  # by UTC: Mar 1, Jan 1 04:00, Jan 1


async def test_total_is_exact_and_pages_cover_everything(db: Database) -> None:
    added = {await add(db, f"خبر {i}", f"طرطوس {'ميناء ' * i}") for i in range(12)}
    await add(db, "خبر", "لا شيء")
    pages = [await search.search(db, "طرطوس", limit=5, offset=o) for o in (0, 5, 10, 15)]
    assert [p.total for p in pages] == [12, 12, 12, 12]
    assert [len(p.hits) for p in pages] == [5, 5, 2, 0]
    seen = [h.id for p in pages for h in p.hits]
    assert sorted(seen) == sorted(added)


async def test_broad_queries_rank_the_newest_window_then_follow_newest_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = [await add(db, f"خبر {i}", "طرطوس " + "ميناء " * (i % 4)) for i in range(11)]
    everything = await ids(db, "طرطوس")
    monkeypatch.setattr(search, "RANK_WINDOW", 4)
    pages = [await search.search(db, "طرطوس", limit=3, offset=o) for o in range(0, 12, 3)]
    assert all(p.total == 11 for p in pages)
    seen = [h.id for p in pages for h in p.hits]
    assert sorted(seen) == sorted(added) == sorted(everything)
    assert set(seen[:4]) == set(added[-4:])  # the newest four, ranked
    assert seen[4:] == sorted(added[:-4], reverse=True)  # then the rest, newest first


# --- snippets -------------------------------------------------------------------------------


async def test_snippet_marks_point_at_vowelled_original(db: Database) -> None:
    body = "قال مسؤولٌ إنّ الأسطولَ الرُّوسيَّ وصلَ إلى مِيناءِ طَرْطُوسَ صباحَ الأحدِ"
    await add(db, "وصول الأسطول", body)
    hit = (await search.search(db, "ميناء طرطوس")).hits[0]
    assert hit.snippet == body
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["مِيناءِ", "طَرْطُوسَ"]


async def test_marks_cover_whole_words_glued_letters_included(db: Database) -> None:
    await add(db, "خبر", "وَطَرْطُوس ثم بالأسد ثم فالحكومات ثم الحكومة ثم لجنة")
    for query, marked in [
        ("طرطوس", "وَطَرْطُوس"),
        ("الأسد", "بالأسد"),
        ("الحكومة", "فالحكومات"),
        ("بطرطوس", "وَطَرْطُوس"),
    ]:
        hit = (await search.search(db, query)).hits[0]
        assert hit.snippet[hit.marks[0][0] : hit.marks[0][1]] == marked, query
    hit = (await search.search(db, "الحكومة")).hits[0]
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["فالحكومات", "الحكومة"]


async def test_a_match_inside_a_word_marks_the_whole_word(db: Database) -> None:
    await add(db, "زيارة لسوريا", "وصل الوفد لسوريا أمس، وقالت سوريا إنها ترحب")
    hit = (await search.search(db, "سوريا")).hits[0]
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["لسوريا", "سوريا"]
    assert [hit.title[a:b] for a, b in hit.title_marks] == ["لسوريا"]
    for a, b in hit.marks:  # a mark starts and ends at a word's edge
        assert a == 0 or not arabic.is_word_char(hit.snippet[a - 1])
        assert b == len(hit.snippet) or not arabic.is_word_char(hit.snippet[b])


async def test_snippet_is_cut_around_the_match_with_ellipses(db: Database) -> None:
    before = " ".join(f"كلمة{i}" for i in range(60))
    after = " ".join(f"لفظ{i}" for i in range(60))
    await add(db, "خبر", f"{before}\nوصل الأسطول إلى طرطوس صباحا\n{after}")
    hit = (await search.search(db, "طرطوس")).hits[0]
    assert hit.snippet.startswith("…")
    assert hit.snippet.endswith("…")
    assert len(hit.snippet) <= search.SNIPPET_CHARS + 2
    assert "\n" not in hit.snippet
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["طرطوس"]
    assert not hit.snippet[1].isspace()
    assert hit.snippet[1:].split()[0].startswith("كلمة")


async def test_snippet_is_plain_text(db: Database) -> None:
    await add(db, "<b>عاجل</b> & طرطوس", "نص فيه <i>طرطوس</i> & علامات <script>")
    hit = (await search.search(db, "طرطوس")).hits[0]
    assert hit.snippet == "نص فيه <i>طرطوس</i> & علامات <script>"  # as stored, not escaped
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["طرطوس"]
    assert [hit.title[a:b] for a, b in hit.title_marks] == ["طرطوس"]


async def test_title_only_match_gives_the_start_of_the_body(db: Database) -> None:
    await add(db, "طرطوس", "بداية النص " + "كلام " * 100)
    hit = (await search.search(db, "طرطوس")).hits[0]
    assert hit.snippet.startswith("بداية النص")
    assert hit.snippet.endswith("…")
    assert hit.marks == ()


async def test_snippet_prefers_the_window_with_most_terms(db: Database) -> None:
    body = "طرطوس " + "كلام " * 60 + "ميناء طرطوس الكبير " + "كلام " * 60
    await add(db, "خبر", body)
    hit = (await search.search(db, "ميناء طرطوس")).hits[0]
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["ميناء", "طرطوس"]


# --- the index's life -----------------------------------------------------------------------


async def test_deleted_articles_leave_the_index(db: Database) -> None:
    gone = await add(db, "خبر", "طرطوس")
    kept = await add(db, "خبر", "طرطوس")
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM articles WHERE id = ?", (gone,))
    result = await search.search(db, "طرطوس")
    assert result.total == 1
    assert [h.id for h in result.hits] == [kept]
    async with db.transaction() as conn:
        await search.unindex_article(conn, kept)
        await search.unindex_article(conn, kept)  # twice is harmless
    assert (await search.search(db, "طرطوس")).total == 0


async def test_index_article_replaces(db: Database) -> None:
    article_id = await add(db, "خبر", "طرطوس")
    async with db.transaction() as conn:
        await conn.execute("UPDATE articles SET body = 'حلب' WHERE id = ?", (article_id,))
        await search.index_article(conn, article_id, "خبر", "حلب")
    assert (await search.search(db, "طرطوس")).total == 0
    assert await ids(db, "حلب") == [article_id]


async def test_reindex_at_start_when_the_stamp_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.db"
    db = await open_database(path)
    added = [await add(db, f"خبر {i}", f"طرطوس رقم {i}") for i in range(5)]
    async with db.transaction() as conn:
        await conn.execute("UPDATE search_meta SET value = 'arabic-0/fts-0'")
        await conn.execute("DELETE FROM article_search")  # a stale index, to see it rebuilt
    assert (await search.search(db, "طرطوس")).total == 0
    await db.close()

    db = await open_database(path)
    try:
        assert sorted(await ids(db, "طرطوس")) == added
        rows = await db.conn.execute_fetchall("SELECT value FROM search_meta")
        assert [r[0] for r in rows] == [search.index_stamp()]
    finally:
        await db.close()

    # an analyser change is a stamp change
    monkeypatch.setattr(arabic, "ANALYSER_VERSION", arabic.ANALYSER_VERSION + 1)
    db = await open_database(path)
    try:
        rows = await db.conn.execute_fetchall("SELECT value FROM search_meta")
        assert [r[0] for r in rows] == [search.index_stamp()]
        assert sorted(await ids(db, "طرطوس")) == added
    finally:
        await db.close()


async def test_a_version_1_database_with_articles_becomes_searchable(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        old = Database(conn)
        async with old.transaction() as c:
            await MIGRATIONS[0](c)
            await c.execute("PRAGMA user_version = 1")
            for i, (title, body) in enumerate(
                [("ميناء طَرْطُوس", "وصل الأسطول"), ("خبر", "قالت الحكومات"), ("خبر", "حلب")]
            ):
                await c.execute(
                    "INSERT INTO articles (title, body, sort_at, created_at, dedup_key, title_key)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (title, body, f"2018-01-0{i + 1}", "2018-01-01", f"k{i}", title),
                )
    finally:
        await conn.close()

    db = await open_database(path)
    try:
        assert await schema_version(db) == len(MIGRATIONS)
        assert await ids(db, "طرطوس") == [1]
        assert await ids(db, "الحكومة") == [2]
        assert (await search.search(db, "حلب")).total == 1
        new = await add(db, "خبر جديد", "طرطوس مرة أخرى")
        assert sorted(await ids(db, "طرطوس")) == [1, new]
    finally:
        await db.close()


async def test_search_on_an_empty_database(db: Database) -> None:
    result = await search.search(db, "طرطوس", limit=5, offset=0)
    assert (result.total, result.hits) == (0, [])
    assert (await search.search(db, "طرطوس", limit=-1, offset=-5)).hits == []


# --- properties -----------------------------------------------------------------------------

_SYNTAX = ['"', "“", "»", "*", "(", ")", "-", "+", "^", ":", "{", "}", "AND", "OR", "NOT", "NEAR"]
_WORDS = ["طرطوس", "الأسد", "ال", "و", "في", "😀", "ـ", "\u064e", "\u0651", " ", "\n", "٢٠١٨"]
_PIECES = st.sampled_from(_SYNTAX + _WORDS)
QUERIES = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=30).map("".join),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=QUERIES)
async def test_no_query_raises(db: Database, query: str) -> None:
    if not await ids(db, "طرطوس"):
        await add(db, "ميناء طرطوس", "زار الأسد طرطوس عام ٢٠١٨ في الصيف")
        await add(db, "خبر", "قالت الحكومة إن النص عادي")
    result = await search.search(db, query, limit=3)
    assert 0 <= len(result.hits) <= min(3, result.total)
    for hit in result.hits:
        assert all(0 <= a < b <= len(hit.snippet) for a, b in hit.marks)
        assert all(0 <= a < b <= len(hit.title) for a, b in hit.title_marks)


# --- the real corpus (skipped without it) ---------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_file(), reason="corpus not available")
async def test_corpus_facts(db: Database) -> None:
    """SOURCE.md: طرطوس is in 3 articles (once only as وطرطوس); Syria is spelt both ways."""
    wanted = ("طرطوس", "سوري", "فاسد", "الأسد")
    lines = CORPUS.read_text(encoding="utf-8").splitlines()  # noqa: ASYNC240 (a test)
    docs = [a for a in map(json.loads, lines) if any(w in a["title"] + a["body"] for w in wanted)]
    by_url: dict[str, int] = {}
    async with db.transaction() as conn:
        for a in docs:
            by_url[a["url"]], _ = await articles.add_in(
                conn,
                NewArticle(a["title"], a["body"], url=a["url"], published_at=a["published_at"]),
            )
    tartus = {by_url[a["url"]] for a in docs if "طرطوس" in a["title"] + a["body"]}
    assert len(tartus) == 3
    assert set(await ids(db, "طرطوس")) == tartus

    syria = await search.search(db, "سوريا")
    assert syria.total == (await search.search(db, "سورية")).total
    spelt = {by_url[a["url"]] for a in docs if {"سوريا", "سورية"} & set(a["body"].split())}
    assert syria.total >= len(spelt)

    lion = await search.search(db, "الأسد", limit=50)
    assert lion.total >= 100
    for hit in lion.hits:
        marked = [hit.snippet[a:b] for a, b in hit.marks] + [
            hit.title[a:b] for a, b in hit.title_marks
        ]
        assert marked
        assert not any("فاسد" in w for w in marked)


# --- ranking as a reader expects, explanations, order ---------------------------------------


async def test_the_same_word_with_al_ranks_above_a_shared_stem(db: Database) -> None:
    """``/search مصرية``: «المصرية» (the word itself, with «ال») before «مصر» (its stem only)."""
    with_al = await add(db, "خبر", "قالت الحكومة المصرية إن الوفد وصل", published_at="2018-01-01")
    glued = await add(db, "خبر", "رحب بالمصرية والمصرية معا", published_at="2018-02-01")
    stem_only = await add(db, "خبر", "وصل الوفد إلى مصر أمس", published_at="2018-06-01")
    found = await ids(db, "مصرية")
    assert set(found[:2]) == {with_al, glued}
    assert found[2] == stem_only
    assert search.parse_query("مصرية")[0] == search.Word(
        "مصريه", arabic.query_stems("مصريه"), ("المصريه", "والمصريه", "بالمصريه", "للمصريه")
    )
    assert search.parse_query("المصرية")[0].alts == ()  # type: ignore[union-attr]


async def test_results_matching_only_some_words_say_so(db: Database) -> None:
    await add(db, "خبر", "وصل الأسطول إلى طرطوس")
    both = await search.search(db, "الأسطول طرطوس")
    assert both.total == 1
    assert not both.partial
    some = await search.search(db, "طرطوس كوكب")
    assert some.total == 1
    assert some.partial
    none = await search.search(db, "كوكب مجرة")
    assert none.total == 0
    assert not none.partial


async def test_newest_first_on_request(db: Database) -> None:
    old_title = await add(db, "طرطوس", FILLER, published_at="2018-01-01T00:00:00Z")
    new_body = await add(db, "خبر", "ذكر طرطوس", published_at="2018-05-01T00:00:00Z")
    mid_body = await add(db, "خبر", "ذكر طرطوس", published_at="2018-03-01T00:00:00Z")
    assert (await ids(db, "طرطوس"))[0] == old_title  # best first: the title match
    result = await search.search(db, "طرطوس", limit=2, newest=True)
    assert [h.id for h in result.hits] == [new_body, mid_body]
    rest = await search.search(db, "طرطوس", limit=2, offset=2, newest=True)
    assert [h.id for h in rest.hits] == [old_title]


# --- Latin queries --------------------------------------------------------------------------


async def test_latin_names_are_searched_in_arabic_script_too(db: Database) -> None:
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    seed_id = await add(db, title.strip(), body.strip())
    english = await add(db, "Fleet in Tartus", "The Russian fleet reached Tartus port.")
    deir = await add(db, "خبر", "اشتباكات في دير الزور شرقي سوريا")
    assert set(await ids(db, "Tartus")) == {seed_id, english}
    assert set(await ids(db, "TARTOUS")) == {seed_id}  # the English one spells it Tartus
    assert await ids(db, "Deir ez-Zor") == [deir]
    assert set(await ids(db, "Tartus Hmeimim")) == {seed_id}  # both words, Latin and Arabic
    hit = next(h for h in (await search.search(db, "Tartus")).hits if h.id == seed_id)
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["وطرطوس"]
    assert await ids(db, "Tartusx") == []  # not a name of the table: as typed only


# --- snippets of long articles --------------------------------------------------------------


async def test_a_match_late_in_a_long_article_is_found_and_marked(db: Database) -> None:
    filler = " ".join(f"كلمة{i}" for i in range(3000))  # ~20,000 characters
    await add(db, "خبر طويل", f"{filler}\nوصل الأسطول إلى طَرْطُوس صباحا\n{filler}")
    hit = (await search.search(db, "طرطوس")).hits[0]
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["طَرْطُوس"]
    assert hit.snippet.startswith("…")
    assert hit.snippet.endswith("…")
    assert len(hit.snippet) <= search.SNIPPET_CHARS + 2
    late = await add(db, "خبر", f"{filler} فاسد ثم الأسد")  # a false candidate first
    hit = next(h for h in (await search.search(db, "الأسد")).hits if h.id == late)
    assert [hit.snippet[a:b] for a, b in hit.marks] == ["الأسد"]


async def test_recent_pages_through_the_newest(db: Database) -> None:
    added = [await add(db, f"خبر {i}", f"نص الخبر {i}") for i in range(7)]
    first, more = await search.recent(db, limit=5)
    assert [h.id for h in first] == added[::-1][:5]
    assert more
    second, more = await search.recent(db, limit=5, offset=5)
    assert [h.id for h in second] == added[::-1][5:]
    assert not more
    assert first[0].snippet == "نص الخبر 6"
    assert first[0].head == "نص الخبر 6"


async def test_late_matches_in_other_spellings_are_marked(db: Database) -> None:
    """Past the opening, the candidates are found in the text with its letters folded: hamza
    forms, Arabic-Indic digits, harakat and phrases are marked as they are written."""
    filler = " ".join(f"كلمة{i}" for i in range(1500))
    await add(db, "خبر", f"{filler} في عام ٢٠١٨ قال الرئيس إن مَدِينَةَ طرطوس هادئة")
    for query, marked in [
        ("2018", ["٢٠١٨"]),
        ("الرييس", ["الرئيس"]),
        ("مدينة", ["مَدِينَةَ"]),
        ('"مدينة طرطوس"', ["مَدِينَةَ", "طرطوس"]),
    ]:
        hit = (await search.search(db, query)).hits[0]
        assert [hit.snippet[a:b] for a, b in hit.marks] == marked, query

"""Loading the site's pages and JSON Lines: once only, bad records rejected alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import Database, articles, importers
from storage.importers import RecordError, parse_page
from tests.conftest import CORPUS, SEED_FILE


def test_seed_page_parses_title_body_and_neighbours() -> None:
    page = parse_page(SEED_FILE.read_text(encoding="utf-8"))
    assert page.title.startswith("وكالة “تاس” الروسية الحكومة الجديدة في سوريا")
    assert "حميميم وطرطوس" in page.body
    assert page.body.endswith("إلى قاعدة حميميم.")
    for marker in ("Read Previous", "Read Next", "Most Popular"):
        assert marker not in page.body
    assert page.prev_title == "انفجار “مستودع صواريخ” للنظام السابق في مدينة حمص"
    assert (
        page.next_title == "وكالة رويترز “رفعت الأسد يغادر بيروت إلى دبي وسط اتهامات بجرائم حرب”."
    )


def test_arabic_trailer_never_enters_the_body() -> None:
    text = (
        "عنوان الخبر\n\nالفقرة الأولى.\nالفقرة الثانية.\n\n"
        "المقال السابق\nخبر قديم\nالمقال التالي: خبر جديد\nالأكثر قراءة\nشيء آخر\n"
    )
    page = parse_page(text)
    assert page.body == "الفقرة الأولى.\nالفقرة الثانية."
    assert page.prev_title == "خبر قديم"
    assert page.next_title == "خبر جديد"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("عنوان فقط\n", "no body"),
        ("Read Next\nشيء", "navigation"),
        ("عنوان\n\nRead Previous\nخبر", "no body"),
    ],
)
def test_bad_pages_say_why(text: str, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_page(text)


async def test_loading_twice_adds_nothing(db: Database) -> None:
    first = await importers.load_paths(db, [SEED_FILE.parent])
    second = await importers.load_paths(db, [SEED_FILE.parent])
    assert (first.added, first.present, first.rejected) == (1, 0, [])
    assert (second.added, second.present, second.rejected) == (0, 1, [])
    assert await articles.count(db) == 1


def _record(**fields: object) -> str:
    base: dict[str, object] = {
        "title": "عنوان",
        "body": "نص المقال الكامل.",
        "url": None,
        "published_at": "2018-02-18T21:35:43+04:00",
        "category": "middleEast",
        "source": "bbc_arabic",
    }
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


async def test_jsonl_rejects_bad_lines_alone_with_file_and_line(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        _record(title="خبر أول", url="https://example.com/1"),
        "{not json",
        _record(title="", url="https://example.com/2"),
        _record(title="خبر ثالث", url="ftp://example.com/3"),
        _record(title="خبر رابع", published_at="yesterday", url="https://example.com/4"),
        "[1, 2]",
        _record(title="خبر خامس", body=7, url="https://example.com/5"),
        "",
        _record(title="خبر سادس", url="https://example.com/6"),
        _record(title="خبر أول مكرر", url="https://example.com/1"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = await importers.load_paths(db, [path])
    assert report.added == 2
    # Same url as line 1 with a new title: the same article, edited.
    assert (report.present, report.updated) == (0, 1)
    reasons = {r.where: r.reason for r in report.rejected}
    assert set(reasons) == {f"{path}:{n}" for n in (2, 3, 4, 5, 6, 7)}
    assert "not valid JSON" in reasons[f"{path}:2"]
    assert "missing title" in reasons[f"{path}:3"]
    assert "url" in reasons[f"{path}:4"]
    assert "published_at" in reasons[f"{path}:5"]
    assert "JSON object" in reasons[f"{path}:6"]
    assert "body must be text" in reasons[f"{path}:7"]


async def test_same_text_without_url_lands_once(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        _record(title="خبر  مكرر", body="نص واحد")
        + "\n"
        + _record(title="خبر مكرر", body="نص  واحد"),
        encoding="utf-8",
    )
    report = await importers.load_paths(db, [path])
    assert (report.added, report.present) == (1, 1)


async def test_missing_paths_binary_and_foreign_files_are_rejected(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "notes.csv").write_text("a,b", encoding="utf-8")
    report = await importers.load_paths(
        db, [tmp_path / "nowhere", tmp_path / "bin.txt", tmp_path / "notes.csv"]
    )
    reasons = [r.reason for r in report.rejected]
    assert reasons == [
        "no such file or folder",
        "not UTF-8 text",
        "not an article file (expected .txt or .jsonl)",
    ]
    assert report.added == 0


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is absent")
async def test_whole_corpus_loads_once(db: Database) -> None:
    report = await importers.load_paths(db, [CORPUS])
    # One CNN story is in the corpus twice, on http and on https with a retouched title: one
    # article, updated by its second copy.
    assert (report.added, report.updated) == (3999, 1)
    assert report.rejected == []
    again = await importers.load_paths(db, [CORPUS])
    assert (again.added, again.present) == (0, 4000)


PROSE = (
    "وأوضح المتحدث باسم الوزارة في مؤتمر صحفي عقده ظهر اليوم أن الأعمال ستستمر حتى نهاية الشهر"
    " المقبل، وأن الطرق المحيطة بالميناء ستبقى مفتوحة أمام حركة الشاحنات طوال فترة الصيانة."
)


def test_a_read_also_link_mid_article_is_left_out_and_the_article_goes_on() -> None:
    text = "\n".join(
        [
            "بدأت أعمال الصيانة في الميناء صباح اليوم.",
            "اقرأ أيضاً: البنك المركزي يثبت أسعار الفائدة",
            PROSE,
            "اقرأ أيضاً",
            "المنتخب يتأهل إلى النهائيات",
            "الأكثر قراءة",
            "عنوان آخر",
        ]
    )
    body = importers.cut_trailer(text)
    assert body.splitlines() == ["بدأت أعمال الصيانة في الميناء صباح اليوم.", PROSE]


def test_a_seed_page_keeps_the_prose_after_a_read_also_link() -> None:
    page = "\n".join(
        [
            "صيانة الميناء",
            "بدأت أعمال الصيانة في الميناء صباح اليوم.",
            "اقرأ أيضا: البنك المركزي يثبت أسعار الفائدة",
            PROSE,
            "Read Previous",
            "عنوان سابق",
        ]
    )
    article = importers.parse_page(page)
    assert article.body.splitlines() == ["بدأت أعمال الصيانة في الميناء صباح اليوم.", PROSE]
    assert article.prev_title == "عنوان سابق"

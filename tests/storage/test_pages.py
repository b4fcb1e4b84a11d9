"""Main-text extraction from an Arabic article page full of site navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.ingest.pages import extract_page

PAGE = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "article_ar.html"
URL = "https://alkhabar.example.com/economy/2026/12/solar-plant-opening?ref=feed"

ARTICLE = (
    "افتتح رئيس الوزراء صباح اليوم أكبر محطة للطاقة الشمسية في المنطقة",
    "وقال رئيس الوزراء في كلمته خلال حفل الافتتاح",
    "وأوضح وزير الطاقة أن المحطة تمتد على مساحة خمسين كيلومتراً مربعاً",
    "وأشار الوزير إلى أن تكلفة المشروع بلغت نحو مليار ونصف المليار دولار",
    "من جهتهم، رحب خبراء الاقتصاد بالمشروع",
)
NAVIGATION = (
    "قسم السياسة",  # menu
    "أخبار الاقتصاد والأعمال",  # breadcrumbs
    "شارك على فيسبوك",  # share bar
    "أرسل عبر واتساب",
    "اقرأ أيضا",  # read-also list
    "البنك المركزي يثبت أسعار الفائدة",
    "الأكثر قراءة",  # most-read box
    "المنتخب يتأهل إلى نهائيات كأس العالم",
    "المقال السابق",  # previous / next
    "افتتاح مصنع جديد للأدوية",
    "جميع الحقوق محفوظة",  # footer
    "سياسة الخصوصية",
)


def html() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_fixture_is_a_full_article() -> None:
    page = html()
    assert len("".join(ARTICLE)) < len(page)
    assert all(marker in page for marker in ARTICLE + NAVIGATION)


def test_main_text_without_navigation() -> None:
    result = extract_page(PAGE.read_bytes(), URL)
    assert result is not None
    paragraphs = result.text.split("\n")
    assert len(paragraphs) == len(ARTICLE)
    for paragraph, start in zip(paragraphs, ARTICLE, strict=True):
        assert paragraph.startswith(start)
    assert len(result.text) > 1000
    for junk in NAVIGATION:
        assert junk not in result.text, junk


def test_metadata() -> None:
    result = extract_page(PAGE.read_bytes(), URL)
    assert result is not None
    assert result.title == "افتتاح أكبر محطة للطاقة الشمسية في المنطقة"
    # The relative <link rel=canonical> wins over og:url and is made absolute.
    assert result.canonical == "https://alkhabar.example.com/economy/2026/12/solar-plant-opening"
    assert result.image == "https://cdn.alkhabar.example.com/images/2026/12/solar.jpg"
    assert result.published_at == "2026-12-02T06:30:00+00:00"  # 09:30 at +03:00


def test_str_and_bytes_agree() -> None:
    assert extract_page(html(), URL) == extract_page(PAGE.read_bytes(), URL)


@pytest.mark.parametrize(
    "trailer",
    [
        "<p>اقرأ أيضاً: البنك المركزي يثبت أسعار الفائدة للمرة الثالثة</p>",
        "<p>Read Next: البنك المركزي يثبت أسعار الفائدة للمرة الثالثة</p>",
        "<h3>Most Popular</h3><p>البنك المركزي يثبت أسعار الفائدة للمرة الثالثة</p>",
    ],
    ids=["read-also", "read-next", "most-popular"],
)
def test_text_is_cut_at_a_trailer_inside_the_article(trailer: str) -> None:
    after = "<p>الذهب يرتفع في الأسواق المحلية مع تراجع الدولار أمام العملات الرئيسية</p>"
    page = html().replace(
        '</div>\n      <div class="share-bar bottom">',
        f'{trailer}{after}</div>\n      <div class="share-bar bottom">',
    )
    assert after in page
    result = extract_page(page, URL)
    assert result is not None
    assert result.text.split("\n")[-1].startswith(ARTICLE[-1])
    assert "الذهب يرتفع" not in result.text
    assert "البنك المركزي" not in result.text


def test_og_url_when_there_is_no_canonical_link() -> None:
    page = html().replace('<link rel="canonical" href="/economy/2026/12/solar-plant-opening">', "")
    result = extract_page(page, URL)
    assert result is not None
    assert result.canonical == (
        "https://alkhabar.example.com/economy/2026/12/solar-plant-opening?utm_source=og"
    )


def test_no_main_text() -> None:
    menu = "<html><body><nav><ul><li><a href='/'>الرئيسية</a></li></ul></nav></body></html>"
    assert extract_page(menu, URL) is None
    assert extract_page(b"", URL) is None

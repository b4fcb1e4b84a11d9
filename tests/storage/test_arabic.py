"""The Arabic analyser: every normalisation and stemming rule, on its own."""

from __future__ import annotations

import pytest

from storage import arabic


def one(text: str) -> str:
    """The single token of ``text``."""
    toks = arabic.tokens(text)
    assert len(toks) == 1, toks
    return toks[0]


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("طَرْطُوس", "طرطوس"),  # fatha, sukun, damma
        ("مدينةٌ", "مدينه"),  # tanwin damm
        ("جميعاً", "جميعا"),  # tanwin fath
        ("كتابٍ", "كتاب"),  # tanwin kasr
        ("المتّحدة", "المتحده"),  # shadda
        ("هٰذا", "هذا"),  # dagger alef (U+0670)
        ("الـرئيـس", "الرييس"),  # tatweel
        ("أحمد", "احمد"),
        ("إسرائيل", "اسراييل"),
        ("آمال", "امال"),
        ("ٱلله", "الله"),  # alef wasla
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("مدينة", "مدينه"),  # ta marbuta
        ("مؤتمر", "موتمر"),  # waw hamza
        ("رئيس", "رييس"),  # yeh hamza
        ("مسئول", "مسوول"),  # hamza seat before waw: same as مسؤول
        ("شئون", "شوون"),
        ("ﻷن", "لان"),  # presentation form ligature (NFKC)
        ("ی", "ي"),  # Persian yeh
        ("کتاب", "كتاب"),  # keheh
        ("٢٠١٨", "2018"),  # Arabic-Indic digits
        ("۲۰۱۸", "2018"),  # Persian digits
        ("BBC", "bbc"),
        ("Ｆａｃｅｂｏｏｋ", "facebook"),  # fullwidth (NFKC)
        ("مست\u200cشفى", "مستشفي"),  # ZWNJ inside a word
        ("سوريا\u200f", "سوريا"),  # right-to-left mark
    ],
)
def test_normalisation_rules(written: str, normalised: str) -> None:
    assert one(written) == normalised


def test_every_harakah_from_064b_to_065f_and_dagger_alef_is_removed() -> None:
    for cp in [*range(0x064B, 0x0660), 0x0670]:
        assert arabic.tokens("ب" + chr(cp) + "ت") == ["بت"], hex(cp)


def test_decomposed_hamza_is_composed_then_folded() -> None:
    assert one("ا\u0654حمد") == "احمد"  # alef + combining hamza above
    assert one("مسو\u0654ول") == one("مسؤول")


def test_harakat_do_not_split_words() -> None:
    """The default FTS5 tokenizer splits طَرْطُوس into four pieces; ours keeps one word."""
    assert arabic.tokens("مدينة طَرْطُوس السّوريّة") == ["مدينه", "طرطوس", "السوريه"]


def test_separators_split_and_punctuation_goes() -> None:
    assert arabic.tokens("قال: «سوريا»، ثم (2018-06)… ok_go") == [
        "قال",
        "سوريا",
        "ثم",
        "2018",
        "06",
        "ok",
        "go",
    ]
    assert arabic.tokens("😀 ✈️ ... ???") == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("الاسد", "الأسد"),
        ("اسرائيل", "إسرائيل"),
        ("مسئول", "مسؤول"),
        ("مستشفي", "مستشفى"),
        ("مدينه", "مدينة"),
        ("2018", "٢٠١٨"),
        ("طرطوس", "طَرْطُوس"),
    ],
)
def test_spelling_variants_of_the_issue_normalise_alike(a: str, b: str) -> None:
    assert arabic.tokens(a) == arabic.tokens(b)


# --- stemming -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("الكتاب", "كتاب"),  # ال
        ("والكتاب", "كتاب"),  # وال
        ("بالكتاب", "كتاب"),  # بال
        ("كالكتاب", "كتاب"),  # كال
        ("فالكتاب", "كتاب"),  # فال
        ("للكتاب", "كتاب"),  # لل
        ("وكتاب", "كتاب"),  # و on a word of four letters or more
        ("ولد", "ولد"),  # ... but not on three
        ("كتابها", "كتاب"),  # ها
        ("مسلمان", "مسلم"),  # ان
        ("حكومات", "حكوم"),  # ات, then ه is gone already
        ("مسلمون", "مسلم"),  # ون
        ("مسلمين", "مسلم"),  # ين
        ("عربيه", "عرب"),  # يه (from ية)
        ("كتابه", "كتاب"),  # ه (also ة)
        ("عربي", "عرب"),  # ي
        ("سوريا", "سور"),  # يا: our addition
        ("سورية", "سور"),
        ("بنت", "بنت"),  # nothing to strip
        ("به", "به"),  # two letters stay two letters
        ("الم", "الم"),  # ال needs two letters left after it: not stripped
        ("فاسدة", "فاسد"),  # bare ف is never a prefix
        ("بطرطوس", "بطرطوس"),  # nor bare ب
        ("وبالكتاب", "بالكتاب"),  # at most one prefix
    ],
)
def test_light10_rules(word: str, stem: str) -> None:
    assert arabic.stem(one(word)) == stem


def test_suffixes_keep_at_least_two_letters() -> None:
    assert arabic.stem("يده") == "يد"
    assert arabic.stem("ها") == "ها"
    assert arabic.stem("بيان") == "بي"
    assert all(len(arabic.stem(one(w))) >= 2 for w in ["انها", "ابن", "اتي", "هيه"])


def test_other_scripts_and_numbers_are_not_stemmed() -> None:
    assert arabic.stem("2018") == "2018"
    assert arabic.stem("london") == "london"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("سوريا", "سورية"),
        ("تركيا", "التركية"),
        ("مدينة", "المدينة"),
        ("الحكومة", "الحكومات"),
        ("طرطوس", "وطرطوس"),
        ("مستشفى", "المستشفيات"),
        ("الإسرائيلي", "إسرائيل"),
    ],
)
def test_forms_that_share_a_stem(a: str, b: str) -> None:
    assert arabic.stem(one(a)) == arabic.stem(one(b))


def test_query_stems_reach_words_glued_to_b_and_l() -> None:
    stems = arabic.query_stems("طرطوس")
    assert stems[0] == "طرطوس"
    assert {"بطرطوس", "لطرطوس"} <= set(stems)
    # how the glued words are indexed:
    assert arabic.stem("بطرطوس") in stems
    assert arabic.stem("لطرطوس") in stems
    assert arabic.stem(one("لسوريا")) in arabic.query_stems("سوريا")


def test_query_typed_glued_also_asks_for_the_bare_word() -> None:
    assert "طرطوس" in arabic.query_stems("بطرطوس")
    assert "طرطوس" in arabic.query_stems("لطرطوس")


def test_query_stems_never_add_f_or_k_nor_glue_to_short_stems() -> None:
    assert arabic.stem(one("فاسدة")) not in arabic.query_stems(one("الأسد"))
    assert arabic.stem(one("كاسد")) not in arabic.query_stems(one("الأسد"))
    assert all(not s.startswith(("ف", "ك")) for s in arabic.query_stems(one("الأسد")))
    # جنة (stem جن) must not reach لجنة (committee, stem لجن)
    assert arabic.stem(one("لجنة")) not in arabic.query_stems(one("جنة"))


def test_query_stems_keep_a_leading_waw_that_belongs_to_the_word() -> None:
    """وشاح is stemmed شاح; glued to و it is indexed ووشاح -> وشاح."""
    assert arabic.stem("ووشاح") in arabic.query_stems("وشاح")


def test_strip_prefix_is_the_prefix_step_only() -> None:
    assert arabic.strip_prefix("الحكوم") == "حكوم"
    assert arabic.strip_prefix("حكومات") == "حكومات"


# --- spans on the original text -------------------------------------------------------------


def test_word_spans_point_at_the_original_vowelled_words() -> None:
    text = "قاعدة طَرْطُوس، والـمدينة"
    spans = arabic.word_spans(text)
    assert [t for _, _, t in spans] == ["قاعده", "طرطوس", "والمدينه"]
    assert [text[a:b] for a, b, _ in spans] == ["قاعدة", "طَرْطُوس", "والـمدينة"]


def test_stop_words_are_normalised() -> None:
    assert {"في", "من", "الي", "ان"} <= arabic.STOP_WORDS
    assert "علي" not in arabic.STOP_WORDS  # على folds onto the name Ali


def test_analyser_version_is_an_integer() -> None:
    assert isinstance(arabic.ANALYSER_VERSION, int)

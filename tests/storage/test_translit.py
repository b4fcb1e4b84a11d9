"""The transliteration table: Latin names of places and people in the news, in Arabic script."""

from __future__ import annotations

from storage import arabic, translit


def test_the_english_help_example_and_its_spellings() -> None:
    assert translit.lookup(["tartus"]) == (1, ("طرطوس",))
    assert translit.lookup(["tartous"]) == (1, ("طرطوس",))
    assert translit.lookup(["syria"]) == (1, ("سوريا", "سورية"))


def test_the_longest_name_wins() -> None:
    assert translit.lookup(["deir", "ez", "zor", "today"]) == (3, ("دير الزور",))
    assert translit.lookup(["bashar", "al", "assad"]) == (3, ("بشار الأسد",))
    assert translit.lookup(["assad"]) == (1, ("الأسد",))
    assert translit.lookup(["saudi", "arabia"]) == (2, ("السعودية",))


def test_words_that_name_nothing() -> None:
    assert translit.lookup(["tartusx"]) is None
    assert translit.lookup(["the", "tartus"]) is None  # only what the words start with
    assert translit.lookup([]) is None


def test_every_key_is_how_queries_are_tokenised_and_every_spelling_is_arabic() -> None:
    for key, spellings in translit.TABLE.items():
        assert key.split() == arabic.tokens(key), key  # lower-case words, one space apart
        assert all(w.isascii() and w.isalpha() for w in key.split()), key
        for spelling in spellings:
            assert arabic.tokens(spelling), key
            assert all(arabic.is_arabic(t) for t in arabic.tokens(spelling)), key

"""The sentences' catalogues: they parse, every sentence has every language and plural form, and
``python -m bot.i18n sync`` moves sentences written in code into them without losing any."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel import Locale

from bot import i18n, render
from bot.strings import PLURALS, STRINGS

LANGS = ("ar", "en")
BOT = Path(i18n.__file__).parent


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_parse_with_babels_plural_rules(lang: str) -> None:
    path = i18n.po_path(lang)
    assert path.is_file(), f"{path} is missing"
    catalogue = i18n.read_catalogue(lang)
    assert catalogue.plural_forms == i18n.new_catalogue(lang).plural_forms
    expected = {
        "ar": ["zero", "one", "two", "few", "many", "other"],
        "en": ["one", "other"],
    }[lang]
    assert i18n.plural_categories(catalogue) == expected
    assert len(list(catalogue)) > 1  # more than the header


def test_every_sentence_exists_in_both_languages_with_the_same_fields() -> None:
    for key, by_lang in STRINGS.items():
        assert set(by_lang) == set(LANGS), f"{key}: {sorted(by_lang)}"
        assert all(text.strip() for text in by_lang.values()), f"{key} is empty in a language"
        assert _fields(by_lang["ar"]) == _fields(by_lang["en"]), key


@pytest.mark.parametrize("lang", LANGS)
def test_every_count_has_every_plural_form_of_its_language(lang: str) -> None:
    needed = set(Locale.parse(lang).plural_form.tags) | {"other"}
    for key, by_lang in PLURALS.items():
        assert lang in by_lang, f"{key} lacks {lang}"
        assert set(by_lang[lang]) == needed, f"{key} ({lang}): {sorted(by_lang[lang])}"
        assert all(form.strip() for form in by_lang[lang].values()), key
        # Only the count and the caller's fields: an unknown field would raise at runtime.
        other = by_lang["en" if lang == "ar" else "ar"]
        fields = set().union(*(_fields(f) for f in by_lang[lang].values()))
        assert fields - {"n"} == set().union(*(_fields(f) for f in other.values())) - {"n"}, key


def test_every_key_the_code_names_exists() -> None:
    named: set[str] = set()
    for path in BOT.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"\bt\(\s*\w+,\s*\"(\w+)\"", source))
        named |= set(re.findall(r"STRINGS\[\"(\w+)\"\]", source))
        for key in re.findall(r"\btn\(\s*\w+,\s*\"(\w+)\"", source):
            assert key in PLURALS, f"{path.name}: tn(…, {key!r}) has no plural entry"
    missing = sorted(k for k in named if k not in STRINGS)
    assert not missing, f"named in bot/ but not in the catalogues or bot/strings.py: {missing}"


@pytest.mark.parametrize(
    ("n", "ar", "en"),
    [
        (0, "لا نتائج", "0 results"),
        (1, "نتيجة واحدة", "1 result"),
        (2, "نتيجتان", "2 results"),
        (3, "3 نتائج", "3 results"),
        (11, "11 نتيجة", "11 results"),
        (100, "100 نتيجة", "100 results"),
    ],
)
def test_counts_read_as_the_issue_asks(n: int, ar: str, en: str) -> None:
    assert render.bare(render.tn("ar", "results", n)) == ar
    assert render.tn("en", "results", n) == en


_SOURCE = '''"""A strings module as bot/strings.py is shaped."""

from typing import Literal

Lang = Literal["ar", "en"]

STRINGS: dict[str, dict[Lang, str]] = {
    "hello": {"ar": "مرحباً {name}", "en": "Hello {name}"},
    "help": {
        "ar": (
            "سطر أول\\n"
            "سطر ثانٍ"
        ),
        "en": "one line\\nand another",
    },
}

MONTHS = ["Jan"]  # kept as it is

PLURALS: dict[str, dict[Lang, dict[str, str]]] = {
    "apples": {
        "ar": {"zero": "لا تفاح", "one": "تفاحة", "two": "تفاحتان", "few": "{n} تفاحات",
               "many": "{n} تفاحة", "other": "{n} تفاحة"},
        "en": {"one": "{n} apple", "other": "{n} apples"},
    },
}
'''


def test_sync_moves_code_entries_into_the_catalogues_and_empties_the_dicts(
    tmp_path: Path,
) -> None:
    module = tmp_path / "strings.py"
    module.write_text(_SOURCE, encoding="utf-8")
    root = tmp_path / "locale"
    assert i18n.sync(module, root) == 3
    strings, plurals = i18n.load(root)
    assert strings["hello"] == {"ar": "مرحباً {name}", "en": "Hello {name}"}
    assert strings["help"]["ar"] == "سطر أول\nسطر ثانٍ"
    assert plurals["apples"]["ar"]["few"] == "{n} تفاحات"
    assert plurals["apples"]["en"] == {"one": "{n} apple", "other": "{n} apples"}
    rewritten = module.read_text(encoding="utf-8")
    tree = ast.parse(rewritten)  # still Python
    values = {
        node.target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
    }
    assert values["STRINGS"] == {}
    assert values["PLURALS"] == {}
    assert 'MONTHS = ["Jan"]  # kept as it is' in rewritten
    # Nothing left to move; a changed sentence added later updates its entry in place.
    assert i18n.sync(module, root) == 0
    added = (
        'STRINGS: dict[str, dict[Lang, str]] = {"hello": {"ar": "أهلاً {name}", "en": "Hi {name}"}}'
    )
    module.write_text(
        rewritten.replace("STRINGS: dict[str, dict[Lang, str]] = {}", added), encoding="utf-8"
    )
    assert i18n.sync(module, root) == 1
    strings, _ = i18n.load(root)
    assert strings["hello"] == {"ar": "أهلاً {name}", "en": "Hi {name}"}
    assert list(i18n.read_catalogue("ar", root))[1].id == "hello"  # kept its place
    po = i18n.po_path("ar", root).read_text(encoding="utf-8")
    assert 'msgid "apples"\nmsgid_plural "apples"\nmsgstr[0] "لا تفاح"' in po


def test_sync_of_the_real_strings_module_loses_nothing(tmp_path: Path) -> None:
    """What the lead runs on the tree, on copies: afterwards the same sentences load."""
    module = tmp_path / "strings.py"
    module.write_text(i18n.STRINGS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    root = tmp_path / "locale"
    for lang in LANGS:
        target = i18n.po_path(lang, root)
        target.parent.mkdir(parents=True)
        if i18n.po_path(lang).exists():
            target.write_bytes(i18n.po_path(lang).read_bytes())
    i18n.sync(module, root)
    strings, plurals = i18n.load(root)
    assert strings == STRINGS
    assert plurals == PLURALS


def test_sync_prune_drops_what_the_code_no_longer_has(tmp_path: Path) -> None:
    module = tmp_path / "strings.py"
    module.write_text(_SOURCE, encoding="utf-8")
    root = tmp_path / "locale"
    i18n.sync(module, root)
    module.write_text(_SOURCE.replace('"hello"', '"greeting"'), encoding="utf-8")
    i18n.sync(module, root, prune=True)
    strings, plurals = i18n.load(root)
    assert set(strings) == {"greeting", "help"}
    assert set(plurals) == {"apples"}


def test_no_key_is_both_a_sentence_and_a_count() -> None:
    """One msgid per key in a catalogue: a key in both tables would overwrite the other."""
    assert not set(STRINGS) & set(PLURALS)


@pytest.mark.parametrize(
    ("n", "ar"),
    [(1, "أحدث مقال"), (2, "أحدث مقالين"), (3, "أحدث 3 مقالات"), (20, "أحدث 20 مقالاً")],
)
def test_the_latest_list_counts_its_articles_in_good_arabic(n: int, ar: str) -> None:
    """Never «أحدث 20 مقالات»."""
    assert render.bare(render.tn("ar", "latest_count", n)) == f"📰 <b>{ar}</b>"

"""The bot's sentences in gettext catalogues, read with Babel.

``bot/locale/<lang>/LC_MESSAGES/newsbot.po`` holds every sentence: the msgid is the key the
code uses (``"welcome"``), the msgstr its ``str.format`` template. A count's sentence is a
plural entry with one msgstr per form of the catalogue's ``Plural-Forms`` (Babel's CLDR rules:
six for Arabic, two for English). The catalogues are read as text at import, so nothing is
compiled at install time.

``bot.strings`` merges them with the entries still written in its ``STRINGS`` and ``PLURALS``
dicts (those win, so a sentence added in code works at once);
``python -m bot.i18n sync`` moves the in-code entries into the catalogues and empties the dicts.
"""

from __future__ import annotations

import argparse
import ast
import gettext
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

if TYPE_CHECKING:
    from bot.strings import Lang

DOMAIN = "newsbot"
LANGS: tuple[Lang, ...] = ("ar", "en")
LOCALE_DIR = Path(__file__).with_name("locale")
STRINGS_FILE = Path(__file__).with_name("strings.py")

Strings = dict[str, dict["Lang", str]]
Plurals = dict[str, dict["Lang", dict[str, str]]]


def po_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    """Where the catalogue of ``lang`` lives under ``root``."""
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def new_catalogue(lang: str) -> Catalog:
    """An empty catalogue for ``lang`` with Babel's Plural-Forms for it."""
    catalogue = Catalog(
        locale=lang,
        domain=DOMAIN,
        project=DOMAIN,
        version="1",
        header_comment=(
            f"# newsbot's sentences ({lang}). msgid: the key the code uses (render.t, tn);\n"
            "# msgstr: its str.format template (Telegram HTML allowed, {fields} as they are).\n"
            "# python -m bot.i18n sync moves entries written in bot/strings.py here."
        ),
        msgid_bugs_address="",
        last_translator="newsbot",
        language_team=lang,
        fuzzy=False,
    )
    catalogue.revision_date = catalogue.creation_date
    return catalogue


def read_catalogue(lang: str, root: Path = LOCALE_DIR) -> Catalog:
    """The catalogue of ``lang`` (empty when there is no file yet).

    The Plural-Forms header is Babel's for the locale, whatever the file says, so the forms'
    order is always CLDR's as ``plural_categories`` maps it.
    """
    path = po_path(lang, root)
    if not path.exists():
        return new_catalogue(lang)
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN, abort_invalid=True)


def plural_categories(catalogue: Catalog) -> list[str]:
    """The CLDR category of each msgstr index of the catalogue's plural entries.

    Found by evaluating the gettext formula and Babel's CLDR rule on the same counts, so the
    two can never disagree silently: an index that maps to two categories is an error.
    """
    assert catalogue.locale is not None
    formula = gettext.c2py(catalogue.plural_expr)
    locale = Locale.parse(catalogue.locale)
    found: dict[int, str] = {}
    for n in range(1000):
        index, category = formula(n), str(locale.plural_form(n))
        if found.setdefault(index, category) != category:
            raise ValueError(
                f"{catalogue.locale}: form {index} is both {found[index]} and {category}"
            )
    if sorted(found) != list(range(catalogue.num_plurals)):
        raise ValueError(f"{catalogue.locale}: Plural-Forms does not match CLDR")
    return [found[i] for i in range(catalogue.num_plurals)]


def load(root: Path = LOCALE_DIR) -> tuple[Strings, Plurals]:
    """Every sentence of the catalogues under ``root``, as ``bot.strings`` shapes them."""
    strings: Strings = {}
    plurals: Plurals = {}
    for lang in LANGS:
        catalogue = read_catalogue(lang, root)
        categories = plural_categories(catalogue)
        for message in catalogue:
            if not message.id:
                continue  # the header
            if isinstance(message.id, tuple):
                key = message.id[0]
                forms = cast(tuple[str, ...], message.string)
                plurals.setdefault(key, {})[lang] = {
                    category: form
                    for category, form in zip(categories, forms, strict=False)
                    if form
                }
            elif message.string:
                strings.setdefault(str(message.id), {})[lang] = cast(str, message.string)
    return strings, plurals


def merge(code_strings: Strings, code_plurals: Plurals) -> tuple[Strings, Plurals]:
    """The catalogues' sentences overlaid with those still in code (which win, per language)."""
    strings, plurals = load()
    for key, by_lang in code_strings.items():
        strings[key] = {**strings.get(key, {}), **by_lang}
    for key, forms_by_lang in code_plurals.items():
        plurals[key] = {**plurals.get(key, {}), **forms_by_lang}
    return strings, plurals


# --- python -m bot.i18n sync ------------------------------------------------------------------


def _dict_literals(source: str) -> dict[str, ast.expr]:
    """The values of the module-level ``STRINGS`` and ``PLURALS`` assignments."""
    found: dict[str, ast.expr] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.AnnAssign | ast.Assign)
            and node.value is not None
            and isinstance(node.value, ast.Dict)
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in ("STRINGS", "PLURALS"):
                    found[target.id] = node.value
    return found


def _offset(lines: list[str], line: int, col: int) -> int:
    """The character offset of (1-based line, UTF-8 byte column) in the joined lines."""
    before = sum(len(x) for x in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:col].decode())


def _emptied(source: str, literals: Mapping[str, ast.expr]) -> str:
    """``source`` with each literal replaced by ``{}`` (comments and the rest left as they are)."""
    lines = source.splitlines(keepends=True)
    spans = []
    for node in literals.values():
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        start = _offset(lines, node.lineno, node.col_offset)
        end = _offset(lines, node.end_lineno, node.end_col_offset)
        spans.append((start, end))
    for start, end in sorted(spans, reverse=True):
        source = source[:start] + "{}" + source[end:]
    return source


def sync(
    strings_file: Path = STRINGS_FILE, root: Path = LOCALE_DIR, *, prune: bool = False
) -> int:
    """Move the in-code STRINGS and PLURALS of ``strings_file`` into the catalogues.

    New keys are added, changed ones updated; then the dicts in the file are emptied. The
    catalogues are written and read back before the file is touched, so an interruption
    leaves an entry in both places (the same text), never in neither. Returns the number of
    entries moved.

    ``prune``: drop catalogue entries whose key is not in the dicts: only right when the
    dicts hold every sentence (the first sync, before any moved out of the code).
    """
    source = strings_file.read_text(encoding="utf-8")
    literals = _dict_literals(source)
    code_strings = (
        cast(Strings, ast.literal_eval(literals["STRINGS"])) if "STRINGS" in literals else {}
    )
    code_plurals = (
        cast(Plurals, ast.literal_eval(literals["PLURALS"])) if "PLURALS" in literals else {}
    )
    for lang in LANGS:
        catalogue = read_catalogue(lang, root)
        categories = plural_categories(catalogue)
        if prune:
            for message in list(catalogue):
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                if key and key not in code_strings and key not in code_plurals:
                    catalogue.delete(key)
        for key, by_lang in code_strings.items():
            if lang in by_lang:
                _put(catalogue, Message(key, by_lang[lang]))
        for key, forms_by_lang in code_plurals.items():
            if lang in forms_by_lang:
                forms = forms_by_lang[lang]
                texts = tuple(forms.get(c, "") for c in categories)
                _put(catalogue, Message((key, key), texts))
        path = po_path(lang, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalogue, width=99, omit_header=False, no_location=True)
    strings, plurals = load(root)
    for key, by_lang in code_strings.items():
        for lang, text in by_lang.items():
            if strings.get(key, {}).get(lang) != text:
                raise RuntimeError(f"{key} ({lang}) did not reach the catalogue; strings.py kept")
    for key, forms_by_lang in code_plurals.items():
        for lang, forms in forms_by_lang.items():
            if any(plurals.get(key, {}).get(lang, {}).get(c) != s for c, s in forms.items()):
                raise RuntimeError(f"{key} ({lang}) did not reach the catalogue; strings.py kept")
    if code_strings or code_plurals:
        strings_file.write_text(_emptied(source, literals), encoding="utf-8")
    return len(code_strings) + len(code_plurals)


def _put(catalogue: Catalog, message: Message) -> None:
    """Add ``message`` or replace the entry of the same msgid, keeping its place."""
    key = message.id[0] if isinstance(message.id, tuple) else message.id
    old = catalogue.get(key)
    if old is None:
        catalogue[key] = message
    else:  # Catalog's own __setitem__ would keep the old text
        old.id, old.string = message.id, message.string


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.i18n", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    command = sub.add_parser(
        "sync", help="move STRINGS and PLURALS of bot/strings.py into the catalogues"
    )
    command.add_argument(
        "--prune",
        action="store_true",
        help="also drop catalogue entries not in those dicts (when they hold every sentence)",
    )
    args = parser.parse_args(argv)
    if args.command == "sync":
        moved = sync(prune=args.prune)
        print(f"{moved} entries moved into {LOCALE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

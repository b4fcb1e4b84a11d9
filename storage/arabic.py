"""The Arabic analyser: one normalisation and one light stemmer for indexing and queries alike.

Everything that decides whether two spellings are "the same word" lives here, so that the
search index, search queries and (later) keyword subscriptions can never disagree.

Normalisation (``normalize``), in this order:

1. NFKC (presentation forms such as ``ﻷ`` become ``لأ``; ``ا`` + combining hamza becomes ``أ``);
2. delete harakat, tanwin, shadda, sukun and the dagger alef (U+064B-U+065F, U+0670), the
   Quranic annotation marks, tatweel, and invisible format characters (ZWJ, ZWNJ, bidi marks,
   soft hyphen) that would otherwise split a word in two;
3. fold ``أ إ آ ٱ`` to ``ا``, ``ى`` to ``ي``, ``ة`` to ``ه``, ``ؤ`` to ``و``, ``ئ`` to ``ي``
   (and the Persian ``ی ک`` to ``ي ك``); ``ئ`` before ``و`` folds to ``و`` as ``ؤ`` does,
   because the hamza seat there is a spelling choice (``مسئول`` / ``مسؤول``, ``شئون`` / ``شؤون``);
4. Arabic-Indic and Persian digits to ASCII digits;
5. lower case.

Tokens are then the maximal runs of letters and digits of the normalised text.

Stemming (``stem``) is Larkey's light10 as in Lucene's ``ArabicStemmer``: at most one prefix
of ``ال وال بال كال فال لل و`` (``و`` only on words of four letters or more, the others only
when two letters remain), then each suffix of ``ها ان ات ون ين يه يا ه ي`` in turn while two
letters remain (``ية`` and ``ة`` are already ``يه`` and ``ه`` after folding). ``يا`` is our
addition so that ``سوريا`` and ``سورية`` (and ``تركيا`` / ``تركية``) share the stem ``سور``.

Light10 never strips a bare ``ب ل ف ك``: stripping them blindly makes ``فاسدة`` a form of
``أسد``. Searching handles ``ب`` and ``ل`` on the query side instead (see
``query_stems``), and never ``ف`` or ``ك``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Bump whenever any rule here changes: databases re-index themselves at start (storage.search).
ANALYSER_VERSION = 1

_MARKS = [
    *range(0x064B, 0x0660),  # harakat, tanwin, shadda, sukun, combining hamza and madda
    0x0670,  # dagger alef
    *range(0x0610, 0x061B),  # Quranic honorifics and small letters
    *range(0x06D6, 0x06DD),  # Quranic annotation marks
    *range(0x06DF, 0x06E9),
    *range(0x06EA, 0x06EE),
]
_INVISIBLE = [0x0640, 0x00AD, 0x061C, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F)]
_INVISIBLE += [*range(0x2066, 0x206A)]
_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ی": "ي",
    "ک": "ك",
}

#: Deleted by normalisation (runs of them, so one ``sub`` call removes them all).
_DELETE_RE = re.compile("[" + "".join(chr(cp) for cp in sorted(_MARKS + _INVISIBLE)) + "]+")
#: Runs of what normalisation deletes (harakat, tatweel, invisible marks).
DELETED_RE = _DELETE_RE
_DIGITS = {0x0660 + d: str(d) for d in range(10)} | {0x06F0 + d: str(d) for d in range(10)}
_DIGIT_RE = re.compile("[\u0660-\u0669\u06f0-\u06f9]")

#: A token: a run of letters and digits (``\w`` without the underscore).
_TOKEN_RE = re.compile(r"[^\W_]+")

#: A word of the *original* text: letters, digits and everything that normalisation deletes
#: (so ``طَرْطُوس`` or ``الـرئيس`` stay one word when we map matches back to the original).
_WORD_CHARS = "".join(chr(cp) for cp in sorted(_MARKS + _INVISIBLE))
_WORD_CHAR_RE = re.compile("[\\w" + re.escape(_WORD_CHARS) + "]")
WORD_RE = re.compile(_WORD_CHAR_RE.pattern + "+")

_PREFIXES = ("ال", "وال", "بال", "كال", "فال", "لل", "و")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يا", "ه", "ي")

#: Letters that may be glued to a word and that search strips or adds on the query side.
#: ``ف`` and ``ك`` are left out on purpose: they start too many words (``فاسدة``, ``كتاب``).
_QUERY_PROCLITICS = ("ب", "ل")

#: Function words dropped from multi-word queries. They match nearly every article, so they
#: add nothing to an AND and would swamp an OR. (Not ``على``: after folding it is the name علي.)
_STOP_TEXT = """
    في من إلى عن أن إن أو ما لا لم لن مع هذا هذه ذلك تلك التي الذي الذين ثم حتى بين كل بعد
    قبل عند منذ هو هي هم هما نحن أنا أنت كان كانت قد وقد لقد إذا إذ ألا إلا غير أيضا حيث كما
    قال وقال وفي ومن وإلى وأن فيه فيها منه منها عليه عليها به بها له لها لدى يا بل لكن ولكن
    وهو وهي و ب ل ك ف
"""


def normalize(text: str) -> str:
    """Normalised text (see the module docstring); separators are kept, offsets are not.

    Written for speed (it runs on every article imported): C-level passes that skip quickly
    over text with nothing to change, instead of a per-character ``str.translate``.
    """
    text = unicodedata.normalize("NFKC", text)
    if "ئو" in text:
        text = text.replace("ئو", "ؤو")  # مسئول / شئون are spelt مسؤول / شؤون too
    text = _DELETE_RE.sub("", text)
    for letter, folded in _FOLDS.items():
        if letter in text:
            text = text.replace(letter, folded)
    if _DIGIT_RE.search(text):
        text = text.translate(_DIGITS)
    return text.lower()


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text``, in order."""
    return _TOKEN_RE.findall(normalize(text))


def words(text: str) -> list[str]:
    """The words of ``text`` (after NFKC) as written, harakat and tatweel still inside."""
    return WORD_RE.findall(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=1 << 14)
def word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one word: usually one, none for bare marks, rarely several (``ﷺ``)."""
    return tuple(tokens(word))


#: ``_STOP_TEXT`` normalised.
STOP_WORDS = frozenset(tokens(_STOP_TEXT))


def is_arabic(token: str) -> bool:
    """Whether a normalised token starts with an Arabic letter (only those are stemmed)."""
    return "\u0621" <= token[:1] <= "\u064a"


def strip_prefix(token: str, *, strict: bool = True) -> str:
    """The prefix step of ``stem`` alone.

    ``strict=False`` drops a leading ``ال``, ``وال``, … or ``و`` whatever the length left: what
    a prefix query (``المست*``) has of its own, to judge whether it is specific enough.
    """
    if not is_arabic(token):
        return token
    n = len(token)
    for prefix in _PREFIXES:
        if token.startswith(prefix) and (
            not strict or n >= (4 if len(prefix) == 1 else len(prefix) + 2)
        ):
            return token[len(prefix) :]
    return token


def strip_suffixes(token: str) -> str:
    """The suffix step of ``stem`` alone."""
    if not is_arabic(token):
        return token
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) >= len(suffix) + 2:
            token = token[: -len(suffix)]
    return token


#: The prefix step in one match: the same prefixes and length rules as the loop above.
_PREFIX_RE = re.compile("(?:ال|وال|بال|كال|فال|لل)(?=..)|و(?=...)", re.DOTALL)
_SUFFIX_LAST = tuple({s[-1] for s in _SUFFIXES})


@lru_cache(maxsize=1 << 16)
def stem(token: str) -> str:
    """The light10 stem of one normalised token (other scripts and numbers are unchanged).

    The prefix step, then the suffix step, as ``strip_prefix`` and ``strip_suffixes`` do them;
    written for speed, since every new word of an import comes through here.
    """
    if not is_arabic(token):
        return token
    if m := _PREFIX_RE.match(token):
        token = token[m.end() :]
    if token.endswith(_SUFFIX_LAST):
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) >= len(suffix) + 2:
                token = token[: -len(suffix)]
    return token


@lru_cache(maxsize=1 << 12)
def query_stems(token: str) -> tuple[str, ...]:
    """The stems a query word is searched under: its own ``stem`` first, then variants.

    The index stores light10 stems, which keep a bare ``ب``/``ل`` (``بطرطوس`` is indexed as
    ``بطرطوس``, ``لسوريا`` as ``لسور``), so:

    * ``طرطوس`` also asks for ``بطرطوس`` and ``لطرطوس``, but only for stems of three letters
      or more: ``جنة`` (stem ``جن``) must not find ``لجنة`` (stem ``لجن``);
    * a word typed glued, ``بطرطوس``, also asks for ``طرطوس`` (when three letters remain);
    * a word whose first ``و`` light10 takes for a conjunction (``وشاح`` -> ``شاح``) also asks
      for the stem that keeps it, which is how ``ووشاح`` ("and a scarf") is indexed.

    ``ف`` and ``ك`` never take part, so ``الأسد`` cannot find ``فاسدة``.
    """
    base = stem(token)
    if not is_arabic(base):
        return (base,)
    out = [base]
    if token.startswith("و") and strip_prefix(token) == token[1:]:
        out.append(strip_suffixes(token))
    if len(base) >= 3:
        out.extend(p + base for p in _QUERY_PROCLITICS)
    if base[0] in _QUERY_PROCLITICS and len(base) >= 4:
        out.append(base[1:])
    return tuple(dict.fromkeys(out))


def is_deleted(char: str) -> bool:
    """Whether normalisation deletes this character (harakat, tatweel, invisible marks)."""
    return _DELETE_RE.match(char) is not None


def is_word_char(char: str) -> bool:
    """Whether a character belongs to a word of ``WORD_RE``."""
    return _WORD_CHAR_RE.match(char) is not None


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, token)`` for every token, with ``start:end`` the original word it came from.

    Harakat and tatweel stay inside the span, so a highlight covers the vowelled word as
    written. A word that normalises to several tokens gives each of them the same span.
    """
    out: list[tuple[int, int, str]] = []
    for m in WORD_RE.finditer(text):
        for token in word_tokens(m.group()):
            out.append((m.start(), m.end(), token))
    return out

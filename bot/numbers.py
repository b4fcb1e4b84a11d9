"""Numbers as people type them: ASCII digits, or the Arabic-Indic ones Arabic keyboards give.

One rule for every number the bot reads (commands, buttons, settings): ``²``, ``①`` and other
characters Python's ``int()`` would take or choke on are not numbers here.
"""

from __future__ import annotations

import re

_ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_INTEGER = re.compile(r"-?[0-9]+")


def parse_int(text: str) -> int | None:
    """The integer ``text`` spells in ASCII or Arabic-Indic digits (a leading ``-`` allowed);
    None for anything else."""
    ascii_text = text.strip().translate(_ARABIC_INDIC)
    return int(ascii_text) if _INTEGER.fullmatch(ascii_text) else None

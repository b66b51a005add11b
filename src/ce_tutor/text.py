"""Text from outside (a lesson, an answer, a file name, a progress file) made safe to show on a terminal.

A terminal obeys what it is sent: ESC, CSI (U+009B) and the other control characters can set the clipboard
(OSC 52), change the window title, clear the screen or hide text, and the bidi overrides (U+202A-U+202E,
U+2066-U+2069) can make a line read differently from what it holds. :func:`safe` makes every such
character visible as an escape (``\\x1b``, ``\\x9b``) and drops the bidi overrides, keeping the rest of
the text as it is; :func:`unsafe_character` finds the first one, for :mod:`ce_tutor.lessons.loader`, which
refuses them in lesson files. Standard library only: every layer may import this module.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BIDI", "escape_json", "is_safe", "safe", "unsafe_character"]

#: The bidi embeddings, overrides and isolates: they reorder what follows them on the line.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: C0 controls except tab and newline, DEL, and the C1 controls.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_UNSAFE = re.compile(f"[{_CONTROL}{BIDI}]")
_UNSAFE_ONE_LINE = re.compile(f"[\n\t{_CONTROL}{BIDI}]")
#: What may not appear in a JSON string as written by json.dumps(ensure_ascii=False) and shown on a terminal.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI}]")
_NAMES = {"\0": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\x9b": "CSI", "\x9d": "OSC", "\r": "CR", "\x07": "BEL"}


def _visible(match: re.Match[str]) -> str:
    character = match.group()
    if character in BIDI:
        return ""
    if character == "\n":
        return "\\n"
    if character == "\t":
        return "\\t"
    return f"\\x{ord(character):02x}"


def safe(text: object, *, one_line: bool = False) -> str:
    """``text`` (made a string) with control characters shown as ``\\xNN`` and bidi overrides removed.

    Newlines and tabs are kept, unless ``one_line`` (for a file name or a value quoted in a message, where
    a newline could forge a line of its own): then they are shown as ``\\n`` and ``\\t`` too.
    Text without such characters comes back unchanged.
    """
    text = text if isinstance(text, str) else str(text)
    pattern = _UNSAFE_ONE_LINE if one_line else _UNSAFE
    return pattern.sub(_visible, text) if pattern.search(text) else text


def is_safe(text: str) -> bool:
    """Whether :func:`safe` would leave ``text`` as it is (no control character, no bidi override)."""
    return _UNSAFE.search(text) is None


def unsafe_character(text: str) -> tuple[int, str] | None:
    """The offset and a description (``U+001B (ESC)``) of the first character :func:`safe` would change,
    or None when there is none."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    character = found.group()
    if character in BIDI:
        kind = unicodedata.name(character, "a bidi control").lower()
    else:
        kind = _NAMES.get(character, "a control character")
    return found.start(), f"U+{ord(character):04X} ({kind})"


def escape_json(text: str) -> str:
    """JSON text from ``json.dumps(..., ensure_ascii=False)`` with DEL, the C1 controls and the bidi
    controls written as ``\\uXXXX`` escapes: the same JSON value, safe to show (json.dumps escapes C0 itself).
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

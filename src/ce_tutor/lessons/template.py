"""Placeholders in lesson text: ``{formula}`` or ``{formula:spec}``, filled from computed values.

The formula is any expression of the safe formula language (``{p[0]:.2f}``, ``{-ln(p):.3f}``); the spec
is a restricted format spec (fill/align, sign, width, precision and one of ``f e g %`` or ``d``).
``{{`` and ``}}`` are literal braces. A placeholder may not contain ``!`` or a second ``:``.

A placeholder may also choose between two fixed phrases by a condition: ``{p > 0.5 ? "likely" : "unlikely"}``
(double-quoted phrases without braces or quotes; the first where the condition holds). Formulas themselves
never handle text: the phrases are fixed in the lesson.
Numbers are shown as Python formats them, except that infinity is shown as ∞ and a rounded negative zero
loses its sign. Arrays are shown element by element, separated by ", ".
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ce_tutor import formula
from ce_tutor.lessons.schema import SPEC_PATTERN

_SPEC = re.compile(SPEC_PATTERN)
_NEG_ZERO = re.compile(r"^-(0(?:\.0*)?(?:e[+-]?\d+)?%?)$", re.IGNORECASE)


class TemplateError(ValueError):
    """A placeholder that cannot be read or filled. ``offset`` is its position in the text, if known."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Placeholder:
    """One placeholder. For a choice (``{cond ? "a" : "b"}``), ``expression`` is the condition and
    ``phrases`` the two fixed phrases: the first where the condition holds, the second where it does not."""

    expression: str
    spec: str
    offset: int  # where "{" stands in the text
    phrases: tuple[str, str] | None = None


#: A choice between two fixed phrases: ``{condition ? "phrase if true" : "phrase if false"}``.
_CHOICE = re.compile(r'^(?P<cond>[^"?]+)\?\s*"(?P<yes>[^"{}]*)"\s*:\s*"(?P<no>[^"{}]*)"\s*$', re.DOTALL)
_UNBALANCED = "unbalanced braces: {} (write {{{{ or }}}} for a literal brace)"


def _fields(text: str) -> Iterator[tuple[str, int, str | None]]:
    """Split ``text`` into (literal, offset of "{", field text or None); a quoted phrase may hold ":" and "?"."""
    literal: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "{}" and text[i + 1 : i + 2] == ch:
            literal.append(ch)
            i += 2
        elif ch == "}":
            raise TemplateError(_UNBALANCED.format("Single '}' encountered in format string"), i)
        elif ch == "{":
            j, quoted = i + 1, False
            while j < n and (quoted or text[j] not in "{}"):
                quoted ^= text[j] == '"'
                j += 1
            if j >= n:
                raise TemplateError(_UNBALANCED.format("expected '}' before end of string"), i)
            if text[j] == "{":
                raise TemplateError("a placeholder may not hold another placeholder or a '{'", i)
            yield "".join(literal), i, text[i + 1 : j]
            literal = []
            i = j + 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        yield "".join(literal), n, None


def _placeholder(field: str, pos: int) -> Placeholder:
    if "?" in field or '"' in field:
        choice = _CHOICE.match(field)
        if not choice or not choice.group("cond").strip():
            raise TemplateError(
                f'a choice is written {{condition ? "phrase" : "other phrase"}}, not {{{field}}}', pos
            )
        return Placeholder(choice.group("cond").strip(), "", pos, (choice.group("yes"), choice.group("no")))
    try:
        [(_, name, spec, conversion)] = list(string.Formatter().parse("{" + field + "}"))
    except ValueError as exc:
        raise TemplateError(f"cannot read the placeholder {{{field}}}: {exc}", pos) from None
    if conversion is not None:
        raise TemplateError(f"'!' is not allowed in a placeholder: {{{name}!{conversion}}}", pos)
    if name is None or not name.strip():
        raise TemplateError("empty placeholder {}", pos)
    if spec and not _SPEC.match(spec):
        raise TemplateError(f"unsupported format spec ':{spec}' in {{{name}:{spec}}}", pos)
    return Placeholder(name.strip(), spec or "", pos)


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, Placeholder | None], ...]:
    return tuple((literal, None if field is None else _placeholder(field, pos)) for literal, pos, field in _fields(text))


def placeholders(text: str) -> Iterator[Placeholder]:
    """Every placeholder in ``text`` (raises TemplateError for malformed ones)."""
    for _, ph in _parse(text):
        if ph is not None:
            yield ph


def render(text: str, env: Mapping[str, object]) -> str:
    """Fill every placeholder of ``text`` from ``env``. Raises TemplateError naming the placeholder."""
    out: list[str] = []
    for literal, ph in _parse(text):
        out.append(literal)
        if ph is not None:
            try:
                value = formula.parse(ph.expression).evaluate(env)
            except formula.FormulaError as exc:
                raise TemplateError(f"in {{{ph.expression}}}: {exc}", ph.offset) from None
            out.append(format_value(value, ph.spec) if ph.phrases is None else _choose(ph, value))
    return "".join(out)


def _choose(ph: Placeholder, value: object) -> str:
    """The phrase a choice's condition picks: a single yes/no (or number: non-zero is yes)."""
    assert ph.phrases is not None
    if np.ndim(value) != 0:
        raise TemplateError(f"in {{{ph.expression} ? ...}}: the condition gives a list; it must be one yes or no", ph.offset)
    if isinstance(value, float) and np.isnan(value):
        raise TemplateError(f"in {{{ph.expression} ? ...}}: the condition is undefined", ph.offset)
    return ph.phrases[0] if value else ph.phrases[1]


def format_value(value: object, spec: str = "") -> str:
    """Show a computed value as a learner sees it: ∞ for infinity, no "-0.00", arrays joined by ", "."""
    arr = np.asarray(value)
    if arr.ndim > 0:
        return ", ".join(format_value(v, spec) for v in arr.ravel())
    item = arr.item()
    if isinstance(item, bool):
        return "yes" if item else "no"
    if not isinstance(item, (int, float)):
        raise TemplateError(f"cannot show a value of type {type(item).__name__}")
    if isinstance(item, float) and not np.isfinite(item):
        return "undefined" if np.isnan(item) else ("∞" if item > 0 else "-∞")
    if spec.endswith("d"):
        if float(item) != round(float(item)):
            raise TemplateError(f"':{spec}' shows whole numbers, but the value is {item!r}")
        item = int(round(float(item)))
    elif not spec:
        spec = "g" if isinstance(item, float) else ""
    text = format(item, spec)
    neg_zero = _NEG_ZERO.match(text.strip())
    return text.replace(text.strip(), neg_zero.group(1)) if neg_zero else text

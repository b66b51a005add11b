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

MAX_WIDTH = 40  #: the widest field a format spec may ask for
MAX_PRECISION = 17  #: the most digits after the point (or significant, for g) a format spec may ask for
MAX_TEXT_CHARS = 20_000  #: characters in one rendered text
MAX_LINES = 300  #: lines in one lesson text
MAX_LIST_ITEMS = 100  #: Markdown list items in one lesson text
MAX_TABLE_COLUMNS = 12  #: columns of a Markdown table

_SPEC = re.compile(SPEC_PATTERN)
#: Reads a wider field or precision than SPEC_PATTERN allows too, so that it can be refused by name.
_LOOSE_SPEC = re.compile(r"^[<>^=]?[+\- ]?(?P<width>\d*)(?:\.(?P<precision>\d+))?[feEgG%d]?$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?\|?[ \t]*$", re.MULTILINE)
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


def spec_problem(spec: str) -> str | None:
    """Why a format spec cannot be used (too wide, too precise, or not one of ours), or None if it can."""
    loose = _LOOSE_SPEC.match(spec)
    if loose and loose["width"] and int(loose["width"]) > MAX_WIDTH:
        return f"the width {int(loose['width'])} in ':{spec}' is too wide (at most {MAX_WIDTH})"
    if loose and loose["precision"] and int(loose["precision"]) > MAX_PRECISION:
        return f"the precision {int(loose['precision'])} in ':{spec}' asks for too many digits (at most {MAX_PRECISION})"
    if not _SPEC.match(spec):
        return f"unsupported format spec ':{spec}'"
    return None


def _size_problem(text: str) -> TemplateError | None:
    """A lesson text too big to show: too many lines, list items or table columns (at the first one over)."""
    for i, item in enumerate(_LIST_ITEM.finditer(text)):
        if i == MAX_LIST_ITEMS:
            return TemplateError(f"the text has more than {MAX_LIST_ITEMS} list items; split it into several steps",
                                 item.start())
    if text.count("\n") >= MAX_LINES:
        offset = -1
        for _ in range(MAX_LINES):
            offset = text.index("\n", offset + 1)
        return TemplateError(f"the text has more than {MAX_LINES} lines; split it into several steps", offset + 1)
    for rule in _TABLE_RULE.finditer(text):
        columns = rule.group().strip().strip("|").count("|") + 1
        if columns > MAX_TABLE_COLUMNS:
            return TemplateError(f"a table has {columns} columns; at most {MAX_TABLE_COLUMNS} fit a terminal", rule.start())
    if len(text) > MAX_TEXT_CHARS:
        return TemplateError(f"the text is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} fit one step",
                             MAX_TEXT_CHARS)
    return None


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
    if spec and (problem := spec_problem(spec)):
        raise TemplateError(f"{problem} in {{{name}:{spec}}}", pos)
    return Placeholder(name.strip(), spec or "", pos)


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, Placeholder | None], ...]:
    if (problem := _size_problem(text)) is not None:
        raise problem
    return tuple((literal, None if field is None else _placeholder(field, pos)) for literal, pos, field in _fields(text))


def placeholders(text: str) -> Iterator[Placeholder]:
    """Every placeholder in ``text`` (raises TemplateError for malformed ones)."""
    for _, ph in _parse(text):
        if ph is not None:
            yield ph


def render(text: str, env: Mapping[str, object]) -> str:
    """Fill every placeholder of ``text`` from ``env``. Raises TemplateError naming the placeholder.

    The result is at most MAX_TEXT_CHARS characters (a placeholder that would make it longer is refused
    before it is formatted in full), and its length is charged to the current :class:`formula.Budget`.
    """
    out: list[str] = []
    length = 0
    for literal, ph in _parse(text):
        out.append(literal)
        length += len(literal)
        if ph is not None:
            try:
                value = formula.parse(ph.expression).evaluate(env)
            except formula.FormulaError as exc:
                raise TemplateError(f"in {{{ph.expression}}}: {exc}", ph.offset) from None
            if ph.phrases is not None:
                shown = _choose(ph, value)
            else:
                try:
                    shown = format_value(value, ph.spec, limit=MAX_TEXT_CHARS - length)
                except TemplateError as exc:
                    written = f"{ph.expression}:{ph.spec}" if ph.spec else ph.expression
                    raise TemplateError(f"in {{{written}}}: {exc}", ph.offset) from None
            out.append(shown)
            length += len(shown)
    formula.spend(length)
    return "".join(out)


def _choose(ph: Placeholder, value: object) -> str:
    """The phrase a choice's condition picks: a single yes/no (or number: non-zero is yes)."""
    assert ph.phrases is not None
    if np.ndim(value) != 0:
        raise TemplateError(f"in {{{ph.expression} ? ...}}: the condition gives a list; it must be one yes or no", ph.offset)
    if isinstance(value, float) and np.isnan(value):
        raise TemplateError(f"in {{{ph.expression} ? ...}}: the condition is undefined", ph.offset)
    return ph.phrases[0] if value else ph.phrases[1]


def format_value(value: object, spec: str = "", *, limit: int = MAX_TEXT_CHARS) -> str:
    """Show a computed value as a learner sees it: ∞ for infinity, no "-0.00", arrays joined by ", ".

    Raises TemplateError if ``spec`` is too wide or precise, or if the text would exceed ``limit``
    characters (checked as the values of an array are formatted, so a huge one stops early).
    """
    if spec and (problem := spec_problem(spec)):
        raise TemplateError(problem)
    arr = np.asarray(value)
    if arr.ndim > 0:
        parts: list[str] = []
        length = 0
        for v in arr.ravel():
            parts.append(_format_one(np.asarray(v), spec))
            length += len(parts[-1]) + 2
            if length - 2 > limit:
                break
        return _within(", ".join(parts), limit)
    return _within(_format_one(arr, spec), limit)


def _within(text: str, limit: int) -> str:
    if len(text) > limit:
        raise TemplateError(f"it makes the text longer than {MAX_TEXT_CHARS:,} characters")
    return text


def _format_one(arr: np.ndarray, spec: str) -> str:
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

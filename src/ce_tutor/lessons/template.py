"""Placeholders in lesson text: ``{formula}`` or ``{formula:spec}``, filled from computed values.

The formula is any expression of the safe formula language (``{p[0]:.2f}``, ``{-ln(p):.3f}``); the spec
is a restricted format spec (fill/align, sign, width, precision and one of ``f e g %`` or ``d``).
``{{`` and ``}}`` are literal braces. A placeholder may not contain ``!`` or a second ``:``.
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

MAX_WIDTH = 40  #: the widest field a format spec may ask for
MAX_PRECISION = 17  #: the most digits after the point (or significant, for g) a format spec may ask for
MAX_TEXT_CHARS = 20_000  #: characters in one rendered text
MAX_LINES = 300  #: lines in one lesson text
MAX_LIST_ITEMS = 100  #: Markdown list items in one lesson text
MAX_TABLE_COLUMNS = 12  #: columns of a Markdown table

#: The format specs a placeholder may use: align, sign, width (0 to 40), precision (0 to 17), and one of
#: f e g % d. (``_LOOSE_SPEC`` reads a wider field or precision too, so that it can be refused by name.)
SPEC_PATTERN = r"^[<>^=]?[+\- ]?0?(?:40|[1-3]?\d)?(?:\.(?:1[0-7]|\d))?[feEgG%d]?$"
_SPEC = re.compile(SPEC_PATTERN)
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
    expression: str
    spec: str
    offset: int  # where "{" stands in the text


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


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, Placeholder | None], ...]:
    if (problem := _size_problem(text)) is not None:
        raise problem
    parts: list[tuple[str, Placeholder | None]] = []
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"unbalanced braces: {exc} (write {{{{ or }}}} for a literal brace)") from None
    pos = 0
    for literal, field, spec, conversion in pieces:
        if field is None:
            parts.append((literal, None))
            continue
        found = text.find("{" + field, pos)
        pos = found if found >= 0 else pos
        if conversion is not None:
            raise TemplateError(f"'!' is not allowed in a placeholder: {{{field}!{conversion}}}", pos)
        if not field.strip():
            raise TemplateError("empty placeholder {}", pos)
        if spec and (problem := spec_problem(spec)):
            raise TemplateError(f"{problem} in {{{field}:{spec}}}", pos)
        parts.append((literal, Placeholder(field.strip(), spec or "", pos)))
        pos = text.find("}", pos + 1 + len(field)) + 1
    return tuple(parts)


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
            try:
                shown = format_value(value, ph.spec, limit=MAX_TEXT_CHARS - length)
            except TemplateError as exc:
                written = f"{ph.expression}:{ph.spec}" if ph.spec else ph.expression
                raise TemplateError(f"in {{{written}}}: {exc}", ph.offset) from None
            out.append(shown)
            length += len(shown)
    formula.spend(length)
    return "".join(out)


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

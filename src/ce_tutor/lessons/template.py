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
    expression: str
    spec: str
    offset: int  # where "{" stands in the text


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[tuple[str, Placeholder | None], ...]:
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
        if spec and not _SPEC.match(spec):
            raise TemplateError(f"unsupported format spec ':{spec}' in {{{field}:{spec}}}", pos)
        parts.append((literal, Placeholder(field.strip(), spec or "", pos)))
        pos = text.find("}", pos + 1 + len(field)) + 1
    return tuple(parts)


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
            out.append(format_value(value, ph.spec))
    return "".join(out)


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

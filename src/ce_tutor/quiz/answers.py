"""Reading a learner's typed answer as one number.

A plain number is read directly (``0.56``, ``.56``, ``-0.5``, ``+2``, ``5.6e-1``), so ``repr(x)`` of any
float comes back as exactly ``x``. Anything else goes through the safe formula language with no variables
(``-ln(0.57)``, ``1/3``, ``(1-0.57)^2``, ``e``, ``pi``, ``exp(-1)``; ``log`` is the natural log).

Before that the text is tidied: surrounding whitespace goes, typographic dashes (``−`` U+2212, en and em
dashes...) become minus signs, ``×``/``·`` become ``*`` and ``÷`` becomes ``/``. A decimal comma is
accepted when it is clearly one: a single comma between two digits and no dot anywhere (``0,56``), unless
it could be a thousands separator (``1,000``: we ask) or separates a function's arguments (``max(1,2)``).
A trailing ``%`` after a plain number divides by 100. Anything else that is not a finite number ends in
:class:`AnswerError`, whose message is written for the learner.

Every answer is answered quickly: the text is capped at :data:`MAX_LENGTH` characters before anything
else, limited to printable ASCII, and the formula evaluator has its own size bounds and a deadline
(:data:`EVALUATION_BUDGET_S` for all the evaluating one answer needs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ce_tutor import formula
from ce_tutor.text import safe

MAX_LENGTH = 200  #: characters; longer answers are refused before any parsing
EVALUATION_BUDGET_S = 0.09  #: seconds the formula evaluator may spend on one answer, in total

_TYPOGRAPHY = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-")
    | dict.fromkeys("\u00d7\u00b7\u22c5", "*")
    | dict.fromkeys("\u00f7\u2215", "/")
)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ALLOWED = re.compile(r"[\x20-\x7e\t]*")  # printable ASCII: all the formula language needs
_COMMA_BETWEEN_DIGITS = re.compile(r"(?<=[0-9]),(?=[0-9])")
_THOUSANDS = re.compile(r"(?<![0-9])[1-9][0-9]{0,2},[0-9]{3}(?![0-9eE])")
_NUMBER_WITH_COMMAS = re.compile(r"[+-]?[0-9.,]*,[0-9.,]*%?")

_HOW_TO = "Type a decimal such as 0.56, a fraction such as 1/3, or a formula such as -ln(0.57)."


class AnswerError(ValueError):
    """An answer that cannot be read as one finite number; the message is meant for the learner."""


@dataclass(frozen=True)
class Reading:
    """A typed answer, read."""

    value: float
    significant_figures: int | None  #: as typed, for a plain number or a percentage; None for a formula


def parse_answer(text: str) -> float:
    """Read ``text`` as one finite number, or raise AnswerError saying kindly what to type instead."""
    return read_answer(text).value


def read_answer(text: str) -> Reading:
    """Like :func:`parse_answer`, also telling how many significant figures a plain number was typed with
    (``0.60`` has 2, ``5.6e-1`` has 2, ``12`` has 2, ``0`` counts as 1)."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(
            f"That answer is too long ({len(text)} characters). One number or a short formula, please."
        )
    source = _tidy(text)
    deadline = formula.clock() + EVALUATION_BUDGET_S
    if "," in source:
        source = _settle_commas(source, text, deadline)
    if source.endswith("%"):
        number = source[:-1].rstrip()
        if not _PLAIN_NUMBER.fullmatch(number):
            raise AnswerError(f"A % sign only works after a plain number, such as 56%. {_HOW_TO}")
        return Reading(_finite(float(number) / 100, text), _significant_figures(number))
    if _PLAIN_NUMBER.fullmatch(source):
        return Reading(_finite(float(source), text), _significant_figures(source))
    return Reading(_finite(_evaluate(source, text, deadline), text), None)


def shown(text: str, limit: int = 30) -> str:
    """The learner's text, stripped and shortened for quoting back in a message (its control characters
    shown as escapes, :func:`ce_tutor.text.safe`)."""
    text = safe(text.strip(), one_line=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _significant_figures(number: str) -> int:
    """The significant figures of a plain number as typed."""
    mantissa = re.split("[eE]", number.lstrip("+-"))[0]
    return max(1, len(mantissa.replace(".", "").lstrip("0")))


def _tidy(text: str) -> str:
    """Strip, turn typographic symbols into the formula language's, and refuse other characters."""
    source = text.strip().translate(_TYPOGRAPHY)
    if not source:
        raise AnswerError("Type an answer first.")
    if not _ALLOWED.fullmatch(source):
        bad = next(c for c in source if not _ALLOWED.fullmatch(c))
        named = f"'{bad}'" if bad.isprintable() else f"U+{ord(bad):04X}"
        raise AnswerError(
            f"I couldn't read '{shown(text)}': the character {named} can't be used in an answer. {_HOW_TO}"
        )
    return source


def _settle_commas(source: str, text: str, deadline: float) -> str:
    """Turn a clear decimal comma into a dot; refuse thousands separators; leave a formula's commas.

    A comma is a decimal comma when it is the only one, stands between digits, there is no dot, and read
    as a separator of function arguments it would not give one number (``max(1,2)`` keeps its comma).
    """
    single = "." not in source and source.count(",") == 1 and _COMMA_BETWEEN_DIGITS.search(source)
    if single and not _is_one_number(source, deadline):
        if ambiguous := _THOUSANDS.search(source):
            number = ambiguous.group()
            thousands, decimal = number.replace(",", ""), number.replace(",", ".")
            raise AnswerError(
                f"I can't tell whether '{number}' means {thousands} or {decimal}."
                " Please use a dot for decimals (such as 0.56) and no thousands separators."
            )
        return source.replace(",", ".")
    if _NUMBER_WITH_COMMAS.fullmatch(source):
        raise AnswerError(
            f"I couldn't read '{shown(text)}'. Please type numbers without thousands separators,"
            " with a dot for decimals, such as 1000 or 0.56."
        )
    return source


def _is_one_number(source: str, deadline: float) -> bool:
    try:
        value = formula.parse(source, max_length=MAX_LENGTH).evaluate({}, deadline_s=_seconds_left(deadline))
    except formula.FormulaError:
        return False
    return not isinstance(value, bool) and np.ndim(value) == 0


def _evaluate(source: str, text: str, deadline: float) -> object:
    """Evaluate a formula with no variables (the constants e, pi and inf are allowed)."""
    unreadable = AnswerError(f"I couldn't read '{shown(text)}' as a number. {_HOW_TO}")
    try:
        parsed = formula.parse(source, max_length=MAX_LENGTH)
    except formula.FormulaError:
        raise unreadable from None
    if parsed.names:
        name = sorted(parsed.names)[0]
        raise AnswerError(
            f"Your answer uses the name '{name}', but it should be a number. "
            "Work it out with numbers only, for example -ln(0.57) (e and pi are fine)."
        )
    try:
        return parsed.evaluate({}, deadline_s=_seconds_left(deadline))
    except formula.FormulaError as exc:
        raise AnswerError(f"I couldn't work out '{shown(text)}': {exc}.") from None


def _seconds_left(deadline: float) -> float:
    return max(0.0, deadline - formula.clock())


def _finite(value: object, text: str) -> float:
    """``value`` as a finite float, or an AnswerError explaining what it is instead."""
    if isinstance(value, bool):
        raise AnswerError(f"'{shown(text)}' is a true/false comparison. Type one number, please.")
    if np.ndim(value) != 0:
        raise AnswerError(f"'{shown(text)}' gives several values. One number, please.")
    number = float(value)  # the evaluator returns a float, a bool or an array
    if np.isnan(number):
        raise AnswerError(f"'{shown(text)}' is not a number (it is undefined, like ln of a negative number).")
    if np.isinf(number):
        raise AnswerError(f"'{shown(text)}' works out to infinity. The answer is a finite number.")
    return number

"""The lesson file format (schema_version 1), as frozen dataclasses that pydantic validates.

A lesson is data: a YAML file whose top level is a :class:`Lesson`. Text fields marked *template* may hold
``{placeholders}``: a formula followed by an optional format spec, such as ``{p[0]:.2f}`` or
``{-ln(p):.3f}`` (see :mod:`ce_tutor.lessons.template`). Fields marked *formula* are expressions in the safe
formula language (:mod:`ce_tutor.formula`). ``ce-tutor schema`` prints the JSON Schema of these classes.

The classes are plain (standard-library) dataclasses, so a lesson can be used, and unpickled from the
lesson cache, without importing pydantic: the app never does (it keeps the learner's process small).
Their constraints are written for pydantic, which :mod:`ce_tutor.lessons.loader` uses to validate a file,
with two markers that build pydantic's objects only when pydantic asks for them: :class:`Field` (the
arguments of ``pydantic.Field``) and :class:`Before` (a function run on the raw value first).
Rules about several fields are checked in ``__post_init__``, which pydantic runs after the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

SCHEMA_VERSION = 1
#: The format specs a placeholder may use: align, sign, width, precision, and one of f e g % d. Defined here
#: (and used by :mod:`ce_tutor.lessons.template`) so that the schema, and so the lesson list, never imports numpy.
SPEC_PATTERN = r"^[<>^=]?[+\- ]?\d{0,3}(?:\.\d{1,2})?[feEgG%d]?$"


class Field:
    """Constraints of a value, as the keyword arguments of ``pydantic.Field`` (pattern, ge, max_length...).

    Used in ``Annotated[...]``; pydantic calls :meth:`__get_pydantic_core_schema__` when it builds a
    validator, and only then is pydantic imported.
    """

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __repr__(self) -> str:
        return f"Field({', '.join(f'{k}={v!r}' for k, v in self.constraints.items())})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        import pydantic

        return handler(Annotated[source, pydantic.Field(**self.constraints)])


class Before:
    """A function applied to the raw value before it is validated (``pydantic.BeforeValidator``)."""

    def __init__(self, function: Callable[[object], object]) -> None:
        self.function = function

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.function, handler(source))


#: What pydantic enforces on every class below: no unknown keys, no inf or NaN.
_CONFIG = {"extra": "forbid", "allow_inf_nan": False}


def _model(cls: type) -> type:
    """A lesson class: a frozen dataclass, keyword arguments only, with pydantic's settings attached."""
    cls.__pydantic_config__ = _CONFIG  # type: ignore[attr-defined]
    return dataclass(frozen=True, slots=True, kw_only=True)(cls)


#: A variable name usable in formulas (parameters, derived values).
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]
#: A lesson or quiz id: lower-case letters, digits, '-' and '_'.
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,47}$")]


def _number_as_formula(value: object) -> object:
    """Let ``answer: 2`` or ``shift: 5`` stand for the formulas "2" and "5" (YAML reads them as numbers)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return value


#: An expression in the formula language (a plain number is accepted too).
Formula = Annotated[str, Before(_number_as_formula), Field(min_length=1, max_length=1000)]
#: Text (Markdown) with {placeholders}.
Template = Annotated[str, Field(max_length=20_000)]
#: A number, or a formula that computes one.
NumberOrFormula = float | Formula


# -- computed values ------------------------------------------------------------------------------------
@_model
class Derived:
    """A computed value that is rounded before anything else uses it (so it matches what is shown)."""

    formula: Formula
    round: Annotated[int | None, Field(ge=0, le=12, description="decimals to round to")] = None


#: A computed value: a plain formula, or a formula with rounding.
DerivedSpec = Formula | Derived


# -- plots --------------------------------------------------------------------------------------------------
@_model
class XRange:
    """The x grid of a line plot: ``points`` evenly spaced values from ``min`` to ``max``."""

    min: NumberOrFormula
    max: NumberOrFormula
    points: Annotated[int, Field(ge=2, le=2000)] = 120


@_model
class Series:
    """One named curve, bar set or point set."""

    name: Template
    y: Annotated[Formula, Field(description="formula over x (the grid, an array) and the lesson's values")]
    x: Annotated[Formula | None, Field(description="for scatter series: a formula giving the x values")] = None


@_model
class Marker:
    """A highlighted point, such as "your p" on the -log p curve."""

    label: Template
    x: NumberOrFormula
    y: NumberOrFormula


@_model
class PlotSpec:
    kind: Literal["line", "bar", "scatter"] = "line"
    title: Template | None = None
    x_label: Annotated[Template, Field(max_length=60)]
    y_label: Annotated[Template, Field(max_length=60)]
    x: Annotated[XRange | None, Field(description="the x grid (line plots)")] = None
    categories: Annotated[list[Template] | None, Field(description="bar labels (bar plots)", max_length=12)] = None
    series: Annotated[list[Series], Field(min_length=1, max_length=6)]
    markers: Annotated[list[Marker], Field(max_length=6)] = field(default_factory=list)
    y_min: NumberOrFormula | None = None
    y_max: NumberOrFormula | None = None

    def __post_init__(self) -> None:
        if self.kind == "line" and self.x is None:
            raise ValueError("a line plot needs an x range (x: {min: ..., max: ...})")
        if self.kind == "bar" and not self.categories:
            raise ValueError("a bar plot needs categories (the bar labels)")
        if self.kind == "scatter" and any(s.x is None for s in self.series):
            raise ValueError("every series of a scatter plot needs an x formula")


# -- steps --------------------------------------------------------------------------------------------------
@_model
class ProseStep:
    """Markdown text with placeholders."""

    type: Literal["prose"]
    title: Annotated[str | None, Field(max_length=80)] = None
    text: Template


@_model
class PlotStep:
    """A plot with an optional caption."""

    type: Literal["plot"]
    title: Annotated[str | None, Field(max_length=80)] = None
    text: Template | None = None
    plot: PlotSpec


#: A slider's end: a number (kept a number, unlike a Formula), or a formula of the other params.
Bound = float | Annotated[str, Field(min_length=1, max_length=1000)]


@_model
class Param:
    """A number the learner moves in an explorer.

    ``min`` and ``max`` are numbers, or formulas of the lesson's values and the explorer's other params
    (``max: "1 - a"``): the range then follows them, and the value stays inside it.
    """

    name: Name
    label: Annotated[str | None, Field(max_length=40)] = None
    min: Bound
    max: Bound
    step: Annotated[float, Field(gt=0)]
    value: float

    def __post_init__(self) -> None:
        low = self.min if isinstance(self.min, (int, float)) else None
        high = self.max if isinstance(self.max, (int, float)) else None
        if low is not None and high is not None:
            if not low < high:
                raise ValueError(f"min ({low}) must be less than max ({high})")
            if (high - low) / self.step > 10_000:
                raise ValueError("step is too small for the range (more than 10000 positions)")
        if low is not None and self.value < low:
            raise ValueError(f"value ({self.value}) must not be below min ({low})")
        if high is not None and self.value > high:
            raise ValueError(f"value ({self.value}) must not be above max ({high})")

    @property
    def fixed_range(self) -> bool:
        """True if both ends are numbers (not formulas)."""
        return not isinstance(self.min, str) and not isinstance(self.max, str)


#: How far the start values of a distribution may sum from 1.
DISTRIBUTION_TOLERANCE = 1e-9


@_model
class DistributionParam:
    """Several sliders that stay a probability distribution: moving one rescales the others.

    The formulas see one list named ``name`` (``q[0]``, ``entropy(q)``); the sliders are named ``name``
    followed by the 0-based index (``q0``, ``q1``...) and labelled by ``distribution``.
    """

    name: Name
    distribution: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=40)]],
        Field(min_length=2, max_length=6, description="a label for each probability"),
    ]
    value: Annotated[list[Annotated[float, Field(ge=0, le=1)]], Field(description="the start: sums to 1")]
    step: Annotated[float, Field(gt=0, le=0.5)] = 0.01

    def __post_init__(self) -> None:
        if len(self.value) != len(self.distribution):
            raise ValueError(
                f"value has {len(self.value)} numbers but distribution names {len(self.distribution)} classes"
            )
        if abs(sum(self.value) - 1) > DISTRIBUTION_TOLERANCE:
            raise ValueError(f"value must sum to 1, but sums to {sum(self.value):g}")

    @property
    def sliders(self) -> list[Param]:
        """One slider per probability, from 0 to 1."""
        return [
            Param(name=f"{self.name}{i}", label=label, min=0.0, max=1.0, step=self.step, value=v)
            for i, (label, v) in enumerate(zip(self.distribution, self.value, strict=True))
        ]


@_model
class ExploreStep:
    """Parameters the learner moves with the keyboard; derived values, text and a plot follow live."""

    type: Literal["explore"]
    title: Annotated[str | None, Field(max_length=80)] = None
    text: Template | None = None
    params: Annotated[list[Param | DistributionParam], Field(min_length=1, max_length=6)]
    derived: dict[Name, DerivedSpec] = field(default_factory=dict)
    show: Annotated[list[Template], Field(max_length=12, description="lines shown live")] = field(
        default_factory=list
    )
    plot: PlotSpec | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for param in self.params:
            names = [param.name, *(s.name for s in param.sliders)] if isinstance(param, DistributionParam) else [param.name]
            for name in names:
                if name in seen:
                    raise ValueError(f"the name {name!r} is used by two params (or a distribution's sliders)")
                seen.add(name)
        if sum(len(p.sliders) if isinstance(p, DistributionParam) else 1 for p in self.params) > 12:
            raise ValueError("an explorer may have at most 12 sliders (a distribution has one per class)")


@_model
class Uniform:
    uniform: Annotated[tuple[float, float], Field(description="low and high")]
    round: Annotated[int, Field(ge=0, le=6)] = 2

    def __post_init__(self) -> None:
        if self.uniform[0] > self.uniform[1]:
            raise ValueError(f"uniform: low ({self.uniform[0]}) must not be above high ({self.uniform[1]})")


@_model
class Normal:
    normal: Annotated[tuple[float, float], Field(description="mean and standard deviation")]
    round: Annotated[int, Field(ge=0, le=6)] = 2

    def __post_init__(self) -> None:
        if self.normal[1] < 0:
            raise ValueError(f"normal: the standard deviation must not be negative, got {self.normal[1]}")


@_model
class RandInt:
    randint: Annotated[tuple[int, int], Field(description="low and high, both included")]

    def __post_init__(self) -> None:
        if self.randint[0] > self.randint[1]:
            raise ValueError(f"randint: low ({self.randint[0]}) must not be above high ({self.randint[1]})")


@_model
class Choice:
    choice: Annotated[list[float], Field(min_length=1, max_length=100)]


#: How a quiz parameter is drawn. Uniform and normal values are rounded (``round`` decimals) when drawn,
#: so every answer is computed from exactly the value the learner sees.
ParamSpec = Uniform | Normal | RandInt | Choice


@_model
class Tolerance:
    """Either relative/absolute (``|a - b| <= atol + rtol * |b|``) or significant figures."""

    rtol: Annotated[float | None, Field(ge=0, le=1)] = None
    atol: Annotated[float | None, Field(ge=0)] = None
    sigfigs: Annotated[int | None, Field(ge=1, le=10)] = None

    def __post_init__(self) -> None:
        if self.sigfigs is not None and (self.rtol is not None or self.atol is not None):
            raise ValueError("give either sigfigs or rtol/atol, not both")


@_model
class Misconception:
    """A known wrong answer and the feedback that explains it."""

    answer: Formula
    feedback: Template


@_model
class Option:
    """One option of a multiple-choice quiz. ``correct`` is true/false or a formula that decides it."""

    text: Template
    correct: bool | Formula
    feedback: Template | None = None


@_model
class QuizStep:
    """A question with random values, graded against a computed answer (or multiple choice)."""

    type: Literal["quiz"]
    id: Slug
    title: Annotated[str | None, Field(max_length=80)] = None
    params: dict[Name, ParamSpec] = field(default_factory=dict)
    derived: dict[Name, DerivedSpec] = field(default_factory=dict)
    require: Annotated[list[Formula], Field(description="conditions a variant must meet")] = field(
        default_factory=list
    )
    prompt: Template
    answer: Annotated[Formula | None, Field(description="numeric quizzes: the right answer")] = None
    answer_format: Annotated[str, Field(pattern=SPEC_PATTERN, description="how the right answer is shown")] = ".4g"
    tolerance: Tolerance = field(default_factory=lambda: Tolerance(rtol=0.01))
    choices: Annotated[list[Option] | None, Field(min_length=2, max_length=6)] = None
    shuffle: Annotated[
        bool, Field(description="multiple choice: show the options in an order each variant draws")
    ] = True
    hints: Annotated[list[Template], Field(max_length=6)] = field(default_factory=list)
    misconceptions: Annotated[list[Misconception], Field(max_length=10)] = field(default_factory=list)
    solution: Annotated[list[Template], Field(max_length=12, description="worked steps")] = field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        if (self.answer is None) == (self.choices is None):
            raise ValueError("a quiz needs exactly one of 'answer' (numeric) or 'choices' (multiple choice)")

    @property
    def is_choice(self) -> bool:
        return self.choices is not None


Step = Annotated[ProseStep | PlotStep | ExploreStep | QuizStep, Field(discriminator="type")]


@_model
class Lesson:
    """One lesson file."""

    schema_version: Literal[1]
    id: Slug
    title: Annotated[str, Field(min_length=1, max_length=60)]
    summary: Annotated[str, Field(min_length=1, max_length=300)]
    requires: list[Slug] = field(default_factory=list)
    values: Annotated[
        dict[Name, DerivedSpec], Field(description="values computed once for the whole lesson, in order")
    ] = field(default_factory=dict)
    steps: Annotated[list[Step], Field(min_length=1, max_length=100)]

"""The lesson file format (schema_version 1), as pydantic models.

A lesson is data: a YAML file whose top level is a :class:`Lesson`. Text fields marked *template* may hold
``{placeholders}``: a formula followed by an optional format spec, such as ``{p[0]:.2f}`` or
``{-ln(p):.3f}`` (see :mod:`ce_tutor.lessons.template`). Fields marked *formula* are expressions in the safe
formula language (:mod:`ce_tutor.formula`). ``ce-tutor schema`` prints the JSON Schema of these models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ce_tutor.lessons.template import SPEC_PATTERN

SCHEMA_VERSION = 1

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
Formula = Annotated[str, BeforeValidator(_number_as_formula), Field(min_length=1, max_length=1000)]
#: Text (Markdown) with {placeholders}.
Template = Annotated[str, Field(max_length=20_000)]
#: A number, or a formula that computes one.
NumberOrFormula = float | Formula


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# -- computed values ------------------------------------------------------------------------------------
class Derived(_Model):
    """A computed value that is rounded before anything else uses it (so it matches what is shown)."""

    formula: Formula
    round: int | None = Field(default=None, ge=0, le=12, description="decimals to round to")


#: A computed value: a plain formula, or a formula with rounding.
DerivedSpec = Formula | Derived


# -- plots --------------------------------------------------------------------------------------------------
class XRange(_Model):
    """The x grid of a line plot: ``points`` evenly spaced values from ``min`` to ``max``."""

    min: NumberOrFormula
    max: NumberOrFormula
    points: int = Field(default=120, ge=2, le=2000)


class Series(_Model):
    """One named curve, bar set or point set."""

    name: Template
    y: Formula = Field(description="formula over x (the grid, an array) and the lesson's values")
    x: Formula | None = Field(default=None, description="for scatter series: a formula giving the x values")


class Marker(_Model):
    """A highlighted point, such as "your p" on the -log p curve."""

    label: Template
    x: NumberOrFormula
    y: NumberOrFormula


class PlotSpec(_Model):
    kind: Literal["line", "bar", "scatter"] = "line"
    title: Template | None = None
    x_label: Template = Field(max_length=60)
    y_label: Template = Field(max_length=60)
    x: XRange | None = Field(default=None, description="the x grid (line plots)")
    categories: list[Template] | None = Field(default=None, description="bar labels (bar plots)", max_length=12)
    series: list[Series] = Field(min_length=1, max_length=6)
    markers: list[Marker] = Field(default_factory=list, max_length=6)
    y_min: NumberOrFormula | None = None
    y_max: NumberOrFormula | None = None

    @model_validator(mode="after")
    def _kind_needs(self) -> PlotSpec:
        if self.kind == "line" and self.x is None:
            raise ValueError("a line plot needs an x range (x: {min: ..., max: ...})")
        if self.kind == "bar" and not self.categories:
            raise ValueError("a bar plot needs categories (the bar labels)")
        if self.kind == "scatter" and any(s.x is None for s in self.series):
            raise ValueError("every series of a scatter plot needs an x formula")
        return self


# -- steps --------------------------------------------------------------------------------------------------
class ProseStep(_Model):
    """Markdown text with placeholders."""

    type: Literal["prose"]
    title: str | None = Field(default=None, max_length=80)
    text: Template


class PlotStep(_Model):
    """A plot with an optional caption."""

    type: Literal["plot"]
    title: str | None = Field(default=None, max_length=80)
    text: Template | None = None
    plot: PlotSpec


class Param(_Model):
    """A number the learner moves in an explorer."""

    name: Name
    label: str | None = Field(default=None, max_length=40)
    min: float
    max: float
    step: float = Field(gt=0)
    value: float

    @model_validator(mode="after")
    def _range(self) -> Param:
        if not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        if not self.min <= self.value <= self.max:
            raise ValueError(f"value ({self.value}) must lie between min ({self.min}) and max ({self.max})")
        if (self.max - self.min) / self.step > 10_000:
            raise ValueError("step is too small for the range (more than 10000 positions)")
        return self


class ExploreStep(_Model):
    """Parameters the learner moves with the keyboard; derived values, text and a plot follow live."""

    type: Literal["explore"]
    title: str | None = Field(default=None, max_length=80)
    text: Template | None = None
    params: list[Param] = Field(min_length=1, max_length=6)
    derived: dict[Name, DerivedSpec] = Field(default_factory=dict)
    show: list[Template] = Field(default_factory=list, max_length=12, description="lines shown live")
    plot: PlotSpec | None = None


class Uniform(_Model):
    uniform: tuple[float, float] = Field(description="low and high")
    round: int = Field(default=2, ge=0, le=6)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.uniform[0] > self.uniform[1]:
            raise ValueError(f"uniform: low ({self.uniform[0]}) must not be above high ({self.uniform[1]})")
        return self


class Normal(_Model):
    normal: tuple[float, float] = Field(description="mean and standard deviation")
    round: int = Field(default=2, ge=0, le=6)

    @model_validator(mode="after")
    def _spread(self) -> Normal:
        if self.normal[1] < 0:
            raise ValueError(f"normal: the standard deviation must not be negative, got {self.normal[1]}")
        return self


class RandInt(_Model):
    randint: tuple[int, int] = Field(description="low and high, both included")

    @model_validator(mode="after")
    def _ordered(self) -> RandInt:
        if self.randint[0] > self.randint[1]:
            raise ValueError(f"randint: low ({self.randint[0]}) must not be above high ({self.randint[1]})")
        return self


class Choice(_Model):
    choice: list[float] = Field(min_length=1, max_length=100)


#: How a quiz parameter is drawn. Uniform and normal values are rounded (``round`` decimals) when drawn,
#: so every answer is computed from exactly the value the learner sees.
ParamSpec = Uniform | Normal | RandInt | Choice


class Tolerance(_Model):
    """Either relative/absolute (``|a - b| <= atol + rtol * |b|``) or significant figures."""

    rtol: float | None = Field(default=None, ge=0, le=1)
    atol: float | None = Field(default=None, ge=0)
    sigfigs: int | None = Field(default=None, ge=1, le=10)

    @model_validator(mode="after")
    def _one_kind(self) -> Tolerance:
        if self.sigfigs is not None and (self.rtol is not None or self.atol is not None):
            raise ValueError("give either sigfigs or rtol/atol, not both")
        return self


class Misconception(_Model):
    """A known wrong answer and the feedback that explains it."""

    answer: Formula
    feedback: Template


class Option(_Model):
    """One option of a multiple-choice quiz. ``correct`` is true/false or a formula that decides it."""

    text: Template
    correct: bool | Formula
    feedback: Template | None = None


class QuizStep(_Model):
    """A question with random values, graded against a computed answer (or multiple choice)."""

    type: Literal["quiz"]
    id: Slug
    title: str | None = Field(default=None, max_length=80)
    params: dict[Name, ParamSpec] = Field(default_factory=dict)
    derived: dict[Name, DerivedSpec] = Field(default_factory=dict)
    require: list[Formula] = Field(default_factory=list, description="conditions a variant must meet")
    prompt: Template
    answer: Formula | None = Field(default=None, description="numeric quizzes: the right answer")
    answer_format: str = Field(default=".4g", pattern=SPEC_PATTERN, description="how the right answer is shown")
    tolerance: Tolerance = Field(default_factory=lambda: Tolerance(rtol=0.01))
    choices: list[Option] | None = Field(default=None, min_length=2, max_length=6)
    hints: list[Template] = Field(default_factory=list, max_length=6)
    misconceptions: list[Misconception] = Field(default_factory=list, max_length=10)
    solution: list[Template] = Field(default_factory=list, max_length=12, description="worked steps")

    @model_validator(mode="after")
    def _answer_or_choices(self) -> QuizStep:
        if (self.answer is None) == (self.choices is None):
            raise ValueError("a quiz needs exactly one of 'answer' (numeric) or 'choices' (multiple choice)")
        return self

    @property
    def is_choice(self) -> bool:
        return self.choices is not None


Step = Annotated[ProseStep | PlotStep | ExploreStep | QuizStep, Field(discriminator="type")]


class Lesson(_Model):
    """One lesson file."""

    schema_version: Literal[1]
    id: Slug
    title: str = Field(min_length=1, max_length=60)
    summary: str = Field(min_length=1, max_length=300)
    requires: list[Slug] = Field(default_factory=list)
    values: dict[Name, DerivedSpec] = Field(
        default_factory=dict, description="values computed once for the whole lesson, in order"
    )
    steps: list[Step] = Field(min_length=1, max_length=100)

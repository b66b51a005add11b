"""``ce-tutor check``: everything wrong with lesson files, each as ``file:line: message``, for authors.

Beyond what loading reports (YAML, schema, catalog), it reads every formula and placeholder against the
names known at that point, computes every text, plot and explorer (each parameter swept across its
range) with the real values, refuses decimals typed into text (they would not follow the
values), applies the rounding rule to quiz prompts, and self-tests every quiz over many variants.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ce_tutor import formula
from ce_tutor.lessons import template
from ce_tutor.lessons.catalog import lesson_files, load_catalog, resolved, shipped_lessons_dir
from ce_tutor.lessons.explore import ExploreError, Explorer, decimals
from ce_tutor.lessons.files import LessonFile
from ce_tutor.lessons.plots import PlotData, PlotError, compute_plot
from ce_tutor.lessons.problems import LessonLoadError, Problem, where
from ce_tutor.lessons.runtime import lesson_env
from ce_tutor.lessons.schema import (
    Choice,
    Derived,
    DerivedSpec,
    DistributionParam,
    ExploreStep,
    Normal,
    PlotSpec,
    PlotStep,
    ProseStep,
    QuizStep,
    RandInt,
    Uniform,
)
from ce_tutor.quiz import selftest
from ce_tutor.quiz.selftest import giveaways

At = tuple[Any, ...]  # a YAML path inside a lesson file
SWEEP_POINTS = 11  #: values an explorer's parameter takes across its range, besides its start

_DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+(?![\w]|\.\d)")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_FIXED = re.compile(r"(?:\.(\d+))?([f%d])$")


def check_paths(paths: Sequence[Path] | None = None, variants: int = 200, seed: int = 0) -> list[Problem]:
    """Every problem in the lesson files or folders ``paths`` (None: the shipped lessons).

    The shipped lessons are loaded alongside, so a lesson may require them; only problems in ``paths``
    are reported, and a lesson in ``paths`` replaces a shipped one with the same id (so checking a copy of
    the shipped lessons, such as a source checkout's ``lessons/``, is not a clash). Quizzes are
    self-tested with ``variants`` variants drawn from ``seed``.
    """
    shipped = shipped_lessons_dir()
    targets = [shipped] if paths is None else [Path(p) for p in paths]
    files, skipped = lesson_files(targets)
    mine = {resolved(f) for f in files}
    taken = set(load_catalog(targets).ids())
    context = [lf.path for lf in load_catalog([shipped]).lessons
               if resolved(lf.path) not in mine and lf.lesson.id not in taken]
    catalog = load_catalog([*context, *targets])
    named = {str(t) for t in targets} | {p.path for p in skipped}
    problems = [p for p in catalog.problems if p.path in named or resolved(p.path) in mine]
    loaded = set()
    for lf in catalog.lessons:
        if resolved(lf.path) in mine:
            loaded.add(resolved(lf.path))
            problems += _LessonCheck(lf, variants, seed).run()
    failed = {resolved(p.path) for p in problems} & (mine - loaded)
    problems += _check_valid_parts(sorted(failed), variants, seed)
    return sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line or 0))


def _check_valid_parts(paths: Iterable[Path], variants: int, seed: int) -> list[Problem]:
    """The formula and text problems in the parts of broken files that do validate (nothing is computed:
    the lesson as a whole cannot run), so that one schema error does not hide the problems after it."""
    from ce_tutor.lessons.loader import load_valid_parts

    found: list[Problem] = []
    for path in paths:
        parts = load_valid_parts(path)
        if parts is not None:
            check = _LessonCheck(parts.file, variants, seed, step_index=parts.step_index, compute=False)
            found += check.run()
    return found


def _source(spec: DerivedSpec) -> tuple[str, At]:
    """A computed value's formula and where it stands relative to the value."""
    return (spec.formula, ("formula",)) if isinstance(spec, Derived) else (spec, ())


class _LessonCheck:
    """The checks of one loaded lesson. ``broken`` counts problems that make computing it pointless."""

    def __init__(
        self, lf: LessonFile, variants: int, seed: int, *, step_index: Sequence[int] | None = None,
        compute: bool = True,
    ) -> None:
        self.lf = lf
        self.step_index = list(step_index) if step_index is not None else list(range(len(lf.lesson.steps)))
        self.compute = compute
        self.variants = variants
        self.seed = seed
        self.problems: list[Problem] = []
        self.broken = 0

    def run(self) -> list[Problem]:
        known: set[str] = set()
        self._values(("values",), self.lf.lesson.values, known)
        env = self._lesson_env() if not self.broken and self.compute else None
        for i, step in zip(self.step_index, self.lf.lesson.steps, strict=True):
            at = ("steps", i)
            if isinstance(step, ProseStep):
                self._text((*at, "text"), step.text, known, env)
            elif isinstance(step, PlotStep):
                if step.text:
                    self._text((*at, "text"), step.text, known, env)
                self._plot((*at, "plot"), step.plot, known, env)
            elif isinstance(step, ExploreStep):
                self._explore(at, step, known, env)
            else:
                self._quiz(at, step, known, env)
        return self.problems

    # -- reporting -----------------------------------------------------------------------------------------
    def _report(
        self, at: At, message: str, line: int | None = None, label: str = "", *, warning: bool = False
    ) -> None:
        line = line if line is not None else self.lf.line_of(*at)
        self.problems.append(Problem(str(self.lf.path), line, f"{where(at)}{label}: {message}", warning))

    def _lesson_env(self) -> dict[str, object] | None:
        try:
            return lesson_env(self.lf)
        except LessonLoadError as exc:
            self.problems += exc.problems
            return None

    # -- names, formulas and texts ---------------------------------------------------------------------------
    def _name(self, at: At, name: str) -> None:
        if formula.is_reserved(name):
            kind = "function" if name in formula.FUNCTIONS else "constant"
            self._report(at, f"the name '{name}' is taken by the {kind} {name}; choose another name")

    def _values(self, at: At, specs: dict[str, DerivedSpec], names: set[str]) -> None:
        """Check named computed values in order, adding each to ``names``."""
        for name, spec in specs.items():
            self._name((*at, name), name)
            source, inside = _source(spec)
            self._formula((*at, name, *inside), source, names)
            names.add(name)

    def _formula(self, at: At, source: str, known: Iterable[str]) -> None:
        try:
            formula.parse(source).check_names(known)
        except formula.FormulaError as exc:
            self.broken += 1
            self._report(at, str(exc))

    def _text(self, at: At, text: str, known: set[str], env: dict[str, object] | None) -> None:
        """Check a template's placeholders (and render it if ``env`` is given), and refuse typed decimals."""
        try:
            found = list(template.placeholders(text))
        except template.TemplateError as exc:
            self.broken += 1
            self._report(at, str(exc), self.lf.line_at(at, exc.offset or 0))
            return
        names_ok = True
        for ph in found:
            try:
                formula.parse(ph.expression).check_names(known)
            except formula.FormulaError as exc:
                names_ok = False
                self.broken += 1
                self._report(at, f"in {{{ph.expression}}}: {exc}", self.lf.line_at(at, ph.offset))
        if names_ok and env is not None:
            try:
                template.render(text, env)
            except template.TemplateError as exc:
                self._report(at, str(exc), self.lf.line_at(at, exc.offset or 0))
        masked = _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text.replace("{{", "  ").replace("}}", "  "))
        for number in _DECIMAL.finditer(masked):
            message = f"type numbers through a placeholder so they are computed: found {number.group()}"
            self._report(at, message, self.lf.line_at(at, number.start()))

    # -- plots and explorers -------------------------------------------------------------------------------
    def _plot(self, at: At, spec: PlotSpec, known: set[str], env: dict[str, object] | None) -> None:
        before = self.broken
        numbers = [(("y_min",), spec.y_min), (("y_max",), spec.y_max)]
        if spec.x is not None:
            numbers += [(("x", "min"), spec.x.min), (("x", "max"), spec.x.max)]
        for j, marker in enumerate(spec.markers):
            numbers += [(("markers", j, "x"), marker.x), (("markers", j, "y"), marker.y)]
            self._text((*at, "markers", j, "label"), marker.label, known, None)
        for inside, value in numbers:
            if isinstance(value, str):
                self._formula((*at, *inside), value, known)
        for j, series in enumerate(spec.series):
            if series.x is not None:
                self._formula((*at, "series", j, "x"), series.x, known)
            self._formula((*at, "series", j, "y"), series.y, known | {"x"})
            self._text((*at, "series", j, "name"), series.name, known, None)
        for j, category in enumerate(spec.categories or ()):
            self._text((*at, "categories", j), category, known, None)
        for key in ("title", "x_label", "y_label"):
            if getattr(spec, key):
                self._text((*at, key), getattr(spec, key), known, None)
        if env is not None and self.broken == before:
            try:
                self._no_empty_series(at, compute_plot(spec, env))
            except PlotError as exc:
                self._report((*at, *exc.at), exc.reason)

    def _no_empty_series(self, at: At, data: PlotData, when: str = "") -> None:
        for j, series in enumerate(data.series):
            if not len(series.y):
                self._report((*at, "series", j, "y"), "gives no finite point to plot" + (f" ({when})" if when else ""))

    def _explore(self, at: At, step: ExploreStep, known: set[str], env: dict[str, object] | None) -> None:
        before = self.broken
        names = set(known)
        for j, param in enumerate(step.params):
            self._name((*at, "params", j, "name"), param.name)
            if isinstance(param, DistributionParam):
                for slider in param.sliders:
                    self._name((*at, "params", j, "name"), slider.name)
            names.add(param.name)
        for j, param in enumerate(step.params):
            for end in ("min", "max"):
                source = getattr(param, end, None)
                if isinstance(source, str):
                    self._formula((*at, "params", j, end), source, names - {param.name})
        self._values((*at, "derived"), step.derived, names)
        for j, line in enumerate(step.show):
            self._text((*at, "show", j), line, names, None)
        if step.text:
            self._text((*at, "text"), step.text, names, None)
        if step.plot is not None:
            self._plot((*at, "plot"), step.plot, names, None)
        if env is not None and self.broken == before:
            self._run_explorer(at, Explorer(step, env))

    def _run_explorer(self, at: At, explorer: Explorer) -> None:
        """Compute everything as each parameter sweeps its range (the others at their start)."""
        failed: set[At] = set()
        for param in explorer.params:
            explorer.reset()
            try:
                low, high = explorer.bounds(param.name)
            except ExploreError as exc:
                self._report((*at, *exc.at), f"{exc.reason} (at the start)")
                continue
            if not low <= param.value <= high:
                message = f"the start value {param.value:g} is outside its range at the start ({low:g} to {high:g})"
                self._report((*at, "params", explorer.step.params.index(param), "value"), message)
                continue
            sweep = np.linspace(low, high, SWEEP_POINTS).tolist()
            for value in dict.fromkeys((param.value, low, high, *sweep)):
                explorer.reset()
                try:
                    explorer.set(param.name, value)
                except ExploreError as exc:
                    if exc.at not in failed:
                        failed.add(exc.at)
                        self._report((*at, *exc.at), f"{exc.reason} (with {param.name} = {value:g})")
                    continue
                when = f"with {param.name} = {explorer.values[param.name]:g}"
                try:
                    explorer.lines()
                    explorer.text()
                    data = explorer.plot()
                except ExploreError as exc:
                    if exc.at not in failed:
                        failed.add(exc.at)
                        self._report((*at, *exc.at), f"{exc.reason} ({when})")
                    continue
                if data is not None:
                    self._no_empty_series((*at, "plot"), data, when)

    # -- quizzes ---------------------------------------------------------------------------------------------
    def _quiz(self, at: At, step: QuizStep, known: set[str], env: dict[str, object] | None) -> None:
        before = self.broken
        names = set(known)
        for name in step.params:
            self._name((*at, "params", name), name)
            names.add(name)
        self._values((*at, "derived"), step.derived, names)
        for j, condition in enumerate(step.require):
            self._formula((*at, "require", j), condition, names)
        if step.answer is not None:
            self._formula((*at, "answer"), step.answer, names)
        for j, wrong in enumerate(step.misconceptions):
            self._formula((*at, "misconceptions", j, "answer"), wrong.answer, names)
            self._text((*at, "misconceptions", j, "feedback"), wrong.feedback, names, None)
        for j, option in enumerate(step.choices or ()):
            self._text((*at, "choices", j, "text"), option.text, names, None)
            if isinstance(option.correct, str):
                self._formula((*at, "choices", j, "correct"), option.correct, names)
            if option.feedback:
                self._text((*at, "choices", j, "feedback"), option.feedback, names, None)
        self._text((*at, "prompt"), step.prompt, names, None)
        for key in ("hints", "solution"):
            for j, text in enumerate(getattr(step, key)):
                self._text((*at, key, j), text, names, None)
        if self.broken == before:
            self._rounding(at, step)
            if env is not None:
                for message in selftest(step, env, self.lf.lesson.id, self.variants, self.seed):
                    self._report(at, message, label=f" (quiz '{step.id}')")
                for message in giveaways(step, env, self.lf.lesson.id, self.variants, self.seed):
                    self._report(at, message, label=f" (quiz '{step.id}')", warning=True)

    def _rounding(self, at: At, step: QuizStep) -> None:
        """The rounding rule: a prompt shows a quiz value with every decimal the answer is computed from."""
        for ph in template.placeholders(step.prompt):
            name = ph.expression
            if name not in step.params and name not in step.derived:
                continue
            carried = _carried(step, name)
            fixed = _FIXED.search(ph.spec)
            shown = _shown_decimals(fixed) if fixed else None
            if carried is not None and (shown is None or carried <= shown):
                continue
            written = f"{{{name}:{ph.spec}}}" if ph.spec else f"{{{name}}}"
            if shown is None:
                amount, fix = f"{name} rounded", "add round: N to it and show it with :.Nf"
            else:
                amount = f"{shown} decimal{'s' * (shown != 1)}"
                choice = isinstance(step.params.get(name), Choice)
                fix = f"give it choices with at most {amount}" if choice else f"add round: {shown} to it"
            message = f"{written} shows {amount} but the answer is computed from {name} with more; {fix}"
            self._report((*at, "prompt"), message, self.lf.line_at((*at, "prompt"), ph.offset))


def _carried(step: QuizStep, name: str) -> int | None:
    """How many decimals a quiz value has (None: as many as it happens to have)."""
    spec = step.params.get(name)
    if isinstance(spec, RandInt):
        return 0
    if isinstance(spec, Choice):
        return max(decimals(c) for c in spec.choice)
    if isinstance(spec, (Uniform, Normal)):
        return spec.round
    derived = step.derived[name]
    return derived.round if isinstance(derived, Derived) else None


def _shown_decimals(fixed: re.Match[str]) -> int:
    """The decimals a fixed-point format spec shows (``.2f`` -> 2, ``.1%`` -> 3, ``d`` -> 0)."""
    if fixed.group(2) == "d":
        return 0
    places = int(fixed.group(1)) if fixed.group(1) else 6  # Python's default precision
    return places + 2 * (fixed.group(2) == "%")

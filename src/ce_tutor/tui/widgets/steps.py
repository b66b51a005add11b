"""One widget per step type, and :func:`step_view` to build the right one for a lesson run's step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ce_tutor.lessons.schema import ExploreStep, PlotSpec, PlotStep, ProseStep, QuizStep
from ce_tutor.tui.widgets.explorer import ExplorerState, ExplorerView, explorer_state
from ce_tutor.tui.widgets.plot import LessonPlot
from ce_tutor.tui.widgets.quiz import QuizView
from ce_tutor.tui.widgets.markdown import LessonMarkdown

T = TypeVar("T")

if TYPE_CHECKING:
    from ce_tutor.lessons.player import LessonRun
    from ce_tutor.lessons.plots import PlotData


class TextScroll(VerticalScroll, inherit_bindings=False):
    """Scrolls up and down only, so that ← and → stay free for moving between steps."""

    BINDINGS = [
        Binding("up", "scroll_up", show=False),
        Binding("down", "scroll_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]


class ProseView(TextScroll):
    """A prose step: Markdown, scrollable."""

    DEFAULT_CSS = """
    ProseView { padding: 0 1; }
    ProseView Markdown { margin: 0; padding: 0 1 0 0; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        yield LessonMarkdown(self.text)


class PlotView(Vertical):
    """A plot step: the caption (if any) above the plot."""

    DEFAULT_CSS = """
    PlotView { padding: 0 1; }
    PlotView TextScroll { height: auto; max-height: 8; }
    PlotView Markdown { margin: 0; padding: 0 1 0 0; }
    PlotView LessonPlot { height: 1fr; }
    """

    def __init__(self, caption: str, spec: PlotSpec, env: dict[str, object], *, ascii: bool) -> None:
        super().__init__()
        self.caption, self.spec, self.env, self.ascii = caption, spec, env, ascii

    def compose(self) -> ComposeResult:
        if self.caption:
            with TextScroll():
                yield LessonMarkdown(self.caption)
        yield LessonPlot(self._compute, ascii=self.ascii)

    def _compute(self, max_points: int) -> PlotData:
        from ce_tutor.lessons.plots import compute_plot

        return within_plot_budget(lambda: compute_plot(self.spec, self.env, max_points=max_points))


#: The work computing one plot may do (in the plot's worker thread, when it is laid out or resized, or when
#: an explorer's values move).
PLOT_BUDGET_S = 1.0
PLOT_BUDGET_OUTPUT = 1_000_000


def within_plot_budget(compute: Callable[[], T]) -> T:
    """``compute()`` within the plot budget; running out is a ValueError, which LessonPlot shows in place
    of the plot."""
    from ce_tutor.formula import Budget, WorkLimitExceeded

    budget = Budget(PLOT_BUDGET_S, PLOT_BUDGET_OUTPUT, "this plot")
    try:
        with budget:
            return compute()
    except WorkLimitExceeded as exc:
        if exc.budget is not budget:
            raise
        raise ValueError(str(exc)) from None


class StepProblem(Static):
    """Shown instead of a step that cannot be computed: a lesson problem, which ``ce-tutor check`` finds."""

    DEFAULT_CSS = """
    StepProblem { margin: 1 2; padding: 0 1; border: round $error; border-title-color: $text-error; }
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"{message}\n\nThe lesson file has a problem here; `ce-tutor check` shows all of them. "
                         "Press n to go on.", markup=False)
        self.border_title = "✗ This step cannot be shown"


#: The work computing one step for the screen may do (its texts, explorer values and quiz draw), on top
#: of each formula's own deadline: CPU seconds, and values and characters produced.
STEP_BUDGET_S = 3.0
STEP_BUDGET_OUTPUT = 1_000_000


class StepWork:
    """The heavy part of showing a step, run off the UI thread: ``compute`` renders its text, draws its
    quiz and computes its explorer's values (all kept by the lesson run), under a budget that
    :meth:`cancel` stops from the UI thread (when the learner leaves or quits)."""

    def __init__(self, run: LessonRun) -> None:
        from ce_tutor.formula import Budget

        self.run = run
        self.index = run.index
        self.budget = Budget(STEP_BUDGET_S, STEP_BUDGET_OUTPUT, "this step")
        self.text = ""
        self.problem: str | None = None
        self.explorer: ExplorerState | None = None  #: an explore step's values, lines and ranges

    def cancel(self) -> None:
        self.budget.cancel()

    def compute(self) -> StepWork:
        """Compute the step; a problem (a lesson error, the budget running out) is kept in ``problem``.

        Raises WorkLimitExceeded only when cancelled."""
        from ce_tutor.formula import WorkLimitExceeded
        from ce_tutor.quiz import VariantError

        run, step = self.run, self.run.lesson.steps[self.index]
        try:
            with self.budget:
                if isinstance(step, (ProseStep, PlotStep)):
                    self.text = run.render(step.text)
                elif isinstance(step, ExploreStep):
                    explorer = run.explorer(self.index)
                    with explorer.lock:  # an explorer view of this step may still be computing
                        explorer.lines()  # kept by the explorer until a parameter moves
                        explorer.text()
                        self.explorer = explorer_state(explorer)
                elif isinstance(step, QuizStep):
                    run.quiz(self.index)
        except (ValueError, VariantError) as exc:
            self.problem = str(exc)
        except WorkLimitExceeded as exc:
            if exc.reason == "cancelled":
                raise
            message = str(exc)
            self.problem = f"{message[:1].upper()}{message[1:]}."
        return self


def step_view(run: LessonRun, *, ascii: bool, work: StepWork | None = None) -> Widget:
    """The widget that shows ``run``'s current step (or the problem that stops it from being shown).

    ``work`` is the step's :class:`StepWork`, already computed (off the UI thread); without it the step
    is computed here."""
    from ce_tutor.quiz import VariantError

    work = work if work is not None and work.index == run.index else StepWork(run).compute()
    if work.problem is not None:
        return StepProblem(work.problem)
    try:
        return _view(run, ascii, work)
    except (ValueError, VariantError) as exc:
        return StepProblem(str(exc))


def _view(run: LessonRun, ascii: bool, work: StepWork) -> Widget:
    step = run.step
    if isinstance(step, ProseStep):
        return ProseView(work.text)
    if isinstance(step, PlotStep):
        return PlotView(work.text, step.plot, run.env, ascii=ascii)
    if isinstance(step, ExploreStep):
        return ExplorerView(run.explorer(), has_plot=step.plot is not None, ascii=ascii, state=work.explorer)
    if isinstance(step, QuizStep):
        return QuizView(run.quiz())
    raise TypeError(f"no view for a {type(step).__name__}")

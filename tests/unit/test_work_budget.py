"""A lesson's total budget of work (CPU time and output), and bounded texts: format specs and prose sizes.

The hostile lessons are tests/data/hostile/bounded-*.yaml. ``check`` is run here with a small budget, so
that the tests stay fast; tests/functional/test_hostile_bounds.py runs ``ce-tutor check`` with the real one.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ce_tutor import formula
from ce_tutor.formula import Budget, WorkLimitExceeded
from ce_tutor.lessons import template
from ce_tutor.lessons.check import check_paths
from ce_tutor.lessons.template import TemplateError

DATA = Path(__file__).parents[1] / "data"
HOSTILE = DATA / "hostile"


# -- the budget itself -------------------------------------------------------------------------------------
def test_a_budget_stops_a_run_of_formulas_that_each_keep_their_own_deadline() -> None:
    slow = formula.parse("sum(iris_descent_b3(w, 0.1, 5))")
    env = {"w": np.linspace(0, 1, 16)}
    done = 0
    with pytest.raises(WorkLimitExceeded, match="takes too long to compute") as info, Budget(0.2, 10**9, "this step"):
        for _ in range(10_000):
            slow.evaluate(env)  # each well under its own 0.25 s
            done += 1
    assert info.value.reason == "time"
    assert 0 < done < 10_000
    assert slow.evaluate(env) > 0  # outside the budget, formulas run again


def test_a_budget_counts_output_values_and_characters() -> None:
    with Budget(60, 20_000, "this step") as budget:
        formula.evaluate("[1, 2, 3]")  # 3 values
        assert budget.used_output == 3
        with pytest.raises(WorkLimitExceeded, match="this step produces too much output") as info:
            template.render("{x:.3f}", {"x": np.zeros(2500)})  # 2500 values, then 2500 * 5 + 2499 * 2 characters
    assert info.value.reason == "output"


def test_nested_budgets_charge_the_inner_one_and_obey_the_outer_one() -> None:
    with Budget(60, 100, "the lesson") as outer:
        with Budget(60, 10**9, "one step") as inner:
            formula.evaluate("[1, 2, 3]")
        assert (inner.used_output, outer.used_output) == (3, 3)
        with pytest.raises(WorkLimitExceeded, match="the lesson produces too much output"), Budget(60, 10**9):
            formula.evaluate("onehot([0, 1], 100)")


def test_a_budget_is_not_swallowed_as_one_formulas_problem() -> None:
    """A quiz redraw or a self-test goes on after a FormulaError; an exhausted budget must stop them."""
    assert not issubclass(WorkLimitExceeded, ValueError)
    with pytest.raises(WorkLimitExceeded), Budget(60, 0):
        formula.evaluate("1 + 1")


def test_cancelling_a_budget_from_another_thread_stops_the_work_at_its_next_step() -> None:
    budget = Budget(60, 10**9, "this step")
    started, outcome = threading.Event(), []

    def work() -> None:
        with budget:
            started.set()
            try:
                while True:
                    formula.evaluate("sum(iris_total_ce([0, 1, 2]))")
            except WorkLimitExceeded as exc:
                outcome.append(exc.reason)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(10)
    budget.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert outcome == ["cancelled"]


# -- check reports the step that runs out, with file:line ------------------------------------------------
def test_check_stops_a_text_of_hundreds_of_slow_placeholders_at_its_step() -> None:
    path = HOSTILE / "bounded-placeholders.yaml"
    problems = check_paths([path], budget_s=0.5)
    assert [(p.line, p.message) for p in problems] == [
        (11, "steps[1]: this lesson takes too long to compute (more than 0.5 s of work in all); "
             "the rest of the lesson is not computed (only read)"),
    ]


def test_check_stops_a_slow_require_retried_on_every_draw_at_its_quiz() -> None:
    problems = check_paths([HOSTILE / "bounded-slow-require.yaml"], budget_s=0.5)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(10, "steps[1]")]
    assert "takes too long to compute" in problems[0].message


def test_check_reports_a_lesson_that_produces_too_much_output() -> None:
    problems = check_paths([DATA / "good" / "every-step.yaml"], variants=5, budget_output=2_000)
    assert len(problems) == 1
    assert "this lesson produces too much output (more than 2,000 values and characters in all)" in problems[0].message
    assert problems[0].line is not None


def test_the_good_lesson_fits_the_real_budget() -> None:
    assert check_paths([DATA / "good" / "every-step.yaml"], variants=20) == []


# -- format specs and the size of texts -------------------------------------------------------------------
def test_check_refuses_wide_specs_long_lists_wide_tables_and_huge_texts_with_file_and_line() -> None:
    problems = check_paths([HOSTILE / "bounded-output.yaml"])
    assert [(p.line, p.message) for p in problems] == [
        (10, "steps[0].text: the width 999 in ':>999.99f' is too wide (at most 40) in {big:>999.99f}"),
        (13, "steps[1].text: the precision 50 in ':.50f' asks for too many digits (at most 17) in {big[0][0]:.50f}"),
        (119, "steps[2].text: the text has more than 100 list items; split it into several steps"),
        (2023, "steps[3].text: a table has 30 columns; at most 12 fit a terminal"),
        (2026, "steps[4].text: in {big:.3f}: it makes the text longer than 20,000 characters"),
    ]


@pytest.mark.parametrize("spec", [">999.99f", "41f", ".18f", ">100.2e", "999"])
def test_format_widths_and_precisions_are_bounded_at_render_time_too(spec: str) -> None:
    with pytest.raises(TemplateError, match="too wide|too many digits"):
        template.format_value(np.zeros(10_000), spec)
    with pytest.raises(TemplateError, match="too wide|too many digits"):
        template.render(f"{{x:{spec}}}", {"x": 1.0})


def test_specs_at_the_bounds_still_work() -> None:
    assert template.format_value(0.5, ">40.17f") == f"{0.5:>40.17f}"
    assert template.render("{x:^12.3e}", {"x": 2.0}) == f"{2.0:^12.3e}"


def test_an_array_too_long_to_show_stops_early() -> None:
    with pytest.raises(TemplateError, match="longer than 20,000 characters"):
        template.render("{x:.3f}", {"x": np.zeros(10_000)})
    assert template.render("{x:.0f}", {"x": np.zeros(3)}) == "0, 0, 0"


def test_prose_sizes_are_bounded_when_rendered() -> None:
    with pytest.raises(TemplateError, match="more than 100 list items") as info:
        template.render("Items:\n" + "".join(f"{i + 1}. x\n" for i in range(2000)), {})
    assert info.value.offset == len("Items:\n") + sum(len(f"{i + 1}. x\n") for i in range(100))
    with pytest.raises(TemplateError, match="more than 300 lines"):
        template.render("line\n" * 400, {})
    with pytest.raises(TemplateError, match="13 columns"):
        template.render("a|b\n" + "|".join(["---"] * 13) + "\n", {})
    ok = "Items:\n" + "".join(f"- x{i}\n" for i in range(100)) + "\n|a|b|\n|---|---|\n|1|2|\n"
    assert template.render(ok, {}) == ok


# -- at run time: a lesson's values, a text, a quiz draw ---------------------------------------------------
def _lesson(name: str):
    from ce_tutor.lessons.loader import load_lesson

    return load_lesson(HOSTILE / name)


def test_a_slow_text_is_a_template_error_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the plain mode shows as "This step cannot be shown: ...", instead of half a minute of work."""
    from ce_tutor.lessons import player
    from ce_tutor.lessons.runtime import lesson_env

    lf = _lesson("bounded-placeholders.yaml")
    monkeypatch.setattr(player, "RENDER_BUDGET_S", 0.3)
    run = player.LessonRun(lf.lesson, lesson_env(lf))
    assert run.render(lf.lesson.steps[0].text) == "A quick step."
    with pytest.raises(TemplateError, match=r"this text takes too long to compute \(more than 0.3 s"):
        run.render(lf.lesson.steps[1].text)


def test_slow_lesson_values_are_a_load_error_with_file_and_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ce_tutor.lessons import runtime
    from ce_tutor.lessons.loader import load_lesson
    from ce_tutor.lessons.problems import LessonLoadError

    path = tmp_path / "slow-values.yaml"
    slow = "\n".join(f'  v{i}: "sum(iris_descent_b3([0, 0.5, 1, 1.5] + {i}, 0.1, 20))"' for i in range(200))
    path.write_text(f"schema_version: 1\nid: slow-values\ntitle: Slow\nsummary: Slow values.\nvalues:\n{slow}\n"
                    "steps: [{type: prose, text: Hello}]\n")
    monkeypatch.setattr(runtime, "VALUES_BUDGET_S", 0.2)
    with pytest.raises(LessonLoadError) as info:
        runtime.lesson_env(load_lesson(path))
    [problem] = info.value.problems
    assert (problem.path, problem.line) == (str(path), 5)
    assert "this lesson's values takes too long to compute" in problem.message


def test_a_draw_whose_slow_require_rarely_holds_is_a_variant_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from ce_tutor.lessons.runtime import lesson_env
    from ce_tutor.quiz import VariantError, variants

    lf = _lesson("bounded-slow-require.yaml")
    monkeypatch.setattr(variants, "DRAW_BUDGET_S", 0.2)
    with pytest.raises(VariantError, match=r"drawing this quiz takes too long to compute .*with all its redraws"):
        variants.draw_variant(lf.lesson.steps[1], lesson_env(lf), lf.lesson.id, seed=1)


def test_new_numbers_skip_variants_that_cannot_be_drawn_and_a_failure_changes_nothing() -> None:
    from ce_tutor.quiz import QuizSession, VariantError

    lf = _lesson("bounded-rare-require.yaml")  # with seed 7, variants 0, 1, 3, 4, 5 cannot be drawn
    session = QuizSession(lf.lesson.steps[0], {}, lf.lesson.id, learner_seed=7)
    assert session.variant.index == 2
    session.submit("1")
    with pytest.raises(VariantError, match="require"):
        session.new_variant()
    assert session.variant.index == 2 and session.attempts == 1  # as it was
    assert session.new_variant().index == 6  # and the next request goes on after the failed ones
    assert session.attempts == 0


def test_a_garbage_collection_during_a_formula_does_not_count_against_its_deadline():
    """The deadline measures the formula's own work: a full collection started by its next allocation (a
    long-lived process's heap can take longer to collect than a formula's whole deadline) does not."""
    import gc
    import time

    from ce_tutor import formula

    before = formula.clock()
    garbage = []
    for _ in range(200_000):  # cyclic garbage, for the collector to walk
        node: list[object] = []
        node.append(node)
        garbage.append(node)
    del garbage, node
    thread_before = time.thread_time()
    clock_before = formula.clock()
    gc.collect()
    collected = time.thread_time() - thread_before
    assert collected > 0.005  # the collection took some CPU time in this thread
    assert formula.clock() - clock_before < collected / 2  # which the formulas' clock left out
    assert formula.clock() >= before

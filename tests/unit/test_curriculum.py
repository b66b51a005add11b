"""The shipped curriculum: the five lessons meet the curriculum rules, and show the numbers they promise.

The key numbers are not read from the YAML: each is rendered through the lesson's own ``values`` and
templates, so a change in the numeric core (or in a lesson's formulas) that moves one of them fails here.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from ce_tutor.lessons.check import check_paths
from ce_tutor.lessons.loader import validate
from ce_tutor.lessons.schema import ExploreStep, Lesson, PlotStep, ProseStep, QuizStep
from ce_tutor.lessons.template import render
from ce_tutor.lessons.values import compute

ROOT = Path(__file__).resolve().parents[2]
LESSON_DIR = ROOT / "lessons"
CURRICULUM = [
    ("01-softmax.yaml", "softmax"),
    ("02-neg-log-p.yaml", "neg-log-p"),
    ("03-total-cross-entropy.yaml", "total-cross-entropy"),
    ("04-ce-vs-ssr.yaml", "ce-vs-ssr"),
    ("05-gradient-descent.yaml", "gradient-descent"),
]
EXAMPLE = ROOT / "docs" / "examples" / "binary-cross-entropy.yaml"
AUTHORING = ROOT / "docs" / "authoring.md"
SCREEN_LINES = 16  # a prose step must fit an 80x24 terminal with the title and the footer
SCREEN_COLUMNS = 76


def _load(path: Path) -> Lesson:
    return validate(Lesson, yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def lessons() -> dict[str, Lesson]:
    return {lesson_id: _load(LESSON_DIR / name) for name, lesson_id in CURRICULUM}


def _step(lesson: Lesson, title: str) -> ProseStep | PlotStep:
    found = [s for s in lesson.steps if isinstance(s, (ProseStep, PlotStep)) and s.title == title]
    assert len(found) == 1, f"{lesson.id}: expected one step titled {title!r}, found {len(found)}"
    return found[0]


def _rendered(lesson: Lesson, title: str) -> str:
    """The text of the step titled ``title``, filled from the lesson's own computed values."""
    step = _step(lesson, title)
    assert step.text is not None
    return render(step.text, compute(lesson.values, {}))


def _screen_lines(text: str) -> list[str]:
    """``text`` as a terminal shows it: paragraphs and list items wrapped at 76 columns; fenced code kept
    line for line (its fences counted too, as the frame a code block gets)."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend(textwrap.wrap(" ".join(paragraph), SCREEN_COLUMNS))
            paragraph.clear()

    in_code = False
    for line in text.strip("\n").split("\n"):
        if line.startswith("```"):
            flush()
            in_code = not in_code
            out.append("")
        elif in_code:
            out.append(line)
        elif not line.strip():
            flush()
            out.append("")
        else:
            if re.match(r"(?:- |\d+\. )", line):
                flush()
            paragraph.append(line.strip())
    flush()
    return out


# -- the curriculum's shape -------------------------------------------------------------------------------
def test_the_five_lessons_are_shipped_in_order() -> None:
    assert sorted(p.name for p in LESSON_DIR.glob("*.yaml")) == [name for name, _ in CURRICULUM]


def test_requires_chain_the_lessons_in_order(lessons: dict[str, Lesson]) -> None:
    ids = [lesson_id for _, lesson_id in CURRICULUM]
    assert [lessons[i].id for i in ids] == ids
    assert lessons[ids[0]].requires == []
    for before, after in zip(ids, ids[1:]):
        assert lessons[after].requires == [before], after


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_lesson_has_the_required_steps(lessons: dict[str, Lesson], lesson_id: str) -> None:
    lesson = lessons[lesson_id]
    kinds = [type(s) for s in lesson.steps]
    assert 8 <= len(lesson.steps) <= 14
    assert kinds.count(PlotStep) >= 1
    assert kinds.count(ExploreStep) >= 1
    assert kinds.count(QuizStep) >= 3
    assert all(s.plot is not None and s.show for s in lesson.steps if isinstance(s, ExploreStep))


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_every_quiz_is_random_and_teaches(lessons: dict[str, Lesson], lesson_id: str) -> None:
    quizzes = [s for s in lessons[lesson_id].steps if isinstance(s, QuizStep)]
    assert len({q.id for q in quizzes}) == len(quizzes)
    for quiz in quizzes:
        assert quiz.params, f"{quiz.id}: no random params"
        assert quiz.hints, f"{quiz.id}: no hints"
        assert quiz.solution, f"{quiz.id}: no worked solution"
        if not quiz.is_choice:
            assert quiz.misconceptions, f"{quiz.id}: a numeric quiz needs at least one misconception"
    assert any(not q.is_choice for q in quizzes), "each lesson needs a numeric quiz"


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_lesson_ends_with_a_two_line_summary(lessons: dict[str, Lesson], lesson_id: str) -> None:
    last = lessons[lesson_id].steps[-1]
    assert isinstance(last, ProseStep) and last.title == "Summary"
    lines = [line for line in _screen_lines(render(last.text, compute(lessons[lesson_id].values, {}))) if line]
    assert len(lines) == 2, lines


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_prose_steps_fit_a_terminal_screen(lessons: dict[str, Lesson], lesson_id: str) -> None:
    lesson = lessons[lesson_id]
    env = compute(lesson.values, {})
    for step in lesson.steps:
        if isinstance(step, ProseStep):
            lines = _screen_lines(render(step.text, env))
            assert len(lines) <= SCREEN_LINES, f"{step.title}: {len(lines)} lines"
            assert max(map(len, lines)) <= SCREEN_COLUMNS + 4, step.title  # code lines may run a little wider


def test_screen_lines_wraps_paragraphs_and_keeps_code() -> None:
    text = "word " * 40 + "\n\n```\ncode  line\n  second\n```\n\n- item one\n  goes on\n- item two"
    lines = _screen_lines(text)
    assert lines[:3] == [("word " * 15).strip(), ("word " * 15).strip(), ("word " * 10).strip()]
    assert lines[3:8] == ["", "", "code  line", "  second", ""]
    assert lines[-2:] == ["- item one goes on", "- item two"]


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_code_blocks_are_fenced(lessons: dict[str, Lesson], lesson_id: str) -> None:
    """Indented code is not shown as code by the plain-text mode; fenced code is."""
    for at, text in _texts(lessons[lesson_id]):
        in_code = False
        for line in text.split("\n"):
            in_code ^= line.startswith("```")
            assert in_code or not line.startswith("    "), f"{at}: indented code {line!r}"
        assert not in_code, f"{at}: a code fence is not closed"


def test_the_shipped_lessons_pass_the_checker() -> None:
    assert [str(p) for p in check_paths([LESSON_DIR], variants=200)] == []


def _texts(lesson: Lesson):
    """(where, template) for every text a learner reads in ``lesson``."""
    for i, step in enumerate(lesson.steps):
        at = f"{lesson.id} step {i + 1} ({step.title})"
        if isinstance(step, (ProseStep, PlotStep, ExploreStep)) and step.text:
            yield at, step.text
        plot = step.plot if isinstance(step, (PlotStep, ExploreStep)) else None
        if plot is not None:
            yield at, plot.title or ""
            yield from ((at, s.name) for s in plot.series)
            yield from ((at, m.label) for m in plot.markers)
            yield from ((at, c) for c in plot.categories or ())
        if isinstance(step, ExploreStep):
            yield from ((at, line) for line in step.show)
        if isinstance(step, QuizStep):
            yield at, step.prompt
            yield from ((at, text) for text in [*step.hints, *step.solution])
            yield from ((at, m.feedback) for m in step.misconceptions)
            for option in step.choices or ():
                yield at, option.text
                yield at, option.feedback or ""


@pytest.mark.parametrize("lesson_id", [i for _, i in CURRICULUM])
def test_bold_opens_and_closes_on_one_line(lessons: dict[str, Lesson], lesson_id: str) -> None:
    """A **term** split over two lines shows its asterisks in the plain-text mode."""
    for at, text in _texts(lessons[lesson_id]):
        for line in text.split("\n"):
            assert line.count("**") % 2 == 0, f"{at}: {line!r}"


# -- the numbers the lessons promise ----------------------------------------------------------------------
def test_softmax_lesson_shows_the_setosa_numbers(lessons: dict[str, Lesson]) -> None:
    text = _rendered(lessons["softmax"], "Worked example: the Setosa flower")
    assert "Raw outputs: **1.04, 0.00, 0.14**" in text
    assert "So the probabilities are **0.57, 0.20, 0.23**" in text
    assert "They add up to 1.00." in text
    shifted = _rendered(lessons["softmax"], "Adding a constant changes nothing")
    assert "The probabilities are still 0.57, 0.20, 0.23." in shifted


def test_softmax_explorer_starts_from_the_raw_outputs_the_text_uses(lessons: dict[str, Lesson]) -> None:
    """The explorer opens on the Setosa flower of the text: same raw outputs, same shown probabilities."""
    from ce_tutor.lessons.explore import Explorer

    lesson = lessons["softmax"]
    env = compute(lesson.values, {})
    step = next(s for s in lesson.steps if isinstance(s, ExploreStep))
    assert [p.value for p in step.params] == [float(z) for z in env["z"]]
    shown = Explorer(step, env).lines()
    assert any(render("p(setosa) = {p[0]:.2f}", env) in line for line in shown), shown


def test_neg_log_p_lesson_shows_the_setosa_loss(lessons: dict[str, Lesson]) -> None:
    text = _rendered(lessons["neg-log-p"], "Worked example: the Setosa flower")
    assert "-ln 0.57 = 0.56" in text
    assert "The cross-entropy of this prediction is **0.56**." in text


def test_total_lesson_shows_both_totals(lessons: dict[str, Lesson]) -> None:
    text = _rendered(lessons["total-cross-entropy"], "Adding up: two answers")
    assert "0.56 + 0.54 + 0.65 = 1.75" in text
    assert "0.5662 + 0.5514 + 0.6573 = 1.77" in text
    assert "Same network, same data: 1.75 against 1.77." in text
    why = _rendered(lessons["total-cross-entropy"], "Why the two totals differ")
    assert "The total is 1.77." in why


def test_ce_vs_ssr_lesson_shows_both_slopes_at_a_bad_prediction(lessons: dict[str, Lesson]) -> None:
    text = _rendered(lessons["ce-vs-ssr"], "A very bad prediction")
    assert re.search(r"-1/0\.01\s+= -100\n", text), text
    assert re.search(r"-2\(1 - 0\.01\)\s+= -1\.98\n", text), text


def test_gradient_descent_lesson_shows_the_first_step(lessons: dict[str, Lesson]) -> None:
    lesson = lessons["gradient-descent"]
    assert "Then the total is\n**2.67**" in _rendered(lesson, "Learning means changing a number")
    assert "At\nb3 = -2 it is **-0.77**." in _rendered(lesson, "The slope points downhill")
    assert "= -0.77" in _rendered(lesson, "Worked example: the slope at b3 = -2")
    step = _rendered(lesson, "One step")
    assert "new b3 = -2 - 1 × (-0.77) = -1.23" in step
    assert "falls from 2.67 to" in step


# -- the documented example -------------------------------------------------------------------------------
def _documented_example() -> str:
    doc = AUTHORING.read_text(encoding="utf-8")
    marker = "<!-- example: docs/examples/binary-cross-entropy.yaml -->"
    assert doc.count(marker) == 1
    match = re.search(re.escape(marker) + r"\n~~~yaml\n(.*?)^~~~$", doc, re.DOTALL | re.MULTILINE)
    assert match, "the marker must be followed by a ~~~yaml block (the lesson itself holds ``` fences)"
    return match.group(1)


def test_the_documented_example_is_the_example_file() -> None:
    assert _documented_example() == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_lesson_passes_the_checker() -> None:
    assert [str(p) for p in check_paths([EXAMPLE], variants=200)] == []


def test_the_example_lesson_validates_and_renders() -> None:
    lesson = _load(EXAMPLE)
    env = compute(lesson.values, {})
    assert lesson.id == "binary-cross-entropy"
    assert {type(s) for s in lesson.steps} == {ProseStep, PlotStep, ExploreStep, QuizStep}
    text = _rendered(lesson, "Worked example: two flowers")
    assert "BCE = -ln 0.57 = **0.56**" in text
    assert "-ln(1 - 0.21) = -ln 0.79 = **0.24**" in text
    assert env["loss_yes"] == pytest.approx(0.56)

"""The shipped curriculum: the five lessons meet the curriculum rules, and show the numbers they promise.

The key numbers are not read from the YAML: each is rendered through the lesson's own ``values`` and
templates, so a change in the numeric core (or in a lesson's formulas) that moves one of them fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
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
    ("05-softmax-gradient.yaml", "softmax-gradient"),
    ("06-gradient-descent.yaml", "gradient-descent"),
    ("07-bits-and-nats.yaml", "bits-and-nats"),
    ("08-binary-cross-entropy.yaml", "binary-cross-entropy"),
    ("09-soft-targets.yaml", "soft-targets"),
    ("10-logits-and-stability.yaml", "logits-and-stability"),
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
def test_the_lessons_are_shipped_in_order() -> None:
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
    # As an author runs it, in a process of its own: the per-formula deadlines count this thread's CPU time,
    # and a full garbage collection of a long-lived test worker's heap, run mid-formula, could exceed one.
    result = subprocess.run([sys.executable, "-m", "ce_tutor", "check", "--variants", "200", str(LESSON_DIR)],
                            capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "All lessons are fine (200 variants of every quiz checked)."


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


def test_ce_vs_ssr_lesson_compares_the_slopes_through_softmax_honestly(lessons: dict[str, Lesson]) -> None:
    p = 0.01
    factor, ce, ssr = p * (1 - p), -(1 - p), -2 * p * (1 - p) ** 2  # closed forms of the chain rule
    text = _rendered(lessons["ce-vs-ssr"], "Through softmax")
    assert f"the softmax factor is {factor:.4f}" in text
    assert f"slope {ce:.2f}. SSR keeps it: slope {ssr:.4f}." in text
    assert "fades to 0" in text
    assert "grows without limit" not in lessons["ce-vs-ssr"].summary


# -- softmax-gradient: every key number computed again, independently, with mpmath ---------------------------
def test_softmax_gradient_lesson_shows_p_minus_y_and_its_finite_difference(lessons: dict[str, Lesson]) -> None:
    import mpmath

    from ce_tutor.core import IRIS_X, IrisNetwork

    mpmath.mp.dps = 40
    z = [round(float(v), 2) for v in IrisNetwork().logits(IRIS_X[0])[0]]  # as the lesson shows them
    e = [mpmath.exp(mpmath.mpf(repr(v))) for v in z]
    p = [round(float(x / mpmath.fsum(e)), 4) for x in e]
    lesson = lessons["softmax-gradient"]
    assert f"Softmax gives p = **{p[0]:.4f}, {p[1]:.4f}, {p[2]:.4f}**" in _rendered(lesson, "The Setosa flower, again")
    own = _rendered(lesson, "The observed class: p - 1")
    d00 = mpmath.mpf(repr(p[0])) * (1 - mpmath.mpf(repr(p[0])))
    assert f"{-1 / p[0]:.4f} × {float(d00):.4f} = **{p[0] - 1:.4f}**" in own
    others = _rendered(lesson, "The other classes: p_k")
    assert f"**{p[1]:.4f}** for Versicolor" in others and f"**{p[2]:.4f}** for Virginica" in others

    def ce(zs: list[float]) -> mpmath.mpf:
        ex = [mpmath.exp(v if isinstance(v, mpmath.mpf) else mpmath.mpf(repr(v))) for v in zs]
        return -mpmath.log(ex[0] / mpmath.fsum(ex))

    h = 0.001
    fd = (ce([z[0] + h, z[1], z[2]]) - ce([z[0] - h, z[1], z[2]])) / (2 * h)
    check = _rendered(lesson, "Check it with a finite difference")
    assert f"(2h) = {float(fd):.4f}\n" in check
    exact = mpmath.diff(lambda t: ce([t, z[1], z[2]]), mpmath.mpf(repr(z[0])))
    assert float(exact) == pytest.approx(p[0] - 1, abs=1e-4)  # p - 1 is the derivative (p shown to 4 places)


# -- bits-and-nats: closed forms ---------------------------------------------------------------------------
def test_bits_and_nats_lesson_converts_with_closed_forms(lessons: dict[str, Lesson]) -> None:
    import math

    lesson = lessons["bits-and-nats"]
    from ce_tutor.core import IRIS_X, IrisNetwork

    p = round(float(IrisNetwork().probabilities(IRIS_X[0])[0][0]), 2)  # the Setosa probability, as shown
    units = _rendered(lesson, "The base of the log is a unit")
    assert f"-ln {p:.2f} = **{-math.log(p):.4f}** nats" in units
    assert f"-log2 {p:.2f} = **{-math.log(p) / math.log(2):.4f}** bits" in units
    halving = _rendered(lesson, "A bit is one halving")
    assert "-log2 0.125 = 3 bits" in halving and f"{3 * math.log(2):.4f} nats" in halving
    assert f"the loss is {-math.log2(0.001):.2f} bits" in halving
    entropy = _rendered(lesson, "Entropy: the surprise you must expect")
    assert "A fair coin: H = 1 bit" in entropy and f"log2 6 = {math.log2(6):.4f} bits" in entropy
    pt, qt = (0.7, 0.2, 0.1), (0.5, 0.3, 0.2)
    h = -sum(a * math.log(a) for a in pt)
    kl = sum(a * math.log(a / b) for a, b in zip(pt, qt))
    cross = _rendered(lesson, "Cross-entropy between distributions")
    assert f"H(p, q) = {h + kl:.4f} =\n{h:.4f} + {kl:.4f} nats" in cross.replace(" =\n", " =\n")


# -- binary-cross-entropy: mpmath --------------------------------------------------------------------------
def test_binary_cross_entropy_lesson_numbers_match_mpmath(lessons: dict[str, Lesson]) -> None:
    import mpmath

    mpmath.mp.dps = 40
    lesson = lessons["binary-cross-entropy"]
    x = mpmath.mpf("1.3")
    p = round(float(1 / (1 + mpmath.exp(-x))), 4)
    first = _rendered(lesson, "Two classes, one output")
    assert f"p = 1 / (1 + e^-1.3) = **{p:.4f}**" in first
    bce = _rendered(lesson, "Binary cross-entropy")
    pm = mpmath.mpf(repr(p))
    assert f"BCE = -ln {p:.4f} =\n**{float(-mpmath.log(pm)):.4f}**" in bce
    assert f"**{float(-mpmath.log(1 - pm)):.4f}**" in bce
    on_logits = _rendered(lesson, "It is cross-entropy on [0, x]")
    exact = float(mpmath.log(1 + mpmath.exp(-x)))  # -ln sigmoid(x) = softplus(-x)
    assert f"ce_logits([0, x], yes) = {exact:.4f}" in on_logits and f"BCE from the logit = {exact:.4f}" in on_logits
    stable = _rendered(lesson, "The stable form")
    assert "-ln(1 - p) is\n∞" in stable or "-ln(1 - p) is ∞" in stable
    assert f"**{float(40 + mpmath.log(1 + mpmath.exp(-40))):.4f}**" in stable


# -- soft-targets: closed forms ----------------------------------------------------------------------------
def test_soft_targets_lesson_numbers_match_closed_forms(lessons: dict[str, Lesson]) -> None:
    import math

    from ce_tutor.core import IRIS_X, IrisNetwork

    lesson = lessons["soft-targets"]
    z = [round(float(v), 2) for v in IrisNetwork().logits(IRIS_X[0])[0]]
    e = 0.1
    t = [1 - e + e / 3, e / 3, e / 3]  # torch's label smoothing, by hand
    smoothing = _rendered(lesson, "Label smoothing, as PyTorch means it")
    assert f"t = ({t[0]:.4f}, {t[1]:.4f}, {t[2]:.4f})" in smoothing
    lse = math.log(sum(math.exp(v) for v in z))
    ce_ls = -sum(tk * (zk - lse) for tk, zk in zip(t, z))
    assert f"becomes {ce_ls:.4f}" in smoothing
    best = _rendered(lesson, "The best reachable loss")
    assert f"H(t) = **{-sum(tk * math.log(tk) for tk in t):.4f}** nats" in best
    assert f"= {math.log(t[0] / t[1]):.4f} between" in best
    temperature = _rendered(lesson, "Temperature: softmax(z / T)")
    for temp in (0.5, 2.0):
        ex = [math.exp(v / temp) for v in z]
        shown = ", ".join(f"{x / sum(ex):.4f}" for x in ex)
        assert f"p = ({shown})" in temperature


# -- logits-and-stability: mpmath and float64 facts ------------------------------------------------------
def test_logits_and_stability_lesson_numbers_match_mpmath(lessons: dict[str, Lesson]) -> None:
    import math

    import mpmath

    mpmath.mp.dps = 50
    lesson = lessons["logits-and-stability"]
    limits = _rendered(lesson, "Frameworks want raw outputs")
    assert f"e^709 = {math.exp(709):.3e}" in limits and "e^710 = ∞" in limits
    with pytest.raises(OverflowError):
        math.exp(710)
    assert math.exp(-746) == 0.0 and "e^-746 = 0." in limits
    overflow = _rendered(lesson, "Overflow")
    assert "p   = ∞ / ∞ = (undefined, undefined, undefined)" in overflow
    z = [mpmath.mpf(1000), mpmath.mpf(999), mpmath.mpf(998)]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
    probs = ", ".join(f"{float(mpmath.exp(v - lse)):.4f}" for v in z)
    assert f"softmax(z) = ({probs})" in overflow
    trick = _rendered(lesson, "The log-sum-exp trick")
    assert f"logsumexp = {float(lse):.4f}" in trick and f"**{float(lse - 1000):.4f}**" in trick
    true_loss = 800 + mpmath.log(1 + mpmath.exp(-800))
    assert f"**{float(true_loss):.4f}**" in trick
    underflow = _rendered(lesson, "Underflow")
    assert "-ln 0 = ∞" in " ".join(underflow.split())
    reduction = _rendered(lesson, "Mean or sum?")
    from ce_tutor.core import IRIS_X, IRIS_Y, IrisNetwork

    total = IrisNetwork().total_cross_entropy(IRIS_X, IRIS_Y)
    assert f"total {total:.4f}, mean {total / 3:.4f}" in reduction


NEW_LESSONS = ["05-softmax-gradient.yaml", "07-bits-and-nats.yaml", "08-binary-cross-entropy.yaml",
               "09-soft-targets.yaml", "10-logits-and-stability.yaml"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NEW_LESSONS)
def test_each_new_lesson_passes_the_checker_with_1000_variants(name: str) -> None:
    assert [str(p) for p in check_paths([LESSON_DIR / name], variants=1000)] == []


@pytest.mark.parametrize("name", NEW_LESSONS)
def test_each_new_lesson_has_the_shape_the_course_asks_for(lessons: dict[str, Lesson], name: str) -> None:
    lesson = lessons[dict(CURRICULUM)[name]]
    kinds = [type(s) for s in lesson.steps]
    assert 8 <= len(lesson.steps) <= 12
    quizzes = [s for s in lesson.steps if isinstance(s, QuizStep)]
    assert len(quizzes) >= 3 and all(q.hints and q.solution for q in quizzes)
    assert all(q.misconceptions for q in quizzes if not q.is_choice)
    assert kinds.count(PlotStep) + sum(isinstance(s, ExploreStep) and s.plot is not None for s in lesson.steps) >= 2
    assert kinds.count(ExploreStep) >= 1

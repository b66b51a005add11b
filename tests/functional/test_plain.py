"""The plain-text mode, played through the real ``ce-tutor`` command as a script or screen reader would.

Answers are computed independently of the session under test: each quiz's variant is drawn from the same
seed with the quiz engine, and the right answer (or a known misconception's value) is typed in.
"""

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.runtime import lesson_env
from ce_tutor.lessons.schema import ExploreStep, QuizStep
from ce_tutor.lessons.template import format_value
from ce_tutor.progress import ProgressStore
from ce_tutor.quiz import draw_variant, variant_seed

pytestmark = pytest.mark.slow

SEED = 20261122
LESSONS = load_catalog([shipped_lessons_dir()]).lessons


def first_variant(lesson_id, step, env):
    return draw_variant(step, env, lesson_id, variant_seed(SEED, lesson_id, step.id, 0), 0)


def wrong_then_right(lesson_id, step, env):
    """Lines to type, and the text each wrong answer must bring back."""
    variant = first_variant(lesson_id, step, env)
    if step.is_choice:
        right = min(variant.correct_options) + 1
        wrong = next(i for i in range(len(variant.options)) if i not in variant.correct_options) + 1
        return [str(wrong), str(right)], "Not quite"
    right = repr(variant.answer)
    if step.misconceptions:
        m = step.misconceptions[0]
        from ce_tutor import formula

        value = float(formula.parse(m.answer).evaluate(variant.values))
        return [repr(value), right], variant.render(m.feedback).split("\n")[0][:40]
    return [repr(variant.answer * 3 + 7), right], "Not quite"


def script_for(lf):
    """The keystrokes of a learner who does every step, and what the transcript must then contain."""
    lesson, env = lf.lesson, lesson_env(lf)
    lines, expect = [], []
    for step in lesson.steps:
        if isinstance(step, ExploreStep):
            param = step.params[0]
            lines += [f"{param.name}+", ""]
            moved = min(param.value + param.step, param.max) if param.value < param.max else param.value - param.step
            expect.append(f"{param.name}" + (f" ({param.label})" if param.label else "") + f" = {format_value(moved, '.4g')}")
        elif isinstance(step, QuizStep):
            typed, feedback = wrong_then_right(lesson.id, step, env)
            lines += typed
            expect += [feedback, "Correct"]
        lines.append("")  # [Enter] next (on the last step: finish)
    lines.append("q")  # at "Next: ...": stop
    return "\n".join(lines) + "\n", expect


def run_plain(home, *args, input=None, timeout=120):
    env = {**os.environ, "CE_TUTOR_HOME": str(home), "TERM": "dumb", "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "ce_tutor", "--plain", *args], input=input, text=True,
                          capture_output=True, env=env, timeout=timeout)


@pytest.mark.parametrize("lf", LESSONS, ids=[lf.lesson.id for lf in LESSONS])
def test_every_shipped_lesson_can_be_completed_in_plain_mode(lf, tmp_path):
    typed, expected = script_for(lf)
    result = run_plain(tmp_path, lf.lesson.id, "--seed", str(SEED), input=typed)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr and "\x1b" not in out
    position = 0
    for text in expected:  # each expected piece appears, in order
        found = out.find(text, position)
        assert found >= 0, f"missing {text!r} after position {position}:\n{out[position:position + 2000]}"
        position = found + len(text)
    assert f"Lesson complete: {lf.lesson.title}" in out
    with ProgressStore(tmp_path) as store:
        assert store.lesson(lf.lesson.id).complete
        for step in (s for s in lf.lesson.steps if isinstance(s, QuizStep)):
            verdicts = [a.verdict for a in store.attempts(lf.lesson.id, step.id)]
            assert verdicts[-1] == "correct" and verdicts[0] in ("wrong", "misconception"), (step.id, verdicts)


def test_end_of_input_saves_and_exits_0(tmp_path):
    first = LESSONS[0].lesson
    result = run_plain(tmp_path, first.id, input="\n\n")  # two steps, then the input ends
    assert result.returncode == 0 and "Progress saved" in result.stdout
    with ProgressStore(tmp_path) as store:
        assert store.lesson(first.id).current_step == 2


def test_an_unknown_lesson_is_named(tmp_path):
    result = run_plain(tmp_path, "no-such-lesson", input="")
    assert result.returncode == 2 and "no lesson 'no-such-lesson'" in result.stderr


def test_choosing_a_lesson_from_the_list(tmp_path):
    result = run_plain(tmp_path, input="99\n2\n")
    assert "There is no lesson '99'" in result.stdout
    assert f"=== {LESSONS[1].lesson.title} ===" in result.stdout


def _wait_for(proc, text, timeout=30):
    """Read the child's stdout until ``text`` appears (or fail after ``timeout`` seconds).

    What came after ``text`` is kept for the next wait."""
    fd, needle, deadline = proc.stdout.fileno(), text.encode(), time.monotonic() + timeout
    while needle not in proc.seen:
        assert time.monotonic() < deadline, f"never saw {text!r}; got:\n{proc.seen[-2000:]!r}"
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            assert chunk, f"the program ended before {text!r}"
            proc.seen += chunk
    before, _, proc.seen = proc.seen.partition(needle)
    return before.decode("utf-8", "replace")


def _interactive(home, *args):
    env = {**os.environ, "CE_TUTOR_HOME": str(home), "TERM": "dumb", "COLUMNS": "80"}
    proc = subprocess.Popen([sys.executable, "-m", "ce_tutor", "--plain", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.seen = b""
    return proc


def test_kill_9_mid_lesson_loses_nothing_and_resumes(tmp_path):
    lesson = LESSONS[0].lesson
    proc = _interactive(tmp_path, lesson.id)
    try:
        for _ in range(3):
            _wait_for(proc, "[Enter] next")
            proc.stdin.write(b"\n")
            proc.stdin.flush()
        _wait_for(proc, f"step 4/{len(lesson.steps)}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    resumed = run_plain(tmp_path, lesson.id, input="")
    assert f"(Resuming at step 4/{len(lesson.steps)}.)" in resumed.stdout


def test_ctrl_c_saves_and_exits_0(tmp_path):
    lesson = LESSONS[0].lesson
    proc = _interactive(tmp_path, lesson.id)
    try:
        _wait_for(proc, "[Enter] next")
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        _wait_for(proc, f"step 2/{len(lesson.steps)}")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        rest = proc.stdout.read().decode()
        assert "Progress saved" in rest and "Traceback" not in rest + proc.stderr.read().decode()
    finally:
        proc.kill()
    with ProgressStore(tmp_path) as store:
        assert store.lesson(lesson.id).current_step == 1


BROKEN_LESSON = """\
schema_version: 1
id: broken-demo
title: Broken demo
summary: A lesson nobody checked.
steps:
  - type: prose
    text: "value {nope}"
  - type: plot
    plot:
      x_label: x
      y_label: y
      x: {min: 0, max: 1}
      series: [{name: s, y: "ln(-1 - x)"}]
  - type: explore
    params: [{name: q, min: 0, max: 1, step: 0.5, value: 0.5}]
    show: ["{nope2}"]
"""


def test_a_broken_lesson_of_ones_own_is_shown_with_messages_not_a_crash(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "broken.yaml").write_text(BROKEN_LESSON, encoding="utf-8")
    result = run_plain(tmp_path / "home", "broken-demo", "--lessons", str(mine), input="\n\n\n\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr and "unexpected error" not in result.stderr
    assert "This step cannot be shown: in {nope}: unknown name 'nope'" in result.stdout
    assert "s (drawn with *): no finite values to plot." in result.stdout
    assert "unknown name 'nope2'" in result.stdout
    assert "Lesson complete: Broken demo." in result.stdout

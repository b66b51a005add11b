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
from ce_tutor.lessons.explore import Explorer
from ce_tutor.lessons.runtime import lesson_env
from ce_tutor.lessons.schema import DistributionParam, ExploreStep, QuizStep
from ce_tutor.lessons.template import format_value
from ce_tutor.progress import ProgressStore
from ce_tutor.quiz import draw_variant, variant_seed

pytestmark = pytest.mark.slow

SEED = 20261122
LESSONS = load_catalog([shipped_lessons_dir()]).lessons


def listed_name(param):
    """How an explorer parameter is listed: the name, and the label once."""
    if not param.label:
        return param.name
    if param.label.split()[0] == param.name:  # "p of the observed class" already says which name it is
        return param.label
    return f"{param.name} ({param.label})"


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
            if isinstance(param, DistributionParam):
                param = param.sliders[0]  # a distribution is moved one slider at a time
            lines += [f"{param.name}+", ""]
            explorer = Explorer(step, env)  # where one nudge up takes it (to the grid, from a start off it)
            explorer.nudge(param.name, 1)
            moved = explorer.values[param.name]
            expect.append(f"{listed_name(param)} = {format_value(moved, '.4g')}")
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
    for line in out.splitlines():  # each verdict is said once
        assert line.count("Not quite") <= 1, line
    if lf is LESSONS[-1]:  # the others were never opened: they are named, not "Well done!"
        assert "Well done" not in out
        tail = " ".join(out[out.index(f"Lesson complete: {lf.lesson.title}"):].split())
        assert "still open:" in tail
        for other in LESSONS[:-1]:
            assert other.lesson.title in tail
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
    assert "s: no finite values to plot." in result.stdout
    assert "unknown name 'nope2'" in result.stdout
    assert "Lesson complete: Broken demo." in result.stdout


def test_the_lesson_menu_names_unmet_prerequisites_by_title(tmp_path):
    result = run_plain(tmp_path, input="q\n")
    assert result.returncode == 0, result.stderr
    first, second = LESSONS[0].lesson, LESSONS[1].lesson
    assert second.requires == [first.id]
    assert f"    needs: {first.title}\n" in result.stdout
    assert f"needs: {first.id}\n" not in result.stdout


# -- what a screen-reader user hears --------------------------------------------------------------------
def _steps_before(lesson, kind):
    return next(i for i, step in enumerate(lesson.steps) if isinstance(step, kind))


def _enters_to(lesson, index):
    """The Enters that go from the first step to step ``index`` (an explorer takes one more)."""
    return "".join("\n\n" if isinstance(step, ExploreStep) else "\n" for step in lesson.steps[:index])


def test_text_typed_at_an_enter_prompt_is_not_taken_as_enter(tmp_path):
    lesson = LESSONS[0].lesson
    result = run_plain(tmp_path, lesson.id, input="0.57\nhint\n\n")
    out = result.stdout
    reminder = "'0.57' is not a choice here. Press Enter to go on, b to go back, or q to quit."
    assert reminder in out and "'hint' is not a choice here." in out
    # still on step 1 after both: only the Enter moved on
    assert out.index("'hint' is not a choice here.") < out.index(f"step 2/{len(lesson.steps)}")
    assert out.count(f"step 2/{len(lesson.steps)}") == 1 and f"step 3/{len(lesson.steps)}" not in out
    with ProgressStore(tmp_path) as store:
        assert store.lesson(lesson.id).current_step == 1


def test_after_the_solution_the_learner_may_still_answer(tmp_path):
    lf = LESSONS[0]
    lesson, env = lf.lesson, lesson_env(lf)
    index = _steps_before(lesson, QuizStep)
    step = lesson.steps[index]
    variant = first_variant(lesson.id, step, env)
    right = str(min(variant.correct_options) + 1) if step.is_choice else repr(variant.answer)
    typed = _enters_to(lesson, index) + f"solution\n{right}\n\n"
    out = run_plain(tmp_path, lesson.id, "--seed", str(SEED), input=typed).stdout
    after = out[out.index("Worked solution:"):]
    assert "You can still answer, to check your working (it no longer counts)" in after
    assert "answer> " + right in after and "Correct" in after.split("answer> " + right, 1)[1]
    with ProgressStore(tmp_path) as store:  # the quiz is recorded as revealed; the later answer not counted
        assert [a.verdict for a in store.attempts(lesson.id, step.id)] == ["revealed"]


def test_feedback_is_said_once(tmp_path):
    lf = LESSONS[0]
    lesson, env = lf.lesson, lesson_env(lf)
    index = _steps_before(lesson, QuizStep)
    step = lesson.steps[index]
    variant = first_variant(lesson.id, step, env)
    too_big = "2" if step.is_choice else repr(abs(variant.answer) * 10 + 5)
    out = run_plain(tmp_path, lesson.id, "--seed", str(SEED), input=_enters_to(lesson, index) + f"{too_big}\n").stdout
    said = out[out.index("answer> " + too_big):].splitlines()[1]
    assert said.startswith("Not quite") and said.count("Not quite") == 1, said


BOLD_LESSON = """\
schema_version: 1
id: bold-demo
title: Bold demo
summary: Bold across lines.
steps:
  - type: prose
    text: |
      This sentence has **bold that runs
      over a line break** and *italics that
      do too*, then `code`.
"""


def test_bold_across_a_line_break_is_rendered(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "bold.yaml").write_text(BOLD_LESSON, encoding="utf-8")
    out = run_plain(tmp_path / "home", "bold-demo", "--lessons", str(mine), input="\n").stdout
    assert "bold that runs over a line break and italics that do too, then code." in " ".join(out.split())
    assert "*" not in out and "`" not in out


def test_explorer_values_off_the_grid_or_out_of_range_are_said(tmp_path):
    lf = next(lf for lf in LESSONS if any(isinstance(s, ExploreStep) for s in lf.lesson.steps))
    lesson = lf.lesson
    index = _steps_before(lesson, ExploreStep)
    param = lesson.steps[index].params[0]
    off_grid = param.min + 2.5 * param.step
    below = param.min - 1
    typed = _enters_to(lesson, index) + f"{param.name} {off_grid!r}\n{param.name} {below!r}\n"
    out = run_plain(tmp_path, lesson.id, input=typed).stdout
    step = format_value(param.step, "g")
    # off the grid: taken to the nearest step (a tie goes either way), and said
    nearest = [format_value(param.min + k * param.step, ".4g") for k in (2, 3)]
    assert any(f"{param.name} set to {n}: the nearest step (steps of {step})." in out for n in nearest), out
    low, high = format_value(param.min, "g"), format_value(param.max, "g")
    assert (f"{param.name} must be between {low} and {high}; set to {format_value(param.min, '.4g')}."
            in out)
    assert f"  {listed_name(param)} = {format_value(param.min, '.4g')}" in out


def test_explorer_parameters_show_their_label_once(tmp_path):
    lf = next(lf for lf in LESSONS if lf.lesson.id == "neg-log-p")
    lesson = lf.lesson
    index = _steps_before(lesson, ExploreStep)
    param = lesson.steps[index].params[0]
    assert param.label.startswith(param.name + " ")  # the case the issue met: "p (p ...)"
    out = run_plain(tmp_path, lesson.id, input=_enters_to(lesson, index) + "\n").stdout
    assert f"  {param.label} = " in out and f"{param.name} ({param.label})" not in out


def _everything_typed(lf):
    """Every step played with the most output: hints, the solution, an answer, an out-of-range value."""
    lesson, env = lf.lesson, lesson_env(lf)
    lines = []
    for step in lesson.steps:
        if isinstance(step, ExploreStep):
            sliders = [s for p in step.params for s in getattr(p, "sliders", [p])]  # a distribution: one each
            lines += [f"{p.name} {p.max + 1 if isinstance(p.max, float | int) else 2}" for p in sliders]
            lines += ["plot", ""]
        elif isinstance(step, QuizStep):
            variant = first_variant(lesson.id, step, env)
            wrong = "x" if step.is_choice else repr(variant.answer * 3 + 7)
            lines += [wrong, "hint", "hint", "solution", "help", ""]
        lines += ["", "typed too early"] if step is lesson.steps[0] else [""]
    return "\n".join(lines) + "\nq\n"


@pytest.mark.parametrize("lf", LESSONS, ids=[lf.lesson.id for lf in LESSONS])
def test_no_plain_line_is_wider_than_80_columns(lf, tmp_path):
    result = run_plain(tmp_path, lf.lesson.id, "--seed", str(SEED), input=_everything_typed(lf))
    assert result.returncode == 0, result.stderr
    assert f"Lesson complete: {lf.lesson.title}" in result.stdout  # the whole lesson was said
    wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert wide == []


def test_the_width_follows_the_terminal(tmp_path):
    """On a terminal 60 columns wide, no line is wider than 60 (the transcript read from a pty)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    env = {**os.environ, "CE_TUTOR_HOME": str(tmp_path), "TERM": "dumb"}
    env.pop("COLUMNS", None)
    proc = subprocess.Popen([sys.executable, "-m", "ce_tutor", "--plain", LESSONS[0].lesson.id],
                            stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"[Enter] next" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    text = seen.decode("utf-8", "replace").replace("\r", "")
    assert "step 1/" in text
    assert max(len(line) for line in text.splitlines()) <= 60
    assert max(len(line) for line in text.splitlines()) > 45  # wrapped to the terminal, not to 40

"""ce-tutor check: every problem of a lesson, on its line, for the real broken files and the rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ce_tutor.lessons.check import check_paths
from ce_tutor.lessons.problems import Problem

DATA = Path(__file__).resolve().parents[1] / "data"
BROKEN = DATA / "broken"

HEAD = """\
schema_version: 1
id: checked
title: Checked
summary: A lesson for the checker tests.
"""


def check(tmp_path: Path, body: str, variants: int = 20) -> list[Problem]:
    """Check a lesson made of HEAD and ``body``; lines of ``body`` start at line 5."""
    path = tmp_path / "checked.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    problems = check_paths([path], variants=variants)
    assert all(p.path == str(path) for p in problems)
    return problems


def found(problems: list[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in problems]


def test_the_good_fixture_passes():
    assert check_paths([DATA / "good"]) == []


@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("syntax-error.yaml", 6, "not valid YAML"),
        ("tab-indent.yaml", 7, "a tab is used for indentation"),
        ("python-tag.yaml", 7, "the tag !!python/object/apply:os.system is not allowed"),
        ("deep-nesting.yaml", 5, "nested too deeply"),
        ("alias-bomb.yaml", 5, "anchors and aliases are not allowed"),
        ("empty.yaml", 1, "the file is empty"),
        ("top-level-list.yaml", 1, "the top level must be a mapping"),
        ("unknown-key.yaml", 10, "steps[1]: unknown key 'promt' (did you mean 'prompt'?)"),
        ("unknown-step-type.yaml", 8, "steps[1]: unknown step type 'quizz'"),
        ("unknown-formula-name.yaml", 7, "values.loss: unknown name 'prob'"),
        ("unknown-function.yaml", 13, "steps[0].plot.series[0].y: unknown function 'lg' (did you mean 'log'?)"),
        ("unresolvable-placeholder.yaml", 12, "steps[0].text: in {p[3]}: index 3 is out of range"),
        ("duplicate-key.yaml", 8, "duplicate key 'text' (first on line 7)"),
        ("duplicate-lesson-id/b.yaml", 2, "lesson id 'same-id' is already used by"),
        ("duplicate-quiz-id/b.yaml", 7, "quiz id 'same-quiz' is already used at"),
        ("unknown-requires.yaml", 7, "requires unknown lesson 'softmaxx' (did you mean 'softmax'?)"),
        ("cyclic-requires/a.yaml", 5, "requires form a cycle: cycle-a → cycle-b → cycle-a"),
        ("typed-decimal.yaml", 12, "type numbers through a placeholder so they are computed: found 0.57"),
        (
            "rounding-rule.yaml",
            10,
            "{p:.2f} shows 2 decimals but the answer is computed from p with more; add round: 2 to it",
        ),
        ("newer-schema.yaml", 1, "schema_version 2 is newer than this ce-tutor understands (1)"),
    ],
)
def test_every_broken_fixture_is_reported_on_its_line(name, line, fragment):
    path = BROKEN / name
    target = path.parent if path.parent != BROKEN else path  # lessons that clash are checked together
    problems = check_paths([target], variants=20)
    mine = [p for p in problems if p.path == str(path)]
    assert any(p.line == line and fragment in p.message for p in mine), problems


def test_a_lesson_may_require_a_shipped_lesson(tmp_path):
    assert check(tmp_path, "requires: [softmax]\nsteps:\n  - {type: prose, text: Hello.}\n") == []


def test_a_path_that_does_not_exist_is_a_problem(tmp_path):
    assert check_paths([tmp_path / "nope"]) == [Problem(str(tmp_path / "nope"), None, "no such file or folder")]


# -- names and formulas ------------------------------------------------------------------------------------------
def test_names_that_shadow_functions_or_constants_are_refused(tmp_path):
    problems = check(
        tmp_path,
        """\
        values:
          e: "2"
        steps:
          - type: explore
            params: [{name: ln, min: 0, max: 1, step: 0.5, value: 0}]
        """,
    )
    assert found(problems) == [
        (6, "values.e: the name 'e' is taken by the constant e; choose another name"),
        (9, "steps[0].params[0].name: the name 'ln' is taken by the function ln; choose another name"),
    ]


def test_a_formula_error_is_reported_once_without_the_noise_of_computing(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: quiz
            id: broken-quiz
            params: {p: {uniform: [0.1, 0.9]}}
            derived: {ce: "-ln(q)"}
            prompt: "What is -ln {p:.2f}?"
            answer: "ce"
        """,
    )
    assert found(problems) == [(9, "steps[0].derived.ce: unknown name 'q'")]


def test_placeholders_are_checked_where_they_stand(tmp_path):
    problems = check(
        tmp_path,
        """\
        values:
          p: "0.5"
        steps:
          - type: prose
            text: |
              Fine: {p:.2f}.

              Unknown: {pp:.2f}.
          - type: prose
            text: "Bad spec: {p:.2q}."
        """,
    )
    assert found(problems) == [
        (12, "steps[0].text: in {pp}: unknown name 'pp' (did you mean 'p'?)"),
        (14, "steps[1].text: unsupported format spec ':.2q' in {p:.2q}"),
    ]


def test_a_plot_without_a_finite_point_is_reported(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: plot
            plot:
              x_label: x
              y_label: y
              x: {min: 0, max: 1}
              series:
                - {name: fine, y: "x"}
                - {name: never, y: "ln(-1 - x)"}
        """,
    )
    assert found(problems) == [(13, "steps[0].plot.series[1].y: gives no finite point to plot")]


def test_an_explorer_is_computed_across_each_params_range(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: explore
            params:
              - {name: q, min: 0, max: 2, step: 0.1, value: 0}
            derived:
              pick: "[1, 2, 3][round(q * 1.5)]"
            show: ["{pick:.0f}"]
        """,
    )
    [(line, message)] = found(problems)
    assert line == 10
    assert message.startswith("steps[0].derived.pick: ") and "out of range" in message
    assert "(with q = " in message


def test_quiz_self_test_messages_are_mapped_to_the_quiz(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: prose
            text: Hello.
          - type: quiz
            id: same-as-answer
            params: {p: {uniform: [0.1, 0.9], round: 2}}
            prompt: "What is -ln {p:.2f}?"
            answer: "-ln(p)"
            misconceptions:
              - {answer: "-ln(p)", feedback: "Same thing."}
        """,
    )
    assert problems
    assert all(p.line == 8 and p.message.startswith("steps[1] (quiz 'same-as-answer'): ") for p in problems)
    assert any("misconception" in p.message for p in problems)


# -- the house rules ---------------------------------------------------------------------------------------------
def test_decimals_typed_into_text_are_refused_but_whole_numbers_and_placeholders_are_fine(tmp_path):
    problems = check(
        tmp_path,
        """\
        values:
          p: "0.25"
        steps:
          - type: prose
            title: Version 1.5 is a title, not prose
            text: |
              Three rows, p = 1, (1 - p)^2, and {p:.2f} are fine.
              But .5 is not, and {{2.5}} is typed text too.
        """,
    )
    assert found(problems) == [
        (12, "steps[0].text: type numbers through a placeholder so they are computed: found .5"),
        (12, "steps[0].text: type numbers through a placeholder so they are computed: found 2.5"),
    ]


def test_decimals_are_refused_at_the_end_of_a_sentence_and_in_every_kind_of_text(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: explore
            params: [{name: q, min: 0, max: 1, step: 0.1, value: 0.5}]
            show: ["q is {q:.1f}, twice 0.5 is 1."]
          - type: prose
            text: The width is 0.42.
        """,
    )
    assert [message.split(": ", 1)[1] for _, message in found(problems)] == [
        "type numbers through a placeholder so they are computed: found 0.5",
        "type numbers through a placeholder so they are computed: found 0.42",
    ]


@pytest.mark.parametrize(
    ("params", "derived", "prompt", "expected"),
    [
        ("{p: {uniform: [0, 1], round: 2}}", "{}", "{p:.2f}", None),
        ("{p: {uniform: [0, 1], round: 2}}", "{}", "{p}", None),
        ("{k: {randint: [1, 3]}}", "{}", "{k:d}", None),
        ("{p: {uniform: [0, 1], round: 2}}", "{q: {formula: 'p / 2', round: 3}}", "{q:.3f}", None),
        ("{p: {uniform: [0, 1], round: 2}}", "{}", "{p:.1%}", None),
        (
            "{p: {normal: [0, 1], round: 3}}",
            "{}",
            "{p:.2f}",
            "{p:.2f} shows 2 decimals but the answer is computed from p with more; add round: 2 to it",
        ),
        (
            "{p: {uniform: [0, 1], round: 2}}",
            "{q: 'p / 3'}",
            "{q:.2f}",
            "{q:.2f} shows 2 decimals but the answer is computed from q with more; add round: 2 to it",
        ),
        (
            "{p: {uniform: [0, 1], round: 2}}",
            "{q: 'p / 3'}",
            "{q}",
            "{q} shows q rounded but the answer is computed from q with more; add round: N to it and show it "
            "with :.Nf",
        ),
        (
            "{c: {choice: [0.25, 0.5]}}",
            "{}",
            "{c:.1f}",
            "{c:.1f} shows 1 decimal but the answer is computed from c with more; give it choices with at most 1 "
            "decimal",
        ),
    ],
)
def test_the_rounding_rule_for_quiz_prompts(tmp_path, params, derived, prompt, expected):
    problems = check(
        tmp_path,
        f"""\
        steps:
          - type: quiz
            id: rounding
            params: {params}
            derived: {derived}
            prompt: "Value: {prompt}. Twice it?"
            answer: "2 * {prompt.strip('{}').split(':')[0]}"
        """,
        variants=5,
    )
    assert found(problems) == ([] if expected is None else [(10, f"steps[0].prompt: {expected}")])


def test_checking_a_copy_of_the_shipped_lessons_is_not_a_clash_with_them(tmp_path):
    import shutil

    from ce_tutor.lessons.catalog import shipped_lessons_dir

    copy = tmp_path / "lessons"
    shutil.copytree(shipped_lessons_dir(), copy)
    assert check_paths([copy], variants=5) == []
    first = sorted(copy.glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "oops: 1\n", encoding="utf-8")
    [problem] = check_paths([copy], variants=5)
    assert problem.path == str(first) and "unknown key 'oops'" in problem.message


def test_a_schema_error_does_not_hide_the_formula_errors_after_it(tmp_path):
    problems = check(
        tmp_path,
        """\
        values:
          p: "0.5"
          q: {formula: "p", round: 99}
          r: "q + nosuch"
        steps:
          - type: prose
            text: "fine {p:.2f}"
          - type: prose
            txt: "a typo in a key"
          - type: prose
            text: "an unknown name {zzz:.2f}"
          - type: quiz
            id: q1
            prompt: "What is {p:.2f}?"
            answer: "p +"
        """,
    )
    assert found(problems) == [
        (7, "values.q.round: must be at most 12, not 99"),
        (8, "values.r: unknown name 'nosuch'"),  # q, whose round is wrong, still counts as a name
        (12, "steps[1]: missing key 'text'"),
        (13, "steps[1]: unknown key 'txt' (did you mean 'text'?)"),
        (15, "steps[2].text: in {zzz}: unknown name 'zzz'"),  # the step index is the file's
        (19, "steps[3].answer: could not read 'p +': invalid syntax"),
    ]


def test_a_file_that_is_not_yaml_gives_only_its_syntax_error(tmp_path):
    problems = check(tmp_path, "steps: [\n")
    assert len(problems) == 1 and "steps" not in problems[0].message.split(":")[0]


def test_an_explorer_range_that_follows_another_param_is_checked_across_the_sweep(tmp_path):
    problems = check(
        tmp_path,
        """\
        steps:
          - type: explore
            params:
              - {name: a, min: 0, max: 1, step: 0.1, value: 0.2}
              - {name: b, min: 0, max: "1 - a", step: 0.1, value: 0.5}
              - {name: c, min: 0, max: "nosuch", step: 0.1, value: 0.5}
              - name: q
                distribution: [heads, tails]
                value: [0.5, 0.5]
            show: ["{a + b:.2f} {entropy(q):.2f}"]
        """,
    )
    assert found(problems) == [
        (10, "steps[0].params[2].max: unknown name 'nosuch'"),
    ]
    problems = check(
        tmp_path,
        """\
        steps:
          - type: explore
            params:
              - {name: a, min: 0, max: 1, step: 0.1, value: 0.2}
              - {name: b, min: 0, max: "1 - a", step: 0.1, value: 0.5}
              - name: q
                distribution: [heads, tails]
                value: [0.5, 0.5]
            show: ["{a + b:.2f} {entropy(q):.2f}"]
        """,
    )
    assert found(problems) == [(9, "steps[0].params[1]: the range 0 to 0 is empty (with a = 1)")]


GIVEAWAY = """\
steps:
  - type: quiz
    id: bigger
    params:
      p: {{uniform: [0.05, 0.95], round: 2}}
    prompt: "At p = {{p:.2f}}, which slope is steeper?"
    shuffle: {shuffle}
    choices:
      - text: "{first}"
        correct: false
      - text: "{second}"
        correct: true
"""


@pytest.mark.parametrize(
    ("first", "second", "shuffle", "expected"),
    [
        # the right option always shows the number largest in size
        # (and the smallest: both slopes are negative)
        ("SSR: {-2 * (1 - p):.2f}", "CE: {-1 / p:.2f}", "true", "the smallest number in it"),
        # without numbers, shuffled: nothing gives it away
        ("The squared residual", "Cross-entropy", "true", None),
        # without numbers, but always in second place
        ("The squared residual", "Cross-entropy", "false", "always option 2"),
    ],
)
def test_a_choice_quiz_whose_numbers_or_place_give_the_answer_away_is_a_warning(
    tmp_path, first, second, shuffle, expected
):
    problems = check(tmp_path, GIVEAWAY.format(first=first, second=second, shuffle=shuffle))
    if expected is None:
        assert problems == []
        return
    [problem] = problems
    assert problem.warning and problem.line == 6 and expected in problem.message
    assert str(problem).startswith(f"{problem.path}:6: warning: steps[0] (quiz 'bigger'): ")


def test_a_number_that_varies_but_does_not_decide_is_no_giveaway(tmp_path):
    body = """\
    steps:
      - type: quiz
        id: sums
        params:
          p: {uniform: [0.05, 0.45], round: 2}
          q: {uniform: [0.55, 0.95], round: 2}
        prompt: "Which is right?"
        choices:
          - text: "{p:.2f}"
            correct: "p + q > 1"
          - text: "{q:.2f}"
            correct: "p + q <= 1"
    """
    assert check(tmp_path, body) == []  # the right one is sometimes the larger, sometimes the smaller

"""Loading one lesson file: safe YAML with lines, hostile files refused in plain words, schema errors all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ce_tutor.lessons.loader import MAX_BYTES, MAX_DEPTH, MAX_PROBLEMS, load_lesson
from ce_tutor.lessons.problems import LessonLoadError, Problem

DATA = Path(__file__).resolve().parents[1] / "data"
BROKEN = DATA / "broken"
GOOD = DATA / "good" / "every-step.yaml"

MINIMAL = """\
schema_version: 1
id: minimal
title: Minimal
summary: One prose step.
steps:
  - type: prose
    text: Hello.
"""


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(LessonLoadError) as caught:
        load_lesson(path)
    assert caught.value.problems, "a LessonLoadError must carry its problems"
    return caught.value.problems


def write(tmp_path: Path, text: str, name: str = "lesson.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- what a good file gives -------------------------------------------------------------------------------
def test_a_good_lesson_loads_with_the_line_of_every_value():
    lf = load_lesson(GOOD)
    assert lf.lesson.id == "fixture-every-step"
    assert [s.type for s in lf.lesson.steps] == ["prose", "plot", "plot", "plot", "explore", "quiz", "quiz"]
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    assert lines[lf.line_of("steps", 1, "plot", "x") - 1].strip().startswith("x: {min: 0")
    assert lines[lf.line_of("values", "loss") - 1].strip().startswith("loss:")
    assert lines[lf.line_of("steps", 5) - 1].strip() == "- type: quiz"
    assert lines[lf.line_of("steps", 5, "hints", 0) - 1].strip().startswith('- "Take minus')


def test_line_of_falls_back_to_the_nearest_ancestor():
    lf = load_lesson(GOOD)
    assert lf.line_of("steps", 5, "no", "such", "key") == lf.line_of("steps", 5)
    assert lf.line_of() == 2  # the top-level mapping starts below the comment on line 1


def test_line_at_counts_lines_inside_a_literal_block():
    lf = load_lesson(GOOD)
    text = lf.lesson.steps[0].text
    lines = GOOD.read_text(encoding="utf-8").splitlines()
    offset = text.index("The first class")
    assert "The first class" in lines[lf.line_at(("steps", 0, "text"), offset) - 1]


def test_a_number_stays_a_number_and_a_tagged_str_stays_text(tmp_path):
    path = write(tmp_path, MINIMAL.replace("title: Minimal", "title: !!str 2024"))
    assert load_lesson(path).lesson.title == "2024"


# -- hostile and broken files: one problem each, with the exact line -------------------------------------
@pytest.mark.parametrize(
    ("name", "line", "fragment"),
    [
        ("syntax-error.yaml", 6, "not valid YAML: did not find expected ',' or ']'"),
        ("tab-indent.yaml", 7, "a tab is used for indentation"),
        ("python-tag.yaml", 7, "the tag !!python/object/apply:os.system is not allowed"),
        ("deep-nesting.yaml", 5, f"nested too deeply (more than {MAX_DEPTH} levels)"),
        ("alias-bomb.yaml", 5, "anchors and aliases are not allowed (found &a)"),
        ("empty.yaml", 1, "the file is empty"),
        ("top-level-list.yaml", 1, "the top level must be a mapping"),
        ("duplicate-key.yaml", 8, "duplicate key 'text' (first on line 7)"),
        ("newer-schema.yaml", 1, "schema_version 2 is newer than this ce-tutor understands (1)"),
        ("unknown-step-type.yaml", 8, "steps[1]: unknown step type 'quizz' (expected prose, plot, explore or quiz)"),
    ],
)
def test_a_broken_file_gives_its_line_and_a_plain_message(name, line, fragment):
    path = BROKEN / name
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert problems[0].path == str(path)
    assert problems[0].line == line
    assert fragment in problems[0].message
    assert str(problems[0]).startswith(f"{path}:{line}: ")


def test_the_python_tag_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the payload would write pwned-by-yaml into the working directory
    problems_of(BROKEN / "python-tag.yaml")
    assert not (tmp_path / "pwned-by-yaml").exists()


def test_an_unknown_key_is_named_with_a_suggestion_and_the_missing_one_too():
    path = BROKEN / "unknown-key.yaml"
    assert [(p.line, p.message) for p in problems_of(path)] == [
        (8, "steps[1]: missing key 'prompt'"),
        (10, "steps[1]: unknown key 'promt' (did you mean 'prompt'?)"),
    ]


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(MINIMAL.encode() + b"# padding\n" * (MAX_BYTES // 10 + 1))
    [problem] = problems_of(path)
    assert (problem.line, problem.message) == (1, "the file is too big (more than 256 KiB)")


def test_a_binary_file_is_refused_with_the_line_of_its_first_nul(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"schema_version: 1\nid: x\n\x89PNG\x00\x00\x01")
    [problem] = problems_of(path)
    assert problem.line == 3
    assert "binary file" in problem.message


def test_invalid_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Hello.", "Caf\xe9.").encode("latin-1"))
    [problem] = problems_of(path)
    assert problem.line == 7
    assert "not UTF-8" in problem.message


def test_a_control_character_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, MINIMAL.replace("Hello.", "Bell\x07."))
    [problem] = problems_of(path)
    assert (problem.line, problem.message) == (7, "the control character U+0007 is not allowed in a lesson file")


@pytest.mark.parametrize("text", ["", "\n\n   \n", "# only a comment\n", "---\n...\n"])
def test_files_without_content_are_empty(tmp_path, text):
    [problem] = problems_of(write(tmp_path, text))
    assert (problem.line, problem.message) == (1, "the file is empty")


def test_deep_block_nesting_is_bounded_too(tmp_path):
    deep = "steps:\n" + "".join("  " * i + "-\n" for i in range(1, 200))
    [problem] = problems_of(write(tmp_path, deep))
    assert problem.line == MAX_DEPTH + 1
    assert "nested too deeply" in problem.message


def test_an_alias_is_refused_even_without_a_bomb(tmp_path):
    path = write(tmp_path, MINIMAL + "extra: *missing\n")
    [problem] = problems_of(path)
    assert problem.line == 8
    assert "anchors and aliases are not allowed (found *missing)" in problem.message


def test_any_non_standard_tag_is_refused(tmp_path):
    [problem] = problems_of(write(tmp_path, MINIMAL.replace("Hello.", "!shell ls")))
    assert (problem.line, problem.message) == (7, "the tag !shell is not allowed: lesson files hold plain values only")


def test_a_second_document_is_refused(tmp_path):
    [problem] = problems_of(write(tmp_path, MINIMAL + "---\nid: other\n"))
    assert problem.line == 8
    assert "one YAML document" in problem.message


def test_every_duplicate_key_is_reported(tmp_path):
    path = write(tmp_path, MINIMAL.replace("title: Minimal", "title: Minimal\ntitle: Again") + "id: again\n")
    assert [(p.line, p.message) for p in problems_of(path)] == [
        (4, "duplicate key 'title' (first on line 3)"),
        (9, "duplicate key 'id' (first on line 2)"),
    ]


def test_a_number_too_long_to_read_is_a_problem_not_a_crash(tmp_path):
    [problem] = problems_of(write(tmp_path, MINIMAL + "big: " + "9" * 5000 + "\n"))
    assert problem.line == 8
    assert "cannot read" in problem.message and "quotes make it text" in problem.message


def test_a_missing_file_and_a_folder_are_problems(tmp_path):
    assert problems_of(tmp_path / "nope.yaml") == [Problem(str(tmp_path / "nope.yaml"), None, "no such file")]
    assert problems_of(tmp_path)[0].message == "not a regular file (a folder)"


# -- schema errors: all of them, in plain words, each on its line ---------------------------------------------
def test_every_schema_error_is_reported_at_once_in_plain_words(tmp_path):
    path = write(
        tmp_path,
        """\
        schema_version: 1
        id: Bad Id
        title: ""
        summary: s
        values:
          n: 3
          q: {formula: "1", round: 99}
          r: [3]
        steps:
          - type: prose
            txt: hello
          - type: quiz
            id: q
            prompt: p
            answer: "1"
            params:
              a: {uniform: [0.1, 0.9], spread: 1}
              b: {foo: 1}
              c: {randint: [1, 2.5]}
          - type: plot
            plot: {kind: pie, x_label: a, y_label: b, series: [{name: n, y: x}], y_min: [1]}
          - {no: type}
          - 7
        """,
    )
    assert [str(p).removeprefix(f"{path}:") for p in problems_of(path)] == [
        "2: id: 'Bad Id' is not a valid id (lower-case letters, digits, - and _, starting with a letter or digit; "
        "at most 48)",
        "3: title: must not be empty",
        "7: values.q.round: must be at most 12, not 99",
        "8: values.r: expected a formula, or a mapping {formula: ..., round: ...}, found a list",
        "10: steps[0]: missing key 'text'",
        "11: steps[0]: unknown key 'txt' (did you mean 'text'?)",
        "17: steps[1].params.a: unknown key 'spread'",
        "18: steps[1].params.b: expected one of {uniform: [low, high]}, {normal: [mean, sd]}, "
        "{randint: [low, high]} or {choice: [...]}, found a mapping",
        "19: steps[1].params.c.randint[1]: expected a whole number, found the number 2.5",
        "21: steps[2].plot.kind: expected 'line', 'bar' or 'scatter', found the text 'pie'",
        "21: steps[2].plot.y_min: expected a number or a formula, found a list",
        "22: steps[3]: missing key 'type' (a step is one of: prose, plot, explore or quiz)",
        "23: steps[4]: expected a mapping, found the number 7",
    ]


def test_a_missing_schema_version_is_named(tmp_path):
    path = write(tmp_path, MINIMAL.replace("schema_version: 1\n", ""))
    assert [p.message for p in problems_of(path)] == ["missing key 'schema_version'"]


def test_a_model_rule_is_reported_on_its_step(tmp_path):
    path = write(tmp_path, MINIMAL + "  - {type: plot, plot: {x_label: a, y_label: b, series: [{name: n, y: x}]}}\n")
    [problem] = problems_of(path)
    assert problem.line == 8
    assert problem.message == "steps[1].plot: a line plot needs an x range (x: {min: ..., max: ...})"


# -- whatever the bytes, the answer is a LessonLoadError ---------------------------------------------------------
def assert_loads_or_refuses(path: Path) -> None:
    try:
        load_lesson(path)
    except LessonLoadError as exc:
        assert all(p.line is not None and p.line >= 1 for p in exc.problems)


YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"\t\n #%@`,?.019e")), max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_else(tmp_path, data):
    path = tmp_path / "random.yaml"
    path.write_bytes(data)
    assert_loads_or_refuses(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(YAMLISH, st.text(max_size=300)))
def test_random_text_never_raises_anything_else(tmp_path, text):
    path = tmp_path / "random.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_loads_or_refuses(path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0), junk=YAMLISH)
def test_a_damaged_good_lesson_never_raises_anything_else(tmp_path, cut, junk):
    text = GOOD.read_text(encoding="utf-8")
    cut %= len(text)
    path = tmp_path / "damaged.yaml"
    path.write_text(text[:cut] + junk + text[cut:], encoding="utf-8")
    assert_loads_or_refuses(path)


def test_problem_prints_as_file_colon_line():
    assert str(Problem("a.yaml", 3, "bad")) == "a.yaml:3: bad"
    assert str(Problem("a.yaml", None, "bad")) == "a.yaml: bad"
    assert str(LessonLoadError([Problem("a.yaml", 3, "bad"), Problem("b.yaml", None, "worse")])) == (
        "a.yaml:3: bad\nb.yaml: worse"
    )


def test_a_flood_of_problems_is_cut_short_and_counted(tmp_path):
    values = "".join(f"  v{i}: [1]\n" for i in range(MAX_PROBLEMS + 7))
    problems = problems_of(write(tmp_path, MINIMAL + "values:\n" + values))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == Problem(str(tmp_path / "lesson.yaml"), 9 + MAX_PROBLEMS, "... and 7 more problems")

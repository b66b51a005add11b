"""The catalog: where lessons come from, curriculum order, problems between lessons, and lesson values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ce_tutor.lessons import catalog
from ce_tutor.lessons.catalog import lesson_dirs, lesson_env, load_catalog, shipped_lessons_dir
from ce_tutor.lessons.problems import LessonLoadError, Problem

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


def lesson(folder: Path, name: str, lesson_id: str, requires: list[str] = (), extra: str = "") -> Path:
    """Write a small valid lesson file and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"schema_version: 1\nid: {lesson_id}\ntitle: {lesson_id}\nsummary: A test lesson.\n"
        f"requires: [{', '.join(requires)}]\n{extra}steps:\n  - type: prose\n    text: Hello.\n",
        encoding="utf-8",
    )
    return path


def quiz_steps(*ids: str) -> str:
    return "".join(f"  - {{type: quiz, id: {q}, prompt: p, answer: '1'}}\n" for q in ids)


# -- where lessons are ----------------------------------------------------------------------------------------
def test_the_shipped_lessons_are_the_repository_lessons_whether_installed_or_checked_out():
    # A source checkout reads lessons/ itself; an installed wheel carries a copy inside the package.
    repo = Path(__file__).resolve().parents[2] / "lessons"
    shipped = shipped_lessons_dir()
    assert sorted(p.name for p in shipped.glob("*.yaml")) == sorted(p.name for p in repo.glob("*.yaml"))
    for path in repo.glob("*.yaml"):
        assert (shipped / path.name).read_bytes() == path.read_bytes()
    assert (shipped / "01-softmax.yaml").is_file()


def test_an_installed_package_finds_its_lessons_beside_it(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "ce_tutor"
    (package / "_lessons").mkdir(parents=True)
    monkeypatch.setattr(catalog, "__file__", str(package / "lessons" / "catalog.py"))
    assert shipped_lessons_dir() == package / "_lessons"


def test_lesson_dirs_are_shipped_then_environment_then_options_each_once(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    environ = {"CE_TUTOR_LESSONS": os.pathsep.join([str(a), "", str(b)])}
    assert lesson_dirs(extra=[c, a], environ=environ) == [shipped_lessons_dir(), a, b, c]
    assert lesson_dirs(environ={}) == [shipped_lessons_dir()]


def test_lesson_dirs_expand_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert lesson_dirs(extra=["~/mine"], environ={}) == [shipped_lessons_dir(), tmp_path / "mine"]


# -- loading and ordering ------------------------------------------------------------------------------------------
def test_lessons_come_in_curriculum_order(tmp_path):
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    lesson(shipped, "01-b.yaml", "needs-a", ["basics"])
    lesson(shipped, "02-basics.yaml", "basics")
    lesson(shipped, "03-c.yaml", "free")
    lesson(user, "00-mine.yaml", "mine", ["needs-a"])
    lesson(user, "01-also.yml", "also")
    (user / "notes.txt").write_text("not a lesson")
    found = load_catalog([shipped, user])
    assert found.problems == []
    # requires first; otherwise the order found: the shipped folder, then the user's, by file name
    assert found.ids() == ["basics", "needs-a", "free", "mine", "also"]
    assert found.get("mine").path == user / "00-mine.yaml"
    assert found.get("nope") is None


def test_a_bad_file_or_folder_never_stops_the_others(tmp_path):
    good = lesson(tmp_path, "good.yaml", "good")
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n")
    found = load_catalog([tmp_path, tmp_path / "missing"])
    assert found.ids() == ["good"]
    assert [(Path(p.path).name, p.line) for p in found.problems] == [("missing", None), ("bad.yaml", 2)]
    assert found.problems[0].message == "no such file or folder"
    assert load_catalog([good, good, tmp_path]).ids() == ["good"]  # a file is loaded once


def test_a_duplicate_lesson_id_is_reported_with_both_places_and_the_second_skipped():
    folder = BROKEN / "duplicate-lesson-id"
    found = load_catalog([folder])
    assert [lf.path.name for lf in found.lessons] == ["a.yaml"]
    assert found.problems == [
        Problem(str(folder / "b.yaml"), 2,
                f"lesson id 'same-id' is already used by {folder / 'a.yaml'}:2; this file is skipped")
    ]


def test_a_duplicate_quiz_id_is_reported_across_lessons():
    folder = BROKEN / "duplicate-quiz-id"
    found = load_catalog([folder])
    assert found.ids() == ["lesson-a", "lesson-b"]
    assert found.problems == [
        Problem(str(folder / "b.yaml"), 7, f"quiz id 'same-quiz' is already used at {folder / 'a.yaml'}:7")
    ]


def test_a_duplicate_quiz_id_within_one_lesson_is_reported(tmp_path):
    path = lesson(tmp_path, "a.yaml", "a")
    path.write_text(path.read_text() + quiz_steps("q1", "q1"))
    [problem] = load_catalog([path]).problems
    assert (problem.line, problem.message) == (10, f"quiz id 'q1' is already used at {path}:9")


def test_an_unknown_requirement_is_reported_on_its_line():
    path = BROKEN / "unknown-requires.yaml"
    found = load_catalog([shipped_lessons_dir(), path])
    assert found.problems == [Problem(str(path), 7, "requires unknown lesson 'softmaxx' (did you mean 'softmax'?)")]
    assert found.ids()[-1] == "unknown-requires"


def test_a_cycle_is_named_and_broken_at_its_first_lesson():
    folder = BROKEN / "cyclic-requires"
    found = load_catalog([folder])
    message = "requires form a cycle: cycle-a → cycle-b → cycle-a"
    assert found.problems == [Problem(str(folder / "a.yaml"), 5, message)]
    assert found.ids() == ["cycle-a", "cycle-b"]


def test_a_longer_cycle_and_a_lesson_requiring_itself(tmp_path):
    lesson(tmp_path, "1.yaml", "one", ["three"])
    lesson(tmp_path, "2.yaml", "two", ["one"])
    lesson(tmp_path, "3.yaml", "three", ["two"])
    lesson(tmp_path, "4.yaml", "four", ["four"])
    found = load_catalog([tmp_path])
    assert [p.message for p in found.problems] == [
        "requires form a cycle: one → three → two → one",
        "requires form a cycle: four → four",
    ]
    assert sorted(found.ids()) == ["four", "one", "three", "two"]


# -- lesson values -------------------------------------------------------------------------------------------------
def test_lesson_env_computes_the_values_once_and_hands_out_copies(tmp_path):
    path = lesson(tmp_path, "v.yaml", "v", extra='values:\n  a: "2"\n  b: {formula: "a / 3", round: 2}\n')
    lf = load_catalog([path]).lessons[0]
    env = lesson_env(lf)
    assert env == {"a": 2.0, "b": 0.67}
    env["a"] = 99
    assert lesson_env(lf)["a"] == 2.0


def test_a_value_that_cannot_be_computed_is_reported_on_its_line(tmp_path):
    path = lesson(tmp_path, "v.yaml", "v", extra='values:\n  a: "2"\n  b: "a[0]"\n')
    lf = load_catalog([path]).lessons[0]
    with pytest.raises(LessonLoadError) as caught:
        lesson_env(lf)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (str(path), 8)
    assert problem.message.startswith("values.b: ") and "only a list can be indexed" in problem.message


def test_importing_the_catalog_loads_no_yaml_pydantic_or_numpy():
    code = (
        "import sys; from ce_tutor.lessons.catalog import lesson_dirs; lesson_dirs(); "
        "print(sorted(m for m in ('yaml', 'pydantic', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_lesson_id_is_answered_with_the_closest_and_all_ids():
    shipped = load_catalog([shipped_lessons_dir()])
    ids = ", ".join(shipped.ids())
    assert shipped.no_such_lesson("sofmax") == f"no lesson 'sofmax'. Did you mean 'softmax'? Lessons: {ids}."
    assert shipped.no_such_lesson("zzz") == f"no lesson 'zzz'. Lessons: {ids}."
    assert load_catalog([]).no_such_lesson("x") == "no lesson 'x'. Lessons: none."

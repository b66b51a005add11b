"""The lesson cache: hits and misses, what it refuses to unpickle, and what a damaged cache costs (nothing)."""

from __future__ import annotations

import copy as copy_module
import dataclasses
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ce_tutor.lessons import cache as cache_module
from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.files import LessonFile
from ce_tutor.lessons.loader import load_lesson
from ce_tutor.lessons.problems import LessonLoadError
from ce_tutor.lessons.schema import ExploreStep, Lesson, QuizStep

SOFTMAX = shipped_lessons_dir() / "01-softmax.yaml"


@pytest.fixture
def lesson(tmp_path: Path) -> Path:
    path = tmp_path / "lessons" / "softmax.yaml"
    path.parent.mkdir()
    shutil.copy(SOFTMAX, path)
    return path


def entries(cache: LessonCache) -> list[Path]:
    return sorted(cache.directory.glob("*.pickle"))


def test_a_second_load_comes_from_the_cache_and_equals_a_fresh_load(lesson: Path, tmp_path: Path) -> None:
    first = LessonCache(tmp_path / "cache")
    loaded = first.load(lesson)
    assert (first.hits, first.misses, len(entries(first))) == (0, 1, 1)

    second = LessonCache(tmp_path / "cache")
    cached = second.load(lesson)
    assert (second.hits, second.misses) == (1, 0)
    fresh = load_lesson(lesson)
    assert cached.lesson == fresh.lesson == loaded.lesson
    assert dict(cached.lines) == dict(fresh.lines) and dict(cached.texts) == dict(fresh.texts)
    assert cached.path == lesson and cached.line_of("steps", 3, "text") == fresh.line_of("steps", 3, "text")


def test_the_same_content_elsewhere_is_a_hit_that_keeps_its_own_path(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    copy = tmp_path / "copy.yaml"
    shutil.copy(lesson, copy)
    assert cache.load(copy).path == copy and cache.hits == 1


def test_an_edited_file_misses_and_the_new_content_is_used(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("title: \"", "title: \"Edited ", 1), encoding="utf-8")
    assert cache.load(lesson).lesson.title.startswith("Edited ")
    assert cache.misses == 2 and len(entries(cache)) == 2


def test_another_version_of_the_reading_code_misses(lesson: Path, tmp_path: Path, monkeypatch) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    monkeypatch.setattr(cache_module, "_fingerprint", lambda: b"another ce-tutor")
    cache.load(lesson)
    assert (cache.hits, cache.misses) == (0, 2)


def test_a_broken_lesson_is_never_cached_and_reports_the_same_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nid: x\ntitle: t\nsummary: s\nsteps: []\n", encoding="utf-8")
    cache = LessonCache(tmp_path / "cache")
    with pytest.raises(LessonLoadError) as first:
        cache.load(broken)
    with pytest.raises(LessonLoadError) as second:
        cache.load(broken)
    assert first.value.problems == second.value.problems
    assert [str(p) for p in first.value.problems] == [f"{broken}:5: steps: needs at least 1 item"]
    assert not entries(cache)


def test_an_unreadable_file_is_a_load_error_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(LessonLoadError, match="no such file"):
        LessonCache(tmp_path / "cache").load(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle at all", b"\x80\x05", pickle.dumps(("a", "b")), pickle.dumps((1, {}, {}))],
    ids=["empty", "garbage", "truncated", "wrong-shape", "not-a-lesson"],
)
def test_a_damaged_entry_is_a_miss_and_is_replaced(lesson: Path, tmp_path: Path, damage: bytes) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    [entry] = entries(cache)
    entry.write_bytes(damage)
    again = LessonCache(tmp_path / "cache")
    assert again.load(lesson).lesson.id == "softmax" and again.misses == 1
    assert LessonCache(tmp_path / "cache").load(lesson) and entry.read_bytes() != damage


class _Touch:
    """A pickle that would create a file when loaded, if the unpickler let it call Path.touch."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.target,))


def test_an_entry_that_would_run_code_is_refused(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    [entry] = entries(cache)
    marker = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps((_Touch(marker), {}, {})))
    again = LessonCache(tmp_path / "cache")
    assert again.load(lesson).lesson.id == "softmax" and again.misses == 1
    assert not marker.exists()


def test_a_cache_that_cannot_be_written_still_loads(lesson: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    cache = LessonCache(blocker / "lessons")
    assert cache.load(lesson).lesson.id == "softmax"
    assert cache.load(lesson).lesson.id == "softmax" and cache.misses == 2
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def _lessons(tmp_path: Path, n: int, prefix: str = "l") -> list[Path]:
    paths = []
    for i in range(n):
        path = tmp_path / "many" / f"{prefix}{i}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(SOFTMAX.read_text(encoding="utf-8").replace("id: softmax", f"id: {prefix}{i}", 1)
                        .replace("id: softmax-", f"id: {prefix}{i}-"), encoding="utf-8")
        paths.append(path)
    return paths


def test_the_cache_keeps_the_whole_catalog_and_the_most_recent_spares(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_SPARE", 2)
    first = _lessons(tmp_path, 5)
    cache = LessonCache(tmp_path / "cache")
    catalog = load_catalog(first, cache)
    assert len(catalog.lessons) == 5 and not catalog.problems
    assert len(entries(cache)) == 5  # more than MAX_SPARE: the catalog's own entries are all kept
    for i, entry in enumerate(entries(cache)):
        os.utime(entry, (1000 + i, 1000 + i))  # a clear order, whatever the clock's resolution
    newest = set(entries(cache)[-2:])
    second = _lessons(tmp_path, 2, prefix="m")
    load_catalog(second, LessonCache(tmp_path / "cache"))
    kept = set(entries(cache))
    assert len(kept) == 4 and newest <= kept  # the new catalog's 2, and the 2 most recently used others
    again = LessonCache(tmp_path / "cache")
    load_catalog(second, again)
    assert (again.hits, again.misses) == (2, 0)


SMALL = """schema_version: 1
id: gen-{i}
title: Generated lesson {i}
summary: One of many.
values:
  p: {{formula: "softmax([2.0, 1.0, 0.1])", round: 2}}
steps:
  - type: prose
    text: Softmax gives {{p:.2f}}.
  - type: quiz
    id: gen-quiz-{i}
    params:
      a: {{randint: [1, 5]}}
    prompt: "What is {{a}} + 1?"
    answer: "a + 1"
"""


def generated(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"l{i:04d}.yaml" for i in range(n)]
    for i, path in enumerate(paths):
        path.write_text(SMALL.format(i=i), encoding="utf-8")
    return paths


def test_a_warm_start_of_many_lessons_validates_nothing_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    """More lessons than the old 64-entry cache held: the second start reads no lesson with YAML or pydantic,
    writes no entry, and (in the app) starts no validating child."""
    folder = tmp_path / "many"
    generated(folder, 150)
    cold = LessonCache(tmp_path / "cache")
    assert len(load_catalog([folder], cold).lessons) == 150 and cold.misses == 150
    before = {e: e.stat().st_mtime_ns for e in entries(cold)}
    assert len(before) == 150
    from ce_tutor.lessons import loader

    def no_validation(*args, **kwargs):
        raise AssertionError("a file was validated again")

    def no_child(*args, **kwargs):
        raise AssertionError("a validating child was started")

    monkeypatch.setattr(loader, "load_lesson_bytes", no_validation)
    monkeypatch.setattr(subprocess, "run", no_child)
    monkeypatch.setattr(os, "replace", no_child)  # no entry written
    for warm in (LessonCache(tmp_path / "cache"), LessonCache(tmp_path / "cache", validate_in_child=True)):
        catalog = load_catalog([folder], warm)
        assert len(catalog.lessons) == 150 and not catalog.problems and (warm.hits, warm.misses) == (150, 0)
    assert set(entries(cold)) == set(before)


def test_an_edited_lesson_among_many_is_the_only_one_validated(tmp_path: Path, monkeypatch) -> None:
    paths = generated(tmp_path / "many", 100)
    load_catalog(paths, LessonCache(tmp_path / "cache"))
    paths[40].write_text(SMALL.format(i=40).replace("Generated lesson", "Edited lesson"), encoding="utf-8")
    from ce_tutor.lessons import loader

    validated: list[Path] = []
    real = loader.load_lesson_bytes
    monkeypatch.setattr(loader, "load_lesson_bytes", lambda path, data: validated.append(path) or real(path, data))
    warm = LessonCache(tmp_path / "cache")
    catalog = load_catalog([tmp_path / "many"], warm)
    assert validated == [paths[40]] and catalog.get("gen-40").lesson.title == "Edited lesson 40"
    assert len(entries(warm)) == 101  # the old entry is a spare now, kept until MAX_SPARE others are newer


# -- entries that do not prove themselves are misses --------------------------------------------------------
#: An empty lesson: a Lesson with none of its fields set (pickle opcodes: the class, NEWOBJ with no state).
EMPTY_LESSON = b"\x8c\x17ce_tutor.lessons.schema\x8c\x06Lesson\x93)\x81"
#: The entry of the issue, under 60 bytes: (an empty lesson, {}, {}), as the cache's old format was.
EMPTY_LESSON_ENTRY = b"\x80\x05(" + EMPTY_LESSON + b"}}t."


def _string(text: str) -> bytes:
    return b"\x8c" + bytes([len(text)]) + text.encode()


def _entry(key: str, lesson: object, lines: object = None, texts: object = None) -> bytes:
    return pickle.dumps((cache_module._TAG, key, lesson, {("id",): 2} if lines is None else lines,
                         {} if texts is None else texts), protocol=5)


def _bypassing_rules(obj: object, **changes: object) -> object:
    """A copy of a lesson object with ``changes`` made without running its __post_init__ rules."""
    copy = copy_module.copy(obj)
    for name, new in changes.items():
        object.__setattr__(copy, name, new)
    return copy


def _forged(good: LessonFile) -> dict[str, object]:
    """Entries in the cache's own format, for the right file, whose content is not a lesson the loader makes."""
    lesson = good.lesson
    prose = lesson.steps[0]
    return {
        "empty lesson": dataclasses.replace(lesson, steps=[]),
        "wrong type": dataclasses.replace(lesson, title=5),
        "wrong step type": dataclasses.replace(lesson, steps=[dataclasses.replace(prose, text=["not", "text"])]),
        "control characters": dataclasses.replace(lesson, title="\x1b]0;pwned\x07"),
        "bad id": dataclasses.replace(lesson, id="Not A Slug!"),
        "newer schema": dataclasses.replace(lesson, schema_version=2),
        "bool for int": dataclasses.replace(lesson, schema_version=True),
        "not finite": dataclasses.replace(lesson, steps=[dataclasses.replace(s, params=[
            _bypassing_rules(s.params[0], step=float("inf"))]) if isinstance(s, ExploreStep) else s
            for s in lesson.steps]),
        "out of bounds": dataclasses.replace(lesson, steps=[dataclasses.replace(s, params=[
            _bypassing_rules(s.params[0], value=s.params[0].max + 1)]) if isinstance(s, ExploreStep) else s
            for s in lesson.steps]),
        "broken rule": dataclasses.replace(lesson, steps=[_bypassing_rules(s, answer=None, choices=None)
                                                          if isinstance(s, QuizStep) else s for s in lesson.steps]),
    }


def _check_miss(lesson: Path, tmp_path: Path, entry: Path, damage: bytes) -> None:
    entry.write_bytes(damage)
    again = LessonCache(tmp_path / "cache")
    loaded = again.load(lesson)
    assert loaded.lesson == load_lesson(lesson).lesson and (again.hits, again.misses) == (0, 1)
    assert entry.read_bytes() != damage  # rewritten
    third = LessonCache(tmp_path / "cache")
    assert third.load(lesson).lesson == loaded.lesson and third.hits == 1


def test_a_tiny_entry_holding_an_empty_lesson_is_a_miss(lesson: Path, tmp_path: Path) -> None:
    assert len(EMPTY_LESSON_ENTRY) <= 60 and isinstance(pickle.loads(EMPTY_LESSON_ENTRY)[0], Lesson)
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    [entry] = entries(cache)
    _check_miss(lesson, tmp_path, entry, EMPTY_LESSON_ENTRY)
    key = entry.name.removesuffix(".pickle")
    # the same empty lesson in the cache's own format, for the right file
    _check_miss(lesson, tmp_path, entry,
                b"\x80\x05(" + _string(cache_module._TAG) + _string(key) + EMPTY_LESSON + b"}}t.")


def test_an_entry_of_the_right_shape_but_not_a_valid_lesson_is_a_miss(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    good = cache.load(lesson)
    [entry] = entries(cache)
    key = entry.name.removesuffix(".pickle")
    for name, forged in _forged(good).items():
        assert repr(forged) != repr(good.lesson), name
        _check_miss(lesson, tmp_path, entry, _entry(key, forged))
    for lines, texts in [({("id",): "2"}, {}), ({"id": 2}, {}), ({("id",): 0}, {}), ({}, {("x",): (1, 2)}), ([], {})]:
        _check_miss(lesson, tmp_path, entry, _entry(key, good.lesson, lines, texts))


def test_an_entry_built_to_be_slow_to_check_is_a_miss(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    good = cache.load(lesson)
    [entry] = entries(cache)
    key = entry.name.removesuffix(".pickle")
    # 300,000 items that are one memoised string: a small pickle that would be long to walk
    forged = dataclasses.replace(good.lesson, requires=["softmax"] * 300_000)
    damage = _entry(key, forged)
    assert len(damage) < cache_module.MAX_ENTRY_BYTES
    _check_miss(lesson, tmp_path, entry, damage)


def test_one_lessons_entry_copied_over_anothers_is_a_miss(tmp_path: Path) -> None:
    first, second = _lessons(tmp_path, 2)
    cache = LessonCache(tmp_path / "cache")
    load_catalog([first, second], cache)
    by_lesson = {cache.directory / (cache_module._key(p.read_bytes()) + ".pickle"): p for p in (first, second)}
    entry_1, entry_2 = by_lesson
    shutil.copy(entry_1, entry_2)
    again = LessonCache(tmp_path / "cache")
    catalog = load_catalog([first, second], again)
    assert catalog.ids() == ["l0", "l1"] and not catalog.problems  # no lesson vanished
    assert (again.hits, again.misses) == (1, 1)


def test_an_entry_that_is_not_a_regular_file_is_a_miss(lesson: Path, tmp_path: Path) -> None:
    cache = LessonCache(tmp_path / "cache")
    cache.load(lesson)
    [entry] = entries(cache)
    entry.unlink()
    os.mkfifo(entry)  # reading it would block forever
    again = LessonCache(tmp_path / "cache")
    assert again.load(lesson).lesson.id == "softmax" and again.misses == 1


def test_the_catalog_reports_the_same_with_and_without_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    shutil.copytree(shipped_lessons_dir(), folder)
    (folder / "zz-broken.yaml").write_text("schema_version: 1\nid: [\n", encoding="utf-8")
    plain = load_catalog([folder])
    for _ in range(2):  # cold, then warm
        cached = load_catalog([folder], LessonCache(tmp_path / "cache"))
        assert [lf.lesson for lf in cached.lessons] == [lf.lesson for lf in plain.lessons]
        assert cached.problems == plain.problems and len(plain.problems) == 1


def test_a_warm_cache_plays_every_lesson_without_yaml_pydantic_or_numpy_random(tmp_path: Path) -> None:
    """What keeps the app's memory small: with the cache warm, a whole session needs none of them."""
    load_catalog([shipped_lessons_dir()], LessonCache(tmp_path / "cache"))
    code = f"""
import sys
from pathlib import Path
from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import lesson_env, load_catalog, shipped_lessons_dir
from ce_tutor.lessons.player import LessonRun
from ce_tutor.lessons.schema import ExploreStep, PlotStep, ProseStep, QuizStep
from ce_tutor.lessons.plots import compute_plot

cache = LessonCache(Path({str(tmp_path / "cache")!r}))
catalog = load_catalog([shipped_lessons_dir()], cache)
assert cache.misses == 0 and not catalog.problems, (cache.misses, catalog.problems)
for lf in catalog.lessons:
    run = LessonRun(lf.lesson, lesson_env(lf), learner_seed=3)
    for i, step in enumerate(lf.lesson.steps):
        run.go(i)
        if isinstance(step, (ProseStep, PlotStep)):
            run.render(step.text)
        if isinstance(step, PlotStep):
            compute_plot(step.plot, run.env)
        if isinstance(step, ExploreStep):
            explorer = run.explorer()
            explorer.nudge(explorer.params[0].name, 1)  # a slider (a distribution has one per class)
            explorer.lines(), explorer.plot()
        if isinstance(step, QuizStep):
            session = run.quiz()
            variant = session.variant
            feedback = session.submit(str(min(variant.correct_options) + 1) if variant.options else repr(variant.answer))
            assert session.solved, (lf.lesson.id, i, feedback)
print(cache.hits, sorted(m for m in ("yaml", "pydantic", "pydantic_core", "numpy.random") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lessons = len(load_catalog([shipped_lessons_dir()]).lessons)
    assert result.stdout.split(maxsplit=1) == [str(lessons), "[]\n"]


def test_validating_in_a_child_keeps_yaml_and_pydantic_out_of_this_process(tmp_path: Path) -> None:
    """The app's first start: the lessons not cached yet are validated by a child, which caches them."""
    code = f"""
import sys
from pathlib import Path
from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.files import LessonFile

cache = LessonCache(Path({str(tmp_path / "cache")!r}), validate_in_child=True)
catalog = load_catalog([shipped_lessons_dir()], cache)
assert not catalog.problems, catalog.problems
print(len(catalog.lessons), cache.hits, cache.misses,
      sorted(m for m in ("yaml", "pydantic", "pydantic_core") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lessons = len(load_catalog([shipped_lessons_dir()]).lessons)
    assert result.stdout.split(maxsplit=3) == [str(lessons), str(lessons), "0", "[]\n"]


def test_what_the_child_cannot_cache_is_validated_here_with_the_same_messages(tmp_path: Path) -> None:
    folder = tmp_path / "lessons"
    shutil.copytree(shipped_lessons_dir(), folder)
    (folder / "zz-broken.yaml").write_text("schema_version: 1\nid: [\n", encoding="utf-8")
    plain = load_catalog([folder])
    cache = LessonCache(tmp_path / "cache", validate_in_child=True)
    cached = load_catalog([folder], cache)
    assert [lf.lesson for lf in cached.lessons] == [lf.lesson for lf in plain.lessons]
    assert cached.problems == plain.problems and len(plain.problems) == 1
    assert (cache.hits, cache.misses) == (len(plain.lessons), 1)  # the broken file, validated here
    assert len(entries(cache)) == len(plain.lessons)


@pytest.mark.parametrize("child", ["cannot start", "takes too long"])
def test_without_a_working_child_the_lessons_are_validated_here(
    child: str, lesson: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if child == "cannot start":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    else:  # stopped at the timeout
        monkeypatch.setattr(cache_module, "CHILD_CODE", "import time; time.sleep(60)")
        monkeypatch.setattr(cache_module, "CHILD_TIMEOUT", 0.5)
    cache = LessonCache(tmp_path / "cache", validate_in_child=True)
    assert load_catalog([lesson], cache).lessons[0].lesson == load_lesson(lesson).lesson
    assert (cache.hits, cache.misses) == (0, 1)


def test_only_the_files_the_cache_lacks_go_to_the_child(
    lesson: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LessonCache(tmp_path / "cache").load(lesson)
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append(args))
    cache = LessonCache(tmp_path / "cache", validate_in_child=True)
    load_catalog([lesson], cache)
    assert calls == [] and (cache.hits, cache.misses) == (1, 0)


def test_the_child_does_not_import_a_ce_tutor_from_the_current_folder(tmp_path: Path) -> None:
    """``python -c`` would put the current folder first on the child's path: whatever is there must not
    stand in for ce-tutor (it would run instead, or break the cache)."""
    decoy = tmp_path / "cwd" / "ce_tutor"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('the decoy ran')\n", encoding="utf-8")
    code = f"""
import sys
from pathlib import Path
from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.files import LessonFile

cache = LessonCache(Path({str(tmp_path / "cache")!r}), validate_in_child=True)
print(len(load_catalog([shipped_lessons_dir()], cache).lessons), cache.hits)
"""
    # the parent finds the real ce-tutor (-P), as an installed console script would; the child must too
    result = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=decoy.parent)
    assert result.returncode == 0, result.stderr
    lessons, hits = result.stdout.split()
    assert hits == lessons  # every lesson came from the cache the child filled


def test_every_schema_type_has_a_structural_check_and_every_good_lesson_passes_it() -> None:
    """If the schema grows a type the structural check does not know, every cache entry would be a miss:
    this fails first."""
    import typing

    from ce_tutor.lessons import schema, structure

    for cls in [v for v in vars(schema).values() if isinstance(v, type) and dataclasses.is_dataclass(v)]:
        for hint in typing.get_type_hints(cls, vars(schema), include_extras=True).values():
            structure._checker(hint)  # raises TypeError for an annotation it cannot check
    good = Path(__file__).parents[1] / "data" / "good"
    catalog = load_catalog([shipped_lessons_dir(), good])
    assert len(catalog.lessons) >= 6
    for lf in catalog.lessons:
        assert structure.conforms(lf.lesson), lf.path
        assert structure.conforms_lines(dict(lf.lines), dict(lf.texts)), lf.path

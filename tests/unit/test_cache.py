"""The lesson cache: hits and misses, what it refuses to unpickle, and what a damaged cache costs (nothing)."""

from __future__ import annotations

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
from ce_tutor.lessons.loader import load_lesson
from ce_tutor.lessons.problems import LessonLoadError

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


def test_the_least_recently_used_entries_go_first(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 3)
    cache = LessonCache(tmp_path / "cache")
    paths = []
    for i in range(5):
        path = tmp_path / f"l{i}.yaml"
        path.write_text(SOFTMAX.read_text(encoding="utf-8").replace("id: softmax", f"id: l{i}", 1), encoding="utf-8")
        paths.append(path)
        cache.load(path)
        entry = max(entries(cache), key=lambda p: p.stat().st_mtime_ns)
        os.utime(entry, (1000 + i, 1000 + i))  # a clear order, whatever the clock's resolution
    assert len(entries(cache)) == 3
    again = LessonCache(tmp_path / "cache")
    for path in paths[2:]:
        again.load(path)
    assert (again.hits, again.misses) == (3, 0)


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

cache = LessonCache(Path({str(tmp_path / "cache")!r}), validate_in_child=True)
print(len(load_catalog([shipped_lessons_dir()], cache).lessons), cache.hits)
"""
    # the parent finds the real ce-tutor (-P), as an installed console script would; the child must too
    result = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=decoy.parent)
    assert result.returncode == 0, result.stderr
    lessons, hits = result.stdout.split()
    assert hits == lessons  # every lesson came from the cache the child filled

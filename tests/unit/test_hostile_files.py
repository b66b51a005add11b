"""Lesson folders with traps: links that loop or lead nowhere, a link to a device that never ends, a FIFO,
a folder named like a lesson. Each is skipped with a warning naming it; the good lessons still load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import lesson_dirs, load_catalog
from ce_tutor.lessons.check import check_paths

BASICS = Path(__file__).parents[1] / "tui" / "data" / "lessons" / "01-basics.yaml"
TRAPS = {
    "a.yaml": "a symbolic link that loops back on itself",
    "b.yaml": "a symbolic link that loops back on itself",
    "dangling.yaml": "a symbolic link to a file or folder that does not exist",
    "zero.yaml": "not a regular file (a character device)",
    "fifo.yaml": "not a regular file (a named pipe)",
    "folder.yaml": "not a regular file (a folder)",
}


@pytest.fixture
def trapped(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    shutil.copy(BASICS, folder / "basics.yaml")
    (folder / "a.yaml").symlink_to("b.yaml")
    (folder / "b.yaml").symlink_to("a.yaml")
    (folder / "dangling.yaml").symlink_to("nowhere.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.yaml")
    (folder / "folder.yaml").mkdir()
    (folder / "self").symlink_to(".")  # a folder link back to itself: not a lesson file, never followed
    return folder


def warnings(problems) -> dict[str, str]:
    return {Path(p.path).name: p.message for p in problems if p.line is None}


@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "cache"])
def test_traps_in_a_folder_are_skipped_with_a_warning(trapped: Path, tmp_path: Path, cached: bool) -> None:
    cache = LessonCache(tmp_path / "cache") if cached else None
    catalog = load_catalog([trapped], cache)
    assert catalog.ids() == ["basics"]
    assert warnings(catalog.problems) == TRAPS


def test_a_looping_lessons_entry_is_skipped_with_a_warning(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    other = tmp_path / "other"
    other.symlink_to(tmp_path / "other2")
    (tmp_path / "other2").symlink_to(other)
    dirs = lesson_dirs(extra=[loop], environ={"CE_TUTOR_LESSONS": os.pathsep.join([str(other), str(loop)])})
    assert dirs[1:] == [other, loop]
    catalog = load_catalog(dirs)
    assert len(catalog.lessons) >= 5
    assert warnings(catalog.problems) == {"other": TRAPS["a.yaml"], "loop": TRAPS["a.yaml"]}


def test_check_reports_the_traps_and_the_lessons_problems(trapped: Path) -> None:
    problems = check_paths([trapped], variants=5)
    assert warnings(problems) == TRAPS


@pytest.mark.slow
def test_list_does_not_hang_on_a_link_to_a_device(trapped: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CE_TUTOR_HOME": str(tmp_path / "home"), "CE_TUTOR_LESSONS": str(trapped)}
    result = subprocess.run([sys.executable, "-m", "ce_tutor", "list"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 1 and "basics" in result.stdout and "Traceback" not in result.stderr
    for name, message in TRAPS.items():
        assert f"{trapped / name}: {message}" in result.stderr


def test_check_reports_a_looping_lessons_folder_as_a_problem_not_a_usage_error(tmp_path, monkeypatch, capsys):
    from ce_tutor import cli

    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    monkeypatch.setenv("CE_TUTOR_LESSONS", str(loop))
    assert cli.main(["check", "--variants", "1", "--data-dir", str(tmp_path / "data")]) == 1
    out, err = capsys.readouterr()  # problems on stderr, the summary on stdout
    assert f"{loop}: a symbolic link that loops back on itself" in err and "1 problem found." in out
    assert cli.main(["check", str(loop), "--variants", "1"]) == 1
    assert f"{loop}: a symbolic link that loops back on itself" in capsys.readouterr().err

"""The catalog index: the lesson list without reading the lessons, trusted only while it matches the files."""

from __future__ import annotations

import json
import os
import shutil
import typing
from pathlib import Path

import pytest

from ce_tutor.lessons import index as idx
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.index import read_index, signature, summarize, write_index
from ce_tutor.tui import AppOptions
from ce_tutor.tui.library import read_catalog

SHIPPED = shipped_lessons_dir()


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    for name in ("01-softmax.yaml", "02-neg-log-p.yaml"):
        shutil.copy(SHIPPED / name, folder / name)
    return folder


def options(lessons: Path, home: Path) -> AppOptions:
    return AppOptions(lesson_dirs=[lessons], data_dir=home)


def cache_dir(home: Path) -> Path:
    return home / "cache" / "lessons"


def test_reading_the_catalog_writes_an_index_that_the_next_start_reads_without_the_lessons(lessons, tmp_path):
    home = tmp_path / "home"
    catalog = read_catalog(options(lessons, home))
    index = read_index(cache_dir(home), [lessons])
    assert index == summarize(catalog)
    assert [s.id for s in index.lessons] == ["softmax", "neg-log-p"]
    first = index.lessons[0]
    lesson = catalog.lessons[0].lesson
    assert (first.title, first.summary, first.steps, first.requires, first.path) == (
        lesson.title, lesson.summary, len(lesson.steps), tuple(lesson.requires), str(lessons / "01-softmax.yaml"))


def test_any_change_to_the_lesson_files_makes_the_index_stale(lessons, tmp_path):
    home = tmp_path / "home"
    read_catalog(options(lessons, home))
    assert read_index(cache_dir(home), [lessons]) is not None

    edited = lessons / "02-neg-log-p.yaml"
    edited.write_bytes(edited.read_bytes() + b"\n# an edit\n")
    assert read_index(cache_dir(home), [lessons]) is None
    read_catalog(options(lessons, home))
    assert read_index(cache_dir(home), [lessons]) is not None

    (lessons / "03-new.yaml").write_text("not a lesson")
    assert read_index(cache_dir(home), [lessons]) is None
    read_catalog(options(lessons, home))
    fresh = read_index(cache_dir(home), [lessons])
    assert fresh is not None and any("03-new.yaml" in p.path for p in fresh.problems)  # problems are kept too

    (lessons / "03-new.yaml").unlink()
    assert read_index(cache_dir(home), [lessons]) is None


def test_each_set_of_lesson_folders_has_its_own_index(lessons, tmp_path):
    home = tmp_path / "home"
    read_catalog(options(lessons, home))
    other = tmp_path / "other"
    other.mkdir()
    assert read_index(cache_dir(home), [lessons, other]) is None
    assert read_index(cache_dir(home), [lessons]) is not None


def forged(lessons: Path, home: Path, change) -> idx.CatalogIndex | None:  # noqa: ANN001
    """Write the index, change its content with ``change`` (the signature kept), and read it back."""
    read_catalog(options(lessons, home))
    path = idx.index_path(cache_dir(home), [lessons])
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))
    return read_index(cache_dir(home), [lessons])


def set_title(title: object):  # noqa: ANN201
    def change(content: dict) -> None:
        content["lessons"][0][1] = title
    return change


@pytest.mark.parametrize("change", [
    set_title("\x1b]52;c;aGk=\x07clipboard"),  # a terminal escape
    set_title("\u202eevil"),  # a bidi override
    set_title("x" * 61),  # longer than the schema allows
    set_title(""),
    set_title(7),
    lambda c: c["lessons"][0].__setitem__(0, "../../etc"),  # not a lesson id
    lambda c: c["lessons"][0].__setitem__(3, 0),  # no steps
    lambda c: c["lessons"][0].__setitem__(3, True),  # a bool is not a count
    lambda c: c["lessons"][0].__setitem__(4, ["Not An Id"]),
    lambda c: c["lessons"][0].__setitem__(5, "/etc/passwd"),  # not one of the lesson files
    lambda c: c["lessons"].append(list(c["lessons"][0])),  # the same id twice
    lambda c: c["lessons"].__setitem__(0, {"id": "softmax"}),
    lambda c: c.__setitem__("lessons", {}),
    lambda c: c.__setitem__("problems", [["f.yaml", 0, "line 0", False]]),
    lambda c: c.__setitem__("problems", [["f.yaml", None, 3, False]]),
    lambda c: c.__setitem__("version", 99),
    lambda c: c.__setitem__("signature", "0" * 64),  # made from other files
    lambda c: c.clear(),
], ids=["escape", "bidi", "long title", "empty title", "number title", "bad id", "no steps", "bool steps",
        "bad requires", "not a lesson file", "duplicate id", "not a list", "lessons not a list", "line 0", "message not text",
        "other version", "other files", "empty"])
def test_a_forged_or_damaged_index_is_a_miss(lessons, tmp_path, change):
    assert forged(lessons, tmp_path / "home", change) is None


def test_an_index_that_is_not_json_too_deep_too_big_or_not_a_file_is_a_miss(lessons, tmp_path, monkeypatch):
    home = tmp_path / "home"
    read_catalog(options(lessons, home))
    path = idx.index_path(cache_dir(home), [lessons])
    good = path.read_bytes()

    for bad in (b"", b"\xff\xfe", good[: len(good) // 2], b"[" * 100_000 + b"]" * 100_000):
        path.write_bytes(bad)
        assert read_index(cache_dir(home), [lessons]) is None

    path.write_bytes(good)
    monkeypatch.setattr(idx, "MAX_INDEX_BYTES", len(good) - 1)
    assert read_index(cache_dir(home), [lessons]) is None
    monkeypatch.undo()

    target = tmp_path / "elsewhere.json"
    target.write_bytes(good)
    path.unlink()
    path.symlink_to(target)  # a link is not followed: the cache folder holds files, not links
    assert read_index(cache_dir(home), [lessons]) is None
    path.unlink()
    os.mkfifo(path)  # nor does a FIFO block the start
    assert read_index(cache_dir(home), [lessons]) is None


def test_an_index_that_cannot_be_written_costs_nothing(lessons, tmp_path):
    catalog = load_catalog([lessons])
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    write_index(blocked / "cache", [lessons], summarize(catalog), signature([lessons]))  # no error
    assert not (blocked / "cache").exists()


def test_old_indexes_are_removed_beyond_the_few_kept(lessons, tmp_path):
    catalog = summarize(load_catalog([lessons]))
    folder = tmp_path / "cache"
    for i in range(idx.KEEP + 3):
        extra = tmp_path / f"extra{i}"
        extra.mkdir()
        write_index(folder, [lessons, extra], catalog, signature([lessons, extra]))
    assert len(list(folder.glob("index-*.json"))) == idx.KEEP
    assert read_index(folder, [lessons, tmp_path / f"extra{idx.KEEP + 2}"]) == catalog  # the newest is kept


def test_the_index_checks_the_bounds_of_the_lesson_schema():
    from ce_tutor.lessons import schema

    hints = typing.get_type_hints(schema.Lesson, include_extras=True)

    def constraints(annotation: object) -> dict:
        return next(m.constraints for m in typing.get_args(annotation)[1:] if isinstance(m, schema.Field))

    assert constraints(hints["title"])["max_length"] == idx.MAX_TITLE
    assert constraints(hints["summary"])["max_length"] == idx.MAX_SUMMARY
    assert constraints(hints["steps"])["max_length"] == idx.MAX_STEPS
    assert constraints(schema.Slug)["pattern"] == f"^{idx.ID_PATTERN.pattern}$"

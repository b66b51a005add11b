"""The package's layering, checked where it matters: in fresh interpreters and with import-linter.

* ``ce_tutor.core`` is numpy only: importing it loads no UI, YAML or pydantic module, and nothing of
  ce_tutor outside the core.
* ``ce_tutor.cli`` stays light, so that ``ce-tutor --help`` and ``--version`` are instant: importing it,
  building its parser and running ``--version`` load neither numpy nor textual.
* The import-linter contracts in ``pyproject.toml`` hold.

Each check runs in a subprocess (``-I``: no PYTHONPATH, no user site, no current directory on the
path), because this test process has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ce_tutor

ROOT = Path(__file__).resolve().parents[2]

CORE_FORBIDDEN = ("textual", "textual_plotext", "plotext", "yaml", "pydantic", "platformdirs")
CLI_FORBIDDEN = ("numpy", "textual")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, f"subprocess failed:\n{result.stdout}\n{result.stderr}"
    return result


def loaded_modules_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the names in its sys.modules afterwards."""
    probe = code + "\nimport json as _json, sys as _sys\nprint('MODULES=' + _json.dumps(sorted(_sys.modules)))\n"
    lines = run_python(probe).stdout.splitlines()
    return json.loads(next(line for line in lines if line.startswith("MODULES="))[len("MODULES="):])


def top_level(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``modules`` that are one of ``names`` or inside one of them."""
    return sorted(m for m in modules if m.split(".")[0] in names)


def test_core_imports_nothing_but_numpy():
    modules = loaded_modules_after("import ce_tutor.core")
    assert "ce_tutor.core" in modules and "numpy" in modules  # the probe really ran the import
    assert top_level(modules, CORE_FORBIDDEN) == []
    outside_core = [m for m in modules
                    if m.startswith("ce_tutor.") and m != "ce_tutor.core" and not m.startswith("ce_tutor.core.")]
    assert outside_core == []


def test_cli_import_and_parser_load_neither_numpy_nor_textual():
    modules = loaded_modules_after(
        "import ce_tutor.cli\n"
        "parser = ce_tutor.cli.build_parser()\n"
        "parser.format_help()\n"
    )
    assert "ce_tutor.cli" in modules
    assert top_level(modules, CLI_FORBIDDEN) == []


def test_version_runs_without_numpy_or_textual():
    # the real command first: it prints the version and exits 0
    result = subprocess.run([sys.executable, "-I", "-m", "ce_tutor", "--version"], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ce-tutor {ce_tutor.__version__}"
    # the same path through runpy, to look at sys.modules once argparse has exited
    modules = loaded_modules_after(
        "import runpy, sys\n"
        "sys.argv = ['ce-tutor', '--version']\n"
        "try:\n"
        "    runpy.run_module('ce_tutor', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "else:\n"
        "    raise AssertionError('--version did not exit')\n"
    )
    assert "ce_tutor.cli" in modules
    assert top_level(modules, CLI_FORBIDDEN) == []


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"import-linter is not installed next to {sys.executable}"
    result = subprocess.run(
        [str(lint_imports), "--config", "pyproject.toml", "--no-cache", "--no-logo"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"lint-imports exited {result.returncode}:\n{output}"
    assert " kept, 0 broken" in output, output  # contracts were checked, none broken


def test_the_lesson_lists_review_count_loads_neither_fsrs_nor_numpy():
    # The lesson list's "Review: N due" row: one SQL count, without py-fsrs (or numpy) on the start path.
    modules = loaded_modules_after(
        "import tempfile\n"
        "from ce_tutor.progress import ProgressStore\n"
        "import ce_tutor.tui.screens.browser, ce_tutor.tui.widgets.lesson_list, ce_tutor.tui.library\n"
        "store = ProgressStore(tempfile.mkdtemp())\n"
        "assert store.due_count() == 0\n"
        "import ce_tutor.review\n"
    )
    assert "ce_tutor.tui.screens.browser" in modules and "ce_tutor.review" in modules
    assert top_level(modules, ("fsrs", "numpy")) == []


LIST_FORBIDDEN = ("numpy", "plotext", "textual_plotext", "yaml", "pydantic")
LIST_PATH_PROBE = '''
import asyncio, sys, tempfile, threading
from pathlib import Path

import ce_tutor.tui.library as library
from ce_tutor.lessons.catalog import lesson_dirs
from ce_tutor.tui import AppOptions
from ce_tutor.tui.app import TutorApp
from ce_tutor.tui.widgets.lesson_list import LessonList

release = threading.Event()
warm = library.warm_player
library.warm_player = lambda *a: (release.wait(60), warm(*a))  # hold the background loading

def heavy():
    return sorted(m for m in sys.modules if m.split(".")[0] in %(forbidden)r
                  or m in ("ce_tutor.tui.screens.player", "ce_tutor.lessons.player", "textual.widgets._markdown"))

async def main():
    with tempfile.TemporaryDirectory() as home:
        options = AppOptions(lesson_dirs=lesson_dirs(), data_dir=Path(home), seed=1)
        if %(warm)r:  # an earlier start read the lessons: the catalog index is up to date
            import subprocess
            subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                            "from ce_tutor.lessons.catalog import lesson_dirs; from ce_tutor.tui import AppOptions; "
                            "from ce_tutor.tui.library import read_catalog; "
                            "read_catalog(AppOptions(lesson_dirs(), Path(sys.argv[1])))", home], check=True)
        app = TutorApp(options)
        print("KNOWN_BEFORE_FIRST_FRAME=" + str(app.library is not None))
        async with app.run_test(size=(80, 24)) as pilot:
            print("LOADING_SHOWN=" + str(bool(app.screen.query("#loading"))))
            for _ in range(600):
                if app.screen.query(LessonList) and app.screen.query_one(LessonList).option_count:
                    break
                await pilot.pause(0.05)
            lessons = app.screen.query_one(LessonList)
            print("ROWS=" + str(lessons.option_count))
            print("FIRST=" + str(lessons.get_option_at_index(0).id))
            print("HEAVY=" + ",".join(heavy()))
            print("SCHEMA=" + str("ce_tutor.lessons.schema" in sys.modules))
            await pilot.press("enter")  # chosen at once: the app says it is opening, keys still work
            await pilot.pause(0.1)
            print("TALLY=" + app.screen.query_one("#masthead").tally)
            await pilot.press("down")
            await pilot.pause(0.1)
            print("HIGHLIGHTED=" + str(lessons.highlighted))
            release.set()
            for _ in range(600):
                if type(app.screen).__name__ == "PlayerScreen":
                    break
                await pilot.pause(0.05)
            print("SCREEN=" + type(app.screen).__name__)
            print("LESSON=" + app.screen.run.lesson.id)

asyncio.run(main())
'''


@pytest.mark.parametrize("warm", [False, True], ids=["first start", "later start"])
def test_the_lesson_list_is_shown_without_numpy_plotext_or_the_player(warm):
    """The app's start, up to the interactive lesson list, imports no numpy, plotext or player module;
    a lesson chosen before the rest has loaded says "Opening…" and opens once it has. At a later start
    (the catalog index up to date) the list is known before the first frame, which is the list: no
    "Loading lessons…", and not even the lessons' schema is imported for it."""
    out = run_python(LIST_PATH_PROBE % {"forbidden": LIST_FORBIDDEN, "warm": warm}).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    first = ce_tutor_lessons_first_id()
    assert int(fields["ROWS"]) >= 5 and fields["FIRST"] == first
    assert fields["HEAVY"] == ""
    if warm:
        assert fields["KNOWN_BEFORE_FIRST_FRAME"] == "True" and fields["LOADING_SHOWN"] == "False"
        assert fields["SCHEMA"] == "False"
    else:
        assert fields["KNOWN_BEFORE_FIRST_FRAME"] == "False" and fields["LOADING_SHOWN"] == "True"
    assert fields["TALLY"].startswith("Opening ") and fields["TALLY"].endswith("…")
    assert fields["HIGHLIGHTED"] == "1"  # the keys kept working while it was opening
    assert fields["SCREEN"] == "PlayerScreen" and fields["LESSON"] == first


def ce_tutor_lessons_first_id() -> str:
    from ce_tutor.lessons.catalog import lesson_dirs, load_catalog

    return load_catalog(lesson_dirs()).ids()[0]

"""No control character from a lesson, a file name, an answer or a progress file reaches the terminal.

``check`` refuses the hostile lessons in tests/data/hostile (YAML escapes decode to ESC, C1 CSI, NUL and
bidi overrides) with file:line. What gets past the loader anyway (a file name, a lesson smuggled in as a
forged cache entry would be, a learner's answer, a progress row) is shown with its control characters as
escapes by ``list``, ``check``, ``progress``, ``reset``, ``export`` and the plain mode.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from ce_tutor import cli
from ce_tutor.lessons.catalog import Catalog, load_catalog
from ce_tutor.lessons.problems import Problem
from ce_tutor.plain import PlainTutor
from ce_tutor.progress import ProgressStore
from ce_tutor.text import BIDI

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
BASICS = Path(__file__).parents[1] / "tui" / "data" / "lessons" / "01-basics.yaml"
CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}]")
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
TITLE = "\x1b]0;pwned\x07"
LINES = {"untrusted-osc52.yaml": 5, "untrusted-title.yaml": 5, "untrusted-clear.yaml": 10,
         "untrusted-c1-csi.yaml": 14, "untrusted-nul.yaml": 9, "untrusted-bidi.yaml": 13}


def clean(*texts: str) -> bool:
    return not any(CONTROL.search(text) for text in texts)


@pytest.mark.slow
def test_check_refuses_every_hostile_file_with_file_and_line(cli):
    paths = sorted(HOSTILE.glob("untrusted-*.yaml"))
    assert {p.name for p in paths} >= set(LINES)
    result = cli("check", *map(str, paths))
    assert result.returncode == 1 and "All lessons are fine" not in result.stdout
    for name, line in LINES.items():
        assert re.search(rf"^{re.escape(str(HOSTILE / name))}:{line}: .*is not allowed", result.stderr, re.M), name
    assert clean(result.stdout, result.stderr)


@pytest.mark.slow
def test_a_file_name_with_control_characters_is_shown_escaped(cli, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / f"evil{TITLE}.yaml").write_text("schema_version: 1\nid: [\n", encoding="utf-8")
    shown = "evil\\x1b]0;pwned\\x07.yaml"
    for result in (cli("list", "--lessons", str(folder)), cli("check", str(folder)),
                   cli("--plain", "--lessons", str(folder), input="q\n")):
        assert shown in result.stderr, result.stderr
        assert clean(result.stdout, result.stderr)


def smuggled() -> Catalog:
    """The test lessons, the first one with control characters in its text (as a forged cache entry might
    hold), and a problem naming a hostile file."""
    real = load_catalog([BASICS.parent])
    first = real.lessons[0]
    steps = list(first.lesson.steps)
    steps[0] = dataclasses.replace(steps[0], title=f"Step {TITLE}", text=f"Prose \x1b[2J\x1b[H and \u202eright")
    lesson = dataclasses.replace(first.lesson, title=f"Basics {OSC52}", summary=f"Summary \x9b2J", steps=steps)
    return Catalog([dataclasses.replace(first, lesson=lesson), *real.lessons[1:]],
                   [Problem(f"evil{TITLE}.yaml", 2, "bad \x9b31m")])


def test_list_progress_and_reset_show_smuggled_text_escaped(tmp_path, monkeypatch, capsys):
    from ce_tutor.lessons.index import summarize

    monkeypatch.setattr(cli, "_index", lambda args: summarize(smuggled()))
    data = ["--data-dir", str(tmp_path)]
    assert cli.main(["list", *data]) == 1  # the problem makes it 1
    listed = capsys.readouterr()
    assert "Basics \\x1b]52;c;ZXZpbA==\\x07" in listed.out and "evil\\x1b]0;pwned\\x07.yaml:2" in listed.err
    assert clean(listed.out, listed.err)

    assert cli.main(["progress", *data]) == 0
    progress = capsys.readouterr()
    assert "Basics \\x1b]52" in progress.out and clean(progress.out, progress.err)

    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    args = argparse.Namespace(lessons=[], data_dir=tmp_path, lesson=None, yes=False)
    monkeypatch.setattr(cli, "_store", lambda args: ProgressStore(tmp_path))
    assert cli.cmd_reset(args, ask=lambda prompt: prompts.append(prompt) or "n") == 1
    assert prompts and clean(*prompts, capsys.readouterr().out)


def test_the_plain_mode_shows_smuggled_lessons_and_hostile_answers_escaped(tmp_path):
    hostile_answer = f"0.5{OSC52}\x9b2J"
    # next, next, leave the explorer, next; the numeric quiz; next; the multiple choice; finish; stop
    script = "\n".join(["", "", "", "", hostile_answer, "skip", "", hostile_answer, "skip", "", "q"]) + "\n"
    out = io.StringIO()
    with ProgressStore(tmp_path) as store:
        PlainTutor(smuggled(), store, 7, stdin=io.StringIO(script), stdout=out, width=80).run("basics")
    text = out.getvalue()
    assert "Basics \\x1b]52;c;ZXZpbA==\\x07" in text and "Step \\x1b]0;pwned\\x07" in text
    assert "Prose \\x1b[2J\\x1b[H and right" in text
    assert "0.5\\x1b]52" in text and "couldn't" in text  # the answer, echoed and quoted in the feedback
    assert clean(text)


@pytest.mark.slow
def test_export_escapes_what_a_progress_file_holds_and_loses_none_of_it(cli, tmp_path):
    answer = f"0.5{OSC52}\x9b2J\u202e"
    with ProgressStore(cli.home) as store:
        store.record_attempt("softmax", f"quiz{TITLE}", 1, answer, "wrong")
    result = cli("export")
    assert result.returncode == 0 and clean(result.stdout, result.stderr)
    exported = json.loads(result.stdout)
    assert [(a["quiz_id"], a["answer"]) for a in exported["attempts"]] == [(f"quiz{TITLE}", answer)]

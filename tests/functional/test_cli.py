"""The ``ce-tutor`` command as people use it: exit codes, messages, no tracebacks."""

import json
import sqlite3

import pytest

from ce_tutor import __version__
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir


pytestmark = pytest.mark.slow

SHIPPED = load_catalog([shipped_lessons_dir()]).lessons


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def no_traceback(result):
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"ce-tutor {__version__}"
    helped = no_traceback(cli("--help"))
    assert helped.returncode == 0
    for word in ("--plain", "--seed", "--theme", "--ascii", "list", "check", "schema", "progress", "reset", "export"):
        assert word in helped.stdout


@pytest.mark.parametrize("args", [["--no-such-option"], ["check", "--variants", "0"], ["list", "extra"]])
def test_usage_errors_exit_2_with_a_message(cli, args):
    result = no_traceback(cli(*args))
    assert result.returncode == 2
    assert "ce-tutor" in result.stderr and result.stderr.strip()


def test_list_prints_the_curriculum_in_order(cli):
    result = no_traceback(cli("list"))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(SHIPPED) >= 5
    for n, (line, lf) in enumerate(zip(lines, SHIPPED), 1):
        assert line.split()[:2] == [f"{n}.", lf.lesson.id]
        assert lf.lesson.title in line and f"({len(lf.lesson.steps)} steps)" in line
        after = [f.lesson.title for f in SHIPPED if f.lesson.id in lf.lesson.requires]
        assert line.endswith(f"  after: {', '.join(after)}" if after else "steps)")  # titles, not ids


def test_validated_lessons_are_cached_in_the_data_dir_and_a_damaged_cache_changes_nothing(cli):
    first = no_traceback(cli("list"))
    entries = sorted((cli.home / "cache" / "lessons").glob("*.pickle"))
    assert first.returncode == 0 and len(entries) == len(SHIPPED)
    indexes = list((cli.home / "cache" / "lessons").glob("index-*.json"))
    assert len(indexes) == 1  # the list of the next start, read without the lessons
    for entry in [*entries, *indexes]:
        entry.write_bytes(b"damaged")
    second = no_traceback(cli("list"))
    assert (second.returncode, second.stdout, second.stderr) == (0, first.stdout, first.stderr)
    assert all(entry.read_bytes() != b"damaged" for entry in [*entries, *indexes])


def test_list_includes_lessons_from_lessons_dir_and_env(cli, tmp_path):
    extra = tmp_path / "mine"
    good = (shipped_lessons_dir() / "01-softmax.yaml").read_text(encoding="utf-8")
    write(extra / "x.yaml", good.replace("id: softmax", "id: my-softmax", 1).replace("requires: []", "requires: []"))
    by_flag = cli("list", "--lessons", str(extra))
    by_env = cli("list", env={"CE_TUTOR_LESSONS": str(extra)})
    assert "my-softmax" in by_flag.stdout and "my-softmax" in by_env.stdout


def test_check_of_the_shipped_lessons_is_clean(cli):
    result = no_traceback(cli("check", "--variants", "20"))
    assert result.returncode == 0, result.stderr
    assert "20 variants" in result.stdout


def test_check_reports_file_line_and_exits_1(cli, tmp_path):
    bad = write(tmp_path / "bad.yaml", "schema_version: 1\nid: bad\ntitle: Bad\nsummary: s\nsteps:\n  - type: prose\n    txt: hi\n")
    result = no_traceback(cli("check", str(bad)))
    assert result.returncode == 1
    assert f"{bad}:7:" in result.stderr and "txt" in result.stderr
    assert result.stdout == "2 problems found.\n"  # the summary on stdout, the problems on stderr
    assert "problems found" not in result.stderr


def test_check_of_a_missing_path_is_a_usage_error(cli, tmp_path):
    result = no_traceback(cli("check", str(tmp_path / "nope.yaml")))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_schema_is_json_schema_of_a_lesson(cli):
    schema = json.loads(cli("schema").stdout)
    assert schema["title"] == "ce-tutor lesson"
    assert {"schema_version", "id", "steps"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def test_progress_reset_and_export_round_trip(cli, tmp_path):
    from ce_tutor.progress import ProgressStore

    first = SHIPPED[0].lesson
    with ProgressStore(cli.home) as store:
        store.visit_step(first.id, 2, len(first.steps))
        store.record_attempt(first.id, "q1", 5, "0.57", "correct")
        store.record_attempt(first.id, "q1", 5, "0.2", "wrong")
    table = no_traceback(cli("progress")).stdout
    row = next(line for line in table.splitlines() if line.startswith(first.id))
    assert "1/2 (50%)" in row and "%" in row
    assert all(len(line) <= 80 for line in table.splitlines()), table  # fits 80 columns when not a terminal
    for lf in SHIPPED:  # every lesson has its row, with its id whole and its title (shortened if need be)
        line = next(line for line in table.splitlines() if line.split()[:1] == [lf.lesson.id])
        title = line[len(lf.lesson.id):].strip().split("  ")[0]  # columns are two spaces apart
        assert title == lf.lesson.title or (title.endswith("…") and lf.lesson.title.startswith(title[:-1]))

    out = tmp_path / "progress.json"
    assert cli("export", "-o", str(out)).returncode == 0
    exported = json.loads(out.read_text())
    assert [a["answer"] for a in exported["attempts"]] == ["0.57", "0.2"]
    assert json.loads(cli("export").stdout)["attempts"] == exported["attempts"]

    refused = no_traceback(cli("reset"))  # no terminal to confirm on
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert no_traceback(cli("reset", "no-such-lesson", "--yes")).returncode == 2
    assert cli("reset", first.id, "--yes").returncode == 0
    after = json.loads(cli("export").stdout)
    assert after["attempts"] == [] and after["learner_seed"] == exported["learner_seed"]


def test_export_to_an_unwritable_place_fails_cleanly(cli, tmp_path):
    blocker = write(tmp_path / "file", "x")
    result = no_traceback(cli("export", "-o", str(blocker / "sub" / "out.json")))
    assert result.returncode == 1 and "cannot write" in result.stderr


def test_a_corrupt_progress_file_is_moved_aside_with_a_warning(cli):
    cli.home.mkdir(parents=True)
    (cli.home / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
    result = no_traceback(cli("progress"))
    assert result.returncode == 0
    assert "warning" in result.stderr and "corrupt" in result.stderr
    assert any(p.name.startswith("progress.sqlite3.corrupt") for p in cli.home.iterdir())


def test_a_progress_file_from_a_newer_version_is_refused_untouched(cli):
    cli.home.mkdir(parents=True)
    db = cli.home / "progress.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    before = db.read_bytes()
    result = no_traceback(cli("progress"))
    assert result.returncode == 1 and "newer" in result.stderr
    assert db.read_bytes() == before


def test_an_unexpected_error_shows_one_line_and_a_log_not_a_traceback(tmp_path, monkeypatch, capsys):
    from ce_tutor import cli

    def boom(args):
        raise RuntimeError("simulated bug")

    monkeypatch.setitem(cli.COMMAND_TABLE, "list", boom)
    status = cli.main(["list", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err and "unexpected error (RuntimeError)" in err
    (log,) = (tmp_path / "logs").glob("crash-*.log")
    assert str(log) in err and "simulated bug" in log.read_text()


@pytest.mark.parametrize(
    ("argv", "command", "lesson"),
    [
        ([], "open", None),
        (["--plain", "softmax"], "open", "softmax"),
        (["softmax", "--plain", "--seed", "3"], "open", "softmax"),
        (["--seed", "3", "--data-dir", "d", "softmax"], "open", "softmax"),
        (["--data-dir", "d", "progress"], "progress", None),
        (["reset", "softmax", "--yes"], "reset", "softmax"),
    ],
)
def test_the_tutor_and_the_commands_share_one_command_line(argv, command, lesson):
    from ce_tutor.cli import _route, build_parser

    args = build_parser().parse_args(_route(argv))
    assert args.command == command
    assert getattr(args, "lesson", None) == lesson


def test_check_warnings_go_to_stderr_and_do_not_fail(cli, tmp_path):
    quiz = (
        "schema_version: 1\nid: warned\ntitle: Warned\nsummary: s\nsteps:\n  - type: quiz\n    id: w\n"
        "    prompt: Which?\n    shuffle: false\n    choices:\n      - {text: A, correct: false}\n"
        "      - {text: B, correct: true}\n"
    )
    path = write(tmp_path / "warned.yaml", quiz)
    result = no_traceback(cli("check", "--variants", "5", str(path)))
    assert result.returncode == 0
    assert f"{path}:6: warning: steps[0] (quiz 'w'): with shuffle: false the right option is always option 2" in result.stderr
    assert result.stdout == "All lessons are fine (5 variants of every quiz checked); 1 warning.\n"
    broken = write(tmp_path / "broken.yaml", quiz.replace("prompt: Which?", "prompt: '{nope}'"))
    result = no_traceback(cli("check", "--variants", "5", str(broken)))
    assert result.returncode == 1 and result.stdout == "1 problem found.\n"

"""How ``ce-tutor serve`` starts a tab: its command line, its environment, and its -OO bytecode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ce_tutor.serve import ServeOptions
from ce_tutor.serve.server import BYTECODE_DIR, _Session, prepare_bytecode, tab_command
from ce_tutor.serve.tab import parse


def session(class_dir: Path) -> _Session:
    async def nothing(*args: object) -> None:
        return None

    return _Session("true", write_bytes=nothing, write_str=nothing, close=nothing,
                    download_manager=None, class_dir=class_dir)  # type: ignore[arg-type]


def test_a_tab_runs_the_lean_entry_point_with_oo_and_the_class_bytecode(tmp_path: Path) -> None:
    options = ServeOptions(class_dir=tmp_path / "my class", roster=tmp_path / "r.txt", lessons=[tmp_path / "more"])
    plain = tab_command(options)
    assert "-OO" not in plain and "pycache_prefix" not in plain  # bytecode not prepared: a plain Python
    options.bytecode = tmp_path / "my class" / BYTECODE_DIR
    command = tab_command(options)
    assert command.startswith("exec ")
    assert " -OO -X " in command and f"'pycache_prefix={options.bytecode}'" in command
    assert (f"-m ce_tutor.serve.tab '{tmp_path / 'my class'}' --roster {tmp_path / 'r.txt'} "
            f"--lessons {tmp_path / 'more'}") in command


def test_the_tab_reads_back_what_the_server_wrote() -> None:
    assert parse(["/c", "--roster", "/r", "--lessons", "/a", "--lessons", "/b"]) == (
        Path("/c"), Path("/r"), [Path("/a"), Path("/b")])
    assert parse(["/c"]) == (Path("/c"), None, [])
    for bad in ([], ["--roster", "/r"], ["/c", "--roster"], ["/c", "--seed", "3"], ["/c", "--lessons", ""]):
        assert parse(bad) is None


def test_the_environment_of_a_tab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    env = session(tmp_path)._build_environment(80, 24)
    assert env["CE_TUTOR_HOME"] == str(tmp_path)
    assert env["TEXTUAL_DRIVER"].endswith("WebDriver")
    assert "PYTHONDONTWRITEBYTECODE" not in env  # a tab may write to the class's bytecode cache
    assert env["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # the teacher's own setting is kept
    assert session(tmp_path)._build_environment(80, 24)["MALLOC_ARENA_MAX"] == "4"


def test_the_bytecode_is_compiled_without_docstrings_into_the_class_folder(tmp_path: Path) -> None:
    options = ServeOptions(class_dir=tmp_path)
    assert prepare_bytecode(options) is None
    assert options.bytecode == tmp_path / BYTECODE_DIR
    compiled = {p.name for p in options.bytecode.rglob("*.opt-2.pyc")}
    for module in ("app", "who", "player", "tab", "web_driver"):
        assert any(name.startswith(module + ".") for name in compiled), module
    assert all(".opt-2." in p.name for p in options.bytecode.rglob("*.pyc"))  # only -OO bytecode


def test_when_the_bytecode_cannot_be_prepared_tabs_run_plain_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "bytecode").write_text("not a folder")
    options = ServeOptions(class_dir=tmp_path)
    warning = prepare_bytecode(options)
    assert warning is not None and "could not be prepared" in warning and str(tmp_path) in warning
    assert options.bytecode is None and "-OO" not in tab_command(options)


def test_the_tab_refuses_a_command_line_it_did_not_get_from_the_server(tmp_path: Path, capsys, monkeypatch) -> None:
    from ce_tutor.serve.tab import main

    assert main(["--roster", "r.txt"]) == 2
    assert "usage: python -m ce_tutor.serve.tab CLASS_DIR" in capsys.readouterr().err
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)  # and pytest's stdin is not a terminal
    assert main([str(tmp_path)]) == 2
    assert "runs in 'ce-tutor serve'" in capsys.readouterr().err

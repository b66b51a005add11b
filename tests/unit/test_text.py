"""Untrusted text on a terminal: ce_tutor.text.safe, and the loader refusing control characters in lessons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ce_tutor.lessons.loader import load_lesson
from ce_tutor.lessons.problems import LessonLoadError, Problem
from ce_tutor.text import BIDI, escape_json, safe, unsafe_character

HOSTILE = Path(__file__).parents[1] / "data" / "hostile"
#: Every character a terminal could obey, or that reorders a line: C0 but tab and newline, DEL, C1, bidi.
CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}]")


def test_safe_shows_control_characters_as_escapes_and_drops_bidi_overrides():
    assert safe("title \x1b]52;c;ZXZpbA==\x07 end") == "title \\x1b]52;c;ZXZpbA==\\x07 end"
    assert safe("\x9b2J\x00\x7f") == "\\x9b2J\\x00\\x7f"
    assert safe("No \u202eseY \u2067x\u2069") == "No seY x"
    assert safe("two\nlines\twith a tab") == "two\nlines\twith a tab"
    assert safe("two\nlines\t!", one_line=True) == "two\\nlines\\t!"
    assert safe("σ(z) ≈ 0.57 → −log p ✓") == "σ(z) ≈ 0.57 → −log p ✓"
    assert safe(Problem("a\x1b.yaml", 3, "bad \x9b")) == "a\\x1b.yaml:3: bad \\x9b"
    assert str(Problem("a\nb.yaml", 3, "unknown key 'x\nb.yaml:1: fine'")) == (
        "a\\nb.yaml:3: unknown key 'x\\nb.yaml:1: fine'")  # one problem, one line


@given(st.text().filter(lambda t: "\\" not in t))
def test_safe_leaves_no_control_character_and_changes_nothing_else(text):
    shown = safe(text)
    assert not CONTROL.search(shown)
    undone = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), shown)
    assert undone == "".join(c for c in text if c not in BIDI)  # only escaped, or dropped if bidi
    assert (unsafe_character(text) is None) == (shown == text)


@given(st.recursive(st.text() | st.integers() | st.none(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_escape_json_is_the_same_json_value_without_control_characters(value):
    text = escape_json(json.dumps(value, ensure_ascii=False))
    assert not CONTROL.search(text)
    assert json.loads(text) == value


EXPECTED = {  # file: (line, character named in the message)
    "untrusted-osc52.yaml": (5, "U+001B (ESC)"),
    "untrusted-title.yaml": (5, "U+001B (ESC)"),
    "untrusted-clear.yaml": (10, "U+001B (ESC)"),
    "untrusted-c1-csi.yaml": (14, "U+009B (CSI)"),
    "untrusted-nul.yaml": (9, "U+0000 (NUL)"),
    "untrusted-bidi.yaml": (13, "U+202E (right-to-left override)"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_loader_refuses_control_characters_that_yaml_escapes_decode(name):
    path = HOSTILE / name
    assert not CONTROL.search(path.read_text(encoding="utf-8").replace("\u2067", "").replace("\u2069", ""))
    with pytest.raises(LessonLoadError) as caught:
        load_lesson(path)
    line, character = EXPECTED[name]
    first = caught.value.problems[0]
    assert (first.path, first.line) == (str(path), line)
    assert character in first.message and "not allowed" in first.message
    assert not CONTROL.search(str(first))


def test_a_raw_bidi_character_in_a_block_is_refused_on_its_own_line():
    with pytest.raises(LessonLoadError) as caught:
        load_lesson(HOSTILE / "untrusted-bidi.yaml")
    assert [(p.line, p.message.split(":")[0]) for p in caught.value.problems] == [
        (13, "steps[0].choices[1].text"), (16, "steps[0].choices[1].feedback")]


def test_a_key_with_a_control_character_is_refused(tmp_path):
    path = tmp_path / "key.yaml"
    path.write_text('schema_version: 1\nid: k\ntitle: t\nsummary: s\nsteps:\n  - type: prose\n'
                    '    "te\\ext": hi\n', encoding="utf-8")
    with pytest.raises(LessonLoadError) as caught:
        load_lesson(path)
    assert any(p.line == 7 and "(a key)" in p.message and "U+001B" in p.message for p in caught.value.problems)
    assert not any(CONTROL.search(str(p)) for p in caught.value.problems)

"""Every example in docs/authoring.md marked ``<!-- checked: steps -->`` passes ``ce-tutor check``.

Such an example is a YAML mapping with ``steps`` (and optionally ``values``); the test wraps it in a lesson
with an id, a title and a summary, and checks it with the shipped lessons alongside.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ce_tutor.lessons.check import check_paths

AUTHORING = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
_EXAMPLE = re.compile(r"<!-- checked: steps -->\n```yaml\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def examples() -> list[str]:
    return _EXAMPLE.findall(AUTHORING.read_text(encoding="utf-8"))


def test_the_guide_has_checked_examples() -> None:
    text = AUTHORING.read_text(encoding="utf-8")
    assert len(examples()) == text.count("<!-- checked: steps -->") >= 1


@pytest.mark.parametrize("index", range(len(examples())))
def test_a_documented_example_passes_the_checker(index: int, tmp_path: Path) -> None:
    body = yaml.safe_load(examples()[index])
    assert set(body) <= {"values", "steps"}, "an example holds steps and values only"
    lesson = {"schema_version": 1, "id": f"doc-example-{index}", "title": "Example", "summary": "An example.",
              **body}
    path = tmp_path / f"example-{index}.yaml"
    path.write_text(yaml.safe_dump(lesson, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert [str(p) for p in check_paths([path], variants=200)] == []

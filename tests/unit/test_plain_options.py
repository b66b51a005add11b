"""Options of the plain mode that reach the session: ``--no-charts`` and ``CE_TUTOR_CHARTS=0``."""

from __future__ import annotations

import pytest

from ce_tutor import plain
from ce_tutor.cli import _route, build_parser


@pytest.mark.parametrize(("argv", "environ", "charts"), [
    (["--plain"], {}, True),
    (["--plain", "--no-charts"], {}, False),
    (["--plain"], {"CE_TUTOR_CHARTS": "0"}, False),
    (["--plain"], {"CE_TUTOR_CHARTS": "1"}, True),
])
def test_charts_can_be_left_out(argv, environ, charts, tmp_path, monkeypatch):
    monkeypatch.delenv("CE_TUTOR_CHARTS", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    seen = {}

    def run(self, lesson_id):
        seen["charts"] = self.charts
        return 0

    monkeypatch.setattr(plain.PlainTutor, "run", run)
    args = build_parser().parse_args(_route([*argv, "--data-dir", str(tmp_path)]))
    assert plain.run_plain(args) == 0
    assert seen["charts"] is charts

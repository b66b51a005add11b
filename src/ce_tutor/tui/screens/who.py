"""Who is learning? The first screen of a class session (``ce-tutor serve``): a name, or a join code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from ce_tutor.tui.screens.base import TutorScreen


@dataclass(frozen=True)
class Learner:
    """Who signed in, where their progress goes and the quiz seed they get."""

    name: str
    data_dir: Path
    seed: int


class WhoScreen(TutorScreen[Learner]):
    """Asks for the learner's name (or, with a roster, their join code) and dismisses with a
    :class:`Learner`. A refused name or code says why and lets the learner try again."""

    CSS_PATH = "who.tcss"

    def __init__(self, class_dir: Path, roster: Path | None = None) -> None:
        super().__init__()
        self.class_dir = class_dir
        self.roster = roster

    def compose(self) -> ComposeResult:
        asks = "your join code" if self.roster else "your name"
        with Vertical(id="who"):
            yield Static("Welcome to ce-tutor", id="who-title")
            yield Static(f"Type {asks} and press Enter. Your progress is kept under it, so you can come "
                         "back later, from any browser tab, and carry on.", id="who-text")
            yield Input(placeholder="join code" if self.roster else "your name", id="who-input",
                        password=self.roster is not None, max_length=200)
            yield Static("", id="who-message", markup=False)
            yield Static("Enter sign in · ctrl+q leave", id="who-keys")

    def on_mount(self) -> None:
        super().on_mount()
        self.focus_soon(self.query_one(Input))

    _refused = ""
    _wrong_codes = 0

    def _refuse_code(self, box: Input) -> None:
        """After three wrong codes, each further one makes the learner wait longer (1, 2, 4 ... 30 s), so
        that codes cannot be guessed by trying many."""
        self._wrong_codes += 1
        message = "That join code is not on this class's roster. Check it and try again."
        wait = min(2 ** (self._wrong_codes - 3), 30) if self._wrong_codes >= 3 else 0
        if not wait:
            self._say(message)
            return
        box.disabled = True
        self._say(f"{message} (Wait {wait:g} s.)")

        def again() -> None:
            box.disabled = False
            self.focus_soon(box)

        self.set_timer(wait, again)

    def _say(self, message: str, refused: str = "") -> None:
        self._refused = refused
        self.query_one("#who-message", Static).update(message)

    @on(Input.Changed)
    def _typing(self, event: Input.Changed) -> None:
        if event.value and event.value != self._refused:  # a new try: the last refusal no longer applies
            self._say("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        from ce_tutor.classroom import (ClassError, class_seed, clean_name, enter_learner, learner_seed,
                                        read_roster, slug)

        try:
            if self.roster is not None:
                entry = read_roster(self.roster).find(event.value)
                if entry is None:
                    event.input.clear()
                    self._refuse_code(event.input)
                    return
                name = entry.name
            else:
                name = event.value
            data_dir = enter_learner(self.class_dir, name)
            seed = learner_seed(class_seed(self.class_dir), slug(name))
        except ClassError as exc:
            self._say(str(exc), event.value)
            return
        self.dismiss(Learner(clean_name(name), data_dir, seed))

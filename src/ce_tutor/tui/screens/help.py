"""The keys, on one overlay (``?``)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from ce_tutor.tui.screens.base import TutorModal

Section = tuple[str, tuple[tuple[str, str], ...]]

LEFT: tuple[Section, ...] = (
    ("Everywhere", (
        ("?", "this help"),
        ("ctrl+p", "commands: review, open a lesson, reset progress, theme"),
        ("ctrl+q", "quit (ctrl+c too); progress is always saved"),
    )),
    ("Lesson list", (
        ("↑ ↓", "choose a lesson"),
        ("Enter", "open it where you left it"),
    )),
    ("In a lesson", (
        ("n  →", "next step; on the last one, finish"),
        ("p  ←", "previous step"),
        ("Esc", "back to the lesson list"),
        ("↑ ↓", "scroll a long text (PgUp PgDn too)"),
    )),
    ("Review (first row of the list)", (
        ("n", "next quiz; skips an unfinished one"),
        ("Esc", "back to the lesson list"),
    )),
)
RIGHT: tuple[Section, ...] = (
    ("Explorers", (
        ("← →  + −", "move the chosen value; n and p still change steps"),
        ("shift+← →", "big steps (PgUp PgDn too)"),
        ("↑ ↓  Tab", "choose a value"),
        ("0  r", "put every value back"),
        ("Home End", "scroll, when the terminal is short"),
    )),
    ("Quizzes", (
        ("Enter", "into the answer box (Tab too), then check"),
        ("ctrl+t", "a hint"),
        ("ctrl+o", "the worked solution"),
        ("ctrl+r", "new numbers"),
        ("Esc", "leave the box, so that n and p work"),
    )),
)


def keys_table(sections: tuple[Section, ...]) -> Group:
    """Each section's title over a two-column table of keys and what they do."""
    parts: list[Text | Table] = []
    for i, (title, rows) in enumerate(sections):
        parts.append(Text(("\n" if i else "") + title, style="bold underline"))
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True, style="bold", width=9)
        table.add_column(ratio=1)
        for key, what in rows:
            table.add_row(key, what)
        parts.append(table)
    return Group(*parts)


class HelpScreen(TutorModal[None]):
    """Every key, grouped by where it works. Esc, ? or q closes it."""

    CSS_PATH = "help.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide")]
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with VerticalScroll():
                with Horizontal(id="columns"):
                    yield Static(keys_table(LEFT), classes="column")
                    yield Static(keys_table(RIGHT), classes="column")
            yield Static("↑ ↓ scroll · Esc close", id="help-close")

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys"
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)

"""What every screen of the app shares: the too-small-terminal guard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from textual import events
from textual.screen import ModalScreen, Screen

from ce_tutor.tui.widgets.too_small import TooSmall, is_too_small

if TYPE_CHECKING:
    from textual.geometry import Size
    from textual.widget import Widget

TOO_SMALL = "-too-small"
R = TypeVar("R")


class TutorScreen(Screen[R], Generic[R]):
    """A screen that, below the minimum terminal size, shows only :class:`TooSmall` and ignores keys.

    The app stylesheet hides every other child of a screen with the ``-too-small`` class; focus is taken
    away (and given back after resizing) so that no hidden widget reacts to keys.
    """

    _focus_before: Widget | None = None

    def on_mount(self) -> None:
        self.mount(TooSmall())
        self.fit_size(self.app.size)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_size(event.size)

    def on_screen_resume(self) -> None:
        self.fit_size(self.app.size)

    @property
    def too_small(self) -> bool:
        return self.has_class(TOO_SMALL)

    def fit_size(self, size: Size) -> None:
        small = is_too_small(size.width, size.height)
        if small == self.too_small:
            return
        self.set_class(small, TOO_SMALL)
        if small:
            self._focus_before = self.focused
            self.set_focus(None)
        elif self._focus_before is not None and self._focus_before.is_attached:
            self.set_focus(self._focus_before)
            self._focus_before = None
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.too_small


class TutorModal(ModalScreen[R], TutorScreen[R]):
    """A dialog with the same guard."""

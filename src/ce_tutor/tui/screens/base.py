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
    """A screen that, below the minimum terminal size, shows only :class:`TooSmall` and ignores input.

    The app stylesheet hides every other child of a screen with the ``-too-small`` class; they are also
    disabled (so nothing hidden can be focused, clicked or typed into), and the focus comes back where it
    was once the terminal is big enough.
    """

    _focus_before: Widget | None = None

    def on_mount(self) -> None:
        self.fit_size(self.app.size)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_size(event.size)

    def on_screen_resume(self) -> None:
        self.fit_size(self.app.size)

    @property
    def too_small(self) -> bool:
        return self.has_class(TOO_SMALL)

    def fit_size(self, size: Size) -> None:
        """Show the screen or the too-small message, as ``size`` allows (also after mounting children)."""
        small = is_too_small(size.width, size.height)
        changed = small != self.too_small
        if changed and small:
            self._focus_before = self.focused
            if not self.query_children(TooSmall):  # mounted the first time it is needed: most never are
                self.mount(TooSmall())
        self.set_class(small, TOO_SMALL)
        for child in self.children:
            if not isinstance(child, TooSmall):
                child.disabled = small
        if changed and not small:
            self.focus_soon(self._focus_before)
        if changed:
            self.refresh_bindings()

    def focus_soon(self, widget: Widget | None) -> None:
        """Focus ``widget`` now, or once the terminal is big enough."""
        if self.too_small:
            self._focus_before = widget
        elif widget is not None and widget.is_attached:
            widget.focus()
            self._focus_before = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.too_small


class TutorModal(ModalScreen[R], TutorScreen[R]):
    """A dialog with the same guard."""

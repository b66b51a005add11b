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

    #: Keys that act while the screen loads, as long as no key is waiting: they mean the same whatever is
    #: loading (moving between steps). Quitting and Esc never wait (TutorApp.KEYS_AT_ONCE).
    KEYS_WHILE_LOADING: frozenset[str] = frozenset()
    _loading = False
    _holds = 0

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

    # -- keys typed while the screen loads -----------------------------------------------------------------
    # The app hands the keys to the widgets one at a time (TutorApp.on_event), and asks the screen first
    # whether it can take one now: while it loads (a step being computed and drawn), the keys wait, in
    # order, and once what loaded is on the screen and focused they go on, each as if typed then.
    def takes_key_now(self, event: events.Key) -> bool:
        """False while this screen loads (for the keys that must wait for what is loading)."""
        return not self._loading or event.key in self.KEYS_WHILE_LOADING

    def hold_keys(self) -> int:
        """From now until :meth:`release_keys` is called with what this returns, the keys typed wait."""
        self._loading = True
        self._holds += 1
        return self._holds

    def release_keys(self, holds: int) -> None:
        """What was loading (since ``holds = hold_keys()``) is on the screen: the keys that waited go on.
        Call it in the app's loop, after the focus has moved (``app.call_later`` after ``focus()``). If
        something else started loading since, the keys wait for that."""
        if holds != self._holds:
            return
        self._loading = False
        keys_ready = getattr(self.app, "keys_ready", None)
        if keys_ready is not None:
            keys_ready()


class TutorModal(ModalScreen[R], TutorScreen[R]):
    """A dialog with the same guard."""

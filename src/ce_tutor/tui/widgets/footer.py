"""The key bar at the bottom of the screens: Textual's Footer, without the FooterKeys it keeps alive."""

from __future__ import annotations

from textual.widgets import Footer


class TutorFooter(Footer):
    """Textual's :class:`~textual.widgets.Footer`, which lets go of the keys it has removed.

    ``Footer.compose`` binds every ``FooterKey`` to the footer's ``compact`` reactive with ``data_bind``,
    which adds a watcher (the key and a closure holding it) to the footer's list of ``compact`` watchers.
    The footer recomposes whenever the bindings change (the focus moves, the player shows another step):
    the old keys are removed, but Textual drops the watchers of closed nodes only when ``compact`` itself
    changes, which it never does here. So every removed key, with its styles and render caches, stayed
    alive as long as the footer: about 300 keys by the end of the softmax lesson (2.6 MiB of the peak RSS),
    and on the browser, which lives as long as the app, six more each time a lesson is left (Textual 8.2.8).

    After each recompose, ``mutate_reactive`` runs the ``compact`` watchers again (the live keys get the
    value they already have), and in doing so Textual prunes the watchers whose node is closing.
    """

    async def recompose(self) -> None:
        await super().recompose()
        if self.is_attached:
            self.mutate_reactive(Footer.compact)

"""Workarounds for Textual bugs that cost ce-tutor memory or end it for nothing. Each one checks that the
bug is there before it changes anything, so that it steps aside once Textual is fixed.

(The Footer's leak is worked around by :class:`ce_tutor.tui.widgets.footer.TutorFooter`.)
"""

from __future__ import annotations

import codecs
import functools

from rich.style import Style
from textual._styles_cache import StylesCache
from textual.color import Color

__all__ = ["stop_styles_cache_leak", "tolerate_bad_input_bytes"]


def stop_styles_cache_leak() -> bool:
    """Keep ``StylesCache.get_inner_outer`` from holding every widget's render cache alive.

    Textual (8.2.8) decorates the instance method ``StylesCache.get_inner_outer`` with
    ``functools.lru_cache(1024)``, so each call's key holds the ``StylesCache`` it was called on, and with
    it every line that widget ever rendered, long after the widget is gone (Textualize/textual#6665). Each
    step of a lesson mounts new widgets: by the end of the softmax lesson about 300 dead caches with 1,700
    Strips held 1.6 MiB of the peak RSS.

    The method never uses its first argument; this makes it a static method cached on the two colours
    alone. Returns True when it did so, False when ``get_inner_outer`` is not (or no longer) an
    ``lru_cache`` on an instance method, as after a fix upstream or a second call.
    """
    method = StylesCache.__dict__.get("get_inner_outer")
    if isinstance(method, staticmethod | classmethod) or not hasattr(method, "cache_clear"):
        return False
    compute = method.__wrapped__

    @functools.lru_cache(maxsize=1024)
    def get_inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
        return compute(StylesCache, base_background, background)

    method.cache_clear()  # lets go of the caches it holds already
    StylesCache.get_inner_outer = staticmethod(get_inner_outer)  # type: ignore[method-assign,assignment]
    return True


def tolerate_bad_input_bytes() -> bool:
    """Let one byte on the terminal's input that is not UTF-8 become U+FFFD instead of ending the app.

    Textual's Linux driver (8.2.8) decodes its input with a strict UTF-8 decoder; a stray byte (a paste
    from a Latin-1 terminal, line noise over SSH) raises UnicodeDecodeError in its input thread, which
    makes the app panic and exit, silently and with status 0. The driver makes its decoder with the
    ``getincrementaldecoder`` it imported; this gives it one that replaces bad bytes. Returns True when
    it did so, False when the driver does not work that way (another platform, a later Textual).
    """
    try:
        from textual.drivers import linux_driver
    except ImportError:  # not on this platform
        return False
    if getattr(linux_driver, "getincrementaldecoder", None) is not codecs.getincrementaldecoder:
        return False

    def replacing_decoder(encoding: str) -> functools.partial[codecs.IncrementalDecoder]:
        return functools.partial(codecs.getincrementaldecoder(encoding), errors="replace")

    linux_driver.getincrementaldecoder = replacing_decoder  # type: ignore[attr-defined]
    return True

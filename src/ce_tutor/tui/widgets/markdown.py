"""Markdown for lesson text: fenced blocks without a language are shown as they are.

Textual would guess the language of such a block with Pygments, which loads every lexer it has (about
18 MiB and a tenth of a second, on the app's thread). Lesson fences hold formulas, not code.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence


class PlainFence(MarkdownFence):
    """A fenced or indented block; highlighted only when it names its language."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        if not language:
            return Content(code)
        return super().highlight(code, language, ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    """Textual's Markdown with :class:`PlainFence` for code blocks."""

    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}

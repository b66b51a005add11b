"""ce-tutor: a terminal tutor that teaches cross-entropy.

The package is layered: ``ce_tutor.core`` is the numpy-only numeric core; ``formula``, ``lessons``,
``quiz`` and ``progress`` are the domain (no UI); ``tui`` (Textual), ``plain`` (line mode) and ``cli``
sit on top. Keep this module import-free so that ``ce-tutor --version`` stays instant.
"""

__version__ = "0.1.0"

"""Lessons: the YAML format (``schema``), loading and checking, placeholders and computed values.

Domain code: no UI imports. ``ce_tutor.tui`` and ``ce_tutor.plain`` present what this package computes.
"""

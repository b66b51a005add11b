"""A structural check of lesson objects that did not come from the loader (the lesson cache), without pydantic.

The loader validates a lesson file with pydantic; what the cache reads back was built by unpickling, which
checks nothing: a damaged or forged entry could hold an empty lesson, a number where text belongs, a
missing field, or text with control characters, and crash or deceive whatever shows it. :func:`conforms`
walks such an object against the schema's own annotations (types, ``Literal`` values, unions, the
``Field`` constraints: lengths, bounds, patterns), runs each class's ``__post_init__`` rules, and refuses
text that :func:`ce_tutor.text.is_safe` refuses, as the loader does. It does not re-derive what
only pydantic knows (a ``Before`` function's conversion): what it accepts is what the loader could have
produced, in type and bounds.

The checkers are built once per annotation, so a lesson costs one pass over its values. The walk is
bounded (:data:`MAX_NODES`), so an entry built to be expensive (shared or repeated structure) is refused
rather than walked for long.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from ce_tutor.lessons import schema
from ce_tutor.text import is_safe

MAX_NODES = 200_000  #: values walked per lesson at most (a lesson file of 256 KiB has far fewer)

Check = Callable[[Any, "_Budget"], bool]


class _Budget:
    __slots__ = ("left",)

    def __init__(self, nodes: int) -> None:
        self.left = nodes

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def conforms(value: Any, annotation: Any = schema.Lesson, *, max_nodes: int = MAX_NODES) -> bool:
    """Whether ``value`` is a well-formed instance of ``annotation`` (by default a whole :class:`Lesson`)."""
    try:
        return _checker(annotation)(value, _Budget(max_nodes))
    except Exception:  # noqa: BLE001 - a rule that cannot even be evaluated on this value: not well-formed
        return False


def conforms_lines(lines: Any, texts: Any, *, max_nodes: int = MAX_NODES) -> bool:
    """Whether ``lines`` and ``texts`` have the shape of :class:`~ce_tutor.lessons.files.LessonFile`'s:
    YAML paths (tuples of keys and indices) mapped to 1-based lines, and for ``texts`` to a line and the
    text of a literal block or None (only ever used to count lines, never shown)."""
    if type(lines) is not dict or type(texts) is not dict or len(lines) + len(texts) > max_nodes:
        return False
    return (all(map(_path, lines)) and all(map(_path, texts)) and all(map(_line, lines.values()))
            and all(map(_text, texts.values())))


def _path(path: Any) -> bool:
    return type(path) is tuple and len(path) <= _MAX_PATH and all(type(p) is str or type(p) is int for p in path)


def _line(line: Any) -> bool:
    return type(line) is int and line >= 1


def _text(entry: Any) -> bool:
    return type(entry) is tuple and len(entry) == 2 and _line(entry[0]) and (entry[1] is None or type(entry[1]) is str)


_MAX_PATH = 64  # deeper than the loader's nesting limit allows


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, vars(schema), include_extras=True)


@functools.cache
def _checker(annotation: Any) -> Check:
    """The check of one annotation, built once (annotations are hashable)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _constrained(_checker(args[0]), args[1:])
    if origin in (Union, types.UnionType):
        members = tuple(_checker(a) for a in args)
        return lambda v, b: any(m(v, b) for m in members)
    if origin is Literal:
        allowed = tuple(args)
        return lambda v, b: any(type(v) is type(a) and v == a for a in allowed)
    if origin is list:
        item = _checker(args[0])
        return lambda v, b: type(v) is list and b.spend() and all(item(x, b) for x in v)
    if origin is dict:
        key, val = _checker(args[0]), _checker(args[1])
        return lambda v, b: type(v) is dict and b.spend() and all(key(k, b) and val(x, b) for k, x in v.items())
    if origin is tuple:
        items = tuple(_checker(a) for a in args)
        return lambda v, b: (type(v) is tuple and len(v) == len(items) and b.spend()
                             and all(c(x, b) for c, x in zip(items, v)))
    if annotation is type(None) or annotation is None:
        return lambda v, b: v is None
    if annotation is str:
        return lambda v, b: type(v) is str and b.spend() and is_safe(v)
    if annotation is bool:
        return lambda v, b: type(v) is bool
    if annotation is int:
        return lambda v, b: type(v) is int
    if annotation is float:
        return lambda v, b: type(v) in (int, float) and math.isfinite(v)
    if annotation is Any:
        return lambda v, b: True
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _dataclass(annotation)
    raise TypeError(f"no structural check for {annotation!r}")


def _dataclass(cls: type) -> Check:
    names = [f.name for f in dataclasses.fields(cls)]
    hints = _hints(cls)
    post_init = getattr(cls, "__post_init__", None)
    checks: list[tuple[str, Check]] = []

    def check(value: Any, budget: _Budget) -> bool:
        if type(value) is not cls or not budget.spend():
            return False
        if not checks:  # built on first use: the schema's classes refer to each other
            checks.extend((name, _checker(hints[name])) for name in names)
        for name, field_check in checks:
            try:
                field = getattr(value, name)
            except AttributeError:  # a slot the pickle did not fill
                return False
            if not field_check(field, budget):
                return False
        if post_init is not None:
            try:
                post_init(value)
            except ValueError:
                return False
        return True

    return check


def _constrained(inner: Check, metadata: tuple[Any, ...]) -> Check:
    constraints: dict[str, Any] = {}
    for meta in metadata:
        if isinstance(meta, schema.Field):
            constraints.update(meta.constraints)
    rules = _rules(constraints)
    if not rules:
        return inner
    return lambda v, b: inner(v, b) and (v is None or all(rule(v) for rule in rules))


def _rules(constraints: Mapping[str, Any]) -> list[Callable[[Any], bool]]:
    rules: list[Callable[[Any], bool]] = []
    if "pattern" in constraints:
        pattern = re.compile(constraints["pattern"])
        rules.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if "min_length" in constraints:
        low = constraints["min_length"]
        rules.append(lambda v: len(v) >= low)
    if "max_length" in constraints:
        high = constraints["max_length"]
        rules.append(lambda v: len(v) <= high)
    for key, holds in (("ge", lambda v, x: v >= x), ("gt", lambda v, x: v > x),
                       ("le", lambda v, x: v <= x), ("lt", lambda v, x: v < x)):
        if key in constraints:
            bound = constraints[key]
            rules.append(functools.partial(lambda v, holds, bound: holds(v, bound), holds=holds, bound=bound))
    return rules

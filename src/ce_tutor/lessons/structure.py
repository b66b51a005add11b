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
import itertools
import math
import re
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from ce_tutor.lessons import schema
from ce_tutor.text import is_safe

MAX_NODES = 200_000  #: values walked per lesson at most (a lesson file of 256 KiB has far fewer)

Check = Callable[[Any, "_Budget"], bool]
_UNSET = object()


class _Budget:
    """Items of lists and mappings still allowed: a shared or repeated structure is refused, not walked."""

    __slots__ = ("left",)

    def __init__(self, nodes: int) -> None:
        self.left = nodes

    def spend(self, items: int = 1) -> bool:
        self.left -= items + 1
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
    paths = [*lines, *texts]
    if not set(map(type, paths)) <= {tuple} or max(map(len, paths), default=0) > _MAX_PATH:
        return False
    if not set(map(type, itertools.chain.from_iterable(paths))) <= {str, int}:
        return False
    if not set(map(type, lines.values())) <= {int} or min(lines.values(), default=1) < 1:
        return False
    entries = list(texts.values())
    if not set(map(type, entries)) <= {tuple} or not set(map(len, entries)) <= {2}:
        return False
    firsts = [entry[0] for entry in entries]
    return (set(map(type, firsts)) <= {int} and min(firsts, default=1) >= 1
            and set(type(entry[1]) for entry in entries) <= {str, type(None)})


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
        return _union(args)
    if origin is Literal:
        allowed = {(type(a), a) for a in args}
        return lambda v, b: (type(v), v) in allowed
    if origin is list:
        item = _checker(args[0])
        return lambda v, b: type(v) is list and b.spend(len(v)) and all(item(x, b) for x in v)
    if origin is dict:
        key, val = _checker(args[0]), _checker(args[1])
        return lambda v, b: (type(v) is dict and b.spend(len(v))
                             and all(key(k, b) and val(x, b) for k, x in v.items()))
    if origin is tuple:
        items = tuple(_checker(a) for a in args)
        return lambda v, b: type(v) is tuple and len(v) == len(items) and all(c(x, b) for c, x in zip(items, v))
    if annotation is type(None) or annotation is None:
        return lambda v, b: v is None
    if annotation is str:
        return lambda v, b: type(v) is str and is_safe(v)
    if annotation is bool:
        return lambda v, b: type(v) is bool
    if annotation is int:
        return lambda v, b: type(v) is int
    if annotation is float:
        return lambda v, b: (type(v) is float and math.isfinite(v)) or type(v) is int
    if annotation is Any:
        return lambda v, b: True
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _dataclass(annotation)
    raise TypeError(f"no structural check for {annotation!r}")


def _union(members: tuple[Any, ...]) -> Check:
    """A union: ``X | None`` checks X unless the value is None; a union of lesson classes goes straight to
    the value's own class; any other tries each member."""
    others = [m for m in members if m is not type(None)]
    optional = len(others) < len(members)
    classes = [_unwrap(m) for m in others]
    if all(isinstance(c, type) and dataclasses.is_dataclass(c) for c in classes):
        table = {c: _checker(m) for c, m in zip(classes, others)}

        def by_class(v: Any, b: _Budget) -> bool:
            check = table.get(type(v))
            return check is not None and check(v, b)

        inner = by_class
    elif len(others) == 1:
        inner = _checker(others[0])
    else:
        checks = tuple(_checker(m) for m in others)

        def inner(v: Any, b: _Budget) -> bool:
            return any(check(v, b) for check in checks)

    return (lambda v, b: v is None or inner(v, b)) if optional else inner


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


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
            field = getattr(value, name, _UNSET)  # a slot the pickle did not fill is unset
            if field is _UNSET or not field_check(field, budget):
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
    pattern = re.compile(constraints["pattern"]) if "pattern" in constraints else None
    shortest, longest = constraints.get("min_length"), constraints.get("max_length")
    ge, gt, le, lt = (constraints.get(k) for k in ("ge", "gt", "le", "lt"))
    if pattern is None and shortest is None and longest is None and (ge, gt, le, lt) == (None,) * 4:
        return inner

    def check(v: Any, b: _Budget) -> bool:
        if not inner(v, b):
            return False
        if v is None:
            return True
        if pattern is not None and pattern.search(v) is None:
            return False
        if (shortest is not None and len(v) < shortest) or (longest is not None and len(v) > longest):
            return False
        return ((ge is None or v >= ge) and (gt is None or v > gt)
                and (le is None or v <= le) and (lt is None or v < lt))

    return check

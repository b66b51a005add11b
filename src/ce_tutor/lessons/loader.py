"""Reading one lesson file: safe YAML with line numbers, then schema validation, every problem at once.

The YAML is read as a stream of parser events and built into plain data here, iteratively, so that:

* every value's line is known (``LessonFile.lines``), for ``file:line`` messages;
* duplicate keys, anchors and aliases, and tags other than YAML's plain ones are refused before anything
  is built from them (no alias bombs, no ``!!python/...`` objects: nothing in a file ever runs);
* nesting depth is bounded while reading, so deep input can neither recurse nor take long.

The file's size is bounded before it is read, and binary or non-UTF-8 content is refused with its line.
Schema errors from pydantic are rewritten in plain words (``steps[2]: unknown key 'promt'``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import types
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

import yaml
from pydantic import TypeAdapter, ValidationError

from ce_tutor.lessons.files import MAX_BYTES, LessonFile, YamlPath, read_bytes
from ce_tutor.lessons.files import fail as _fail
from ce_tutor.lessons.files import line_of as _line_of
from ce_tutor.lessons.problems import LessonLoadError, Problem, where
from ce_tutor.lessons.schema import SCHEMA_VERSION, DerivedSpec, Lesson, Name, Slug, Step
from ce_tutor.text import unsafe_character

__all__ = [
    "MAX_BYTES", "LessonFile", "PartialLesson", "json_schema", "load_lesson", "load_lesson_bytes",
    "load_valid_parts", "validate",
]

MAX_DEPTH = 40  #: the deepest nesting of lists and mappings
MAX_PROBLEMS = 50  #: problems listed per file; any more are counted in one last line

def load_lesson(path: str | Path) -> LessonFile:
    """Read and validate one lesson file; raise LessonLoadError listing every problem in it."""
    path = Path(path)
    return load_lesson_bytes(path, read_bytes(path))


def load_lesson_bytes(path: Path, data: bytes) -> LessonFile:
    """Validate ``data``, the bytes read from ``path`` (by :func:`read_bytes`); raise LessonLoadError."""
    name = str(path)
    text = _decode(data, name)
    try:
        reader = _Reader(text, name)
        content = reader.read()
    except yaml.YAMLError as exc:
        raise LessonLoadError([_syntax_problem(exc, text, name)]) from None
    return LessonFile(path, _validate(content, reader.lines, name), reader.lines, reader.texts)


@dataclass(frozen=True)
class PartialLesson:
    """The parts of a lesson file with schema problems that do validate, so that ``ce-tutor check`` can
    check their formulas and texts too. ``file.lesson.steps[k]`` is step ``step_index[k]`` of the file."""

    file: LessonFile
    step_index: tuple[int, ...]


def load_valid_parts(path: Path) -> PartialLesson | None:
    """For a file that reads as YAML but fails validation: its valid ``values`` and steps.

    A value that does not validate is kept as the formula ``0``, so that the formulas after it still know
    its name. None if the file cannot be read or its top level is not a mapping.
    """
    name = str(path)
    try:
        reader = _Reader(_decode(read_bytes(path), name), name)
        data = reader.read()
    except (LessonLoadError, yaml.YAMLError):
        return None
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    raw_values = data.get("values")
    if isinstance(raw_values, dict):
        for key, spec in raw_values.items():
            try:
                values.update(validate(dict[Name, DerivedSpec], {key: spec}))
            except ValidationError:
                if isinstance(key, str):
                    values[key] = "0"
    steps: list[Any] = []
    index: list[int] = []
    raw_steps = data.get("steps")
    for i, raw in enumerate(raw_steps if isinstance(raw_steps, list) else []):
        try:
            steps.append(validate(Step, raw))  # type: ignore[arg-type]
        except (ValidationError, ValueError):
            continue
        index.append(i)
    lesson_id = data.get("id")
    lesson = Lesson(
        schema_version=SCHEMA_VERSION, id=lesson_id if isinstance(lesson_id, str) else "?", title="?",
        summary="?", values=values, steps=steps,
    )
    return PartialLesson(LessonFile(path, lesson, reader.lines, reader.texts), tuple(index))


# -- bytes to text -----------------------------------------------------------------------------------------
# Characters YAML refuses (C0/C1 controls other than tab and newlines, DEL, non-characters).
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _failures(problems: list[Problem]) -> LessonLoadError:
    """At most MAX_PROBLEMS problems, then one line counting the rest (a flood helps nobody)."""
    if len(problems) <= MAX_PROBLEMS:
        return LessonLoadError(problems)
    first_hidden = problems[MAX_PROBLEMS]
    more = Problem(first_hidden.path, first_hidden.line, f"... and {len(problems) - MAX_PROBLEMS} more problems")
    return LessonLoadError([*problems[:MAX_PROBLEMS], more])


def _decode(data: bytes, name: str) -> str:
    """The text of a lesson file's bytes, refusing what is binary, not UTF-8 or empty."""
    if b"\0" in data:
        at = data.index(b"\0")
        line = data.count(b"\n", 0, at) + 1
        raise _fail(name, line, f"this is a binary file, not text (a NUL byte at byte {at})")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(name, line, f"the file is not UTF-8 text (an invalid byte at byte {exc.start})") from None
    bad = _UNPRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _fail(name, line, f"the control character U+{ord(bad.group()):04X} is not allowed in a lesson file")
    if not text.strip():
        raise _fail(name, 1, "the file is empty")
    return text


# -- text to data ------------------------------------------------------------------------------------------
_YAML_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {None, "!", *(_YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))}
_SCALARS = {"int": "a whole number", "float": "a number", "timestamp": "a date", "bool": "true or false"}
_NO_KEY = object()


@dataclass
class _Open:
    """A mapping or list being built, and (for a mapping) the key waiting for its value."""

    value: dict[Any, Any] | list[Any]
    path: YamlPath
    key: Any = _NO_KEY
    key_lines: dict[Any, int] = field(default_factory=dict)


class _Reader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Builds plain data from the parser's events, with lines, refusing what lesson files may not hold."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name
        self.problems: list[Problem] = []
        self.lines: dict[YamlPath, int] = {}
        self.texts: dict[YamlPath, tuple[int, str | None]] = {}

    def read(self) -> Any:
        """The file's one document as dicts, lists and scalars (None if there is none)."""
        try:
            root = self._build()
        finally:
            self.dispose()
        if self.problems:
            raise _failures(self.problems)
        return root

    def _events(self) -> Iterator[yaml.Event]:
        while self.check_event():
            yield self.get_event()

    def _stop(self, line: int, message: str) -> LessonLoadError:
        return _failures([*self.problems, Problem(self.name, line, message)])

    def _build(self) -> Any:
        stack: list[_Open] = []
        root: list[Any] = []  # the finished document, once there is one
        documents = 0
        for event in self._events():
            line = event.start_mark.line + 1
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self._stop(line, "a lesson file holds one YAML document; remove the second '---'")
            elif isinstance(event, yaml.CollectionEndEvent):
                self._attach(stack, stack.pop().value, root)
            elif isinstance(event, yaml.NodeEvent):
                self._node(event, line, stack, root)
        return root[0] if root else None

    def _node(self, event: yaml.NodeEvent, line: int, stack: list[_Open], root: list[Any]) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise self._stop(line, f"anchors and aliases are not allowed (found *{event.anchor})")
        if event.anchor is not None:
            raise self._stop(line, f"anchors and aliases are not allowed (found &{event.anchor})")
        if event.tag not in _PLAIN_TAGS:
            shown = "!!" + event.tag.removeprefix(_YAML_TAG) if event.tag.startswith(_YAML_TAG) else event.tag
            raise self._stop(line, f"the tag {shown} is not allowed: lesson files hold plain values only")
        top = stack[-1] if stack else None
        scalar = isinstance(event, yaml.ScalarEvent)
        if top is not None and isinstance(top.value, dict) and top.key is _NO_KEY:
            if not scalar:
                raise self._stop(line, "a key must be a plain value, not a list or a mapping")
            self._key(top, self._scalar(event, line), line)
            return
        if top is None:
            path: YamlPath = ()
        else:
            path = (*top.path, len(top.value) if isinstance(top.value, list) else top.key)
        self.lines.setdefault(path, line)  # a mapping entry keeps its key's line
        if scalar:
            value = self._scalar(event, line)
            if isinstance(value, str):
                first = line + 1 if event.style in ("|", ">") else line  # a block starts below its indicator
                self._refuse_controls(value, path, first, literal=event.style == "|")
                self.texts[path] = (first, value if event.style == "|" else None)
            self._attach(stack, value, root)
        elif len(stack) >= MAX_DEPTH:
            raise self._stop(line, f"the file is nested too deeply (more than {MAX_DEPTH} levels)")
        else:
            stack.append(_Open({} if isinstance(event, yaml.MappingStartEvent) else [], path))

    def _refuse_controls(self, text: str, path: YamlPath, line: int, *, key: bool = False,
                         literal: bool = False) -> None:
        """A problem if ``text`` (as decoded: YAML's escapes such as ``"\\e"`` or ``"\\x9b"`` are undone by
        now) holds a character that could drive the learner's terminal or reorder a line. ``line``: where the
        text starts (in a ``|`` block, ``literal``, the line of the character itself is given)."""
        found = unsafe_character(text)
        if found is None:
            return
        offset, character = found
        if literal:
            line += text.count("\n", 0, offset)
        place = where(path) + (" (a key)" if key else "")
        message = (f"the character {character} is not allowed (character {offset + 1} of the text): control "
                   "characters and bidi overrides could take over the learner's terminal")
        self.problems.append(Problem(self.name, line, f"{place.strip()}: {message}" if place.strip() else message))

    def _key(self, top: _Open, key: Any, line: int) -> None:
        if isinstance(key, str):
            self._refuse_controls(key, top.path, line, key=True)
        if key in top.value:
            message = f"duplicate key {_show(key)} (first on line {top.key_lines[key]})"
            self.problems.append(Problem(self.name, line, message))
        else:
            top.key_lines[key] = line
        top.key = key
        self.lines[(*top.path, key)] = line

    @staticmethod
    def _attach(stack: list[_Open], value: Any, root: list[Any]) -> None:
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            top.value[top.key] = value
            top.key = _NO_KEY

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        tag = event.tag
        if tag in (None, "!"):
            tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
        construct = self.yaml_constructors.get(tag, yaml.SafeLoader.construct_yaml_str)  # '<<', '=': text
        try:
            return construct(self, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
        except (ValueError, yaml.YAMLError):
            what = _SCALARS.get(tag.removeprefix(_YAML_TAG), "a value")
            raise self._stop(line, f"cannot read {_show(event.value)} as {what} (quotes make it text)") from None


_YAML_WORDS = {
    "flow sequence": "[...] list", "flow mapping": "{...} mapping", "block mapping": "mapping",
    "block collection": "list", "block sequence": "list", "quoted scalar": "quoted text",
    "plain scalar": "text", "block scalar": "block of text", "simple key": "key",
}


def _syntax_problem(exc: yaml.YAMLError, text: str, name: str) -> Problem:
    """A YAML syntax error in plain words, on the line where the parser stopped."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    row = mark.line if mark is not None else 0
    rows = text.splitlines()
    source = rows[row] if row < len(rows) else ""
    if "\t" in source[: len(source) - len(source.lstrip(" \t"))]:
        return Problem(name, row + 1, "a tab is used for indentation; YAML needs spaces there")
    words = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None and start.line != row:
        words += f" ({context} that starts on line {start.line + 1})"
    for jargon, plain in _YAML_WORDS.items():
        words = words.replace(jargon, plain)
    return Problem(name, row + 1, f"not valid YAML: {words}")


# -- data to a Lesson ---------------------------------------------------------------------------------------
def _validate(data: Any, lines: Mapping[YamlPath, int], name: str) -> Lesson:
    if data is None:
        raise _fail(name, 1, "the file is empty")
    if not isinstance(data, dict):
        raise _fail(name, 1, f"the top level must be a mapping (schema_version: 1, id: ..., ...), not {_kind(data)}")
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        line = lines.get(("schema_version",), 1)
        message = f"schema_version {version} is newer than this ce-tutor understands ({SCHEMA_VERSION})"
        raise _fail(name, line, message)
    try:
        return validate(Lesson, data)
    except ValidationError as exc:
        issues = _select([_issue(error, data) for error in exc.errors(include_url=False)], data)
        problems = {_problem(issue, lines, name) for issue in issues}
        raise _failures(sorted(problems, key=lambda p: (p.line or 0, p.message))) from None


_T = TypeVar("_T")


def validate(cls: type[_T], data: Any) -> _T:
    """``data`` (plain dicts and lists) validated as a ``cls`` from :mod:`ce_tutor.lessons.schema`.

    Raises pydantic's ValidationError; :func:`load_lesson` turns those into plain-worded problems.
    """
    return _adapter(cls).validate_python(data)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a lesson file."""
    return _adapter(Lesson).json_schema()


@functools.cache
def _adapter(cls: type[_T]) -> TypeAdapter[_T]:
    return TypeAdapter(cls)


@dataclass
class _Issue:
    """One pydantic error, located in the data; ``branches`` are the union members its location passed."""

    path: YamlPath
    branches: list[tuple[int, str]]  # (depth in path, member tag)
    loc: tuple[Any, ...]  # pydantic's location, tags included (to find the model for "did you mean")
    error: Mapping[str, Any]
    key_error: bool = False  # about a mapping's key rather than its value


def _issue(error: Mapping[str, Any], data: Any) -> _Issue:
    loc = error["loc"][:-1] if error["type"] == "missing" else error["loc"]
    path: list[Any] = []
    branches: list[tuple[int, str]] = []
    node, key_error, step_tag = data, False, False
    for part in loc:
        if part == "[key]":
            key_error = True
        elif step_tag and isinstance(node, dict) and part == node.get("type"):
            step_tag = False  # the step type pydantic puts after a step's index
        elif (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
            step_tag = len(path) == 2 and path[0] == "steps"
        else:
            branches.append((len(path), _member(part)))
    return _Issue(tuple(path), branches, tuple(error["loc"]), error, key_error)


_WRAPPED = re.compile(r"function-(?:after|before|wrap|plain)\[.*?\(\), (.*)\]")


def _member(tag: Any) -> Any:
    """A union member's name without pydantic's validator wrappers.

    ``function-after[_ordered(), Uniform]`` is ``Uniform``; a string type, constrained or not, is
    ``constrained-str`` (so a formula reads the same whatever validators it has).
    """
    if not isinstance(tag, str):
        return tag
    while match := _WRAPPED.fullmatch(tag):
        tag = match.group(1)
    return "constrained-str" if tag == "str" else tag


def _rejects(issue: _Issue, depth: int) -> bool:
    """Whether a union member refused the value's type outright (it cannot be what the author meant)."""
    return len(issue.path) == depth and issue.error["type"].endswith(("_type", "_parsing"))


def _select(issues: list[_Issue], data: Any) -> list[_Issue]:
    """Keep plain issues; of each union, keep only the issues of the member the author most likely meant."""
    kept = [i for i in issues if not i.branches]
    unions: dict[YamlPath, dict[str, list[_Issue]]] = defaultdict(lambda: defaultdict(list))
    for issue in issues:
        if issue.branches:
            depth, tag = issue.branches[0]
            unions[issue.path[:depth]][tag].append(issue)
    for prefix, members in unions.items():
        fits = {tag: found for tag, found in members.items() if not any(_rejects(i, len(prefix)) for i in found)}
        fewest = min((len(found) for found in fits.values()), default=0)
        best = [found for found in fits.values() if len(found) == fewest]
        if len(best) == 1:
            for issue in best[0]:
                issue.branches.pop(0)
            kept += _select(best[0], data)
        else:
            error = {"type": "union", "input": _at(data, prefix), "members": tuple(members)}
            kept.append(_Issue(prefix, [], (), error))
    return kept


def _at(data: Any, path: YamlPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _problem(issue: _Issue, lines: Mapping[YamlPath, int], name: str) -> Problem:
    kind, error, path = issue.error["type"], issue.error, issue.path
    line_path = path
    if kind in _UNKNOWN_KEY or issue.key_error:
        place = where(path[:-1]) + (f" (key {_show(path[-1])})" if issue.key_error else "")
        if kind in _UNKNOWN_KEY:
            text = f"unknown key {_show(path[-1])}{_did_you_mean(path[-1], issue.loc[:-1])}"
        else:
            text = _describe(kind, error)
    elif kind == "missing":
        missing = error["loc"][-1]
        place = where(path)
        text = f"item {missing + 1} is missing" if isinstance(missing, int) else f"missing key {_show(missing)}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        place = where(path)
        expected = _either(_STEP_TYPES)
        if kind == "union_tag_invalid":
            line_path = (*path, "type")
            text = f"unknown step type {_show(error['ctx']['tag'])} (expected {expected})"
        else:
            text = f"missing key 'type' (a step is one of: {expected})"
    else:
        place, text = where(path), _describe(kind, error)
    line = lines.get(line_path) or _line_of(lines, path) or 1
    return Problem(name, line, f"{place}: {text}" if place else text)


_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")  # a model's and a dataclass's word for it


def _describe(kind: str, error: Mapping[str, Any]) -> str:
    """A pydantic error (other than unknown or missing keys) in plain words."""
    ctx, found = error.get("ctx") or {}, error.get("input")
    quote = " (put it in quotes)" if isinstance(found, (int, float)) and not isinstance(found, bool) else ""
    if kind == "union":
        members = error["members"]
        text = f"expected {_UNIONS.get(frozenset(members), _either(members))}, found {_kind(found)}"
        return text + quote * ("constrained-str" in members)
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, found {_kind(found)}{quote * (kind == 'string_type')}"
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return f"must be {word} {ctx[key]}, not {found!r}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item{'s' * (ctx['min_length'] != 1)}"
    if kind == "too_long":
        return f"has {ctx['actual_length']} items; at most {ctx['max_length']} are allowed"
    if kind == "string_too_short":
        return "must not be empty" if ctx["min_length"] == 1 else f"needs at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"is too long ({len(found)} characters; at most {ctx['max_length']})"
    if kind == "string_pattern_mismatch":
        return f"{_show(found)} is not a valid {_PATTERNS.get(ctx['pattern'], 'value')}"
    if kind == "literal_error":
        return f"expected {ctx['expected']}, found {_kind(found)}"
    message = str(error.get("msg", kind))
    return message.removeprefix("Value error, ")


def _show(value: Any) -> str:
    return f"'{_clip(value)}'" if isinstance(value, str) else repr(value)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    """How a found value is described: "a list", "the number 5", "the text 'abc'"."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    return {dict: "a mapping", list: "a list"}.get(type(value), f"a {type(value).__name__}")


def _either(words: Any) -> str:
    words = [str(w) for w in words]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _pattern(annotated: Any) -> str:
    return next(m.constraints["pattern"] for m in get_args(annotated)[1:] if "pattern" in m.constraints)


_PATTERNS = {
    _pattern(Name): "name (a letter or _, then letters, digits or _; at most 32 characters)",
    _pattern(Slug): "id (lower-case letters, digits, - and _, starting with a letter or digit; at most 48)",
}
_TYPES = {
    "string_type": "text", "float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number", "bool_type": "true or false",
    "bool_parsing": "true or false", "list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "dataclass_type": "a mapping",
    "dataclass_args_type": "a mapping", "finite_number": "a finite number",
}
_BOUNDS = {
    "greater_than": ("more than", "gt"), "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"), "less_than_equal": ("at most", "le"),
}
_UNIONS = {
    frozenset({"constrained-str", "Derived"}): "a formula, or a mapping {formula: ..., round: ...}",
    frozenset({"float", "constrained-str"}): "a number or a formula",
    frozenset({"bool", "constrained-str"}): "true, false or a formula",
    frozenset({"Uniform", "Normal", "RandInt", "Choice"}): (
        "one of {uniform: [low, high]}, {normal: [mean, sd]}, {randint: [low, high]} or {choice: [...]}"
    ),
}


# -- "did you mean": the fields of the class a pydantic location points into ------------------------------
def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


@functools.cache
def _fields(model: type) -> dict[str, Any]:
    """A lesson class's fields and their types (the schema's annotations are strings until resolved)."""
    return get_type_hints(model, include_extras=True)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] (a union with None and one other type)."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType) and len(members := _members(tp)) == 1:
            tp = members[0]
        else:
            return tp


def _members(tp: Any) -> list[Any]:
    return [_unwrap(m) for m in get_args(tp) if m is not type(None)]


def _inside(tp: Any, part: Any) -> Any:
    """The type found at ``part`` (a field, key, index or union member tag) inside ``tp``, or None."""
    tp = _unwrap(tp)
    if _is_model(tp):
        return _fields(tp).get(part)
    if get_origin(tp) in (Union, types.UnionType):
        return next((m for m in _members(tp) if _is_model(m) and part in (m.__name__, _step_type(m))), None)
    args = get_args(tp)
    return args[-1] if get_origin(tp) in (list, dict, tuple) and args else None


def _step_type(model: type) -> str | None:
    annotation = _fields(model).get("type")
    return get_args(annotation)[0] if annotation else None


def _did_you_mean(key: Any, loc: tuple[Any, ...]) -> str:
    tp: Any = Lesson
    for part in loc:
        tp = _inside(tp, part) if tp is not None else None
    tp = _unwrap(tp)
    close = difflib.get_close_matches(str(key), list(_fields(tp)), n=1) if _is_model(tp) else []
    return f" (did you mean '{close[0]}'?)" if close else ""


_STEP_TYPES = [_step_type(m) for m in _members(_unwrap(_inside(_inside(Lesson, "steps"), 0)))]

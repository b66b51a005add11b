"""A class folder: who the learners are, where each one's progress lives, and the class's quiz seed.

``ce-tutor serve --class DIR`` keeps everything of a class in ``DIR``::

    DIR/class.json                  {"format": "ce-tutor-class", "version": 1, "seed": N}
    DIR/learners/<slug>/            one data dir per learner (progress.sqlite3, its lesson cache)
    DIR/learners/<slug>/learner.json  {"name": "Ada Lovelace"}: the name as the learner typed it

A learner is known by a *slug* of their name (:func:`slug`): letters and digits of any script, lower-cased,
with every other run of characters turned into one ``-``. So ``Ada Lovelace``, ``ada lovelace`` and
``ADA-LOVELACE`` are one learner, and no name can make a path outside ``DIR/learners`` (:func:`learner_dir`
checks that too). With a roster (:func:`read_roster`) learners sign in with a join code instead of a name;
codes are compared in constant time (:func:`Roster.find`).

No UI here: the app's sign-in screen, the web server and the gradebook all use this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

CLASS_FILE = "class.json"
CLASS_FORMAT = "ce-tutor-class"
CLASS_VERSION = 1
LEARNERS = "learners"
LEARNER_FILE = "learner.json"
MAX_NAME = 64
MAX_CODE = 64
MAX_ROSTER_BYTES = 1_000_000
MAX_CLASS_FILE_BYTES = 10_000


class ClassError(Exception):
    """A class folder, roster or name problem; ``str(error)`` is the message to show."""


# -- names -------------------------------------------------------------------------------------------------
def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a learner's name, or None if it can (leading/trailing spaces are ignored)."""
    text = name.strip()
    if not text:
        return "Please type your name."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for c in text):
        return "A name cannot contain control or invisible characters."
    if len(text) > MAX_NAME:
        return f"That name is too long: at most {MAX_NAME} characters, please."
    if ".." in text or "/" in text or "\\" in text:
        return "A name cannot contain '..', '/' or '\\'."
    if not slug(text):
        return "A name needs at least one letter or digit."
    return None


def slug(name: str) -> str:
    """The folder name of a learner: letters and digits (any script) case-folded, each other run a ``-``.

    The result is empty or matches ``[^\\W_]+(-[^\\W_]+)*``: never ``.``, ``..``, a separator or a control
    character, and at most ``4 * MAX_NAME`` characters (case folding can lengthen a name).
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    out: list[str] = []
    dash = False
    for char in text:
        if char.isalnum() and unicodedata.category(char)[0] in "LN":
            if dash and out:
                out.append("-")
            out.append(char)
            dash = False
        else:
            dash = True
    return "".join(out)[: 4 * MAX_NAME].strip("-")


def clean_name(name: str) -> str:
    """The name to show and store: stripped, NFC, inner whitespace runs made one space."""
    return " ".join(unicodedata.normalize("NFC", name).split())


# -- roster ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RosterEntry:
    name: str
    code: str


@dataclass(frozen=True)
class Roster:
    """Learners allowed in, each with a join code."""

    entries: tuple[RosterEntry, ...]

    def find(self, code: str) -> RosterEntry | None:
        """The learner whose code is ``code`` (spaces around it ignored). Every code is compared, each in
        constant time, so the time taken says nothing about which codes exist."""
        given = code.strip().encode("utf-8")
        found: RosterEntry | None = None
        for entry in self.entries:
            if hmac.compare_digest(given, entry.code.encode("utf-8")):
                found = entry
        return found


def parse_roster(text: str, where: str = "roster") -> Roster:
    """Read a roster: one learner per line, a name then a join code, separated by a comma, a tab, or
    (when the line has neither) the last run of spaces. Blank lines and lines starting with ``#`` are
    skipped. Raises :class:`ClassError` naming ``where:line`` for the first problem."""
    entries: list[RosterEntry] = []
    slugs: dict[str, int] = {}
    codes: dict[str, int] = {}
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        at = f"{where}:{number}"
        if "," in line or "\t" in line:
            cut = max(line.rfind(","), line.rfind("\t"))
            name, code = line[:cut], line[cut + 1:]
        else:
            name, _, code = line.rpartition(" ")
        name, code = clean_name(name.strip(" \t,")), code.strip()
        if not name or not code:
            raise ClassError(f"{at}: expected a name and a join code, like 'Ada Lovelace, k7f2q9'")
        problem = name_problem(name)
        if problem:
            raise ClassError(f"{at}: {problem}")
        if len(code) > MAX_CODE or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in code):
            raise ClassError(f"{at}: a join code is at most {MAX_CODE} characters, without spaces or "
                             "control characters")
        key = slug(name)
        if key in slugs:
            raise ClassError(f"{at}: '{name}' is the same learner as line {slugs[key]}")
        if code in codes:
            raise ClassError(f"{at}: this join code is already used on line {codes[code]}")
        slugs[key], codes[code] = number, number
        entries.append(RosterEntry(name, code))
    if not entries:
        raise ClassError(f"{where}: the roster has no learners (one per line: a name and a join code)")
    return Roster(tuple(entries))


def read_roster(path: Path) -> Roster:
    """:func:`parse_roster` of a file, with a clear :class:`ClassError` if it cannot be read."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise ClassError(f"{path}: too large for a roster (over {MAX_ROSTER_BYTES} bytes)")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ClassError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ClassError(f"{path}: cannot read the roster: {exc.strerror or exc}") from None
    return parse_roster(text, str(path))


# -- the class folder --------------------------------------------------------------------------------------
def class_seed(directory: Path, create: bool = False) -> int:
    """The class's quiz seed from ``DIR/class.json``; with ``create``, a new folder gets a fresh one.

    Raises :class:`ClassError` if the file is missing (and not ``create``), damaged or unwritable.
    """
    path = directory / CLASS_FILE
    try:
        if path.stat().st_size > MAX_CLASS_FILE_BYTES:
            raise ClassError(f"{path}: too large to be a class file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not create:
            raise ClassError(f"{directory}: not a class folder (no {CLASS_FILE}); "
                             "'ce-tutor serve --class DIR' makes one") from None
        return _new_class(directory)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassError(f"{path}: cannot read the class file: {exc}") from None
    seed = data.get("seed") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != CLASS_FORMAT or type(seed) is not int:
        raise ClassError(f"{path}: not a ce-tutor class file")
    if data.get("version") != CLASS_VERSION:
        raise ClassError(f"{path}: written by another version of ce-tutor (class file version "
                         f"{data.get('version')!r}); this one reads version {CLASS_VERSION}")
    return seed


def _new_class(directory: Path) -> int:
    seed = secrets.randbits(63)
    data = {"format": CLASS_FORMAT, "version": CLASS_VERSION, "seed": seed}
    try:
        (directory / LEARNERS).mkdir(parents=True, exist_ok=True)
        _write_json(directory / CLASS_FILE, data, exclusive=True)
    except FileExistsError:  # another server made it meanwhile: use theirs
        return class_seed(directory)
    except OSError as exc:
        raise ClassError(f"{directory}: cannot set up the class folder: {exc.strerror or exc}") from None
    return seed


def learner_seed(seed: int, learner_slug: str) -> int:
    """The quiz seed of one learner of a class: fixed by the class seed and the learner, so a teacher can
    reproduce the numbers a learner saw (``ce-tutor --seed N``). Fits in 63 bits."""
    digest = hashlib.sha256(f"ce-tutor-class:{seed}:{learner_slug}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def learner_dir(directory: Path, name: str) -> Path:
    """``DIR/learners/<slug of name>``, checked to be inside ``DIR/learners`` (not created).
    Raises :class:`ClassError` with the message for the learner if the name is refused."""
    problem = name_problem(name)
    if problem:
        raise ClassError(problem)
    base = (directory / LEARNERS).resolve()
    path = (base / slug(name)).resolve()
    if path.parent != base:  # a symlink planted in the folder, say
        raise ClassError("That name cannot be used in this class; please ask your teacher.")
    return path


def enter_learner(directory: Path, name: str) -> Path:
    """Create (or find again) the data dir of the learner called ``name`` and remember the name."""
    path = learner_dir(directory, name)
    try:
        path.mkdir(parents=True, exist_ok=True)
        record = path / LEARNER_FILE
        if not record.exists():
            _write_json(record, {"name": clean_name(name)})
    except OSError as exc:
        raise ClassError(f"Your progress cannot be saved in this class ({exc.strerror or exc}); "
                         "please tell your teacher.") from None
    return path


def learner_name(path: Path) -> str:
    """The name a learner gave, from their data dir (the folder name if it cannot be read)."""
    try:
        data = json.loads((path / LEARNER_FILE).read_text(encoding="utf-8"))
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and name_problem(name) is None:
            return clean_name(name)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    return path.name


def learner_dirs(directory: Path) -> list[Path]:
    """The learners' data dirs of a class, sorted by folder name."""
    try:
        return sorted(p for p in (directory / LEARNERS).iterdir() if p.is_dir() and not p.is_symlink())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ClassError(f"{directory / LEARNERS}: cannot list the learners: {exc.strerror or exc}") from None


def _write_json(path: Path, data: object, exclusive: bool = False) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        if exclusive:
            os.link(tmp, path)  # fails if it exists: two servers starting at once agree on one seed
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

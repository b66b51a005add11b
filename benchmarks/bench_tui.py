"""Benchmark: the Textual app's start-up, key-press latency, memory and terminal traffic.

Run from the repository root::

    python benchmarks/bench_tui.py                 # all four measurements
    python benchmarks/bench_tui.py --launches 21 --presses 100
    python benchmarks/bench_tui.py --only launch   # or: latency, rss, bytes

Each figure is printed beside its baseline, measured in the same run on the same machine, and its goal:

1. **Launch to usable lesson list** (the headline), **and to first frame.** Child processes on an 80x24
   pseudo-terminal start (a) a bare Textual app (Header, a Static line, Footer) and (b) ce-tutor through
   its command line, launches of the two alternating. *Usable list*: the time from spawning the child to
   the terminal receiving the first lesson's title, which ce-tutor writes when its interactive lesson
   list is on screen; the bare app's Static shows the same title. Each ce-tutor launch gets a fresh copy
   of a data dir whose lesson cache was filled beforehand (so no "resume?" dialog, and no validation).
   Then, on the same launch, once the rest has loaded in the background (1 s later), Enter opens the
   highlighted lesson: *opening a lesson* is the time from Enter to the terminal receiving "step 1/".
   *First frame*: each child writes the time at which it hands its first frame to the terminal driver,
   and exits. (ce-tutor's first frame is its lesson list when the catalog index is up to date.) Medians are compared. Goals: usable list
   ours/bare <= 1.15, first frame ours/bare <= 1.15, opening a lesson median <= 150 ms. (The children
   are this script run with the hidden ``--child`` option, so both pay the same small cost for it.)
2. **Explorer key press to updated frame**, with Pilot at 80x24 in this process: the time from pressing
   → (or ←) in the softmax lesson's explorer to the app handing the new frame to its driver. Baseline: a
   bare Textual app whose key press updates a Static. Goal: median <= 33 ms (two frames at 60 Hz).
3. **Peak RSS through a whole lesson**: the real ``ce-tutor LESSON`` runs on an 80x24 pseudo-terminal and
   is played with keys, step by step to the end (explorer moved, quizzes answered with the values the core
   computes for the same seed after Enter into the answer box, n to go on; each step's "step N/M" and each quiz's "✓ Correct" are waited
   for, and the lesson must be recorded complete), and its ``VmHWM`` is read from /proc just before it is
   closed; median of three runs. Every shipped lesson is played with a data dir whose lesson cache was
   filled beforehand (every start after the first); the first lesson also with a fresh data dir (the
   cache is cold: the app has a child process validate the lessons, with YAML and pydantic, and reads
   them from the cache it filled). Then all the lessons in one session (one run): after each lesson,
   Enter in the browser opens the next. Baselines: the bare app on the same terminal after 50 key
   presses, and a child that only imports what a lesson needs. The validating child's own peak is
   printed too (it exits before the lesson opens). Goal: <= 64 MiB through any lesson, cold and warm.
   ce-tutor's modules are byte-compiled first
   (``compileall``, writing ``__pycache__`` beside them), as installing a wheel does: in an editable
   checkout with ``PYTHONDONTWRITEBYTECODE`` set, each process would otherwise compile them from source,
   which raises its peak (by 0.2 to 1.1 MiB, as measured on different versions of the code). Linux only.
4. **Bytes written per explorer step** at 80x24: ce-tutor runs on a pseudo-terminal (truecolor, then 256
   colours), → and ← alternate N times in the explorer, and the bytes the terminal receives for each
   press are counted (until the output has been quiet for a moment), with the time from the key to the
   last byte. Baseline: the same for the bare app's counter. Goal: median <= 4 KB.

This is a script, not a test: nothing asserts on the figures, which depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import importlib.util
import os
import resource
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "softmax"
SIZE = (80, 24)
LAUNCH_GOAL = 1.15
OPEN_GOAL_MS = 150.0
LATENCY_GOAL_MS = 33.0
RSS_GOAL_MIB = 64.0
BYTES_GOAL = 4096

def bare_app(first_frame_to: str | None = None, line: str = "0"):  # noqa: ANN201 - a Textual App
    """A bare Textual app: Header, one Static (``line``, or a counter that → and ← change) and Footer.

    With ``first_frame_to``, it writes the time of its first painted frame there and exits.
    """
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        BINDINGS = [("right", "count(1)", "More"), ("left", "count(-1)", "Less")]
        count = 0

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(line, id="count")
            yield Footer()

        def on_mount(self) -> None:
            if first_frame_to:
                stamp_first_frame(self, first_frame_to)

        def action_count(self, step: int) -> None:
            self.count += step
            self.query_one("#count", Static).update(str(self.count))

    return Bare()


def stamp_first_frame(app, stamp: str) -> None:  # noqa: ANN001
    """When the app hands its first frame to the driver, note the time and end the app. (Textual's private
    ``_display`` hook, as in :func:`record_frames`; after-refresh callbacks would come later than the frame
    when the first refresh schedules more: a focus change, the footer's keys.)"""
    display = app._display

    def first(screen, renderable):  # noqa: ANN001, ANN202
        result = display(screen, renderable)
        if renderable is not None and not Path(stamp).exists():
            Path(stamp).write_text(repr(time.time()))
            app.exit()
        return result

    app._display = first


def run_ours_to_first_frame(stamp: str, cli_args: list[str]) -> int:
    """ce-tutor through its command line, ending after its first frame."""
    from ce_tutor.tui.launch import openssl_left_out

    with openssl_left_out():  # as the app's launch does before it imports Textual (which imports asyncio)
        import asyncio  # noqa: F401
        import hashlib  # noqa: F401
        import secrets  # noqa: F401
    from ce_tutor.cli import main
    from ce_tutor.tui.app import TutorApp

    mount = TutorApp.on_mount

    def on_mount(app: TutorApp) -> None:
        stamp_first_frame(app, stamp)
        mount(app)

    TutorApp.on_mount = on_mount  # type: ignore[method-assign]
    return main(cli_args)


# -- pseudo-terminals -------------------------------------------------------------------------------------
def child(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--child", *args]


class Terminal:
    """A child process on an 80x24 pseudo-terminal whose output is read (and counted) here."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        environ = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
                   "TEXTUAL_ANIMATIONS": "none", **(env or {})}
        environ.pop("NO_COLOR", None)
        self.child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                      env={k: v for k, v in environ.items() if v}, cwd=ROOT,
                                      start_new_session=True)
        os.close(slave)

    def read(self, quiet: float, limit: float = 20.0) -> tuple[bytes, float]:
        """Everything written until nothing comes for ``quiet`` seconds; and when the last byte came."""
        data, last = b"", time.perf_counter()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], quiet)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            data, last = data + chunk, time.perf_counter()
        return data, last

    def seen_at(self, text: bytes, limit: float = 30.0) -> float:
        """When (``perf_counter``) the terminal first receives ``text``, read as each chunk arrives."""
        seen = b""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if select.select([self.master], [], [], 0.5)[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                seen = seen[-8192:] + chunk
                if text in seen:
                    return time.perf_counter()
            elif self.child.poll() is not None:
                break
        raise RuntimeError(f"never saw {text!r}; last output: {seen[-300:]!r}")

    def wait_for(self, text: bytes, limit: float = 30.0) -> None:
        seen = b""
        deadline = time.monotonic() + limit
        while text not in seen:
            if time.monotonic() > deadline or self.child.poll() is not None:
                raise RuntimeError(f"never saw {text!r}; last output: {seen[-300:]!r}")
            seen = seen[-8192:] + self.read(0.05, limit=0.5)[0]

    def settle(self) -> None:
        self.read(0.3)

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the child (ctrl+q, then kill): a child left on a closed terminal may spin forever."""
        if self.child.poll() is None:
            self.send(b"\x11")  # ctrl+q
            try:
                self.child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        self.read(0.1, limit=1.0)
        os.close(self.master)


# -- 1. launch to first frame ------------------------------------------------------------------------------
def first_frame(kind: str, data_dir: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        stamp = str(Path(tmp) / "painted")
        args = ["bare", stamp] if kind == "bare" else ["ours", stamp, "--data-dir", data_dir, "--seed", "1"]
        start = time.time()
        with Terminal(child(*args)) as terminal:
            deadline = time.monotonic() + 60
            while terminal.child.poll() is None and time.monotonic() < deadline:
                terminal.read(0.05, limit=1.0)
        if not Path(stamp).exists():
            raise RuntimeError(f"the {kind} app did not report its first frame")
        return float(Path(stamp).read_text()) - start


def first_title() -> str:
    from ce_tutor.lessons.catalog import load_catalog

    return load_catalog([ROOT / "lessons"]).lessons[0].lesson.title


def usable_list(kind: str, data_dir: Path, title: str) -> tuple[float, float | None]:
    """Seconds from spawning to the first lesson's title on the terminal; for ce-tutor, also the seconds
    from Enter (once the rest has loaded) to the lesson's first step."""
    if kind == "bare":
        argv = child("bare-line", title)
    else:
        argv = child("list", "--data-dir", str(data_dir), "--seed", "1")
    start = time.perf_counter()
    with Terminal(argv) as terminal:
        shown = terminal.seen_at(title.encode()) - start
        if kind == "bare":
            return shown, None
        terminal.settle()
        time.sleep(1.0)  # the lesson player loads in the background meanwhile
        terminal.settle()
        pressed = time.perf_counter()
        terminal.send(b"\r")
        return shown, terminal.seen_at(b"step 1/") - pressed


def bench_launch(rounds: int) -> None:
    import shutil

    title = first_title()
    times: dict[str, list[float]] = {"bare": [], "ours": []}
    lists: dict[str, list[float]] = {"bare": [], "ours": []}
    opens: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        warm_data_dir(warm)

        copies = iter(range(1_000_000))

        def fresh() -> Path:  # a copy of the warm data dir: lesson cache filled, no progress
            copy = Path(tmp) / f"run{next(copies)}"
            shutil.copytree(warm, copy)
            return copy

        for kind in times:  # warm the file cache and the bytecode
            first_frame(kind, str(fresh()))
            usable_list(kind, fresh(), title)
        for i in range(rounds):
            for kind in ("bare", "ours") if i % 2 == 0 else ("ours", "bare"):
                shown, opened = usable_list(kind, fresh(), title)
                lists[kind].append(shown)
                if opened is not None:
                    opens.append(opened)
                times[kind].append(first_frame(kind, str(fresh())))
    print(f"\n1. Launch ({rounds} alternating launches of each, 80x24 pty, lesson cache warm)")
    for label, figures in (("to usable lesson list (headline)", lists), ("to first frame", times)):
        bare, ours = (statistics.median(figures[k]) for k in ("bare", "ours"))
        print(f"   {label}")
        print(f"     bare Textual app  median {1000 * bare:7.1f} ms   min {1000 * min(figures['bare']):7.1f} ms")
        print(f"     ce-tutor          median {1000 * ours:7.1f} ms   min {1000 * min(figures['ours']):7.1f} ms")
        verdict = "met" if ours / bare <= LAUNCH_GOAL else "NOT met"
        print(f"     ratio ce-tutor/bare {ours / bare:.2f}   goal <= {LAUNCH_GOAL}: {verdict}")
    median_open = 1000 * statistics.median(opens)
    print(f"   opening a lesson from the list (Enter to \"step 1/\")  median {median_open:6.1f} ms   "
          f"max {1000 * max(opens):6.1f} ms")
    verdict = "met" if median_open <= OPEN_GOAL_MS else "NOT met"
    print(f"     goal: median <= {OPEN_GOAL_MS:.0f} ms: {verdict}")


# -- 2. key press to updated frame -------------------------------------------------------------------------
def record_frames(app) -> list[float]:  # noqa: ANN001
    """Note when each frame is handed to the driver (Pilot runs headless, so nothing is written)."""
    frames: list[float] = []
    display = app._display

    def timed(screen, renderable):  # noqa: ANN001, ANN202 - Textual's private hook
        if renderable is not None:
            frames.append(time.perf_counter())
        return display(screen, renderable)

    app._display = timed
    return frames


async def press_latencies(app, presses: int, before) -> list[float]:  # noqa: ANN001
    """Milliseconds from each → or ← press to the next frame."""
    frames = record_frames(app)
    latencies = []
    async with app.run_test(size=SIZE) as pilot:
        await before(pilot)
        await pilot.pause(0.2)
        for i in range(presses):
            frames.clear()
            start = time.perf_counter()
            await pilot.press("right" if i % 2 == 0 else "left")
            for _ in range(500):
                if frames:
                    break
                await pilot.pause(0.001)
            if not frames:
                raise RuntimeError("no frame after a key press")
            latencies.append(1000 * (frames[0] - start))
    return latencies


async def to_explorer(pilot) -> None:  # noqa: ANN001
    """From start-up to the softmax lesson's explorer, its parameter focused."""
    from ce_tutor.lessons.schema import ExploreStep

    app = pilot.app
    while app.library is None:
        await pilot.pause(0.02)
    app.open_lesson(LESSON)
    await pilot.pause()
    player = app.screen
    while not isinstance(player.run.step, ExploreStep):
        player.run.next()
    await player.show_step()


def bench_latency(presses: int) -> None:
    import asyncio  # here, not at the top: the RSS children would count it (with ssl) against the app

    from ce_tutor.tui import AppOptions
    from ce_tutor.tui.app import TutorApp

    async def nothing(pilot) -> None:  # noqa: ANN001
        await pilot.pause()

    bare = asyncio.run(press_latencies(bare_app(), presses, nothing))
    with tempfile.TemporaryDirectory() as tmp:
        app = TutorApp(AppOptions(lesson_dirs=[ROOT / "lessons"], data_dir=Path(tmp), seed=1))
        ours = asyncio.run(press_latencies(app, presses, to_explorer))
    print(f"\n2. Explorer key press to updated frame ({presses} presses, Pilot at 80x24)")
    for name, values in (("bare app counter ", bare), ("ce-tutor explorer", ours)):
        print(f"   {name}  median {statistics.median(values):6.1f} ms   p90 {quantile(values, 0.9):6.1f} ms")
    verdict = "met" if statistics.median(ours) <= LATENCY_GOAL_MS else "NOT met"
    print(f"   goal: ce-tutor median <= {LATENCY_GOAL_MS:.0f} ms: {verdict}")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- 3. peak memory through a lesson -----------------------------------------------------------------------
def peak_rss_kib() -> int:
    """This process's peak resident memory. On Linux ``ru_maxrss`` survives ``exec``, so a child forked
    from a big parent would report the parent's size: ``VmHWM`` (reset by ``exec``) is read instead."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux; macOS gives bytes


def peak_rss_mib(what: str, *more: str) -> float:
    out = subprocess.run(child("rss", what, *more), capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "TEXTUAL_ANIMATIONS": "none"})
    if out.returncode:
        raise RuntimeError(f"the {what!r} child failed:\n{out.stderr[-3000:]}")
    return float(out.stdout.strip()) / 1024


def compile_package() -> None:
    """Byte-compile ce-tutor's modules, as installing a wheel does. In an editable checkout, with
    ``PYTHONDONTWRITEBYTECODE`` set, every child would otherwise compile them from source, which raises its
    peak RSS over what an installed copy needs."""
    spec = importlib.util.find_spec("ce_tutor")  # finds the package without importing it
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def warm_data_dir(data_dir: Path) -> None:
    """Fill ``data_dir``'s lesson cache and write its catalog index, as the first start does (here, in the
    parent: it is not measured)."""
    from ce_tutor.lessons.catalog import lesson_dirs
    from ce_tutor.tui import AppOptions
    from ce_tutor.tui.library import read_catalog

    read_catalog(AppOptions(lesson_dirs(), data_dir))


Plan = list[tuple[str, list[bytes]]]  # for each step of a lesson: its kind, and the keys that play it


def lesson_keys(lesson_id: str = LESSON) -> Plan:
    """For each step of the lesson: its kind, and the keys that play it (before n), answers computed by the
    core from the same seed the app is given (``--seed 1``)."""
    from ce_tutor.lessons.catalog import lesson_env, load_catalog
    from ce_tutor.lessons.player import LessonRun
    from ce_tutor.lessons.schema import ExploreStep, QuizStep

    lf = load_catalog([ROOT / "lessons"]).get(lesson_id)
    assert lf is not None
    run = LessonRun(lf.lesson, lesson_env(lf), learner_seed=1)
    steps: Plan = []
    for index, step in enumerate(lf.lesson.steps):
        if isinstance(step, ExploreStep):
            steps.append(("explore", [RIGHT] * 10 + [b"\x1b[B"] + [LEFT] * 10))
        elif isinstance(step, QuizStep):
            variant = run.quiz(index).variant
            answer = str(min(variant.correct_options) + 1) if variant.options else f"{variant.answer:.10g}"
            steps.append(("quiz", [b"\r", answer.encode(), b"\r"]))  # Enter: into the answer box
        else:
            steps.append((step.type, []))
    return steps


def shipped_lesson_ids() -> list[str]:
    from ce_tutor.lessons.catalog import load_catalog

    return [lf.lesson.id for lf in load_catalog([ROOT / "lessons"]).lessons]


def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def real_lesson_rss(data_dir: Path, lessons: list[tuple[str, Plan]]) -> float:
    """Peak RSS (MiB) of ``ce-tutor FIRST`` on an 80x24 pty, each of ``lessons`` played to its end by its
    keys in one session: the first is opened from the command line, each next one from the browser, where
    Enter opens the lesson that is next up."""
    argv = [sys.executable, "-m", "ce_tutor", lessons[0][0], "--data-dir", str(data_dir), "--seed", "1"]
    with Terminal(argv) as terminal:
        for number_of_lesson, (lesson_id, steps) in enumerate(lessons):
            if number_of_lesson:
                terminal.send(b"\r")
            for number, (kind, keys) in enumerate(steps, 1):
                try:
                    terminal.wait_for(f"step {number}/{len(steps)}".encode())
                    terminal.settle()
                    for key in keys:
                        terminal.send(key)
                        if kind != "quiz":  # a quiz's output is read below, waiting for its verdict
                            terminal.read(0.05, limit=1.0)
                    if kind == "quiz":
                        terminal.wait_for("✓ Correct".encode())
                except RuntimeError as exc:  # say where, and what the app logged if it crashed
                    logs = sorted((data_dir / "logs").glob("crash-*.log"))
                    log = logs[-1].read_text(errors="replace")[-3000:] if logs else "no crash log"
                    raise RuntimeError(f"{lesson_id}, step {number} ({kind}), exit status "
                                       f"{terminal.child.poll()}: {exc}\n{log}") from None
                terminal.send(b"n")  # on the last step: finishes the lesson, back to the browser
            terminal.settle()
        peak = vm_hwm_kib(terminal.child.pid) / 1024
    from ce_tutor.progress import ProgressStore

    store = ProgressStore(data_dir)
    try:
        for lesson_id, _ in lessons:
            if not store.lesson(lesson_id).complete:
                raise RuntimeError(f"ce-tutor did not record the {lesson_id} lesson as complete")
    finally:
        store.close()
    return peak


def bare_rss() -> float:
    """Peak RSS (MiB) of the bare app on an 80x24 pty after 50 key presses."""
    with Terminal(child("bare")) as terminal:
        terminal.wait_for(b"More")
        for i in range(50):
            terminal.send(RIGHT if i % 2 == 0 else LEFT)
            terminal.read(0.02, limit=1.0)
        terminal.settle()
        return vm_hwm_kib(terminal.child.pid) / 1024


def bench_rss(runs: int = 3) -> None:
    if not Path("/proc/self/status").exists():
        print("\n3. Peak RSS: needs /proc (Linux); skipped")
        return
    compile_package()
    plans = [(lesson_id, lesson_keys(lesson_id)) for lesson_id in shipped_lesson_ids()]
    first = [plans[0]]
    bare = statistics.median(bare_rss() for _ in range(runs))
    imports = statistics.median(peak_rss_mib("imports") for _ in range(runs))
    validating = []
    cold: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            validating.append(peak_rss_mib("validate", tmp))
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(real_lesson_rss(Path(tmp), first))

    def warm(lessons: list[tuple[str, Plan]]) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            warm_data_dir(Path(tmp))
            return real_lesson_rss(Path(tmp), lessons)

    each = {lesson_id: statistics.median(warm([(lesson_id, steps)]) for _ in range(runs))
            for lesson_id, steps in plans}
    course = warm(plans)
    print(f"\n3. Peak RSS (VmHWM, median of {runs} runs, on an 80x24 pty)")
    def line(label: str, mib: float, note: str = "") -> None:
        print(f"   {label:48s} {mib:6.1f} MiB" + (f"   ({note})" if note else ""))

    line("bare Textual app, 50 key presses", bare, "Textual with asyncio and ssl")
    line("ce-tutor's imports for a lesson, no app", imports, "Textual, numpy, plotext, Markdown...")
    print("   ce-tutor LESSON, every step played to the end:")
    line(f"  {plans[0][0]}, lesson cache cold (first start)", statistics.median(cold))
    for lesson_id, peak in each.items():
        line(f"  {lesson_id}, lesson cache warm", peak)
    line(f"all {len(plans)} lessons in one session (one run)", course)
    line("the child validating lessons on a cold start", statistics.median(validating),
         "YAML and pydantic; it exits before the lesson opens")
    worst = max(statistics.median(cold), *each.values())
    verdict = "met" if worst <= RSS_GOAL_MIB else "NOT met"
    print(f"   goal: ce-tutor <= {RSS_GOAL_MIB:.0f} MiB through any lesson, cache cold and warm: {verdict}")


# -- 4. bytes per explorer step ----------------------------------------------------------------------------
RIGHT, LEFT = b"\x1b[C", b"\x1b[D"


def step_traffic(terminal: Terminal, presses: int) -> tuple[list[int], list[float]]:
    """Bytes, and milliseconds to the last byte, for each of ``presses`` alternating → and ← keys."""
    sizes, latencies = [], []
    for i in range(presses):
        start = time.perf_counter()
        terminal.send(RIGHT if i % 2 == 0 else LEFT)
        data, last = terminal.read(0.15)
        sizes.append(len(data))
        latencies.append(1000 * (last - start))
    return sizes, latencies


def explorer_index() -> int:
    from ce_tutor.lessons.catalog import load_catalog
    from ce_tutor.lessons.schema import ExploreStep

    lesson = load_catalog([ROOT / "lessons"]).get(LESSON)
    assert lesson is not None
    return next(i for i, step in enumerate(lesson.lesson.steps) if isinstance(step, ExploreStep))


def bench_bytes(presses: int) -> None:
    steps_in = explorer_index()
    print(f"\n4. Bytes written to the terminal per explorer step ({presses} presses, 80x24 pty)")
    for colours, env in (("truecolor ", {}), ("256 colours", {"COLORTERM": ""})):
        with Terminal(child("bare"), env) as bare_terminal:
            bare_terminal.wait_for(b"More")
            bare_terminal.settle()
            bare, _ = step_traffic(bare_terminal, presses)
        with tempfile.TemporaryDirectory() as tmp, Terminal(
            [sys.executable, "-m", "ce_tutor", LESSON, "--data-dir", tmp, "--seed", "1"], env
        ) as ours_terminal:
            for step in range(1, steps_in + 1):
                ours_terminal.wait_for(f"step {step}/".encode())
                ours_terminal.send(b"n")
            ours_terminal.wait_for(b"Value")
            ours_terminal.settle()
            ours, latency = step_traffic(ours_terminal, presses)
        print(f"   {colours}  bare counter median {statistics.median(bare):5.0f} B   "
              f"ce-tutor median {statistics.median(ours):5.0f} B (max {max(ours)} B)   "
              f"key to last byte median {statistics.median(latency):5.1f} ms")
        verdict = "met" if statistics.median(ours) <= BYTES_GOAL else "NOT met"
        print(f"   {'':11}  goal: ce-tutor median <= {BYTES_GOAL} B: {verdict}")


# -- main ----------------------------------------------------------------------------------------------------
def run_child(args: list[str]) -> int:
    kind = args[0]
    if kind == "bare":
        bare_app(args[1] if len(args) > 1 else None).run()
    elif kind == "bare-line":
        bare_app(line=args[1]).run()
    elif kind == "list":  # ce-tutor through its command line, as it is
        from ce_tutor.cli import main as cli_main

        return cli_main(args[1:])
    elif kind == "ours":
        return run_ours_to_first_frame(args[1], args[2:])
    elif kind == "rss" and args[1] == "imports":  # what the app imports to play a lesson from a warm cache
        from ce_tutor.tui.launch import openssl_left_out

        with openssl_left_out():  # as the app starts
            import asyncio  # noqa: F401
            import hashlib  # noqa: F401
            import secrets  # noqa: F401
        import ce_tutor.lessons.cache
        import ce_tutor.lessons.catalog
        import ce_tutor.progress
        import ce_tutor.quiz
        import ce_tutor.tui.app
        import ce_tutor.tui.screens.player  # noqa: F401 - what a lesson imports, without running one
        print(peak_rss_kib())
    elif kind == "rss" and args[1] == "validate":  # the app's validating child, on a cold cache
        from ce_tutor.lessons.cache import fill
        from ce_tutor.lessons.catalog import lesson_files

        fill(args[2], map(str, lesson_files([ROOT / "lessons"])[0]))
        print(peak_rss_kib())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=11, help="launches of each app (default 11)")
    parser.add_argument("--presses", type=int, default=50, help="key presses to time and count (default 50)")
    parser.add_argument("--only", choices=("launch", "latency", "rss", "bytes"), help="one measurement")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args.child)
    print(f"ce-tutor TUI benchmarks on Python {sys.version.split()[0]}")
    if args.only in (None, "launch"):
        bench_launch(args.launches)
    if args.only in (None, "latency"):
        bench_latency(args.presses)
    if args.only in (None, "rss"):
        bench_rss()
    if args.only in (None, "bytes"):
        bench_bytes(args.presses)
    return 0


if __name__ == "__main__":
    sys.exit(main())

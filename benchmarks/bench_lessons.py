"""Benchmark: loading the shipped lessons, and ``ce-tutor check`` of them, against plain ``yaml.safe_load``.

Run from the repository root::

    python benchmarks/bench_lessons.py                   # 15 rounds of loading, 1 check with 200 variants
    python benchmarks/bench_lessons.py --repeat 31 --check-repeat 3 --variants 1000

Contenders, all on the same files (every ``*.yaml`` of the shipped lessons folder):

* ``yaml.safe_load``   - the baseline: PyYAML's safe loader (libyaml when available), data only;
* ``load_lesson``      - ce-tutor's loader: event-built YAML with lines and refusals, then pydantic;
* ``load_catalog``     - the loader for every file, plus ids, requires and curriculum order;
* ``check_paths``      - everything ``ce-tutor check`` does, ``--variants`` variants of every quiz.

The loading contenders run interleaved (rotating order, garbage collector off), keeping the best of
``--repeat`` rounds; ``check_paths`` runs ``--check-repeat`` times. Each line shows the ratio to the
baseline measured in the same run, and the goal. This is a script, not a test: nothing asserts on it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.lessons.check import check_paths
from ce_tutor.lessons.loader import load_lesson

LOAD_GOAL_MS = 100.0  #: loading and validating every shipped lesson
CHECK_GOAL_MS = 10_000.0  #: check_paths of the shipped lessons with 200 variants


def rounds(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Time each contender once per round, rotating the order; milliseconds per run."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for fn in contenders.values():  # warm-up: imports, caches, first-touch allocations
        fn()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeat):
            for name in names[r % len(names):] + names[: r % len(names)]:
                start = time.perf_counter()
                contenders[name]()
                times[name].append((time.perf_counter() - start) * 1000)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="rounds of the loading contenders")
    parser.add_argument("--check-repeat", type=int, default=1, help="runs of check_paths")
    parser.add_argument("--variants", type=int, default=200, help="quiz variants for check_paths")
    args = parser.parse_args()

    folder = shipped_lessons_dir()
    files = sorted(folder.glob("*.yaml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"{len(files)} lesson files, {sum(map(len, texts)) / 1024:.0f} KiB, in {folder}")
    print(f"baseline YAML loader: {loader.__name__}")

    loading = rounds(
        {
            "yaml.safe_load": lambda: [yaml.load(Path(f).read_text(encoding="utf-8"), loader) for f in files],
            "load_lesson": lambda: [load_lesson(f) for f in files],
            "load_catalog": lambda: load_catalog([folder]),
        },
        args.repeat,
    )
    checking = rounds({"check_paths": lambda: check_paths([folder], variants=args.variants)}, args.check_repeat)

    baseline = min(loading["yaml.safe_load"])
    goals = {"load_lesson": LOAD_GOAL_MS, "load_catalog": LOAD_GOAL_MS, "check_paths": CHECK_GOAL_MS}
    print(f"\n{'name':<16}{'best ms':>10}{'median ms':>11}{'x baseline':>12}{'goal ms':>10}  met")
    for name, times in {**loading, **checking}.items():
        best = min(times)
        goal = goals.get(name)
        verdict = "" if goal is None else ("yes" if best <= goal else "NO")
        shown_goal = "" if goal is None else f"{goal:,.0f}"
        median = statistics.median(times)
        print(f"{name:<16}{best:>10.1f}{median:>11.1f}{best / baseline:>12.1f}{shown_goal:>10}  {verdict}")
    if args.variants != 200:
        print(f"\n(check_paths ran {args.variants} variants; its goal is stated for 200)")


if __name__ == "__main__":
    main()

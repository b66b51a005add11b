"""Benchmark: a catalog of many lessons, with and without the lesson cache.

Run from the repository root::

    python benchmarks/bench_catalog.py                  # 2,000 generated lessons, 3 rounds
    python benchmarks/bench_catalog.py --lessons 10000 --repeat 1

It writes ``--lessons`` small generated lesson files (one prose step, one quiz) to a temporary folder,
then times, keeping the best of ``--repeat`` rounds:

* ``validate all``  - the baseline: ``load_catalog`` without a cache (YAML and pydantic for every file),
  which is what every start cost when the cache kept only 64 entries;
* ``warm cache``    - ``load_catalog`` with the cache filled by a first run: what every later start of
  ``ce-tutor list``, the plain mode and the app costs when no lesson changed;
* ``one edited``    - the same after one lesson file changed: one file validated again;
* ``index``         - ``read_index``, the catalog index that the app's lesson list and ``ce-tutor list``,
  ``progress`` and ``reset`` read when no lesson file changed: a listing and a ``stat`` per file, no
  lesson read (the lessons themselves then load in the app's background).

The contenders run interleaved (rotating order, garbage collector off during each run). Each line shows
the time per lesson and the ratio to the baseline measured in the same run. This is a script, not a test:
nothing asserts on it.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ce_tutor.lessons.cache import LessonCache
from ce_tutor.lessons.catalog import load_catalog
from ce_tutor.lessons.index import read_index, signature, summarize, write_index

LESSON = """schema_version: 1
id: gen-{i}
title: Generated lesson {i}
summary: One of many generated lessons.
values:
  p: {{formula: "softmax([2.0, 1.0, 0.1])", round: 2}}
steps:
  - type: prose
    title: Some prose
    text: |
      Softmax gives {{p:.2f}}.
  - type: quiz
    id: gen-quiz-{i}
    params:
      a: {{randint: [1, 5]}}
    prompt: "What is {{a}} + 1?"
    answer: "a + 1"
"""


def rounds(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The best time of each contender in ms, over ``repeat`` rounds in rotating order, collector off."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(repeat):
        for name in names[r % len(names):] + names[: r % len(names)]:
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                contenders[name]()
                times[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    return {name: min(found) * 1000 for name, found in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, default=2000, help="lesson files to generate")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per contender (the best counts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache_dir = Path(tmp) / "lessons", Path(tmp) / "cache"
        folder.mkdir()
        paths = [folder / f"l{i:05d}.yaml" for i in range(args.lessons)]
        for i, path in enumerate(paths):
            path.write_text(LESSON.format(i=i), encoding="utf-8")
        catalog = load_catalog([folder], LessonCache(cache_dir))  # fills the cache
        assert len(catalog.lessons) == args.lessons
        write_index(cache_dir, [folder], summarize(catalog), signature([folder]))
        edits = iter(range(10**9))

        def one_edited() -> None:
            paths[0].write_text(LESSON.format(i=0).replace("Generated", f"Edited {next(edits)}"), encoding="utf-8")
            cache = LessonCache(cache_dir)
            catalog = load_catalog([folder], cache)
            assert cache.misses == 1
            write_index(cache_dir, [folder], summarize(catalog), signature([folder]))  # as every load does

        def warm() -> None:
            cache = LessonCache(cache_dir)
            load_catalog([folder], cache)
            assert cache.misses == 0

        def index() -> None:
            found = read_index(cache_dir, [folder])
            assert found is not None and len(found.lessons) == args.lessons

        results = rounds({"validate all": lambda: load_catalog([folder]), "warm cache": warm,
                          "one edited": one_edited, "index": index}, args.repeat)
    base = results["validate all"]
    print(f"{args.lessons} lessons, best of {args.repeat}")
    print(f"{'contender':<14} {'best ms':>10} {'ms/lesson':>10} {'this/validate all':>18}")
    for name, ms in results.items():
        print(f"{name:<14} {ms:>10.0f} {ms / args.lessons:>10.3f} {ms / base:>18.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: ``cross_entropy_from_logits`` against scipy and against naive numpy.

Run from the repository root (needs the ``bench`` extra, i.e. scipy)::

    python benchmarks/bench_core.py                  # N = 1,000,000 rows, C = 10 classes
    python benchmarks/bench_core.py --n 200000 --c 100 --repeat 9

The three contenders compute the same per-row losses ``-log softmax(z)[y]`` for float64 logits:

* ``ours``  - ``ce_tutor.core.cross_entropy_from_logits(z, y)`` (validation included);
* ``scipy`` - ``scipy.special.log_softmax(z, axis=-1)`` followed by a gather with ``np.take_along_axis``;
* ``naive`` - ``-np.log(exp(z) / exp(z).sum())[range(N), y]``, the textbook formula (unstable for large
  logits, which the random logits used here are not).

Before timing, the script checks that the three agree numerically. It then warms each one up and times
them interleaved in the same process (round-robin, rotating the order each round, garbage collector
off), keeping the best of ``--repeat`` rounds. A separate pass measures each one's peak memory with
``tracemalloc`` (numpy reports its buffers to it). This is a script, not a test: the figures depend on
the machine and nothing asserts on them. The goal is ``ours / scipy <= 1.0``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

try:
    from scipy.special import log_softmax as scipy_log_softmax
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit("bench_core.py needs scipy: pip install -e '.[bench]'")

from ce_tutor.core import cross_entropy_from_logits

GOAL = 1.0  # ours / scipy must not exceed this


def make_inputs(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random float64 logits (normal, scale 4: softmax neither uniform nor saturated) and labels."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=4.0, size=(n, c))
    y = rng.integers(0, c, size=n)
    return z, y


def contenders(z: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], np.ndarray]]:
    rows = np.arange(z.shape[0])
    labels = y[:, None]

    def ours() -> np.ndarray:
        return cross_entropy_from_logits(z, y)

    def scipy() -> np.ndarray:
        return -np.take_along_axis(scipy_log_softmax(z, axis=-1), labels, axis=-1)[:, 0]

    def naive() -> np.ndarray:
        e = np.exp(z)
        return -np.log(e / e.sum(axis=-1, keepdims=True))[rows, y]

    return {"ours": ours, "scipy": scipy, "naive": naive}


def check_agreement(results: dict[str, np.ndarray], z: np.ndarray, y: np.ndarray) -> list[str]:
    """Compare every contender to ``ours``; return printable lines, exit if they disagree.

    Where they differ most in relative terms (rows with a tiny loss), also show each one's relative
    error against a 50-digit mpmath value of that row, if mpmath is installed.
    """
    lines = []
    ref = results["ours"]
    worst_rows = set()
    for name, got in results.items():
        if name == "ours":
            continue
        rel = np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(float).tiny)
        ok = got.shape == ref.shape and np.allclose(got, ref, rtol=1e-12, atol=1e-12)
        lines.append(f"  ours vs {name:<6} max abs diff {float(np.max(np.abs(got - ref))):.3g}, "
                     f"max rel diff {float(np.max(rel)):.3g}  {'ok' if ok else 'DISAGREE'}")
        if not ok:
            print("\n".join(lines))
            sys.exit(f"{name} disagrees with ours; timing would be meaningless")
        worst_rows.add(int(np.argmax(rel)))
    try:
        import mpmath
    except ImportError:
        return lines
    for i in sorted(worst_rows):
        with mpmath.workdps(50):
            zy = mpmath.mpf(float(z[i, y[i]]))
            exact = mpmath.log1p(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v)) - zy)
                                             for k, v in enumerate(z[i]) if k != y[i]))
            errs = ", ".join(f"{name} {float(abs(mpmath.mpf(float(got[i])) - exact) / exact):.1e}"
                             for name, got in results.items())
        lines.append(f"  row {i} (loss {float(exact):.3g}): relative error vs mpmath: {errs}")
    return lines


def time_interleaved(funcs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Wall-clock seconds per call, ``repeat`` rounds, round-robin with the order rotated each round."""
    names = list(funcs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up: page in the inputs, load code paths, size numpy's allocator caches
        funcs[name]()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeat):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                start = time.perf_counter()
                funcs[name]()
                times[name].append(time.perf_counter() - start)
    finally:
        if was_enabled:
            gc.enable()
    return times


def peak_memory(func: Callable[[], object]) -> int:
    """Peak bytes traced while ``func`` runs (its result included), measured on its own."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows (samples), default 1,000,000")
    parser.add_argument("--c", type=int, default=10, help="classes per row, default 10")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds; the best is reported (default 7)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the logits and labels")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory pass")
    args = parser.parse_args(argv)
    if args.n < 1 or args.c < 1 or args.repeat < 1:
        parser.error("--n, --c and --repeat must be positive")

    z, y = make_inputs(args.n, args.c, args.seed)
    funcs = contenders(z, y)
    print(f"cross_entropy_from_logits: N = {args.n:,} rows x C = {args.c} classes, float64 "
          f"({z.nbytes / 2**20:.0f} MiB of logits)")
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, best of {args.repeat} interleaved rounds")
    print()
    print("agreement (before timing):")
    print("\n".join(check_agreement({name: f() for name, f in funcs.items()}, z, y)))
    print()

    times = time_interleaved(funcs, args.repeat)
    best = {name: min(ts) for name, ts in times.items()}
    memory = {} if args.no_memory else {name: peak_memory(f) for name, f in funcs.items()}

    header = f"{'':<8}{'best ms':>11}{'median ms':>11}{'ns/row':>9}{'ours/this':>11}"
    if memory:
        header += f"{'peak MiB':>10}"
    print(header)
    for name, ts in times.items():
        line = (f"{name:<8}{best[name] * 1e3:>11.3f}{statistics.median(ts) * 1e3:>11.3f}"
                f"{best[name] / args.n * 1e9:>9.1f}{best['ours'] / best[name]:>11.2f}")
        if memory:
            line += f"{memory[name] / 2**20:>10.1f}"
        print(line)
    print()
    ratio_scipy = best["ours"] / best["scipy"]
    ratio_naive = best["ours"] / best["naive"]
    print(f"ours/scipy = {ratio_scipy:.2f}, ours/naive = {ratio_naive:.2f}")
    verdict = "met" if ratio_scipy <= GOAL else "NOT met"
    print(f"goal: ours/scipy <= {GOAL:.1f} (best times) ... {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

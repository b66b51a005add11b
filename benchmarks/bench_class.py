"""Benchmark: a class of learners on one ``ce-tutor serve``: memory per learner and key-press latency.

Run from the repository root::

    python benchmarks/bench_class.py                  # 1 learner, then 30 at once, 5 s per step
    python benchmarks/bench_class.py --think 1        # a stress test: a key press every second each

One server (``ce-tutor serve`` in a subprocess, on a free port) serves two rounds, measured in the same run:

1. **Baseline: one learner.** A websocket client speaking textual-serve's protocol (as the page's script
   does) signs in by name, opens the Softmax lesson and steps through all of it with ``n``, waiting
   ``--think`` seconds (±50 %, random) between key presses, as a learner reading the step would (a quiz's
   answer box takes the focus only on Enter, so ``n`` goes on at a quiz too).
2. **The class: N learners at once** (30 by default), each doing the same in its own tab, all signed in
   and in the lesson before the first of them presses ``n``.

For every ``n`` the latency is the time from sending the key to the arrival of the frame that shows the
new step's "step k/12" (key press to frame, through the server and the tab's app process). Memory: each
tab's app process's peak RSS (``VmHWM``) and its PSS (shared pages split between the processes that
share them) are read from /proc just before the tab closes; the total is the largest sum, over samples
taken every 0.5 s, of the PSS of the server and all its app processes. CPU: the user and system time each
app process used while stepping, per key press (the basis for sizing a bigger class). Goals: the class's median and p95
latency at most 3x the single learner's; under 60 MiB per learner. Linux only.

This is a script, not a test: nothing asserts on the figures, which depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
MIB = 1024 * 1024


def _softmax_steps() -> int:
    from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir

    lesson = load_catalog([shipped_lessons_dir()]).get("softmax").lesson
    return len(lesson.steps)


STEPS = _softmax_steps()  # the Softmax lesson's number of steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def app_of(server_pid: int, learner: str) -> int | None:
    """The tab's app process: the server's child that has this learner's progress store open."""
    slug = re.sub(r"[^0-9a-z]+", "-", learner.lower()).strip("-")
    for pid in children(server_pid):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any(f"/learners/{slug}/" in link for link in links):
            return pid
    return None


class Tab:
    def __init__(self, url: str, name: str, think: float, rng: random.Random) -> None:
        self.url, self.name, self.think, self.rng = url, name, think, rng
        self.raw = bytearray()
        self.latencies: list[float] = []
        self.peak_kib = 0
        self.pss_kib = 0
        self.cpu = 0.0  # CPU seconds its app process used while stepping through the lesson

    def fresh(self, mark: int) -> str:
        return ESCAPES.sub(b"", bytes(self.raw[mark:])).decode("utf-8", "replace")

    async def wait_for(self, mark: int, *words: str, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            self.changed.clear()
            text = self.fresh(mark)
            if any(w in text for w in words):
                return time.perf_counter()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"{self.name}: none of {words} on screen; it shows {text[-800:]!r}")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def send(self, keys: str) -> int:
        mark = len(self.raw)
        await self.ws.send_str(json.dumps(["stdin", keys]))
        return mark

    async def read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.raw += message.data
                self.changed.set()

    async def pause(self) -> None:
        await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def run(self, session: aiohttp.ClientSession, ready: asyncio.Barrier, server_pid: int) -> None:
        self.changed = asyncio.Event()
        self.ws = await session.ws_connect(self.url.replace("http", "ws") + "/ws?width=80&height=24")
        await self.ws.send_str(json.dumps(["resize", {"width": 80, "height": 24}]))
        reader = asyncio.create_task(self.read())
        await self.wait_for(0, "Welcome to ce-tutor")
        await self.wait_for(await self.send(self.name + "\r"), "lessons done")
        await self.wait_for(await self.send("\r"), f"step 1/{STEPS}")
        await ready.wait()
        pid = app_of(server_pid, self.name)
        cpu0 = cpu_seconds(pid) if pid is not None else 0.0
        mark = 0
        for step in range(2, STEPS + 1):
            await self.pause()
            start = time.perf_counter()
            mark = await self.send("n")
            self.latencies.append(await self.wait_for(mark, f"step {step}/{STEPS}") - start)
        if pid is not None:
            self.peak_kib = status_kib(pid, "VmHWM")
            self.pss_kib = pss_kib(pid)
            self.cpu = cpu_seconds(pid) - cpu0
        await ready.wait()
        await self.ws.close()
        reader.cancel()


async def round_of(url: str, n: int, think: float, server_pid: int, seed: int) -> tuple[list[Tab], int]:
    rng = random.Random(seed)
    tabs = [Tab(url, f"learner {seed}-{i}", think, random.Random(rng.random())) for i in range(n)]
    ready = asyncio.Barrier(n)
    peak_total = 0
    done = False

    async def sample() -> None:
        nonlocal peak_total
        while not done:
            total = pss_kib(server_pid) + sum(pss_kib(p) for p in children(server_pid))
            peak_total = max(peak_total, total)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(t.run(session, ready, server_pid) for t in tabs))
    done = True
    await sampler
    return tabs, peak_total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--think", type=float, default=5.0,
                        help="seconds a learner spends on a step before pressing n (±50%%; default 5)")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        print("Linux only (/proc).")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w+b")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CE_TUTOR_LESSONS", None)
        server = subprocess.Popen([sys.executable, "-m", "ce_tutor", "serve", "--class", str(Path(tmp) / "class"),
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while b"Open http" not in (Path(tmp) / "serve.log").read_bytes():
                if server.poll() is not None or time.monotonic() > deadline:
                    print((Path(tmp) / "serve.log").read_text())
                    return 1
                time.sleep(0.1)
            url = f"http://127.0.0.1:{port}"
            load = os.getloadavg()
            print(f"{os.cpu_count()} CPUs; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
            t0 = time.perf_counter()
            single, single_total = asyncio.run(round_of(url, 1, args.think, server.pid, 1))
            t1 = time.perf_counter()
            crowd, crowd_total = asyncio.run(round_of(url, args.learners, args.think, server.pid, 2))
            t2 = time.perf_counter()
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(60)
    load = os.getloadavg()
    one = [x for t in single for x in t.latencies]
    many = [x for t in crowd for x in t.latencies]
    rows = [("1 learner", one, single, single_total, t1 - t0), (f"{args.learners} learners", many, crowd, crowd_total, t2 - t1)]
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; think time {args.think:g} s ±50%")
    print()
    print(f"{'round':<13} {'presses':>7} {'median ms':>9} {'p95 ms':>7} {'peak RSS/learner MiB':>21} "
          f"{'PSS/learner MiB':>16} {'total PSS MiB':>13} {'CPU ms/press':>12} {'wall s':>7}")
    for name, lat, tabs, total, wall in rows:
        peaks = [t.peak_kib / 1024 for t in tabs if t.peak_kib]
        psss = [t.pss_kib / 1024 for t in tabs if t.pss_kib]
        print(f"{name:<13} {len(lat):>7} {statistics.median(lat) * 1000:>9.1f} {pct(lat, 0.95) * 1000:>7.1f} "
              f"{statistics.median(peaks):>10.1f} (max {max(peaks):.1f}) {statistics.median(psss):>16.1f} "
              f"{total / 1024:>13.1f} {1000 * sum(t.cpu for t in tabs) / len(lat):>12.0f} {wall:>7.1f}")
    ratio50 = statistics.median(many) / statistics.median(one)
    ratio95 = pct(many, 0.95) / pct(one, 0.95)
    per = crowd_total / 1024 / args.learners
    print()
    print(f"latency ratio, class/single: median {ratio50:.2f}x, p95 {ratio95:.2f}x (goal <= 3x): "
          f"{'met' if max(ratio50, ratio95) <= 3 else 'NOT met'}")
    worst = max(t.peak_kib for t in crowd) / 1024
    print(f"memory per learner: total PSS / learners = {per:.1f} MiB, worst peak RSS {worst:.1f} MiB "
          f"(goal < 60 MiB): {'met' if max(per, worst) < 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

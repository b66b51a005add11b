"""``ce-tutor serve`` in a real browser: headless Chromium (Debian's ``chromium`` package, never a downloaded
one) driven by Playwright opens the page, types a name, sees the lesson list and opens a lesson.

Skipped only on a developer's machine without Chromium; in CI (``CI`` set) a missing Chromium is a failure:
``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from serve_helpers import ESCAPES, WAIT, Server

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the 'chromium' package for this test")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    if not os.environ.get("CI"):
        pytest.importorskip("playwright.sync_api")  # in CI the test extra has it: an ImportError fails
    return CHROMIUM


def test_a_learner_signs_in_and_opens_a_lesson_in_chromium(tmp_path, chromium):
    from playwright.sync_api import sync_playwright

    class_dir = tmp_path / "class"
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    screen = bytearray()  # what the page's websocket received: the app's terminal output

    def drawn(word: str, since: int) -> bool:
        return word.encode() in ESCAPES.sub(b"", bytes(screen[since:]))

    def wait_until(word: str, since: int) -> None:
        deadline = time.monotonic() + WAIT
        while not drawn(word, since):
            assert time.monotonic() < deadline, f"{word!r} never reached the browser"
            page.wait_for_timeout(100)

    def received(frame: object) -> None:
        if isinstance(frame, bytes):
            screen.extend(frame)

    with Server(class_dir) as server, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=ARGS,
            viewport={"width": 1000, "height": 640})
        try:
            page = context.new_page()
            page.on("websocket", lambda ws: ws.on("framereceived", received))
            page.goto(server.url)
            page.wait_for_selector("body.-first-byte", timeout=WAIT * 1000)
            wait_until("Welcome to ce-tutor", 0)
            page.locator("#terminal").click()
            mark = len(screen)
            page.keyboard.type("Ada Lovelace")
            page.keyboard.press("Enter")
            wait_until("lessons done", mark)
            wait_until("Softmax: from raw outputs to probabilities", mark)
            mark = len(screen)
            page.keyboard.press("Enter")
            wait_until("step 1/12", mark)
            page.wait_for_timeout(500)  # let the frame settle before the picture
            shot = tmp_path / "served-lesson.png"
            page.screenshot(path=str(shot))
        finally:
            context.close()
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("CE_TUTOR_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    with sqlite3.connect(class_dir / "learners" / "ada-lovelace" / "progress.sqlite3") as conn:
        assert conn.execute("SELECT lesson_id, current_step FROM lessons").fetchall() == [("softmax", 0)]

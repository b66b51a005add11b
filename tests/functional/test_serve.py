"""``ce-tutor serve`` end to end: a real server on a free port, tabs speaking textual-serve's websocket
protocol, and the learners' stores and the gradebook read back from the class folder."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import urllib.error
import urllib.request

import aiohttp
import pytest

from ce_tutor.classroom import class_seed, learner_seed
from ce_tutor.lessons.catalog import load_catalog, shipped_lessons_dir
from ce_tutor.quiz.variants import variant_seed
from serve_helpers import Server, Tab

pytestmark = pytest.mark.slow

LESSONS = len(load_catalog([shipped_lessons_dir()]).lessons)  # the shipped lessons: a report row each


def attempts(class_dir, slug):
    with sqlite3.connect(class_dir / "learners" / slug / "progress.sqlite3") as conn:
        return conn.execute("SELECT lesson_id, quiz_id, seed, answer, verdict FROM attempts ORDER BY id").fetchall()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def report(cli, class_dir, *args):
    return cli("class", "report", str(class_dir), *args)


def test_two_learners_each_get_their_own_store_and_the_report_has_a_row_per_learner_and_lesson(tmp_path, cli):
    class_dir = tmp_path / "class"

    async def learner(server, name, answer):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            await tab.sign_in(name)
            assert "Softmax" in tab.text and "Gradient descent" in tab.text  # the lesson list
            return await tab.answer_first_quiz(answer)

    async def both(server):
        return await asyncio.gather(learner(server, "Ada Lovelace", "0.5"), learner(server, "Zoë Ünal", "0.25"))

    with Server(class_dir) as server:
        verdicts = asyncio.run(both(server))
        assert all(verdicts)
        # The same learner in a new tab resumes: the app offers the lesson left half-way.
        async def again():
            async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
                await tab.wait_for("Welcome to ce-tutor")
                await tab.press("ada lovelace\r", "Resume")
        asyncio.run(again())
        assert server.interrupt() == 0
    assert "Traceback" not in server.output()

    seed = class_seed(class_dir)
    for slug, answer in (("ada-lovelace", "0.5"), ("zoë-ünal", "0.25")):
        rows = attempts(class_dir, slug)
        assert [(r[0], r[1], r[3]) for r in rows] == [("softmax", "softmax-probability", answer)]
        # The values each learner saw come from the class seed and their name: reproducible for marking.
        assert rows[0][2] == variant_seed(learner_seed(seed, slug), "softmax", "softmax-probability", 0)
    assert attempts(class_dir, "ada-lovelace")[0][2] != attempts(class_dir, "zoë-ünal")[0][2]
    names = {p.name: json.loads((p / "learner.json").read_text())["name"] for p in (class_dir / "learners").iterdir()}
    assert names == {"ada-lovelace": "Ada Lovelace", "zoë-ünal": "Zoë Ünal"}

    # The gradebook: one row per learner and lesson, the attempt on the softmax row.
    table = report(cli, class_dir)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert sum(line.startswith(("Ada Lovelace", "Zoë Ünal")) for line in lines) == 2 * LESSONS
    result = report(cli, class_dir, "--csv", str(tmp_path / "grades.csv"), "--json", str(tmp_path / "g.json"))
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "grades.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * LESSONS
    softmax = {r["learner"]: r for r in rows if r["lesson_id"] == "softmax"}
    for name in ("Ada Lovelace", "Zoë Ünal"):
        assert softmax[name]["attempts"] == "1"
        assert softmax[name]["completed"] == "no"
        assert softmax[name]["steps_done"] == "9"
        assert softmax[name]["last_activity"].endswith("Z")
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert len(data["rows"]) == 2 * LESSONS and data["skipped"] == []


def test_a_damaged_learner_store_is_reported_and_skipped(tmp_path, cli):
    class_dir = tmp_path / "class"
    class_seed(class_dir, create=True)
    for slug in ("bea", "cy"):
        (class_dir / "learners" / slug).mkdir(parents=True)
    (class_dir / "learners" / "cy" / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
    before = (class_dir / "learners" / "cy" / "progress.sqlite3").read_bytes()
    result = report(cli, class_dir)
    assert result.returncode == 0
    assert "cy" in result.stderr and "skipped" in result.stderr and "Traceback" not in result.stderr
    assert sum(line.startswith("bea ") for line in result.stdout.splitlines()) == LESSONS
    assert (class_dir / "learners" / "cy" / "progress.sqlite3").read_bytes() == before  # never touched
    missing = report(cli, tmp_path / "nowhere")
    assert missing.returncode == 1 and "no such class folder" in missing.stderr


def test_a_wrong_roster_code_is_refused_and_a_right_one_signs_in_as_the_roster_name(tmp_path):
    class_dir = tmp_path / "class"
    roster = tmp_path / "roster.txt"
    roster.write_text("# name, code\nAda Lovelace, k7f2q9\nAlan Turing\tt0r1ng\n", encoding="utf-8")

    async def tab_session(server):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            await tab.wait_for("join code")
            await tab.press("Ada Lovelace\r", "not on this class's roster")
            await tab.press("k7f2q\r", "not on this class's roster")
            await tab.press("t0r1ng\r", "lessons done")

    with Server(class_dir, "--roster", str(roster)) as server:
        asyncio.run(tab_session(server))
    assert sorted(p.name for p in (class_dir / "learners").iterdir()) == ["alan-turing"]


def test_a_bad_roster_stops_the_server_with_the_line(tmp_path, cli):
    roster = tmp_path / "roster.txt"
    roster.write_text("Ada Lovelace, k7f2q9\nAlan Turing, k7f2q9\n", encoding="utf-8")
    result = cli("serve", "--class", str(tmp_path / "c"), "--roster", str(roster), "--port", "1")
    assert result.returncode == 2
    assert f"{roster}:2" in result.stderr and "already used" in result.stderr


def test_hostile_names_are_refused_or_stay_inside_the_class_folder(tmp_path):
    class_dir = tmp_path / "class"
    outside_before = sorted(p.name for p in tmp_path.iterdir())
    # (in an order where each message differs from the one before, so that each is drawn anew)
    refused = {
        "../../evil": "cannot contain '..'",
        "x" * 65: "too long",
        "..": "cannot contain '..'",
        "   ": "type your name",
        "a/b": "cannot contain",
        "!!!": "at least one letter or digit",
        "\x1b[200~bad\x07name\x1b[201~": "control",  # a paste with a control character in it
    }

    async def tab_session(server):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            await tab.wait_for("Welcome to ce-tutor")
            for name, message in refused.items():
                await tab.press(name + "\r", message)
                await tab.press("\x15", "your name")  # ctrl+u clears the box: its placeholder shows
            await tab.press("  Mallory  ; rm -rf ~ \r", "lessons done")

    with Server(class_dir) as server:
        asyncio.run(tab_session(server))
    assert sorted(p.name for p in (class_dir / "learners").iterdir()) == ["mallory-rm-rf"]
    made = {p.name for p in tmp_path.iterdir()} - set(outside_before) - {p.name for p in tmp_path.glob("serve-*.log")}
    assert made == {"class"}
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()


def test_max_learners_is_honoured_with_a_polite_page(tmp_path):
    class_dir = tmp_path / "class"

    async def scenario(server):
        async with aiohttp.ClientSession() as session:
            async with Tab(session, server.url) as first:
                await first.sign_in("First")
                status, page = await asyncio.to_thread(get, server.url + "/")
                assert status == 503 and "The class is full" in page
                async with Tab(session, server.url) as second:
                    await second.wait_for("The class is full")
                    await second.wait_closed()
            for _ in range(200):  # the first tab has gone: room again
                status, page = await asyncio.to_thread(get, server.url + "/")
                if status == 200:
                    break
                await asyncio.sleep(0.1)
            assert status == 200 and "/ws" in page

    with Server(class_dir, "--max-learners", "1") as server:
        asyncio.run(scenario(server))
    assert sorted(p.name for p in (class_dir / "learners").iterdir()) == ["first"]


def test_an_idle_tab_ends_and_ctrl_c_ends_every_tab_with_progress_saved(tmp_path):
    class_dir = tmp_path / "class"

    async def idle(server):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            await tab.sign_in("Sleepy")
            await tab.press("\r", "step 1/12")
            await tab.press("n", "step 2/12")
            await tab.wait_closed(timeout=60)  # 0.05 minutes = 3 s without a key

    with Server(class_dir, "--idle-minutes", "0.05") as server:
        asyncio.run(idle(server))

    with Server(class_dir) as server:
        async def busy_then_stop():
            async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
                await tab.sign_in("Busy")
                await tab.press("\r", "step 1/12")
                await tab.press("n", "step 2/12")
                await tab.press("n", "step 3/12")
                status = await asyncio.to_thread(server.interrupt)
                await tab.wait_closed()
                return status
        assert asyncio.run(busy_then_stop()) == 0
    assert "every learner's progress is saved" in server.output()

    async def comes_back(server):  # after a restart of the server, the learner carries on
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            await tab.wait_for("Welcome to ce-tutor")
            await tab.press("busy\r", "step 3/12")  # "Resume Softmax ... at step 3/12?"
            await tab.press("\r", "step 3/12")

    with Server(class_dir) as again:
        asyncio.run(comes_back(again))
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs_in(pid, class_dir)]
    for slug, step in (("sleepy", 1), ("busy", 2)):
        with sqlite3.connect(class_dir / "learners" / slug / "progress.sqlite3") as conn:
            assert conn.execute("SELECT current_step FROM lessons").fetchall() == [(step,)]
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _runs_in(pid, class_dir):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return str(class_dir).encode() in f.read()
    except OSError:
        return False


def test_under_a_web_driver_the_app_runs_not_the_plain_mode(tmp_path):
    """`textual serve ce-tutor` starts ce-tutor with pipes and TEXTUAL_DRIVER set: the app must run."""
    import subprocess
    import sys

    from serve_helpers import ESCAPES

    env = {**os.environ, "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "COLUMNS": "80",
           "ROWS": "24", "CE_TUTOR_HOME": str(tmp_path / "home")}
    process = subprocess.Popen([sys.executable, "-m", "ce_tutor"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert process.stdout.readline() == b"__GANGLION__\n"  # the web driver's greeting
        screen = b""
        while b"lessons done" not in ESCAPES.sub(b"", screen):
            kind, size = process.stdout.read(1), int.from_bytes(process.stdout.read(4), "big")
            assert kind in (b"D", b"M", b"P"), kind
            payload = process.stdout.read(size)
            if kind == b"D":
                screen += payload
        quit_packet = json.dumps({"type": "quit"}).encode()
        process.stdin.write(b"M" + len(quit_packet).to_bytes(4, "big") + quit_packet)
        process.stdin.flush()
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Traceback" not in process.stderr.read()


def test_serve_usage_errors(cli, tmp_path):
    for args, message in ((["serve"], "--class"), (["serve", "--class", "c", "--port", "0"], "--port"),
                          (["serve", "--class", "c", "--max-learners", "0"], "--max-learners"),
                          (["serve", "--class", "c", "--idle-minutes", "-1"], "--idle-minutes"),
                          (["class"], "report"), (["class", "report"], "DIR")):
        result = cli(*args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    helped = cli("--help")
    assert "serve" in helped.stdout and "class" in helped.stdout and "--class-session" not in helped.stdout


def test_a_port_in_use_is_a_clear_message(cli, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("serve", "--class", str(tmp_path / "c"), "--port", str(taken.getsockname()[1]))
    assert result.returncode == 3 and "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_tabs_of_one_learner_at_once_share_the_store_safely(tmp_path):
    class_dir = tmp_path / "class"

    async def tab(server, answer):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as t:
            await t.sign_in("Twin")
            return await t.answer_quiz_at(9, answer)  # (the other tab may have moved the lesson on)

    async def both(server):
        return await asyncio.gather(tab(server, "0.5"), tab(server, "0.25"))

    with Server(class_dir) as server:
        asyncio.run(both(server))
    assert sorted(r[3] for r in attempts(class_dir, "twin")) == ["0.25", "0.5"]
    with sqlite3.connect(class_dir / "learners" / "twin" / "progress.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_another_sites_page_cannot_open_a_tab(tmp_path):
    async def scenario(server):
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.url.replace("http", "ws") + "/ws",
                                         headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403
            same = await session.ws_connect(server.url.replace("http", "ws") + "/ws",
                                            headers={"Origin": server.url})
            await same.close()

    with Server(tmp_path / "class") as server:
        asyncio.run(scenario(server))


def test_behind_an_https_proxy_the_page_uses_wss(tmp_path):
    with Server(tmp_path / "class") as server:
        request = urllib.request.Request(server.url + "/", headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-Host": "ce.school.example"})
        with urllib.request.urlopen(request, timeout=30) as response:
            page = response.read().decode()
        assert 'data-session-websocket-url="wss://ce.school.example/ws"' in page
        assert "https://ce.school.example/static/js/textual.js" in page
        status, plain = get(server.url + "/")
        assert status == 200 and f'"ws://127.0.0.1:{server.port}/ws"' in plain


def _tab_processes(server_pid):
    """The server's children: each tab's app process (the shell that starts it execs into Python)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == server_pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads /proc (Linux)")
def test_a_tab_runs_lean_from_the_class_bytecode_and_survives_a_lone_surrogate(tmp_path):
    """Each tab runs `python -OO` from the class's own bytecode, without OpenSSL (as the terminal app),
    with two malloc arenas; a key press that is valid JSON but not Unicode does not end it."""
    class_dir = tmp_path / "class"

    async def learner(server):
        async with aiohttp.ClientSession() as session, Tab(session, server.url) as tab:
            compiled = set(class_dir.rglob("*.pyc"))  # at start, by the server
            await tab.sign_in("Ada")
            (pid,) = _tab_processes(server.process.pid)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
            with open(f"/proc/{pid}/maps") as f:
                maps = f.read()
            await tab.settle()
            tab.mark()
            await tab.ws.send_str('["stdin", "\\ud800"]')  # a lone surrogate: JSON allows it
            await tab.wait_for("this help")  # it arrived as "?", which opens the help
            await tab.press("\x1b", "lessons done")
            await tab.press("\r", "step 1/12")  # and the tab goes on: Enter opens the lesson
            await tab.press("n", "step 2/12")
            # The server compiled what the tab needed (else add it to server.TAB_MODULES).
            assert {p.name for p in set(class_dir.rglob("*.pyc")) - compiled} == set()
            return argv, environ, maps

    with Server(class_dir) as server:
        argv, environ, maps = asyncio.run(learner(server))
        assert server.interrupt() == 0
    bytecode = class_dir / "cache" / "bytecode"
    assert b"-OO" in argv and f"pycache_prefix={bytecode}".encode() in argv
    assert argv[argv.index(b"-m") + 1] == b"ce_tutor.serve.tab"  # not the command line's parser
    assert list(bytecode.rglob("who.*.opt-2.pyc"))
    assert b"PYTHONDONTWRITEBYTECODE" not in environ and environ[b"MALLOC_ARENA_MAX"] == b"2"
    assert "libcrypto" not in maps and "libssl" not in maps
    assert "Traceback" not in server.output()

"""SIGINT and SIGTERM at any phase end the run with exit 130 / 143, a summary marked
interrupted, and every output file whole; running out of memory is one line and exit 3.

The signals are real (sent to this process with os.kill) and arrive at a chosen point: a
wrapper around the phase's work sends the signal on its n-th call, so each test hits its
phase every time.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import z3

from migcheck.checker.runner import explore as real_explore
from migcheck.cli import main

SMALL = ("--pages", "0", "--failures", "1")


def outputs(tmp: Path) -> list[str]:
    return ["--json", str(tmp / "r.json"), "--junit", str(tmp / "j.xml"), "--sarif",
            str(tmp / "s.sarif"), "--last", str(tmp / "last.json"), "--traces", str(tmp / "t")]


def written(tmp: Path) -> dict:
    """The --json report, after checking every output file parses."""
    ET.parse(tmp / "j.xml")
    json.loads((tmp / "s.sarif").read_text())
    json.loads((tmp / "last.json").read_text())
    assert not [p for p in tmp.rglob(".*.tmp")], "a temporary file was left"
    (check,) = json.loads((tmp / "r.json").read_text())["checks"]
    return check


def signal_on_call(fn, n: int, signum: int):  # type: ignore[no-untyped-def]
    """`fn`, sending `signum` to this process just before its n-th call."""
    calls = 0

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == n:
            os.kill(os.getpid(), signum)
        return fn(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_exploring_leaves_valid_files_marked_interrupted(
        capsys, tmp_path, monkeypatch, signum, code):
    def explore(compiled, **kw):  # type: ignore[no-untyped-def]
        compiled.__dict__["successors"] = signal_on_call(compiled.successors, 50, signum)
        return real_explore(compiled, **kw)

    monkeypatch.setattr("migcheck.checker.runner.explore", explore)
    assert main(["check", *SMALL, "--explorer", "python", *outputs(tmp_path)]) == code
    out = capsys.readouterr().out
    assert "INCOMPLETE (interrupted)" in out
    check = written(tmp_path)
    assert check["coverage"]["interrupted"] and not check["coverage"]["complete"]
    assert check["coverage"]["signal"] == signum and check["exit_code"] == code
    assert {r["verdict"] for r in check["results"]} == {"unknown"}


def test_a_signal_while_the_native_explorer_runs_leaves_valid_files(capsys, tmp_path,
                                                                    monkeypatch):
    from migcheck.checker.native import build, explorer as native

    if build.compiler() is None:
        pytest.skip("native explorer unavailable: no C compiler")
    clock = native.time.perf_counter
    monkeypatch.setattr(native.time, "perf_counter",
                        signal_on_call(clock, 20, signal.SIGTERM))
    assert main(["check", *SMALL, "--explorer", "native", *outputs(tmp_path)]) == 143
    check = written(tmp_path)
    assert check["coverage"]["interrupted"] and not check["coverage"]["complete"]
    assert {r["verdict"] for r in check["results"]} == {"unknown"}


def test_sigterm_while_deciding_keeps_the_verdicts_already_reached(capsys, tmp_path,
                                                                    monkeypatch):
    from migcheck.checker import decide

    monkeypatch.setattr(decide, "decide", signal_on_call(decide.decide, 3, signal.SIGTERM))
    assert main(["check", *SMALL, *outputs(tmp_path)]) == 143
    assert "INTERRUPTED before" in capsys.readouterr().out
    check = written(tmp_path)
    assert check["coverage"]["complete"] and check["coverage"]["interrupted"]
    verdicts = [r["verdict"] for r in check["results"]]
    assert "unknown" not in verdicts[:2] and set(verdicts[2:]) == {"unknown"}
    assert all(r["method"] == "interrupted" for r in check["results"][2:])


def test_sigterm_while_writing_waits_until_every_file_is_written(capsys, tmp_path,
                                                                  monkeypatch):
    from migcheck.checker.views import junit

    monkeypatch.setattr(junit, "write", signal_on_call(junit.write, 1, signal.SIGTERM))
    assert main(["check", *SMALL, *outputs(tmp_path)]) == 143
    check = written(tmp_path)  # the JUnit file and the two written after it are all there
    assert check["coverage"]["complete"] and check["exit_code"] == 0


def test_sigterm_stops_a_z3_query_at_once(capsys, tmp_path, monkeypatch):
    """A query z3 would not finish for ages (factor a 256-bit number): the signal stops it,
    and prove reports every property unknown, interrupted."""
    from migcheck.checker.z3 import prover

    def hard_query_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        x, y = z3.BitVecs("x y", 512)
        sol = z3.Solver()
        sol.add(x * y == (1 << 255) + 95, z3.ULT(1, x), z3.ULT(1, y),
                z3.ULT(x, 1 << 256), z3.ULT(y, 1 << 256))
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        sol.check()
        raise AssertionError("z3 finished the query: the test needs a harder one")

    monkeypatch.setattr(prover.induction, "prove", hard_query_first)
    faulthandler.dump_traceback_later(120, exit=True, file=sys.__stderr__)  # fail, not hang
    try:
        assert main(["prove", *SMALL, *outputs(tmp_path)]) == 143
    finally:
        faulthandler.cancel_dump_traceback_later()
    check = written(tmp_path)
    assert check["coverage"]["interrupted"] and check["exit_code"] == 143
    assert {r["detail"] for r in check["results"]} == {"interrupted before it was decided"}


def test_out_of_memory_is_one_line_and_exit_3(tmp_path):
    """The default check needs far more than the 450 MiB of address space it gets here."""
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (450 << 20,"
              " 450 << 20)); from migcheck.cli import main; sys.exit(main(['check']))")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 3
    assert done.stderr.startswith("migcheck: out of memory") and done.stderr.count("\n") == 1


def test_sigterm_from_outside_mid_exploration(tmp_path):
    """`kill -TERM` on a real `migcheck check` of the default model (about two million states,
    with the Python explorer, slow enough to catch) once it is exploring (its memory has grown
    past 250 MiB): exit 143, valid files."""
    import time

    proc = subprocess.Popen([sys.executable, "-m", "migcheck.cli", "check", "--explorer",
                             "python", *outputs(tmp_path)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        while proc.poll() is None and _rss_mib(proc.pid) < 250:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "INCOMPLETE (interrupted)" in out
    check = written(tmp_path)
    assert check["coverage"]["interrupted"] and check["exit_code"] == 143


def _rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines()
                 if line.startswith("VmRSS:")), 0.0)

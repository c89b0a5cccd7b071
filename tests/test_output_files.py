"""Output files: a bad path fails at once, before any work; writes are atomic and leave no
temporary files; concurrent runs keep each other's results; an unfinished run never replaces
a finished one in reports/last-check.json."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from migcheck.checker import files
from migcheck.checker.files import OutputError, check_writable, write_text
from migcheck.checker.report import Coverage, ModelInfo, Report
from migcheck.checker.views import report_json
from migcheck.cli import main
from migcheck.realqemu.trace import TraceWriter


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_a_bad_json_path_fails_in_under_a_second_before_exploring(capsys, tmp_path,
                                                                  monkeypatch):
    """The default check explores ~2 million states; a --json naming a folder must not cost
    that (nor building the model)."""
    def no_work(*_args, **_kw):
        raise AssertionError("work started before the outputs were checked")

    monkeypatch.setattr("migcheck.commands.check.load", no_work)
    monkeypatch.setattr("migcheck.commands.check.run_check", no_work)
    started = time.perf_counter()
    code, err = run(capsys, "check", "--json", str(tmp_path))
    assert time.perf_counter() - started < 1.0
    assert code == 2 and err == f"migcheck: error: --json {tmp_path}: is a directory\n"


@pytest.mark.parametrize("argv", [
    ("check", "--junit", "{file}/x.xml"),
    ("check", "--sarif", "{fifo}"),
    ("check", "--last", "{dir}"),
    ("check", "--traces", "{file}"),
    ("prove", "--json", "{long}"),
    ("graph", "--out", "{file}/g"),
    ("report", "--out", "{file}"),
    ("validate", "{trace}", "--model", "qemu-7.2", "--save", "{dir}"),
    ("validate", "{trace}", "--save", "s.json"),
    ("replay", "{itf}", "--qemu", "7.2", "--out", "{file}"),
], ids=lambda argv: " ".join(a for a in argv if not a.startswith("{")))
def test_every_bad_output_path_is_one_line_and_exit_2(capsys, tmp_path, argv):
    (tmp_path / "plain").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    real = Path(__file__).parent.parent / "reports"
    names = {"{file}": str(tmp_path / "plain"), "{fifo}": str(tmp_path / "fifo"),
             "{dir}": str(tmp_path), "{long}": str(tmp_path / ("x" * 300)),
             "{trace}": str(real / "real" / "qemu-7.2-recover.jsonl"),
             "{itf}": str(real / "example" / "qemu-7.2--recover-exits.itf.json")}
    argv = [names.get(a, a.replace("{file}", names["{file}"])) for a in argv]
    code, err = run(capsys, *argv)
    assert code == 2 and err.startswith("migcheck: error: ") and err.count("\n") == 1, err


def test_record_refuses_a_bad_out_before_starting_qemu(capsys, tmp_path):
    from migcheck.realqemu import record_main

    code = record_main(["normal", "--qemu", "7.2", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "is a directory" in err and err.count("\n") == 1


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_text("old\n")

    def broken(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(OutputError, match="No space left"):
        write_text(target, "new\n")
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["r.json"]


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    """A run killed (SIGKILL) while writing leaves `.r.json.<pid>.<random>.tmp`; the next
    write of r.json removes it, and leaves a running process's temporary file alone."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = tmp_path / f".r.json.{gone.pid}.abc.tmp"
    in_flight = tmp_path / f".r.json.{os.getpid()}.def.tmp"
    orphan.write_text("half")
    in_flight.write_text("being written")
    write_text(tmp_path / "r.json", "new")
    assert sorted(os.listdir(tmp_path)) == [in_flight.name, "r.json"]


def test_writes_keep_permissions_and_replace_a_link_target(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o644)
    (tmp_path / "link.json").symlink_to(real)
    write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink() and real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o644


def test_a_device_or_pipe_is_never_replaced(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    for path in (tmp_path / "fifo", Path("/dev/null")):
        with pytest.raises(OutputError, match="not a regular file"):
            check_writable(path)
        with pytest.raises(OutputError, match="not a regular file"):
            write_text(path, "x")
    assert (tmp_path / "fifo").is_fifo() and Path("/dev/null").is_char_device()


def test_a_real_qemu_trace_appears_only_when_closed(tmp_path):
    out = tmp_path / "run.jsonl"
    out.write_text("previous run\n")
    with TraceWriter(out) as trace:
        trace.mark("start")
        assert out.read_text() == "previous run\n"
    assert json.loads(out.read_text())["data"] == {"mark": "start"}
    assert os.listdir(tmp_path) == ["run.jsonl"]


# --- reports/last-check.json ---------------------------------------------------------------

def report(model: str, complete: bool = True, interrupted: bool = False) -> Report:
    info = ModelInfo(model, "", {"failures": 1}, (), ())
    return Report("explore", info, Coverage(complete, "bfs", "", 10, 20, 3, 0.1, interrupted),
                  [], 0.1)


def models_in(path: Path) -> dict[str, bool]:
    return {c["model"]: c["coverage"]["complete"] and not c["coverage"]["interrupted"]
            for c in json.loads(path.read_text())["checks"]}


@pytest.mark.parametrize("unfinished", [
    report("m", complete=False),
    report("m", complete=False, interrupted=True),
    report("m", complete=True, interrupted=True),  # explored, interrupted while deciding
], ids=["state limit", "interrupted exploring", "interrupted deciding"])
def test_an_unfinished_run_does_not_replace_a_finished_one(tmp_path, unfinished):
    last = tmp_path / "last-check.json"
    report_json.record_last([report("m")], last)
    report_json.record_last([unfinished], last)
    assert models_in(last) == {"m": True}
    report_json.record_last([replace(report("m"), seconds=9.0)], last)  # a finished one does
    assert json.loads(last.read_text())["checks"][0]["seconds"] == 9.0


def test_check_keeps_the_complete_run_over_a_stopped_one(capsys, tmp_path):
    last = tmp_path / "last.json"
    base = ("check", "--pages", "0", "--failures", "0", "--last", str(last),
            "--traces", str(tmp_path))
    assert run(capsys, *base)[0] == 0
    assert run(capsys, *base, "--max-states", "10")[0] == 3
    assert models_in(last) == {"qemu-8.2": True}


def _record_many(path: str, worker: int) -> None:
    for k in range(5):
        report_json.record_last([report(f"w{worker}-{k}")], Path(path))


def test_concurrent_runs_keep_every_result(tmp_path):
    """Eight processes each record five reports into one last-check.json at once: every one
    of the forty is there at the end (the read-modify-write holds a lock)."""
    last = tmp_path / "reports" / "last-check.json"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record_many, args=(str(last), w)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert len(models_in(last)) == 40
    assert os.listdir(last.parent) == ["last-check.json"]  # no temporary or lock files

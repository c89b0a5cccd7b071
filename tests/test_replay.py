"""migcheck replay: the scenario built from a counterexample (no QEMU needed), and the
qemu-7.2 recover-exits counterexample on real QEMU 7.2 (reproduced) and 10.0 (recovered)."""

from __future__ import annotations

import warnings
from pathlib import Path

import conftest
import pytest

from migcheck.checker.trace import load
from migcheck.cli import main
from migcheck.realqemu import binaries
from migcheck.realqemu.replay import replay, scenario
from migcheck.realqemu.steps import Break, Cmd, Heal, Quiet, WaitEvent


@pytest.fixture(scope="module")
def cex(tmp_path_factory) -> Path:
    """The qemu-7.2 recover-exits counterexample, as `migcheck check` saves it (no pages:
    replay drives QMP only)."""
    from migcheck.checker.runner import run_check, save_traces
    from migcheck.validate import build

    out = tmp_path_factory.mktemp("traces")
    report = run_check(build("qemu-7.2", 2), [conftest.prop("recover-exits", "qemu-7.2")])
    (result,) = save_traces(report, out).results
    assert result.trace_file is not None
    return Path(result.trace_file)


def test_scenario_breaks_before_the_resume_and_waits_for_recover(cex):
    steps = scenario(load(cex))
    kinds = [type(s).__name__ for s in steps]
    assert kinds.count("Break") == 1 and "Heal" not in kinds
    resume = next(i for i, s in enumerate(steps) if isinstance(s, Cmd)
                  and dict(s.args).get("resume"))
    assert steps.index(next(s for s in steps if isinstance(s, Break))) < resume
    assert WaitEvent("src", "postcopy-recover", 20.0) in steps[resume:]
    assert any(isinstance(s, Quiet) for s in steps[resume:])
    assert not any(isinstance(s, Heal) for s in steps)
    assert [s.name for s in steps[-2:]] == ["query-migrate", "query-migrate"]


def test_migrate_incoming_left_to_the_harness(cex):
    steps = scenario(load(cex))
    assert not any(isinstance(s, Cmd) and s.name == "migrate-incoming" for s in steps)


def test_bad_trace_file_exit_2(tmp_path, capsys, cex):
    bad = tmp_path / "x.itf.json"
    bad.write_text("[]")
    assert main(["replay", str(bad), "--qemu", "7.2"]) == 2
    assert "not a migcheck/ITF trace" in capsys.readouterr().err
    assert main(["replay", str(cex), "--qemu", "/nonexistent/qemu"]) == 2


def _need(version: str) -> None:
    reason = binaries.unavailable_reason(version)
    if reason:
        msg = f"real QEMU {version} replay skipped: {reason}"
        warnings.warn(msg, stacklevel=2)
        print(msg)
        pytest.skip(msg)


@pytest.mark.realqemu
def test_recover_exits_reproduces_on_72(tmp_path, cex):
    _need("7.2")
    outcome = replay(load(cex), "7.2", tmp_path)
    assert outcome.verdict == "reproduced", outcome.detail
    assert outcome.real_end == {"src": "postcopy-recover", "dst": "postcopy-paused"}
    assert outcome.validated is True


@pytest.mark.realqemu
def test_recover_exits_recovers_on_10(tmp_path, cex):
    _need("10.0")
    outcome = replay(load(cex), "10.0", tmp_path)
    assert outcome.verdict == "not reproduced, recovered", outcome.detail
    assert outcome.real_end["src"] == "postcopy-paused"
    assert outcome.validated is True

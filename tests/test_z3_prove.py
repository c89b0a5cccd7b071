"""z3 engine: BMC counterexamples match the explorer's; bad input is one line, exit 2."""

from __future__ import annotations

import json

import conftest

from migcheck.build import build_model
from migcheck.checker.report import Verdict
from migcheck.checker.runner import run_check
from migcheck.checker.z3.prover import run_prove
from migcheck.cli import main


def test_qemu72_recover_exits_counterexample_matches_explorer():
    model = build_model("qemu-7.2", 2)
    prop = conftest.prop("recover-exits", "qemu-7.2")
    explorer = run_check(model, [prop]).results[0]
    z3run = run_prove(model, [prop], depth=30, timeout_s=120).results[0]
    assert z3run.verdict is Verdict.VIOLATED
    assert z3run.trace.kind == explorer.trace.kind == "stuck"
    assert z3run.trace.prefix_length == explorer.trace.prefix_length == 25
    assert [s.action for s in z3run.trace.steps[26:]] == \
        [s.action for s in explorer.trace.steps[26:]]
    assert z3run.trace.engine == "z3"


def test_prove_unknown_model_is_usage_error(capsys):
    assert main(["prove", "--model", "qemu-0.1"]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_z3_giving_up_is_unknown_and_exit_3(capsys, tmp_path, monkeypatch):
    """`prove --timeout 1 --pages 1` may leave z3 short of an inductive invariant: every
    safety property is then unknown (exit 3), never a crash.  A resource limit of one unit
    makes z3 give up on every induction query, whatever the machine's speed."""
    from migcheck.checker.z3 import induction

    real_solver = induction.solver

    def starved(enc, timeout_ms=None):  # type: ignore[no-untyped-def]
        sol = real_solver(enc, timeout_ms)
        sol.set("rlimit", 1)
        return sol

    monkeypatch.setattr(induction, "solver", starved)
    code = main(["prove", "--pages", "0", "--failures", "1", "--timeout", "1",
                 "--property", "no-deadlock", "--property", "recover-exits",
                 "--json", str(tmp_path / "r.json"), "--traces", str(tmp_path),
                 "--last", str(tmp_path / "last.json")])
    assert code == 3
    (check,) = json.loads((tmp_path / "r.json").read_text())["checks"]
    verdicts = {r["property"]: r["verdict"] for r in check["results"]}
    assert verdicts == {"no-deadlock": "unknown", "recover-exits": "unknown"}
    assert "no inductive invariant found" in next(
        r["detail"] for r in check["results"] if r["property"] == "no-deadlock")

"""z3 engine: BMC counterexamples match the explorer's; bad input is one line, exit 2."""

from __future__ import annotations

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

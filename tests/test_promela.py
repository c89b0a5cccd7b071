"""The Promela export is the identical model: SPIN stores exactly migcheck's states, takes
exactly its transitions, and finds exactly the invariant violations migcheck finds on the
injected page faults; its trail reads back as a migcheck trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import built

from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, check_all
from migcheck.checker.explore import explore
from migcheck.checker.kinds import Invariant
from migcheck.checker.native.explorer import explore_native
from migcheck.checker.promela import export
from migcheck.checker.report import Verdict
from migcheck.checker.spin import available, replay_actions, to_trace, verify
from migcheck.cli import main

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

FAULTS = ("qemu-8.2+no-bitmap-rebuild", "qemu-8.2+no-request-resend",
          "qemu-8.2+mark-before-place", "qemu-8.2+no-discard")
FAST = ("-O0",)  # small models: compiling pan.c dominates


def spin_on(folder: Path, version: str, failures: int, pages: int,
            invariants: list[Invariant]):  # type: ignore[no-untyped-def]
    folder.mkdir()
    pml = folder / "model.pml"
    pml.write_text(export(CompiledModel(built(version, failures, pages).model), invariants,
                          {"model": version, "failures": failures, "pages": pages,
                           "preempt": 0}))
    return pml, verify(pml, FAST)


def test_spin_stores_exactly_our_states_and_transitions(tmp_path):
    b = built("qemu-8.2", 1, 0)
    graph = explore(CompiledModel(b.model))
    invariants = [p for p in b.properties if isinstance(p, Invariant)]
    _, run = spin_on(tmp_path / "all", "qemu-8.2", 1, 0, invariants)
    assert run.errors == 0
    assert run.stored == graph.n == 28_355
    assert run.transitions == graph.transitions + 1  # SPIN counts the step into the initial state


@pytest.mark.parametrize("version", FAULTS)
def test_spin_finds_the_same_invariant_violations(tmp_path, capsys, version):
    b = built(version, 0, 1)
    compiled = CompiledModel(b.model)
    graph = explore_native(compiled)
    invariants = [p for p in b.properties if isinstance(p, Invariant)]
    verdicts = {r.property.name: r.verdict for r in check_all(Context(compiled, graph),
                                                              invariants)}
    violated = [p for p in invariants if verdicts[p.name] is Verdict.VIOLATED]
    holding = [p for p in invariants if verdicts[p.name] is Verdict.HOLDS]
    assert violated and holding
    _, run = spin_on(tmp_path / "holding", version, 0, 1, holding)
    assert run.errors == 0 and run.stored == graph.n
    for p in violated:
        pml, run = spin_on(tmp_path / p.name, version, 0, 1, [p])
        assert run.errors == 1
        trace = to_trace(compiled, replay_actions(pml), invariants, str(pml))
        assert trace.property == p.name and trace.summary.startswith(p.name)
        assert main(["trace", f"{pml}.trail", "--diff", "--color", "never"]) == 0
        assert f"{p.name} on {version}" in capsys.readouterr().out

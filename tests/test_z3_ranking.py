"""recover-exits on qemu-8.2 for every number of failures: a lexicographic ranking that z3
checks on every step inside POSTCOPY_RECOVER, fitted to the explorer's steps."""

from __future__ import annotations

import functools

import conftest
import pytest
import z3
from conftest import context

from migcheck.build import build_model
from migcheck.checker.report import Verdict
from migcheck.checker.z3 import induction, lemmas, ranking
from migcheck.checker.z3.encode import Encoder
from migcheck.checker.z3.prover import _samples_inside, goal_of, run_prove
from migcheck.checker.z3.reach import Reach

RECOVER_EXITS = conftest.prop("recover-exits")


@functools.cache
def recover_proof() -> tuple[Encoder, induction.Proof, set]:
    ctx = context("qemu-8.2", 2)
    enc = Encoder(ctx.model, abstract=True)
    rows = lemmas.slot_rows(enc, ctx.graph.states)
    proof = induction.prove(enc, Reach(rows), [goal_of(RECOVER_EXITS, ctx.model)],
                            seeds=lemmas.candidates(enc, rows))
    return enc, proof, _samples_inside(enc, ctx.graph, RECOVER_EXITS)


def lex_decreases(comps, s, t) -> bool:
    return [c.value(t) for c in comps] < [c.value(s) for c in comps]


def test_fitted_ranking_lowers_every_explored_step_inside_recover():
    _, _, samples = recover_proof()
    comps = ranking.Fitter(samples).fit()
    assert len(comps) >= 2  # a thread waking on rp_sem and waiting again needs a 2nd phase
    assert all(lex_decreases(comps, s, t) for s, t in samples)
    # every component is needed: without the last, some explored step does not go down
    assert not all(lex_decreases(comps[:-1], s, t) for s, t in samples)


def test_z3_rejects_a_ranking_with_a_component_missing():
    enc, proof, samples = recover_proof()
    st = proof.strengthener
    comps = ranking.Fitter(samples).fit()
    inside = z3.And(enc.holds(RECOVER_EXITS.cond, st.s), enc.holds(RECOVER_EXITS.cond, st.t),
                    z3.Not(enc.same(st.s, st.t)))
    result, _, _ = st._check(z3.And(inside, z3.Not(ranking.decreases(comps[:-1], st.sv,
                                                                     st.tv, enc.bv))))
    assert result == z3.sat


def test_a_cycle_has_no_ranking():
    a, b = (0, 1, 0), (1, 1, 0)
    with pytest.raises(ranking.NoRanking):
        ranking.Fitter({(a, b), (b, a)}).fit()


def test_qemu82_recover_exits_proved_for_every_number_of_failures():
    result = run_prove(build_model("qemu-8.2", 2), [RECOVER_EXITS]).results[0]
    assert result.verdict is Verdict.PROVED
    assert result.method == "unbounded, ranking function + progress"
    assert any("rp_sem" in line for line in result.why)

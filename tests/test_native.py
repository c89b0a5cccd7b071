"""The native explorer (generated C over packed states) against the Python explorer: the same
states in the same order, the same edges, and so the same verdicts and counterexamples, on
every built-in version; several workers give exactly what one gives."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from conftest import built, context

from migcheck.build import build_model
from migcheck.checker import graphalgo
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, check_all
from migcheck.checker.explore import explore
from migcheck.checker.native.build import compiler
from migcheck.checker.native.explorer import explore_native, save
from migcheck.checker.runner import run_check
from migcheck.proposals import builtin

pytestmark = pytest.mark.skipif(compiler() is None, reason="no C compiler (cc, gcc) found")

PAGE_FAULTS = {"qemu-8.2+no-bitmap-rebuild", "qemu-8.2+no-request-resend",
               "qemu-8.2+mark-before-place", "qemu-8.2+no-discard"}


def bound(version: str) -> tuple[int, int]:
    """(failures, pages): the smallest bound at which the version means something."""
    return (0, 1) if version in PAGE_FAULTS else (1, 0)


@functools.cache
def graphs(version: str):  # type: ignore[no-untyped-def]
    failures, pages = bound(version)
    b = built(version, failures, pages)
    if pages == 0:  # the Python graph other tests explore too (z3 agreement)
        py = context(version, failures)
        c = py.compiled
        return b, c, py.graph, explore_native(c)
    c = CompiledModel(b.model)
    return b, c, explore(c), explore_native(c)


@pytest.mark.parametrize("version", builtin())
def test_same_graph(version):
    _, _, py, nat = graphs(version)
    assert nat.complete and py.complete
    assert (nat.n, nat.transitions, nat.self_loops, nat.max_depth) == \
        (py.n, py.transitions, py.self_loops, py.max_depth)
    a, b = nat.arrays(), py.arrays()
    for field in ("src", "dst", "act", "depth", "fair_enabled"):
        assert np.array_equal(getattr(a, field).astype(np.int64), getattr(b, field)), field
    for i in (0, py.n // 2, py.n - 1):
        assert nat.state(i) == py.state(i)
        assert nat.path_to(i) == py.path_to(i)


@pytest.mark.parametrize("version", builtin())
def test_same_verdicts_and_counterexamples(version):
    b, c, py, nat = graphs(version)
    props = list(b.properties)
    mine = check_all(Context(c, nat), props)
    theirs = check_all(Context(c, py), props)
    for m, t in zip(mine, theirs, strict=True):
        assert (m.property.name, m.verdict, m.detail) == (t.property.name, t.verdict, t.detail)
        assert (m.trace is None) == (t.trace is None)
        if m.trace is not None:
            assert m.trace.steps == t.trace.steps


def test_projection_matches_the_python_explorer():
    _, c, py, nat = graphs("qemu-7.2")
    cols = tuple(range(len(c.model.variables)))
    assert sum(nat.layout.slots[s].width for i in cols for s in nat.layout.var_slots[i]) > 64
    (mine, mine_rows), (theirs, their_rows) = nat.project(cols), py.project(cols)
    assert mine_rows == their_rows and np.array_equal(mine, theirs)


def test_two_workers_find_exactly_what_one_finds():
    b = built("qemu-8.2", 1, 1)
    c = CompiledModel(b.model)
    one, two = explore_native(c, workers=1, chunk=4096), explore_native(c, workers=2, chunk=4096)
    assert (one.n, one.transitions) == (two.n, two.transitions) == (317_061, 1_862_400)
    for field in ("src", "dst", "act", "depth", "fair_enabled"):
        assert np.array_equal(getattr(one.arrays(), field), getattr(two.arrays(), field))
    props = list(b.properties)
    assert [(r.verdict, r.detail) for r in check_all(Context(c, one), props)] == \
        [(r.verdict, r.detail) for r in check_all(Context(c, two), props)]


@pytest.mark.parametrize("workers", [1, 2])
def test_invariant_violation_stops_early_with_the_shortest_counterexample(workers):
    b = built("qemu-8.2+no-discard", 1, 1)
    c = CompiledModel(b.model)
    prop = b.property("pages-consistent")
    full = check_all(Context(c, explore_native(c)), [prop])[0]
    graph = explore_native(c, workers=workers, watch=(prop.predicate,), stop_when_watched=True,
                           chunk=1024)
    early = check_all(Context(c, graph), [prop])[0]
    assert not graph.complete and graph.n < 348_179
    assert early.verdict is full.verdict and early.trace.steps == full.trace.steps
    assert len(early.trace.steps) == 37  # the initial state and 36 steps


def test_without_a_compiler_everything_falls_back_to_python(monkeypatch):
    b = built("qemu-7.2", 1, 0)
    native = run_check(b.model, list(b.properties))
    monkeypatch.setenv("MIGCHECK_NATIVE", "0")
    graphalgo.kernels.cache_clear()
    try:
        fallback = run_check(b.model, list(b.properties))
    finally:
        graphalgo.kernels.cache_clear()
    assert "used the Python explorer" in fallback.notes[0]
    assert native.coverage.method != fallback.coverage.method
    assert (native.coverage.states, native.coverage.transitions) == \
        (fallback.coverage.states, fallback.coverage.transitions)
    assert [(r.name, r.verdict, r.detail) for r in native.results] == \
        [(r.name, r.verdict, r.detail) for r in fallback.results]
    assert any(r.verdict.failed for r in native.results)  # recover-exits: 7.2's hang


def test_a_saved_exploration_goes_on_where_it_stopped(tmp_path):
    c = CompiledModel(built("qemu-8.2", 1, 1).model)
    part = explore_native(c, max_states=100_000, chunk=4096)
    assert not part.complete
    save(part, tmp_path / "part.npz")
    rest = explore_native(c, workers=2, resume=tmp_path / "part.npz")
    whole = explore_native(c)
    assert rest.complete and (rest.n, rest.transitions) == (whole.n, whole.transitions)
    for field in ("src", "dst", "act", "depth", "fair_enabled"):
        assert np.array_equal(getattr(rest.arrays(), field), getattr(whole.arrays(), field))


def test_an_out_of_domain_assignment_stops_both_explorers_at_the_same_step(tmp_path):
    path = tmp_path / "proposal.py"
    path.write_text("from migcheck.design import *\n"
                    "V = Version('mine', 'qemu-8.2', 'rp_sem overflows', lambda c: [\n"
                    "    Edit('source_return_path_thread: RESUME_ACK', why='five kicks',\n"
                    "         assign={'rp_sem': rp_sem + 5})])\n")
    c = CompiledModel(build_model(str(path), 1))
    py, nat = explore(c), explore_native(c, workers=2, chunk=512)
    assert py.domain_error is not None and nat.domain_error is not None
    assert vars(nat.domain_error) == vars(py.domain_error)
    assert nat.path_to(nat.domain_error.state) == py.path_to(py.domain_error.state)
    assert (nat.n, nat.expanded) == (py.n, py.expanded)

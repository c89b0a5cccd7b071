"""The verdicts the issue asks for, and the shape of the qemu-7.2 counterexample."""

from __future__ import annotations

from collections import deque

import pytest
from conftest import built, compiled, context, prop

from migcheck.checker.decide import check_all
from migcheck.checker.report import Verdict
from migcheck.checker.simulate import Simulator


@pytest.mark.parametrize("failures", [1, 2])
def test_qemu_82_every_property_holds(failures):
    results = check_all(context("qemu-8.2", failures), list(built("qemu-8.2", failures).properties))
    bad = [(r.property.name, r.verdict.value, r.detail) for r in results if not r.verdict.ok]
    assert bad == []
    assert context("qemu-8.2", failures).graph.complete


@pytest.fixture(scope="module")
def recover_exits_72():
    (result,) = check_all(context("qemu-7.2", 2), [prop("recover-exits", "qemu-7.2")])
    return result


def test_qemu_72_recover_exits_is_violated(recover_exits_72):
    assert recover_exits_72.verdict is Verdict.VIOLATED
    assert recover_exits_72.trace.kind == "stuck"


def test_qemu_72_counterexample_ends_stuck_in_recover(recover_exits_72):
    trace = recover_exits_72.trace
    end = trace.steps[trace.loop_start].state
    assert end["src_state"] == "POSTCOPY_RECOVER"
    assert end["mig"] == "BITMAP_WAIT" and end["rp_sem"] == 0
    assert end["rp"] == "EXITED"
    assert (trace.loop_start, "src:migration", "rp_sem") in trace.blocked


def test_qemu_72_counterexample_shows_migrate_pause_refused(recover_exits_72):
    trace = recover_exits_72.trace
    loop = trace.steps[trace.loop_start + 1:]
    pause = [s for s in loop if s.action == "src: migrate-pause (refused)"]
    assert pause and "only supported during postcopy-active state" in pause[0].reply
    assert all(s.state == trace.steps[trace.loop_start].state for s in loop)


def _stuck_in_recover(sim: Simulator, state) -> bool:
    model = sim.compiled.model
    if model.decode(state)["src_state"].name != "POSTCOPY_RECOVER":
        return False
    for k, nxt in sim.compiled.successors(state):
        if nxt != state and model.actor(sim.compiled.actions[k].actor).fair:
            return False
    return True


def test_qemu_72_counterexample_is_a_shortest_one(recover_exits_72):
    """An independent breadth-first search finds no stuck RECOVER state closer to the start."""
    sim = Simulator(compiled("qemu-7.2", 2))
    start = sim.compiled.model.initial()
    depth = {start: 0}
    queue = deque([start])
    found = None
    while queue and found is None:
        state = queue.popleft()
        if _stuck_in_recover(sim, state):
            found = depth[state]
            break
        for _, nxt in sim.compiled.successors(state):
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                queue.append(nxt)
    assert found == recover_exits_72.trace.prefix_length == 25


def test_qemu_72_counterexample_replays_on_the_model(recover_exits_72):
    sim = Simulator(compiled("qemu-7.2", 2))
    names = [s.action for s in recover_exits_72.trace.steps[1:]]
    final = sim.run(names)
    assert sim.view(final) == recover_exits_72.trace.steps[-1].state


def test_qemu_72_other_liveness_properties_fail_too():
    results = {r.property.name: r.verdict for r in check_all(
        context("qemu-7.2", 2), [prop(n, "qemu-7.2") for n in
                                 ("no-deadlock", "admin-can-escape", "waits-have-posters")])}
    assert set(results.values()) == {Verdict.VIOLATED}


def test_safety_invariants_hold_on_qemu_72():
    names = ("one-return-path-thread", "handshake-order", "source-transitions",
             "destination-transitions", "channels-bounded")
    results = check_all(context("qemu-7.2", 2), [prop(n, "qemu-7.2") for n in names])
    assert [r.verdict for r in results] == [Verdict.HOLDS] * len(names)


def test_cancel_variant_shows_the_cancelling_hang():
    (r,) = check_all(context("qemu-8.2+cancel", 1), [prop("no-deadlock")])
    assert r.verdict is Verdict.VIOLATED
    assert r.trace.steps[r.trace.loop_start].state["src_state"] == "CANCELLING"


def test_switchover_variant_shows_the_listening_window():
    (r,) = check_all(context("qemu-8.2+switchover-failures", 1),
                     [prop("no-deadlock")])
    end = r.trace.steps[r.trace.loop_start].state
    assert r.verdict is Verdict.VIOLATED and end["src_state"] == "POSTCOPY_PAUSED"
    assert end["dst_state"] != "POSTCOPY_PAUSED"  # no destination left to recover with

"""Hypothesis stateful testing: model and pagecore in lockstep (small, derandomized budgets)."""

from __future__ import annotations

from conftest import built

from migcheck.build import build_model
from migcheck.checker.hypo import fuzz as fuzz_with, machine_for, replay
from migcheck.hypo.companion import companion_for


def fuzz(model, props, **kw):
    return fuzz_with(model, props, companion_for(model), **kw)


def test_correct_model_refines_and_holds() -> None:
    b = built("qemu-8.2", 1, 2)
    result = fuzz(b.model, list(b.properties),
                  examples=60, steps=60, derandomize=True)
    assert result.ok, result.message


def test_mark_before_place_found_and_shrunk() -> None:
    b = built("qemu-8.2+mark-before-place", 1, 2)
    result = fuzz(b.model, list(b.properties),
                  examples=200, steps=60, derandomize=True)
    assert not result.ok
    assert result.prop == "received-means-placed"
    assert result.sequence and result.sequence[-1].startswith("ram_load_postcopy(")


# The two faults below only show after a channel failure in postcopy and a whole recovery
# (migrate-recover, migrate resume, the received-bitmap exchange, RESUME_ACK): the explorer's
# shortest counterexamples have 29 steps.


def test_no_bitmap_rebuild_found_after_a_recovery() -> None:
    b = built("qemu-8.2+no-bitmap-rebuild", 1, 2)
    result = fuzz(b.model, list(b.properties),
                  examples=500, steps=80, derandomize=True)
    assert not result.ok
    assert result.prop in ("no-page-lost", "pages-consistent"), result.message
    assert "source_return_path_thread: RESUME_ACK" in result.sequence
    assert len(result.sequence) <= 40


def test_no_request_resend_found_after_a_recovery() -> None:
    b = built("qemu-8.2+no-request-resend", 1, 2)
    result = fuzz(b.model, list(b.properties),
                  examples=500, steps=80, derandomize=True)
    assert not result.ok
    assert result.prop == "requests-tracked", result.message
    assert result.sequence[-1] == "source_return_path_thread: RESUME_ACK"
    assert len(result.sequence) <= 40


def test_seeded_runs_repeat_and_the_sequence_replays() -> None:
    name = "qemu-8.2+no-request-resend"
    model = build_model(name, 1, 2)
    props = list(built(name, 1, 2).properties)
    first = fuzz(model, props, examples=500, steps=80, seed=7)
    assert not first.ok
    assert fuzz(model, props, examples=500, steps=80, seed=7).sequence == first.sequence
    found, ran = replay(machine_for(model, props, companion_for(model)), first.sequence)
    assert found is not None and found.prop == first.prop and ran == first.sequence

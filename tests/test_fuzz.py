"""Hypothesis stateful testing: model and pagecore in lockstep (small, derandomized budget)."""

from __future__ import annotations

import properties
from migcheck.hypo.machine import fuzz
from model.versions import build_model


def test_correct_model_refines_and_holds() -> None:
    model = build_model("qemu-8.2", 1, 2)
    result = fuzz(model, properties.select(None, 2), examples=15, steps=60, derandomize=True)
    assert result.ok, result.message


def test_mark_before_place_found_and_shrunk() -> None:
    model = build_model("qemu-8.2+mark-before-place", 0, 1)
    result = fuzz(model, properties.select(None, 1), examples=25, steps=40, derandomize=True)
    assert not result.ok
    assert result.prop == "received-means-placed"
    assert result.sequence and result.sequence[-1].startswith("ram_load_postcopy(")

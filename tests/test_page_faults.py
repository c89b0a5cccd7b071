"""Each injected page fault is caught by the exhaustive explorer, naming the page property."""

from __future__ import annotations

import conftest
import pytest

from migcheck.build import build_model
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, check_all
from migcheck.checker.explore import explore
from migcheck.checker.report import Verdict

CASES = [
    ("no-bitmap-rebuild", "pages-consistent"),
    ("no-request-resend", "requests-tracked"),
    ("mark-before-place", "received-means-placed"),
    ("no-discard", "no-stale-placement"),
]


@pytest.mark.parametrize(("fault", "prop"), CASES)
def test_fault_violates_its_page_property(fault: str, prop: str) -> None:
    model = build_model(f"qemu-8.2+{fault}", 0, 1)
    ctx = Context(CompiledModel(model), explore(CompiledModel(model)))
    [result] = check_all(ctx, [conftest.prop(prop, f"qemu-8.2+{fault}", 0, 1)])
    assert result.verdict is Verdict.VIOLATED
    assert result.trace is not None and result.trace.property == prop
    assert result.trace.steps[-1].state  # a shortest counterexample ending in the bad state

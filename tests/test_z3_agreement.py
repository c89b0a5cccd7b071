"""The explorer and z3 must agree, property by property, on every version at a small bound.

Both engines read the same model; a disagreement is a bug in one of them.  z3 runs bounded
here (the failures counter kept, K = 1) so that both decide the same finite system.
"""

from __future__ import annotations

import pytest
from conftest import built, context

from migcheck.checker.decide import check_all
from migcheck.checker.report import Verdict
from migcheck.checker.z3.prover import run_prove
from migcheck.model.versions import BUILT_IN

# every version that exists without pages (the page-fault versions need --pages >= 1 and are
# covered by tests/test_page_faults.py)
PROTOCOL_VERSIONS = sorted(v.name for v in BUILT_IN
                           if "+no-" not in v.name and "+mark" not in v.name)

SAME = {Verdict.HOLDS: Verdict.PROVED, Verdict.VIOLATED: Verdict.VIOLATED,
        Verdict.WITNESSED: Verdict.WITNESSED}
KINDS = ("invariant", "step invariant", "deadlock", "witness", "liveness")


@pytest.mark.parametrize("version", PROTOCOL_VERSIONS)
def test_explorer_and_z3_agree(version):
    ctx = context(version, 1)
    props = [p for p in built(version, 1).properties if p.kind in KINDS]
    explorer = {r.property.name: r.verdict for r in check_all(ctx, props)}
    z3 = {r.name: r.verdict for r in run_prove(ctx.model, props, depth=45,
                                                       timeout_s=120, unbounded=False).results}
    pairs = {name: (explorer[name], z3[name]) for name in explorer
             if z3[name] is not Verdict.NOT_APPLICABLE}
    assert pairs and all(SAME[e] == z for e, z in pairs.values()), pairs

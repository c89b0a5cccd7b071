"""Witnesses: situations the model must be able to reach, so no check passes vacuously."""

from __future__ import annotations

from migcheck.checker.kinds import Property, Sometimes
from migcheck.checker.spec import Model
from migcheck.model.state import dst_state, recovered, src_state
from migcheck.model.vocab import MigrationStatus as MS

REACHES_RECOVER = Sometimes(
    "reaches-recover",
    "Some run puts the source in postcopy-recover.",
    "Without it, recover-exits would hold vacuously.",
    predicate=src_state.eq(MS.POSTCOPY_RECOVER),
)

RECOVERY_COMPLETES = Sometimes(
    "recovery-completes",
    "Some run pauses, recovers and then completes on both sides.",
    "The normal pause/recover/complete sequence of the real-QEMU notes must be in the model.",
    predicate=recovered & src_state.eq(MS.COMPLETED) & dst_state.eq(MS.COMPLETED),
)

def build(model: Model) -> list[Property]:
    return [REACHES_RECOVER, RECOVERY_COMPLETES]

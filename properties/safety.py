"""Safety invariants that hold in QEMU (reference sections 1, 2 and 6.5)."""

from __future__ import annotations

from migcheck.model.state import D2M_SIZE, M2D_SIZE, d2m, dst_state, m2d, rp_threads, src_state
from migcheck.model.vocab import MigCmd, MigrationStatus as MS, RpMsg

from migcheck.checker.expr import Var, all_of, any_of
from migcheck.checker.props import Invariant, StepInvariant, next_

ONE_RP_THREAD = Invariant(
    "one-return-path-thread",
    "At most one source return-path thread is alive (created and not yet joined).",
    "open_return_path_on_source runs in migrate_fd_connect only after postcopy_pause joined"
    " the previous thread in close_return_path_on_source.",
    predicate=rp_threads <= 1,
)

HANDSHAKE_ORDER = Invariant(
    "handshake-order",
    "The source is never postcopy-active while the destination is still in postcopy-recover.",
    "Reference 6.5(8): the source leaves RECOVER only on RESUME_ACK, which the destination"
    " sends after its own RECOVER->POSTCOPY_ACTIVE.",
    predicate=~(src_state.eq(MS.POSTCOPY_ACTIVE) & dst_state.eq(MS.POSTCOPY_RECOVER)),
)

FIFO_BOUNDED = Invariant(
    "channels-bounded",
    "The modelled channel buffers never fill up (else the model's capacity is too small).",
    "A model sanity check: a full FIFO would silently drop a message.",
    predicate=all_of(d2m[D2M_SIZE - 1].eq(RpMsg.EMPTY), m2d[M2D_SIZE - 1].eq(MigCmd.EMPTY)),
)


def _moves(var: str, table: dict[MS, tuple[MS, ...]]):
    """`var` either keeps its value or moves along one row of `table`."""
    before, after = Var(var), next_(var)
    rows = [before.eq(old) & after.isin(*news) for old, news in table.items()]
    return any_of(after.eq(before), *rows)


SOURCE_TABLE = {
    MS.NONE: (MS.SETUP,),  # S1 migrate_init
    MS.SETUP: (MS.ACTIVE, MS.FAILED, MS.CANCELLING),  # S3, S2, S17
    MS.ACTIVE: (MS.POSTCOPY_ACTIVE, MS.FAILED, MS.CANCELLING, MS.COMPLETED),  # S4, S6/S12, S17
    MS.POSTCOPY_ACTIVE: (MS.POSTCOPY_PAUSED, MS.FAILED, MS.COMPLETED, MS.CANCELLING),  # S13 S7 S9
    MS.POSTCOPY_PAUSED: (MS.POSTCOPY_RECOVER, MS.CANCELLING),  # S14, S17
    MS.POSTCOPY_RECOVER: (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.CANCELLING),  # S15 S16
    MS.CANCELLING: (MS.CANCELLED, MS.FAILED),  # S18
}
# QEMU 9.1+ (reference 8): the switchover rework goes ACTIVE->DEVICE->POSTCOPY_ACTIVE inside
# postcopy_start (FAILED on an error there); 4146b77ec7 adds PAUSED->RECOVER_SETUP->RECOVER,
# or back to PAUSED when the resume connect fails.
SOURCE_TABLE[MS.ACTIVE] += (MS.DEVICE,)
SOURCE_TABLE[MS.DEVICE] = (MS.POSTCOPY_ACTIVE, MS.FAILED)
SOURCE_TABLE[MS.POSTCOPY_PAUSED] += (MS.POSTCOPY_RECOVER_SETUP,)
SOURCE_TABLE[MS.POSTCOPY_RECOVER_SETUP] = (MS.POSTCOPY_RECOVER, MS.POSTCOPY_PAUSED)

DESTINATION_TABLE = {
    MS.NONE: (MS.SETUP,),  # D1
    MS.SETUP: (MS.ACTIVE,),  # D2
    MS.ACTIVE: (MS.COMPLETED, MS.FAILED, MS.POSTCOPY_ACTIVE),  # D3 D4 D5
    MS.POSTCOPY_ACTIVE: (MS.COMPLETED, MS.FAILED, MS.POSTCOPY_PAUSED),  # D6 D7 D8
    MS.POSTCOPY_PAUSED: (MS.POSTCOPY_RECOVER,),  # D10
    MS.POSTCOPY_RECOVER: (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED),  # D11 D9
}

SOURCE_TRANSITIONS = StepInvariant(
    "source-transitions",
    "The source MigrationStatus moves only along the reference's table (S1-S18).",
    "Reference 1.3: every change goes through migrate_set_state from a listed call site.",
    predicate=_moves("src_state", SOURCE_TABLE),
)

DESTINATION_TRANSITIONS = StepInvariant(
    "destination-transitions",
    "The destination MigrationStatus moves only along the reference's table (D1-D11).",
    "Reference 1.4.",
    predicate=_moves("dst_state", DESTINATION_TABLE),
)

SAFETY = (ONE_RP_THREAD, HANDSHAKE_ORDER, SOURCE_TRANSITIONS, DESTINATION_TRANSITIONS,
          FIFO_BOUNDED)

"""Safety invariants that hold in QEMU (reference sections 1, 2 and 6.5)."""

from __future__ import annotations

from migcheck.checker.expr import Expr, Var, all_of, any_of
from migcheck.checker.kinds import Invariant, Property, StepInvariant, next_
from migcheck.checker.spec import Model
from migcheck.model import meta
from migcheck.model.state import D2M_SIZE, M2D_SIZE, d2m, dst_state, m2d, rp_threads, src_state
from migcheck.model.vocab import MigCmd, MigrationStatus as MS, RpMsg

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


def _moves(var: str, table: meta.Table) -> Expr:
    """`var` either keeps its value or moves along one row of `table`."""
    before, after = Var(var), next_(var)
    rows = [before.eq(old) & after.isin(*news) for old, news in table.items()]
    return any_of(after.eq(before), *rows)


def transitions(model: Model) -> list[Property]:
    """One step invariant per status variable the model has a table for (meta.TRANSITIONS:
    a version or a proposal that adds a state adds its rows)."""
    statements = {
        "src_state": ("source-transitions",
                      "The source MigrationStatus moves only along the reference's table"
                      " (S1-S18, plus the version's own rows).",
                      "Reference 1.3: every change goes through migrate_set_state from a listed"
                      " call site."),
        "dst_state": ("destination-transitions",
                      "The destination MigrationStatus moves only along the reference's table"
                      " (D1-D11, plus the version's own rows).", "Reference 1.4."),
    }
    out: list[Property] = []
    for var, table in meta.transitions(model).items():
        name, statement, rests_on = statements.get(
            var, (f"{var}-transitions", f"{var} moves only along its table.",
                  "The model's transition table."))
        out.append(StepInvariant(name, statement, rests_on, predicate=_moves(var, table)))
    return out


def build(model: Model) -> list[Property]:
    return [ONE_RP_THREAD, HANDSHAKE_ORDER, *transitions(model), FIFO_BOUNDED]

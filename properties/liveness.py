"""Progress: RECOVER is always left, nothing deadlocks, the admin can always get out."""

from __future__ import annotations

from migcheck.checker.expr import any_of
from migcheck.checker.kinds import (
    Escapable,
    LeavesEventually,
    NoDeadlock,
    Property,
    WaitsHavePosters,
)
from migcheck.checker.spec import ActorKind, Model
from migcheck.model.state import dst_state, mig, src_state
from migcheck.model.vocab import FINAL, MigrationStatus as MS, MigThread

RECOVER_EXITS = LeavesEventually(
    "recover-exits",
    "From POSTCOPY_RECOVER, every fair behaviour of the source leaves it (QEMU threads are"
    " weakly fair; the network and the admin are never obliged to act).",
    "f8c543e808: a failure during recovery must send the source back to POSTCOPY_PAUSED"
    " (migration_rp_wait checks s->error; the return-path thread kicks rp_sem on exit).",
    cond=src_state.eq(MS.POSTCOPY_RECOVER),
)

NO_DEADLOCK = NoDeadlock(
    "no-deadlock",
    "Every reachable state in which no QEMU thread can move is a valid end state: the source"
    " has finished, not started, or both sides wait for the admin (precopy before"
    " migrate-start-postcopy, or both postcopy-paused).",
    "Threads block only on semaphores and joins (reference 2.2); each wait needs a waker.",
)

ESCAPE_GOAL = any_of(src_state.isin(*FINAL),
                     src_state.eq(MS.POSTCOPY_ACTIVE) & dst_state.eq(MS.POSTCOPY_ACTIVE))



def admin_can_escape(model: Model) -> Escapable:
    """The steps allowed are those of every QEMU thread and of the admin: read off the actors'
    kinds, so a designer's new thread takes part and the network (ENV) never does."""
    return Escapable(
        "admin-can-escape",
        "From every reachable state, without further channel failures, some sequence of admin"
        " commands and thread steps reaches postcopy-active on both sides or a final source"
        " state.",
        "f8c543e808 made migrate-pause accepted in postcopy-recover on both sides, so an admin"
        " can always kick a stuck recovery back to postcopy-paused and retry.",
        goal=ESCAPE_GOAL,
        allowed=model.actors_of(ActorKind.THREAD, ActorKind.ADMIN),
    )


SOURCE_GIVING_UP = any_of(
    src_state.isin(*FINAL),
    mig.isin(MigThread.POSTCOPY_PACKAGE, MigThread.POSTCOPY_CHECK, MigThread.COMPLETE_JOIN_RP),
)
"""The source has finished, or is inside postcopy_start or migration_completion, where QEMU
fails on an error by design (reference 6.5(10)); a destination left paused then waits for an
operator who must kill it."""

WAITS_HAVE_POSTERS = WaitsHavePosters(
    "waits-have-posters",
    "Nobody sleeps on a semaphore (or join) that nothing can post any more, unless the source"
    " has finished or is in a section where errors are fatal by design.",
    "Reference 2.2: rp_sem is posted by the return path (reload, RESUME_ACK, exit in RECOVER)"
    " and by migrate-pause; postcopy_pause_sem(_dst) by a new connection.",
    exempt=SOURCE_GIVING_UP,
)

def build(model: Model) -> list[Property]:
    return [RECOVER_EXITS, NO_DEADLOCK, admin_can_escape(model), WAITS_HAVE_POSTERS]

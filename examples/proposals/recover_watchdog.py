"""A different fix for the f8c543e808 hang, tried on QEMU 7.2: a recovery watchdog.

Proposal: a new source thread, the recovery watchdog, wakes while the migration thread sleeps
on rp_sem in postcopy-recover (a timer; the model lets it fire at any such moment).  It moves
the source to a new status, postcopy-recover-stalled, latches an error and kicks rp_sem, so
the migration thread gives up the attempt and goes back to postcopy-paused.

It shows what a proposal can add without touching the package: a state variable with its own
kind (the watchdog's program point), a MigrationStatus value, a thread (a fair actor, so
admin-can-escape and recover-exits count its steps), rows of the source transition table,
and a property of its own.
"""

from migcheck.design import (
    MS,
    SRC_MIG,
    TRANSITIONS,
    Actor,
    ActorKind,
    AddActions,
    AddActors,
    AddMembers,
    AddVariables,
    EnumDomain,
    LeavesEventually,
    MigThread,
    SetMeta,
    SrcError,
    StateVar,
    Var,
    Version,
    act,
    allow,
    first_error,
    member,
    mig,
    post,
    rp_sem,
    src_state,
)

STALLED = member("MigrationStatus", "POSTCOPY_RECOVER_STALLED", "postcopy-recover-stalled")
IDLE, FIRED = member("WatchdogPc", "IDLE"), member("WatchdogPc", "FIRED")
WATCHDOG = "src:recover-watchdog"
watchdog = Var("watchdog")
waiting = mig.isin(MigThread.BITMAP_WAIT, MigThread.HANDSHAKE_WAIT)


def watchdog_changes(config):
    why = "a recovery watchdog (proposal)"
    return [
        AddMembers("MigrationStatus", (STALLED,), why="the watchdog's verdict is visible"),
        AddVariables((StateVar("watchdog", EnumDomain("WatchdogPc", (IDLE, FIRED)), IDLE,
                               "the watchdog's program point", WATCHDOG),), why=why),
        AddActors((Actor(WATCHDOG, ActorKind.THREAD, "src", "source recovery watchdog",
                         pc="watchdog"),), why=why),
        AddActions((
            act("recover_watchdog: fire", WATCHDOG,
                watchdog.eq(IDLE) & src_state.eq(MS.POSTCOPY_RECOVER) & waiting,
                {"watchdog": FIRED, "src_state": STALLED,
                 "src_error": first_error(SrcError.RETURN_PATH), "rp_sem": post(rp_sem)},
                "migration/migration.c:recover_watchdog (proposed)",
                "The recovery made no progress: mark it stalled and wake the migration thread."),
            act("recover_watchdog: rearm", WATCHDOG,
                watchdog.eq(FIRED) & ~src_state.eq(STALLED),
                {"watchdog": IDLE}, "migration/migration.c:recover_watchdog (proposed)"),
        ), why=why),
        SetMeta(TRANSITIONS, update=allow("src_state", MS.POSTCOPY_RECOVER, STALLED),
                why="RECOVER -> STALLED when the watchdog fires"),
        SetMeta(TRANSITIONS, update=allow("src_state", STALLED, MS.POSTCOPY_PAUSED),
                why="STALLED -> PAUSED when postcopy_pause gives the attempt up"),
    ]


def watchdog_properties(model, config):
    return [LeavesEventually(
        "stalled-exits",
        "From postcopy-recover-stalled the source always gets back to postcopy-paused.",
        "The watchdog only helps if the migration thread, woken, abandons the attempt.",
        cond=src_state.eq(STALLED))]


WATCHDOG_72 = Version("qemu-7.2+watchdog", "qemu-7.2",
                      "7.2 plus a recovery watchdog thread and a postcopy-recover-stalled state",
                      watchdog_changes, watchdog_properties)

# keep the program point of the migration thread the watchdog looks at in one place
__all__ = ["WATCHDOG_72", "SRC_MIG"]

"""The QEMU 8.2 protocol as the first layer: actors, actions, blocking points, assumptions,
end states, and the annotations properties read."""

from __future__ import annotations

from migcheck.checker.edit import (
    AddActions,
    AddActors,
    AddAssumption,
    AddValidEnd,
    AddVariables,
    AddWaits,
    Layer,
    SetMeta,
)
from migcheck.checker.expr import FALSE, any_of
from migcheck.checker.spec import Actor, ActorKind, Assumption, Model, Wait
from migcheck.model import admin, destination, meta, network, source, tables
from migcheck.model.state import (
    connecting,
    dst_state,
    mig,
    postcopy_pause_sem,
    postcopy_pause_sem_dst,
    postcopy_pause_sem_fault,
    postcopy_state,
    rp_sem,
    src_state,
    start_postcopy,
    variables,
)
from migcheck.model.vocab import (
    FINAL,
    FaultThread,
    ListenThread,
    MigrationStatus as MS,
    MigThread,
    PostcopyState as PS,
)

T, ENV, ADMIN = ActorKind.THREAD, ActorKind.ENV, ActorKind.ADMIN

ACTORS = (
    Actor(source.MAIN, T, "src", "source main loop (QMP handlers, connect callbacks, BHs)"),
    Actor(source.MIG, T, "src", "source migration thread", "live_migration", pc="mig"),
    Actor(source.RP, T, "src", "source return-path thread", "return path", pc="rp"),
    Actor(destination.MAIN, T, "dst", "destination main loop and incoming coroutine"),
    Actor(destination.LISTEN, T, "dst", "destination listen thread", "postcopy/listen",
          pc="listen"),
    Actor(destination.FAULT, T, "dst", "destination fault thread", "fault-default",
          pc="fault"),
    Actor(network.NET, ENV, "net", "the network (never obliged to fail)"),
    Actor(admin.ADMIN, ADMIN, "admin", "the operator's QMP commands (never obliged to act)"),
)

WAITS = (
    Wait(source.MIG, "mig", MigThread.PAUSED, "postcopy_pause_sem", postcopy_pause_sem > 0,
         "migration/migration.c:postcopy_pause"),
    Wait(source.MIG, "mig", MigThread.BITMAP_WAIT, "rp_sem", rp_sem > 0,
         "migration/migration.c:migration_rp_wait"),
    Wait(source.MIG, "mig", MigThread.HANDSHAKE_WAIT, "rp_sem", rp_sem > 0,
         "migration/migration.c:migration_rp_wait"),
    Wait(source.MIG, "mig", MigThread.PAUSE_JOIN_RP, "join(return path)",
         source.rp_gone, "migration/migration.c:close_return_path_on_source"),
    Wait(source.MIG, "mig", MigThread.COMPLETE_JOIN_RP, "join(return path)",
         source.rp_gone, "migration/migration.c:close_return_path_on_source"),
    Wait(destination.LISTEN, "listen", ListenThread.PAUSED, "postcopy_pause_sem_dst",
         postcopy_pause_sem_dst > 0, "migration/savevm.c:postcopy_pause_incoming"),
    Wait(destination.FAULT, "fault", FaultThread.PAUSED, "postcopy_pause_sem_fault",
         postcopy_pause_sem_fault > 0, "migration/postcopy-ram.c:postcopy_pause_fault_thread"),
)

CANCEL_ONLY_IN_PRECOPY = Assumption(
    "cancel-only-in-precopy",
    "The admin issues migrate_cancel only while precopy is ACTIVE.  QEMU 8.2 accepts it in"
    " postcopy too, where it is known to leave the source in CANCELLING (reference 3.4, R3);"
    " QEMU 10.0 refuses it there.  Model qemu-8.2+cancel lifts this.",
    ("src: migrate_cancel",),
    src_state.eq(MS.ACTIVE),
)

NO_FAILURE_IN_SWITCHOVER = Assumption(
    "no-failure-in-switchover",
    "Neither the network nor a migrate-pause breaks a channel between the source's entry into"
    " postcopy_start and the destination's POSTCOPY_RUN.  QEMU before 10.2 cannot"
    " recover there: the destination fails and exits while the source pauses for good"
    " (reference 3.3, R5; closed in 10.2 by POSTCOPY_DEVICE, 7b842fe354).  Model"
    " qemu-8.2+switchover-failures lifts this.",
    ("network: *", "src: migrate-pause", "dst: migrate-pause"),
    ~((src_state.eq(MS.POSTCOPY_ACTIVE)
       | mig.isin(MigThread.WAIT_MAIN_CHANNEL, MigThread.PREEMPT_WAIT))  # preempt: before
      & postcopy_state.isin(PS.NONE, PS.ADVISE, PS.LISTENING)),
)

VALID_END = any_of(
    src_state.isin(*FINAL),
    src_state.eq(MS.NONE),  # the admin has not started a migration
    src_state.eq(MS.ACTIVE) & ~start_postcopy,  # precopy runs until migrate-start-postcopy
    src_state.eq(MS.POSTCOPY_PAUSED) & dst_state.eq(MS.POSTCOPY_PAUSED) & ~connecting,
)
"""States in which no QEMU thread may step without that being a deadlock: the migration is
over on the source, or both sides wait for the admin."""


EMPTY = Model(name="", doc="", variables=(), actors=(), actions=(), valid_end=FALSE)


def protocol(failures: int) -> Layer:
    """QEMU 8.2, the base every version and overlay is written against."""
    why = "QEMU 8.2 (the reference's reading of migration.c, savevm.c, postcopy-ram.c)"
    return Layer("qemu-8.2", (
        AddVariables(variables(failures), why=why),
        AddActors(ACTORS, why=why),
        AddActions((*source.actions(), *destination.actions(), *network.actions(failures),
                    *admin.actions()), why=why),
        AddWaits(WAITS, why=why),
        AddAssumption(CANCEL_ONLY_IN_PRECOPY, why=why),
        AddAssumption(NO_FAILURE_IN_SWITCHOVER, why=why),
        AddValidEnd(VALID_END, why=why),
        SetMeta(meta.TRANSITIONS, value=tables.TRANSITIONS, why="reference 1.3 and 1.4"),
        SetMeta(meta.IN_FLIGHT, value=(), why="no pages yet"),
    ))


def bounds(failures: int) -> tuple[str, ...]:
    return (f"at most {failures} channel failures (--failures)",
            "semaphore counts saturate at 2", "one RAMBlock")

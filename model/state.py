"""The state variables of the model, grouped by the lane a viewer shows them in.

Names follow QEMU's fields (`MigrationState`, `MigrationIncomingState`, `rp_state`).  The
module also exports one `Var` per variable so that the action files read like the code.
"""

from __future__ import annotations

from migcheck.checker.expr import Var
from migcheck.checker.fifo import empty_queue
from migcheck.checker.spec import BoolDomain, EnumDomain, IntDomain, Queue, StateVar, TupleDomain
from migcheck.model.vocab import (
    FaultThread,
    FileRef,
    ListenThread,
    LoadThread,
    MigCmd,
    MigrationStatus,
    MigThread,
    PostcopyState,
    RpMsg,
    RpThread,
    Sock,
    SrcError,
)

SEM_MAX = 2  # semaphore counts saturate here (extra posts to guarded waits are spurious wake-ups)
M2D_SIZE = 4  # main channel FIFO slots (one spare: the fifo-bounded check keeps the last empty)
D2M_SIZE = 3  # return-path FIFO slots


def _sem(name: str, lane: str, doc: str) -> StateVar:
    return StateVar(name, IntDomain(0, SEM_MAX), 0, doc, lane)


def _enum(name: str, cls: type, init: object, lane: str, doc: str, event: str | None = None):
    return StateVar(name, EnumDomain(cls), init, doc, lane, event)


def _bool(name: str, lane: str, doc: str) -> StateVar:
    return StateVar(name, BoolDomain(), False, doc, lane)


def variables(failures: int) -> tuple[StateVar, ...]:
    return (
        # ---- source: MigrationState
        _enum("src_state", MigrationStatus, MigrationStatus.NONE, "src",
              "ms->state", event="src"),
        _enum("src_error", SrcError, SrcError.NONE, "src",
              "ms->error: first error wins; freed by migrate_fd_connect"),
        _bool("start_postcopy", "src", "ms->start_postcopy (set by migrate-start-postcopy)"),
        _bool("connecting", "src:main",
              "an outgoing connect is in progress (socket_start_outgoing_migration)"),
        _enum("to_dst_file", FileRef, FileRef.NULL, "src:migration", "ms->to_dst_file"),
        _enum("mig", MigThread, MigThread.NONE, "src:migration", "migration thread program point"),
        _enum("rp", RpThread, RpThread.NONE, "src:return-path", "return-path thread"),
        StateVar("rp_threads", IntDomain(0, 2), 0,
                 "ghost: return-path threads created and not yet joined", "src:return-path"),
        _sem("rp_sem", "src:migration", "ms->rp_state.rp_sem"),
        _sem("postcopy_pause_sem", "src:migration", "ms->postcopy_pause_sem"),
        StateVar("postcopy_bmap_sync_requested", IntDomain(0, 1), 0,
                 "ms->rp_state.postcopy_bmap_sync_requested (one RAMBlock)", "src:migration"),
        _bool("recovered", "src",
              "ghost: the source has left POSTCOPY_RECOVER for POSTCOPY_ACTIVE"),
        # ---- destination: MigrationIncomingState
        _enum("dst_state", MigrationStatus, MigrationStatus.NONE, "dst",
              "mis->state", event="dst"),
        _enum("postcopy_state", PostcopyState, PostcopyState.NONE, "dst",
              "incoming_postcopy_state"),
        _bool("listening", "dst:main", "a listener is open (migrate-incoming / migrate-recover)"),
        _enum("from_src_file", FileRef, FileRef.NULL, "dst:listen", "mis->from_src_file"),
        _enum("to_src_file", FileRef, FileRef.NULL, "dst:listen", "mis->to_src_file"),
        _enum("load", LoadThread, LoadThread.NONE, "dst:main", "incoming coroutine (main thread)"),
        _enum("listen", ListenThread, ListenThread.NONE, "dst:listen", "listen thread"),
        _enum("fault", FaultThread, FaultThread.NONE, "dst:fault", "fault thread"),
        _sem("postcopy_pause_sem_dst", "dst:listen", "mis->postcopy_pause_sem_dst"),
        _sem("postcopy_pause_sem_fault", "dst:fault", "mis->postcopy_pause_sem_fault"),
        # ---- the network: main channel + return path share one socket
        _enum("sock", Sock, Sock.NONE, "net:main", "the main socket (both directions)"),
        _bool("conn_pending", "net:main", "connected, not yet accepted by the destination"),
        StateVar("m2d", TupleDomain(EnumDomain(MigCmd), M2D_SIZE),
                 empty_queue(M2D_SIZE, MigCmd.EMPTY), "in flight on the main channel", "net:main",
                 queue=Queue(MigCmd.EMPTY, "src", "dst")),
        StateVar("d2m", TupleDomain(EnumDomain(RpMsg), D2M_SIZE),
                 empty_queue(D2M_SIZE, RpMsg.EMPTY), "in flight on the return path", "net:main",
                 queue=Queue(RpMsg.EMPTY, "dst", "src")),
        StateVar("failures", IntDomain(0, failures), 0,
                 "channel failures so far (bounded by --failures)", "net:main", role="bound"),
    )


src_state = Var("src_state")
src_error = Var("src_error")
start_postcopy = Var("start_postcopy")
connecting = Var("connecting")
to_dst_file = Var("to_dst_file")
mig = Var("mig")
rp = Var("rp")
rp_threads = Var("rp_threads")
rp_sem = Var("rp_sem")
postcopy_pause_sem = Var("postcopy_pause_sem")
postcopy_bmap_sync_requested = Var("postcopy_bmap_sync_requested")
recovered = Var("recovered")
dst_state = Var("dst_state")
postcopy_state = Var("postcopy_state")
listening = Var("listening")
from_src_file = Var("from_src_file")
to_src_file = Var("to_src_file")
load = Var("load")
listen = Var("listen")
fault = Var("fault")
postcopy_pause_sem_dst = Var("postcopy_pause_sem_dst")
postcopy_pause_sem_fault = Var("postcopy_pause_sem_fault")
sock = Var("sock")
conn_pending = Var("conn_pending")
m2d = Var("m2d")
d2m = Var("d2m")
failures = Var("failures")

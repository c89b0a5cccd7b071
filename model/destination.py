"""The destination QEMU: main loop / incoming coroutine, listen thread, fault thread (8.2).

Follows savevm.c and postcopy-ram.c: the incoming coroutine loads the precopy stream and the
package; POSTCOPY_LISTEN hands the main channel to the listen thread, which pauses on a
channel error (postcopy_pause_incoming) and answers the recovery handshake.
"""

from __future__ import annotations

from migcheck.checker.expr import any_of, ite
from migcheck.checker.spec import Action
from migcheck.model.dsl import act, main_head, pop_main, post, send_rp, shutdown, take
from migcheck.model.state import (
    conn_pending,
    d2m,
    dst_state,
    fault,
    from_src_file,
    listen,
    load,
    postcopy_pause_sem_dst,
    postcopy_pause_sem_fault,
    postcopy_state,
    sock,
    to_src_file,
)
from migcheck.model.vocab import (
    FaultThread,
    FileRef,
    ListenThread,
    LoadThread,
    MigCmd,
    MigrationStatus as MS,
    PostcopyState as PS,
    RpMsg,
    Sock,
)

MAIN = "dst:main"
LISTEN = "dst:listen"
FAULT = "dst:fault"

read_fails = any_of(from_src_file.eq(FileRef.OLD),
                    from_src_file.eq(FileRef.CUR) & sock.eq(Sock.BROKEN))
"""A read on mis->from_src_file returns an error."""

process_exits = {"dst_state": MS.FAILED, "listen": ListenThread.EXITED,
                 "fault": FaultThread.EXITED, "load": LoadThread.DONE, "listening": False}
"""Load failed outside the recoverable window: FAILED, then exit(EXIT_FAILURE)."""


def postcopy_pause_incoming() -> dict:
    """Close both files (shutting the socket down), ->PAUSED from whatever the state is
    (0e99bb8f54), notify the fault thread, sleep on postcopy_pause_sem_dst."""
    return {**shutdown(from_src_file.eq(FileRef.CUR)),
            "from_src_file": FileRef.NULL, "to_src_file": FileRef.NULL,
            "dst_state": MS.POSTCOPY_PAUSED, "listen": ListenThread.PAUSED}


def main_thread() -> list[Action]:
    loading = load.eq(LoadThread.LOADING) & from_src_file.eq(FileRef.CUR)
    return [
        act("migration_ioc_process_incoming", MAIN,
            conn_pending & dst_state.eq(MS.SETUP),
            {"conn_pending": False, "from_src_file": FileRef.CUR, "dst_state": MS.ACTIVE,
             "load": LoadThread.LOADING},
            "migration/migration.c:process_incoming_migration_co",
            "The main channel arrives: SETUP->ACTIVE, start loading."),
        act("loadvm_process_command: OPEN_RETURN_PATH", MAIN,
            loading & main_head(MigCmd.OPEN_RETURN_PATH),
            {"m2d": pop_main(), "to_src_file": FileRef.CUR, "postcopy_state": PS.ADVISE},
            "migration/savevm.c:loadvm_process_command",
            "Open the return path (to_src_file); POSTCOPY_ADVISE: NONE->ADVISE."),
        act("loadvm_postcopy_handle_listen", MAIN,
            loading & main_head(MigCmd.PACKAGED),
            {"m2d": pop_main(), "postcopy_state": PS.LISTENING, "load": LoadThread.PACKAGE,
             "listen": ListenThread.RUNNING, "fault": FaultThread.RUNNING,
             "dst_state": MS.POSTCOPY_ACTIVE},
            "migration/savevm.c:loadvm_postcopy_handle_listen",
            "The package's LISTEN: fault thread, then the listen thread (ACTIVE->POSTCOPY_ACTIVE)"
            " which now owns the main channel."),
        act("loadvm_postcopy_handle_run", MAIN, load.eq(LoadThread.PACKAGE),
            {"postcopy_state": PS.RUNNING, "load": LoadThread.DONE},
            "migration/savevm.c:loadvm_postcopy_handle_run",
            "The package's RUN: LISTENING->RUNNING, the guest starts on the destination."),
        act("process_incoming_migration_co: load failed", MAIN,
            load.eq(LoadThread.LOADING) & read_fails,
            process_exits,
            "migration/migration.c:process_incoming_migration_co",
            "Precopy load error: FAILED and exit."),
        act("postcopy_try_recover", MAIN,
            conn_pending & dst_state.eq(MS.POSTCOPY_PAUSED),
            {"conn_pending": False, "from_src_file": FileRef.CUR, "to_src_file": FileRef.CUR,
             "dst_state": MS.POSTCOPY_RECOVER,
             "postcopy_pause_sem_dst": post(postcopy_pause_sem_dst)},
            "migration/migration.c:postcopy_try_recover",
            "A new main channel while PAUSED: PAUSED->RECOVER, wake the listen thread."),
    ]


def listen_thread() -> list[Action]:
    reading = listen.eq(ListenThread.RUNNING) & from_src_file.eq(FileRef.CUR)
    recovering = dst_state.eq(MS.POSTCOPY_RECOVER)
    return [
        act("loadvm_handle_recv_bitmap", LISTEN,
            reading & main_head(MigCmd.RECV_BITMAP) & recovering,
            {"m2d": pop_main(), "d2m": send_rp(RpMsg.RECV_BITMAP)},
            "migration/savevm.c:loadvm_handle_recv_bitmap",
            "Answer with MIG_RP_MSG_RECV_BITMAP and the receivedmap blob."),
        act("loadvm_handle_recv_bitmap: not recovering", LISTEN,
            reading & main_head(MigCmd.RECV_BITMAP) & ~recovering
            & postcopy_state.eq(PS.RUNNING),
            {"m2d": pop_main(), **postcopy_pause_incoming()},
            "migration/savevm.c:loadvm_handle_recv_bitmap",
            "Only valid in postcopy-recover: a load error, so the destination pauses."),
        act("loadvm_postcopy_handle_resume", LISTEN,
            reading & main_head(MigCmd.POSTCOPY_RESUME),
            {"m2d": pop_main(),
             "dst_state": ite(recovering, MS.POSTCOPY_ACTIVE, dst_state),
             "d2m": ite(recovering, send_rp(RpMsg.RESUME_ACK), d2m),
             "postcopy_pause_sem_fault": ite(recovering, post(postcopy_pause_sem_fault),
                                             postcopy_pause_sem_fault)},
            "migration/savevm.c:loadvm_postcopy_handle_resume",
            "RECOVER->POSTCOPY_ACTIVE, RESUME_ACK, re-send pending requests, wake the fault"
            " thread (ignored in any other state)."),
        act("postcopy_ram_listen_thread: EOF", LISTEN,
            reading & main_head(MigCmd.EOF) & postcopy_state.eq(PS.RUNNING),
            {"m2d": pop_main(), "dst_state": MS.COMPLETED, "postcopy_state": PS.END,
             "d2m": send_rp(RpMsg.SHUT), "listen": ListenThread.EXITED,
             "fault": FaultThread.EXITED},
            "migration/savevm.c:postcopy_ram_listen_thread",
            "QEMU_VM_EOF after the main thread's load: COMPLETED; SHUT(0) to the source."),
        act("qemu_loadvm_state_main: postcopy_pause_incoming", LISTEN,
            listen.eq(ListenThread.RUNNING) & read_fails & postcopy_state.eq(PS.RUNNING),
            postcopy_pause_incoming(),
            "migration/savevm.c:postcopy_pause_incoming",
            "Channel error while RUNNING: pause instead of failing."),
        act("postcopy_ram_listen_thread: load failed", LISTEN,
            listen.eq(ListenThread.RUNNING) & read_fails & postcopy_state.eq(PS.LISTENING),
            process_exits,
            "migration/savevm.c:postcopy_ram_listen_thread",
            "Error before POSTCOPY_RUN (the LISTENING window): FAILED and exit."),
        act("postcopy_pause_incoming: woken, still paused", LISTEN,
            listen.eq(ListenThread.PAUSED) & (postcopy_pause_sem_dst > 0)
            & dst_state.eq(MS.POSTCOPY_PAUSED),
            {"postcopy_pause_sem_dst": take(postcopy_pause_sem_dst)},
            "migration/savevm.c:postcopy_pause_incoming"),
        act("postcopy_pause_incoming: woken", LISTEN,
            listen.eq(ListenThread.PAUSED) & (postcopy_pause_sem_dst > 0)
            & dst_state.ne(MS.POSTCOPY_PAUSED),
            {"postcopy_pause_sem_dst": take(postcopy_pause_sem_dst),
             "listen": ListenThread.RUNNING},
            "migration/savevm.c:qemu_loadvm_state_main",
            "Retry the load on the new from_src_file."),
    ]


def fault_thread() -> list[Action]:
    return [
        act("postcopy_pause_fault_thread", FAULT,
            fault.eq(FaultThread.RUNNING) & to_src_file.eq(FileRef.NULL),
            {"fault": FaultThread.PAUSED},
            "migration/postcopy-ram.c:postcopy_pause_fault_thread",
            "Woken by the eventfd with to_src_file gone: sleep on postcopy_pause_sem_fault."),
        act("postcopy_pause_fault_thread: woken", FAULT,
            fault.eq(FaultThread.PAUSED) & (postcopy_pause_sem_fault > 0),
            {"postcopy_pause_sem_fault": take(postcopy_pause_sem_fault),
             "fault": FaultThread.RUNNING},
            "migration/postcopy-ram.c:postcopy_pause_fault_thread"),
    ]


def actions() -> list[Action]:
    return [*main_thread(), *listen_thread(), *fault_thread()]

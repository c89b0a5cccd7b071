"""The source QEMU: main loop, migration thread and return-path thread (QEMU 8.2).

Read top to bottom, this follows migration.c: migrate_fd_connect starts the threads; the
migration thread sets up, iterates, switches to postcopy, pauses and resumes; the return-path
thread reads MIG_RP_MSG_* and kicks `rp_sem`.
"""

from __future__ import annotations

from migcheck.checker.expr import ite
from migcheck.checker.spec import Action
from migcheck.model.dsl import (
    act,
    first_error,
    new_connection,
    pop_rp,
    post,
    rp_head,
    send_main,
    shutdown,
    stream_error,
    take,
)
from migcheck.model.state import (
    connecting,
    from_src_file,
    listening,
    mig,
    postcopy_bmap_sync_requested,
    postcopy_pause_sem,
    recovered,
    rp,
    rp_sem,
    rp_threads,
    sock,
    src_error,
    src_state,
    start_postcopy,
    to_dst_file,
    to_src_file,
)
from migcheck.model.vocab import (
    FileRef,
    MigCmd,
    MigrationStatus as MS,
    MigThread as M,
    RpMsg,
    RpThread,
    Sock,
    SrcError,
)

MAIN = "src:main"
MIG = "src:migration"
RP = "src:return-path"


def _connect() -> dict:
    """What every successful migrate_fd_connect does: take the new socket, free the old
    error, open the return path (a new return-path thread)."""
    return {
        **new_connection(),
        "connecting": False,
        "listening": False,
        "conn_pending": True,
        "to_dst_file": FileRef.CUR,
        "from_src_file": ite(from_src_file.eq(FileRef.CUR), FileRef.OLD, from_src_file),
        "to_src_file": ite(to_src_file.eq(FileRef.CUR), FileRef.OLD, to_src_file),
        "src_error": SrcError.NONE,
        "rp": RpThread.RUNNING,
        "rp_threads": rp_threads + 1,
    }


def resume_failed() -> dict:
    """postcopy_do_resume failed: postcopy_pause `continue`s and releases to_dst_file."""
    return {**shutdown(to_dst_file.eq(FileRef.CUR)), "to_dst_file": FileRef.NULL,
            "mig": M.PAUSE_JOIN_RP}


def rp_exit(error: SrcError | None) -> dict:
    """Leaving source_return_path_thread: record the error; since f8c543e808, kick rp_sem if
    the source is in POSTCOPY_RECOVER so the migration thread notices."""
    effect: dict = {"rp": RpThread.EXITED,
                    "rp_sem": ite(src_state.eq(MS.POSTCOPY_RECOVER), post(rp_sem), rp_sem)}
    if error is not None:
        effect["src_error"] = first_error(error)
    return effect


rp_gone = rp.isin(RpThread.NONE, RpThread.EXITED)
"""The return-path thread has left (or never started): a join returns at once.  Written as
"is at one of the points where it has left" rather than "is not reading", so a program point
a designer adds (a thread still alive elsewhere) keeps the join waiting."""


def main_loop() -> list[Action]:
    return [
        act("migrate_fd_connect", MAIN,
            connecting & listening
            & (src_state.eq(MS.SETUP) | (src_state.eq(MS.CANCELLING) & mig.eq(M.NONE))),
            {**_connect(), "mig": M.SETUP},
            "migration/migration.c:migrate_fd_connect",
            "Outgoing connection made: open the return path, start the migration thread."),
        act("migrate_fd_connect (resume)", MAIN,
            connecting & listening & src_state.eq(MS.POSTCOPY_PAUSED),
            {**_connect(), "src_state": MS.POSTCOPY_RECOVER,
             "postcopy_pause_sem": post(postcopy_pause_sem)},
            "migration/migration.c:migrate_fd_connect",
            "Resume: new return-path thread, PAUSED->RECOVER, post postcopy_pause_sem."),
        act("migrate_fd_error (connect failed)", MAIN,
            connecting & ~listening & src_state.isin(MS.SETUP, MS.CANCELLING),
            {"connecting": False, "src_error": SrcError.CONNECT,
             "src_state": ite(src_state.eq(MS.SETUP), MS.FAILED, MS.CANCELLED)},
            "migration/migration.c:migrate_fd_error",
            "Nobody listens: SETUP->FAILED (a cancelled attempt is cleaned up: CANCELLED)."),
        act("migrate_fd_error (resume connect failed)", MAIN,
            connecting & ~listening & src_state.eq(MS.POSTCOPY_PAUSED),
            {"connecting": False, "src_error": SrcError.CONNECT},
            "migration/migration.c:migrate_fd_connect",
            "Nobody listens: the error is only printed; the source stays PAUSED, no event."),
        act("migrate_fd_cleanup", MAIN,
            mig.eq(M.EXITED) & rp_gone,
            {"mig": M.JOINED, "rp": RpThread.NONE,
             "rp_threads": ite(rp.eq(RpThread.EXITED), rp_threads - 1, rp_threads),
             "to_dst_file": FileRef.NULL,
             "src_state": ite(src_state.eq(MS.CANCELLING), MS.CANCELLED, src_state)},
            "migration/migration.c:migrate_fd_cleanup",
            "Cleanup bottom half: join the threads, CANCELLING->CANCELLED."),
    ]


def migration_thread() -> list[Action]:
    iterating = mig.eq(M.ITERATE)
    return [
        act("migration_thread: setup", MIG, mig.eq(M.SETUP),
            {"m2d": send_main(MigCmd.OPEN_RETURN_PATH), "mig": M.ITERATE,
             "src_state": ite(src_state.eq(MS.SETUP), MS.ACTIVE, src_state)},
            "migration/migration.c:migration_thread",
            "Header, OPEN_RETURN_PATH, PING(1), POSTCOPY_ADVISE; SETUP->ACTIVE."),
        act("migration_detect_error: cancelled", MIG,
            iterating & src_state.isin(MS.CANCELLING, MS.CANCELLED),
            {"mig": M.EXITED},
            "migration/migration.c:migration_detect_error",
            "Cancelled: leave the loop without setting FAILED."),
        act("migration_detect_error: precopy stream error", MIG,
            iterating & src_state.eq(MS.ACTIVE) & stream_error,
            {"mig": M.EXITED, "src_state": MS.FAILED,
             "src_error": first_error(SrcError.STREAM)},
            "migration/migration.c:migration_detect_error",
            "A file error outside postcopy fails the migration."),
        act("postcopy_start", MIG,
            iterating & src_state.eq(MS.ACTIVE) & start_postcopy,
            {"src_state": MS.POSTCOPY_ACTIVE, "mig": M.POSTCOPY_PACKAGE},
            "migration/migration.c:postcopy_start",
            "migrate-start-postcopy was issued: ACTIVE->POSTCOPY_ACTIVE, stop the VM."),
        act("postcopy_start: stream errored (pre package)", MIG,
            mig.eq(M.POSTCOPY_PACKAGE) & stream_error,
            {"src_state": MS.FAILED, "mig": M.EXITED, "src_error": first_error(SrcError.STREAM)},
            "migration/migration.c:postcopy_start",
            "Errors inside postcopy_start are fatal, not pausing."),
        act("postcopy_start: send package", MIG,
            mig.eq(M.POSTCOPY_PACKAGE) & ~stream_error,
            {"m2d": send_main(MigCmd.PACKAGED), "mig": M.POSTCOPY_CHECK},
            "migration/migration.c:qemu_savevm_send_packaged",
            "LISTEN, device state, RUN, sent as one package."),
        act("postcopy_start: stream errored (after package)", MIG,
            mig.eq(M.POSTCOPY_CHECK) & stream_error,
            {"src_state": MS.FAILED, "mig": M.EXITED, "src_error": first_error(SrcError.STREAM)},
            "migration/migration.c:postcopy_start",
            "The last stream check after PING(4) fails the migration."),
        act("postcopy_start: done", MIG,
            mig.eq(M.POSTCOPY_CHECK) & ~stream_error,
            {"mig": M.ITERATE},
            "migration/migration.c:postcopy_start"),
        act("migration_completion", MIG,
            iterating & src_state.eq(MS.POSTCOPY_ACTIVE),
            {"m2d": send_main(MigCmd.EOF), "mig": M.COMPLETE_JOIN_RP},
            "migration/migration.c:migration_completion",
            "Little left to send: QEMU_VM_EOF, then wait for the return path to finish."),
        act("migration_completion: close_return_path_on_source", MIG,
            mig.eq(M.COMPLETE_JOIN_RP) & rp_gone,
            {"rp": RpThread.NONE, "rp_threads": rp_threads - 1, "mig": M.EXITED,
             "src_state": ite(src_error.ne(SrcError.NONE) | stream_error,
                              MS.FAILED, MS.COMPLETED)},
            "migration/migration.c:close_return_path_on_source",
            "Join the return path: an error recorded by it (or on the stream) means FAILED."),
        act("migration_detect_error: postcopy_pause", MIG,
            iterating & src_state.eq(MS.POSTCOPY_ACTIVE) & stream_error,
            {**shutdown(), "to_dst_file": FileRef.NULL, "mig": M.PAUSE_JOIN_RP,
             "src_error": first_error(SrcError.STREAM)},
            "migration/migration.c:postcopy_pause",
            "Postcopy may survive the network: release to_dst_file (shut down, closed)."),
        act("postcopy_pause: close_return_path_on_source", MIG,
            mig.eq(M.PAUSE_JOIN_RP) & rp_gone,
            {"rp": RpThread.NONE,
             "rp_threads": ite(rp.eq(RpThread.EXITED), rp_threads - 1, rp_threads),
             "src_state": MS.POSTCOPY_PAUSED, "mig": M.PAUSED},
            "migration/migration.c:postcopy_pause",
            "Join the return-path thread, then ->POSTCOPY_PAUSED."),
        act("postcopy_pause: woken, still paused", MIG,
            mig.eq(M.PAUSED) & (postcopy_pause_sem > 0) & src_state.eq(MS.POSTCOPY_PAUSED),
            {"postcopy_pause_sem": take(postcopy_pause_sem)},
            "migration/migration.c:postcopy_pause"),
        act("postcopy_pause: woken, fatal", MIG,
            mig.eq(M.PAUSED) & (postcopy_pause_sem > 0)
            & ~src_state.isin(MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER),
            {"postcopy_pause_sem": take(postcopy_pause_sem), "mig": M.EXITED},
            "migration/migration.c:postcopy_pause",
            "Woken in neither PAUSED nor RECOVER: MIG_THR_ERR_FATAL."),
        act("ram_dirty_bitmap_sync_all", MIG,
            mig.eq(M.PAUSED) & (postcopy_pause_sem > 0) & src_state.eq(MS.POSTCOPY_RECOVER),
            {"postcopy_pause_sem": take(postcopy_pause_sem),
             "m2d": send_main(MigCmd.RECV_BITMAP), "postcopy_bmap_sync_requested": 1,
             "mig": M.BITMAP_CHECK},
            "migration/ram.c:ram_dirty_bitmap_sync_all",
            "Woken for recovery (postcopy_do_resume): ask for the received bitmap."),
        *rp_wait_loop(M.BITMAP_CHECK, M.BITMAP_WAIT, "ram_dirty_bitmap_sync_all",
                      "migration/ram.c:ram_dirty_bitmap_sync_all",
                      loop_while=postcopy_bmap_sync_requested > 0),
        act("postcopy_resume_handshake", MIG,
            mig.eq(M.BITMAP_CHECK) & postcopy_bmap_sync_requested.eq(0),
            {"m2d": send_main(MigCmd.POSTCOPY_RESUME), "mig": M.HANDSHAKE_CHECK},
            "migration/migration.c:postcopy_resume_handshake",
            "Bitmaps reloaded (ram_state_resume_prepare): send POSTCOPY_RESUME."),
        *rp_wait_loop(M.HANDSHAKE_CHECK, M.HANDSHAKE_WAIT, "postcopy_resume_handshake",
                      "migration/migration.c:postcopy_resume_handshake",
                      loop_while=src_state.eq(MS.POSTCOPY_RECOVER)),
        act("postcopy_resume_handshake: resumed", MIG,
            mig.eq(M.HANDSHAKE_CHECK) & src_state.eq(MS.POSTCOPY_ACTIVE),
            {"mig": M.ITERATE},
            "migration/migration.c:postcopy_pause",
            "RESUME_ACK arrived: MIG_THR_ERR_RECOVERED, back to sending pages."),
        act("postcopy_resume_handshake: failed", MIG,
            mig.eq(M.HANDSHAKE_CHECK)
            & ~src_state.isin(MS.POSTCOPY_RECOVER, MS.POSTCOPY_ACTIVE),
            resume_failed(),
            "migration/migration.c:postcopy_resume_handshake"),
    ]


def rp_wait_loop(check: M, wait: M, caller: str, qemu: str, loop_while) -> list[Action]:
    """`while (cond) { if (migration_rp_wait(s)) return -1; }` as it is since f8c543e808:
    migration_rp_wait fails when an error is latched, before or after sleeping on rp_sem."""
    errored = src_error.ne(SrcError.NONE)
    return [
        act(f"{caller}: migration_rp_wait error", MIG,
            mig.eq(check) & loop_while & errored, resume_failed(),
            "migration/migration.c:migration_rp_wait",
            "An error is latched: the resume attempt fails."),
        act(f"{caller}: migration_rp_wait", MIG,
            mig.eq(check) & loop_while & ~errored, {"mig": wait}, qemu,
            "Sleep on rp_sem until the return path kicks it."),
        act(f"{caller}: rp_sem woken", MIG,
            mig.eq(wait) & (rp_sem > 0) & ~errored,
            {"rp_sem": take(rp_sem), "mig": check},
            "migration/migration.c:migration_rp_wait"),
        act(f"{caller}: rp_sem woken, error", MIG,
            mig.eq(wait) & (rp_sem > 0) & errored,
            {"rp_sem": take(rp_sem), **resume_failed()},
            "migration/migration.c:migration_rp_wait"),
    ]


def return_path_thread() -> list[Action]:
    running = rp.eq(RpThread.RUNNING)
    recovering = src_state.eq(MS.POSTCOPY_RECOVER)
    return [
        act("source_return_path_thread: RECV_BITMAP", RP,
            running & rp_head(RpMsg.RECV_BITMAP) & recovering,
            {"d2m": pop_rp(), "postcopy_bmap_sync_requested": 0, "rp_sem": post(rp_sem)},
            "migration/ram.c:ram_dirty_bitmap_reload",
            "bmap := NOT received; one fewer block to sync; kick rp_sem."),
        act("source_return_path_thread: RECV_BITMAP outside RECOVER", RP,
            running & rp_head(RpMsg.RECV_BITMAP) & ~recovering,
            {"d2m": pop_rp(), **rp_exit(SrcError.RETURN_PATH)},
            "migration/ram.c:ram_dirty_bitmap_reload",
            "Reload refused in the wrong state: the thread records an error and exits."),
        act("source_return_path_thread: RESUME_ACK", RP,
            running & rp_head(RpMsg.RESUME_ACK),
            {"d2m": pop_rp(),
             "src_state": ite(recovering, MS.POSTCOPY_ACTIVE, src_state),
             "recovered": ite(recovering, True, recovered),
             "rp_sem": post(rp_sem)},
            "migration/migration.c:migrate_handle_rp_resume_ack",
            "RECOVER->POSTCOPY_ACTIVE, kick rp_sem."),
        act("source_return_path_thread: SHUT", RP,
            running & rp_head(RpMsg.SHUT),
            {"d2m": pop_rp(), **rp_exit(None)},
            "migration/migration.c:source_return_path_thread",
            "SHUT(0): the destination is done; leave without error."),
        act("source_return_path_thread: read error", RP,
            running & sock.eq(Sock.BROKEN),
            rp_exit(SrcError.RETURN_PATH),
            "migration/migration.c:source_return_path_thread",
            "qemu_get_be16 failed: record the error and leave."),
    ]


def actions() -> list[Action]:
    return [*main_loop(), *migration_thread(), *return_path_thread()]


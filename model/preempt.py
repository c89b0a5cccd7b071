"""The postcopy-preempt capability (QEMU 8.0+ machine types), as changes to a model.

With preempt, urgent pages travel on a second socket.  The source creates it inside
postcopy_start (after one PONG proves the main channel reached the destination) and again in
postcopy_do_resume (after the bitmap exchange); the destination's fast-load thread reads it
and pauses on its own semaphore.  Everything here is a `Change`, applied on top of a version
by `with_preempt`, so the model without preempt stays exactly as written.
"""

from __future__ import annotations

from migcheck.checker import fifo
from migcheck.checker.edit import AddActions, AddActors, AddVariables, AddWaits, Edit, Layer
from migcheck.checker.expr import Var, ite, min_
from migcheck.checker.spec import (
    Action,
    Actor,
    ActorKind,
    BoolDomain,
    EnumDomain,
    IntDomain,
    StateVar,
    Wait,
)
from migcheck.model import destination, source
from migcheck.model.destination import postcopy_pause_incoming
from migcheck.model.dsl import act, first_error, lift, post, shutdown, take
from migcheck.model.source import resume_failed
from migcheck.model.state import (
    D2M_SIZE,
    SEM_MAX,
    conn_pending,
    d2m,
    dst_state,
    from_src_file,
    listening,
    mig,
    postcopy_bmap_sync_requested,
    postcopy_state,
    rp,
    sock,
    src_state,
    start_postcopy,
)
from migcheck.model.vocab import (
    FastLoadThread as F,
    FileRef,
    ListenThread as L,
    MigrationStatus as MS,
    MigThread as M,
    PostcopyState as PS,
    RpMsg,
    RpThread,
    Sock,
    SrcError,
)

FAST = "dst:fast-load"

psock = Var("psock")
pconn_pending = Var("pconn_pending")
preempt_connecting = Var("preempt_connecting")
qfile_src = Var("postcopy_qemufile_src")
qfile_src_sem = Var("postcopy_qemufile_src_sem")
rp_pong_acks = Var("rp_pong_acks")
qfile_dst = Var("postcopy_qemufile_dst")
qfile_dst_done = Var("postcopy_qemufile_dst_done")
fast_load = Var("fast_load")
sem_fast_load = Var("postcopy_pause_sem_fast_load")


def _sem(name: str, lane: str, doc: str) -> StateVar:
    return StateVar(name, IntDomain(0, SEM_MAX), 0, doc, lane)


VARIABLES = (
    StateVar("psock", EnumDomain(Sock), Sock.NONE, "the preempt socket", "net:preempt"),
    StateVar("pconn_pending", IntDomain(0, 2), 0,
             "preempt connections made and not yet accepted by the destination (the older"
             " one, if two, is from an earlier attempt and already dead)", "net:preempt"),
    StateVar("preempt_connecting", BoolDomain(), False,
             "postcopy_preempt_setup's async connect is in progress", "src:main"),
    StateVar("postcopy_qemufile_src", EnumDomain(FileRef), FileRef.NULL,
             "ms->postcopy_qemufile_src", "src:migration"),
    _sem("postcopy_qemufile_src_sem", "src:migration", "ms->postcopy_qemufile_src_sem"),
    _sem("rp_pong_acks", "src:migration", "ms->rp_state.rp_pong_acks"),
    StateVar("postcopy_qemufile_dst", EnumDomain(FileRef), FileRef.NULL,
             "mis->postcopy_qemufile_dst", "dst:fast-load"),
    _sem("postcopy_qemufile_dst_done", "dst:fast-load", "mis->postcopy_qemufile_dst_done"),
    StateVar("fast_load", EnumDomain(F), F.NONE, "preempt (fast-load) thread", "dst:fast-load"),
    _sem("postcopy_pause_sem_fast_load", "dst:fast-load", "mis->postcopy_pause_sem_fast_load"),
    StateVar("channel_mixup", BoolDomain(), False,
             "ghost: the destination took a connection for the wrong channel", "dst:main"),
)

WAITS = (
    Wait(source.MIG, "mig", M.WAIT_MAIN_CHANNEL, "rp_pong_acks", rp_pong_acks > 0,
         "migration/migration.c:migration_wait_main_channel"),
    Wait(source.MIG, "mig", M.PREEMPT_WAIT, "postcopy_qemufile_src_sem", qfile_src_sem > 0,
         "migration/postcopy-ram.c:postcopy_preempt_establish_channel"),
    Wait(source.MIG, "mig", M.RESUME_PREEMPT_WAIT, "postcopy_qemufile_src_sem",
         qfile_src_sem > 0, "migration/postcopy-ram.c:postcopy_preempt_establish_channel"),
    Wait(destination.LISTEN, "listen", L.PRIO_MUTEX, "postcopy_prio_thread_mutex",
         fast_load.ne(F.RUNNING), "migration/savevm.c:postcopy_pause_incoming"),
    Wait(destination.LISTEN, "listen", L.RESUME_WAIT_PREEMPT, "postcopy_qemufile_dst_done",
         qfile_dst_done > 0, "migration/savevm.c:loadvm_postcopy_handle_resume"),
    Wait(FAST, "fast_load", F.WAIT_CHANNEL, "postcopy_qemufile_dst_done", qfile_dst_done > 0,
         "migration/postcopy-ram.c:postcopy_preempt_thread"),
    Wait(FAST, "fast_load", F.PAUSED, "postcopy_pause_sem_fast_load", sem_fast_load > 0,
         "migration/postcopy-ram.c:postcopy_pause_ram_fast_load"),
)

preempt_error = qfile_src.eq(FileRef.CUR) & psock.eq(Sock.BROKEN)
"""The preempt QEMUFile has an error (migration_detect_error checks it with to_dst_file)."""


def _release_preempt_src() -> dict:
    """migration_release_dst_files: shut down and close postcopy_qemufile_src."""
    return {"postcopy_qemufile_src": lift(FileRef.NULL),
            "psock": ite(qfile_src.eq(FileRef.CUR) & psock.eq(Sock.UP), Sock.BROKEN, psock)}


def _shutdown_preempt_dst() -> dict:
    return {"psock": ite(qfile_dst.eq(FileRef.CUR) & psock.eq(Sock.UP), Sock.BROKEN, psock)}


def _source_actions(budget_guard) -> list[Action]:
    return [
        act("postcopy_start: migration_wait_main_channel", source.MIG,
            mig.eq(M.ITERATE) & src_state.eq(MS.ACTIVE) & start_postcopy,
            {"mig": M.WAIT_MAIN_CHANNEL},
            "migration/migration.c:migration_wait_main_channel",
            "Preempt: wait for one PONG, so the main channel is known to the destination."),
        act("postcopy_preempt_establish_channel", source.MIG,
            mig.eq(M.WAIT_MAIN_CHANNEL) & (rp_pong_acks > 0),
            {"rp_pong_acks": take(rp_pong_acks), "preempt_connecting": True,
             "mig": M.PREEMPT_WAIT},
            "migration/postcopy-ram.c:postcopy_preempt_establish_channel",
            "Start the preempt channel's async connect; sleep on postcopy_qemufile_src_sem."),
        act("postcopy_start: preempt channel failed", source.MIG,
            mig.eq(M.PREEMPT_WAIT) & (qfile_src_sem > 0) & qfile_src.eq(FileRef.NULL),
            {"postcopy_qemufile_src_sem": take(qfile_src_sem), "src_state": MS.FAILED,
             "mig": M.EXITED},
            "migration/migration.c:postcopy_start",
            "No preempt channel: ACTIVE->FAILED (S6)."),
        act("postcopy_do_resume: postcopy_preempt_establish_channel", source.MIG,
            mig.eq(M.BITMAP_CHECK) & postcopy_bmap_sync_requested.eq(0),
            {"preempt_connecting": True, "mig": M.RESUME_PREEMPT_WAIT},
            "migration/migration.c:postcopy_do_resume",
            "After the bitmap exchange, connect the preempt channel again."),
        act("postcopy_do_resume: preempt channel failed", source.MIG,
            mig.eq(M.RESUME_PREEMPT_WAIT) & (qfile_src_sem > 0) & qfile_src.eq(FileRef.NULL),
            {"postcopy_qemufile_src_sem": take(qfile_src_sem), **resume_failed()},
            "migration/migration.c:postcopy_do_resume",
            "The resume attempt fails; postcopy_pause goes round again."),
        act("migration_detect_error: postcopy_pause (preempt channel)", source.MIG,
            mig.eq(M.ITERATE) & src_state.eq(MS.POSTCOPY_ACTIVE) & preempt_error,
            {**shutdown(), "to_dst_file": FileRef.NULL, "mig": M.PAUSE_JOIN_RP,
             "src_error": first_error(SrcError.STREAM)},
            "migration/migration.c:postcopy_pause",
            "An error on postcopy_qemufile_src pauses postcopy too."),
        act("postcopy_preempt_send_channel_done", source.MAIN,
            preempt_connecting & listening,
            {"psock": Sock.UP, "pconn_pending": min_(pconn_pending + 1, 2), "listening": False,
             "preempt_connecting": False, "postcopy_qemufile_src": FileRef.CUR,
             "postcopy_qemufile_dst": ite(qfile_dst.eq(FileRef.CUR), FileRef.OLD, qfile_dst),
             "postcopy_qemufile_src_sem": post(qfile_src_sem)},
            "migration/postcopy-ram.c:postcopy_preempt_send_channel_done",
            "Connected: postcopy_qemufile_src set, post postcopy_qemufile_src_sem."),
        act("postcopy_preempt_send_channel_done (failed)", source.MAIN,
            preempt_connecting & ~listening,
            {"preempt_connecting": False, "src_error": first_error(SrcError.CONNECT),
             "postcopy_qemufile_src_sem": post(qfile_src_sem)},
            "migration/postcopy-ram.c:postcopy_preempt_send_channel_done",
            "Nobody listens: set the error and post the semaphore anyway."),
        act("source_return_path_thread: PONG", source.RP,
            rp.eq(RpThread.RUNNING) & sock.eq(Sock.UP) & fifo.head(d2m).eq(RpMsg.PONG),
            {"d2m": fifo.pop(d2m, D2M_SIZE, RpMsg.EMPTY), "rp_pong_acks": post(rp_pong_acks)},
            "migration/migration.c:source_return_path_thread",
            "MIG_RP_MSG_PONG: post rp_pong_acks."),
        act("network: preempt channel fails", "net",
            psock.eq(Sock.UP) & budget_guard,
            {"psock": Sock.BROKEN, "failures": Var("failures") + 1},
            "io/channel-socket.c:qio_channel_socket_readv",
            "The preempt socket breaks."),
        act("network: preempt path fails before the destination accepts", "net",
            psock.eq(Sock.UP) & (pconn_pending > 0) & budget_guard,
            {"psock": Sock.BROKEN, "pconn_pending": pconn_pending - 1, "listening": True,
             "failures": Var("failures") + 1},
            "io/channel-socket.c:qio_channel_socket_readv",
            "A proxy took the preempt connection; the destination never sees it."),
    ]


def _destination_actions() -> list[Action]:
    pause_first = {**shutdown(from_src_file.eq(FileRef.CUR)), **_shutdown_preempt_dst(),
                   "from_src_file": FileRef.NULL, "to_src_file": FileRef.NULL,
                   "listen": L.PRIO_MUTEX}
    return [
        act("postcopy_preempt_new_channel", destination.MAIN,
            (pconn_pending > 0) & from_src_file.eq(FileRef.CUR),
            {"pconn_pending": pconn_pending - 1,
             "postcopy_qemufile_dst": ite(pconn_pending.eq(2), FileRef.OLD, FileRef.CUR),
             "postcopy_qemufile_dst_done": post(qfile_dst_done)},
            "migration/postcopy-ram.c:postcopy_preempt_new_channel",
            "A second connection while from_src_file is set: the preempt channel."),
        act("migration_ioc_process_incoming: main connection taken as preempt",
            destination.MAIN,
            conn_pending & from_src_file.isin(FileRef.CUR, FileRef.OLD)
            & qfile_dst.ne(FileRef.CUR),
            {"conn_pending": False, "postcopy_qemufile_dst": FileRef.CUR,
             "postcopy_qemufile_dst_done": post(qfile_dst_done), "channel_mixup": True},
            "migration/migration.c:migration_ioc_process_incoming",
            "from_src_file is set and the preempt channel is missing, so the listener still"
            " accepts, and the source's new main channel is taken for the preempt channel."),
        act("qemu_loadvm_state_main: preempt channel error", destination.LISTEN,
            listen_running() & qfile_dst.eq(FileRef.CUR) & psock.eq(Sock.BROKEN)
            & postcopy_state.eq(PS.RUNNING),
            pause_first,
            "migration/savevm.c:qemu_loadvm_state_main",
            "At a section boundary the listen thread sees postcopy_qemufile_dst's error."),
        act("postcopy_pause_incoming: postcopy_prio_thread_mutex", destination.LISTEN,
            Var("listen").eq(L.PRIO_MUTEX) & fast_load.ne(F.RUNNING),
            {**postcopy_pause_incoming(), "postcopy_qemufile_dst": FileRef.NULL},
            "migration/savevm.c:postcopy_pause_incoming",
            "The fast-load thread has paused: close the preempt file, ->PAUSED, sleep."),
        act("loadvm_postcopy_handle_resume: wait preempt channel", destination.LISTEN,
            Var("listen").eq(L.RESUME_WAIT_PREEMPT) & (qfile_dst_done > 0),
            {"postcopy_qemufile_dst_done": take(qfile_dst_done),
             "postcopy_pause_sem_fast_load": post(sem_fast_load), "listen": L.RUNNING},
            "migration/savevm.c:loadvm_postcopy_handle_resume",
            "The new preempt channel is there: wake the fast-load thread."),
        act("postcopy_preempt_thread: channel ready", FAST,
            fast_load.eq(F.WAIT_CHANNEL) & (qfile_dst_done > 0),
            {"postcopy_qemufile_dst_done": take(qfile_dst_done), "fast_load": F.RUNNING},
            "migration/postcopy-ram.c:postcopy_preempt_thread"),
        act("postcopy_pause_ram_fast_load", FAST,
            fast_load.eq(F.RUNNING) & (qfile_dst.ne(FileRef.CUR) | psock.eq(Sock.BROKEN)),
            {"fast_load": F.PAUSED},
            "migration/postcopy-ram.c:postcopy_pause_ram_fast_load",
            "Load error: drop postcopy_prio_thread_mutex, sleep on the fast-load semaphore."),
        act("postcopy_pause_ram_fast_load: woken", FAST,
            fast_load.eq(F.PAUSED) & (sem_fast_load > 0),
            {"postcopy_pause_sem_fast_load": take(sem_fast_load), "fast_load": F.RUNNING},
            "migration/postcopy-ram.c:postcopy_pause_ram_fast_load"),
    ]


def listen_running():
    return Var("listen").eq(L.RUNNING)


def layer(max_failures: int) -> Layer:
    budget = Var("failures") < max_failures
    why = "postcopy-preempt"
    exits = {"fast_load": F.EXITED}
    return Layer("preempt", (
        AddVariables(VARIABLES, why=why),
        AddActors((Actor(FAST, ActorKind.THREAD, "dst", "destination preempt thread",
                         "fault-fast", pc="fast_load"),), why=why),
        AddWaits(WAITS, why=why),
        AddActions((*_source_actions(budget), *_destination_actions()), why=why),
        # postcopy_start proper begins once the preempt channel exists
        Edit("postcopy_start", why="the preempt channel is established first",
             guard=mig.eq(M.PREEMPT_WAIT) & (qfile_src_sem > 0) & qfile_src.eq(FileRef.CUR),
             assign={"postcopy_qemufile_src_sem": take(qfile_src_sem),
                     "src_state": ite(src_state.eq(MS.ACTIVE), MS.POSTCOPY_ACTIVE, src_state),
                     "mig": M.POSTCOPY_PACKAGE}),
        Edit("postcopy_resume_handshake", why="RESUME is sent after the preempt channel is back",
             guard=mig.eq(M.RESUME_PREEMPT_WAIT) & (qfile_src_sem > 0)
             & qfile_src.eq(FileRef.CUR),
             assign={"postcopy_qemufile_src_sem": take(qfile_src_sem)}),
        # the listener stays open for the second (preempt) connection
        Edit("migrate_fd_connect", why=why, assign={"listening": listening}),
        Edit("migrate_fd_connect (resume)", why=why, assign={"listening": listening}),
        # the PONG answering PING(1), sent right after OPEN_RETURN_PATH
        Edit("loadvm_process_command: OPEN_RETURN_PATH", why=why,
             assign={"d2m": ite(sock.eq(Sock.UP),
                                fifo.push(d2m, RpMsg.PONG, D2M_SIZE, RpMsg.EMPTY), d2m)}),
        # migration_release_dst_files closes the preempt file with the return path
        *(Edit(name, why=why, assign=_release_preempt_src())
          for name in ("postcopy_pause: close_return_path_on_source",
                       "migration_completion: close_return_path_on_source",
                       "migrate_fd_cleanup")),
        Edit("loadvm_postcopy_handle_listen", assign={"fast_load": F.WAIT_CHANNEL},
             why="postcopy_ram_incoming_setup starts the preempt thread"),
        Edit("qemu_loadvm_state_main: postcopy_pause_incoming",
             why="postcopy_pause_incoming takes postcopy_prio_thread_mutex first",
             assign={**_shutdown_preempt_dst(), "listen": L.PRIO_MUTEX},
             drop=("dst_state",)),
        Edit("loadvm_postcopy_handle_resume",
             why="it waits for postcopy_qemufile_dst_done before waking fast-load",
             assign={"listen": ite(dst_state.eq(MS.POSTCOPY_RECOVER),
                                   L.RESUME_WAIT_PREEMPT, Var("listen"))}),
        *(Edit(name, why="the preempt thread ends with the load", assign=exits)
          for name in ("postcopy_ram_listen_thread: EOF",
                       "postcopy_ram_listen_thread: load failed",
                       "process_incoming_migration_co: load failed")),
    ))


__all__ = ["layer"]

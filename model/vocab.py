"""QEMU's names for states, messages and program points, as enums.

Enum member names follow QEMU (`MIGRATION_STATUS_POSTCOPY_RECOVER` -> `POSTCOPY_RECOVER`,
`MIG_RP_MSG_RESUME_ACK` -> `RpMsg.RESUME_ACK`).  `qapi` gives the string QMP uses.
"""

from __future__ import annotations

import enum


class MigrationStatus(enum.Enum):
    """qapi/migration.json MigrationStatus (the subset the model reaches, plus 9.1+ states)."""

    NONE = "none"
    SETUP = "setup"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    ACTIVE = "active"
    POSTCOPY_ACTIVE = "postcopy-active"
    POSTCOPY_PAUSED = "postcopy-paused"
    POSTCOPY_RECOVER_SETUP = "postcopy-recover-setup"  # 9.1+ (4146b77ec7), source only
    POSTCOPY_RECOVER = "postcopy-recover"
    COMPLETED = "completed"
    FAILED = "failed"
    DEVICE = "device"

    @property
    def qapi(self) -> str:
        return self.value


FINAL = (MigrationStatus.COMPLETED, MigrationStatus.FAILED, MigrationStatus.CANCELLED)


class PostcopyState(enum.Enum):
    """Destination sub-state, postcopy-ram.c postcopy_state_get/set (POSTCOPY_INCOMING_*)."""

    NONE = "none"
    ADVISE = "advise"
    LISTENING = "listening"
    RUNNING = "running"
    END = "end"


class Sock(enum.Enum):
    """The main socket (main stream + return path: one QIOChannel, two QEMUFiles)."""

    NONE = "none"  # no connection yet
    UP = "up"  # connected
    BROKEN = "broken"  # shut down or failed: every read and write on it fails from now on


class FileRef(enum.Enum):
    """What a QEMUFile pointer refers to: nothing, the current connection, or an older one."""

    NULL = "NULL"
    CUR = "current"
    OLD = "old"


class MigCmd(enum.Enum):
    """Messages on the main channel, source -> destination (savevm.c MIG_CMD_*, QEMU_VM_EOF)."""

    EMPTY = "-"
    OPEN_RETURN_PATH = "OPEN_RETURN_PATH"  # with PING(1) and POSTCOPY_ADVISE after it
    PACKAGED = "PACKAGED"  # POSTCOPY_LISTEN, device state, POSTCOPY_RUN
    RECV_BITMAP = "RECV_BITMAP"
    POSTCOPY_RESUME = "POSTCOPY_RESUME"
    EOF = "QEMU_VM_EOF"
    # page copies (PAGE<p>_V<v>) are added by the pages layer: model/pages.py page_msg


class RpMsg(enum.Enum):
    """Return-path messages, destination -> source (migration.c MIG_RP_MSG_*)."""

    EMPTY = "-"
    SHUT = "SHUT"
    PONG = "PONG"
    RECV_BITMAP = "RECV_BITMAP"
    RESUME_ACK = "RESUME_ACK"


class SrcError(enum.Enum):
    """What `s->error` holds (first error wins; freed at the start of migrate_fd_connect)."""

    NONE = "none"
    STREAM = "stream error on to_dst_file"
    RETURN_PATH = "return path read failed"
    PAUSED_BY_USER = "Postcopy migration is paused by the user"
    CONNECT = "connect failed"


class MigThread(enum.Enum):
    """Program points of the source migration thread (migration_thread, "live_migration")."""

    NONE = "not created"
    SETUP = "setup"  # header, OPEN_RETURN_PATH, ADVISE, setup sections
    ITERATE = "iterate"  # migration_iteration_run / migration_detect_error loop
    POSTCOPY_PACKAGE = "postcopy_start: package"  # after ACTIVE->POSTCOPY_ACTIVE
    POSTCOPY_CHECK = "postcopy_start: final check"  # package sent, last stream check
    PAUSE_JOIN_RP = "postcopy_pause: join rp"  # close_return_path_on_source
    PAUSED = "postcopy_pause: wait"  # sleeps on postcopy_pause_sem
    BITMAP_CHECK = "bitmap sync: check"  # ram_dirty_bitmap_sync_all loop top
    BITMAP_WAIT = "bitmap sync: wait"  # migration_rp_wait: sleeps on rp_sem
    HANDSHAKE_CHECK = "handshake: check"  # postcopy_resume_handshake loop top
    HANDSHAKE_WAIT = "handshake: wait"  # migration_rp_wait: sleeps on rp_sem
    COMPLETE_JOIN_RP = "completion: join rp"  # migration_completion -> close_return_path
    WAIT_MAIN_CHANNEL = "postcopy_start: wait PONG"  # preempt: sleeps on rp_pong_acks
    PREEMPT_WAIT = "postcopy_start: preempt connect"  # sleeps on postcopy_qemufile_src_sem
    RESUME_PREEMPT_WAIT = "resume: preempt connect"  # the same, in postcopy_do_resume
    EXITED = "exited"
    JOINED = "joined"


class RpThread(enum.Enum):
    """Source return-path thread (source_return_path_thread, "return path")."""

    NONE = "not created"
    RUNNING = "reading"
    EXITED = "exited"


class LoadThread(enum.Enum):
    """Destination main-loop load (process_incoming_migration_co -> qemu_loadvm_state)."""

    NONE = "not started"
    LOADING = "loading precopy stream"
    PACKAGE = "loading package"  # after POSTCOPY_LISTEN, before POSTCOPY_RUN
    DONE = "done"  # returned after POSTCOPY_RUN; the listen thread owns the channel


class ListenThread(enum.Enum):
    """Destination listen thread (postcopy_ram_listen_thread, "postcopy/listen")."""

    NONE = "not created"
    RUNNING = "reading"
    PAUSED = "postcopy_pause_incoming: wait"  # sleeps on postcopy_pause_sem_dst
    PRIO_MUTEX = "postcopy_pause_incoming: prio mutex"  # preempt: waits for the fast-load thread
    RESUME_WAIT_PREEMPT = "handle_resume: wait preempt"  # sleeps on postcopy_qemufile_dst_done
    EXITED = "exited"
    CRASHED = "crashed"  # pre-0e99bb8f54: continued with a NULL channel


class FaultThread(enum.Enum):
    """Destination fault thread (postcopy_ram_fault_thread, "fault-default")."""

    NONE = "not created"
    RUNNING = "polling"
    PAUSED = "postcopy_pause_fault_thread: wait"  # sleeps on postcopy_pause_sem_fault
    EXITED = "exited"


class FastLoadThread(enum.Enum):
    """Destination preempt thread (postcopy_preempt_thread, "fault-fast")."""

    NONE = "not created"
    WAIT_CHANNEL = "waiting for the preempt channel"  # postcopy_qemufile_dst_done
    RUNNING = "loading urgent pages"  # holds postcopy_prio_thread_mutex
    PAUSED = "postcopy_pause_ram_fast_load: wait"  # sleeps on postcopy_pause_sem_fast_load
    EXITED = "exited"

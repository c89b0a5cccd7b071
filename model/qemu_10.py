"""QEMU 10.0 as differences from qemu-8.2.

Each change names the commit (or the real-QEMU observation) behind it:

* 4146b77ec7 (9.1): the source-only POSTCOPY_RECOVER_SETUP state.  `migrate resume=true`
  moves PAUSED->RECOVER_SETUP in migrate_prepare; a successful connect moves
  RECOVER_SETUP->RECOVER; a failed connect moves RECOVER_SETUP->PAUSED, so every recovery
  attempt now shows up as events.  postcopy_pause waits "at least once, then while paused",
  where paused means PAUSED or RECOVER_SETUP.
* the switchover rework (9.x; seen in every 10.0 trace in reports/real): postcopy_start
  moves ACTIVE->DEVICE when it stops the VM and only leaves DEVICE for POSTCOPY_ACTIVE at its
  very end, after the package is sent and the last stream check passed.  An error in
  between is still fatal (FAILED).
* 10.0 (msg-id 20250213175927.19642-6-farosas@suse.de): migrate_cancel is refused while
  migration_in_postcopy() ("Postcopy migration in progress, cannot cancel.").  The refused
  command may be issued in any postcopy state; the accepted one stays scoped by the
  cancel-only-in-precopy assumption (cancel during SETUP is outside the 8.2 model too).
* 7.2's `setup` event on migrate-recover is absent (qemu-8.2 already lacks it), and the
  destination's state machine is unchanged (the reference, section 8).

Later renames (migrate_fd_connect -> migration_connect, migrate_fd_error ->
migration_connect_set_error) are not reflected in the cited function names.
"""

from __future__ import annotations

from migcheck.checker.edit import Change, Edit, SetMeta
from migcheck.model import meta
from migcheck.model.admin import POSTCOPY, RUNNING, command, edit_command
from migcheck.model.state import (
    connecting,
    dst_state,
    listening,
    mig,
    postcopy_pause_sem,
    src_state,
)
from migcheck.model.vocab import MigrationStatus as MS, MigThread as M

PAUSED_LIKE = (MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER_SETUP)
"""postcopy_is_paused() since 4146b77ec7."""

IN_POSTCOPY = (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER_SETUP,
               MS.POSTCOPY_RECOVER)
"""migration_in_postcopy() in 10.0."""

CANCEL_REFUSAL = "Postcopy migration in progress, cannot cancel."


def changes() -> tuple[Change, ...]:
    resume, cancel = command("src: migrate resume=true"), command("src: migrate_cancel")
    pause, recover = command("src: migrate-pause"), command("dst: migrate-recover")
    return (
        # ---- 4146b77ec7: POSTCOPY_RECOVER_SETUP
        *edit_command(resume.name, "4146b77ec7: migrate_prepare sets RECOVER_SETUP",
                      assign={"src_state": MS.POSTCOPY_RECOVER_SETUP},
                      doc="PAUSED->RECOVER_SETUP (4146b77ec7), then connect a new main"
                          " channel."),
        Edit("migrate_fd_connect (resume)", why="4146b77ec7: the connect leaves RECOVER_SETUP",
             guard=connecting & listening & src_state.eq(MS.POSTCOPY_RECOVER_SETUP),
             fields={"doc": "Resume connected: RECOVER_SETUP->RECOVER, new return-path"
                            " thread, post postcopy_pause_sem."}),
        Edit("migrate_fd_error (resume connect failed)",
             why="4146b77ec7: a failed resume connect moves RECOVER_SETUP->PAUSED, visibly",
             guard=connecting & ~listening & src_state.eq(MS.POSTCOPY_RECOVER_SETUP),
             assign={"src_state": MS.POSTCOPY_PAUSED},
             fields={"cites": "migration/migration.c:migrate_fd_error",
                     "doc": "Nobody listens: RECOVER_SETUP->PAUSED, with an event."}),
        Edit("postcopy_pause: woken, still paused",
             why="4146b77ec7: do { wait } while (postcopy_is_paused())",
             guard=mig.eq(M.PAUSED) & (postcopy_pause_sem > 0) & src_state.isin(*PAUSED_LIKE)),
        Edit("postcopy_pause: woken, fatal", why="4146b77ec7: RECOVER_SETUP counts as paused",
             guard=mig.eq(M.PAUSED) & (postcopy_pause_sem > 0)
             & ~src_state.isin(*PAUSED_LIKE, MS.POSTCOPY_RECOVER)),
        *edit_command(pause.name, "the admin may try migrate-pause in RECOVER_SETUP; QEMU"
                                  " refuses it (migration_postcopy_is_alive)",
                      base=pause, policy=src_state.isin(*POSTCOPY, MS.POSTCOPY_RECOVER_SETUP)),
        # ---- switchover rework: ACTIVE->DEVICE->POSTCOPY_ACTIVE inside postcopy_start
        Edit("postcopy_start", why="10.0 switchover rework: DEVICE first (real traces: STOP,"
                                   " device)",
             assign={"src_state": MS.DEVICE},
             fields={"doc": "migrate-start-postcopy was issued: stop the VM, ACTIVE->DEVICE"
                            " (migration_switchover_start)."}),
        Edit("postcopy_start: done", why="10.0 switchover rework: POSTCOPY_ACTIVE only at the"
                                         " end",
             assign={"src_state": MS.POSTCOPY_ACTIVE},
             fields={"doc": "Package sent and the stream is fine: DEVICE->POSTCOPY_ACTIVE."}),
        # ---- 10.0: migrate_cancel refused in postcopy
        *edit_command(cancel.name, "10.0 refuses migrate_cancel in postcopy",
                      commit="20250213175927.19642-6-farosas@suse.de", base=cancel,
                      policy=src_state.isin(*RUNNING, *IN_POSTCOPY, MS.DEVICE),
                      accepts=~src_state.isin(*IN_POSTCOPY), refusal=CANCEL_REFUSAL,
                      cites="migration/migration.c:qmp_migrate_cancel",
                      doc="Refused in postcopy (10.0); otherwise shut the files down,"
                          " ->CANCELLING."),
        *edit_command(recover.name, "the admin may re-issue migrate-recover with a new socket",
                      base=recover, policy=dst_state.isin(*POSTCOPY)),
        # ---- the reference's source table gains the 9.1+ moves (section 8)
        SetMeta(meta.TRANSITIONS, update=meta.allow("src_state", MS.ACTIVE, MS.DEVICE),
                why="switchover rework: ACTIVE->DEVICE in postcopy_start"),
        SetMeta(meta.TRANSITIONS,
                update=meta.allow("src_state", MS.DEVICE, MS.POSTCOPY_ACTIVE, MS.FAILED),
                why="switchover rework: DEVICE->POSTCOPY_ACTIVE at its end, FAILED on error"),
        SetMeta(meta.TRANSITIONS,
                update=meta.allow("src_state", MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER_SETUP),
                why="4146b77ec7: migrate_prepare moves PAUSED->RECOVER_SETUP"),
        SetMeta(meta.TRANSITIONS,
                update=meta.allow("src_state", MS.POSTCOPY_RECOVER_SETUP, MS.POSTCOPY_RECOVER,
                                  MS.POSTCOPY_PAUSED),
                why="4146b77ec7: the connect leaves RECOVER_SETUP (or falls back to PAUSED)"),
    )

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

from dataclasses import dataclass, replace

from migcheck.model.admin import POSTCOPY, RUNNING, Command, ReplaceCommand, commands
from migcheck.model.state import (
    connecting,
    dst_state,
    listening,
    mig,
    postcopy_pause_sem,
    src_state,
)
from migcheck.model.vocab import MigrationStatus as MS, MigThread as M

from migcheck.checker.expr import lift
from migcheck.checker.spec import Change, Model, ReplaceAction


@dataclass(frozen=True)
class Assign(Change):
    """Set one variable in the named action's effect, keeping its other assignments (so
    assignments other versions add, e.g. page bookkeeping, survive)."""

    action: str
    var: str
    value: object
    why: str

    def apply(self, model: Model) -> Model:
        model.action(self.action)
        out = []
        for a in model.actions:
            if a.name == self.action:
                kept = tuple((t, e) for t, e in a.effect if t != self.var)
                a = replace(a, effect=kept + ((self.var, lift(self.value)),))
            out.append(a)
        return replace(model, actions=tuple(out))


PAUSED_LIKE = (MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER_SETUP)
"""postcopy_is_paused() since 4146b77ec7."""

IN_POSTCOPY = (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER_SETUP,
               MS.POSTCOPY_RECOVER)
"""migration_in_postcopy() in 10.0."""

CANCEL_REFUSAL = "Postcopy migration in progress, cannot cancel."


def _command(name: str) -> Command:
    return next(c for c in commands() if c.name == name)


def _resume() -> Command:
    base = _command("src: migrate resume=true")
    return Command(base.name, base.qmp, base.policy, base.accepts,
                   effect={**base.effect, "src_state": MS.POSTCOPY_RECOVER_SETUP},
                   refusal=base.refusal, qemu=base.qemu,
                   doc="PAUSED->RECOVER_SETUP (4146b77ec7), then connect a new main channel.")


def _cancel() -> Command:
    base = _command("src: migrate_cancel")
    return Command(base.name, base.qmp,
                   policy=src_state.isin(*RUNNING, *IN_POSTCOPY, MS.DEVICE),
                   accepts=~src_state.isin(*IN_POSTCOPY),
                   effect=base.effect,
                   refusal=CANCEL_REFUSAL, qemu="migration/migration.c:qmp_migrate_cancel",
                   doc="Refused in postcopy (10.0); otherwise shut the files down,"
                       " ->CANCELLING.")


def _src_pause() -> Command:
    """migrate-pause may also be issued (and is refused) in RECOVER_SETUP."""
    base = _command("src: migrate-pause")
    return Command(base.name, base.qmp, src_state.isin(*POSTCOPY, MS.POSTCOPY_RECOVER_SETUP),
                   base.accepts, base.effect, base.refusal, base.qemu, base.doc, base.events)


def _recover() -> Command:
    """migrate-recover may be issued again while a recovery listener is open (after a failed
    attempt, with a new socket: the real 10.0 broken run does this); qmp_migrate_recover
    only checks that the destination is paused and replaces the listener."""
    base = _command("dst: migrate-recover")
    return Command(base.name, base.qmp, dst_state.isin(*POSTCOPY), base.accepts, base.effect,
                   base.refusal, base.qemu, base.doc, base.events)


def changes() -> tuple[Change, ...]:
    return (
        # ---- 4146b77ec7: POSTCOPY_RECOVER_SETUP
        ReplaceCommand(_resume(), "4146b77ec7: migrate_prepare sets RECOVER_SETUP"),
        ReplaceAction("migrate_fd_connect (resume)",
                      {"guard": connecting & listening
                       & src_state.eq(MS.POSTCOPY_RECOVER_SETUP),
                       "doc": "Resume connected: RECOVER_SETUP->RECOVER, new return-path"
                              " thread, post postcopy_pause_sem."},
                      "4146b77ec7: the connect leaves RECOVER_SETUP"),
        ReplaceAction("migrate_fd_error (resume connect failed)",
                      {"guard": connecting & ~listening
                       & src_state.eq(MS.POSTCOPY_RECOVER_SETUP),
                       "qemu": "migration/migration.c:migrate_fd_error",
                       "doc": "Nobody listens: RECOVER_SETUP->PAUSED, with an event."},
                      "4146b77ec7: a failed resume connect is visible"),
        Assign("migrate_fd_error (resume connect failed)", "src_state", MS.POSTCOPY_PAUSED,
               "4146b77ec7: migrate_fd_error moves RECOVER_SETUP->PAUSED"),
        ReplaceAction("postcopy_pause: woken, still paused",
                      {"guard": mig.eq(M.PAUSED) & (postcopy_pause_sem > 0)
                       & src_state.isin(*PAUSED_LIKE)},
                      "4146b77ec7: do { wait } while (postcopy_is_paused())"),
        ReplaceAction("postcopy_pause: woken, fatal",
                      {"guard": mig.eq(M.PAUSED) & (postcopy_pause_sem > 0)
                       & ~src_state.isin(*PAUSED_LIKE, MS.POSTCOPY_RECOVER)},
                      "4146b77ec7: RECOVER_SETUP counts as paused"),
        ReplaceCommand(_src_pause(), "the admin may try migrate-pause in RECOVER_SETUP;"
                                     " QEMU refuses it (migration_postcopy_is_alive)"),
        # ---- switchover rework: ACTIVE->DEVICE->POSTCOPY_ACTIVE inside postcopy_start
        ReplaceAction("postcopy_start",
                      {"doc": "migrate-start-postcopy was issued: stop the VM, ACTIVE->DEVICE"
                              " (migration_switchover_start)."},
                      "10.0 switchover rework"),
        Assign("postcopy_start", "src_state", MS.DEVICE,
               "10.0 switchover rework: DEVICE first (real traces: STOP, device)"),
        ReplaceAction("postcopy_start: done",
                      {"doc": "Package sent and the stream is fine: DEVICE->POSTCOPY_ACTIVE."},
                      "10.0 switchover rework"),
        Assign("postcopy_start: done", "src_state", MS.POSTCOPY_ACTIVE,
               "10.0 switchover rework: POSTCOPY_ACTIVE only at the end"),
        # ---- 10.0: migrate_cancel refused in postcopy
        ReplaceCommand(_cancel(), "10.0 refuses migrate_cancel in postcopy"),
        ReplaceCommand(_recover(), "the admin may re-issue migrate-recover with a new socket"),
    )


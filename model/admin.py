"""The admin's QMP commands, each with the preconditions QEMU checks.

A command issued outside its precondition is refused: it changes nothing, but the refusal
(with QEMU's error text) is a step of the trace.  `policy` says when the modelled admin issues
a command at all (e.g. migrate-recover only in a postcopy state); it keeps the model to
sensible operator behaviour without hiding any QEMU reply.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

from migcheck.model.dsl import act, first_error, post, shutdown
from migcheck.model.state import (
    connecting,
    dst_state,
    from_src_file,
    listening,
    rp,
    rp_sem,
    src_state,
    start_postcopy,
    to_dst_file,
)
from migcheck.model.vocab import FileRef, MigrationStatus as MS, RpThread, SrcError

from migcheck.checker.expr import TRUE, Expr, all_of, ite, lift
from migcheck.checker.spec import Action, Change, Model

ADMIN = "admin"

POSTCOPY = (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER)
RUNNING = (MS.SETUP, MS.ACTIVE, *POSTCOPY, MS.CANCELLING)  # migration_is_running


@dataclass(frozen=True)
class Command:
    """One QMP command on one side: when it is issued, when QEMU accepts it, what it does."""

    name: str  # action name prefix, e.g. "src: migrate-pause"
    qmp: str
    policy: Expr
    accepts: Expr
    effect: dict
    refusal: str | None
    qemu: str
    doc: str = ""
    events: tuple[tuple[str, str], ...] = ()
    source: tuple[str, int] = field(default_factory=lambda: _constructed_at())

    def actions(self) -> list[Action]:
        out = [act(self.name, ADMIN, all_of(self.policy, self.accepts), self.effect, self.qemu,
                   self.doc, command=self.qmp, events=self.events, source=self.source)]
        if self.refusal is not None:
            out.append(act(f"{self.name} (refused)", ADMIN,
                           all_of(self.policy, ~self.accepts), {}, self.qemu,
                           "Refused: nothing changes.", command=self.qmp, reply=self.refusal,
                           source=self.source))
        return out


def _constructed_at() -> tuple[str, int]:
    """The file and line that built a Command (frames: this, the lambda, __init__, caller)."""
    frame = sys._getframe(3)
    return (frame.f_code.co_filename, frame.f_lineno)


@dataclass(frozen=True)
class ReplaceCommand(Change):
    """A version difference: a command's precondition, effect or refusal text changed."""

    command: Command
    why: str

    def apply(self, model: Model) -> Model:
        names = {self.command.name, f"{self.command.name} (refused)"}
        kept = tuple(a for a in model.actions if a.name not in names)
        if len(kept) == len(model.actions):
            raise KeyError(self.command.name)
        return replace(model, actions=kept + tuple(self.command.actions()))


def src_migrate_pause_82() -> Command:
    return Command(
        "src: migrate-pause", "migrate-pause",
        policy=src_state.isin(*POSTCOPY),
        accepts=src_state.isin(MS.POSTCOPY_ACTIVE, MS.POSTCOPY_RECOVER),
        effect={"src_error": first_error(SrcError.PAUSED_BY_USER),
                **shutdown(to_dst_file.eq(FileRef.CUR)),
                "rp_sem": post(rp_sem)},
        refusal="migrate-pause is currently only supported during postcopy-active or "
                "postcopy-recover state",
        qemu="migration/migration.c:qmp_migrate_pause",
        doc="Latch an error, shut to_dst_file down, kick rp_sem (f8c543e808).")


def dst_migrate_pause_82() -> Command:
    return Command(
        "dst: migrate-pause", "migrate-pause",
        policy=dst_state.isin(*POSTCOPY),
        accepts=dst_state.isin(MS.POSTCOPY_ACTIVE, MS.POSTCOPY_RECOVER),
        effect=shutdown(from_src_file.eq(FileRef.CUR)),
        refusal="migrate-pause is currently only supported during postcopy-active or "
                "postcopy-recover state",
        qemu="migration/migration.c:qmp_migrate_pause",
        doc="Shut down from_src_file; the listen thread's read fails and it pauses.")


def commands() -> list[Command]:
    return [
        Command("dst: migrate-incoming", "migrate-incoming",
                policy=TRUE, accepts=dst_state.eq(MS.NONE),
                effect={"dst_state": MS.SETUP, "listening": True}, refusal=None,
                qemu="migration/migration.c:qemu_start_incoming_migration",
                doc="NONE->SETUP, listen for the main channel."),
        Command("src: migrate", "migrate",
                policy=TRUE, accepts=src_state.eq(MS.NONE),
                effect={"src_state": MS.SETUP, "connecting": True}, refusal=None,
                qemu="migration/migration.c:qmp_migrate",
                doc="migrate_init: NONE->SETUP, start connecting."),
        Command("src: migrate-start-postcopy", "migrate-start-postcopy",
                policy=~start_postcopy & src_state.isin(MS.SETUP, MS.ACTIVE),
                accepts=src_state.ne(MS.NONE), effect={"start_postcopy": True}, refusal=None,
                qemu="migration/migration.c:qmp_migrate_start_postcopy",
                doc="Ask the migration thread to switch to postcopy."),
        src_migrate_pause_82(),
        dst_migrate_pause_82(),
        Command("dst: migrate-recover", "migrate-recover",
                policy=dst_state.isin(*POSTCOPY) & ~listening,
                accepts=dst_state.eq(MS.POSTCOPY_PAUSED),
                effect={"listening": True},
                refusal="Migrate recover can only be run when postcopy is paused.",
                qemu="migration/migration.c:qmp_migrate_recover",
                doc="Open a new listener for the recovery channel."),
        Command("src: migrate resume=true", "migrate",
                policy=src_state.isin(*POSTCOPY) & ~connecting,
                accepts=src_state.eq(MS.POSTCOPY_PAUSED),
                effect={"connecting": True},
                refusal="Cannot resume if there is no paused migration",
                qemu="migration/migration.c:migrate_prepare",
                doc="Connect a new main channel for the recovery."),
        Command("src: migrate_cancel", "migrate_cancel",
                policy=TRUE, accepts=src_state.isin(*RUNNING),
                effect={**shutdown(rp.eq(RpThread.RUNNING) | to_dst_file.eq(FileRef.CUR)),
                        "src_state": ite(src_state.isin(*RUNNING), MS.CANCELLING, src_state)},
                refusal=None,
                qemu="migration/migration.c:migrate_fd_cancel",
                doc="Shut the return path and to_dst_file down, ->CANCELLING."),
    ]


def actions() -> list[Action]:
    return [a for c in commands() for a in c.actions()]


__all__ = ["Command", "ReplaceCommand", "actions", "commands", "lift"]

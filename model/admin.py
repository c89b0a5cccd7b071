"""The admin's QMP commands, each with the preconditions QEMU checks.

A command issued outside its precondition is refused: it changes nothing, but the refusal
(with QEMU's error text) is a step of the trace.  `policy` says when the modelled admin issues
a command at all (e.g. migrate-recover only in a postcopy state); it keeps the model to
sensible operator behaviour without hiding any QEMU reply.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace

from migcheck.checker.edit import AddActions, Change, Edit, call_site
from migcheck.checker.expr import TRUE, Expr, all_of, ite, lift
from migcheck.checker.spec import Action, Call
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

ADMIN = "admin"

POSTCOPY = (MS.POSTCOPY_ACTIVE, MS.POSTCOPY_PAUSED, MS.POSTCOPY_RECOVER)
RUNNING = (MS.SETUP, MS.ACTIVE, *POSTCOPY, MS.CANCELLING)  # migration_is_running


@dataclass(frozen=True)
class Command:
    """One QMP command on one side: when it is issued, when QEMU accepts it, what it does."""

    name: str  # action name prefix, e.g. "src: migrate-pause"
    call: Call
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
                   self.doc, call=self.call, events=self.events, source=self.source)]
        if self.refusal is not None:
            out.append(act(refused(self.name), ADMIN,
                           all_of(self.policy, ~self.accepts), {}, self.qemu,
                           "Refused: nothing changes.", call=self.call, reply=self.refusal,
                           source=self.source))
        return out


def refused(name: str) -> str:
    """The action name of a command's refusal."""
    return f"{name} (refused)"


def _constructed_at() -> tuple[str, int]:
    """The file and line that built a Command (frames: this, the lambda, __init__, caller)."""
    frame = sys._getframe(3)
    return (frame.f_code.co_filename, frame.f_lineno)


def edit_command(name: str, why: str, *, accepts: object = None, policy: object = None,
                 assign: dict | None = None, drop: tuple[str, ...] = (),
                 refusal: str | None = None, doc: str | None = None, cites: str | None = None,
                 base: Command | None = None, commit: str = "") -> list[Change]:
    """A version difference in one command: its precondition (`accepts`, given with the
    `base` command whose policy it keeps), what it does, or its refusal text."""
    site = call_site(1)
    accepted: dict = {"assign": assign or {}, "drop": drop}
    rejected: dict = {}
    if accepts is not None or policy is not None:
        assert base is not None, "a new precondition needs the base command"
        pol = base.policy if policy is None else policy
        acc = base.accepts if accepts is None else accepts
        accepted["guard"] = all_of(pol, acc)
        rejected["guard"] = all_of(pol, ~lift(acc))
    accepted["fields"] = {"doc": doc} if doc is not None else {}
    rejected["fields"] = {"reply": refusal} if refusal is not None else {}
    if cites is not None:
        accepted["fields"]["cites"] = rejected["fields"]["cites"] = cites
    out: list[Change] = [Edit(name, why=why, commit=commit, site=site, **accepted)]
    if base is not None and base.refusal is None and refusal is not None:
        new = replace(base, accepts=lift(accepts) if accepts is not None else base.accepts,
                      policy=lift(policy) if policy is not None else base.policy,
                      refusal=refusal, qemu=cites or base.qemu)
        out.append(AddActions((new.actions()[1],), why=why, commit=commit, site=site))
    elif "guard" in rejected or rejected["fields"]:
        out.append(Edit(refused(name), why=why, commit=commit, site=site, **rejected))
    return out


def src_migrate_pause_82() -> Command:
    return Command(
        "src: migrate-pause", Call("src", "migrate-pause"),
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
        "dst: migrate-pause", Call("dst", "migrate-pause"),
        policy=dst_state.isin(*POSTCOPY),
        accepts=dst_state.isin(MS.POSTCOPY_ACTIVE, MS.POSTCOPY_RECOVER),
        effect=shutdown(from_src_file.eq(FileRef.CUR)),
        refusal="migrate-pause is currently only supported during postcopy-active or "
                "postcopy-recover state",
        qemu="migration/migration.c:qmp_migrate_pause",
        doc="Shut down from_src_file; the listen thread's read fails and it pauses.")


def commands() -> list[Command]:
    return [
        Command("dst: migrate-incoming", Call("dst", "migrate-incoming"),
                policy=TRUE, accepts=dst_state.eq(MS.NONE),
                effect={"dst_state": MS.SETUP, "listening": True}, refusal=None,
                qemu="migration/migration.c:qemu_start_incoming_migration",
                doc="NONE->SETUP, listen for the main channel."),
        Command("src: migrate", Call("src", "migrate"),
                policy=TRUE, accepts=src_state.eq(MS.NONE),
                effect={"src_state": MS.SETUP, "connecting": True}, refusal=None,
                qemu="migration/migration.c:qmp_migrate",
                doc="migrate_init: NONE->SETUP, start connecting."),
        Command("src: migrate-start-postcopy", Call("src", "migrate-start-postcopy"),
                policy=~start_postcopy & src_state.isin(MS.SETUP, MS.ACTIVE),
                accepts=src_state.ne(MS.NONE), effect={"start_postcopy": True}, refusal=None,
                qemu="migration/migration.c:qmp_migrate_start_postcopy",
                doc="Ask the migration thread to switch to postcopy."),
        src_migrate_pause_82(),
        dst_migrate_pause_82(),
        Command("dst: migrate-recover", Call("dst", "migrate-recover"),
                policy=dst_state.isin(*POSTCOPY) & ~listening,
                accepts=dst_state.eq(MS.POSTCOPY_PAUSED),
                effect={"listening": True},
                refusal="Migrate recover can only be run when postcopy is paused.",
                qemu="migration/migration.c:qmp_migrate_recover",
                doc="Open a new listener for the recovery channel."),
        Command("src: migrate resume=true", Call("src", "migrate", (("resume", True),)),
                policy=src_state.isin(*POSTCOPY) & ~connecting,
                accepts=src_state.eq(MS.POSTCOPY_PAUSED),
                effect={"connecting": True},
                refusal="Cannot resume if there is no paused migration",
                qemu="migration/migration.c:migrate_prepare",
                doc="Connect a new main channel for the recovery."),
        Command("src: migrate_cancel", Call("src", "migrate_cancel"),
                policy=TRUE, accepts=src_state.isin(*RUNNING),
                effect={**shutdown(rp.eq(RpThread.RUNNING) | to_dst_file.eq(FileRef.CUR)),
                        "src_state": ite(src_state.isin(*RUNNING), MS.CANCELLING, src_state)},
                refusal=None,
                qemu="migration/migration.c:migrate_fd_cancel",
                doc="Shut the return path and to_dst_file down, ->CANCELLING."),
    ]


def actions() -> list[Action]:
    return [a for c in commands() for a in c.actions()]


__all__ = ["Command", "actions", "commands", "edit_command", "refused"]


def command(name: str) -> Command:
    """The 8.2 command behind an action name prefix (versions edit it)."""
    return next(c for c in commands() if c.name == name)

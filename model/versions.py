"""Model versions, each a short list of differences from another version.

`qemu-8.2` is written out in source.py, destination.py, admin.py and network.py.  Every other
version is that model plus the changes listed here, each with the QEMU commit behind it.
A designer's proposal is a `Version` too, in a file of its own (see docs/designing.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from migcheck.checker.edit import AddActions, Change, DropAssumption, Edit, RemoveAction, call_site
from migcheck.checker.spec import Model
from migcheck.model import pages, qemu_10
from migcheck.model.admin import command, edit_command
from migcheck.model.config import Config
from migcheck.model.destination import LISTEN, read_fails
from migcheck.model.dsl import act, send_main, shutdown, take
from migcheck.model.state import (
    dst_state,
    from_src_file,
    listen,
    mig,
    postcopy_state,
    rp_sem,
    src_state,
)
from migcheck.model.vocab import (
    FileRef,
    ListenThread,
    MigCmd,
    MigrationStatus as MS,
    MigThread as M,
    PostcopyState as PS,
)

Properties = Callable[[Model, Config], Sequence[object]]


@dataclass(frozen=True)
class Version:
    """A named model: a base version plus changes (a function of the configuration, so a
    version may depend on the bound, the pages or preempt), and optionally its own
    properties (a function of the built model)."""

    name: str
    base: str | None
    summary: str
    changes: Callable[[Config], Sequence[Change]] = lambda config: ()
    properties: Properties | None = None
    preempt: bool = True  # whether the postcopy-preempt overlay applies to it
    origin: tuple[str, int] = field(default_factory=call_site, compare=False)


def _qemu_72(config: Config) -> tuple[Change, ...]:
    only_active = "migrate-pause is currently only supported during postcopy-active state"
    src_pause, dst_pause = command("src: migrate-pause"), command("dst: migrate-pause")
    bitmap, handshake = "ram_dirty_bitmap_sync_all", "postcopy_resume_handshake"
    return (
        # f8c543e808: migration_rp_wait did not look at s->error ...
        *(RemoveAction(f"{caller}: {step}", why="f8c543e808 added the error checks",
                       commit="f8c543e808")
          for caller in (bitmap, handshake)
          for step in ("migration_rp_wait error", "rp_sem woken, error")),
        Edit(f"{handshake}: migration_rp_wait", why="plain qemu_sem_wait(rp_sem) while RECOVER",
             guard=mig.eq(M.HANDSHAKE_CHECK) & src_state.eq(MS.POSTCOPY_RECOVER)),
        Edit(f"{handshake}: rp_sem woken", why="no error check after waking",
             guard=mig.eq(M.HANDSHAKE_WAIT) & (rp_sem > 0)),
        # ... and (before 1015ff5476) waited on rp_sem once per RAMBlock, no counter loop
        Edit(f"{bitmap}: migration_rp_wait", guard=mig.eq(M.BITMAP_CHECK),
             why="1015ff5476 introduced the postcopy_bmap_sync_requested loop",
             commit="1015ff5476"),
        Edit(f"{bitmap}: rp_sem woken", why="1015ff5476: one qemu_sem_wait per RAMBlock",
             commit="1015ff5476",
             guard=mig.eq(M.BITMAP_WAIT) & (rp_sem > 0),
             assign={"rp_sem": take(rp_sem), "m2d": send_main(MigCmd.POSTCOPY_RESUME),
                     "mig": M.HANDSHAKE_CHECK},
             fields={"cites": "migration/migration.c:postcopy_resume_handshake",
                     "doc": "One wake-up per block, then straight on to POSTCOPY_RESUME."}),
        RemoveAction(handshake, why="the counter-driven step exists since 1015ff5476"),
        # f8c543e808: the return-path thread left without kicking rp_sem
        *(Edit(name, drop=("rp_sem",), commit="f8c543e808",
               why="f8c543e808 added migration_rp_kick on exit in POSTCOPY_RECOVER")
          for name in ("source_return_path_thread: RECV_BITMAP outside RECOVER",
                       "source_return_path_thread: SHUT",
                       "source_return_path_thread: read error")),
        # f8c543e808: migrate-pause only in postcopy-active, no error latched, no kick
        *edit_command(src_pause.name, "f8c543e808 accepted postcopy-recover and kicks rp_sem",
                      commit="f8c543e808", base=src_pause,
                      accepts=src_state.eq(MS.POSTCOPY_ACTIVE), drop=("src_error", "rp_sem"),
                      refusal=only_active, doc="Shut to_dst_file down."),
        *edit_command(dst_pause.name, "f8c543e808 accepted postcopy-recover on the destination"
                                      " too", commit="f8c543e808", base=dst_pause,
                      accepts=dst_state.eq(MS.POSTCOPY_ACTIVE), refusal=only_active),
        # 0e99bb8f54: before it, postcopy_pause_incoming's CAS from POSTCOPY_ACTIVE failed in
        # RECOVER, the wait was skipped and the load went on with a NULL channel
        Edit("qemu_loadvm_state_main: postcopy_pause_incoming", commit="0e99bb8f54",
             why="the CAS only succeeds from POSTCOPY_ACTIVE",
             guard=listen.eq(ListenThread.RUNNING) & read_fails
             & postcopy_state.eq(PS.RUNNING) & dst_state.eq(MS.POSTCOPY_ACTIVE)),
        AddActions((act("postcopy_pause_incoming: CAS fails in RECOVER", LISTEN,
                        listen.eq(ListenThread.RUNNING) & read_fails
                        & postcopy_state.eq(PS.RUNNING) & dst_state.eq(MS.POSTCOPY_RECOVER),
                        {**shutdown(from_src_file.eq(FileRef.CUR)),
                         "from_src_file": FileRef.NULL, "to_src_file": FileRef.NULL,
                         "listen": ListenThread.CRASHED},
                        "migration/savevm.c:postcopy_pause_incoming",
                        "No PAUSED, no wait: the retry reads a NULL from_src_file (crash)."),),
                   why="0e99bb8f54 made the transition unconditional", commit="0e99bb8f54"),
        # observed on real 7.2: migrate-recover emits a 'setup' event (state unchanged)
        Edit("dst: migrate-recover", fields={"events": (("dst", "setup"),)},
             why="7.2's qemu_start_incoming_migration emits SETUP (real-qemu-notes 2)"),
    )


def _assumption_dropped(name: str, why: str) -> Callable[[Config], tuple[Change, ...]]:
    return lambda config: (DropAssumption(name, why=why),)


def _fault(fault: str) -> Callable[[Config], tuple[Change, ...]]:
    return lambda config: pages.fault_changes(fault, config.pages)


BUILT_IN: tuple[Version, ...] = (
    Version("qemu-8.2", None,
            "after f8c543e808: the network may fail during recovery; migrate-pause kicks a"
            " stuck side"),
    Version("qemu-7.2", "qemu-8.2",
            "before f8c543e808 and its companions 0e99bb8f54, 5e79a4bf03, 1015ff5476,"
            " 7aa6070d09", _qemu_72, preempt=False),
    Version("qemu-8.2+cancel", "qemu-8.2",
            "8.2 with migrate_cancel issued in postcopy too (shows R3)",
            _assumption_dropped("cancel-only-in-precopy", "the admin may cancel")),
    Version("qemu-10.0", "qemu-8.2",
            "QEMU 10.0: postcopy-recover-setup (4146b77ec7), device before postcopy-active,"
            " migrate_cancel refused in postcopy", lambda config: qemu_10.changes()),
    Version("qemu-8.2+switchover-failures", "qemu-8.2",
            "8.2 with failures between postcopy-active and POSTCOPY_RUN (shows R5)",
            _assumption_dropped("no-failure-in-switchover", "the network may fail")),
    *(Version(f"qemu-8.2+{fault}", "qemu-8.2", summary, _fault(fault))
      for fault, summary in pages.FAULT_SUMMARIES.items()),
)

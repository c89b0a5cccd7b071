"""Model versions, each a short list of differences from another version.

`qemu-8.2` is written out in source.py, destination.py, admin.py and network.py.  Every other
version is that model plus the changes listed here, each with the QEMU commit behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from migcheck.model import build, pages
from migcheck.model.admin import Command, ReplaceCommand, dst_migrate_pause_82, src_migrate_pause_82
from migcheck.model.destination import LISTEN, read_fails
from migcheck.model.dsl import act, send_main, shutdown, take
from migcheck.model.qemu_10 import changes as _qemu_10
from migcheck.model.state import (
    dst_state,
    from_src_file,
    listen,
    mig,
    postcopy_state,
    rp_sem,
    src_state,
    to_dst_file,
)
from migcheck.model.vocab import (
    FileRef,
    ListenThread,
    MigCmd,
    MigrationStatus as MS,
    MigThread as M,
    PostcopyState as PS,
)

from migcheck.checker.expr import lift
from migcheck.checker.spec import (
    AddActions,
    Change,
    DropAssignment,
    DropAssumption,
    Model,
    ModelError,
    RemoveAction,
    ReplaceAction,
)


@dataclass(frozen=True)
class Version:
    name: str
    base: str | None
    summary: str
    changes: Callable[[], tuple[Change, ...]] = lambda: ()
    page_changes: Callable[[int], tuple[Change, ...]] | None = None  # faults: depend on N


def _qemu_72() -> tuple[Change, ...]:
    only_active = "migrate-pause is currently only supported during postcopy-active state"
    src_pause, dst_pause = src_migrate_pause_82(), dst_migrate_pause_82()
    bitmap, handshake = "ram_dirty_bitmap_sync_all", "postcopy_resume_handshake"
    return (
        # f8c543e808: migration_rp_wait did not look at s->error ...
        *(RemoveAction(f"{caller}: {step}", "f8c543e808 added the error checks")
          for caller in (bitmap, handshake)
          for step in ("migration_rp_wait error", "rp_sem woken, error")),
        ReplaceAction(f"{handshake}: migration_rp_wait",
                      {"guard": mig.eq(M.HANDSHAKE_CHECK) & src_state.eq(MS.POSTCOPY_RECOVER)},
                      "plain qemu_sem_wait(rp_sem) while RECOVER"),
        ReplaceAction(f"{handshake}: rp_sem woken",
                      {"guard": mig.eq(M.HANDSHAKE_WAIT) & (rp_sem > 0)},
                      "no error check after waking"),
        # ... and (before 1015ff5476) waited on rp_sem once per RAMBlock, no counter loop
        ReplaceAction(f"{bitmap}: migration_rp_wait", {"guard": mig.eq(M.BITMAP_CHECK)},
                      "1015ff5476 introduced the postcopy_bmap_sync_requested loop"),
        ReplaceAction(f"{bitmap}: rp_sem woken",
                      {"guard": mig.eq(M.BITMAP_WAIT) & (rp_sem > 0),
                       "effect": (("rp_sem", take(rp_sem)),
                                  ("m2d", send_main(MigCmd.POSTCOPY_RESUME)),
                                  ("mig", lift(M.HANDSHAKE_CHECK))),
                       "qemu": "migration/migration.c:postcopy_resume_handshake",
                       "doc": "One wake-up per block, then straight on to POSTCOPY_RESUME."},
                      "1015ff5476: one qemu_sem_wait per RAMBlock"),
        RemoveAction(handshake, "the counter-driven step exists since 1015ff5476"),
        # f8c543e808: the return-path thread left without kicking rp_sem
        DropAssignment(("source_return_path_thread: RECV_BITMAP outside RECOVER",
                        "source_return_path_thread: SHUT",
                        "source_return_path_thread: read error"), "rp_sem",
                       "f8c543e808 added migration_rp_kick on exit in POSTCOPY_RECOVER"),
        # f8c543e808: migrate-pause only in postcopy-active, no error latched, no kick
        ReplaceCommand(Command(src_pause.name, src_pause.qmp, src_pause.policy,
                               accepts=src_state.eq(MS.POSTCOPY_ACTIVE),
                               effect=shutdown(to_dst_file.eq(FileRef.CUR)),
                               refusal=only_active, qemu=src_pause.qemu,
                               doc="Shut to_dst_file down."),
                       "f8c543e808 accepted postcopy-recover and kicks rp_sem"),
        ReplaceCommand(Command(dst_pause.name, dst_pause.qmp, dst_pause.policy,
                               accepts=dst_state.eq(MS.POSTCOPY_ACTIVE),
                               effect=dst_pause.effect, refusal=only_active,
                               qemu=dst_pause.qemu, doc=dst_pause.doc),
                       "f8c543e808 accepted postcopy-recover on the destination too"),
        # 0e99bb8f54: before it, postcopy_pause_incoming's CAS from POSTCOPY_ACTIVE failed in
        # RECOVER, the wait was skipped and the load went on with a NULL channel
        ReplaceAction("qemu_loadvm_state_main: postcopy_pause_incoming",
                      {"guard": listen.eq(ListenThread.RUNNING) & read_fails
                       & postcopy_state.eq(PS.RUNNING) & dst_state.eq(MS.POSTCOPY_ACTIVE)},
                      "the CAS only succeeds from POSTCOPY_ACTIVE"),
        AddActions((act("postcopy_pause_incoming: CAS fails in RECOVER", LISTEN,
                        listen.eq(ListenThread.RUNNING) & read_fails
                        & postcopy_state.eq(PS.RUNNING) & dst_state.eq(MS.POSTCOPY_RECOVER),
                        {**shutdown(from_src_file.eq(FileRef.CUR)),
                         "from_src_file": FileRef.NULL, "to_src_file": FileRef.NULL,
                         "listen": ListenThread.CRASHED},
                        "migration/savevm.c:postcopy_pause_incoming",
                        "No PAUSED, no wait: the retry reads a NULL from_src_file (crash)."),),
                   "0e99bb8f54 made the transition unconditional"),
        # observed on real 7.2: migrate-recover emits a 'setup' event (state unchanged)
        ReplaceAction("dst: migrate-recover", {"events": (("dst", "setup"),)},
                      "7.2's qemu_start_incoming_migration emits SETUP (real-qemu-notes 2)"),
    )


VERSIONS: dict[str, Version] = {
    v.name: v
    for v in (
        Version("qemu-8.2", None,
                "after f8c543e808: the network may fail during recovery; migrate-pause kicks"
                " a stuck side"),
        Version("qemu-7.2", "qemu-8.2",
                "before f8c543e808 and its companions 0e99bb8f54, 5e79a4bf03, 1015ff5476,"
                " 7aa6070d09",
                _qemu_72),
        Version("qemu-8.2+cancel", "qemu-8.2",
                "8.2 with migrate_cancel issued in postcopy too (shows R3)",
                lambda: (DropAssumption("cancel-only-in-precopy", "the admin may cancel"),)),
        Version("qemu-10.0", "qemu-8.2",
                "QEMU 10.0: postcopy-recover-setup (4146b77ec7), device before"
                " postcopy-active, migrate_cancel refused in postcopy",
                _qemu_10),
        Version("qemu-8.2+switchover-failures", "qemu-8.2",
                "8.2 with failures between postcopy-active and POSTCOPY_RUN (shows R5)",
                lambda: (DropAssumption("no-failure-in-switchover", "the network may fail"),)),
        *(Version(f"qemu-8.2+{fault}", "qemu-8.2", summary,
                  lambda f=fault: pages.fault_changes(f, 1),
                  lambda n, f=fault: pages.fault_changes(f, n))
          for fault, summary in pages.FAULT_SUMMARIES.items()),
    )
}


class UnknownModel(KeyError):
    pass


def build_model(name: str, failures: int = 2, pages: int = 0) -> Model:
    """The named version at the given failure bound, with `pages` guest pages (0: none)."""
    if name not in VERSIONS:
        raise UnknownModel(name)
    version = VERSIONS[name]
    if version.base is None:
        model = build.qemu_82(failures, pages)
    else:
        model = build_model(version.base, failures, pages)
    if version.base is None:
        return model
    changes = (version.page_changes(pages) if version.page_changes is not None
               else version.changes())
    try:
        return model.with_changes(version.name, version.summary, changes)
    except KeyError as exc:
        raise ModelError(f"version {name}: no action {exc.args[0]!r} to change") from None

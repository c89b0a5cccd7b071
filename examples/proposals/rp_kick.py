"""QEMU 7.2 plus only the return-path thread's kick of rp_sem (half of f8c543e808).

Question: is the exit kick alone enough to fix the f8c543e808 hang, or is the rest of the
fix (migrate-pause in postcopy-recover, migration_rp_wait checking s->error) needed too?
"""

from migcheck.design import MS, Edit, Version, ite, post, rp_sem, src_state

EXITS = ("source_return_path_thread: read error", "source_return_path_thread: SHUT",
         "source_return_path_thread: RECV_BITMAP outside RECOVER")


def kick_on_exit(config):
    kick = ite(src_state.eq(MS.POSTCOPY_RECOVER), post(rp_sem), rp_sem)
    return [Edit(name, assign={"rp_sem": kick}, commit="f8c543e808",
                 why="migration_rp_kick when the thread leaves in POSTCOPY_RECOVER")
            for name in EXITS]


RP_KICK = Version("qemu-7.2+rp-kick", "qemu-7.2",
                  "7.2 plus only the return-path thread's rp_sem kick on exit", kick_on_exit)

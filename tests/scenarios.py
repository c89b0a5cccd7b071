"""Action sequences that tests replay: the admin's and the network's moves, written as in QEMU."""

INTO_POSTCOPY = [
    "dst: migrate-incoming",
    "src: migrate",
    "migrate_fd_connect",
    "migration_thread: setup",
    "migration_ioc_process_incoming",
    "loadvm_process_command: OPEN_RETURN_PATH",
    "src: migrate-start-postcopy",
    "postcopy_start",
    "postcopy_start: send package",
    "postcopy_start: done",
    "loadvm_postcopy_handle_listen",
    "loadvm_postcopy_handle_run",
]

BOTH_PAUSED = INTO_POSTCOPY + [
    "network: main channel fails",
    "migration_detect_error: postcopy_pause",
    "source_return_path_thread: read error",
    "postcopy_pause: close_return_path_on_source",
    "qemu_loadvm_state_main: postcopy_pause_incoming",
    "postcopy_pause_fault_thread",
]

RECOVER_STARTED = BOTH_PAUSED + [
    "dst: migrate-recover",
    "src: migrate resume=true",
    "migrate_fd_connect (resume)",
    "ram_dirty_bitmap_sync_all",
    "ram_dirty_bitmap_sync_all: migration_rp_wait",
]

# f8c543e808's recipe: the recovery connection is accepted by a proxy, broken further along
BROKEN_RECOVERY = RECOVER_STARTED + [
    "network: path fails before the destination accepts",
    "source_return_path_thread: read error",
]

RECOVERY_COMPLETES = RECOVER_STARTED + [
    "postcopy_try_recover",
    "postcopy_pause_incoming: woken",
    "loadvm_handle_recv_bitmap",
    "source_return_path_thread: RECV_BITMAP",
    "ram_dirty_bitmap_sync_all: rp_sem woken",
    "postcopy_resume_handshake",
    "postcopy_resume_handshake: migration_rp_wait",
    "loadvm_postcopy_handle_resume",
    "postcopy_pause_fault_thread: woken",
    "source_return_path_thread: RESUME_ACK",
    "postcopy_resume_handshake: rp_sem woken",
    "postcopy_resume_handshake: resumed",
    "migration_completion",
    "postcopy_ram_listen_thread: EOF",
    "source_return_path_thread: SHUT",
    "migration_completion: close_return_path_on_source",
    "migrate_fd_cleanup",
]

"""Hand-driven protocol scenarios on the model, one QEMU behaviour per test."""

from __future__ import annotations

import pytest
from scenarios import BOTH_PAUSED, BROKEN_RECOVERY, INTO_POSTCOPY, RECOVERY_COMPLETES

from migcheck.checker.simulate import NotEnabled


def test_postcopy_switch_reaches_running_on_both_sides(sim82):
    s = sim82.view(sim82.run(INTO_POSTCOPY))
    assert (s["src_state"], s["dst_state"], s["postcopy_state"]) == (
        "POSTCOPY_ACTIVE", "POSTCOPY_ACTIVE", "RUNNING")


def test_channel_failure_pauses_both_sides(sim82):
    s = sim82.view(sim82.run(BOTH_PAUSED))
    assert (s["src_state"], s["dst_state"]) == ("POSTCOPY_PAUSED", "POSTCOPY_PAUSED")
    assert s["mig"] == "PAUSED" and s["listen"] == "PAUSED" and s["rp"] == "NONE"


def test_recovery_handshake_completes_the_migration(sim82):
    s = sim82.view(sim82.run(RECOVERY_COMPLETES))
    assert (s["src_state"], s["dst_state"]) == ("COMPLETED", "COMPLETED")
    assert s["recovered"] is True and s["mig"] == "JOINED"


def test_82_return_path_exit_in_recover_kicks_rp_sem(sim82):
    s = sim82.view(sim82.run(BROKEN_RECOVERY))
    assert s["src_state"] == "POSTCOPY_RECOVER" and s["mig"] == "BITMAP_WAIT"
    assert s["rp"] == "EXITED" and s["rp_sem"] == 1  # f8c543e808's migration_rp_kick


def test_82_migration_thread_falls_back_to_paused(sim82):
    state = sim82.run(BROKEN_RECOVERY + [
        "ram_dirty_bitmap_sync_all: rp_sem woken, error",
        "postcopy_pause: close_return_path_on_source",
    ])
    s = sim82.view(state)
    assert s["src_state"] == "POSTCOPY_PAUSED" and s["mig"] == "PAUSED"


def test_72_broken_recovery_leaves_migration_thread_asleep(sim72):
    state = sim72.run(BROKEN_RECOVERY)
    s = sim72.view(state)
    assert s["src_state"] == "POSTCOPY_RECOVER" and s["mig"] == "BITMAP_WAIT"
    assert s["rp"] == "EXITED" and s["rp_sem"] == 0
    qemu_threads = {"src:main", "src:migration", "src:return-path", "dst:main",
                    "dst:listen", "dst:fault"}
    moving = [n for k, n in zip(sim72.enabled(state), sim72.compiled.successors(state),
                                 strict=True)
              if n[1] != state and sim72.compiled.model.action(k).actor in qemu_threads]
    assert moving == []


def test_72_migrate_pause_is_refused_in_recover(sim72):
    state = sim72.run(BROKEN_RECOVERY)
    assert sim72.step(state, "src: migrate-pause (refused)") == state
    with pytest.raises(NotEnabled):
        sim72.step(state, "src: migrate-pause")


def test_82_migrate_pause_in_recover_latches_error_and_kicks(sim82):
    state = sim82.run(BROKEN_RECOVERY[:-2])  # RECOVER, channel still up
    s = sim82.view(sim82.step(state, "src: migrate-pause"))
    assert s["src_error"] == "PAUSED_BY_USER" and s["sock"] == "BROKEN" and s["rp_sem"] == 1


def test_82_destination_pause_in_recover_is_accepted(sim82):
    state = sim82.run(BROKEN_RECOVERY[:-2] + ["postcopy_try_recover",
                                               "postcopy_pause_incoming: woken"])
    assert sim82.view(state)["dst_state"] == "POSTCOPY_RECOVER"
    s = sim82.view(sim82.step(state, "dst: migrate-pause"))
    assert s["sock"] == "BROKEN"


def test_72_destination_crashes_on_failure_in_recover(sim72):
    state = sim72.run(BROKEN_RECOVERY[:-2] + ["postcopy_try_recover",
                                               "postcopy_pause_incoming: woken",
                                               "network: main channel fails",
                                               "postcopy_pause_incoming: CAS fails in RECOVER"])
    assert sim72.view(state)["listen"] == "CRASHED"


def test_resume_before_migrate_recover_is_silently_refused(sim82):
    state = sim82.run(BOTH_PAUSED + ["src: migrate resume=true",
                                     "migrate_fd_error (resume connect failed)"])
    s = sim82.view(state)
    assert s["src_state"] == "POSTCOPY_PAUSED" and s["src_error"] == "CONNECT"


def test_unknown_action_name_is_reported(sim82):
    with pytest.raises(NotEnabled, match="no action named"):
        sim82.run(["no such step"])

"""Postcopy-preempt (model option): the second channel, the fast-load thread, and the
candidate hang the model finds in migration_wait_main_channel."""

from __future__ import annotations

import functools

import pytest
from scenarios import INTO_POSTCOPY

from migcheck.build import build_model
from migcheck.checker.compile import CompiledModel
from migcheck.checker.simulate import Simulator
from migcheck.checker.spec import ModelError

QEMU_THREADS = {"src:main", "src:migration", "src:return-path", "dst:main", "dst:listen",
                "dst:fault", "dst:fast-load"}

PREEMPT_SWITCH = INTO_POSTCOPY[:7] + [
    "postcopy_start: migration_wait_main_channel",
    "source_return_path_thread: PONG",
    "postcopy_preempt_establish_channel",
    "postcopy_preempt_send_channel_done",
    "postcopy_preempt_new_channel",
    "postcopy_start",
    "postcopy_start: send package",
    "postcopy_start: done",
    "loadvm_postcopy_handle_listen",
    "loadvm_postcopy_handle_run",
    "postcopy_preempt_thread: channel ready",
]


@functools.cache
def sim() -> Simulator:
    return Simulator(CompiledModel(build_model("qemu-8.2", 1, preempt=True)))


def moving_threads(s: Simulator, state) -> list[str]:
    return [s.compiled.actions[k].name for k, nxt in s.compiled.successors(state)
            if nxt != state and s.compiled.actions[k].actor in QEMU_THREADS]


def test_preempt_channel_is_set_up_before_the_switch():
    s = sim()
    view = s.view(s.run(PREEMPT_SWITCH))
    assert view["src_state"] == "POSTCOPY_ACTIVE" and view["postcopy_state"] == "RUNNING"
    assert view["psock"] == "UP" and view["postcopy_qemufile_src"] == "CUR"
    assert view["postcopy_qemufile_dst"] == "CUR" and view["fast_load"] == "RUNNING"


def test_destination_pause_waits_for_the_fast_load_thread():
    s = sim()
    state = s.run(PREEMPT_SWITCH + ["src: migrate-pause",
                                    "qemu_loadvm_state_main: postcopy_pause_incoming"])
    assert s.view(state)["listen"] == "PRIO_MUTEX"
    with pytest.raises(ValueError):  # postcopy_prio_thread_mutex is still held
        s.step(state, "postcopy_pause_incoming: postcopy_prio_thread_mutex")
    state = s.run(["postcopy_pause_ram_fast_load",
                   "postcopy_pause_incoming: postcopy_prio_thread_mutex"], state)
    assert s.view(state)["dst_state"] == "POSTCOPY_PAUSED"


def test_candidate_hang_waiting_for_the_first_pong():
    """A channel lost before the destination answered PING(1), then migrate-start-postcopy:
    the migration thread sleeps on rp_pong_acks, which nothing can post any more."""
    s = sim()
    state = s.run(INTO_POSTCOPY[:4] + [
        "network: path fails before the destination accepts",
        "source_return_path_thread: read error",
        "src: migrate-start-postcopy",
        "postcopy_start: migration_wait_main_channel",
    ])
    view = s.view(state)
    assert view["mig"] == "WAIT_MAIN_CHANNEL" and view["rp"] == "EXITED"
    assert view["rp_pong_acks"] == 0 and moving_threads(s, state) == []
    valid = s.compiled.predicate(s.compiled.model.valid_end)
    assert not valid(state)


def test_preempt_is_refused_for_a_version_without_its_hooks():
    with pytest.raises(ModelError, match="not modelled for qemu-7.2"):
        build_model("qemu-7.2", 1, preempt=True)

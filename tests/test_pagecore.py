"""Hand-written scenarios and random/replay tests for the pagecore reference."""

from __future__ import annotations

import random

import pytest

from migcheck.pagecore import (
    PageCore,
    StepNotEnabled,
    checks,
    destination as D,
    explore,
    page_content,
    random_walk,
    replay,
    source as S,
)
from migcheck.pagecore.messages import DiscardMsg, PageMsg, ReqPages, ResumeAck

# Steps a "let everything drain" driver must not take on its own.
_NO_AUTO = {"guest_write", "channel_break", "preempt_channel_break", "postcopy_request_page"}


def finish(core: PageCore) -> None:
    """Run the first enabled step (in STEPS order), never injecting events."""
    for _ in range(1000):
        steps = [s for s in core.enabled_steps() if s.split("(")[0] not in _NO_AUTO]
        if not steps:
            return
        core.step(steps[0])
    raise AssertionError("finish() did not terminate")


def to_postcopy_running(core: PageCore) -> None:
    """postcopy_start straight away, then the destination handles DISCARD/LISTEN/RUN."""
    core.run(["postcopy_start()", "ram_discard_range()", "loadvm_postcopy_handle_listen()",
              "loadvm_postcopy_handle_run()"])


RECOVERY = [
    "postcopy_pause()", "postcopy_pause_incoming()", "migrate_fd_connect()",
    "postcopy_try_recover()", "ram_dirty_bitmap_sync_all()", "loadvm_handle_recv_bitmap()",
    "ram_dirty_bitmap_reload()", "postcopy_resume_handshake()",
    "loadvm_postcopy_handle_resume()", "migrate_send_rp_req_pages_pending()",
    "migrate_handle_rp_resume_ack()",
]


def assert_ram_equal(core: PageCore) -> None:
    for p in range(core.n):
        assert core.dst.ram[p] == core.src.ram[p], p


def recover_and_complete(core: PageCore, steps: list[str]) -> None:
    """Every recovery step is enabled in turn, the rest drains, and RAM ends equal."""
    assert replay(core, steps) == []
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def test_initial_enabled_steps_and_contents() -> None:
    core = PageCore(2)
    assert core.enabled_steps() == [
        "guest_write(0)", "guest_write(1)", "ram_save_host_page()", "postcopy_start()"]
    assert core.src.ram == [b"page0000v000000|", b"page0001v000000|"]
    assert core.dst.ram == [None, None]


def test_plain_postcopy_completes_consistent() -> None:
    core = PageCore(4)
    violations = replay(core, [
        "ram_save_host_page()", "ram_save_host_page()",  # pages 0, 1 (precopy)
        "ram_load_precopy()", "ram_load_precopy()",
        "guest_write(1)", "guest_write(3)",  # page 1 now stale on the destination
        "postcopy_start()",
    ])
    assert violations == []
    assert core.src.frozen is not None
    assert DiscardMsg((1, 2, 3)) in core.net.main.to_dst  # re-dirtied + never sent
    assert core.dst.ram[1] == page_content(1, 0)
    core.run(["ram_discard_range()"])
    assert core.dst.ram[1] is None and not core.dst.receivedmap[1]
    assert core.dst.ram[0] == page_content(0, 0) and core.dst.receivedmap[0]
    assert replay(core, [
        "loadvm_postcopy_handle_listen()", "loadvm_postcopy_handle_run()",
        "postcopy_request_page(2)", "ram_save_queue_pages()", "get_queued_page()",
        "ram_load_postcopy(main)", "postcopy_place_page(main)",
    ]) == []
    assert core.dst.ram[2] == core.src.ram[2] and core.dst.page_requested == set()
    finish(core)
    assert core.completed()
    assert checks.pages_consistent(core) == [] and checks.check_all(core) == []
    assert core.dst.ram[1] == b"page0001v000001|" and core.dst.ram[3] == page_content(3, 1)
    assert_ram_equal(core)


def test_pause_mid_transfer_then_recovery() -> None:
    core = PageCore(3)
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "ram_load_postcopy(main)", "postcopy_place_page(main)",
              "channel_break()"])
    assert core.src.phase == S.POSTCOPY_ACTIVE and core.can("postcopy_pause()")
    assert replay(core, RECOVERY[:7]) == []  # up to ram_dirty_bitmap_reload
    assert core.src.bmap == [False, True, True]
    assert (core.src.phase, core.dst.phase) == (S.POSTCOPY_RECOVER, D.POSTCOPY_RECOVER)
    assert replay(core, RECOVERY[7:]) == []
    assert (core.src.phase, core.dst.phase) == (S.POSTCOPY_ACTIVE, D.POSTCOPY_ACTIVE)
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def test_in_flight_page_lost_and_resent_after_resync() -> None:
    core = PageCore(2)
    to_postcopy_running(core)
    core.run(["ram_save_host_page()"])
    assert core.src.bmap == [False, True]
    assert list(core.net.main.to_dst) == [PageMsg(0, core.src.ram[0])]
    core.run(["channel_break()"])
    assert not core.net.main.to_dst  # lost on the wire
    assert replay(core, RECOVERY) == []
    assert core.src.bmap == [True, True]  # NOT receivedmap: page 0 dirty again
    core.run(["ram_save_host_page()", "ram_load_postcopy(main)", "postcopy_place_page(main)"])
    assert core.dst.ram[0] == core.src.ram[0]
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def test_temp_page_dropped_at_pause_is_resent() -> None:
    core = PageCore(2)
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "ram_load_postcopy(main)", "channel_break()",
              "postcopy_pause_incoming()"])
    assert core.dst.temp["main"] is None and not core.dst.receivedmap[0]
    assert replay(core, RECOVERY[:1] + RECOVERY[2:]) == []
    assert core.src.bmap[0]
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def _pending_request_at_break(faults: frozenset[str] = frozenset()) -> PageCore:
    core = PageCore(3, faults=faults)
    to_postcopy_running(core)
    core.run(["postcopy_request_page(2)"])
    assert list(core.net.main.to_src) == [ReqPages(2)]
    core.run(["channel_break()"])
    assert core.dst.page_requested == {2} and not core.net.main.to_src
    core.run(RECOVERY[:-2])  # up to and including loadvm_postcopy_handle_resume
    return core


def test_pending_request_resent_after_resume_and_served() -> None:
    core = _pending_request_at_break()
    assert list(core.net.main.to_src) == [ResumeAck(1)]
    core.run(["migrate_send_rp_req_pages_pending()"])
    assert list(core.net.main.to_src) == [ResumeAck(1), ReqPages(2)]
    core.run(["migrate_handle_rp_resume_ack()", "ram_save_queue_pages()"])
    assert list(core.src.queue) == [2]
    assert not core.can("ram_save_host_page()")  # queued requests go first
    core.run(["get_queued_page()", "ram_load_postcopy(main)", "postcopy_place_page(main)"])
    assert core.dst.ram[2] == core.src.ram[2] and core.dst.page_requested == set()
    assert checks.check_all(core) == []
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def test_double_failure_break_during_recovery() -> None:
    core = PageCore(3)
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "postcopy_request_page(2)", "channel_break()"])
    # first recovery attempt: fails after the bitmap exchange
    core.run(RECOVERY[:7])
    core.run(["channel_break()"])
    assert core.src.phase == S.POSTCOPY_RECOVER
    core.run(["postcopy_pause()", "postcopy_pause_incoming()"])
    assert (core.src.phase, core.dst.phase) == (S.POSTCOPY_PAUSED, D.POSTCOPY_PAUSED)
    # second attempt completes; the request survives both breaks
    assert replay(core, RECOVERY[2:]) == []
    assert list(core.net.main.to_src) == [ReqPages(2)]
    finish(core)
    assert core.breaks == 2 and core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


def test_break_after_destination_resumed_before_ack() -> None:
    core = PageCore(2, max_breaks=2)
    to_postcopy_running(core)
    core.run(["channel_break()"] + RECOVERY[:-1] + ["channel_break()"])
    assert (core.src.phase, core.dst.phase) == (S.POSTCOPY_RECOVER, D.POSTCOPY_ACTIVE)
    core.run(["postcopy_pause()", "postcopy_pause_incoming()"])
    recover_and_complete(core, RECOVERY[2:])


def test_recovery_connection_broken_before_accept_is_accepted_then_paused() -> None:
    core = PageCore(2, max_breaks=2)
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "channel_break()", "postcopy_pause()",
              "postcopy_pause_incoming()", "migrate_fd_connect()", "channel_break()"])
    assert core.net.pending and core.net.main.broken
    core.run(["postcopy_try_recover()"])  # the destination takes the dead socket
    assert core.dst.phase == D.POSTCOPY_RECOVER and core.net.incoming is core.net.main
    assert core.can("postcopy_pause_incoming()") and core.can("postcopy_pause()")
    core.run(["postcopy_pause_incoming()", "postcopy_pause()"])
    recover_and_complete(core, RECOVERY[2:])


def test_connect_path_break_never_reaches_the_destination() -> None:
    core = PageCore(2, max_breaks=2)
    to_postcopy_running(core)
    core.run(["channel_break()", "postcopy_pause()", "postcopy_pause_incoming()",
              "migrate_fd_connect()"])
    assert core.can("connect_path_break()") and core.can("postcopy_try_recover()")
    core.run(["connect_path_break()"])
    assert not core.can("postcopy_try_recover()") and core.dst.phase == D.POSTCOPY_PAUSED
    core.run(["postcopy_pause()"])
    recover_and_complete(core, RECOVERY[2:])
    assert core.breaks == 2


def test_source_reconnects_while_destination_holds_its_old_socket() -> None:
    core = PageCore(2, max_breaks=2)
    to_postcopy_running(core)
    core.run(["channel_break()", "postcopy_pause()", "postcopy_pause_incoming()",
              "migrate_fd_connect()", "channel_break()", "postcopy_try_recover()",
              "postcopy_pause()"])
    assert core.dst.phase == D.POSTCOPY_RECOVER  # not yet noticed its socket is dead
    core.run(["migrate_fd_connect()"])  # the next attempt connects meanwhile
    old = core.net.incoming
    assert old is not core.net.main and old.broken and core.net.main.healthy()
    assert not core.can("postcopy_try_recover()")  # still busy with the old socket
    core.run(["ram_dirty_bitmap_sync_all()"])  # RECV_BITMAP goes to the new socket only
    assert not old.to_dst and not core.can("loadvm_handle_recv_bitmap()")
    core.run(["postcopy_pause_incoming()", "postcopy_try_recover()"])
    assert core.net.incoming is core.net.main
    recover_and_complete(core, RECOVERY[5:])


def test_preempt_urgent_pages_and_preempt_break() -> None:
    core = PageCore(3, preempt=True)
    to_postcopy_running(core)
    assert core.net.preempt is not None
    core.run(["postcopy_request_page(2)", "ram_save_queue_pages()"])
    assert list(core.net.preempt.to_dst) == [PageMsg(2, core.src.ram[2])]
    assert not core.net.main.to_dst and not core.src.queue
    core.run(["ram_load_postcopy(preempt)", "postcopy_place_page(preempt)"])
    assert core.dst.ram[2] == core.src.ram[2]
    # an urgent page lost with the preempt channel
    core.run(["postcopy_request_page(1)", "ram_save_queue_pages()", "preempt_channel_break()"])
    assert not core.net.preempt.to_dst and not core.src.bmap[1]
    assert core.can("postcopy_pause()") and not core.can("postcopy_pause_incoming()")
    core.run(["postcopy_pause()"])  # the source shuts the main channel too
    assert replay(core, RECOVERY[1:]) == []
    assert core.net.preempt is not None and core.net.preempt.healthy()
    assert core.src.bmap[1] and core.dst.page_requested == {1}
    core.run(["ram_save_queue_pages()"])  # re-sent request served on the new channel
    assert list(core.net.preempt.to_dst) == [PageMsg(1, core.src.ram[1])]
    finish(core)
    assert core.completed() and checks.check_all(core) == []
    assert_ram_equal(core)


# ---- injected faults -------------------------------------------------------


def test_fault_no_bitmap_rebuild_loses_page() -> None:
    core = PageCore(2, faults={"no-bitmap-rebuild"})
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "channel_break()"])
    seen = replay(core, RECOVERY)
    assert any(v.startswith("no_loss: page 0") for v in seen)
    finish(core)
    assert core.completed()
    assert checks.pages_consistent(core) == ["pages_consistent: page 0 dst missing != src v0"]


def test_fault_no_request_resend_request_never_served() -> None:
    core = _pending_request_at_break(frozenset({"no-request-resend"}))
    core.run(["migrate_send_rp_req_pages_pending()", "migrate_handle_rp_resume_ack()"])
    assert list(core.net.main.to_src) == [] and 2 not in core.src.queue
    assert checks.requests_tracked(core) == [
        "requests_tracked: request for page 2 unknown to the source (never served)"]
    # the background scan sends page 0 first: the faulting vCPU keeps waiting
    core.run(["ram_save_host_page()"])
    assert core.net.main.to_dst[0].index == 0 and core.dst.page_requested == {2}


def test_fault_mark_before_place_loses_page() -> None:
    core = PageCore(2, faults={"mark-before-place"})
    to_postcopy_running(core)
    core.run(["ram_save_host_page()", "ram_load_postcopy(main)"])
    assert core.dst.receivedmap[0] and core.dst.ram[0] is None
    core.run(["channel_break()", "postcopy_pause_incoming()"])  # temp page dropped
    assert checks.received_implies_present(core) == [
        "received_implies_present: page 0 marked received but missing"]
    core.run(RECOVERY[:1] + RECOVERY[2:])
    assert not core.src.bmap[0]  # the bitmap says "received": never re-sent
    finish(core)
    assert core.completed()
    assert checks.pages_consistent(core) == ["pages_consistent: page 0 dst missing != src v0"]


def test_fault_no_discard_keeps_stale_page() -> None:
    core = PageCore(2, faults={"no-discard"})
    core.run(["ram_save_host_page()", "ram_load_precopy()", "guest_write(0)",
              "postcopy_start()", "loadvm_postcopy_handle_listen()"])
    assert checks.no_stale_received(core) == [
        "no_stale_received: page 0 dst v0 but src v1"]
    core.run(["loadvm_postcopy_handle_run()", "ram_save_host_page()",
              "ram_load_postcopy(main)", "postcopy_place_page(main)"])
    assert checks.no_stale_placement(core) == [
        "no_stale_placement: page 0 placed over an installed page (EEXIST)"]


def test_unknown_fault_rejected() -> None:
    with pytest.raises(ValueError):
        PageCore(2, faults={"no-such-fault"})


# ---- random scheduling and replay -------------------------------------------

WEIGHTS = {"migration_completion": 0.05, "postcopy_start": 0.3,
           "channel_break": 2.0, "preempt_channel_break": 2.0}


def test_random_schedules_never_violate_invariants() -> None:
    broken_runs = 0
    for seed in range(3000):
        rng = random.Random(seed)
        core = PageCore(2 + seed % 2, preempt=seed % 3 == 0, max_breaks=3)
        result = random_walk(core, rng, weights=WEIGHTS if seed % 2 else None)
        assert result.violations == (), (seed, result.violations, result.trace)
        assert result.completed and not result.deadlocked, (seed, result.trace)
        assert_ram_equal(core)
        broken_runs += core.breaks >= 2
    assert broken_runs > 300  # the double-failure paths were actually exercised


@pytest.mark.parametrize("preempt", [False, True])
def test_exhaustive_two_pages_no_violation_no_stuck_state(preempt: bool) -> None:
    result = explore(PageCore(2, preempt=preempt, max_writes=1, max_breaks=2))
    assert result.first_violation is None
    assert result.stuck == ()
    assert result.states > 5000


def test_replay_same_steps_same_state() -> None:
    for seed in range(50):
        core = PageCore(3, preempt=seed % 2 == 1)
        result = random_walk(core, random.Random(seed), weights=WEIGHTS)
        again = PageCore(3, preempt=seed % 2 == 1)
        again.run(result.trace)
        assert again.state_key() == core.state_key()
        assert again.abstract() == core.abstract()
        assert again.trace == core.trace


def test_disabled_step_raises() -> None:
    core = PageCore(2)
    with pytest.raises(StepNotEnabled):
        core.step("postcopy_pause()")
    with pytest.raises(ValueError):
        core.step("no_such_step()")
    assert core.trace == []


def test_abstract_summary() -> None:
    core = PageCore(2)
    to_postcopy_running(core)
    core.run(["postcopy_request_page(1)", "ram_save_host_page()"])
    a = core.abstract()
    assert (a.src_phase, a.dst_phase, a.main, a.preempt) == (
        "postcopy-active", "postcopy-active", "up", "none")
    p0, p1 = a.pages
    assert (p0.dirty, p0.on_main, p0.received, p0.present, p0.dst_version) == (
        False, True, False, False, None)
    assert (p1.dirty, p1.requested, p1.req_in_flight, p1.dst_equal, p1.src_version) == (
        True, True, True, False, 0)

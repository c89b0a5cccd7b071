"""Protocol designers: proposal files, the open vocabulary, one change algebra, `diff`, and
one-line errors for every designer mistake."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from migcheck import proposals
from migcheck.build import build_model
from migcheck.checker.expr import Const
from migcheck.cli import main
from migcheck.model.versions import BUILT_IN, Version
from migcheck.model.vocab import ListenThread

ROOT = Path(__file__).resolve().parents[1]
SRC_MAIN_NAME = "src:main"
EXAMPLES = ROOT / "examples" / "proposals"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- proposal files


def test_the_rp_kick_alone_does_not_fix_the_72_hang(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--model", str(EXAMPLES / "rp_kick.py"), "--pages",
                       "0", "--property", "recover-exits", "--traces", str(tmp_path),
                       "--last", str(tmp_path / "last.json"))
    assert code == 1
    assert "qemu-7.2+rp-kick" in out and "blocked at the end: src:migration waits on rp_sem" in out


def test_a_watchdog_thread_status_and_property_check_without_editing_the_package(capsys,
                                                                                   tmp_path):
    code, out, _ = run(capsys, "check", "--model", str(EXAMPLES / "recover_watchdog.py"),
                       "--pages", "0", "--failures", "1", "--json", str(tmp_path / "w.json"),
                       "--traces", str(tmp_path), "--last", str(tmp_path / "last.json"))
    verdicts = {r["property"]: r["verdict"]
                for r in json.loads((tmp_path / "w.json").read_text())["checks"][0]["results"]}
    assert verdicts["recover-exits"] == "holds"  # the watchdog, a fair thread, gets it out
    assert verdicts["stalled-exits"] == "holds"  # the proposal's own property
    assert verdicts["source-transitions"] == "holds"  # its table rows were added
    assert verdicts["no-deadlock"] == "violated"  # the 7.2 destination is still stuck
    assert code == 1


def test_admin_can_escape_uses_a_new_threads_steps():
    (version,) = proposals.load_file(EXAMPLES / "recover_watchdog.py")
    model = build_model(str(EXAMPLES / "recover_watchdog.py"), 1)
    from migcheck.build import build
    from migcheck.model.config import Config

    built = build(Config(str(EXAMPLES / "recover_watchdog.py"), 1, 0))
    escape = built.property("admin-can-escape")
    assert version.name == model.name == "qemu-7.2+watchdog"
    assert escape is not None and "src:recover-watchdog" in escape.allowed  # type: ignore
    assert "net" not in escape.allowed  # type: ignore[attr-defined]


def test_the_watchdog_proposal_is_proved_for_every_number_of_failures(capsys, tmp_path):
    code, out, _ = run(capsys, "prove", "--model", str(EXAMPLES / "recover_watchdog.py"),
                       "--failures", "1", "--property", "recover-exits", "--property",
                       "stalled-exits", "--json", str(tmp_path / "p.json"),
                       "--last", str(tmp_path / "last.json"))
    report = json.loads((tmp_path / "p.json").read_text())["checks"][0]
    assert code == 0 and report["engine"] == "z3"
    assert {r["property"]: r["verdict"] for r in report["results"]} == {
        "recover-exits": "proved", "stalled-exits": "proved"}


def test_a_split_step_keeps_every_property(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--model", str(EXAMPLES / "nonatomic_resume_ack.py"),
                       "--pages", "0", "--failures", "1", "--last", str(tmp_path / "l.json"))
    assert code == 0
    model = build_model(str(EXAMPLES / "nonatomic_resume_ack.py"), 1)
    done = model.action("source_return_path_thread: RESUME_ACK: done")
    assert {t for t, _ in done.effect} == {"rp_sem", "rp"}
    assert model.program_points(done)[0][0].name == "RESUME_ACK_KICK"  # type: ignore


def test_models_lists_and_shows_a_proposal(capsys):
    code, out, _ = run(capsys, "models", str(EXAMPLES / "rp_kick.py"))
    assert code == 0 and "qemu-7.2+rp-kick" in out
    code, out, _ = run(capsys, "models", "--show", str(EXAMPLES / "rp_kick.py"),
                       "source_return_path_thread: SHUT", "--pages", "0")
    assert code == 0 and "rp_sem :=" in out and "(qemu-7.2+rp-kick)" in out


# ---------------------------------------------------------------- diff


def test_diff_72_82_shows_verdicts_states_and_projections(capsys, tmp_path):
    code, out, _ = run(capsys, "diff", "qemu-7.2", "qemu-8.2", "--json",
                       str(tmp_path / "d.json"))
    assert code == 1  # verdicts differ
    assert "recover-exits" in out and "violated (25 steps, then stuck)" in out
    assert "13,813 states" in out and "43,941 states" in out
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["kind"] == "diff" and not doc["same_verdicts"]
    assert doc["projections_count"]["base"] > 0 and doc["projections_count"]["proposal"] > 0
    assert "ram_dirty_bitmap_sync_all: migration_rp_wait error" in doc["actions_only"][
        "proposal"]


def test_diff_of_a_proposal_that_changes_no_verdict_still_shows_what_it_reaches(capsys):
    code, out, _ = run(capsys, "diff", "qemu-7.2", str(EXAMPLES / "rp_kick.py"), "--limit", "1")
    assert code == 0  # same verdicts
    assert "only in qemu-7.2 " in out and "only in qemu-7.2+rp-kick" in out
    assert "every verdict agrees" in out


# ---------------------------------------------------------------- composition


def _versions(preempt: bool) -> list[Version]:
    return [v for v in BUILT_IN if v.preempt or not preempt]


@pytest.mark.parametrize("preempt", [False, True])
@pytest.mark.parametrize("pages", [0, 1])
def test_every_overlay_combination_keeps_every_layers_assignments(pages, preempt):
    """An overlay's assignment survives the other overlay and every version, unless a change
    drops it by name (the pages x preempt composition used to lose DISCARD and page resets)."""
    overlays = {}
    if pages:
        overlays["pages"] = build_model("qemu-8.2", 1, pages)
    if preempt:
        overlays["preempt"] = build_model("qemu-8.2", 1, 0, preempt=True)
    for version in _versions(preempt):
        if pages == 0 and "+no-" in version.name or "+mark" in version.name and pages == 0:
            continue
        model = build_model(version.name, 1, pages, preempt)
        for layer, alone in overlays.items():
            for a in alone.actions:
                if a.name not in model.action_index:
                    continue
                mine = model.action(a.name)
                dropped = " ".join(what for _, what, _ in mine.touched)
                for var, origin in a.origin:
                    if origin == layer and var not in ("guard", "action"):  # not couplings
                        assert mine.assigned(var) is not None or f"drop {var}" in dropped, \
                            (version.name, a.name, var)
        if pages:
            for a in model.actions:
                if a.assigned("sock") is not None:
                    assert a.assigned("rp_req") is not None, (version.name, a.name)
                if a.assigned("listen") == Const(ListenThread.PAUSED):
                    assert a.assigned("tmp") is not None, (version.name, a.name)


def test_preempt_with_pages_keeps_the_discard_of_postcopy_start():
    model = build_model("qemu-8.2", 1, 2, preempt=True)
    start = model.action("postcopy_start")
    assert start.assigned("discard") is not None and start.assigned("mig") is not None
    pause = model.action("postcopy_pause_incoming: postcopy_prio_thread_mutex")
    assert pause.assigned("tmp") is not None  # the temp pages are reset at the real pause


# ---------------------------------------------------------------- designer mistakes


def _proposal(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "proposal.py"
    path.write_text("from migcheck.design import *\n" + textwrap.dedent(body))
    return path


MISTAKES = {
    "unknown base": ("""
        V = Version("mine", "qemu-9.9", "based on nothing real")
        """, "unknown version 'qemu-9.9'"),
    "non-expression value": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [
            Edit("migrate_fd_connect", why="w", assign={"rp_sem": object()})])
        """, "is not a model expression"),
    "unknown action": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [
            Edit("postcopy_strat", why="typo", strengthen=TRUE)])
        """, "no action 'postcopy_strat'"),
    "unknown variable": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [
            Edit("postcopy_start", why="w", assign={"rp_sem2": 0})])
        """, "unknown variable 'rp_sem2'"),
    "unknown actor": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [AddActions((
            act("tick", "src:nobody", TRUE, {}, "x.c:tick"),), why="w")])
        """, "unknown actor 'src:nobody'"),
    "duplicate name": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [AddActions((
            act("postcopy_start", SRC_MIG, TRUE, {}, "x.c:y"),), why="w")])
        """, "already has an action 'postcopy_start'"),
    "wrong kind": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [
            Edit("postcopy_start", why="w", assign={"src_state": PostcopyState.RUNNING})])
        """, "expected MigrationStatus, got PostcopyState"),
    "python error in the file": ("""
        V = Version("mine", "qemu-8.2", "x", lambda c: [1 / 0])
        """, "ZeroDivisionError"),
    "syntax error": ("""
        V = Version("mine", "qemu-8.2", "x"
        """, "proposal.py:"),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_designer_mistake_is_one_line_and_exit_2(case, capsys, tmp_path):
    body, expected = MISTAKES[case]
    path = _proposal(tmp_path, body)
    code, _, err = run(capsys, "check", "--model", str(path), "--pages", "0", "--failures", "0")
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err, err


def test_a_mistake_names_the_proposals_file_and_line(capsys, tmp_path):
    path = _proposal(tmp_path, """
        V = Version("mine", "qemu-8.2", "x", lambda c: [
            Edit("postcopy_strat", why="typo", strengthen=TRUE)])
        """)
    _, _, err = run(capsys, "check", "--model", str(path), "--pages", "0")
    assert f"{path.name}:4:" in err or "proposal.py:4:" in err, err


def test_an_out_of_domain_assignment_is_reported_with_a_trace_not_explored(capsys, tmp_path):
    path = _proposal(tmp_path, """
        V = Version("mine", "qemu-8.2", "rp_sem overflows", lambda c: [
            Edit("source_return_path_thread: RESUME_ACK", why="five kicks",
                 assign={"rp_sem": rp_sem + 5})])
        """)
    code, out, err = run(capsys, "check", "--model", str(path), "--pages", "0",
                         "--failures", "1")
    assert code == 2
    assert re.search(r"sets rp_sem to [5-7], outside its domain 0\.\.2", err), err
    assert "source_return_path_thread: RESUME_ACK" in err
    assert "loadvm_postcopy_handle_resume" in out  # the trace leading to the step


def test_an_installed_proposal_is_found_through_its_entry_point(capsys, monkeypatch):
    version = proposals.load_file(EXAMPLES / "rp_kick.py")[0]

    class EntryPoint:
        name, value = "kick", "my_proposals:RP_KICK"

        def load(self):
            return version

    monkeypatch.setattr(proposals, "entry_points", lambda group: [EntryPoint()])
    code, out, _ = run(capsys, "models")
    assert code == 0 and "qemu-7.2+rp-kick" in out and "installed" in out
    assert build_model("qemu-7.2+rp-kick", 1).name == "qemu-7.2+rp-kick"


def test_prove_reports_an_out_of_domain_assignment_too(capsys, tmp_path):
    path = _proposal(tmp_path, """
        V = Version("mine", "qemu-8.2", "rp_sem overflows", lambda c: [
            Edit("source_return_path_thread: RESUME_ACK", why="five kicks",
                 assign={"rp_sem": rp_sem + 5})])
        """)
    code, _, err = run(capsys, "prove", "--model", str(path), "--failures", "1", "--property",
                       "handshake-order")
    assert code == 2 and "outside its domain 0..2" in err


def test_making_a_thread_sequential_keeps_the_state_space(tmp_path):
    path = _proposal(tmp_path, """
        V = Version("seq", "qemu-8.2", "the source main loop as one thread of control",
                    lambda c: [Sequential(SRC_MAIN, "main_pc", why="one main loop")])
        """)
    from migcheck.checker.compile import CompiledModel
    from migcheck.checker.explore import explore

    seq, base = build_model(str(path), 1), build_model("qemu-8.2", 1)
    assert seq.actor(SRC_MAIN_NAME).pc == "main_pc"
    assert explore(CompiledModel(seq)).n == explore(CompiledModel(base)).n


def test_a_split_step_keeps_the_main_loop_busy_in_between(tmp_path):
    path = _proposal(tmp_path, """
        V = Version("busy", "qemu-8.2", "the resume connect blocks the main loop", lambda c: [
            Sequential(SRC_MAIN, "main_pc", why="one main loop"),
            Split("migrate_fd_connect (resume)", "CONNECTING", first=("connecting",),
                  why="the connect completes later")])
        """)
    from scenarios import BOTH_PAUSED

    from migcheck.checker.compile import CompiledModel
    from migcheck.checker.simulate import Simulator

    sim = Simulator(CompiledModel(build_model(str(path), 2)))
    state = sim.run(BOTH_PAUSED + ["dst: migrate-recover", "src: migrate resume=true",
                                   "migrate_fd_connect (resume)"])
    assert sim.view(state)["main_pc"] == "CONNECTING"
    assert sim.view(state)["src_state"] == "POSTCOPY_PAUSED"  # not yet
    busy = [a for a in sim.enabled(state) if a.startswith(("migrate_fd", "migrate_fd_cleanup"))]
    assert busy == ["migrate_fd_connect (resume): done"]  # nothing else of the main loop
    state = sim.step(state, "migrate_fd_connect (resume): done")
    assert sim.view(state)["src_state"] == "POSTCOPY_RECOVER"
    assert sim.view(state)["main_pc"] == "IDLE"

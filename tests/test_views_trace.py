"""The saved trace form (ITF JSON) and the terminal lanes viewer `migcheck trace`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from migcheck.checker.trace import from_json, load, save, to_json
from migcheck.cli import main

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LANES = ("admin", "src", "net", "dst", "main", "migration", "return-path", "listen", "fault")


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory) -> Path:
    """The qemu-7.2 recover-exits counterexample, made fresh by `migcheck check`."""
    d = tmp_path_factory.mktemp("traces")
    rc = main(["check", "--model", "qemu-7.2", "--pages", "0", "--property", "recover-exits",
               "--traces", str(d), "--last", str(d / "last.json")])
    assert rc == 1
    return d / "qemu-7.2--recover-exits.itf.json"


def run_trace(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(["trace", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_itf_round_trip_is_identical(trace_file, tmp_path):
    trace = load(trace_file)
    assert from_json(json.loads(json.dumps(to_json(trace)))) == trace
    again = load(save(trace, tmp_path / "again.itf.json"))
    assert again == trace
    assert (tmp_path / "again.itf.json").read_text() == trace_file.read_text()


def test_itf_form_has_the_required_fields(trace_file):
    doc = json.loads(trace_file.read_text())
    assert set(doc) >= {"#meta", "vars", "states", "loop"}
    assert doc["#meta"]["format"] == "ITF"
    assert all(set(doc["vars"]) <= set(s) for s in doc["states"])
    metas = [s["#meta"] for s in doc["states"]]
    assert metas[0] == {"index": 0}
    assert any("blocked" in m for m in metas)
    assert any(m.get("reply", "ok") != "ok" for m in metas)


@pytest.mark.parametrize("width", [100, 200])
def test_lanes_fit_the_width_without_colour(capsys, trace_file, width):
    rc, out, _ = run_trace(capsys, str(trace_file), "--width", str(width), "--color", "never")
    assert rc == 0
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["admin", "src"])
    assert all(name in lines[header] + lines[header + 1] for name in LANES)


def test_colour_on_request_and_same_text(capsys, trace_file):
    _, plain, _ = run_trace(capsys, str(trace_file), "--width", "100", "--color", "never")
    rc, coloured, _ = run_trace(capsys, str(trace_file), "--width", "100", "--color", "always")
    assert rc == 0
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_no_color_env_and_pipe_mean_no_colour(capsys, trace_file, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run_trace(capsys, str(trace_file), "--width", "100")
    assert not ANSI.search(out)


def test_blocked_rp_sem_wait_is_marked(capsys, trace_file):
    _, out, _ = run_trace(capsys, str(trace_file), "--width", "100", "--color", "never")
    # the row of step 24: the migration thread sleeps on rp_sem while the network fails
    row = next(line for line in out.splitlines() if re.match(r"\s+24 ", line))
    assert "⏸ rp_sem" in row and "● ✗ RECV_BITMAP" in row
    assert "src:migration now blocked: waits on rp_sem" in out
    assert "blocked at the end: src:migration waits on rp_sem" in out


def test_refused_pause_in_the_repeated_part(capsys, trace_file):
    _, out, _ = run_trace(capsys, str(trace_file), "--width", "200", "--color", "never")
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if "from here on, repeated forever" in line)
    loop_rows = [line for line in lines[start:] if line.startswith("↻")]
    assert [line.split()[1] for line in loop_rows] == ["26", "27", "28"]
    assert any("✗ src: migrate-pause (refused)" in line for line in loop_rows)
    assert "REFUSED: migrate-pause is currently only supported during postcopy-active" in out


def test_state_header_and_messages(capsys, trace_file):
    _, out, _ = run_trace(capsys, str(trace_file), "--width", "200", "--color", "never")
    assert "── src POSTCOPY_RECOVER │ dst POSTCOPY_PAUSED" in out
    assert "→ OPEN_RETURN_PATH" in out  # sent on the main channel
    assert "OPEN_RETURN_PATH →|" in out  # received by the destination
    assert "✗ RECV_BITMAP" in out  # lost when the channel fails
    assert "mig BITMAP_CHECK→BITMAP_WAIT" in out


def test_diff_shows_only_changes(capsys, trace_file):
    _, full, _ = run_trace(capsys, str(trace_file), "--width", "100", "--color", "never")
    _, diff, _ = run_trace(capsys, str(trace_file), "--width", "100", "--color", "never",
                           "--diff")
    assert "initial state:" in full and "initial state:" not in diff
    assert "final" in full and "final" not in diff
    assert "mig BITMAP_CHECK→BITMAP_WAIT" in diff
    assert len(diff.splitlines()) < len(full.splitlines())


@pytest.mark.parametrize("content", ["", "{", '{"states": []}', '{"#meta": {}, "vars": ["x"],'
                                     ' "states": [{"x": {"#set": 5}}]}',
                                     '{"vars": ["x"], "states": [{"x": {"#frob": []}}]}'])
def test_bad_trace_file_is_one_line_exit_2(capsys, tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    rc, out, err = run_trace(capsys, str(bad))
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("migcheck: error:")


def test_missing_file_and_narrow_width_are_usage_errors(capsys, tmp_path, trace_file):
    assert run_trace(capsys, str(tmp_path / "nope.json"))[0] == 2
    assert run_trace(capsys, str(trace_file), "--width", "20")[0] == 2


OTHER_TOOL = {  # an Apalache/Quint-style ITF trace: no step metadata, every kind of value
    "#meta": {"format": "ITF", "source": "Bank.qnt", "status": "violation"},
    "vars": ["balances", "owners", "last", "queue", "big"],
    "states": [
        {"#meta": {"index": 0}, "balances": {"#map": [["alice", 10], ["bob", 0]]},
         "owners": {"#set": ["alice"]}, "last": {"from": "none", "amount": 0},
         "queue": [], "big": {"#bigint": "0"}},
        {"#meta": {"index": 1}, "balances": {"#map": [["alice", 4], ["bob", 6]]},
         "owners": {"#set": ["alice", "bob"]}, "last": {"from": "alice", "amount": 6},
         "queue": [{"#tup": ["alice", "bob"]}], "big": {"#bigint": "123456789012345678901"}},
    ],
}


def test_any_itf_trace_is_drawn_with_maps_sets_and_records(capsys, tmp_path):
    path = tmp_path / "bank.itf.json"
    path.write_text(json.dumps(OTHER_TOOL))
    rc, out, err = run_trace(capsys, str(path), "--width", "100", "--color", "never")
    assert rc == 0 and err == ""
    assert "balances {alice ↦ 10, bob ↦ 0}→{alice ↦ 4, bob ↦ 6}" in out
    assert "owners {alice}→{alice, bob}" in out
    assert "last {from: none, amount: 0}→{from: alice, amount: 6}" in out
    assert "queue []→[[alice, bob]]" in out and "123456789012345678901" in out
    again = from_json(json.loads(json.dumps(to_json(load(path)))))
    assert again.steps == load(path).steps  # sets, maps, records and lists round-trip


def test_fifos_are_itf_lists_of_their_messages(trace_file):
    doc = json.loads(trace_file.read_text())
    assert doc["#meta"]["channels"] == {"m2d": {"from": "src", "to": "dst"},
                                        "d2m": {"from": "dst", "to": "src"}}
    queues = [s["m2d"] for s in doc["states"]]
    assert all(isinstance(q, list) for q in queues) and ["OPEN_RETURN_PATH"] in queues
    assert "EMPTY" not in json.dumps(queues)


def test_a_huge_value_is_wrapped_in_linear_time(capsys, tmp_path):
    """Issue 16: a 2 MB trace took 36 s (quadratic line wrapping).  A 1 MB value now wraps
    in one pass: the check is the output's shape, the bound is the suite's time."""
    doc = {"vars": ["blob"], "states": [{"blob": "x " * 500_000}, {"blob": "y"}]}
    path = tmp_path / "huge.itf.json"
    path.write_text(json.dumps(doc))
    rc, out, _ = run_trace(capsys, str(path), "--width", "60", "--color", "never")
    assert rc == 0
    assert max(len(line) for line in out.splitlines()) <= 60
    assert out.count("x") >= 500_000

"""The command line: exit codes, one-line errors, the JSON verdicts and saved traces."""

from __future__ import annotations

import json

import pytest

from migcheck.checker import trace as tracefile
from migcheck.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_qemu_72_exits_1_and_saves_the_counterexample(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--model", "qemu-7.2", "--property", "recover-exits",
                       "--traces", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert code == 1
    # the counterexample in short (issue 15), the refused commands marked, and how to see it
    assert "violated" in out and "✗ src: migrate-pause (refused)" in out
    assert f"migcheck trace {tmp_path / 'qemu-7.2--recover-exits.itf.json'}" in out
    saved = tracefile.load(tmp_path / "qemu-7.2--recover-exits.itf.json")
    assert saved.prefix_length == 25 and saved.loop_start == 25
    doc = json.loads((tmp_path / "r.json").read_text())
    (check,) = doc["checks"]
    assert doc["ok"] is False and check["results"][0]["verdict"] == "violated"


@pytest.mark.parametrize("failures, extra", [("1", ()), ("2", ("--pages", "0"))])
def test_check_qemu_82_exits_0_and_states_the_bound(capsys, tmp_path, failures, extra):
    """--failures 1 at the default page count; --failures 2 on the protocol alone (the
    default-pages run at 2 failures is the README's main job, about half a minute)."""
    code, out, _ = run(capsys, "check", "--failures", failures, *extra,
                       "--traces", str(tmp_path), "--json", str(tmp_path / "r.json"))
    assert code == 0
    assert f"at most {failures} channel failures" in out and "exhaustive" in out
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["checks"][0]["coverage"]["complete"] is True
    assert {r["verdict"] for r in doc["checks"][0]["results"]} == {"holds", "witnessed"}


@pytest.mark.parametrize("argv, message", [
    (("check", "--model", "qemu-9.9"), "unknown model 'qemu-9.9'"),
    (("check", "--property", "no-such"), "unknown property 'no-such'"),
    (("check", "--failures", "-1"), "--failures must be between"),
    (("check", "--failures", "two"), "--failures must be an integer"),
    (("frobnicate",), "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_models_lists_both_versions(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0 and "qemu-7.2" in out and "qemu-8.2" in out


def test_properties_lists_recover_exits_with_its_fact(capsys):
    code, out, _ = run(capsys, "properties")
    assert code == 0 and "recover-exits" in out and "f8c543e808" in out


def test_bad_trace_file_is_reported(tmp_path):
    bad = tmp_path / "t.json"
    bad.write_text("{not json")
    with pytest.raises(tracefile.TraceFileError, match="not JSON"):
        tracefile.load(bad)

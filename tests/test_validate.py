"""migcheck validate: the harness's real traces against the model versions, hand-edited
variants with the right diagnostic, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migcheck.cli import main
from migcheck.validate import validate_file

REAL = Path(__file__).resolve().parent.parent / "reports" / "real"


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (REAL / name).read_text().splitlines() if line]


def _write(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _event_index(records: list[dict], side: str, status: str) -> int:
    return next(i for i, r in enumerate(records) if r["kind"] == "event"
                and r["side"] == side and r["data"].get("data", {}).get("status") == status)


@pytest.mark.parametrize("version", ["7.2", "10.0"])
@pytest.mark.parametrize("scenario", ["normal", "recover", "broken"])
def test_own_version_accepts_real_trace(version, scenario):
    match, _ = validate_file(REAL / f"qemu-{version}-{scenario}.jsonl", f"qemu-{version}")
    assert match.accepted
    assert match.explained == match.total


def test_broken_10_rejected_under_72_at_device():
    match, _ = validate_file(REAL / "qemu-10.0-broken.jsonl", "qemu-7.2")
    assert not match.accepted
    assert "src event MIGRATION device" in match.unexplained
    assert any(line.startswith("postcopy_start") for line in match.enabled)


def test_broken_72_rejected_under_10():
    match, _ = validate_file(REAL / "qemu-7.2-broken.jsonl", "qemu-10.0")
    assert not match.accepted
    assert "src event MIGRATION postcopy-active" in match.unexplained


def test_broken_72_rejected_under_82_for_the_setup_quirk():
    match, _ = validate_file(REAL / "qemu-7.2-broken.jsonl", "qemu-8.2")
    assert not match.accepted
    assert "dst event MIGRATION setup" in match.unexplained


def test_swapped_events_rejected(tmp_path):
    recs = _records("qemu-10.0-recover.jsonl")
    i = _event_index(recs, "src", "postcopy-recover-setup")
    j = _event_index(recs, "src", "postcopy-recover")
    recs[i], recs[j] = recs[j], recs[i]
    match, _ = validate_file(_write(tmp_path, recs), "qemu-10.0")
    assert not match.accepted
    assert "src migrate resume=true" in match.unexplained
    assert "emits events src postcopy-recover-setup" in match.reason
    assert "next recorded events are src postcopy-recover" in match.reason


def test_refused_command_turned_accepted_rejected(tmp_path):
    recs = _records("qemu-7.2-broken.jsonl")
    k = next(i for i, r in enumerate(recs) if r["kind"] == "reply" and "error" in r["data"])
    recs[k] = {**recs[k], "data": {"return": {}}}
    match, _ = validate_file(_write(tmp_path, recs), "qemu-7.2")
    assert not match.accepted
    assert "src migrate-pause -> ok" in match.unexplained
    assert "reply here differs" in match.reason


def test_refusal_text_must_match(tmp_path):
    recs = _records("qemu-7.2-broken.jsonl")
    k = next(i for i, r in enumerate(recs) if r["kind"] == "reply" and "error" in r["data"])
    recs[k] = {**recs[k], "data": {"error": {"class": "GenericError", "desc": "other text"}}}
    match, _ = validate_file(_write(tmp_path, recs), "qemu-7.2")
    assert not match.accepted
    assert "refused (other text)" in match.unexplained


def test_quiet_needs_a_stuck_model(tmp_path):
    """Under qemu-8.2 (with 7.2's setup quirk removed) the source must fall back to paused,
    so a quiet period right after postcopy-recover is not a behaviour of the model."""
    recs = _records("qemu-7.2-broken.jsonl")
    del recs[max(i for i, r in enumerate(recs) if r["kind"] == "event" and r["side"] == "dst"
                 and r["data"].get("data", {}).get("status") == "setup")]
    match, _ = validate_file(_write(tmp_path, recs), "qemu-8.2")
    assert not match.accepted
    assert "quiet" in match.unexplained


def test_wrong_sample_rejected(tmp_path):
    recs = _records("qemu-7.2-broken.jsonl")
    k = max(i for i, r in enumerate(recs) if r["kind"] == "reply" and r["side"] == "src")
    recs[k] = {**recs[k], "data": {"return": {"status": "postcopy-paused"}}}
    match, _ = validate_file(_write(tmp_path, recs), "qemu-7.2")
    assert not match.accepted
    assert "query-migrate -> status postcopy-paused" in match.unexplained


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["validate", str(REAL / "qemu-7.2-broken.jsonl"), "--model", "qemu-7.2"]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED" in out and "= line" in out
    assert main(["validate", str(REAL / "qemu-10.0-broken.jsonl"), "--model", "qemu-7.2"]) == 1
    out = capsys.readouterr().out
    assert "REJECTED" in out and "unexplained:" in out


def test_cli_table_without_model(capsys):
    assert main(["validate", str(REAL / "qemu-10.0-recover.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "qemu-10.0 (own)" in out and "accepts" in out and "rejects" in out


def test_bad_file_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert main(["validate", str(bad), "--model", "qemu-7.2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not JSON" in err
    assert main(["validate", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["validate", str(REAL / "qemu-7.2-normal.jsonl"), "--model", "nope"]) == 2

"""Real-QEMU harness tests.

The fast tests need no QEMU. The ``realqemu``-marked ones run the three scenarios on QEMU 7.2
and 10.0 (about 12-16 s each, one at a time) and check the recorded MIGRATION events; they
are skipped, with the reason printed as a warning, only where QEMU, socat or userfaultfd is
missing (install with ``bash scripts/install-qemu.sh``).
"""

from __future__ import annotations

import json
import subprocess
import time
import warnings
from pathlib import Path

import pytest

from migcheck.realqemu import binaries, scenarios
from migcheck.realqemu.record import record, record_main
from migcheck.realqemu.steps import (
    Break,
    Cmd,
    Heal,
    NewDstSocket,
    Quiet,
    Sleep,
    WaitEvent,
    cmd,
    validate,
)
from migcheck.realqemu.trace import TraceWriter, migration_statuses, read_trace, replies_to

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ROOT / "scripts" / "install-qemu.sh"


# ---------------------------------------------------------------- fast tests (no QEMU)
def test_trace_writer_format(tmp_path):
    ticks = iter([100.0, 100.5, 101.25, 102.0, 103.0])
    path = tmp_path / "t.jsonl"
    with TraceWriter(path, clock=lambda: next(ticks)) as tw:
        tw.write("src", "cmd", {"execute": "migrate-pause"})
        tw.write("src", "reply", {"error": {"class": "GenericError", "desc": "nope"}})
        tw.write(
            "dst",
            "event",
            {
                "event": "MIGRATION",
                "data": {"status": "postcopy-paused"},
                "timestamp": {"seconds": 1, "microseconds": 2},
            },
        )
        tw.mark("quiet", seconds=3)
    lines = path.read_text().splitlines()
    assert len(lines) == 4
    recs = [json.loads(line) for line in lines]
    for r in recs:
        assert list(r) == ["t", "side", "kind", "data"]
    assert [r["t"] for r in recs] == [0.5, 1.25, 2.0, 3.0]
    assert [(r["side"], r["kind"]) for r in recs] == [
        ("src", "cmd"),
        ("src", "reply"),
        ("dst", "event"),
        ("driver", "mark"),
    ]
    assert recs[3]["data"] == {"mark": "quiet", "seconds": 3}
    assert migration_statuses(recs, "dst") == ["postcopy-paused"]
    assert list(replies_to(recs, "src", "migrate-pause")) == [
        ({"execute": "migrate-pause"}, {"error": {"class": "GenericError", "desc": "nope"}})
    ]
    assert read_trace(path) == recs


def test_trace_writer_rejects_bad_records(tmp_path):
    with TraceWriter(tmp_path / "t.jsonl") as tw:
        with pytest.raises(ValueError):
            tw.write("both", "cmd", {"execute": "x"})
        with pytest.raises(ValueError):
            tw.write("src", "note", {})
        with pytest.raises(ValueError):
            tw.write("src", "mark", {"mark": "break"})
        with pytest.raises(ValueError):
            tw.write("driver", "mark", {"what": "break"})
    assert (tmp_path / "t.jsonl").read_text() == ""


def test_trace_plain_converts_mappings(tmp_path):
    from collections import OrderedDict

    with TraceWriter(tmp_path / "t.jsonl") as tw:
        rec = tw.write("src", "reply", OrderedDict(ret=OrderedDict(a=(1, 2))))
    assert rec["data"] == {"ret": {"a": [1, 2]}}


def test_steps_validate():
    with pytest.raises(ValueError):
        Cmd("both", "migrate")
    with pytest.raises(ValueError):
        Cmd("src", "")
    with pytest.raises(ValueError):
        Cmd("src", "migrate-pause", expect="maybe")
    with pytest.raises(ValueError):
        WaitEvent("src", "completed", timeout=0)
    with pytest.raises(ValueError):
        WaitEvent("dst", "")
    with pytest.raises(ValueError):
        Quiet(3, timeout=1)
    with pytest.raises(ValueError):
        Sleep(-1)
    with pytest.raises(ValueError):
        validate([])
    with pytest.raises(ValueError):
        validate([Heal()])
    with pytest.raises(ValueError):
        validate([Break(), Break()])
    with pytest.raises(ValueError):
        validate(["migrate"])
    with pytest.raises(ValueError):
        validate([cmd("dst", "migrate-recover", {"uri": "{nowhere}"})])
    ok = validate([Break(), NewDstSocket(), Heal(), Sleep(0), Quiet(1)])
    assert len(ok) == 5
    # frozen
    c = cmd("src", "migrate", {"uri": "{src_uri}", "resume": True})
    with pytest.raises(AttributeError):
        c.name = "x"  # type: ignore[misc]
    assert c.arguments(src_uri="unix:/a", dst_uri="unix:/b") == {"uri": "unix:/a", "resume": True}
    assert cmd("src", "migrate-pause").arguments() is None
    assert Cmd("src", "migrate", {"uri": "x"}).args == (("uri", "x"),)


@pytest.mark.parametrize("version", binaries.VERSIONS)
@pytest.mark.parametrize("scenario", scenarios.SCENARIOS)
def test_scenarios_build(scenario, version):
    steps = scenarios.build(scenario, version)
    assert steps[0] == cmd("src", "migrate", {"uri": "{src_uri}"})
    cmds = [s.name for s in steps if isinstance(s, Cmd)]
    assert "migrate-start-postcopy" in cmds
    if scenario != "normal":
        assert "migrate-pause" in cmds and "migrate-recover" in cmds
    if scenario == "broken":
        assert any(isinstance(s, Break) for s in steps)
        assert any(isinstance(s, Heal) for s in steps) == (version == "10.0")
        refused = [s for s in steps if isinstance(s, Cmd) and s.expect == "error"]
        assert bool(refused) == (version == "7.2")


def test_scenarios_reject_bad_names():
    with pytest.raises(ValueError):
        scenarios.build("nope", "7.2")
    with pytest.raises(ValueError):
        scenarios.build("normal", "8.2")


def test_record_main_bad_input(capsys, tmp_path):
    out = str(tmp_path / "x.jsonl")
    assert record_main(["nope", "--qemu", "7.2", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown scenario" in err
    assert record_main(["normal", "--qemu", "8.2", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown QEMU version" in err
    assert record_main(["normal", "--out", out]) == 2
    assert not Path(out).exists()


def test_find_qemu_paths():
    b72 = binaries.find_qemu("7.2")
    assert b72.binary == Path("/usr/bin/qemu-system-x86_64")
    assert b72.base_argv() == [str(b72.binary)]
    b10 = binaries.find_qemu("10.0")
    assert str(b10.binary).endswith(".qemu/10.0/usr/bin/qemu-system-x86_64")
    argv = b10.base_argv()
    assert argv[1:] == ["-L", str(b10.firmware_dirs[0]), "-L", str(b10.firmware_dirs[1])]
    assert argv[2].endswith("usr/share/qemu") and argv[4].endswith("usr/share/seabios")
    with pytest.raises(ValueError):
        binaries.find_qemu("9.9")


DEB822 = """\
Types: deb-src
URIs: http://src-only.invalid/debian
Suites: bookworm
Components: main

# a comment stanza
Types: deb
# http://snapshot.invalid/archive/debian/20250520T000000Z
URIs: http://mirror-a.invalid/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.invalid/debian-security
Suites: bookworm-security
Components: main
"""

ONE_LINE = """\
# deb http://commented.invalid/debian bookworm main
deb http://mirror-b.invalid/debian bookworm-updates main
deb [arch=amd64 signed-by=/etc/k.gpg] http://mirror-c.invalid/debian bookworm main non-free
"""


def _print_mirror(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(INSTALL), "--print-mirror", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_mirror_from_deb822(tmp_path):
    f = tmp_path / "debian.sources"
    f.write_text(DEB822)
    r = _print_mirror(f)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "http://mirror-a.invalid/debian"


def test_mirror_from_one_line(tmp_path):
    f = tmp_path / "sources.list"
    f.write_text(ONE_LINE)
    r = _print_mirror(f)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "http://mirror-c.invalid/debian"


def test_mirror_missing(tmp_path):
    f = tmp_path / "other.sources"
    f.write_text("Types: deb\nURIs: http://x.invalid/debian\nSuites: trixie\nComponents: main\n")
    r = _print_mirror(f)
    assert r.returncode == 1
    assert "no apt source" in r.stderr


def test_install_script_names_no_host():
    text = INSTALL.read_text()
    assert "debian.org" not in text and "http://" not in text and "https://" not in text


# ---------------------------------------------------------------- expected behaviour
def _marks(recs):
    return [r["data"]["mark"] for r in recs if r["kind"] == "mark"]


def _error_desc(recs, side, command):
    return [rep["error"]["desc"] for _, rep in replies_to(recs, side, command) if "error" in rep]


def _last_query_status(recs, side):
    return [rep["return"]["status"] for _, rep in replies_to(recs, side, "query-migrate")][-1]


def _assert_events(recs, side, expected):
    got = migration_statuses(recs, side)
    assert got == expected, f"{side} MIGRATION events {got}, expected {expected}"


NORMAL_HEAD = {
    "7.2": ["setup", "active", "postcopy-active"],
    "10.0": ["setup", "active", "device", "postcopy-active"],  # 10.0: source-only `device`
}
DST_HEAD = ["setup", "active", "postcopy-active"]


def check_normal(recs, version):
    _assert_events(recs, "src", NORMAL_HEAD[version] + ["completed"])
    _assert_events(recs, "dst", DST_HEAD + ["completed"])
    assert _last_query_status(recs, "src") == "completed"
    assert "error" not in _marks(recs)


def check_recover(recs, version):
    if version == "7.2":
        src_rec = ["postcopy-paused", "postcopy-recover"]
        dst_rec = ["postcopy-paused", "setup", "postcopy-recover"]  # 7.2: migrate-recover -> setup
    else:
        src_rec = ["postcopy-paused", "postcopy-recover-setup", "postcopy-recover"]
        dst_rec = ["postcopy-paused", "postcopy-recover"]
    _assert_events(recs, "src", NORMAL_HEAD[version] + src_rec + ["postcopy-active", "completed"])
    _assert_events(recs, "dst", DST_HEAD + dst_rec + ["postcopy-active", "completed"])
    assert _last_query_status(recs, "src") == "completed"
    assert "error" not in _marks(recs)


def check_broken(recs, version):
    marks = _marks(recs)
    assert "error" not in marks
    if version == "7.2":
        _assert_events(recs, "src", NORMAL_HEAD["7.2"] + ["postcopy-paused", "postcopy-recover"])
        _assert_events(recs, "dst", DST_HEAD + ["postcopy-paused", "setup"])
        assert "break" in marks and "quiet" in marks and "heal" not in marks
        assert marks.index("break") < marks.index("quiet")
        # the source is stuck: every escape hatch is refused with QEMU's own error text
        assert _error_desc(recs, "src", "migrate-pause") == [
            "migrate-pause is currently only supported during postcopy-active state"
        ]
        assert "Cannot resume if there is no paused migration" in _error_desc(
            recs, "src", "migrate"
        )
        assert _last_query_status(recs, "src") == "postcopy-recover"
        assert _last_query_status(recs, "dst") == "postcopy-paused"
        end = [r["data"] for r in recs if r["kind"] == "mark" and r["data"]["mark"] == "end"]
        assert {"src", "dst"} <= set(end[-1]["killed"])  # ended by killing the stuck QEMUs
    else:
        _assert_events(
            recs,
            "src",
            NORMAL_HEAD["10.0"]
            + ["postcopy-paused"]
            + ["postcopy-recover-setup", "postcopy-recover", "postcopy-paused"]  # broken try
            + ["postcopy-recover-setup", "postcopy-recover", "postcopy-active"]  # healed
            + ["completed"],
        )
        _assert_events(
            recs,
            "dst",
            DST_HEAD + ["postcopy-paused", "postcopy-recover", "postcopy-active", "completed"],
        )
        assert marks.index("break") < marks.index("heal")
        # both migrate-recover calls on the still-paused destination were accepted
        assert [rep for _, rep in replies_to(recs, "dst", "migrate-recover")] == [
            {"return": {}}
        ] * 2
        assert _last_query_status(recs, "src") == "completed"


CHECKS = {"normal": check_normal, "recover": check_recover, "broken": check_broken}
REAL_DIR = ROOT / "reports" / "real"


@pytest.mark.parametrize("version", binaries.VERSIONS)
@pytest.mark.parametrize("scenario", scenarios.SCENARIOS)
def test_committed_trace(scenario, version):
    """The traces recorded on real QEMU and kept in reports/real/ show the expected events."""
    path = REAL_DIR / f"qemu-{version}-{scenario}.jsonl"
    recs = read_trace(path)
    for r in recs:
        assert list(r) == ["t", "side", "kind", "data"]
        assert r["kind"] in ("cmd", "reply", "event", "mark")
        assert r["side"] == ("driver" if r["kind"] == "mark" else r["side"])
        assert r["side"] in ("src", "dst", "driver")
    assert [r["t"] for r in recs] == sorted(r["t"] for r in recs)
    start = recs[0]["data"]
    assert start["mark"] == "start" and start["scenario"] == scenario
    assert f"version {version}." in start["version"]
    assert recs[-1]["data"]["mark"] == "end"
    CHECKS[scenario](recs, version)


# ---------------------------------------------------------------- real QEMU
def _need(version: str) -> None:
    reason = binaries.unavailable_reason(version)
    if reason:
        msg = f"real QEMU {version} tests skipped: {reason}"
        warnings.warn(msg, stacklevel=2)
        pytest.skip(msg)


@pytest.mark.realqemu
@pytest.mark.parametrize("version", binaries.VERSIONS)
@pytest.mark.parametrize("scenario", scenarios.SCENARIOS)
def test_real(scenario, version, tmp_path):
    _need(version)
    out = tmp_path / f"qemu-{version}-{scenario}.jsonl"
    t0 = time.monotonic()
    rec = record(scenario, version, out)
    took = time.monotonic() - t0
    assert rec.path == out and f"version {version}." in rec.qemu
    CHECKS[scenario](read_trace(out), version)
    assert took < 40, f"{scenario} on {version} took {took:.1f} s"

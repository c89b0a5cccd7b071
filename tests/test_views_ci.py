"""CI outputs of `migcheck check`: JUnit XML, SARIF 2.1.0 and JSON say the same thing, and
the terminal summary a CI log shows fits 80 columns."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

import jsonschema
import pytest
from rich.cells import cell_len

from migcheck.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "migcheck" / "checker" / "views" / "assets" / "sarif-schema-2.1.0.json"


def run_check(tmp: Path, model: str, *extra: str) -> tuple[int, Path, Path, Path]:
    j, s, r = tmp / "j.xml", tmp / "s.sarif", tmp / "r.json"
    rc = main(["check", "--model", model, *extra, "--junit", str(j), "--sarif", str(s),
               "--json", str(r), "--traces", str(tmp / "traces"), "--last",
               str(tmp / "last.json")])
    return rc, j, s, r


@pytest.fixture(scope="module")
def qemu72_run(tmp_path_factory):
    """The README's qemu-7.2 check, piped at COLUMNS=80 as a CI log is: its files, what it
    printed and how long it took."""
    printed = io.StringIO()
    with mock.patch.dict(os.environ, {"COLUMNS": "80"}), contextlib.redirect_stdout(printed):
        started = time.perf_counter()
        files = run_check(tmp_path_factory.mktemp("q72"), "qemu-7.2")
        seconds = time.perf_counter() - started
    return files, printed.getvalue(), seconds


@pytest.fixture(scope="module")
def qemu72(qemu72_run):
    return qemu72_run[0]


@pytest.fixture(scope="module")
def qemu82(tmp_path_factory):
    return run_check(tmp_path_factory.mktemp("q82"), "qemu-8.2", "--pages", "0", "--failures", "1")


def junit_verdicts(path: Path) -> dict[str, str]:
    suite = ET.parse(path).getroot().find("testsuite")
    out = {}
    for case in suite.findall("testcase"):
        bad = case.find("failure")
        out[case.get("name")] = "fail" if bad is not None else "pass"
    return out


def json_verdicts(path: Path) -> dict[str, str]:
    (check,) = json.loads(path.read_text())["checks"]
    return {r["property"]: "pass" if r["verdict"] in ("holds", "witnessed", "n/a") else "fail"
            for r in check["results"]}


def sarif_failed(path: Path) -> set[str]:
    (run,) = json.loads(path.read_text())["runs"]
    return {r["ruleId"] for r in run["results"]}


def validate_sarif(doc: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    return [e.message for e in validator.iter_errors(doc)]


def test_qemu72_fails_and_the_three_files_agree(qemu72):
    rc, j, s, r = qemu72
    assert rc == 1
    junit, verdicts = junit_verdicts(j), json_verdicts(r)
    assert junit == verdicts
    assert {p for p, v in verdicts.items() if v == "fail"} == sarif_failed(s)
    assert verdicts["recover-exits"] == "fail"
    assert verdicts["one-return-path-thread"] == "pass"


def test_qemu82_every_property_passes_in_all_three(qemu82):
    rc, j, s, r = qemu82
    assert rc == 0
    assert set(junit_verdicts(j).values()) == {"pass"}
    assert set(json_verdicts(r).values()) == {"pass"}
    assert sarif_failed(s) == set()
    root = ET.parse(j).getroot()
    assert root.get("failures") == "0" and int(root.get("tests")) == len(json_verdicts(r))


def test_junit_failure_names_property_and_trace(qemu72):
    _, j, _, r = qemu72
    case = next(c for c in ET.parse(j).getroot().iter("testcase")
                if c.get("name") == "recover-exits")
    assert case.get("classname") == "migcheck.qemu-7.2"
    message = case.find("failure").get("message")
    trace = next(x["trace"] for x in json.loads(r.read_text())["checks"][0]["results"]
                 if x["property"] == "recover-exits")
    assert message.startswith("recover-exits violated on qemu-7.2")
    assert trace in message and Path(trace).is_file()


def test_json_has_bounds_counts_and_times(qemu72):
    _, _, _, r = qemu72
    (check,) = json.loads(r.read_text())["checks"]
    assert check["bounds"] and check["params"]["failures"] == 2
    assert check["coverage"]["complete"] is True and check["coverage"]["states"] > 1000
    assert all(x["seconds"] >= 0 for x in check["results"])


def test_sarif_is_valid_against_the_2_1_0_schema(qemu72, qemu82):
    for _, _, s, _ in (qemu72, qemu82):
        doc = json.loads(s.read_text())
        assert doc["version"] == "2.1.0"
        assert validate_sarif(doc) == []


def test_schema_check_can_fail(qemu72):
    doc = json.loads(qemu72[2].read_text())
    doc["runs"][0]["results"][0]["level"] = "catastrophe"
    del doc["version"]
    assert len(validate_sarif(doc)) >= 2


def sarif_result(path: Path, rule: str) -> tuple[dict, dict]:
    (run,) = json.loads(path.read_text())["runs"]
    return run, next(x for x in run["results"] if x["ruleId"] == rule)


def source_at(run: dict, loc: dict) -> str:
    """The model lines a SARIF location points at (resolved through originalUriBaseIds)."""
    art = loc["physicalLocation"]["artifactLocation"]
    base = run["originalUriBaseIds"][art["uriBaseId"]]["uri"]
    assert base.startswith("file://") and not Path(art["uri"]).is_absolute()
    line = loc["physicalLocation"]["region"]["startLine"]
    text = Path(base.removeprefix("file://"), art["uri"]).read_text().splitlines()
    return "\n".join(text[line - 1:line + 3])


def test_sarif_points_the_72_hang_at_the_72_change(qemu72):
    """The hang completes when the return-path thread exits on a read error (step 25); in
    7.2 that exit does not kick rp_sem: the result sits on that change of the qemu-7.2 layer
    (model/versions.py), with the action as the base protocol writes it as related."""
    _, _, s, _ = qemu72
    run, result = sarif_result(s, "recover-exits")
    primary = result["locations"][0]
    art = primary["physicalLocation"]["artifactLocation"]
    assert art == {"uri": "model/versions.py", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == ROOT.as_uri() + "/"
    assert "f8c543e808" in source_at(run, primary)
    assert "step 25" in primary["message"]["text"] and "qemu-7.2" in primary["message"]["text"]
    base = result["relatedLocations"][0]
    assert base["physicalLocation"]["artifactLocation"]["uri"] == "model/source.py"
    assert '"source_return_path_thread: read error"' in source_at(run, base)
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 28
    assert any("refused" in f["location"]["message"]["text"] for f in flow)


def test_every_sarif_rule_has_a_help_page(qemu72):
    (run,) = json.loads(qemu72[2].read_text())["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert all(r["helpUri"].startswith("https://") for r in rules.values())
    assert rules["recover-exits"]["helpUri"].endswith("/commit/f8c543e808")


def test_junit_times_add_up_to_the_run(qemu72_run):
    """Issue 15: the exploration every case shares was added to each case (343.7 s for a
    34.9 s run).  Cases carry their own decision; the total is the run's time."""
    (_, j, _, r), _, seconds = qemu72_run
    root = ET.parse(j).getroot()
    (suite,) = root.findall("testsuite")
    total = float(root.get("time"))
    assert abs(total - seconds) <= 0.01 * seconds
    assert float(suite.get("time")) == total
    cases = sum(float(c.get("time")) for c in suite.iter("testcase"))
    explored = float(next(p.get("value") for p in suite.iter("property")
                          if p.get("name") == "exploration seconds"))
    assert cases + explored <= total + 0.01
    assert cases == pytest.approx(sum(x["seconds"] for x in json.loads(r.read_text())
                                      ["checks"][0]["results"]), abs=0.05)


def test_junit_failure_body_is_the_short_counterexample(qemu72):
    _, j, _, _ = qemu72
    root = ET.parse(j).getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "recover-exits")
    body = case.find("failure").text
    assert "25 steps, then 3 repeated for ever" in body
    assert "source_return_path_thread: read error" in body
    assert "blocked at the end: src:migration waits on rp_sem" in body
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert "cancel-only-in-precopy" in " ".join(props) and "assumption" in " ".join(props)


def test_terminal_summary_fits_80_columns_and_ends_with_the_counts(qemu72_run):
    (_, _, _, r), printed, _ = qemu72_run
    lines = printed.rstrip("\n").splitlines()
    # everything fits but the commands to copy (their file paths are this test's temp dirs)
    assert max(cell_len(line) for line in lines if "migcheck trace" not in line) <= 80
    names = [x["property"] for x in json.loads(r.read_text())["checks"][0]["results"]]
    for name in names:  # every property named in full at the start of its table row
        assert any(line.split()[:1] == [name] for line in lines), name
    counts = json.loads(r.read_text())["checks"][0]["results"]
    violated = sum(x["verdict"] == "violated" for x in counts)
    assert lines[-1].startswith(f"{violated} violated, ")
    assert lines[-1].endswith("(qemu-7.2, failures <= 2, pages 2)")
    # one counterexample listed under both properties it violates, then its short form
    assert "[1] recover-exits, no-deadlock" in printed
    assert printed.count("source_return_path_thread: read error") < 6

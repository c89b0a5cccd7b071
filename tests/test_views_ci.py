"""CI outputs of `migcheck check`: JUnit XML, SARIF 2.1.0 and JSON say the same thing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

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
def qemu72(tmp_path_factory):
    return run_check(tmp_path_factory.mktemp("q72"), "qemu-7.2")


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


def test_sarif_points_at_the_completing_action(qemu72):
    _, _, s, _ = qemu72
    (run,) = json.loads(s.read_text())["runs"]
    result = next(x for x in run["results"] if x["ruleId"] == "recover-exits")
    loc = result["locations"][0]["physicalLocation"]
    uri, line = loc["artifactLocation"]["uri"], loc["region"]["startLine"]
    assert not Path(uri).is_absolute() and uri.startswith("model/")
    text = (ROOT / uri).read_text().splitlines()
    # the action that enters the stuck state: the return-path thread's read error (step 25)
    assert "step 25" in result["locations"][0]["message"]["text"]
    assert "source_return_path_thread" in "\n".join(text[line - 1:line + 3])
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(flow) == 28
    assert any("refused" in f["location"]["message"]["text"] for f in flow)

"""JUnit XML verdicts (`--junit FILE`): what GitLab CI and most CI dashboards read.

One test suite per checked model, one test case per property.  A violated property (or a
witness never reached) is a <failure> naming the property and the saved trace; a verdict the
check could not reach (incomplete exploration) is an <error>, never a pass; a property the
model has nothing to say about (n/a) is <skipped>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from migcheck.checker.props import Verdict
from migcheck.checker.runner import CheckReport


def failure_message(report: CheckReport, name: str, verdict: Verdict, detail: str) -> str:
    trace = report.trace_files.get(name)
    where = f"; counterexample: {trace}" if trace else ""
    return f"{name} {verdict.value} on {report.model.name}: {detail}{where}"


def to_xml(reports: list[CheckReport]) -> ET.Element:
    root = ET.Element("testsuites", name="migcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for report in reports:
        g = report.graph
        suite = ET.SubElement(root, "testsuite", name=f"migcheck.{report.model.name}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("model", report.model.name), ("coverage", report.coverage),
                           ("states", str(len(g.states))), ("transitions", str(g.transitions)),
                           ("bounds", "; ".join(report.model.bounds))):
            ET.SubElement(props, "property", name=key, value=value)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for r in report.results:
            seconds = r.seconds + g.seconds
            case = ET.SubElement(suite, "testcase", name=r.property.name,
                                 classname=f"migcheck.{report.model.name}",
                                 time=f"{seconds:.3f}")
            counts["tests"] += 1
            total_time += seconds
            message = failure_message(report, r.property.name, r.verdict, r.detail)
            if r.verdict is Verdict.UNKNOWN:
                counts["errors"] += 1
                err = ET.SubElement(case, "error", message=message, type="unknown")
                err.text = report.coverage
            elif r.verdict.value == "n/a":  # the model lacks what the property talks about
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=message)
            elif not r.verdict.ok:
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", message=message, type=r.verdict.value)
                fail.text = f"{r.property.statement}\n{message}"
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{r.verdict.value}: {r.property.statement} ({report.coverage})"
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", str(counts["errors"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{report.seconds:.3f}")
        for k in totals:
            totals[k] += counts[k]
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    return root


def write(reports: list[CheckReport], path: Path) -> None:
    tree = ET.ElementTree(to_xml(reports))
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)

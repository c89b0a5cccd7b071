"""JUnit XML verdicts (`--junit FILE`): what GitLab CI and most CI dashboards read.

One test suite per checked model, one test case per property.  A violated property (or a
witness never reached) is a <failure> naming the property and the saved trace; a verdict the
check could not reach (incomplete exploration) is an <error>, never a pass; a property the
model has nothing to say about (n/a) is <skipped>.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from migcheck.checker.files import write_text
from migcheck.checker.report import PropertyResult, Report, Verdict


def failure_message(report: Report, r: PropertyResult) -> str:
    where = f"; counterexample: {r.trace_file}" if r.trace_file else ""
    return f"{r.name} {r.verdict.value} on {report.model.name}: {r.detail}{where}"


def to_xml(reports: list[Report]) -> ET.Element:
    root = ET.Element("testsuites", name="migcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for report in reports:
        cov = report.coverage
        suite = ET.SubElement(root, "testsuite", name=f"migcheck.{report.model.name}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("model", report.model.name), ("engine", report.engine),
                           ("coverage", cov.statement), ("states", str(cov.states)),
                           ("transitions", str(cov.transitions)),
                           ("bounds", "; ".join(report.model.bounds))):
            ET.SubElement(props, "property", name=key, value=value)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for r in report.results:
            seconds = r.seconds + cov.seconds
            case = ET.SubElement(suite, "testcase", name=r.name,
                                 classname=f"migcheck.{report.model.name}",
                                 time=f"{seconds:.3f}")
            counts["tests"] += 1
            total_time += seconds
            message = failure_message(report, r)
            if r.verdict is Verdict.UNKNOWN:
                counts["errors"] += 1
                err = ET.SubElement(case, "error", message=message, type="unknown")
                err.text = cov.statement
            elif r.verdict is Verdict.NOT_APPLICABLE:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=message)
            elif not r.verdict.ok:
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", message=message, type=r.verdict.value)
                fail.text = f"{r.statement}\n{message}"
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{r.verdict.value} ({r.method}): {r.statement} ({cov.statement})"
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


def write(reports: list[Report], path: Path) -> None:
    root = to_xml(reports)
    ET.indent(root)
    write_text(path, "<?xml version='1.0' encoding='utf-8'?>\n"
               + ET.tostring(root, encoding="unicode") + "\n")

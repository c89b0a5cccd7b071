"""JUnit XML verdicts (`--junit FILE`): what GitLab CI and most CI dashboards read.

One test suite per checked model, one test case per property.  A violated property (or a
witness never reached) is a <failure> whose message names the property and the saved trace
and whose body is the counterexample in short (the steps, who is blocked at the end); a
verdict the check could not reach (incomplete exploration) is an <error>, never a pass; a
property the model has nothing to say about (n/a) is <skipped>; with `--expect`, a
property's case passes exactly when the expectation is met.  The suite's properties say
what was checked: model, engine, bounds, coverage, and every assumption in force.

Times add up: a case's time is its own decision; the exploration every case shares is in
its suite's time (the whole run), not repeated in each case, so <testsuites time> is the
time the runs took.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from migcheck.checker.files import write_text
from migcheck.checker.report import Expectation, PropertyResult, Report, Verdict
from migcheck.checker.views import text

BODY_WIDTH = 100


def failure_message(report: Report, r: PropertyResult) -> str:
    where = f"; counterexample: {r.trace_file}" if r.trace_file else ""
    return f"{r.name} {r.verdict.value} on {report.model.name}: {r.detail}{where}"


def short_texts(report: Report) -> dict[str, str]:
    """Per failed property: its counterexample in short, as plain text."""
    out = {}
    found = text.groups(report)
    for k, group in enumerate(found):
        console = Console(width=BODY_WIDTH, no_color=True, color_system=None,
                          highlight=False, force_terminal=False)
        with console.capture() as cap:
            text.short_counterexample(group, found[:k], console)
        body = "\n".join(line.rstrip() for line in cap.get().splitlines())
        out.update({r.name: body for r in group.results})
    return out


def to_xml(reports: list[Report], expectations: tuple[Expectation, ...] = ()) -> ET.Element:
    """With `expectations` (--expect), a property's case passes when its outcome is the
    expected one (a known bug still found) and fails when it is not."""
    expected = {e.property: e for e in expectations}
    root = ET.Element("testsuites", name="migcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for report in reports:
        cov = report.coverage
        suite = ET.SubElement(root, "testsuite", name=f"migcheck.{report.model.name}")
        props = ET.SubElement(suite, "properties")
        for key, value in (("model", report.model.name), ("engine", report.engine),
                           ("parameters", report.model.describe()),
                           ("coverage", cov.statement), ("states", str(cov.states)),
                           ("transitions", str(cov.transitions)),
                           ("exploration seconds", f"{cov.seconds:.3f}"),
                           ("bounds", "; ".join(report.model.bounds)),
                           *((f"assumption {name}", doc)
                             for name, doc in report.model.assumptions)):
            ET.SubElement(props, "property", name=key, value=value)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        shorts = short_texts(report)
        for r in report.results:
            seconds = r.seconds
            case = ET.SubElement(suite, "testcase", name=r.name,
                                 classname=f"migcheck.{report.model.name}",
                                 time=f"{seconds:.3f}")
            counts["tests"] += 1
            message = failure_message(report, r)
            met = expected[r.name].met_by(r) if r.name in expected else None
            if met is True:
                out = ET.SubElement(case, "system-out")
                out.text = (f"{r.verdict.value}, as expected ({expected[r.name].describe()}):"
                            f" {message}\n\n{shorts.get(r.name, '')}\n")
            elif met is False:
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", type="expectation",
                                     message=f"expected {expected[r.name].describe()}, but"
                                             f" {r.name} {r.verdict.value} on"
                                             f" {report.model.name}")
                fail.text = f"{r.statement}\n{message}\n"
            elif r.verdict is Verdict.UNKNOWN:
                counts["errors"] += 1
                err = ET.SubElement(case, "error", message=message, type="unknown")
                err.text = cov.statement
            elif r.verdict is Verdict.NOT_APPLICABLE:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=message)
            elif not r.verdict.ok:
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", message=message, type=r.verdict.value)
                fail.text = f"{r.statement}\n{message}\n\n{shorts.get(r.name, r.detail)}\n"
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{r.verdict.value} ({r.method}): {r.statement} ({cov.statement})"
        suite.set("tests", str(counts["tests"]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", str(counts["errors"]))
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{report.seconds:.3f}")
        total_time += report.seconds
        for k in totals:
            totals[k] += counts[k]
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    return root


def write(reports: list[Report], path: Path,
          expectations: tuple[Expectation, ...] = ()) -> None:
    root = to_xml(reports, expectations)
    ET.indent(root)
    write_text(path, "<?xml version='1.0' encoding='utf-8'?>\n"
               + ET.tostring(root, encoding="unicode") + "\n")

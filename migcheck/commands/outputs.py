"""The outputs every engine's command shares: the terminal summary, the counterexamples, the
closing line, `--expect`, and the --json / --junit / --sarif files, all read from Reports.

When one of the files is `-` (standard output), the words for people go to standard error,
so `migcheck check --sarif - | jq` reads pure SARIF.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from migcheck.checker import interrupts
from migcheck.checker.files import OutputError, check_folder, check_writable, is_stdout
from migcheck.checker.kinds import Property
from migcheck.checker.report import Expectation, Report
from migcheck.checker.runner import save_traces
from migcheck.checker.views import junit, report_json, sarif, text
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.links import property_help

LAST = Path("reports/last-check.json")
TRAILING = re.compile(r"[ ]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)  # padding at line ends
FILES = ("json", "junit", "sarif")


def expectation(text_: str) -> Expectation:
    """An argparse type: PROPERTY=violated|holds."""
    name, eq, outcome = text_.partition("=")
    if not eq or not name or outcome not in Expectation.OUTCOMES:
        raise argparse.ArgumentTypeError(
            f"--expect takes PROPERTY={'|'.join(Expectation.OUTCOMES)}, not {text_!r}")
    return Expectation(name, outcome)


def add_output_options(p: argparse.ArgumentParser, traces: bool = True) -> None:
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="write the report as JSON (- for standard output)")
    p.add_argument("--junit", type=Path, metavar="FILE",
                   help="write the verdicts as JUnit XML (- for standard output)")
    p.add_argument("--sarif", type=Path, metavar="FILE",
                   help="write the violations as SARIF 2.1.0 for code scanning"
                        " (- for standard output)")
    p.add_argument("--last", type=Path, default=LAST, metavar="FILE",
                   help=f"where `migcheck report` finds the last reports (default {LAST})")
    if traces:
        p.add_argument("--traces", type=Path, default=Path("reports/traces"), metavar="DIR",
                       help="where counterexamples are saved (default reports/traces)")
    p.add_argument("--expect", action="append", type=expectation, default=[],
                   metavar="PROPERTY=violated|holds",
                   help="the outcome this property must have (repeatable); with --expect the"
                        " exit code is 0 exactly when every expectation is met")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print only the closing line (verdict counts and the model)")


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path is writable, before any engine runs (a typo must not cost a run)."""
    to_stdout = [f"--{flag}" for flag in FILES if getattr(args, flag, None) is not None
                 and is_stdout(getattr(args, flag))]
    if len(to_stdout) > 1:
        raise UsageError(f"only one output can be standard output ({' and '.join(to_stdout)}"
                         " are both -)")
    for flag in (*FILES, "last"):
        path = getattr(args, flag, None)
        if path is not None:
            try:
                check_writable(path, f"--{flag}")
            except OutputError as exc:
                raise UsageError(str(exc)) from None
    traces = getattr(args, "traces", None)
    if traces is not None:
        check_folder(traces, "--traces")


def check_expectations(args: argparse.Namespace, props: list[Property]) -> None:
    """Every --expect names a property of this run."""
    names = [p.name for p in props]
    for e in getattr(args, "expect", ()):
        if e.property not in names:
            raise UsageError(f"--expect {e.describe()}: {e.property!r} is not among the"
                             f" properties checked (they are: {', '.join(names)})")


def console(args: argparse.Namespace) -> Console:
    """Where the words for people go: standard output, or standard error when a file is."""
    piped = any(getattr(args, flag, None) is not None and is_stdout(getattr(args, flag))
                for flag in FILES)
    return terminal.console(args, stderr=piped)


def emit(report: Report, args: argparse.Namespace, out: Console, stem: str | None = None,
         details: Callable[[Report, Console], None] | None = None) -> Report:
    """Save the counterexamples, print the summary, the counterexamples in short, an
    engine's `details` and the closing line, write the requested files.  The report's time
    becomes the whole run's, from the command line's start (`args.started`).  A signal
    received meanwhile waits until all is written; one received earlier marks the report
    interrupted (by that signal)."""
    with interrupts.deferred():
        return _emit(_signalled(report), args, out, stem, details)


def _signalled(report: Report) -> Report:
    signum = interrupts.received()
    if signum is None:
        return report
    return replace(report, coverage=replace(report.coverage, interrupted=True, signal=signum))


def _emit(report: Report, args: argparse.Namespace, out: Console, stem: str | None,
          details: Callable[[Report, Console], None] | None) -> Report:
    traces = getattr(args, "traces", None)
    if traces is not None:
        report = save_traces(report, traces, stem)
    started = getattr(args, "started", None)
    if started is not None:
        report = replace(report, seconds=time.perf_counter() - started)
    expectations = tuple(getattr(args, "expect", ()))
    with out.capture() as captured:
        if not getattr(args, "quiet", False):
            found = text.groups(report)
            markers = {r.name: g.number for g in found for r in g.results}
            text.summary(report, out, markers, expectations)
            text.counterexamples(found, out)
            if details is not None:
                details(report, out)
            out.print()
        out.print(text.closing_line(report, expectations), soft_wrap=True)
    out.file.write(TRAILING.sub(r"\1", captured.get()))
    out.file.flush()
    if args.json:
        report_json.write([report], args.json)
    if args.junit:
        junit.write([report], args.junit, expectations)
    if args.sarif:
        sarif.write([report], args.sarif, help_uri=property_help)
    report_json.record_last([report], args.last)
    return report


def exit_code(report: Report, args: argparse.Namespace) -> int:
    return report.exit_code_with(tuple(getattr(args, "expect", ())))

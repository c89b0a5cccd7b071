"""The outputs every engine's command shares: the terminal summary, the counterexamples, and
the --json / --junit / --sarif files, all read from Reports."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from migcheck.checker import interrupts
from migcheck.checker.files import OutputError, check_folder, check_writable
from migcheck.checker.report import Report
from migcheck.checker.runner import save_traces
from migcheck.checker.views import junit, report_json, sarif, text
from migcheck.cli import UsageError

LAST = Path("reports/last-check.json")


def add_output_options(p: argparse.ArgumentParser, traces: bool = True) -> None:
    p.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write the verdicts as JUnit XML")
    p.add_argument("--sarif", type=Path, metavar="FILE",
                   help="write the violations as SARIF 2.1.0 (GitHub code scanning)")
    p.add_argument("--last", type=Path, default=LAST, metavar="FILE",
                   help=f"where `migcheck report` finds the last reports (default {LAST})")
    if traces:
        p.add_argument("--traces", type=Path, default=Path("reports/traces"), metavar="DIR",
                       help="where counterexamples are saved (default reports/traces)")


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path is writable, before any engine runs (a typo must not cost a run)."""
    for flag in ("json", "junit", "sarif", "last"):
        path = getattr(args, flag, None)
        if path is not None:
            try:
                check_writable(path, f"--{flag}")
            except OutputError as exc:
                raise UsageError(str(exc)) from None
    traces = getattr(args, "traces", None)
    if traces is not None:
        check_folder(traces, "--traces")


def console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=120)


def emit(report: Report, args: argparse.Namespace, out: Console, stem: str | None = None
         ) -> Report:
    """Save the counterexamples, print the summary and them, write the requested files.  A
    signal received meanwhile waits until all is written; one received earlier marks the
    report interrupted (by that signal)."""
    with interrupts.deferred():
        return _emit(_signalled(report), args, out, stem)


def _signalled(report: Report) -> Report:
    signum = interrupts.received()
    if signum is None:
        return report
    return replace(report, coverage=replace(report.coverage, interrupted=True, signal=signum))


def _emit(report: Report, args: argparse.Namespace, out: Console, stem: str | None) -> Report:
    traces = getattr(args, "traces", None)
    if traces is not None:
        report = save_traces(report, traces, stem)
    text.summary(report, out)
    for r in report.results:
        if r.trace is not None and r.verdict.failed:
            out.print()
            text.counterexample(r.trace, out, r.trace_file)
    if args.json:
        report_json.write([report], args.json)
    if args.junit:
        junit.write([report], args.junit)
    if args.sarif:
        sarif.write([report], args.sarif)
    report_json.record_last([report], args.last)
    return report

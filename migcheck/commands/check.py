"""`migcheck check`: explore a model exhaustively and decide every property."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from migcheck.checker.runner import run_check
from migcheck.checker.views import junit, report_json, sarif, text
from migcheck.commands.options import add_model_options, config_of, load, select

HELP = "check a model version against the properties (exhaustive, within the bound)"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p)
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="check only this property (repeatable)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the verdicts as JSON")
    p.add_argument("--junit", type=Path, metavar="FILE", help="write the verdicts as JUnit XML")
    p.add_argument("--sarif", type=Path, metavar="FILE",
                   help="write the violations as SARIF 2.1.0 (GitHub code scanning)")
    p.add_argument("--last", type=Path, default=Path("reports/last-check.json"), metavar="FILE",
                   help="where `migcheck report` finds the last checks"
                        " (default reports/last-check.json)")
    p.add_argument("--traces", type=Path, default=Path("reports/traces"), metavar="DIR",
                   help="where counterexamples are saved (default reports/traces)")
    p.add_argument("--max-states", type=int, default=None, help=argparse.SUPPRESS)


def progress_printer(console: Console):
    def show(graph, elapsed: float) -> None:
        rate = len(graph.states) / elapsed if elapsed else 0
        console.print(f"  exploring: {len(graph.states):,} states, {graph.transitions:,}"
                      f" transitions, {rate:,.0f} states/s", end="\r")

    return show if console.is_terminal else None


def run(args: argparse.Namespace) -> int:
    built = load(config_of(args))
    model = built.model
    props = select(built, args.properties)
    out = Console() if sys.stdout.isatty() else Console(width=120)
    err = Console(stderr=True)
    report = run_check(model, props, progress=progress_printer(err), trace_dir=args.traces,
                       max_states=args.max_states)
    text.summary(report, out)
    for r in report.results:
        if r.trace is not None and not r.verdict.ok:
            out.print()
            path = report.trace_files.get(r.property.name)
            text.counterexample(r.trace, out, str(path) if path else None)
    if args.json:
        report_json.write([report], args.json)
    if args.junit:
        junit.write([report], args.junit)
    if args.sarif:
        sarif.write([report], args.sarif)
    report_json.record_last([report], args.last)
    if not report.graph.complete:
        print("migcheck: exploration incomplete; no verdict", file=sys.stderr)
        return 130 if report.graph.interrupted else 3
    return 0 if report.ok else 1

"""`migcheck report`: a self-contained HTML page of the last checks and their counterexamples."""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker.files import OutputError, check_writable, write_text
from migcheck.checker.inputs import InputError
from migcheck.checker.trace import Trace, TraceFileError, from_json, load
from migcheck.checker.views import html, report_json
from migcheck.cli import UsageError

LAST = Path("reports/last-check.json")
HELP = "write an HTML report (verdicts, sequence diagrams, step viewer) of the last checks"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", type=Path, default=LAST,
                   metavar="FILE",
                   help="the checks to show: `migcheck check` keeps them in"
                        " reports/last-check.json (a --json file works too)")
    p.add_argument("--out", type=Path, default=Path("reports/html"), metavar="DIR",
                   help="directory for index.html (default reports/html)")
    p.add_argument("--trace", action="append", type=Path, default=[], metavar="FILE",
                   help="also show this saved trace (repeatable)")


def read_checks(path: Path) -> list[dict]:
    """The checks of a report file, each checked and in its normal form."""
    try:
        return [report_json.to_dict(r, embed_traces=True) for r in report_json.read(path)]
    except InputError as exc:
        hint = " (run `migcheck check` first)" if path == LAST else ""
        raise UsageError(f"{exc}{hint}") from None


def read_trace(path: Path) -> Trace:
    try:
        return load(path)
    except TraceFileError as exc:
        raise UsageError(str(exc)) from None


def counterexamples(checks: list[dict]) -> tuple[list[html.Counterexample], list[str]]:
    """Each failed property's counterexample: the one recorded with the check, else its
    trace file, if that still holds a trace of the same model, parameters and property.
    Also the notes saying which files did not."""
    found, notes = [], []
    for ci, check in enumerate(checks):
        for r in check.get("results", []):
            name, path = r.get("property"), r.get("trace")
            if isinstance(r.get("itf"), dict):
                try:
                    trace = from_json(r["itf"])
                except TraceFileError as exc:
                    raise UsageError(f"the counterexample of {name} is malformed: {exc}"
                                     ) from None
                found.append(html.Counterexample(trace, path or "(recorded with the check)",
                                                 ci))
            elif path:
                trace = read_trace(Path(path))
                if (trace.model, trace.params, trace.property) != \
                        (check.get("model"), check.get("params"), name):
                    notes.append(f"{path} now holds another run's trace (of {trace.model},"
                                 f" {trace.params}); run the check again to see the"
                                 f" counterexample of {name}")
                    continue
                found.append(html.Counterexample(trace, path, ci))
    return found, notes


def run(args: argparse.Namespace) -> int:
    out = args.out / "index.html"
    try:
        check_writable(out, "--out")
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    checks = read_checks(args.source)
    cxs, notes = counterexamples(checks)
    cxs += [html.Counterexample(read_trace(p), str(p), None) for p in args.trace]
    try:
        write_text(out, html.page(checks, cxs, notes=notes))
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    for note in notes:
        print(f"note: {note}")
    print(f"wrote {out} ({len(checks)} check(s), {len(cxs)} counterexample(s))")
    return 0

"""`migcheck report`: a self-contained HTML page of the last checks and their counterexamples."""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker.files import check_writable, write_text
from migcheck.checker.inputs import InputError
from migcheck.checker.trace import Trace, load
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


def run(args: argparse.Namespace) -> int:
    out = args.out / "index.html"
    check_writable(out, "--out")
    try:
        checks = [report_json.to_dict(r) for r in report_json.read(args.source)]
    except InputError as exc:
        hint = " (run `migcheck check` first)" if args.source == LAST else ""
        raise UsageError(f"{exc}{hint}") from None
    traces: list[tuple[Trace, str]] = []
    for check in checks:
        for r in check["results"]:
            if r["trace"]:
                traces.append((load(Path(r["trace"])), r["trace"]))
    traces += [(load(p), str(p)) for p in args.trace]
    write_text(out, html.page(checks, traces))
    print(f"wrote {out} ({len(checks)} check(s), {len(traces)} counterexample(s))")
    return 0

"""`migcheck report`: a self-contained HTML page of the last checks and their counterexamples."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from migcheck.checker.trace import Trace, TraceFileError, load
from migcheck.checker.views import html
from migcheck.cli import UsageError

HELP = "write an HTML report (verdicts, sequence diagrams, step viewer) of the last checks"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", type=Path, default=Path("reports/last-check.json"),
                   metavar="FILE",
                   help="the checks to show: `migcheck check` keeps them in"
                        " reports/last-check.json (a --json file works too)")
    p.add_argument("--out", type=Path, default=Path("reports/html"), metavar="DIR",
                   help="directory for index.html (default reports/html)")
    p.add_argument("--trace", action="append", type=Path, default=[], metavar="FILE",
                   help="also show this saved trace (repeatable)")


def read_checks(path: Path) -> list[dict]:
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror} (run `migcheck check` first)"
                         ) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    checks = doc.get("checks") if isinstance(doc, dict) else None
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise UsageError(f"{path} holds no migcheck checks (expected a \"checks\" list)")
    return checks


def read_trace(path: Path) -> Trace:
    try:
        return load(path)
    except TraceFileError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    checks = read_checks(args.source)
    traces: list[tuple[Trace, str]] = []
    for check in checks:
        for r in check.get("results", []):
            if r.get("trace"):
                traces.append((read_trace(Path(r["trace"])), r["trace"]))
    traces += [(read_trace(p), str(p)) for p in args.trace]
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "index.html"
    out.write_text(html.page(checks, traces))
    print(f"wrote {out} ({len(checks)} check(s), {len(traces)} counterexample(s))")
    return 0

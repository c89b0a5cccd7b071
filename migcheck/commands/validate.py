"""`migcheck validate TRACE`: is a run recorded on real QEMU a behaviour of the model?

With --model: exit 0 accepted, 1 rejected (the longest explained prefix, the observation
nothing explains and the actions enabled there are printed).  Without: every model version
is tried and a table says which accept; exit 0 if the version named in the trace's start
mark (qemu-7.2 for a 7.2 run) accepts it, or, for a trace naming no known version, if any
version does.  A file that is not a realqemu trace: one line, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from migcheck.checker.files import check_writable
from migcheck.checker.spec import ModelError
from migcheck.checker.trace import save
from migcheck.checker.views.text import print_step
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import int_arg
from migcheck.model.config import MAX_FAILURES
from migcheck.model.versions import BUILT_IN
from migcheck.validate import TraceError, model_for, validate_file
from migcheck.validate.search import Match

HELP = "check a real-QEMU trace (realqemu JSON lines) against a model version"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", type=Path, help="a trace recorded by `migcheck record` (*.jsonl)")
    p.add_argument("--model", default=None,
                   help="model version (default: try all and tabulate)")
    p.add_argument("--failures", type=int_arg("--failures", 0, MAX_FAILURES), default=None,
                   metavar="K",
                   help="channel failure bound (default: 2 per break mark in the trace)")
    p.add_argument("--save", type=Path, default=None, metavar="FILE",
                   help="write the matched model path as ITF JSON")


def _versions() -> list[str]:
    return [v.name for v in BUILT_IN]


def _run_one(path: Path, name: str, failures: int | None) -> Match:
    try:
        match, _ = validate_file(path, name, failures)
    except TraceError as exc:
        raise UsageError(str(exc)) from None
    return match


def print_match(match: Match, out: Console, path: str) -> None:
    """The matched (or longest matched) model path, numbered, each step with what it explains."""
    trace = match.trace
    verdict = "[bold green]ACCEPTED[/]" if match.accepted else "[bold red]REJECTED[/]"
    out.print(f"{verdict} {path} under {trace.model}"
              f" (failure bound {trace.params.get('failures', '?')}):"
              f" {match.explained} of {match.total} observations explained", highlight=False)
    out.print(f"  {trace.summary}: {trace.length} model steps", highlight=False)
    for i in range(len(trace.steps)):
        print_step(out, trace, i, tuple(f"[green]= {seen}[/]" for seen in match.matched[i]))
    if not match.accepted:
        out.print(f"[bold red]unexplained:[/] {match.unexplained}", highlight=False)
        out.print(f"  {match.reason}", highlight=False)
        out.print("  enabled in the last matched state:")
        for line in match.enabled or ["(nothing)"]:
            out.print(f"    {line}", highlight=False)


def run(args: argparse.Namespace) -> int:
    if args.save is not None:
        if args.model is None:
            raise UsageError("--save needs --model (the path saved is that model's match)")
        check_writable(args.save, "--save")
    out = terminal.console(args)
    if args.model is not None:
        if args.model not in _versions():
            raise UsageError(f"unknown model {args.model!r} (known: {', '.join(_versions())})")
        match = _run_one(args.trace, args.model, args.failures)
        print_match(match, out, str(args.trace))
        if args.save:
            save(match.trace, args.save)
            out.print(f"  saved as {args.save}")
        return 0 if match.accepted else 1
    rows = []
    version = None
    for name in _versions():
        try:
            match, obs = validate_file(args.trace, name, args.failures)
        except TraceError as exc:
            raise UsageError(str(exc)) from None
        except ModelError as exc:
            rows.append((name, None, str(exc)))
            continue
        version = obs.version
        where = "" if match.accepted else f"stops at {match.unexplained}"
        rows.append((name, match, where))
    own = model_for(version)
    table = Table(title=f"{args.trace} (recorded on QEMU {version or '?'})")
    for col in ("model", "verdict", "explained", "where it stops"):
        table.add_column(col)
    for name, match, where in rows:
        if match is None:
            verdict = "[yellow]not buildable[/]"
            explained = "-"
        else:
            verdict = "[green]accepts[/]" if match.accepted else "[red]rejects[/]"
            explained = f"{match.explained}/{match.total}"
        label = f"{name} (own)" if name == own else name
        table.add_row(label, verdict, explained, where)
    out.print(table)
    accepted = {name for name, match, _ in rows if match is not None and match.accepted}
    if own is not None:
        return 0 if own in accepted else 1
    return 0 if accepted else 1

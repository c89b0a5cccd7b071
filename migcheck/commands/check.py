"""`migcheck check`: explore a model exhaustively and decide every property."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from migcheck.checker.runner import OutOfDomain, run_check
from migcheck.checker.views import text
from migcheck.cli import UsageError
from migcheck.commands.options import add_model_options, config_of, int_arg, load, select
from migcheck.commands.outputs import add_output_options, check_outputs, console, emit

HELP = "check a model version against the properties (exhaustive, within the bound)"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p)
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="check only this property (repeatable)")
    add_output_options(p)
    p.add_argument("--max-states", type=int_arg("--max-states", 0), default=None,
                   help=argparse.SUPPRESS)


def progress_printer(out: Console):  # type: ignore[no-untyped-def]
    def show(graph, elapsed: float) -> None:  # type: ignore[no-untyped-def]
        rate = graph.n / elapsed if elapsed else 0
        out.print(f"  exploring: {graph.n:,} states, {graph.transitions:,}"
                  f" transitions, {rate:,.0f} states/s", end="\r")

    return show if out.is_terminal else None


def run(args: argparse.Namespace) -> int:
    check_outputs(args)
    built = load(config_of(args))
    props = select(built, args.properties)
    out = console()
    try:
        report = run_check(built.model, props, progress=progress_printer(Console(stderr=True)),
                            max_states=args.max_states)
    except OutOfDomain as exc:
        text.counterexample(exc.trace, out)
        raise UsageError(f"malformed model {built.model.name}: {exc}") from None
    report = emit(report, args, out)
    if not report.coverage.complete:
        print("migcheck: exploration incomplete; no verdict", file=sys.stderr)
    return report.exit_code

"""`migcheck check`: explore a model exhaustively and decide every property."""

from __future__ import annotations

import argparse
import sys

from migcheck.checker.runner import OutOfDomain, run_check
from migcheck.checker.views import text
from migcheck.checker.views.progress import RunProgress
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import (
    add_explorer_options,
    add_model_options,
    config_of,
    cores,
    int_arg,
    load,
    select,
)
from migcheck.commands.outputs import (
    add_output_options,
    check_expectations,
    check_outputs,
    console,
    emit,
    exit_code,
)

HELP = "check a model version against the properties (exhaustive, within the bound)"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p)
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="check only this property (repeatable)")
    add_explorer_options(p)
    add_output_options(p)
    p.add_argument("--max-states", type=int_arg("--max-states", 0), default=None,
                   help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    check_outputs(args)
    built = load(config_of(args))
    props = select(built, args.properties)
    check_expectations(args, props)
    out = console(args)
    err = terminal.console(args, stderr=True)
    try:
        with RunProgress(err, enabled=err.is_terminal and not args.quiet) as display:
            report = run_check(built.model, props, progress=display,
                               on_property=display.deciding, max_states=args.max_states,
                               explorer=args.explorer, workers=args.workers or cores())
    except OutOfDomain as exc:
        text.counterexample(exc.trace, out)
        raise UsageError(f"malformed model {built.model.name}: {exc}") from None
    report = emit(report, args, out)
    if not report.coverage.complete:
        print("migcheck: exploration incomplete; no verdict", file=sys.stderr)
    return exit_code(report, args)

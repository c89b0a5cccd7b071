"""`migcheck prove`: decide the properties with z3, for every number of failures."""

from __future__ import annotations

import argparse

from rich.console import Console

from migcheck.checker.report import Report
from migcheck.checker.runner import OutOfDomain
from migcheck.checker.views import text
from migcheck.checker.views.progress import RunProgress
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import add_model_options, config_of, int_arg, load, select
from migcheck.commands.outputs import (
    add_output_options,
    check_expectations,
    check_outputs,
    console,
    emit,
    exit_code,
)

HELP = ("prove the properties with z3 for any number of failures (counterexamples by BMC at"
        " --failures)")



def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, pages=0, preempt=False)
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="prove only this property (repeatable)")
    p.add_argument("--depth", type=int_arg("--depth", 1, 1000), default=40, metavar="D",
                   help="BMC depth for counterexamples and witnesses (default 40)")
    p.add_argument("--timeout", type=int_arg("--timeout", 1, 86400), default=300, metavar="S",
                   help="give up (unknown) after S seconds per z3 search (default 300)")
    add_output_options(p)
    p.add_argument("--lemmas", action="store_true", help="print every lemma a proof used")


def run(args: argparse.Namespace) -> int:
    from migcheck.checker.z3.prover import run_prove

    if args.failures == 0:  # the abstraction keeps the guard `failures < K`: K=0 allows none
        raise UsageError("prove needs --failures >= 1 (its proofs then cover every K)")
    check_outputs(args)
    built = load(config_of(args))
    props = select(built, args.properties)
    check_expectations(args, props)
    out = console(args)
    err = terminal.console(args, stderr=True)
    try:
        with RunProgress(err, enabled=err.is_terminal and not args.quiet) as display:
            report = run_prove(built.model, props, depth=args.depth, timeout_s=args.timeout,
                               progress=display, on_phase=display.phase,
                               on_property=display.deciding)
    except OutOfDomain as exc:
        text.counterexample(exc.trace, out)
        raise UsageError(f"malformed model {built.model.name}: {exc}") from None
    report = emit(report, args, out, stem=f"{built.model.name}.z3",
                  details=lambda r, c: print_why(r, c, args.lemmas))
    return exit_code(report, args)


def print_why(report: Report, out: Console, every: bool) -> None:
    """The lemmas or ranking behind each proof (the first few unless `every`)."""
    for r in report.results:
        if r.why:
            shown = r.why if every else r.why[:8]
            out.print(f"[bold]{r.name}[/] proved because:")
            for line in shown:
                out.print(f"    {line}", highlight=False, markup=False)
            if len(r.why) > len(shown):
                out.print(f"    ... and {len(r.why) - len(shown)} more (--lemmas)")

"""`migcheck prove`: decide the properties with z3, for every number of failures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migcheck.checker.runner import trace_path
from migcheck.checker.trace import save
from migcheck.checker.views import text
from migcheck.cli import UsageError
from migcheck.commands.options import add_model_options, config_of, int_arg, load, select

HELP = ("prove the properties with z3 for any number of failures (counterexamples by BMC at"
        " --failures)")

STYLE = {"proved": "bold green", "witnessed": "green", "violated": "bold red",
         "unknown": "yellow", "skipped": "dim"}


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, pages=0, preempt=False)
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="prove only this property (repeatable)")
    p.add_argument("--depth", type=int_arg("--depth", 1), default=40, metavar="D",
                   help="BMC depth for counterexamples and witnesses (default 40)")
    p.add_argument("--timeout", type=int_arg("--timeout", 1), default=300, metavar="S",
                   help="give up (unknown) after S seconds per z3 search (default 300)")
    p.add_argument("--traces", type=Path, default=Path("reports/traces"), metavar="DIR",
                   help="where counterexamples are saved (default reports/traces)")
    p.add_argument("--lemmas", action="store_true", help="print every lemma a proof used")


def run(args: argparse.Namespace) -> int:
    from migcheck.checker.z3.prover import run_prove

    if args.failures == 0:  # the abstraction keeps the guard `failures < K`: K=0 allows none
        raise UsageError("prove needs --failures >= 1 (its proofs then cover every K)")
    built = load(config_of(args))
    model, props = built.model, select(built, args.properties)
    out = Console() if sys.stdout.isatty() else Console(width=120)
    report = run_prove(model, props, depth=args.depth, timeout_s=args.timeout)
    out.print(f"[bold]model[/] {model.name}: {model.doc}")
    out.print("[bold]scope[/] proofs: every number of channel failures (the failures counter is"
              " abstracted); counterexamples: BMC at " + ", ".join(
                  f"{k}={v}" for k, v in model.params.items()))
    for a in model.assumptions:
        out.print(f"[bold]assumes[/] {a.name}", highlight=False)
    table = Table()
    for col in ("property", "kind", "verdict", "method", "time", "detail"):
        table.add_column(col, justify="right" if col == "time" else "left")
    for r in report.results:
        table.add_row(r.property.name, r.property.kind,
                      Text(r.status, style=STYLE.get(r.status, "")), r.method,
                      f"{r.seconds:.2f}s", r.detail)
    out.print(table)
    out.print(f"invariant: {report.lemmas} lemmas ({report.learned} learned from"
              f" counterexamples to induction) in {report.invariant_seconds:.1f}s;"
              f" total {report.seconds:.1f}s")
    for r in report.results:
        if r.why:
            shown = r.why if args.lemmas else r.why[:8]
            out.print(f"[bold]{r.property.name}[/] proved because:")
            for line in shown:
                out.print(f"    {line}", highlight=False, markup=False)
            if len(r.why) > len(shown):
                out.print(f"    ... and {len(r.why) - len(shown)} more (--lemmas)")
    for r in report.results:
        if r.trace is not None and r.status == "violated":
            path = save(r.trace, trace_path(args.traces, model.name + ".z3", r.property.name))
            out.print()
            text.counterexample(r.trace, out, str(path))
    return report.exit_code

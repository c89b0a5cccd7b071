"""`migcheck diff BASE PROPOSAL`: what a change does, at one bound.

Both models are explored exhaustively at the same --failures/--pages; the output gives the
two verdict columns (with counterexample lengths), states and transitions, the actions that
fire in only one, the reachable projections present in only one (with a shortest path to
each) and where the two shortest counterexamples of a property first diverge.

Exit code: 0 when every verdict agrees, 1 when some verdict differs, 2 bad input, 3 when an
exploration is incomplete.
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migcheck.checker.compare import Comparison, Side, compare
from migcheck.checker.files import OutputError, check_writable, write_text
from migcheck.checker.report import SCHEMA_VERSION, PropertyResult
from migcheck.checker.runner import OutOfDomain, check_graph
from migcheck.checker.views import report_json, text
from migcheck.cli import UsageError
from migcheck.commands.options import int_arg, load
from migcheck.commands.outputs import console
from migcheck.model.config import MAX_FAILURES, MAX_PAGES, Config

HELP = "compare two model versions (or proposals): verdicts, actions, reachable projections"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", help="a model version or proposal file (path/to/file.py[:NAME])")
    p.add_argument("proposal", help="the version or proposal file to compare with it")
    p.add_argument("--failures", type=int_arg("--failures", 0, MAX_FAILURES), default=2,
                   metavar="K", help="at most K channel failures (default 2)")
    p.add_argument("--pages", type=int_arg("--pages", 0, MAX_PAGES), default=0, metavar="N",
                   help="guest pages in both models (default 0)")
    p.add_argument("--preempt", action="store_true", help="postcopy-preempt on in both")
    p.add_argument("--on", metavar="VAR,VAR...",
                   help="project the reachable states onto these variables (default: the"
                        " status variables and the threads' program points)")
    p.add_argument("--limit", type=int_arg("--limit", 1), default=10, metavar="N",
                   help="show at most N projections present in only one model (default 10)")
    p.add_argument("--json", metavar="FILE", help="write the comparison as JSON ('-': stdout)")


def _side(name: str, args: argparse.Namespace) -> Side:
    built = load(Config(name, args.failures, args.pages, args.preempt))
    try:
        report, graph = check_graph(built.model, list(built.properties))
    except OutOfDomain as exc:
        raise UsageError(f"malformed model {built.model.name}: {exc}") from None
    return Side(built.model, report, graph)


def run(args: argparse.Namespace) -> int:
    if args.json:
        try:
            check_writable(args.json, "--json")
        except OutputError as exc:
            raise UsageError(str(exc)) from None
    base, other = _side(args.base, args), _side(args.proposal, args)
    on = None
    if args.on:
        on = tuple(v.strip() for v in args.on.split(",") if v.strip())
        for side in (base, other):
            missing = [v for v in on if v not in side.model.var_index]
            if missing:
                raise UsageError(f"--on: {side.model.name} has no variable {missing[0]!r}")
    result = compare(base, other, on, args.limit)
    out = console(args)
    show(result, out)
    if args.json:
        write_text(args.json, json.dumps(to_dict(result), indent=1) + "\n")
    if not (base.report.coverage.complete and other.report.coverage.complete):
        return 3
    return 0 if result.same_verdicts else 1


def _cell(r: PropertyResult | None) -> Text:
    if r is None:
        return Text("-", style="dim")
    label = r.verdict.value
    if r.trace is not None and r.verdict.failed:
        tr = r.trace
        label += (f" ({tr.length} steps)" if tr.loop_start is None
                  else f" ({tr.prefix_length} steps, then {tr.kind})")
    return Text(label, style=text.STYLE[r.verdict])


def show(c: Comparison, out: Console) -> None:
    a, b = c.base, c.other
    out.print(f"[bold]base[/]     {a.report.model.describe()}: {a.model.doc}")
    out.print(f"[bold]proposal[/] {b.report.model.describe()}: {b.model.doc}")
    table = Table(title="verdicts")
    for col in ("property", a.model.name, b.model.name):
        table.add_column(col)
    for name, x, y in c.verdicts():
        row_style = "" if x is not None and y is not None and x.verdict is y.verdict \
            else "bold"
        table.add_row(Text(name, style=row_style), _cell(x), _cell(y))
    out.print(table)
    for side in (a, b):
        cov = side.report.coverage
        out.print(f"{side.model.name}: {cov.states:,} states, {cov.transitions:,} transitions,"
                  f" depth {cov.depth}")
    for side, only in ((a, c.actions_only[0]), (b, c.actions_only[1])):
        if only:
            out.print(f"[bold]actions that fire only in {side.model.name}[/]:")
            for name in only:
                out.print(f"  {name}", highlight=False)
    out.print(f"[bold]reachable projections[/] on {', '.join(c.on)}:")
    for side, only, count in ((a, c.projections_only[0], c.projections_count[0]),
                              (b, c.projections_only[1], c.projections_count[1])):
        if not only:
            out.print(f"  none only in {side.model.name}")
            continue
        out.print(f"  {count} only in {side.model.name} (the {len(only)} shallowest):")
        for o in only:
            values = ", ".join(f"{k}={v}" for k, v in o.values)
            out.print(f"    {values}  [dim](shortest path: {o.trace.length} steps, last:"
                      f" {o.trace.steps[-1].action})[/]", highlight=False)
    for d in c.divergences:
        out.print(f"[bold]{d.prop}[/]: both counterexamples agree up to step {d.step - 1};"
                  f" then {a.model.name} takes {d.base!r}, {b.model.name} takes {d.other!r}",
                  highlight=False)
    agree = "every verdict agrees" if c.same_verdicts else "verdicts differ"
    out.print(f"[bold]{agree}[/] ({a.model.name} vs {b.model.name})")


def to_dict(c: Comparison) -> dict:
    def report(side: Side) -> dict:
        return report_json.to_dict(side.report)

    return {
        "tool": "migcheck", "schema_version": SCHEMA_VERSION, "kind": "diff",
        "on": list(c.on),
        "same_verdicts": c.same_verdicts,
        "base": report(c.base), "proposal": report(c.other),
        "verdicts": [{"property": n, "base": x.verdict.value if x else None,
                      "proposal": y.verdict.value if y else None}
                     for n, x, y in c.verdicts()],
        "actions_only": {"base": list(c.actions_only[0]), "proposal": list(c.actions_only[1])},
        "projections_count": {"base": c.projections_count[0],
                              "proposal": c.projections_count[1]},
        "projections_only": {
            key: [{"values": dict(o.values), "path": [s.action for s in o.trace.steps[1:]]}
                  for o in only]
            for key, only in (("base", c.projections_only[0]),
                              ("proposal", c.projections_only[1]))},
        "divergences": [{"property": d.prop, "step": d.step, "base": d.base,
                         "proposal": d.other} for d in c.divergences],
    }

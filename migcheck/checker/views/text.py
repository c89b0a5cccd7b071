"""Terminal output of a check: the summary table and numbered counterexample steps."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from migcheck.checker.report import Report, Verdict
from migcheck.checker.trace import Trace

STYLE = {
    Verdict.HOLDS: "bold green",
    Verdict.PROVED: "bold green",
    Verdict.WITNESSED: "green",
    Verdict.VIOLATED: "bold red",
    Verdict.NOT_WITNESSED: "bold red",
    Verdict.UNKNOWN: "yellow",
    Verdict.NO_COUNTEREXAMPLE: "green",
    Verdict.NOT_APPLICABLE: "dim",
}


def show_value(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value if v not in ("EMPTY",)) + "]"
    return str(value)


def summary(report: Report, console: Console) -> None:
    model, cov = report.model, report.coverage
    console.print(f"[bold]model[/] {model.name}: {model.doc}")
    console.print(f"[bold]bound[/] {'; '.join(model.bounds)}")
    console.print(f"[bold]coverage[/] {cov.statement}")
    for name, doc in model.assumptions:
        console.print(f"[bold]assumes[/] {name}: {doc}", highlight=False)
    table = Table(show_lines=False)
    for col, just in (("property", "left"), ("kind", "left"), ("verdict", "left"),
                      ("method", "left"), ("decided in", "right"), ("detail", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in report.results:
        table.add_row(r.name, r.kind, Text(r.verdict.value, style=STYLE[r.verdict]),
                      r.method, f"{r.seconds:.2f}s", r.detail)
    console.print(table)
    for note in report.notes:
        console.print(note, highlight=False, markup=False)
    if cov.states is not None:
        rate = cov.states / cov.seconds if cov.seconds else 0.0
        console.print(f"explored {cov.states:,} states, {cov.transitions or 0:,} transitions,"
                      f" depth {cov.depth} in {cov.seconds:.2f}s ({rate:,.0f} states/s);"
                      f" total {report.seconds:.2f}s")


def print_step(console: Console, trace: Trace, i: int, notes: tuple[str, ...] = ()) -> None:
    """Step i: number, actor, action (and QMP reply), QEMU function, changed variables,
    MIGRATION events, then any `notes` (rich markup) a caller adds."""
    step = trace.steps[i]
    if step.action is None:
        console.print(f"  {i:>3}  [dim]initial state[/]" if i == 0 else
                      f"  {i:>3}  [dim](nothing happens)[/]")
        return
    verdict = ""
    if step.call is not None:
        verdict = f"  [red]REFUSED: {step.reply}[/]" if step.refused else "  [green]ok[/]"
    console.print(f"  {i:>3}  [cyan]{step.actor:<16}[/] [bold]{step.action}[/]{verdict}",
                  highlight=False)
    console.print(f"       [dim]{step.cites}[/]", highlight=False)
    before = trace.steps[i - 1].state
    lines = [f"{k}: {show_value(before[k])} -> {show_value(step.state[k])}"
             for k in trace.changed(i)]
    lines += [f"event MIGRATION {side}: {status}" for side, status in step.events]
    for line in (*lines, *notes):
        console.print(f"         {line}", highlight=False)


def counterexample(trace: Trace, console: Console, path: str | None = None) -> None:
    """Numbered steps: actor, action, QEMU function, then the variables that changed."""
    head = f"[bold red]{trace.property}[/] on {trace.model}: {trace.summary}"
    console.print(head)
    if path:
        console.print(f"  saved as {path}")
    if trace.loop_start is None:
        console.print(f"  {trace.length} steps ({trace.kind})")
    else:
        repeated = trace.length - trace.loop_start
        console.print(f"  {trace.prefix_length} steps to the state that repeats forever"
                      f" ({trace.kind}), then {repeated} repeated step(s)")
    for i in range(len(trace.steps)):
        if trace.loop_start is not None and i == trace.loop_start + 1:
            console.print("  [bold yellow]-- from here on, repeated forever --[/]")
        print_step(console, trace, i)
    last = len(trace.steps) - 1 if trace.loop_start is None else trace.loop_start
    blocked = [(a, on) for k, a, on in trace.blocked if k == last]
    for actor, on in blocked:
        console.print(f"  [yellow]blocked:[/] {actor} waits on {on}", highlight=False)

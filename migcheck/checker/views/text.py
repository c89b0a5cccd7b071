"""Terminal output of a run: what was checked, the verdict table, the counterexamples in
short, and one closing line.

    model    proto-2 (failures <= 2, pages 2): the second protocol version
    bound    at most 2 channel failures ...
    coverage exhaustive: all 710,713 reachable states within the bound ...
    assumes  no-cancel: The operator cancels only before the switch.

    property          verdict     time  detail
    recovery-exits    violated   3.20s  liveness: stuck at depth 25 [1]
    ...
    every verdict: exhaustive within the bound

    counterexamples (each in full: migcheck trace FILE)
    [1] recovery-exits, no-deadlock
        25 steps, then 3 repeated for ever
        ...

    2 violated, 15 hold, 1 witnessed (proto-2, failures <= 2, pages 2)

The table never cuts a property's name: a column whose value is the same on every row is
said once under the table instead, and on a narrow terminal the kind joins the detail.  A
counterexample several properties share is listed once, under all of their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from migcheck.checker.report import Expectation, PropertyResult, Report, Verdict
from migcheck.checker.trace import Trace
from migcheck.checker.views.values import show

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
# The closing line's words, in its order: (verdict, one, many)
COUNT_WORDS = (
    (Verdict.VIOLATED, "violated", "violated"),
    (Verdict.NOT_WITNESSED, "not witnessed", "not witnessed"),
    (Verdict.UNKNOWN, "unknown", "unknown"),
    (Verdict.HOLDS, "holds", "hold"),
    (Verdict.PROVED, "proved", "proved"),
    (Verdict.WITNESSED, "witnessed", "witnessed"),
    (Verdict.NOT_APPLICABLE, "not applicable", "not applicable"),
)
SAME_PREFIX = 3  # a counterexample sharing at least this many first steps with an earlier one
KIND_W = 14  # "step invariant"
MIN_DETAIL = 24


# ---------------------------------------------------------------- counterexamples, grouped


@dataclass
class Group:
    """One counterexample and every property it violates."""

    number: int
    trace: Trace
    results: list[PropertyResult] = field(default_factory=list)

    @property
    def actions(self) -> list[str | None]:
        return [s.action for s in self.trace.steps]

    @property
    def file(self) -> str | None:
        return next((r.trace_file for r in self.results if r.trace_file), None)


def groups(report: Report) -> list[Group]:
    """The failed properties' counterexamples, identical paths merged, in table order."""
    out: list[Group] = []
    for r in report.results:
        if r.trace is None or not r.verdict.failed:
            continue
        same = next((g for g in out if g.actions == [s.action for s in r.trace.steps]
                     and g.trace.loop_start == r.trace.loop_start), None)
        if same is None:
            same = Group(len(out) + 1, r.trace)
            out.append(same)
        same.results.append(r)
    return out


def _common_prefix(a: list[str | None], b: list[str | None]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _step_line(trace: Trace, i: int, lane_w: int) -> Text:
    """`   12  src:migration     postcopy_start`; a refused command marked ✗, in red."""
    step = trace.steps[i]
    text = Text(f"{i:>4}  ", style="dim")
    text.append(f"{step.actor or '':<{lane_w}}  ", style="cyan")
    if step.refused:
        text.append("✗ ", style="bold red")
    text.append(step.action or "(nothing happens)", style="red" if step.refused else "")
    return text


def _indented(text: Text, console: Console, indent: int = 4) -> None:
    """`text` with every wrapped line indented (a long path folds rather than overflows)."""
    console.print(Padding(text, (0, 0, 0, indent)), overflow="fold")


def short_counterexample(group: Group, earlier: list[Group], console: Console) -> None:
    """Which properties, why, the steps on a few lines, who is blocked at the end, and the
    command that shows the whole trace."""
    trace = group.trace
    names = ", ".join(r.name for r in group.results)
    console.print(Text.assemble((f"[{group.number}] ", "bold"), (names, "bold red")))
    for r in group.results:
        why = r.trace.summary if r.trace is not None else r.detail
        line = Text()
        if len(group.results) > 1:
            line.append(f"{r.name}: ", style="bold")
        line.append(why or r.detail)
        _indented(line, console)
    end = trace.length if trace.loop_start is None else trace.loop_start
    mine = group.actions[:end + 1]
    best, shared = None, 0
    for other in earlier:
        n = _common_prefix(other.actions, mine) - 1  # both start with the initial state
        if n > shared:
            best, shared = other, n
    lane_w = min(max((len(s.actor or "") for s in trace.steps), default=0), 20)
    _indented(Text(f"{trace.prefix_length} steps"
                   + ("" if trace.loop_start is None else
                      f", then {trace.length - trace.loop_start} repeated for ever"),
                   style="bold"), console)
    start = 1
    if best is not None and shared >= SAME_PREFIX:
        _indented(Text(f"   1-{shared}  as in [{best.number}]", style="italic"), console)
        start = shared + 1
    for i in range(start, len(trace.steps)):
        if trace.loop_start is not None and i == trace.loop_start + 1:
            _indented(Text("  then for ever:", style="bold magenta"), console)
        _indented(_step_line(trace, i, lane_w), console, indent=2)
    blocked = [f"{actor} waits on {on}" for k, actor, on in trace.blocked if k == end]
    if blocked:
        _indented(Text("blocked at the end: ", style="yellow").append("; ".join(blocked)),
                  console)
    if group.file:  # never folded, so it can be copied whole
        console.print(Text(f"    migcheck trace {group.file}", style="cyan"), soft_wrap=True)


def counterexamples(found: list[Group], console: Console) -> None:
    if not found:
        return
    console.print()
    console.print(Text("counterexamples", style="bold")
                  .append(" (each in full: migcheck trace FILE)", style="dim"))
    for k, group in enumerate(found):
        short_counterexample(group, found[:k], console)


# ---------------------------------------------------------------- the summary


def _header(rows: list[tuple[str, str]], console: Console) -> None:
    """Label and text in two columns, so wrapped text stays under its own column."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, text in rows:
        grid.add_row(label, text)
    console.print(grid)


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(".  ")
    if not dot:
        head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def _shared(values: list[str]) -> str | None:
    """The value every row has, if they all have the same (and there is more than one)."""
    return values[0] if len(values) > 1 and len(set(values)) == 1 else None


def table(report: Report, console: Console, markers: dict[str, int],
          expectations: tuple[Expectation, ...] = ()) -> Table:
    results = report.results
    expected = {e.property: e for e in expectations}
    name_w = max((len(r.name) for r in results), default=8)
    verdict_w = max((len(r.verdict.value) for r in results), default=7)
    method = _shared([r.method for r in results])
    kinds_fit = console.width >= name_w + KIND_W + verdict_w + 7 + MIN_DETAIL + 2 * 5 \
        + (25 if method is None else 0)
    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    t.add_column("property", no_wrap=True, min_width=name_w)
    if kinds_fit:
        t.add_column("kind", no_wrap=True)
    t.add_column("verdict", no_wrap=True)
    if method is None:
        t.add_column("method", ratio=1, overflow="fold")
    t.add_column("time", justify="right", no_wrap=True)
    t.add_column("detail", ratio=2, overflow="fold")
    for r in results:
        detail = Text()
        if not kinds_fit:
            detail.append(r.kind, style="dim")
            if r.detail:
                detail.append(": ", style="dim")
        detail.append(r.detail)
        if r.name in markers:
            detail.append(f" [{markers[r.name]}]", style="bold")
        if r.name in expected:
            met = expected[r.name].met_by(r)
            detail.append(f" (expected {expected[r.name].outcome}"
                          + (")" if met else ": NOT MET)"),
                          style="green" if met else "bold red")
        row: list[str | Text] = [r.name]
        if kinds_fit:
            row.append(r.kind)
        row.append(Text(r.verdict.value, style=STYLE[r.verdict]))
        if method is None:
            row.append(r.method)
        row += [f"{r.seconds:.2f}s", detail]
        t.add_row(*row)
    return t


def summary(report: Report, console: Console, markers: dict[str, int] | None = None,
            expectations: tuple[Expectation, ...] = ()) -> None:
    model, cov = report.model, report.coverage
    params = model.describe().removeprefix(model.name).removeprefix(", ")
    rows = [("model", f"{model.name}" + (f" ({params})" if params else "")
             + (f": {model.doc}" if model.doc else ""))]
    if model.bounds:
        rows.append(("bound", "; ".join(model.bounds)))
    rows.append(("coverage", cov.statement))
    rows += [("assumes", f"{name}: {_first_sentence(doc)}") for name, doc in model.assumptions]
    _header(rows, console)
    console.print()
    console.print(table(report, console, markers or {}, expectations))
    method = _shared([r.method for r in report.results])
    if method is not None:
        console.print(Text("every verdict: ", style="dim").append(method), overflow="fold")
    for note in report.notes:
        console.print(note, highlight=False, markup=False)
    if cov.states is not None:
        rate = cov.states / cov.seconds if cov.seconds else 0.0
        console.print(f"explored {cov.states:,} states, {cov.transitions or 0:,} transitions,"
                      f" depth {cov.depth} in {cov.seconds:.2f}s ({rate:,.0f} states/s);"
                      f" total {report.seconds:.2f}s", highlight=False)


def closing_line(report: Report, expectations: tuple[Expectation, ...] = ()) -> Text:
    """`2 violated, 15 hold, 1 witnessed (proto-2, failures <= 2, pages 2)`."""
    counts = report.counts()
    parts = []
    for verdict, one, many in COUNT_WORDS:
        n = counts.get(verdict.value, 0)
        if n:
            parts.append((f"{n} {one if n == 1 else many}", STYLE[verdict]))
    text = Text()
    for k, (words, style) in enumerate(parts or [("no properties", "dim")]):
        if k:
            text.append(", ")
        text.append(words, style=style)
    text.append(f" ({report.model.describe()})")
    if not report.coverage.complete:
        text.append("; INCOMPLETE: " + ("interrupted" if report.coverage.interrupted
                                         else "exploration stopped early"), style="yellow")
    if expectations:
        met = [e for e in expectations if e.met_by(report.result(e.property))]
        missed = [e.describe() for e in expectations if e not in met]
        text.append("; ")
        if missed:
            text.append(f"expected {', '.join(missed)}: NOT MET", style="bold red")
        else:
            text.append(f"as expected ({', '.join(e.describe() for e in expectations)})",
                        style="green")
    return text


# ---------------------------------------------------------------- one trace in full


def print_step(console: Console, trace: Trace, i: int, notes: tuple[str, ...] = ()) -> None:
    """Step i: number, actor, action (and the command's reply), the implementation function,
    changed variables, events, then any `notes` (rich markup) a caller adds."""
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
    lines = [f"{k}: {show(before[k])} -> {show(step.state[k])}" for k in trace.changed(i)]
    lines += [f"event {side}: {status}" for side, status in step.events]
    for line in (*lines, *notes):
        console.print(f"         {line}", highlight=False)


def counterexample(trace: Trace, console: Console, path: str | None = None) -> None:
    """Numbered steps: actor, action, implementation function, then what changed."""
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

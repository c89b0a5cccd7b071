"""Counterexamples as lanes: one column per thread, channel and the admin, one row per step.

A QEMU maintainer reads a trace like a message sequence chart: which thread acted, what it
sent or received on the channel, who is blocked on what, and how the two migration states
moved.  `chart(trace)` derives that picture as plain data (also used by the HTML report);
`render(trace, ...)` draws it for a terminal of a given width, with or without colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from migcheck.checker.trace import Trace

SIDE_ORDER = ("admin", "src", "net", "dst")
STATE_VARS = ("src_state", "dst_state")  # the compact header of every row
CHANNELS = {"m2d": ("src", "dst"), "d2m": ("dst", "src")}  # queue -> (sender side, receiver)
EMPTY = "EMPTY"


# ---------------------------------------------------------------- the chart as data


@dataclass(frozen=True)
class Message:
    """A message entering (`sent`), leaving (`received`) or lost from (`dropped`) a queue."""

    channel: str
    what: str
    kind: str  # sent | received | dropped

    def label(self) -> str:
        arrow = {"m2d": "→", "d2m": "←"}.get(self.channel, "·")
        if self.kind == "sent":
            return f"{arrow} {self.what}"
        if self.kind == "received":
            return f"{self.what} {arrow}|"
        return f"✗ {self.what}"


@dataclass
class Row:
    """One step: who acted, what changed, what moved on the channel, who is blocked."""

    index: int
    lane: str | None  # the acting lane (None for the initial state)
    action: str | None
    cites: str | None
    command: str | None
    reply: str | None  # QEMU's error text when the command was refused
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # lane -> what it waits on
    header: tuple[str, str] = ("?", "?")  # (src_state, dst_state) after the step
    in_loop: bool = False

    @property
    def refused(self) -> bool:
        return self.reply is not None


def lane_of_var(lane: str) -> str:
    """Variables of the channel (`net:main`) belong to the `net` lane; others keep theirs."""
    return "net" if lane.split(":")[0] == "net" else lane


def lanes(trace: Trace) -> list[str]:
    """The columns: every actor's lane and every thread lane a variable lives in, by side."""
    found: list[str] = []
    for lane in list(trace.actors.values()) + [lane_of_var(v) for v in trace.lanes.values()]:
        if lane not in found and (":" in lane or lane in ("net", "admin")):
            found.append(lane)
    if not found:  # an engine that wrote no lane metadata: one lane per actor seen
        found = sorted({s.actor for s in trace.steps if s.actor}, key=str)

    def key(lane: str) -> tuple[int, int]:
        side = lane.split(":")[0]
        return (SIDE_ORDER.index(side) if side in SIDE_ORDER else len(SIDE_ORDER),
                found.index(lane))

    return sorted(found, key=key)


def queue_items(value: object) -> list[str]:
    if isinstance(value, (tuple, list)):
        return [str(v) for v in value if v != EMPTY]
    return []


def queue_moves(before: object, after: object, lost: bool) -> list[tuple[str, str]]:
    """(kind, message) pairs that turn the FIFO `before` into `after`."""
    old, new = queue_items(before), queue_items(after)
    for popped in range(len(old) + 1):
        rest = old[popped:]
        if new[:len(rest)] == rest:
            gone = "dropped" if lost else "received"
            return [(gone, m) for m in old[:popped]] + [("sent", m) for m in new[len(rest):]]
    return [("dropped", m) for m in old] + [("sent", m) for m in new]


def show(value: object) -> str:
    """Compact value text: queues as [A, B], everything else as is."""
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(queue_items(value)) + "]"
    return str(value)


def chart(trace: Trace) -> list[Row]:
    """Rows of the sequence chart, one per state of the trace."""
    actor_lane = dict(trace.actors)
    columns = set(lanes(trace))
    blocked_at: dict[int, dict[str, str]] = {}
    for step, actor, on in trace.blocked:
        lane = actor_lane.get(actor, actor)
        blocked_at.setdefault(step, {})[lane if lane in columns else actor] = on
    rows = []
    for i, step in enumerate(trace.steps):
        state = step.state
        lane = actor_lane.get(step.actor, step.actor) if step.actor else None
        row = Row(i, lane, step.action, step.cites,
                  step.call.describe() if step.call else None, step.reply,
                  header=tuple(str(state.get(v, "?")) for v in STATE_VARS),  # type: ignore[arg-type]
                  blocked=blocked_at.get(i, {}),
                  in_loop=trace.loop_start is not None and i > trace.loop_start)
        row.events = list(step.events)
        if i > 0:
            before = trace.steps[i - 1].state
            row.changes = [(k, before.get(k), state[k]) for k in trace.changed(i)]
            lost = lane == "net"
            for channel in CHANNELS:
                if channel in state:
                    row.messages += [Message(channel, m, kind) for kind, m in
                                     queue_moves(before.get(channel), state[channel], lost)]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- drawing for a terminal

STYLES = {
    "act": "bold cyan", "refused": "bold red", "blocked": "yellow", "life": "dim",
    "msg": "magenta", "new": "bold yellow", "old": "dim", "event": "green",
    "loop": "bold magenta", "head": "bold", "state": "bold blue", "qemu": "dim",
}
INDEX_W = 4


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _cell_texts(row: Row, columns: list[str]) -> list[tuple[str, str] | None]:
    """Per lane: (text, style) of what it shows in this row, or None for an idle lifeline."""
    out: list[tuple[str, str] | None] = []
    for lane in columns:
        if lane == row.lane:
            mark = "✗ " if row.refused else "● "
            moved = "".join(m.label() + "  " for m in row.messages) if lane == "net" else ""
            out.append((mark + moved + (row.action or ""),
                        STYLES["refused"] if row.refused else STYLES["act"]))
        elif lane in row.blocked:
            out.append(("⏸ " + row.blocked[lane], STYLES["blocked"]))
        elif lane == "net" and row.messages:
            out.append((" ".join(m.label() for m in row.messages), STYLES["msg"]))
        else:
            out.append(None)
    return out


def _cells(row: Row, columns: list[str], w: int) -> Text:
    """The lane row; a label may run on over the idle lifelines to its right."""
    line = Text()
    line.append("↻" if row.in_loop else " ", style=STYLES["loop"])
    line.append(f"{row.index:>{INDEX_W - 1}}", style=STYLES["head"])
    cells = _cell_texts(row, columns)
    i = 0
    while i < len(cells):
        cell = cells[i]
        if cell is None:
            line.append(" │".ljust(w), style=STYLES["life"])
            i += 1
            continue
        span = 1
        while i + span < len(cells) and cells[i + span] is None and len(cell[0]) + 2 > span * w:
            span += 1
        text, style = cell
        line.append(_fit(" " + text, span * w - (1 if i + span < len(cells) else 0))
                    .ljust(span * w), style=style)
        i += span
    return line


def _wrap(parts: list[Text], width: int, indent: int, hang: int | None = None) -> list[Text]:
    """Lay out short pieces on lines no wider than `width`; a piece too long for one line
    is broken at spaces.  Continuation lines are indented by `hang` (default `indent`)."""
    hang = indent if hang is None else hang
    lines: list[Text] = []
    cur = Text(" " * indent)
    pad = indent
    for part in parts:
        if len(cur) > pad and len(cur) + 2 + len(part) > width:
            lines.append(cur)
            cur, pad = Text(" " * hang), hang
        if len(cur) > pad:
            cur.append("  ")
        cur.append_text(part)
        while len(cur) > width:
            cut = cur.plain.rfind(" ", pad + 1, width)
            cut = cut if cut > pad else width
            head, tail = cur.divide([cut])
            lines.append(head)
            cur, pad = Text(" " * hang), hang
            cur.append_text(tail.plain.lstrip() and tail[len(tail.plain) -
                                                      len(tail.plain.lstrip()):])
    if len(cur) > pad:
        lines.append(cur)
    return lines


def _detail(row: Row, width: int, diff_only: bool, was_blocked: dict[str, str]) -> list[Text]:
    indent = INDEX_W + 1
    out: list[Text] = []
    if row.action is not None:
        head = Text()
        head.append(f"{row.lane}: ", style=STYLES["head"])
        head.append(row.action, style=STYLES["refused"] if row.refused else STYLES["act"])
        if row.command:
            head.append(f"  REFUSED: {row.reply}" if row.refused else "  ok",
                        style=STYLES["refused"] if row.refused else STYLES["event"])
        if not diff_only and row.cites:
            head.append(f"  ({row.cites})", style=STYLES["qemu"])
        out += _wrap([head], width, indent)
    parts = []
    for name, old, new in row.changes:
        piece = Text(f"{name} ")
        piece.append(show(old), style=STYLES["old"])
        piece.append("→")
        piece.append(show(new), style=STYLES["new"])
        parts.append(piece)
    parts += [Text(f"event {side}: {status}", style=STYLES["event"])
              for side, status in row.events]
    out += _wrap(parts, width, indent + 2)
    for lane, on in row.blocked.items():
        if was_blocked.get(lane) != on:
            out += _wrap([Text(f"⏸ {lane} now blocked: waits on {on}", style=STYLES["blocked"])],
                         width, indent + 2)
    return out


def _header(columns: list[str], w: int) -> list[Text]:
    top, bottom = Text(" " * INDEX_W), Text(" " * INDEX_W)
    for lane in columns:
        side, _, thread = lane.partition(":")
        top.append(_fit(" " + side, w).ljust(w), style=STYLES["head"])
        bottom.append(_fit(" " + (thread or ""), w).ljust(w), style=STYLES["head"])
    return [top, bottom]


def _state_line(row: Row, width: int) -> Text:
    src, dst = row.header
    text = Text()
    text.append("  ── ", style=STYLES["life"])
    text.append(f"src {src}", style=STYLES["state"])
    text.append(" │ ", style=STYLES["life"])
    text.append(f"dst {dst}", style=STYLES["state"])
    text.append(" " + "─" * max(width - len(text) - 1, 0), style=STYLES["life"])
    return text


def _full_state(trace: Trace, index: int, columns: list[str], width: int) -> list[Text]:
    """Every variable of one state, grouped by lane (side-level variables first)."""
    state = trace.steps[index].state
    groups: dict[str, list[str]] = {}
    for name, value in state.items():
        lane = lane_of_var(trace.lanes.get(name, "?"))
        groups.setdefault(lane, []).append(f"{name}={show(value)}")
    order = sorted(groups, key=lambda g: (columns.index(g) if g in columns else -1, g))
    out: list[Text] = []
    for lane in order:
        label = Text(f"{lane:<16}", style=STYLES["head"])
        out += _wrap([label] + [Text(p) for p in groups[lane]], width, 2, hang=20)
    return out


def render(trace: Trace, width: int = 100, colour: bool = False, diff_only: bool = False,
           path: str | None = None) -> str:
    """The whole trace as lanes, `width` columns wide; ANSI colours only when `colour`."""
    console = Console(width=width, color_system="standard" if colour else None,
                      force_terminal=colour, no_color=not colour, record=False,
                      highlight=False, soft_wrap=True, legacy_windows=False)
    columns = lanes(trace)
    w = max((width - INDEX_W) // max(len(columns), 1), 6)
    rows = chart(trace)
    lines: list[Text] = []
    title = Text()
    title.append(trace.property, style=STYLES["refused"])
    title.append(f" on {trace.model} ({trace.kind}, {trace.engine}): {trace.summary}")
    lines += _wrap([title], width, 0)
    if path:
        lines.append(Text(f"file {path}", style=STYLES["qemu"]))
    if trace.loop_start is None:
        lines.append(Text(f"{trace.length} steps"))
    else:
        lines.append(Text(f"{trace.prefix_length} steps, then steps {trace.loop_start + 1}"
                          f"-{trace.length} repeat forever (marked ↻)"))
    if not diff_only:
        lines.append(Text("initial state:", style=STYLES["head"]))
        lines += _full_state(trace, 0, columns, width)
    lines += _header(columns, w)
    last_header = None
    was_blocked: dict[str, str] = {}
    for row in rows:
        if row.header != last_header:
            lines.append(_state_line(row, width))
            last_header = row.header
        if trace.loop_start is not None and row.index == trace.loop_start + 1:
            lines.append(Text("  ↻ from here on, repeated forever " + "↻" * 3,
                              style=STYLES["loop"]))
        lines.append(_cells(row, columns, w))
        lines += _detail(row, width, diff_only, was_blocked)
        was_blocked = row.blocked
    end = len(rows) - 1 if trace.loop_start is None else trace.loop_start
    if not diff_only:
        lines.append(Text(f"state {end} (final):", style=STYLES["head"]))
        lines += _full_state(trace, end, columns, width)
    for lane, on in rows[end].blocked.items() if rows else ():
        lines += _wrap([Text(f"⏸ blocked at the end: {lane} waits on {on}",
                             style=STYLES["blocked"])], width, 0, hang=2)
    with console.capture() as cap:
        for line in lines:
            line.rstrip()
            line.no_wrap = True
            line.overflow = "crop"
            console.print(line)
    return cap.get()

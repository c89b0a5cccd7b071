"""Counterexamples as lanes: one column per thread, channel and the operator, one row per step.

A maintainer reads a trace like a message sequence chart: which thread acted, what it sent
or received on a channel, who is blocked on what, and how the sides' states moved.
`chart(trace)` derives that picture as plain data (also used by the HTML report);
`render(trace, ...)` draws it for a terminal of a given width, with or without colour.

Everything protocol-specific comes from the trace's metadata, which the model wrote: the
lanes and their order, which variables are message channels (and between which sides), and
which variables' changes are events (their values head each row).  A trace without that
metadata (another tool's ITF) is still drawn: one row per state with what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.text import Text

from migcheck.checker.trace import Trace
from migcheck.checker.views.values import show

# ---------------------------------------------------------------- the chart as data


@dataclass(frozen=True)
class Message:
    """A message entering (`sent`), leaving (`received`) or lost from (`dropped`) a queue."""

    channel: str
    what: str
    kind: str  # sent | received | dropped
    arrow: str = "·"  # → or ←: the direction the channel runs between the sides' columns

    def label(self) -> str:
        if self.kind == "sent":
            return f"{self.arrow} {self.what}"
        if self.kind == "received":
            return f"{self.what} {self.arrow}|"
        return f"✗ {self.what}"


@dataclass
class Row:
    """One step: who acted, what changed, what moved on a channel, who is blocked."""

    index: int
    lane: str | None  # the acting lane (None for the initial state)
    action: str | None
    cites: str | None
    command: str | None
    reply: str | None  # the implementation's error text when the command was refused
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # lane -> what it waits on
    header: tuple[str, ...] = ()  # the event variables' values after the step
    in_loop: bool = False

    @property
    def refused(self) -> bool:
        return self.reply is not None


def lanes(trace: Trace) -> list[str]:
    """The columns: the model's lanes in its drawing order (older traces: the actors' lanes
    as listed; another tool's: every actor seen)."""
    if trace.columns:
        return list(trace.columns)
    found = list(dict.fromkeys(trace.actors.values()))
    return found or list(dict.fromkeys(str(s.actor) for s in trace.steps if s.actor))


def lane_of_var(lane: str, trace: Trace | None = None) -> str:
    """The column a variable's lane is drawn in: its own, or its side's when the side is one
    column (a channel's `net:main` in the `net` column)."""
    if trace is None:
        return lane
    columns = lanes(trace)
    side = lane.split(":")[0]
    return lane if lane in columns or side not in columns else side


def queue_items(value: object) -> list[str]:
    if isinstance(value, tuple | list):
        return [show(v) for v in value]
    return []


MAX_POPS = 64  # more messages leaving a queue in one step than this: shown as replaced


def queue_moves(before: object, after: object, lost: bool) -> list[tuple[str, str]]:
    """(kind, message) pairs that turn the FIFO `before` into `after`."""
    old, new = queue_items(before), queue_items(after)
    for popped in range(min(len(old), MAX_POPS) + 1):
        rest = old[popped:]
        if new[:len(rest)] == rest:
            gone = "dropped" if lost else "received"
            return [(gone, m) for m in old[:popped]] + [("sent", m) for m in new[len(rest):]]
    return [("dropped", m) for m in old] + [("sent", m) for m in new]


def _side_column(columns: list[str], side: str) -> int | None:
    return next((i for i, c in enumerate(columns) if c == side or c.split(":")[0] == side),
                None)


def arrows(trace: Trace) -> dict[str, str]:
    """Per channel: → when its sender's column is left of its receiver's, else ←."""
    columns = lanes(trace)
    out = {}
    for name, channel in trace.channels.items():
        a, b = _side_column(columns, channel.sender), _side_column(columns, channel.receiver)
        out[name] = "·" if a is None or b is None else ("→" if a < b else "←")
    return out


def channel_lanes(trace: Trace) -> dict[str, str]:
    """Per channel variable: the column it is drawn in."""
    return {name: lane_of_var(trace.lanes.get(name, ""), trace) for name in trace.channels}


def chart(trace: Trace) -> list[Row]:
    """Rows of the sequence chart, one per state of the trace."""
    actor_lane = dict(trace.actors)
    columns = set(lanes(trace))
    arrow = arrows(trace)
    home = channel_lanes(trace)
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
                  header=tuple(show(state.get(v, "?")) for v in trace.events),
                  blocked=blocked_at.get(i, {}),
                  in_loop=trace.loop_start is not None and i > trace.loop_start)
        row.events = list(step.events)
        if i > 0:
            before = trace.steps[i - 1].state
            row.changes = [(k, before.get(k), state[k]) for k in trace.changed(i)]
            for channel in trace.channels:
                if channel in state:
                    lost = lane is not None and lane == home[channel]
                    row.messages += [Message(channel, m, kind, arrow[channel]) for kind, m in
                                     queue_moves(before.get(channel), state[channel], lost)]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- drawing for a terminal

STYLES = {
    "act": "bold cyan", "refused": "bold red", "blocked": "yellow", "life": "dim",
    "msg": "magenta", "new": "bold yellow", "old": "dim", "event": "green",
    "loop": "bold magenta", "head": "bold", "state": "bold blue", "cites": "dim",
}
INDEX_W = 4
MIN_LANE_W = 6


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _cell_texts(row: Row, columns: list[str], homes: dict[str, str]
                ) -> list[tuple[str, str] | None]:
    """Per lane: (text, style) of what it shows in this row, or None for an idle lifeline."""
    out: list[tuple[str, str] | None] = []
    for lane in columns:
        moved = [m for m in row.messages if homes.get(m.channel) == lane]
        if lane == row.lane:
            mark = "✗ " if row.refused else "● "
            labels = "".join(m.label() + "  " for m in moved)
            out.append((mark + labels + (row.action or ""),
                        STYLES["refused"] if row.refused else STYLES["act"]))
        elif lane in row.blocked:
            out.append(("⏸ " + row.blocked[lane], STYLES["blocked"]))
        elif moved:
            out.append((" ".join(m.label() for m in moved), STYLES["msg"]))
        else:
            out.append(None)
    return out


def _cells(row: Row, columns: list[str], w: int, homes: dict[str, str]) -> Text:
    """The lane row; a label may run on over the idle lifelines to its right."""
    line = Text()
    line.append("↻" if row.in_loop else " ", style=STYLES["loop"])
    line.append(f"{row.index:>{INDEX_W - 1}}", style=STYLES["head"])
    cells = _cell_texts(row, columns, homes)
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


def _break(part: Text, first: int, rest: int) -> list[Text]:
    """`part` cut into pieces at most `first` (then `rest`) wide, at spaces where there are
    any: one pass over the text, whatever its length."""
    plain = part.plain
    cuts: list[int] = []
    skip: list[int] = []  # the pieces after a cut at a space start with that space
    start, room = 0, max(first, 1)
    while len(plain) - start > room:
        limit = start + room
        cut = plain.rfind(" ", start + 1, limit + 1)
        at_space = cut > start
        cut = cut if at_space else limit
        cuts.append(cut)
        skip.append(1 if at_space else 0)
        start, room = cut + skip[-1], max(rest, 1)
    pieces = part.divide(cuts) if cuts else [part]
    return [pieces[0], *(p[k:] if k else p for p, k in zip(pieces[1:], skip, strict=True))]


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
        if len(cur) + len(part) <= width:
            cur.append_text(part)
            continue
        pieces = _break(part, width - len(cur), width - hang)
        cur.append_text(pieces[0])
        for piece in pieces[1:]:
            lines.append(cur)
            cur = Text(" " * hang)
            pad = hang
            cur.append_text(piece)
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
            head.append(f"  ({row.cites})", style=STYLES["cites"])
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


def _state_line(trace: Trace, row: Row, width: int) -> Text:
    text = Text()
    text.append("  ── ", style=STYLES["life"])
    for i, (var, value) in enumerate(zip(trace.events, row.header, strict=True)):
        if i:
            text.append(" │ ", style=STYLES["life"])
        text.append(f"{trace.events[var]} {value}", style=STYLES["state"])
    text.append(" " + "─" * max(width - len(text) - 1, 0), style=STYLES["life"])
    return text


def _full_state(trace: Trace, index: int, columns: list[str], width: int) -> list[Text]:
    """Every variable of one state, grouped by lane (side-level variables first)."""
    state = trace.steps[index].state
    groups: dict[str, list[str]] = {}
    for name, value in state.items():
        lane = lane_of_var(trace.lanes.get(name, "state"), trace)
        groups.setdefault(lane, []).append(f"{name}={show(value)}")
    def place(group: str) -> tuple[int, int, str]:
        """A lane's column; a side-level group just before its side's first column."""
        if group in columns:
            return (columns.index(group), 1, group)
        first = _side_column(columns, group.split(":")[0])
        return (len(columns) if first is None else first, 0, group)

    order = sorted(groups, key=place)
    out: list[Text] = []
    for lane in order:
        label = Text(f"{lane:<16}", style=STYLES["head"])
        out += _wrap([label] + [Text(p) for p in groups[lane]], width, 2, hang=20)
    return out


def active_lanes(trace: Trace, rows: list[Row]) -> list[str]:
    """The columns where something happens in this trace: an action, a wait, a message."""
    homes = channel_lanes(trace)
    used = {r.lane for r in rows} | {lane for r in rows for lane in r.blocked} \
        | {homes.get(m.channel) for r in rows for m in r.messages}
    return [c for c in lanes(trace) if c in used]


def render(trace: Trace, width: int = 100, colour: bool = False, diff_only: bool = False,
           path: str | None = None) -> str:
    """The whole trace as lanes, `width` columns wide; ANSI colours only when `colour`.
    Lanes where nothing happens in this trace are left out."""
    rows = chart(trace)
    columns = active_lanes(trace, rows)
    homes = channel_lanes(trace)
    w = max((width - INDEX_W) // max(len(columns), 1), MIN_LANE_W)
    lines: list[Text] = []
    title = Text()
    title.append(trace.property, style=STYLES["refused"])
    title.append(f" on {trace.model} ({trace.kind}, {trace.engine}): {trace.summary}")
    lines += _wrap([title], width, 0)
    if path:
        lines += _wrap([Text(f"file {path}", style=STYLES["cites"])], width, 0, hang=5)
    if trace.loop_start is None:
        lines.append(Text(f"{trace.length} steps"))
    else:
        lines.append(Text(f"{trace.prefix_length} steps, then steps {trace.loop_start + 1}"
                          f"-{trace.length} repeat forever (marked ↻)"))
    if not diff_only:
        lines.append(Text("initial state:", style=STYLES["head"]))
        lines += _full_state(trace, 0, columns, width)
    if columns:
        lines += _header(columns, w)
    last_header = None
    was_blocked: dict[str, str] = {}
    for row in rows:
        if row.header and row.header != last_header:
            lines.append(_state_line(trace, row, width))
            last_header = row.header
        if trace.loop_start is not None and row.index == trace.loop_start + 1:
            lines.append(Text("  ↻ from here on, repeated forever " + "↻" * 3,
                              style=STYLES["loop"]))
        lines.append(_cells(row, columns, w, homes))
        lines += _detail(row, width, diff_only, was_blocked)
        was_blocked = row.blocked
    end = len(rows) - 1 if trace.loop_start is None else trace.loop_start
    if not diff_only:
        lines.append(Text(f"state {end} (final):", style=STYLES["head"]))
        lines += _full_state(trace, end, columns, width)
    for lane, on in rows[end].blocked.items() if rows else ():
        lines += _wrap([Text(f"⏸ blocked at the end: {lane} waits on {on}",
                             style=STYLES["blocked"])], width, 0, hang=2)
    return _emit(lines, width, colour)


def _emit(lines: list[Text], width: int, colour: bool) -> str:
    """The lines as text, each cut at `width` cells, with ANSI colours when asked (one
    pass; a console's print would query the terminal for every line)."""
    console = Console(width=width, color_system="standard" if colour else None,
                      force_terminal=colour, no_color=not colour, highlight=False,
                      legacy_windows=False)
    out = []
    for line in lines:
        line.rstrip()
        if cell_len(line.plain) > width:
            line.truncate(width, overflow="crop")
        if colour:
            out.append("".join(seg.style.render(seg.text, color_system=ColorSystem.STANDARD)
                               if seg.style else seg.text for seg in line.render(console)))
        else:
            out.append(line.plain)
    return "\n".join(out) + "\n"

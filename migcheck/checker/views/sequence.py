"""Counterexamples as an SVG sequence diagram, laid out for a browser window.

Drawn from the same `lanes.chart` rows the terminal view uses: lanes nobody acts or waits in
are left out, the lane width follows the number of lanes so that the diagram and the step
panel fit a 1400 px window side by side, a label wraps within the free space of its row
(it may cross a wait bar, never another label), a wait is written on its lane where it
begins, and a message's label goes where it hides no other text.  The step and status
columns and the lane heads are separate SVGs the page keeps in place while the diagram
scrolls.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from migcheck.checker.trace import Trace
from migcheck.checker.views import lanes as lane_view

LANES_W = 780  # the lanes' width at design size (the step panel takes the rest of 1400 px)
RIGHT_PAD = 56  # room for the labels of the rightmost lane
LANE_MIN, LANE_MAX = 76, 150
ROW_H, LINE_H, HEAD_H = 26, 13, 42
CHAR_W = 6.63  # an 11 px character of DejaVu Sans Mono (0.602 em)
SMALL_W = 6.03  # a 10 px character
STATUS_W = 5.43  # a 9 px character
MAX_LINES = 3


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def visible_lanes(trace: Trace, rows: list[lane_view.Row]) -> list[str]:
    """The lanes something happens in: an actor acts, a thread waits, a message moves."""
    used = {r.lane for r in rows} | {lane for r in rows for lane in r.blocked}
    carried = lane_view.channel_lanes(trace)
    used |= {carried.get(m.channel, "") for r in rows for m in r.messages}
    return [lane for lane in lane_view.lanes(trace) if lane in used]


def wrap(text: str, width: int, max_lines: int = MAX_LINES) -> list[str]:
    """`text` in lines of at most `width` characters, broken after spaces, then after
    underscores, then anywhere; the last line ends in an ellipsis if it had to be cut."""
    width = max(width, 4)
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = rest.rfind("_", 0, width) + 1 or width
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        lines.append(rest)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


@dataclass
class Label:
    x: float  # the anchor: left edge (anchor "start") or right edge ("end")
    lines: list[str]
    cls: str
    anchor: str = "start"
    char_w: float = CHAR_W
    title: str = ""

    @property
    def width(self) -> float:
        return max((len(line) for line in self.lines), default=0) * self.char_w

    def span(self) -> tuple[float, float]:
        return (self.x, self.x + self.width) if self.anchor == "start" else \
            (self.x - self.width, self.x)


@dataclass
class RowLayout:
    row: lane_view.Row
    top: float = 0.0
    height: float = ROW_H
    labels: list[Label] = field(default_factory=list)

    @property
    def mid(self) -> float:
        return self.top + min(self.height, ROW_H) / 2


@dataclass
class Layout:
    columns: list[str]
    lane_w: float
    rows: list[RowLayout]
    status_w: float

    @property
    def width(self) -> float:
        return self.lane_w * len(self.columns) + RIGHT_PAD

    @property
    def height(self) -> float:
        return (self.rows[-1].top + self.rows[-1].height + 8) if self.rows else 0.0

    def x(self, lane: str | None) -> float:
        i = self.columns.index(lane) if lane in self.columns else 0
        return self.lane_w * i + self.lane_w / 2


def _free(layout: Layout, spans: list[tuple[float, float]], x: float) -> tuple[float, float]:
    """The free stretch around `x` between the obstacles `spans` (and the diagram edges)."""
    left, right = 4.0, layout.width - 4
    for a, b in spans:
        if b <= x:
            left = max(left, b + 6)
        elif a >= x:
            right = min(right, a - 6)
    return left, right


def layout(trace: Trace) -> Layout:
    rows = lane_view.chart(trace)
    columns = visible_lanes(trace, rows)
    lane_w = max(LANE_MIN, min(LANE_MAX, (LANES_W - RIGHT_PAD) / max(len(columns), 1)))
    status_len = max((len(v) for r in rows for v in r.header), default=4)
    out = Layout(columns, lane_w, [RowLayout(r) for r in rows],
                 34 + max(status_len, 6) * STATUS_W + 6)
    before: dict[str, str] = {}
    top = 0.0
    for rl in out.rows:
        row = rl.row
        # a label may cross a wait bar, not another label or the acting lane's mark
        starts = [lane for lane, on in row.blocked.items() if before.get(lane) != on]
        spans = [(out.x(lane) - 6, out.x(lane) + 6)
                 for lane in [*starts, *([row.lane] if row.lane else [])]]
        for lane in starts:
            on = row.blocked[lane]
            x = out.x(lane)
            left, right = _free(out, spans, x)
            room_r, room_l = right - (x + 7), (x - 7) - left
            if len(on) * SMALL_W <= room_r or room_r >= room_l:
                label = Label(x + 7, wrap(on, int(room_r / SMALL_W), 2), "wait-label")
            else:
                label = Label(x - 7, wrap(on, int(room_l / SMALL_W), 2), "wait-label", "end")
            label.char_w, label.title = SMALL_W, f"{lane} waits on {on}"
            rl.labels.append(label)
            spans.append(label.span())
        before = row.blocked
        if row.lane is not None and row.action:
            x = out.x(row.lane)
            left, right = _free(out, spans, x)
            text = row.action
            room_r, room_l = right - (x + 9), (x - 9) - left
            if len(text) * CHAR_W <= room_r or room_r >= room_l:
                label = Label(x + 9, wrap(text, int(room_r / CHAR_W)), "act-label")
            else:
                label = Label(x - 9, wrap(text, int(room_l / CHAR_W)), "act-label", "end")
            label.cls = "refused-label" if row.refused else "act-label"
            label.title = f"{row.action} ({row.cites})" if row.cites else row.action
            rl.labels.append(label)
        lines = max((len(lb.lines) for lb in rl.labels), default=1)
        rl.top, rl.height = top, max(ROW_H, lines * LINE_H + 9)
        top += rl.height
    return out


# ---------------------------------------------------------------- diagram pieces


def _text(label: Label, y: float) -> str:
    cls = esc(label.cls)
    first = y - (len(label.lines) - 1) * LINE_H / 2 + 4 if label.cls == "wait-label" else y + 4
    if label.cls != "wait-label" and len(label.lines) > 1:
        first = y - 3
    spans = "".join(f'<tspan x="{label.x:.1f}" y="{first + i * LINE_H:.1f}">{esc(line)}</tspan>'
                    for i, line in enumerate(label.lines))
    title = f"<title>{esc(label.title)}</title>" if label.title else ""
    return f'<text class="{cls}" text-anchor="{label.anchor}">{title}{spans}</text>'


def heads_svg(lay: Layout) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="heads" width="{lay.width:.0f}" '
           f'height="{HEAD_H}" viewBox="0 0 {lay.width:.0f} {HEAD_H}">',
           f'<rect class="head-bg" x="0" y="0" width="{lay.width:.0f}" height="{HEAD_H}"/>']
    for lane in lay.columns:
        x = lay.x(lane)
        side, _, thread = lane.partition(":")
        out.append(f'<g class="lane-head" data-lane="{esc(lane)}">'
                   f'<text class="lane-side" x="{x:.1f}" y="16" text-anchor="middle">'
                   f'{esc(side)}</text><text class="lane-name" x="{x:.1f}" y="31" '
                   f'text-anchor="middle">{esc(thread)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def gutter_svg(lay: Layout, trace: Trace) -> str:
    """Step numbers, the repeated part, and the two status values after each step."""
    w, h = lay.status_w, lay.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="gutter" width="{w:.0f}" '
           f'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}">']
    last: tuple[str, ...] | None = None
    for rl in lay.rows:
        row, y = rl.row, rl.mid
        loop = " loop" if row.in_loop else ""
        out.append(f'<g class="row{loop}" data-step="{row.index}">'
                   f'<rect class="row-bg" x="0" y="{rl.top:.1f}" width="{w:.0f}" '
                   f'height="{rl.height:.1f}"/>'
                   f'<text class="step-no" x="22" y="{y + 4:.1f}" text-anchor="end">{row.index}'
                   '</text>')
        if row.in_loop:
            out.append(f'<text class="loop-mark" x="26" y="{y + 4:.1f}">↻</text>')
        for k, value in enumerate(row.header):
            same = last is not None and last[k] == value
            out.append(f'<text class="status{" same" if same else ""}" x="36" '
                       f'y="{y - 2 + k * 10:.1f}">{esc(value)}</text>')
        last = row.header
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def body_svg(lay: Layout, trace: Trace, uid: str) -> str:
    """Lifelines, one row per step, the acting lane's mark and label, the waits, and messages
    as arrows from sender to receiver."""
    w, h = lay.width, lay.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="msc" id="{uid}-svg" '
           f'width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" role="img" '
           f'aria-label="sequence diagram of {esc(trace.property)}">',
           f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>']
    for rl in lay.rows:
        if rl.row.in_loop:
            out.append(f'<rect class="loop" x="0" y="{rl.top:.1f}" width="{w:.0f}" '
                       f'height="{rl.height:.1f}"/>')
    for lane in lay.columns:
        x = lay.x(lane)
        out.append(f'<line class="lifeline" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{h:.0f}"/>')
    for rl in lay.rows:
        row, y = rl.row, rl.mid
        out.append(f'<g class="row" data-step="{row.index}" id="{uid}-row-{row.index}">'
                   f'<rect class="row-bg" x="0" y="{rl.top:.1f}" width="{w:.0f}" '
                   f'height="{rl.height:.1f}"/>')
        for lane, on in row.blocked.items():
            x = lay.x(lane)
            out.append(f'<rect class="blocked" x="{x - 4:.1f}" y="{rl.top:.1f}" width="8" '
                       f'height="{rl.height:.1f}"><title>{esc(lane)} waits on {esc(on)}'
                       '</title></rect>')
        if row.lane is not None:
            x = lay.x(row.lane)
            out.append(f'<text class="refused-mark" x="{x:.1f}" y="{y + 5:.1f}" '
                       'text-anchor="middle">✗</text>' if row.refused else
                       f'<circle class="act-dot" cx="{x:.1f}" cy="{y:.1f}" r="5"/>')
        out += [_text(label, y) for label in rl.labels]
        out.append("</g>")
    out += _message_arrows(lay, uid, lane_view.channel_lanes(trace))
    out.append("</svg>")
    return "".join(out)


def _overlaps(box: tuple[float, float, float, float],
              boxes: list[tuple[float, float, float, float]]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes)


def _message_arrows(lay: Layout, uid: str, carried: dict[str, str]) -> list[str]:
    """Pair each send with its receive (FIFO order per channel) and draw one arrow; its label
    goes where it hides no other text (or is left to the step panel)."""
    boxes = []
    for rl in lay.rows:
        for lb in rl.labels:
            a, b = lb.span()
            lines = len(lb.lines)
            boxes.append((a, rl.mid - LINE_H, b, rl.mid - LINE_H + lines * LINE_H + 4))
    mid = {rl.row.index: rl.mid for rl in lay.rows}
    pending: dict[str, list[tuple[int, str | None, str]]] = {}
    out: list[str] = []

    def label(x1: float, y1: float, x2: float, y2: float, text: str) -> None:
        width = len(text) * SMALL_W
        for t in (0.5, 0.3, 0.7, 0.15, 0.85):
            x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t - 4
            box = (x - width / 2 - 2, y - 10, x + width / 2 + 2, y + 2)
            if box[0] >= 0 and box[2] <= lay.width and not _overlaps(box, boxes):
                boxes.append(box)
                out.append(f'<text class="msg-label" x="{x:.1f}" y="{y:.1f}" '
                           f'text-anchor="middle">{esc(text)}</text>')
                return

    for rl in lay.rows:
        row = rl.row
        for m in row.messages:
            queue = pending.setdefault(m.channel, [])
            if m.kind == "sent":
                queue.append((row.index, row.lane, m.what))
                continue
            if queue and queue[0][2] == m.what:
                sent_at, sender, _ = queue.pop(0)
            else:
                sent_at, sender = row.index, row.lane
            x1, y1, x2, y2 = lay.x(sender), mid[sent_at], lay.x(row.lane), rl.mid
            if m.kind == "received":
                out.append(f'<line class="msg" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                           f'y2="{y2:.1f}" marker-end="url(#{uid}-arrow)"/>')
                label(x1, y1, x2, y2, m.what)
            else:
                out.append(f'<line class="msg lost" x1="{x1:.1f}" y1="{y1:.1f}" '
                           f'x2="{x2:.1f}" y2="{y2:.1f}"/><text class="lost-mark" '
                           f'x="{x2:.1f}" y="{y2 + 5:.1f}" text-anchor="middle">✗</text>')
                label(x1, y1, x2, y2, f"{m.what} (lost)")
    for channel, queue in pending.items():
        for sent_at, sender, what in queue:  # still in flight at the end of the trace
            x1, y = lay.x(sender), mid[sent_at]
            lane = carried.get(channel, "")
            x2 = lay.x(lane) if lane in lay.columns else x1 + lay.lane_w / 2
            out.append(f'<line class="msg inflight" x1="{x1:.1f}" y1="{y:.1f}" '
                       f'x2="{x2:.1f}" y2="{y:.1f}" marker-end="url(#{uid}-arrow)"/>')
            label(x1, y, x2, y, f"{what} ({channel})")
    return out


def diagram(trace: Trace, uid: str) -> str:
    lay = layout(trace)
    names = " / ".join(trace.events)
    return (f'<div class="diagram" style="--gutter:{lay.status_w:.0f}px">'
            f'<div class="msc-grid"><div class="corner"><span>step</span>'
            f'<span class="status-names">{esc(names)}</span></div>'
            f'{heads_svg(lay)}{gutter_svg(lay, trace)}{body_svg(lay, trace, uid)}</div></div>')

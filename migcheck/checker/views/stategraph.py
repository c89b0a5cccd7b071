"""The reachable state graph projected onto the model's two event variables (its sides'
statuses, say: the variables whose changes the model reports as events).

Thousands of states collapse to a few dozen status pairs; an edge says some step moves from
one pair to the other (with how many transitions and which actions).  A counterexample path
can be overlaid.  Written as DOT, and as SVG through Graphviz `dot` where it is installed,
else through a grid layout of our own (the first variable down, the second across, each in
the order the exploration first meets its values).
"""

from __future__ import annotations

import html
import shutil
import subprocess
from collections import Counter

import networkx as nx

from migcheck.checker.explore import StateGraph
from migcheck.checker.spec import Model, ModelError
from migcheck.checker.trace import Trace

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 44, 60, 56, 140


def _name(value: object) -> str:
    return getattr(value, "name", str(value))


def event_keys(model: Model) -> tuple[str, str]:
    """The two variables the picture is drawn over: the first two that emit events."""
    keys = [v.name for v in model.variables if v.event]
    if len(keys) < 2:
        raise ModelError(f"model {model.name}: a state graph needs two variables marked as"
                         f" events (it has {len(keys)})")
    return keys[0], keys[1]


def project(graph: StateGraph, keys: tuple[str, str] | None = None) -> nx.DiGraph:
    """Collapse every state to its pair of values of `keys` (default: the model's two event
    variables); keep counts and action names."""
    model = graph.compiled.model
    keys = event_keys(model) if keys is None else keys
    idx = [model.var_index[k] for k in keys]
    doms = [model.variables[i].domain for i in idx]
    pair_of = [tuple(_name(d.decode(s[i])) for d, i in zip(doms, idx, strict=True))
               for s in graph.states]
    g = nx.DiGraph(keys=keys, model=model.name,
                   sides=tuple(model.var(k).event or k for k in keys))
    for pair, count in Counter(pair_of).items():
        g.add_node(pair, states=count, initial=False, on_path=False)
    g.nodes[pair_of[0]]["initial"] = True
    actions = graph.compiled.actions
    for s, d, a in zip(graph.edge_src, graph.edge_dst, graph.edge_action, strict=True):
        u, v = pair_of[s], pair_of[d]
        if u == v:
            continue
        if not g.has_edge(u, v):
            g.add_edge(u, v, count=0, actions=Counter(), on_path=False)
        g.edges[u, v]["count"] += 1
        g.edges[u, v]["actions"][actions[a].name] += 1
    first: list[dict[str, int]] = [{}, {}]  # status -> depth where it first appears
    for pair, depth in zip(pair_of, graph.depth, strict=True):
        for k in (0, 1):
            first[k][pair[k]] = min(first[k].get(pair[k], depth), depth)
    g.graph["orders"] = [sorted(f, key=lambda st, f=f: (f[st], st)) for f in first]
    return g


def overlay(g: nx.DiGraph, trace: Trace) -> list[tuple[str, str]]:
    """Mark the trace's status pairs and moves in `g`; returns the path of pairs."""
    keys = g.graph["keys"]
    path = [tuple(str(step.state[k]) for k in keys) for step in trace.steps]
    for pair in path:
        if pair in g:
            g.nodes[pair]["on_path"] = True
    for u, v in zip(path, path[1:], strict=False):
        if u != v and g.has_edge(u, v):
            g.edges[u, v]["on_path"] = True
    return path


def _label(sides: tuple[str, str], pair: tuple[str, str], data: dict) -> str:
    return f"{sides[0]} {pair[0]}\\n{sides[1]} {pair[1]}\\n{data['states']:,} states"


def _edge_label(data: dict) -> str:
    top = [name for name, _ in data["actions"].most_common(2)]
    more = len(data["actions"]) - len(top)
    return "\\n".join(top) + (f"\\n(+{more} more)" if more > 0 else "")


def to_dot(g: nx.DiGraph) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
    out = [f'digraph "{g.graph["model"]}" {{', "  rankdir=TB;",
           '  node [shape=box, style="rounded,filled", fillcolor="#f6f8fa", fontname="Helvetica",'
           " fontsize=10];", '  edge [fontname="Helvetica", fontsize=8, color="#8c959f"];']
    for n, data in g.nodes(data=True):
        attrs = [f'label="{_label(g.graph["sides"], n, data)}"']
        if data["on_path"]:
            attrs += ['color="#c0262d"', 'penwidth=2.5', 'fillcolor="#ffebe9"']
        if data["initial"]:
            attrs.append("peripheries=2")
        out.append(f"  {ids[n]} [{', '.join(attrs)}];")
    for u, v, data in g.edges(data=True):
        attrs = [f'label="{_edge_label(data)}"', f'tooltip="{data["count"]} transitions"']
        if data["on_path"]:
            attrs += ['color="#c0262d"', "penwidth=2.5", 'fontcolor="#c0262d"']
        out.append(f"  {ids[u]} -> {ids[v]} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_svg(dot_text: str) -> str | None:
    """SVG from Graphviz, or None where `dot` is not installed or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                              timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _clip(cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """The point where the ray from a box centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(BOX_W / 2 / abs(dx) if dx else float("inf"),
                BOX_H / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def _curve(a: tuple[float, float], b: tuple[float, float]):
    """A gently bent edge between two boxes, bent to its right so that the two directions
    between the same pair stay apart; ends on the boxes' borders."""
    ax, ay = a[0] + BOX_W / 2, a[1] + BOX_H / 2
    bx, by = b[0] + BOX_W / 2, b[1] + BOX_H / 2
    length = max(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5, 1.0)
    bend = 14 + length * 0.08
    mx, my = (ax + bx) / 2 - (by - ay) / length * bend, (ay + by) / 2 + (bx - ax) / length * bend
    return _clip(ax, ay, mx, my), _clip(bx, by, mx, my), (mx, my)


def grid_svg(g: nx.DiGraph) -> str:
    """Our own layout: one row per source status, one column per destination status."""
    row_order, col_order = g.graph["orders"]
    sides = g.graph["sides"]
    rows, cols = list(row_order), list(col_order)  # in order of first appearance
    pos = {n: (MARGIN + cols.index(n[1]) * (BOX_W + GAP_X),
               MARGIN / 2 + rows.index(n[0]) * (BOX_H + GAP_Y)) for n in g}
    width = MARGIN + len(cols) * (BOX_W + GAP_X)
    height = MARGIN / 2 + len(rows) * (BOX_H + GAP_Y) + 20
    e = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, sans-serif">',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
           'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/>'
           '</marker><marker id="r" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
           'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c0262d"/>'
           '</marker></defs>',
           f'<text x="{MARGIN}" y="16" font-size="12">{e(sides[1])} status →</text>',
           f'<text x="8" y="16" font-size="12">{e(sides[0])} status ↓</text>']
    for u, v, data in sorted(g.edges(data=True), key=lambda t: t[2]["on_path"]):
        (x1, y1), (x2, y2), (mx, my) = _curve(pos[u], pos[v])
        colour, wide, mark = (("#c0262d", 2.5, "r") if data["on_path"] else
                              ("#8c959f", 1, "a"))
        title = e(_edge_label(data).replace(chr(92) + "n", ", "))
        out.append(f'<path d="M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}" '
                   f'fill="none" stroke="{colour}" stroke-width="{wide}" '
                   f'marker-end="url(#{mark})" opacity="0.85">'
                   f'<title>{title} ({data["count"]} transitions)</title></path>')
    for n, data in g.nodes(data=True):
        x, y = pos[n]
        stroke = "#c0262d" if data["on_path"] else "#57606a"
        fill = "#ffebe9" if data["on_path"] else "#f6f8fa"
        width_ = 3 if data["initial"] else (2.5 if data["on_path"] else 1)
        out.append(f'<g class="node"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" '
                   f'rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{width_}"/>'
                   f'<text x="{x + 6}" y="{y + 14}" font-size="10">{e(sides[0])} {e(n[0])}'
                   f'</text><text x="{x + 6}" y="{y + 27}" font-size="10">{e(sides[1])} '
                   f'{e(n[1])}</text>'
                   f'<text x="{x + 6}" y="{y + 39}" font-size="9" fill="#57606a">'
                   f'{data["states"]:,} states</text></g>')
    for i, s in enumerate(rows):
        out.append(f'<text x="6" y="{MARGIN / 2 + i * (BOX_H + GAP_Y) + BOX_H / 2 + 4}" '
                   f'font-size="10" fill="#57606a">{e(s)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

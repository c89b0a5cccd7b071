"""The reachable state graph projected onto the status variables (`checker.statusgraph`).

Thousands of states collapse to a few dozen status pairs; an edge says some step moves from
one pair to the other (with how many transitions and which actions).  A counterexample path
can be overlaid.  Written as DOT, and as SVG through Graphviz `dot` where it is installed,
else through a grid layout of our own (source status down, destination status across,
each in the order the exploration first meets it).
"""

from __future__ import annotations

import html
import shutil
import subprocess
from collections import Counter

import networkx as nx

from migcheck.checker import statusgraph
from migcheck.checker.explore import StateGraph
from migcheck.checker.statusgraph import StatusGraph
from migcheck.checker.trace import Trace

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 44, 60, 56, 140


def to_nx(sg: StatusGraph, model: str) -> nx.DiGraph:
    """The projection as a networkx graph: nodes are value tuples (with their state counts),
    edges carry transition counts and a Counter of actions."""
    g = nx.DiGraph(keys=sg.keys, labels=sg.labels, model=model)
    for i, node in enumerate(sg.nodes):
        g.add_node(node.values, states=node.states, initial=i == 0, on_path=False)
    for e in sg.edges:
        g.add_edge(sg.nodes[e.src].values, sg.nodes[e.dst].values, count=e.transitions,
                   actions=Counter(dict(e.actions)), on_path=False)
    first: list[dict[str, int]] = [{} for _ in sg.keys]  # value -> depth where first seen
    for node in sg.nodes:
        for k, value in enumerate(node.values):
            first[k][value] = min(first[k].get(value, node.depth), node.depth)
    g.graph["orders"] = [sorted(f, key=lambda st, f=f: (f[st], st)) for f in first]
    return g


def project(graph: StateGraph, keys: tuple[str, ...] | None = None) -> nx.DiGraph:
    """Collapse every state of a complete graph to its status values (default: the model's
    status variables)."""
    model = graph.compiled.model
    sg = statusgraph.project(graph, model, keys)
    if sg is None:
        raise ValueError(f"model {model.name} has no status variables to project on")
    return to_nx(sg, model.name)


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


def _label(g: nx.DiGraph, pair: tuple[str, ...], data: dict) -> str:
    lines = [f"{side} {value}" for side, value in zip(g.graph["labels"], pair, strict=True)]
    return "\\n".join([*lines, f"{data['states']:,} states"])


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
        attrs = [f'label="{_label(g, n, data)}"']
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
    """Our own layout: one row per value of the first key, one column per value of the second
    (two keys only)."""
    src_order, dst_order = g.graph["orders"]
    rows, cols = list(src_order), list(dst_order)  # in order of first appearance
    pos = {n: (MARGIN + cols.index(n[1]) * (BOX_W + GAP_X),
               MARGIN / 2 + rows.index(n[0]) * (BOX_H + GAP_Y)) for n in g}
    width = MARGIN + len(cols) * (BOX_W + GAP_X)
    height = MARGIN / 2 + len(rows) * (BOX_H + GAP_Y) + 20
    e = html.escape
    keys, sides = g.graph["keys"], g.graph["labels"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Helvetica, sans-serif">',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
           'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/>'
           '</marker><marker id="r" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
           'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c0262d"/>'
           '</marker></defs>',
           f'<text x="{MARGIN}" y="16" font-size="12">{e(keys[1])} →</text>',
           f'<text x="8" y="16" font-size="12">{e(keys[0])} ↓</text>']
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

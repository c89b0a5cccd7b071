"""`migcheck graph`: the reachable states projected onto (source, destination) status."""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker import trace as tracefile
from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import explore
from migcheck.checker.views import stategraph
from migcheck.cli import UsageError
from migcheck.commands.options import add_model_options, config_of, load

HELP = "draw the reachable state graph over (src_state, dst_state) as DOT and SVG"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, pages=0)
    p.add_argument("--trace", type=Path, metavar="FILE",
                   help="highlight this counterexample's path (a saved *.itf.json)")
    p.add_argument("--layout", choices=("auto", "dot", "grid"), default="auto",
                   help="SVG layout: Graphviz dot, our grid, or dot where installed (auto)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="output name; FILE.dot and FILE.svg are written (suffix replaced)")


def run(args: argparse.Namespace) -> int:
    model = load(config_of(args)).model
    trace = None
    if args.trace is not None:
        try:
            trace = tracefile.load(args.trace)
        except tracefile.TraceFileError as exc:
            raise UsageError(str(exc)) from None
        if trace.model != model.name:
            raise UsageError(f"{args.trace} is a trace of {trace.model}, not of {model.name}")
    graph = explore(CompiledModel(model))
    if not graph.complete:
        raise UsageError("exploration incomplete; no graph drawn")
    g = stategraph.project(graph)
    if trace is not None:
        stategraph.overlay(g, trace)
    dot_text = stategraph.to_dot(g)
    svg = None if args.layout == "grid" else stategraph.dot_svg(dot_text)
    if svg is None and args.layout == "dot":
        raise UsageError("Graphviz `dot` is not available; use --layout grid")
    layout = "dot" if svg is not None else "grid"
    svg = svg or stategraph.grid_svg(g)
    base = args.out.with_suffix("") if args.out.suffix in (".dot", ".svg") else args.out
    base.parent.mkdir(parents=True, exist_ok=True)
    dot_path, svg_path = base.with_name(base.name + ".dot"), base.with_name(base.name + ".svg")
    dot_path.write_text(dot_text)
    svg_path.write_text(svg)
    print(f"{model.name}: {len(graph.states):,} states -> {g.number_of_nodes()} status pairs,"
          f" {g.number_of_edges()} moves; wrote {dot_path} and {svg_path} ({layout} layout)")
    return 0

"""`migcheck graph`: the reachable states projected onto (source, destination) status."""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker import trace as tracefile
from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import explore
from migcheck.checker.files import check_writable, write_text
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


def out_paths(out: Path) -> tuple[Path, Path]:
    """FILE.dot and FILE.svg for --out FILE (a .dot or .svg suffix is replaced)."""
    base = out.with_suffix("") if out.suffix in (".dot", ".svg") else out
    return base.with_name(base.name + ".dot"), base.with_name(base.name + ".svg")


def run(args: argparse.Namespace) -> int:
    if args.out.name in ("", ".", ".."):
        raise UsageError(f"--out {args.out}: needs a file name")
    dot_path, svg_path = out_paths(args.out)
    check_writable(dot_path, "--out")
    check_writable(svg_path, "--out")
    model = load(config_of(args)).model
    trace = None
    if args.trace is not None:
        trace = tracefile.load(args.trace)
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
    write_text(dot_path, dot_text)
    write_text(svg_path, svg)
    print(f"{model.name}: {len(graph.states):,} states -> {g.number_of_nodes()} status pairs,"
          f" {g.number_of_edges()} moves; wrote {dot_path} and {svg_path} ({layout} layout)")
    return 0

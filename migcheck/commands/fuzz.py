"""`migcheck fuzz`: Hypothesis stateful testing of a model against the reference page core."""

from __future__ import annotations

import argparse
import time

from rich.console import Console

from migcheck.checker.report import Report
from migcheck.commands.options import add_model_options, config_of, int_arg, load
from migcheck.commands.outputs import (
    add_output_options,
    check_expectations,
    check_outputs,
    console,
    emit,
    exit_code,
)

HELP = "drive the model and the reference page core together with Hypothesis (random, shrunk)"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, min_pages=1, preempt=False)
    p.add_argument("--examples", type=int_arg("--examples", 1), default=100, metavar="N",
                   help="Hypothesis examples (runs) to try (default 100)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed")
    p.add_argument("--steps", type=int_arg("--steps", 1), default=80, metavar="K",
                   help="model steps per run (default 80)")
    add_output_options(p)


def run(args: argparse.Namespace) -> int:
    from migcheck.checker import hypo
    from migcheck.hypo.companion import companion_for

    check_outputs(args)
    built = load(config_of(args))
    model, props = built.model, list(built.properties)
    check_expectations(args, props)
    out = console(args)
    if not args.quiet:
        out.print(f"model {model.name}, {args.pages} pages: {args.examples} runs of up to"
                  f" {args.steps} steps, model and pagecore in lockstep (refinement and"
                  " invariants after every step)", highlight=False)
    started = time.perf_counter()
    result = hypo.fuzz(model, props, companion_for(model), examples=args.examples,
                       seed=args.seed, steps=args.steps)
    report = hypo.report(model, props, result, args.examples, args.steps,
                         time.perf_counter() - started, has_companion=True)
    sequence = result.sequence if not result.ok else []

    def shrunk(_: Report, console_: Console) -> None:
        if sequence:
            console_.print(f"shrunk sequence ({len(sequence)} model actions):")
            for i, name in enumerate(sequence, 1):
                console_.print(f"  {i:3d}  {name}", highlight=False)

    report = emit(report, args, out, stem=f"{model.name}.fuzz", details=shrunk)
    return exit_code(report, args)

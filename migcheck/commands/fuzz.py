"""`migcheck fuzz`: Hypothesis stateful testing of a model against the reference page core."""

from __future__ import annotations

import argparse

from migcheck.commands.options import add_model_options, config_of, int_arg, load

HELP = "drive the model and the reference page core together with Hypothesis (random, shrunk)"


def configure(p: argparse.ArgumentParser) -> None:
    add_model_options(p, min_pages=1, preempt=False)
    p.add_argument("--examples", type=int_arg("--examples", 1), default=100, metavar="N",
                   help="Hypothesis examples (runs) to try (default 100)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed")
    p.add_argument("--steps", type=int_arg("--steps", 1), default=80, metavar="K",
                   help="model steps per run (default 80)")


def run(args: argparse.Namespace) -> int:
    from migcheck.hypo.machine import fuzz

    built = load(config_of(args))
    model, props = built.model, list(built.properties)
    result = fuzz(model, props, examples=args.examples, seed=args.seed, steps=args.steps)
    print(f"model {model.name}, {args.pages} pages: {args.examples} runs of up to {args.steps}"
          " steps, model and pagecore in lockstep (refinement + invariants after every step)")
    if result.ok:
        print("no failure found")
        return 0
    print(f"VIOLATED {result.message}")  # the message starts with the property's name
    print(f"shrunk sequence ({len(result.sequence)} model actions):")
    for i, name in enumerate(result.sequence, 1):
        print(f"  {i:3d}  {name}")
    return 1

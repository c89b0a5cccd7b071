"""`migcheck fuzz`: Hypothesis stateful testing of a model against the reference page core."""

from __future__ import annotations

import argparse

from migcheck.cli import UsageError
from migcheck.commands.common import load_model, load_properties, pages_arg

HELP = "drive the model and the reference page core together with Hypothesis (random, shrunk)"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="qemu-8.2", help="model version (see `migcheck models`)")
    p.add_argument("--examples", type=_positive, default=100, metavar="N",
                   help="Hypothesis examples (runs) to try (default 100)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed")
    p.add_argument("--pages", type=pages_arg, default=2, metavar="N",
                   help="guest pages, 1..4 (default 2)")
    p.add_argument("--steps", type=_positive, default=80, metavar="K",
                   help="model steps per run (default 80)")
    p.add_argument("--failures", type=int, default=2, metavar="K", help="channel failure bound")


def run(args: argparse.Namespace) -> int:
    from migcheck.hypo.machine import fuzz

    if args.pages == 0:
        raise UsageError("fuzz needs pages (--pages 1 or more)")
    model = load_model(args.model, args.failures, args.pages)
    props = load_properties(None, args.pages)
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

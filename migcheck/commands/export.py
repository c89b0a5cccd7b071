"""`migcheck export --format promela MODEL`: the model for another checker, unchanged.

The export is the identical transition system (same states, same transitions), with the
model's state invariants as assertions; SPIN's counterexample trail comes back through
`migcheck trace FILE.trail`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker.compile import CompiledModel
from migcheck.checker.files import OutputError, check_writable, write_text
from migcheck.checker.kinds import Invariant
from migcheck.checker.promela import export
from migcheck.cli import UsageError
from migcheck.commands.options import int_arg, load, select
from migcheck.model.config import DEFAULT_VERSION, MAX_FAILURES, MAX_PAGES, Config

HELP = "write the model for another checker (Promela for SPIN), invariants as assertions"
FORMATS = ("promela",)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", nargs="?", default=DEFAULT_VERSION, metavar="MODEL",
                   help=f"model version or proposal file (default {DEFAULT_VERSION})")
    p.add_argument("--format", choices=FORMATS, default="promela", help="the target language")
    p.add_argument("--failures", type=int_arg("--failures", 0, MAX_FAILURES), default=2,
                   metavar="K", help="at most K channel failures (default 2)")
    p.add_argument("--pages", type=int_arg("--pages", 0, MAX_PAGES), default=2, metavar="N",
                   help="guest pages in the model (default 2)")
    p.add_argument("--preempt", action="store_true", help="postcopy-preempt on")
    p.add_argument("--property", action="append", dest="properties", metavar="NAME",
                   help="assert only this invariant (repeatable; default: every invariant)")
    p.add_argument("--out", "-o", type=Path, default=Path("-"), metavar="FILE",
                   help="where to write it (default: standard output)")


def config_words(config: Config) -> dict[str, object]:
    """What the file's header records, so `migcheck trace FILE.trail` rebuilds the model."""
    return {"model": config.version, "failures": config.failures, "pages": config.pages,
            "preempt": int(config.preempt)}


def run(args: argparse.Namespace) -> int:
    try:
        check_writable(args.out, "--out")
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    config = Config(args.model, args.failures, args.pages, args.preempt)
    built = load(config)
    chosen = select(built, args.properties)
    invariants = [p for p in chosen if isinstance(p, Invariant)]
    if args.properties and len(invariants) < len(chosen):
        others = [p.name for p in chosen if not isinstance(p, Invariant)]
        raise UsageError(f"only invariants can be exported as assertions, not {others[0]!r}")
    write_text(args.out, export(CompiledModel(built.model), invariants, config_words(config)))
    return 0

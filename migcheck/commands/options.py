"""The options subcommands share, and the one place that turns them into a built model.

`--model`, `--failures`, `--pages` and `--preempt` mean the same thing everywhere; every
integer is validated the same way; a bad value, an unknown model or property, or a mistake
in a proposal file is a UsageError (one line, exit 2).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from functools import cache

from migcheck.build import Built, build
from migcheck.checker.kinds import Property
from migcheck.checker.runner import EXPLORERS
from migcheck.checker.spec import ModelError
from migcheck.cli import UsageError
from migcheck.model.config import DEFAULT_VERSION, MAX_FAILURES, MAX_PAGES, Config

INTEGER = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits, within int64


def int_arg(flag: str, lo: int, hi: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in lo..hi (hi None: no upper bound)."""

    def parse(text: str) -> int:
        if not INTEGER.fullmatch(text):  # int() would take " 3", "1_0" and other digits
            shown = text if len(text) <= 30 else text[:30] + "..."
            raise argparse.ArgumentTypeError(f"{flag} must be an integer, not {shown!r}")
        value = int(text)
        if value < lo or (hi is not None and value > hi):
            span = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise argparse.ArgumentTypeError(f"{flag} must be {span}")
        return value

    return parse


def add_model_options(p: argparse.ArgumentParser, *, pages: int = 2, failures: int = 2,
                      preempt: bool = True, min_pages: int = 0) -> None:
    p.add_argument("--model", default=DEFAULT_VERSION, metavar="MODEL",
                   help="model version, or a proposal file path/to/file.py[:NAME]"
                        f" (default {DEFAULT_VERSION}; see `migcheck models`)")
    p.add_argument("--failures", type=int_arg("--failures", 0, MAX_FAILURES),
                   default=failures, metavar="K",
                   help=f"at most K channel failures (default {failures})")
    p.add_argument("--pages", type=int_arg("--pages", min_pages, MAX_PAGES), default=pages,
                   metavar="N", help=f"guest pages in the model, {min_pages}..{MAX_PAGES}"
                                     f" (default {pages}; 0: the protocol alone)")
    if preempt:
        p.add_argument("--preempt", action="store_true",
                       help="postcopy-preempt on (experimental; much larger state space)")


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def add_explorer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--explorer", choices=EXPLORERS, default="native",
                   help="native: generated C over packed states (the default; the Python"
                        " explorer is used where no C compiler is found); python: the"
                        " reference explorer")
    p.add_argument("--workers", type=int_arg("--workers", 1, 256), default=None, metavar="N",
                   help="threads for the native explorer (default: the cores available)")


def config_of(args: argparse.Namespace) -> Config:
    return Config(args.model, args.failures, args.pages, getattr(args, "preempt", False))


def load(config: Config) -> Built:
    try:
        return build(config)
    except ModelError as exc:
        raise UsageError(str(exc)) from None


@cache
def known_property_names() -> tuple[str, ...]:
    """Every built-in property name (of the richest built-in configuration)."""
    return tuple(p.name for p in load(Config(pages=1, preempt=True)).properties)


def select(built: Built, names: list[str] | None) -> list[Property]:
    """The named properties of the built model (all of them when none are named)."""
    if not names:
        return list(built.properties)
    out = []
    for name in names:
        prop = built.property(name)
        if prop is not None:
            out.append(prop)
            continue
        if name in known_property_names():
            raise UsageError(f"property {name!r} does not apply to {built.config.describe()}"
                             + (" (it needs pages: --pages 1 or more)"
                                if built.config.pages == 0 else ""))
        known = sorted({*known_property_names(), *(p.name for p in built.properties)})
        raise UsageError(f"unknown property {name!r} (known: {', '.join(known)})")
    return out

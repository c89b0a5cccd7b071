"""`migcheck trace FILE`: draw a saved counterexample as lanes (threads, channel, admin)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from migcheck.checker.trace import load
from migcheck.checker.views import lanes
from migcheck.cli import UsageError
from migcheck.commands.options import int_arg

HELP = "show a saved counterexample (ITF JSON) as lanes, one row per step"
MIN_WIDTH, MAX_WIDTH = 60, 1000


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a trace saved by `migcheck check` (*.itf.json)")
    p.add_argument("--diff", action="store_true",
                   help="only what changes at each step (no full initial / final state)")
    p.add_argument("--width", type=int_arg("--width", MIN_WIDTH, MAX_WIDTH), default=None,
                   metavar="N",
                   help="columns to fit (default: the terminal's, or 100)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colours: auto = on a terminal unless NO_COLOR is set")


def use_colour(choice: str) -> bool:
    """Colour only on a terminal and without NO_COLOR (https://no-color.org), unless forced."""
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    trace = load(args.file)
    if not trace.steps:
        raise UsageError(f"{args.file}: the trace has no states")
    width = args.width
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100
        width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    sys.stdout.write(lanes.render(trace, width=width, colour=use_colour(args.color),
                                  diff_only=args.diff, path=str(args.file)))
    return 0

"""`migcheck trace FILE`: draw a saved counterexample as lanes (threads, channel, admin).

Any ITF trace is shown (Apalache's and Quint's too: sets, maps, records, lists); migcheck's
own carry the step metadata (actors, actions, blocked threads) that makes the lanes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from migcheck.checker.trace import load
from migcheck.checker.views import lanes
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import int_arg

HELP = "show a saved counterexample (any ITF JSON trace) as lanes, one row per step"
MIN_WIDTH = 60
MAX_WIDTH = terminal.MAX_WIDTH


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path,
                   help="an ITF trace, e.g. one saved by `migcheck check` (*.itf.json)")
    p.add_argument("--diff", action="store_true",
                   help="only what changes at each step (no full initial / final state)")
    p.add_argument("--width", type=int_arg("--width", MIN_WIDTH, MAX_WIDTH), default=None,
                   metavar="N",
                   help="columns to fit (default: COLUMNS, the terminal's width, or 100)")


def run(args: argparse.Namespace) -> int:
    trace = load(args.file)
    if not trace.steps:
        raise UsageError(f"{args.file}: the trace has no states")
    width = max(terminal.width(args.width), MIN_WIDTH)
    sys.stdout.write(lanes.render(trace, width=width,
                                  colour=terminal.use_colour(args.color),
                                  diff_only=args.diff, path=str(args.file)))
    return 0

"""`migcheck trace FILE`: draw a saved counterexample as lanes (threads, channel, admin).

Any ITF trace is shown (Apalache's and Quint's too: sets, maps, records, lists); migcheck's
own carry the step metadata (actors, actions, blocked threads) that makes the lanes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from migcheck.checker.compile import CompiledModel
from migcheck.checker.kinds import Invariant
from migcheck.checker.promela import header_config
from migcheck.checker.spin import TrailError, replay_actions, to_trace
from migcheck.checker.trace import Trace, load
from migcheck.checker.views import lanes
from migcheck.cli import UsageError
from migcheck.commands import terminal
from migcheck.commands.options import int_arg, load as load_model
from migcheck.model.config import Config

HELP = ("show a saved counterexample (any ITF JSON trace, or a SPIN trail of an exported"
        " model) as lanes, one row per step")
MIN_WIDTH = 60
MAX_WIDTH = terminal.MAX_WIDTH


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path,
                   help="an ITF trace, e.g. one saved by `migcheck check` (*.itf.json), or"
                        " SPIN's trail of `migcheck export` (*.pml.trail)")
    p.add_argument("--diff", action="store_true",
                   help="only what changes at each step (no full initial / final state)")
    p.add_argument("--width", type=int_arg("--width", MIN_WIDTH, MAX_WIDTH), default=None,
                   metavar="N",
                   help="columns to fit (default: COLUMNS, the terminal's width, or 100)")


def from_trail(trail: Path) -> Trace:
    """SPIN's trail of an exported model, replayed through the model its header names."""
    pml = trail.with_suffix("")
    try:
        config = header_config(pml.read_text())
    except OSError as exc:
        raise UsageError(f"{trail}: the exported model {pml} cannot be read ({exc.strerror})")\
            from None
    if not config:
        raise UsageError(f"{pml}: not a model exported by `migcheck export`")
    try:
        built = load_model(Config(config["model"], int(config["failures"]),
                                  int(config["pages"]), config.get("preempt") == "1"))
        invariants = [p for p in built.properties if isinstance(p, Invariant)]
        return to_trace(CompiledModel(built.model), replay_actions(pml), invariants, str(trail))
    except (KeyError, ValueError) as exc:
        raise UsageError(f"{pml}: a malformed migcheck-export header ({exc})") from None
    except TrailError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    trace = from_trail(args.file) if args.file.suffix == ".trail" else load(args.file)
    if not trace.steps:
        raise UsageError(f"{args.file}: the trace has no states")
    width = max(terminal.width(args.width), MIN_WIDTH)
    sys.stdout.write(lanes.render(trace, width=width,
                                  colour=terminal.use_colour(args.color),
                                  diff_only=args.diff, path=str(args.file)))
    return 0

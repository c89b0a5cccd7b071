"""`migcheck replay TRACE.json --qemu 7.2|10.0|PATH`: a model counterexample on real QEMU.

Exit 0 when the run ends as the model says ("reproduced"), 1 when it does not ("not
reproduced, recovered" or "not reproduced, diverged"), 2 for bad input or when real QEMU
cannot run here (the reason is printed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from migcheck.checker.files import check_folder
from migcheck.checker.trace import load
from migcheck.cli import UsageError
from migcheck.realqemu.replay import REPLAY_DIR, ReplayError, replay

HELP = "run a model counterexample (ITF JSON) on real QEMU and say whether it reproduces"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace", type=Path, help="a counterexample saved by `migcheck check`")
    p.add_argument("--qemu", required=True, metavar="7.2|10.0|PATH",
                   help="the QEMU to run: an installed version or a qemu-system-x86_64 path")
    p.add_argument("--out", type=Path, default=REPLAY_DIR, metavar="DIR",
                   help=f"where the real trace is saved (default {REPLAY_DIR})")


def run(args: argparse.Namespace) -> int:
    check_folder(args.out, "--out")
    trace = load(args.trace)
    if len(trace.steps) < 2:
        raise UsageError(f"{args.trace}: the trace has no steps to replay")
    try:
        outcome = replay(trace, args.qemu, args.out)
    except (ReplayError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.trace} on QEMU {outcome.qemu}: {outcome.verdict}")
    print(f"  {outcome.detail}")
    print(f"  model end: {_show(outcome.model_end)}; real end: {_show(outcome.real_end)}")
    if outcome.validated is not None:
        state = "accepts" if outcome.validated else "REJECTS"
        print(f"  validate: {outcome.validated_model} {state} the real run"
              f" (migcheck validate {outcome.trace_path} --model {outcome.validated_model})")
    print(f"  real trace: {outcome.trace_path}")
    return 0 if outcome.verdict == "reproduced" else 1


def _show(statuses: dict[str, str]) -> str:
    return ", ".join(f"{side} {status}" for side, status in sorted(statuses.items())) or "-"

"""`migcheck replay TRACE.json --qemu 7.2|10.0|PATH` (being written)."""

from __future__ import annotations

import argparse

from migcheck.cli import UsageError

HELP = "run a model counterexample on real QEMU and say whether it reproduces"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("trace")
    p.add_argument("--qemu", required=True)


def run(args: argparse.Namespace) -> int:
    raise UsageError("replay is not available yet")

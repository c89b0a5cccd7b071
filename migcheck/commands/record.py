"""`migcheck record SCENARIO --qemu 7.2|10.0 --out FILE`: run a real-QEMU scenario.

A thin front for realqemu.record_main (the harness keeps its own exit codes: 0 recorded,
1 the run went other than the scenario says, 2 bad input or QEMU unavailable here).
"""

from __future__ import annotations

import argparse

HELP = "record a real-QEMU postcopy scenario (normal, recover, broken) as a JSON-lines trace"


def configure(p: argparse.ArgumentParser) -> None:
    from migcheck.realqemu import SCENARIOS, VERSIONS

    p.add_argument("scenario", help=f"one of: {', '.join(SCENARIOS)}")
    p.add_argument("--qemu", required=True, help=f"QEMU version: {', '.join(VERSIONS)}")
    p.add_argument("--out", required=True, help="trace file to write (JSON lines)")


def run(args: argparse.Namespace) -> int:
    from migcheck.realqemu import record_main

    return record_main([args.scenario, "--qemu", args.qemu, "--out", args.out])

"""``record(scenario, version, out_path)`` and its command-line form ``record_main(argv)``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from migcheck.checker.files import OutputError, check_writable

from . import scenarios
from .binaries import VERSIONS, find_qemu, unavailable_reason
from .harness import ScenarioError, run_harness
from .trace import TraceWriter


class Unavailable(RuntimeError):
    """Real QEMU cannot run on this machine (the message says why)."""


@dataclass(frozen=True)
class Recording:
    scenario: str
    version: str
    qemu: str  # full version string of the binary
    path: Path
    seconds: float


def record(scenario: str, version: str, out_path: str | Path) -> Recording:
    """Run ``scenario`` on real QEMU ``version`` and write its trace to ``out_path``.

    Raises ValueError for an unknown scenario or version, OutputError for an output path
    that cannot be written (before QEMU starts), Unavailable when QEMU cannot run
    here, ScenarioError when the run went other than the scenario says (the trace written
    so far is kept, ending in an ``error`` and an ``end`` mark).
    """
    steps = scenarios.build(scenario, version)
    check_writable(out_path, "--out")
    reason = unavailable_reason(version)
    if reason:
        raise Unavailable(reason)
    build = find_qemu(version)
    qemu = build.version_string()
    out_path = Path(out_path)
    with (
        tempfile.TemporaryDirectory(prefix=f"migcheck-{scenario}-{version}-") as d,
        TraceWriter(out_path) as trace,
    ):
        trace.mark("start", scenario=scenario, qemu=version, version=qemu, binary=str(build.binary))
        run_harness(build, list(steps), trace, Path(d))
        seconds = trace.now()
    return Recording(scenario, version, qemu, out_path, seconds)


def record_main(argv: list[str] | None = None) -> int:
    """``record SCENARIO --qemu VERSION --out FILE``; 0 ok, 1 run failed, 2 bad input."""
    p = argparse.ArgumentParser(
        prog="migcheck record",
        description="Record a real-QEMU postcopy scenario as a JSON-lines trace.",
    )
    p.add_argument("scenario", help=f"one of: {', '.join(scenarios.SCENARIOS)}")
    p.add_argument("--qemu", required=True, help=f"QEMU version: {', '.join(VERSIONS)}")
    p.add_argument("--out", required=True, help="trace file to write (JSON lines)")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # argparse already printed its one-line usage error
        return 0 if e.code == 0 else 2
    if args.scenario not in scenarios.SCENARIOS:
        print(
            f"migcheck record: unknown scenario {args.scenario!r} "
            f"(expected one of {', '.join(scenarios.SCENARIOS)})",
            file=sys.stderr,
        )
        return 2
    if args.qemu not in VERSIONS:
        print(
            f"migcheck record: unknown QEMU version {args.qemu!r} "
            f"(expected one of {', '.join(VERSIONS)})",
            file=sys.stderr,
        )
        return 2
    try:
        rec = record(args.scenario, args.qemu, args.out)
    except OutputError as e:
        print(f"migcheck record: {e}", file=sys.stderr)
        return 2
    except Unavailable as e:
        print(f"migcheck record: real QEMU {args.qemu} unavailable: {e}", file=sys.stderr)
        return 2
    except ScenarioError as e:
        print(
            f"migcheck record: {args.scenario} on QEMU {args.qemu} failed: {e} "
            f"(partial trace in {args.out})",
            file=sys.stderr,
        )
        return 1
    print(f"{rec.path}: {rec.scenario} on {rec.qemu} ({rec.seconds:.1f} s)")
    return 0

"""z3 proof times per property: `python benchmarks/prove.py [--model NAME] [--save-baseline]`.

One `prove` run: the table prints each property's verdict, method and seconds, the time spent
learning the invariant they share, and the ratio to the stored baseline
(benchmarks/baselines/prove.json; times on these shared machines are noisy, so compare
ratios, and re-save the baseline on the machine you compare on).  With --path-bound,
recover-exits is proved a second time in the same run by the older method (a z3 bound on
paths inside RECOVER), so the two liveness methods can be compared as a ratio too.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from migcheck.build import build
from migcheck.checker.z3.prover import run_prove
from migcheck.model.config import Config

BASELINE = Path(__file__).parent / "baselines" / "prove.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qemu-8.2")
    parser.add_argument("--failures", type=int, default=2)
    parser.add_argument("--path-bound", action="store_true",
                        help="also time recover-exits by the path bound (minutes)")
    parser.add_argument("--save-baseline", action="store_true",
                        help=f"store this run's times as the baseline ({BASELINE})")
    args = parser.parse_args()
    built = build(Config(args.model, args.failures, pages=0))
    started = time.perf_counter()
    report = run_prove(built.model, list(built.properties))
    total = time.perf_counter() - started
    times = {r.name: r.seconds for r in report.results} | {"(total)": total}
    key = f"{args.model} failures={args.failures}"
    baseline = json.loads(BASELINE.read_text()).get(key, {}) if BASELINE.exists() else {}
    table = Table(title=f"z3 proofs on {built.model.name} (unbounded in the number of"
                        " failures)")
    for col in ("property", "verdict", "method", "seconds", "x baseline"):
        table.add_column(col, justify="right" if col in ("seconds", "x baseline") else "left")

    def ratio(name: str, seconds: float) -> str:
        old = baseline.get(name)
        return f"{seconds / old:.2f}" if old else "-"

    for r in report.results:
        table.add_row(r.name, r.verdict.value, r.method, f"{r.seconds:.1f}",
                      ratio(r.name, r.seconds))
    table.add_row("(total)", "", "", f"{total:.1f}", ratio("(total)", total))
    if args.path_bound:
        live = [p for p in built.properties if p.name == "recover-exits"]
        for r in run_prove(built.model, live, liveness_by="path-bound").results:
            table.add_row(f"{r.name} (path bound)", r.verdict.value, r.method,
                          f"{r.seconds:.1f}", "-")
    Console(width=130).print(table)
    for note in report.notes:
        print(note)
    if args.save_baseline:
        stored = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
        stored[key] = {name: round(s, 3) for name, s in times.items()}
        stored["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"baseline saved to {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

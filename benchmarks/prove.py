"""z3 proof times per property: `python benchmarks/prove.py [--model NAME]`.

One `prove` run: the table prints each property's verdict, method and seconds, and the time
spent learning the invariant they share.  With --path-bound, recover-exits is proved a second
time in the same run by the older method (a z3 bound on paths inside RECOVER), so the two
liveness methods can be compared as a ratio.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from migcheck import properties
from migcheck.checker.z3.prover import run_prove
from migcheck.model.versions import build_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qemu-8.2")
    parser.add_argument("--failures", type=int, default=2)
    parser.add_argument("--path-bound", action="store_true",
                        help="also time recover-exits by the path bound (minutes)")
    args = parser.parse_args()
    model = build_model(args.model, args.failures)
    props = [p for p in properties.ALL if p.applies_to(model)]
    report = run_prove(model, props)
    table = Table(title=f"z3 proofs on {model.name} (unbounded in the number of failures)")
    for col in ("property", "verdict", "method", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    table.add_row("(shared invariant)", "learned", f"{report.lemmas} lemmas",
                  f"{report.invariant_seconds:.1f}")
    for r in report.results:
        table.add_row(r.property.name, r.status, r.method, f"{r.seconds:.1f}")
    if args.path_bound:
        live = [p for p in props if p.name == "recover-exits"]
        for r in run_prove(model, live, liveness_by="path-bound").results:
            table.add_row(r.property.name, r.status, r.method, f"{r.seconds:.1f}")
    Console(width=120).print(table)
    print(f"invariant: {report.lemmas} lemmas ({report.learned} learned); "
          f"total {report.seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Explorer throughput: `python benchmarks/explore.py [--save] [--python]`.

Per model and bound: states, transitions, CPU seconds (all threads), wall seconds and states
per CPU second of the native explorer (one worker, then two: the wall seconds show the
speed-up, the CPU seconds its cost), and with --python of the pure-Python explorer (the fallback)
on the smaller rows; every row in a fresh process.  The "vs base" column is the baseline's CPU
seconds over this run's (benchmarks/explore.baseline.json, written by --save): above 1.0 this
run is faster.  The "x python" column: the Python explorer's CPU seconds over the native one's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measure import last_json, load_baseline, machine, python, save_baseline, today
from rich.console import Console
from rich.table import Table

BASELINE = Path(__file__).with_name("explore.baseline.json")
ROWS = [("qemu-8.2", 1, 0), ("qemu-8.2", 2, 0), ("qemu-7.2", 2, 0), ("qemu-8.2", 1, 1),
        ("qemu-8.2", 2, 2), ("qemu-8.2", 2, 3)]
PYTHON_UP_TO = 400_000  # states: larger rows take minutes in the Python explorer

CODE = """
import json, time
from migcheck.build import build
from migcheck.model.config import Config
from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import explore
from migcheck.checker.native.explorer import compile_native, explore_native
c = CompiledModel(build(Config({version!r}, {failures}, {pages}, False)).model)
if {engine!r} == "python":
    _ = c.successors
    t = time.process_time()
    g = explore(c)
else:
    compile_native(c)
    t = time.process_time()
    g = explore_native(c, workers={workers})
cpu = time.process_time() - t
assert g.complete
print(json.dumps({{"states": g.n, "transitions": g.transitions, "cpu": cpu,
                  "wall": g.seconds}}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", action="store_true", help="store this run as the baseline")
    parser.add_argument("--python", action="store_true",
                        help=f"also the Python explorer (rows up to {PYTHON_UP_TO:,} states)")
    args = parser.parse_args()
    base = load_baseline(BASELINE).get("rows", {})
    results: dict[str, dict] = {}
    table = Table(title=f"explicit-state exploration ({today()}, {machine()})")
    for col in ("model", "failures", "pages", "explorer", "states", "transitions", "CPU s",
                "wall s", "states / CPU s", "x python", "vs base"):
        table.add_column(col, justify="left" if col in ("model", "explorer") else "right")
    for version, failures, pages in ROWS:
        engines = [("native", 1), ("native", 2)]
        for engine, workers in engines:
            key = f"{version} {failures} {pages} {engine} {workers}"
            r = last_json(python(CODE.format(version=version, failures=failures, pages=pages,
                                             engine=engine, workers=workers)))
            results[key] = r
        if args.python and results[key]["states"] <= PYTHON_UP_TO:
            key = f"{version} {failures} {pages} python 1"
            results[key] = last_json(python(CODE.format(
                version=version, failures=failures, pages=pages, engine="python", workers=1)))
            engines.append(("python", 1))
        py = results.get(f"{version} {failures} {pages} python 1")
        for engine, workers in engines:
            key = f"{version} {failures} {pages} {engine} {workers}"
            r = results[key]
            old = base.get(key, {}).get("cpu")
            cpu = max(r["cpu"], 1e-6)
            name = f"{engine}, {workers} worker{'s' if workers > 1 else ''}"
            table.add_row(version, str(failures), str(pages), name, f"{r['states']:,}",
                          f"{r['transitions']:,}", f"{r['cpu']:.2f}", f"{r['wall']:.2f}",
                          f"{r['states'] / cpu:,.0f}",
                          f"{py['cpu'] / cpu:.1f}" if py and engine == "native" else "",
                          f"{old / cpu:.2f}" if old else "")
        table.add_section()
    Console(width=150).print(table)
    if args.save:
        save_baseline(BASELINE, results)
        print(f"saved as the baseline: {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""migcheck against SPIN on the identical model: `python benchmarks/vs_spin.py [--big] [--save]`.

For each bound (pages, failures) the model is exported to Promela (`migcheck export`) and run
through SPIN 6 with its default exact storage, with COLLAPSE compression (exact) and with
HC4 hash compaction (NOT exact: states can be lost to collisions), each with the state
invariants as assertions.  migcheck runs its native explorer watching the same invariants
("explore", the identical work) and the whole `check` with every property decided.  The state
counts must agree exactly (the script stops if they do not).

Columns: CPU seconds of the process doing the search (SPIN: pan alone, after compiling;
migcheck: the exploration, or the whole check, inside one Python process, the C code already
cached), its peak resident memory, and bytes per state: what the explorer keeps per state
(migcheck: packed states, state table, parent links and the edges the property decisions
need; SPIN: its "actual memory usage for states", which holds no edges).  The ratio is
SPIN's CPU seconds over migcheck's for the same states: above 1.0, migcheck explores more
states per CPU second.

--save stores this run as the baseline (benchmarks/vs_spin.baseline.json); every run prints
its CPU seconds against the baseline's (the "vs base" column: base / now, above 1.0 faster).
One core: `--workers 1` throughout.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from pathlib import Path

from measure import last_json, load_baseline, machine, python, run, save_baseline, today
from rich.console import Console
from rich.table import Table

from migcheck.checker.spin import verify

BASELINE = Path(__file__).with_name("vs_spin.baseline.json")
ROWS = [(2, 1), (2, 2), (3, 2)]
BIG = [(3, 3), (4, 1)]
SPIN = {"SPIN default": ("-O2",), "SPIN COLLAPSE": ("-O2", "-DCOLLAPSE"),
        "SPIN HC4": ("-O2", "-DHC4")}

EXPLORE = """
import json, time
from migcheck.build import build
from migcheck.model.config import Config
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import watched
from migcheck.checker.kinds import Invariant
from migcheck.checker.native.explorer import compile_native, explore_native
b = build(Config("qemu-8.2", {failures}, {pages}, False))
c = CompiledModel(b.model)
watch = watched([p for p in b.properties if isinstance(p, Invariant)])
compile_native(c, watch)
t = time.process_time()
g = explore_native(c, workers=1, watch=watch)
cpu = time.process_time() - t
assert g.complete and all(v is None for v in g.watched.values())
print(json.dumps({{"states": g.n, "transitions": g.transitions, "cpu": cpu,
                  "bytes": g.bytes_stored()}}))
"""

CHECK = """
import json, time
from migcheck.build import build
from migcheck.model.config import Config
from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import evaluated, watched
from migcheck.checker.native.explorer import compile_native, marking
from migcheck.checker.runner import run_check
b = build(Config("qemu-8.2", {failures}, {pages}, False))
props = list(b.properties)
compile_native(CompiledModel(b.model), marking(watched(props), evaluated(props, b.model)))
t = time.process_time()
r = run_check(b.model, props, workers=1)
cpu = time.process_time() - t
assert r.coverage.complete and r.ok, [x.name for x in r.results if not x.verdict.ok]
print(json.dumps({{"states": r.coverage.states, "transitions": r.coverage.transitions,
                  "cpu": cpu}}))
"""


def spin_run(pml: Path, cc_flags: tuple[str, ...], states: int) -> dict:
    r = verify(pml, cc_flags, hash_bits=max(24, math.ceil(math.log2(states * 2))))
    if r.errors:
        raise RuntimeError(f"SPIN found an error:\n{r.output[-2000:]}")
    return {"states": r.stored, "transitions": r.transitions, "cpu": r.cpu_seconds,
            "peak": r.peak_rss_mb, "bytes": r.state_bytes}


def measure(pages: int, failures: int) -> dict[str, dict]:
    out: dict[str, dict] = {}
    explore = python(EXPLORE.format(pages=pages, failures=failures))
    out["migcheck explore"] = {**last_json(explore), "peak": explore.peak_mb}
    out["migcheck explore"]["bytes"] /= out["migcheck explore"]["states"]
    check = python(CHECK.format(pages=pages, failures=failures))
    out["migcheck check"] = {**last_json(check), "peak": check.peak_mb}
    states = out["migcheck explore"]["states"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        done = run([sys.executable, "-m", "migcheck.cli", "export", "qemu-8.2", "--pages",
                    str(pages), "--failures", str(failures), "-o", str(folder / "model.pml")])
        if done.code != 0:
            raise RuntimeError(done.output)
        for name, flags in SPIN.items():
            out[name] = spin_run(folder / "model.pml", flags, states)
    for name in ("migcheck check", "SPIN default", "SPIN COLLAPSE"):
        if out[name]["states"] != states:
            raise RuntimeError(f"{name} has {out[name]['states']:,} states, migcheck {states:,}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big", action="store_true", help=f"also the bounds {BIG}")
    parser.add_argument("--save", action="store_true", help="store this run as the baseline")
    parser.add_argument("--rows", help="bounds to run, as pages,failures;pages,failures")
    args = parser.parse_args()
    if shutil.which("spin") is None:
        print("vs_spin: spin is not installed", file=sys.stderr)
        return 2
    rows = ROWS + (BIG if args.big else [])
    if args.rows:
        rows = [tuple(int(x) for x in r.split(",")) for r in args.rows.split(";")]  # type: ignore[misc]
    base = load_baseline(BASELINE).get("rows", {})
    results: dict[str, dict] = {}
    table = Table(title=f"qemu-8.2: migcheck vs SPIN, one core ({today()}, {machine()})")
    for col in ("pages, failures", "engine", "states", "transitions", "CPU s", "peak MB",
                "B/state", "SPIN CPU / this", "vs base"):
        table.add_column(col, justify="left" if col == "engine" else "right")
    for pages, failures in rows:
        found = measure(pages, failures)
        spin_cpu = found["SPIN default"]["cpu"]
        for name, r in found.items():
            key = f"{pages},{failures} {name}"
            results[key] = r
            old = base.get(key, {}).get("cpu")
            table.add_row(f"{pages}, {failures}", name, f"{r['states']:,}",
                          f"{r['transitions']:,}", f"{r['cpu']:.2f}", f"{r['peak']:,.0f}",
                          f"{r['bytes']:.0f}" if "bytes" in r else "",
                          f"{spin_cpu / r['cpu']:.2f}", f"{old / r['cpu']:.2f}" if old else "")
        table.add_section()
    Console(width=150).print(table)
    for pages, failures in rows:
        r = results[f"{pages},{failures} migcheck explore"]
        s = results[f"{pages},{failures} SPIN default"]
        print(f"pages {pages}, failures {failures}: migcheck explores {s['cpu'] / r['cpu']:.1f}x"
              f" SPIN's states per CPU second, {r['bytes']:.0f} bytes per state with the graph"
              f" (SPIN {s['bytes']:.0f} without)")
    if args.save:
        save_baseline(BASELINE, results)
        print(f"saved as the baseline: {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

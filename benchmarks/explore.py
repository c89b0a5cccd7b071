"""Explorer throughput: states, transitions, seconds and states/s per model and bound.

Run `python benchmarks/explore.py`.  Times are noisy on shared machines; compare the rows of
one run with each other rather than with another day's numbers.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table

from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import explore
from migcheck.model.versions import build_model

ROWS = [("qemu-8.2", k) for k in (1, 2, 3)] + [("qemu-7.2", 2)]
PAGE_ROWS = [(n, k) for n in (1, 2, 3, 4) for k in (1, 2)]  # growth with --pages N
PAGE_CAP = 3_000_000  # larger rows stop here and print ">= states" (memory on shared machines)


def measure_pages(n: int, failures: int) -> tuple[str, int, float]:
    compiled = CompiledModel(build_model("qemu-8.2", failures, pages=n))
    _ = compiled.successors
    started = time.perf_counter()
    graph = explore(compiled, max_states=PAGE_CAP)
    count = f"{len(graph.states):,}" if graph.complete else f">= {len(graph.states):,}"
    return count, graph.transitions, time.perf_counter() - started


def measure(name: str, failures: int, **params: object) -> tuple[int, int, float]:
    model = build_model(name, failures, **params)
    compiled = CompiledModel(model)
    _ = compiled.successors  # compile outside the timed part
    started = time.perf_counter()
    graph = explore(compiled)
    return len(graph.states), graph.transitions, time.perf_counter() - started


def main() -> int:
    table = Table(title="explicit-state exploration (one core)")
    for col in ("model", "failures", "states", "transitions", "seconds", "states/s"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, k in ROWS:
        states, transitions, seconds = measure(name, k)
        table.add_row(name, str(k), f"{states:,}", f"{transitions:,}", f"{seconds:.2f}",
                      f"{states / seconds:,.0f}")
    Console(width=120).print(table)
    pages = Table(title="qemu-8.2 with pages (--pages N), one core")
    for col in ("pages", "failures", "states", "transitions", "seconds", "states/s"):
        pages.add_column(col, justify="right")
    for n, k in PAGE_ROWS:
        count, transitions, seconds = measure_pages(n, k)
        rate = int(count.lstrip(">= ").replace(",", "")) / seconds
        pages.add_row(str(n), str(k), count, f"{transitions:,}", f"{seconds:.2f}",
                      f"{rate:,.0f}")
    Console(width=120).print(pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A live progress display for a run, on a terminal: through the phases, then the final numbers.

    ⠹ exploring  412,306 states  depth 57  frontier 88,120  81,904/s  5.0s  812 MB
    ⠼ deciding 3 of 18: admin-can-escape  710,713 states  depth 81  12.4s  1.3 GB
    ✓ 710,713 states (depth 81) in 8.7s, 18 properties in 10.9s, 19.8s in all, 1.3 GB

Any explorer drives it by calling the display itself as its `Progress` (`display(graph,
elapsed)`, at most every half second, so the explorer's loop pays nothing in between); an
engine's later phases call `phase(text)` and, per property, `deciding(i, n, name)`.  The
numbers are copied when the engine reports them; the clock and memory are read when the
line is redrawn (four times a second, on rich's refresh thread), so the line keeps moving
while a long decision runs.  Not on a terminal, nothing is drawn.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from migcheck.checker.explore import Graph

SEP = "  "


def memory_bytes() -> int:
    """This process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def show_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@dataclass
class Snapshot:
    """What the engine last reported."""

    states: int = 0
    transitions: int = 0
    depth: int = 0
    frontier: int = 0
    explore_seconds: float = 0.0
    phase: str = "starting"
    properties: int = 0


class _Line:
    """The renderable the live display redraws: reads the clock and memory each time."""

    def __init__(self, display: RunProgress) -> None:
        self.display = display

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.display.line()


class RunProgress:
    """Use as a context manager around a run; pass it as the explorer's `progress`."""

    def __init__(self, console: Console, enabled: bool | None = None) -> None:
        self.console = console
        self.enabled = console.is_terminal if enabled is None else enabled
        self.snap = Snapshot()
        self.started = time.perf_counter()
        self.decide_started: float | None = None
        self.spinner = Spinner("dots", text=_Line(self))
        self.live: Live | None = None

    # ------------------------------------------------------------ what engines call
    def __call__(self, graph: Graph, elapsed: float) -> None:
        s = self.snap
        s.states, s.transitions, s.depth = graph.n, graph.transitions, graph.max_depth
        s.frontier = max(graph.n - graph.expanded, 0)
        s.explore_seconds = elapsed
        s.phase = "exploring"

    def phase(self, text: str) -> None:
        self.snap.phase = text

    def deciding(self, i: int, n: int, name: str) -> None:
        if self.decide_started is None:
            self.decide_started = time.perf_counter()
        self.snap.properties = n
        self.snap.phase = f"deciding {i} of {n}: {name}"

    # ------------------------------------------------------------ drawing
    def line(self) -> Text:
        """The phase and the numbers; on a narrow terminal the least telling numbers go
        first (frontier, rate, depth), never the phase, the states or the clock."""
        s = self.snap
        elapsed = time.perf_counter() - self.started
        parts = [(0, s.phase), (0, f"{s.states:,} states"), (3, f"depth {s.depth}")]
        if s.phase == "exploring":
            rate = s.states / s.explore_seconds if s.explore_seconds else 0.0
            parts += [(5, f"frontier {s.frontier:,}"), (4, f"{rate:,.0f}/s")]
        parts += [(1, f"{elapsed:.1f}s"), (2, show_bytes(memory_bytes()))]
        room = self.console.width - 3  # the spinner and a margin
        while len(SEP.join(p for _, p in parts)) > room and max(k for k, _ in parts) > 0:
            worst = max(k for k, _ in parts)
            parts = [(k, p) for k, p in parts if k != worst]
        text = Text(SEP.join(p for _, p in parts), no_wrap=True, overflow="ellipsis")
        text.stylize("bold", 0, len(s.phase))
        return text

    def final_line(self) -> Text:
        """`✓ 710,713 states (depth 81) in 8.7s, 18 properties in 10.9s, 19.8s in all, 1.3 GB`"""
        s = self.snap
        elapsed = time.perf_counter() - self.started
        text = Text("✓ ", style="bold green")
        text.append(f"{s.states:,} states (depth {s.depth}) in {s.explore_seconds:.1f}s")
        if self.decide_started is not None:
            noun = "property" if s.properties == 1 else "properties"
            text.append(f", {s.properties} {noun} in"
                        f" {time.perf_counter() - self.decide_started:.1f}s")
        text.append(f", {elapsed:.1f}s in all, {show_bytes(memory_bytes())}")
        return text

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self.live = Live(self.spinner, console=self.console, refresh_per_second=4,
                             transient=True)
            self.live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.live is None:
            return
        self.live.stop()
        self.live = None
        if kind is None and self.snap.states:
            self.console.print(self.final_line())

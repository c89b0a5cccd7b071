"""Exhaustive breadth-first exploration into an explicit state graph.

States are stored exactly (no hash compaction, so no collision can hide a state).  Indices are
handed out in BFS order and every state keeps the edge that first reached it, so the path back
to the initial state is a shortest one.

`Graph` is what every explorer hands to the property decisions (`decide`): this pure-Python
one and the native one over packed states implement it.
"""

from __future__ import annotations

import operator
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from migcheck.checker.compile import CompiledModel, DomainError, State

Path = list[tuple[int | None, int]]  # (action that led here or None, state index)


@dataclass(frozen=True)
class Arrays:
    """The graph as parallel int64 arrays: edges (src -> dst by act), per-state depth and the
    bitmask of fair actors enabled there."""

    src: np.ndarray
    dst: np.ndarray
    act: np.ndarray
    depth: np.ndarray
    fair_enabled: np.ndarray


class Graph(Protocol):
    complete: bool
    interrupted: bool
    expanded: int  # states whose successors were computed (all of them when complete)
    seconds: float
    self_loops: int
    domain_error: DomainError | None  # exploration stopped at an out-of-domain assignment

    @property
    def n(self) -> int: ...

    @property
    def transitions(self) -> int: ...

    @property
    def max_depth(self) -> int: ...

    def state(self, i: int) -> State: ...

    def path_to(self, target: int) -> Path: ...

    def arrays(self) -> Arrays: ...

    def project(self, cols: tuple[int, ...]) -> tuple[np.ndarray, list[tuple]]:
        """Each state's values at `cols` as an int code, and the distinct projections (the
        code indexes this list)."""
        ...


# What an explorer calls now and then while it runs (at most every `every` seconds, with
# `expanded` up to date), and once more when it is done: the graph so far and the seconds
# since it started.  n, transitions, max_depth and expanded must be cheap to read.
Progress = Callable[[Graph, float], None]


def _int64(data: array) -> np.ndarray:
    return np.frombuffer(data, dtype=np.int64) if len(data) else np.zeros(0, dtype=np.int64)


@dataclass
class StateGraph:
    """The reachable graph. Self-loops (refused commands, stutters) are counted, not stored."""

    compiled: CompiledModel
    states: list[State] = field(default_factory=list)
    index: dict[State, int] = field(default_factory=dict)
    parent: array = field(default_factory=lambda: array("q"))
    parent_action: array = field(default_factory=lambda: array("q"))
    depth: array = field(default_factory=lambda: array("q"))
    edge_src: array = field(default_factory=lambda: array("q"))
    edge_dst: array = field(default_factory=lambda: array("q"))
    edge_action: array = field(default_factory=lambda: array("q"))
    fair_enabled: array = field(default_factory=lambda: array("q"))  # bitmask per state
    self_loops: int = 0
    expanded: int = 0
    complete: bool = False
    interrupted: bool = False
    seconds: float = 0.0
    domain_error: DomainError | None = None

    @property
    def n(self) -> int:
        return len(self.states)

    @property
    def transitions(self) -> int:
        return len(self.edge_src) + self.self_loops

    @property
    def max_depth(self) -> int:
        return self.depth[-1] if self.depth else 0  # BFS order: depths never decrease

    def state(self, i: int) -> State:
        return self.states[i]

    def path_to(self, target: int) -> Path:
        """[(action, state), ...] from the initial state to `target` (shortest)."""
        path: Path = []
        node = target
        while node != -1:
            action = self.parent_action[node]
            path.append((action if action >= 0 else None, node))
            node = self.parent[node]
        path.reverse()
        return path

    def arrays(self) -> Arrays:
        return Arrays(_int64(self.edge_src), _int64(self.edge_dst), _int64(self.edge_action),
                      _int64(self.depth), _int64(self.fair_enabled))

    def project(self, cols: tuple[int, ...]) -> tuple[np.ndarray, list[tuple]]:
        if not cols:
            keys: list = [()] * self.n
        elif len(cols) == 1:
            c = cols[0]
            keys = [(s[c],) for s in self.states]
        else:
            keys = list(map(operator.itemgetter(*cols), self.states))
        table: dict = {}
        code = np.fromiter((table.setdefault(k, len(table)) for k in keys),
                           dtype=np.int64, count=self.n)
        return code, list(table)


def explore(
    compiled: CompiledModel,
    progress: Progress | None = None,
    every: float = 0.5,
    max_states: int | None = None,
) -> StateGraph:
    """Build the whole reachable graph (stops early on Ctrl-C, at max_states, or at an
    assignment outside a variable's domain, and says so)."""
    graph = StateGraph(compiled)
    successors = compiled.successors
    actor_bit = [1 << a for a in compiled.action_actor]
    fair_mask = sum(1 << a for a in compiled.fair_actors)
    states, index = graph.states, graph.index
    parent, parent_action, depth = graph.parent, graph.parent_action, graph.depth
    esrc, edst, eact, fair_enabled = (graph.edge_src, graph.edge_dst, graph.edge_action,
                                      graph.fair_enabled)
    init = compiled.model.initial()
    states.append(init)
    index[init] = 0
    parent.append(-1)
    parent_action.append(-1)
    depth.append(0)
    started = last = time.perf_counter()
    loops = 0
    i = 0
    try:
        while i < len(states):
            state = states[i]
            mask = 0
            next_depth = depth[i] + 1
            for action, nxt in successors(state):
                if nxt == state:
                    loops += 1
                    continue
                mask |= actor_bit[action]
                j = index.get(nxt)
                if j is None:
                    j = len(states)
                    index[nxt] = j
                    states.append(nxt)
                    parent.append(i)
                    parent_action.append(action)
                    depth.append(next_depth)
                esrc.append(i)
                edst.append(j)
                eact.append(action)
            fair_enabled.append(mask & fair_mask)
            i += 1
            if progress is not None and not (i & 1023):
                now = time.perf_counter()
                if now - last >= every:
                    last = now
                    graph.self_loops = loops
                    graph.expanded = i
                    progress(graph, now - started)
            if max_states is not None and len(states) > max_states:
                break
        else:
            graph.complete = True
    except KeyboardInterrupt:
        graph.interrupted = True
    except DomainError as exc:
        graph.domain_error = exc.at(i)
    graph.self_loops = loops
    graph.expanded = i
    graph.seconds = time.perf_counter() - started
    return graph

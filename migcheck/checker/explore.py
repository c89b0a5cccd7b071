"""Exhaustive breadth-first exploration into an explicit state graph.

States are stored exactly (a dict from state tuple to index; no hash compaction, so no
collision can hide a state).  Indices are handed out in BFS order and every state keeps the
edge that first reached it, so the path back to the initial state is a shortest one.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from migcheck.checker.compile import CompiledModel, State

Progress = Callable[["StateGraph", float], None]


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
    expanded: int = 0  # states whose successors were computed (all of them when complete)
    complete: bool = False
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def transitions(self) -> int:
        return len(self.edge_src) + self.self_loops

    @property
    def max_depth(self) -> int:
        return max(self.depth) if self.depth else 0

    def path_to(self, target: int) -> list[tuple[int | None, int]]:
        """[(action, state), ...] from the initial state to `target` (shortest)."""
        path: list[tuple[int | None, int]] = []
        node = target
        while node != -1:
            action = self.parent_action[node]
            path.append((action if action >= 0 else None, node))
            node = self.parent[node]
        path.reverse()
        return path

    def out_edges(self) -> list[list[tuple[int, int]]]:
        """Adjacency: per state, (action, successor) pairs (self-loops excluded)."""
        adj: list[list[tuple[int, int]]] = [[] for _ in self.states]
        for s, d, a in zip(self.edge_src, self.edge_dst, self.edge_action, strict=True):
            adj[s].append((a, d))
        return adj


def explore(
    compiled: CompiledModel,
    progress: Progress | None = None,
    every: float = 0.5,
    max_states: int | None = None,
) -> StateGraph:
    """Build the whole reachable graph (stops early on Ctrl-C or max_states, and says so)."""
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
                    progress(graph, now - started)
            if max_states is not None and len(states) > max_states:
                break
        else:
            graph.complete = True
    except KeyboardInterrupt:
        graph.interrupted = True
    graph.self_loops = loops
    graph.expanded = i
    graph.seconds = time.perf_counter() - started
    return graph

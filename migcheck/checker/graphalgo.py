"""Graph algorithms the property checks need, vectorised with numpy/scipy.

The explored graph is kept as three parallel edge arrays (source, target, action), grouped by
source.  Strongly connected components and reachability run in compiled code (small C
kernels built like the native explorer, or scipy's where no C compiler is found) on a CSR
form built straight from those arrays, so deciding a property on millions of edges takes a
fraction of the exploration time.
"""

from __future__ import annotations

import ctypes
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from migcheck.checker.native.build import GRAPHS, NativeUnavailable, load


@dataclass(frozen=True)
class Csr:
    """A directed graph over nodes 0..n-1: node v's successors are
    indices[indptr[v]:indptr[v + 1]]; `kinds`, if given, labels each edge with a small
    number (the actor that takes it, say)."""

    indptr: np.ndarray  # int64, n + 1
    indices: np.ndarray  # int32
    kinds: np.ndarray | None = None  # uint8, one per edge

    @property
    def n(self) -> int:
        return len(self.indptr) - 1


@cache
def kernels() -> ctypes.CDLL | None:
    """The compiled graph kernels (native/graphs.c), or None where no C compiler is found
    (then scipy's compiled routines do the same work, somewhat slower)."""
    try:
        source = resources.files("migcheck.checker.native").joinpath("graphs.c").read_text()
        return load(source, GRAPHS).lib
    except NativeUnavailable:
        return None


def forward(src: np.ndarray, dst: np.ndarray, n: int) -> Csr:
    """The edges (src[i] -> dst[i]), grouped by source as both explorers store them (see
    `explore.Arrays`), so no sorting is needed."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return Csr(indptr, np.ascontiguousarray(dst, dtype=np.int32))


def _scipy(g: Csr, extra: int = 0) -> csr_matrix:
    data = np.ones(len(g.indices), dtype=np.int8)
    return csr_matrix((data, g.indices, g.indptr), shape=(g.n + extra, g.n + extra))


def _rows(g: Csr) -> np.ndarray:
    return np.repeat(np.arange(g.n, dtype=np.int32), np.diff(g.indptr))


def transpose(g: Csr) -> Csr:
    """The reversed graph (edge kinds follow their edges)."""
    lib = kernels()
    if lib is None:
        order = np.argsort(g.indices, kind="stable")
        indptr = np.zeros(g.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(g.indices, minlength=g.n), out=indptr[1:])
        return Csr(indptr, _rows(g)[order],
                   None if g.kinds is None else g.kinds[order])
    indptr = np.empty(g.n + 1, dtype=np.int64)
    indices = np.empty(len(g.indices), dtype=np.int32)
    kinds = None if g.kinds is None else np.empty(len(g.indices), dtype=np.uint8)
    lib.mc_transpose(g.indptr.ctypes.data, g.indices.ctypes.data, g.n, indptr.ctypes.data,
                     indices.ctypes.data, None if g.kinds is None else g.kinds.ctypes.data,
                     None if kinds is None else kinds.ctypes.data)
    return Csr(indptr, indices, kinds)


def reaches(targets: np.ndarray, reverse: Csr, through: np.ndarray | None = None
            ) -> np.ndarray:
    """Boolean mask of the nodes from which some target node can be reached, given the
    reversed edges (`transpose`).  `targets` is a boolean mask over the nodes; `through`, if
    given, a boolean per edge kind: only edges of those kinds may be taken."""
    n = reverse.n
    if not targets.any():
        return np.zeros(n, dtype=bool)
    lib = kernels()
    if lib is not None:
        out = np.zeros(n, dtype=np.uint8)
        goal = np.ascontiguousarray(targets, dtype=np.uint8)
        allowed = None if through is None else np.zeros(256, dtype=np.uint8)
        if allowed is not None:
            allowed[:len(through)] = through
        if lib.mc_reach(reverse.indptr.ctypes.data, reverse.indices.ctypes.data, n,
                        goal.ctypes.data, out.ctypes.data,
                        None if allowed is None else reverse.kinds.ctypes.data,  # type: ignore[union-attr]
                        None if allowed is None else allowed.ctypes.data):
            raise MemoryError("out of memory in a reachability search")
        return out.view(bool)
    rows, cols = _rows(reverse), reverse.indices
    if through is not None:
        keep = through[reverse.kinds]  # type: ignore[index]
        rows, cols = rows[keep], cols[keep]
    # one BFS from a virtual node n pointing at every target
    goal_nodes = np.flatnonzero(targets).astype(np.int32)
    g = forward(np.concatenate([rows, np.full(len(goal_nodes), n, dtype=np.int32)]),
                np.concatenate([cols, goal_nodes]), n + 1)
    order = breadth_first_order(_scipy(g), n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


def scc_labels(inside: np.ndarray, g: Csr) -> np.ndarray:
    """Component label of every node of the subgraph of the `inside` nodes (nodes outside get
    singleton labels and edges leaving `inside` are ignored)."""
    n = g.n
    lib = kernels()
    if lib is None:
        src = _rows(g)
        keep = inside[src] & inside[g.indices]
        _, labels = connected_components(_scipy(forward(src[keep], g.indices[keep], n)),
                                         directed=True, connection="strong")
        return labels
    labels = np.empty(n, dtype=np.int32)
    mask = np.ascontiguousarray(inside, dtype=np.uint8)
    if lib.mc_scc(g.indptr.ctypes.data, g.indices.ctypes.data, n, mask.ctypes.data,
                  labels.ctypes.data) < 0:
        raise MemoryError("out of memory in a strongly-connected-components search")
    return labels


def fair_components(g: Csr, edge_actor: np.ndarray, inside: np.ndarray, labels: np.ndarray,
                    enabled: np.ndarray, fair_actors: tuple[int, ...]) -> np.ndarray:
    """Per component of the `inside` subgraph (`labels`): can a weakly fair behaviour stay in
    it for ever?  Yes iff every fair actor is disabled at some node of it (`enabled`: per
    node, the bitmask of fair actors enabled there) or takes a step inside it (`edge_actor`:
    per edge, its actor).  A single node without an internal edge is the same test: staying
    there (stuttering) is fair iff no fair actor is enabled there."""
    ncomp = int(labels.max()) + 1 if len(labels) else 0
    lib = kernels()
    if lib is not None:
        out = np.zeros(ncomp, dtype=np.uint8)
        mask = np.ascontiguousarray(inside, dtype=np.uint8)
        actor = np.ascontiguousarray(edge_actor, dtype=np.uint8)
        on = np.ascontiguousarray(enabled, dtype=np.int64)
        lab = np.ascontiguousarray(labels, dtype=np.int32)
        if lib.mc_fair_components(g.indptr.ctypes.data, g.indices.ctypes.data,
                                  actor.ctypes.data, g.n, mask.ctypes.data, lab.ctypes.data,
                                  ncomp, on.ctypes.data, sum(1 << a for a in fair_actors),
                                  out.ctypes.data):
            raise MemoryError("out of memory in a fairness check")
        return out.view(bool)
    src = _rows(g)
    nodes = np.flatnonzero(inside)
    node_comp, on = labels[nodes], enabled[nodes]
    size = np.bincount(node_comp, minlength=ncomp)
    internal = inside[src] & inside[g.indices] & (labels[src] == labels[g.indices])
    edge_comp, actors = labels[src[internal]], edge_actor[internal]
    unfair = np.zeros(ncomp, dtype=bool)  # a fair actor enabled throughout and never moving
    for actor in fair_actors:
        always = np.bincount(node_comp[(on >> actor) & 1 == 1], minlength=ncomp) == size
        moved = np.bincount(edge_comp[actors == actor], minlength=ncomp) > 0
        unfair |= always & ~moved
    return (size > 0) & ~unfair


def unique_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values and, per value, the index of its own among them (as
    np.unique(values, return_inverse=True), in linear time where the kernels are built; the
    distinct values need not be sorted)."""
    lib = kernels()
    if lib is None:
        return np.unique(values, return_inverse=True)
    values = np.ascontiguousarray(values, dtype=np.int64)
    codes = np.empty(len(values), dtype=np.int32)
    distinct = np.empty(max(len(values), 1), dtype=np.int64)
    count = lib.mc_unique(values.ctypes.data, len(values), codes.ctypes.data,
                          distinct.ctypes.data)
    if count < 0:
        raise MemoryError("out of memory while finding distinct values")
    return distinct[:count].copy(), codes


def shortest_path(
    start: int,
    goal: Callable[[int], bool],
    moves: Callable[[int], Iterable[tuple[int, int]]],
) -> list[tuple[int, int]] | None:
    """BFS from `start`: [(action, node), ...] to the first node satisfying `goal`."""
    if goal(start):
        return []
    came: dict[int, tuple[int, int]] = {start: (-1, -1)}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for action, nxt in moves(node):
            if nxt in came:
                continue
            came[nxt] = (node, action)
            if goal(nxt):
                path = []
                while nxt != start:
                    prev, act = came[nxt]
                    path.append((act, nxt))
                    nxt = prev
                path.reverse()
                return path
            queue.append(nxt)
    return None

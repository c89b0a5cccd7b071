"""Graph algorithms the property checks need, vectorised with numpy/scipy.

The explored graph is kept as three parallel edge arrays (source, target, action).  Strongly
connected components and reachability run in scipy's compiled code, so deciding a property
on millions of edges takes a fraction of the exploration time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components


def _matrix(src: np.ndarray, dst: np.ndarray, n: int) -> csr_matrix:
    data = np.ones(len(src), dtype=np.int8)
    return csr_matrix((data, (src, dst)), shape=(n, n))


def reaches(targets: np.ndarray, src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the nodes from which some target node can be reached along the edges
    (src[i] -> dst[i]).  `targets` is a boolean mask of length n."""
    goal = np.flatnonzero(targets)
    if len(goal) == 0:
        return np.zeros(n, dtype=bool)
    # reversed edges, plus a virtual node n pointing at every target: one BFS from it
    rsrc = np.concatenate([dst, np.full(len(goal), n, dtype=dst.dtype)])
    rdst = np.concatenate([src, goal.astype(src.dtype)])
    order = breadth_first_order(_matrix(rsrc, rdst, n + 1), n, directed=True,
                                return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


def scc_labels(inside: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label of every node (nodes outside `inside` get singleton labels and edges
    leaving `inside` are ignored)."""
    n = len(inside)
    keep = inside[src] & inside[dst]
    _, labels = connected_components(_matrix(src[keep], dst[keep], n), directed=True,
                                     connection="strong")
    return labels


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

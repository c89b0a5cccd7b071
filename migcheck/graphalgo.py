"""Graph algorithms the property checks need, on plain index lists (fast enough for 10^6 states)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence


def sccs(nodes: Sequence[int], succ: Callable[[int], Iterable[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components (iterative), over the given node set only."""
    inside = set(nodes)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter([n for n in succ(root) if n in inside]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter([n for n in succ(child) if n in inside])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def backward_reach(
    targets: Iterable[int],
    predecessors: Sequence[Sequence[int]],
) -> set[int]:
    """Every node from which some target can be reached."""
    seen = set(targets)
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for prev in predecessors[node]:
            if prev not in seen:
                seen.add(prev)
                queue.append(prev)
    return seen


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

"""The reachable graph projected onto the model's status variables, as plain data.

Millions of states collapse to a few dozen combinations of the statuses each side reports
(the variables whose changes emit events); an edge says some step moves from one combination
to another, with how many transitions and which actions.  Computed with numpy from any
explorer's `Graph` (so it costs little beside the exploration), carried in the Report, and
drawn by `views.stategraph`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migcheck.checker.explore import Graph
from migcheck.checker.spec import Model


@dataclass(frozen=True)
class Node:
    values: tuple[str, ...]  # one per key
    states: int  # reachable states with these values
    depth: int  # the least BFS depth at which they occur


@dataclass(frozen=True)
class Edge:
    src: int  # node indices
    dst: int
    transitions: int
    actions: tuple[tuple[str, int], ...]  # (action, transitions), most frequent first


@dataclass(frozen=True)
class StatusGraph:
    keys: tuple[str, ...]
    labels: tuple[str, ...]  # what to call each key in a picture (its event side)
    nodes: tuple[Node, ...]  # nodes[0] holds the initial state
    edges: tuple[Edge, ...]


def status_keys(model: Model) -> tuple[str, ...]:
    """The status variables: those whose changes the model reports as events."""
    return tuple(v.name for v in model.variables if v.event)


def _name(value: object) -> str:
    return getattr(value, "name", str(value))


def project(graph: Graph, model: Model, keys: tuple[str, ...] | None = None
            ) -> StatusGraph | None:
    """The projection of a complete graph onto `keys` (default: the status variables);
    None when there are no keys or the graph is incomplete."""
    keys = status_keys(model) if keys is None else keys
    if not keys or not graph.complete or graph.n == 0:
        return None
    cols = tuple(model.var_index[k] for k in keys)
    code, distinct = graph.project(cols)
    arrays = graph.arrays()
    k, n_actions = len(distinct), len(model.actions)
    counts = np.bincount(code, minlength=k)
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, code, arrays.depth[:graph.n])
    domains = [model.variables[c].domain for c in cols]
    nodes = tuple(Node(tuple(_name(d.decode(x)) for d, x in zip(domains, values, strict=True)),
                       int(counts[i]), int(first[i]))
                  for i, values in enumerate(distinct))
    u, v = code[arrays.src], code[arrays.dst]
    moved = u != v
    key = (u[moved] * k + v[moved]) * n_actions + arrays.act[moved]
    uniq, per = np.unique(key, return_counts=True)
    grouped: dict[tuple[int, int], list[tuple[str, int]]] = {}
    for kk, c in zip(uniq.tolist(), per.tolist(), strict=True):
        pair, action = divmod(kk, n_actions)
        grouped.setdefault(divmod(pair, k), []).append((model.actions[action].name, c))
    edges = tuple(Edge(a, b, sum(c for _, c in acts),
                       tuple(sorted(acts, key=lambda t: (-t[1], t[0]))))
                  for (a, b), acts in sorted(grouped.items()))
    labels = tuple(model.var(key).event or key for key in keys)
    return StatusGraph(keys, labels, nodes, edges)


def to_json(g: StatusGraph) -> dict:
    return {"keys": list(g.keys), "labels": list(g.labels),
            "nodes": [{"values": list(n.values), "states": n.states, "depth": n.depth}
                      for n in g.nodes],
            "edges": [{"from": e.src, "to": e.dst, "transitions": e.transitions,
                       "actions": [[a, c] for a, c in e.actions]} for e in g.edges]}


def from_json(doc: dict) -> StatusGraph:
    """Raises KeyError, TypeError or ValueError on a malformed document."""
    return StatusGraph(
        tuple(map(str, doc["keys"])),
        tuple(map(str, doc.get("labels", doc["keys"]))),
        tuple(Node(tuple(map(str, n["values"])), int(n["states"]), int(n["depth"]))
              for n in doc["nodes"]),
        tuple(Edge(int(e["from"]), int(e["to"]), int(e["transitions"]),
                   tuple((str(a), int(c)) for a, c in e["actions"])) for e in doc["edges"]))

"""Bounded model checking: the shortest path from the initial state to a bad state.

Depth by depth (0, 1, 2, ...) in one incremental solver, so the first path found is a
shortest one, as the explorer's BFS gives.  A proved invariant, when supplied, is asserted of
every state on the path: it holds in all reachable states, so no real path is lost, and it
prunes the search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import z3

from migcheck.checker.z3.encode import Encoder, State

Bad = Callable[[Encoder, list[State]], z3.BoolRef]  # about the last state (and step)
Path = list[tuple[int | None, tuple]]  # (action index that led here, explorer state tuple)


@dataclass
class Found:
    path: Path | None  # None: no bad state within the depth
    depth: int  # the depth reached (the path's length when found)
    seconds: float
    exhausted: bool = False  # the search stopped on the timeout, not the depth


def search(enc: Encoder, bad: Bad, depth: int,
           invariant: Callable[[State], z3.BoolRef] | None = None,
           timeout_s: float | None = None) -> Found:
    started = time.perf_counter()
    sol = z3.SolverFor("QF_BV") if enc.bv else z3.Solver()
    states = [enc.state("0")]
    actions = []
    sol.add(enc.init(states[0]))
    for d in range(depth + 1):
        if invariant is not None:
            sol.add(invariant(states[d]))
        if timeout_s is not None:
            left = timeout_s - (time.perf_counter() - started)
            if left <= 0:
                return Found(None, d - 1, time.perf_counter() - started, exhausted=True)
            sol.set("timeout", max(1, int(left * 1000)))
        sol.push()
        sol.add(bad(enc, states))
        result = sol.check()
        if result == z3.sat:
            m = sol.model()
            path: Path = [(None, enc.decode(m, states[0]))]
            for i in range(d):
                path.append((m.eval(actions[i], model_completion=True).as_long(),
                             enc.decode(m, states[i + 1])))
            return Found(path, d, time.perf_counter() - started)
        sol.pop()
        if result == z3.unknown:
            return Found(None, d - 1, time.perf_counter() - started, exhausted=True)
        if d == depth:
            break
        states.append(enc.state(str(d + 1)))
        step = enc.step(states[d], states[d + 1], str(d))
        actions.append(step.action)
        sol.add(step.relation)
    return Found(None, depth, time.perf_counter() - started)

"""Drivers: replay a step list, or walk enabled steps with a seeded RNG."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from migcheck.pagecore import checks
from migcheck.pagecore.core import PageCore


@dataclass(frozen=True)
class WalkResult:
    trace: tuple[str, ...]
    violations: tuple[str, ...]  # first violating state's messages, or ()
    completed: bool
    deadlocked: bool  # no step enabled and not both completed


def replay(core: PageCore, steps: Iterable[str], check: bool = True) -> list[str]:
    """Run ``steps`` in order; return the violations seen after any step."""
    seen: list[str] = []
    for s in steps:
        core.step(s)
        if check:
            seen.extend(v for v in checks.check_all(core) if v not in seen)
    return seen


def random_walk(core: PageCore, rng: random.Random, max_steps: int = 10_000,
                weights: Mapping[str, float] | None = None) -> WalkResult:
    """Pick among enabled steps until none is enabled or a check fails.

    ``weights`` maps step names (without arguments) to relative weights
    (default 1.0), e.g. to make breaks likelier than early completion.
    """
    for _ in range(max_steps):
        enabled = core.enabled_steps()
        if not enabled:
            break
        if weights:
            w = [weights.get(s.split("(")[0], 1.0) for s in enabled]
            core.step(rng.choices(enabled, weights=w)[0])
        else:
            core.step(rng.choice(enabled))
        bad = checks.check_all(core)
        if bad:
            return WalkResult(tuple(core.trace), tuple(bad), core.completed(), False)
    done = core.completed()
    stuck = not done and not core.enabled_steps()
    return WalkResult(tuple(core.trace), (), done, stuck)


@dataclass(frozen=True)
class ExploreResult:
    states: int
    abstract_states: int
    first_violation: tuple[tuple[str, ...], tuple[str, ...]] | None  # (violations, trace)
    stuck: tuple[tuple[str, ...], ...]  # traces to states with no step and not completed


def explore(initial: PageCore, max_states: int = 200_000) -> ExploreResult:
    """Breadth-first search of every interleaving from ``initial`` (small N only)."""
    seen = {initial.state_key()}
    abstracts = {initial.abstract()}
    frontier = [initial]
    first: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    stuck: list[tuple[str, ...]] = []
    while frontier and len(seen) < max_states:
        nxt = []
        for core in frontier:
            enabled = core.enabled_steps()
            if not enabled and not core.completed():
                stuck.append(tuple(core.trace))
            for s in enabled:
                succ = copy.deepcopy(core)
                succ.step(s)
                key = succ.state_key()
                if key in seen:
                    continue
                seen.add(key)
                abstracts.add(succ.abstract())
                bad = checks.check_all(succ)
                if bad and first is None:
                    first = (tuple(bad), tuple(succ.trace))
                nxt.append(succ)
        frontier = nxt
    return ExploreResult(len(seen), len(abstracts), first, tuple(stuck))
